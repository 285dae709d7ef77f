/**
 * A real ERC-4337 bundler for tests and the demo: Pimlico's Alto, from the npm
 * package `@pimlico/alto` (no download at run time), started against a local
 * node on a free loopback port and stopped with its whole process group.
 *
 * How it is started, and why:
 * - Under the Node that runs us (`process.execPath`: the project's Node 24 when
 *   run through npm/npx/vitest), as `node --import loopback-only.mjs alto.js`.
 *   Alto listens on `0.0.0.0` with no option to change it (its
 *   esm/rpc/server.js calls `fastify.listen({ host: "0.0.0.0" })`); the
 *   preload `loopback-only.mjs` wraps `net.Server.prototype.listen` so that
 *   every TCP server in the process binds 127.0.0.1 instead. Without it a test
 *   bundler holding executor keys would be open to the network.
 *   `test/bundler/alto.test.ts` checks it is not reachable on the machine's
 *   other addresses.
 * - `--safe-mode false`: safe mode enforces ERC-7562's opcode and storage
 *   rules with `debug_traceCall` tracers that Hardhat's EDR does not provide.
 *   Validation itself (the EntryPoint's simulation) still runs.
 * - Alto deploys its simulation contracts at start with CREATE2 through the
 *   deterministic deployer at 0x4e59b44847b379578588920cA78FbF26c0B4956C.
 *   anvil has it; on EDR we put its well-known runtime code in place with
 *   `hardhat_setCode`. (Alto's own fallback sends the deployer's well-known
 *   presigned transaction, but in 0.0.20 that hex is garbled — "V" where
 *   "0" belongs, esm/cli/deploySimulationsContract.js — so it cannot work.)
 * - Executor and utility keys are dev accounts no role or test uses
 *   (`ALTO_EXECUTOR_INDEX`, `ALTO_UTILITY_INDEX`; the roles are
 *   `ROLE_INDEX` 0..9 in daemon/src/deploy/local.ts, the bench's baseline
 *   sentinel is 10), funded with `*_setBalance` when they hold less than
 *   1,000 ETH (anvil funds only accounts 0..9). Keys are passed in the environment (`ALTO_*`, which Alto
 *   reads through yargs' `.env("ALTO")`), not on the command line where `ps`
 *   shows them.
 * - `detached: true`: Alto is its own process group, and `stop()` signals the
 *   group (SIGTERM, SIGKILL after a grace period), so nothing it started
 *   outlives it. Readiness is polled with `eth_chainId` and
 *   `eth_supportedEntryPoints` up to a generous deadline; a start that fails
 *   says why with the last lines of its output.
 *
 * Pitfalls seen with Alto 0.0.20 on EDR and anvil (kept here, where they bite):
 * - With `--log-level info` it logs every RPC request and answer, bytecode
 *   included; the default here is "warn". Even then it logs, at ERROR, that
 *   the node lacks `eth_fillTransaction` before each bundle: harmless, viem
 *   falls back to filling the transaction itself.
 * - Refusals carry the EntryPoint's reason string only: a paused factory is
 *   "AA13 initCode failed or OOG" (-32500), its `GuardedAccountFactoryPaused()`
 *   is not passed on; a paused paymaster is "AA33 reverted 0xa4b20a60"
 *   (-32501, `GuardedPaymasterPaused()` passed on); an execution revert is "... with reason: 0x<data>"
 *   (-32521). Schema errors and unknown methods are -32601, an EntryPoint it
 *   does not serve -32602. (daemon/src/bundler/errors.ts reads these.)
 * - Its estimate simulates with its own gas limits and fees, so a sponsor's
 *   signature over the draft's limits does not matter there; a wallet signs
 *   again over the estimated limits before `eth_sendUserOperation`.
 * - Debug methods (`debug_bundler_dumpMempool`, `..._sendBundleNow`) need
 *   `extraArgs: ["--enable-debug-endpoints", "true"]`.
 * - It reads a `.env` from its working directory; we point
 *   `DOTENV_CONFIG_PATH` at a file that does not exist, so nothing local leaks
 *   into its options.
 *
 * @example
 * const alto = await startAlto({ rpcUrl: chain.url, entryPoint: deployment.kit.EntryPoint });
 * const bundler = createBundlerClient({ url: alto.url });
 * await alto.stop();
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { toHex, type Address, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { DEV_MNEMONIC, freePort } from "./local-chain.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Alto's command-line entry point inside the npm package. */
export const ALTO_CLI = path.join(ROOT, "node_modules/@pimlico/alto/esm/cli/alto.js");
/** The preload that keeps Alto's server on 127.0.0.1 (see the header). */
export const LOOPBACK_PRELOAD = path.join(ROOT, "scripts/lib/loopback-only.mjs");

/** Dev accounts of Alto's executor and utility wallets: unused by roles (0..9) and the bench (10). */
export const ALTO_EXECUTOR_INDEX = 18;
export const ALTO_UTILITY_INDEX = 19;

/** The deterministic CREATE2 deployer (Arachnid's), used by Alto to place its simulation contracts. */
export const DETERMINISTIC_DEPLOYER: Address = "0x4e59b44847b379578588920cA78FbF26c0B4956C";
/** Its runtime code, as every chain that has it holds it (read from anvil). */
export const DETERMINISTIC_DEPLOYER_CODE: Hex =
  "0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3";

const devKey = (index: number): Hex => toHex(mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }).getHdKey().privateKey!);
export const devAddress = (index: number): Address => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }).address;

export interface AltoOptions {
  /** The node's HTTP JSON-RPC URL. */
  rpcUrl: string;
  /** The EntryPoint (v0.7) the kit deployed. */
  entryPoint: Address;
  /** A fixed port on 127.0.0.1 (e.g. for the demo). Default: a free one, retried if taken meanwhile. */
  port?: number;
  /** Milliseconds between the node's blocks, as Alto polls for them. Default 1000. */
  blockTimeMs?: number;
  /** Dev-account indexes of the executor wallets. Default [ALTO_EXECUTOR_INDEX]. */
  executorIndexes?: number[];
  /** Dev-account index of the utility wallet (deploys the simulation contracts). Default ALTO_UTILITY_INDEX. */
  utilityIndex?: number;
  /** Alto's log level. Default "warn" (its info logs are one line per request). */
  logLevel?: "trace" | "debug" | "info" | "warn" | "error" | "fatal";
  /** More command-line options, e.g. ["--bundle-mode", "manual"]. */
  extraArgs?: string[];
  /** How long to wait for it to answer. Default 120 s (a loaded 2-core machine starts it slowly). */
  startTimeoutMs?: number;
}

export interface AltoBundler {
  /** http://127.0.0.1:<port> — Alto serves JSON-RPC on POST / (and /rpc). */
  url: string;
  port: number;
  pid: number;
  /** The last lines Alto wrote (stdout and stderr), for error messages. */
  output(): string;
  /** Whether the process is still running. */
  running(): boolean;
  /** Stops the process group: SIGTERM, then SIGKILL after 5 s. Idempotent. */
  stop(): Promise<void>;
}

/** One JSON-RPC call (to the node or to Alto); throws on an error or after 10 s without an answer. */
async function nodeRpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { result?: T; error?: { code: number; message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.code} ${body.error.message}`);
  return body.result as T;
}

/**
 * Puts the deterministic deployer's code in place if the node lacks it
 * (`hardhat_setCode`, else `anvil_setCode`). Returns whether it had to.
 */
export async function ensureDeterministicDeployer(rpcUrl: string): Promise<boolean> {
  const code = await nodeRpc<Hex>(rpcUrl, "eth_getCode", [DETERMINISTIC_DEPLOYER, "latest"]);
  if (code.toLowerCase() === DETERMINISTIC_DEPLOYER_CODE) return false;
  if (code !== "0x") throw new Error(`${DETERMINISTIC_DEPLOYER} holds other code than the deterministic deployer: Alto cannot place its simulation contracts`);
  try {
    await nodeRpc(rpcUrl, "hardhat_setCode", [DETERMINISTIC_DEPLOYER, DETERMINISTIC_DEPLOYER_CODE]);
  } catch {
    await nodeRpc(rpcUrl, "anvil_setCode", [DETERMINISTIC_DEPLOYER, DETERMINISTIC_DEPLOYER_CODE]);
  }
  return true;
}

/** What an Alto wallet on a local node is given when it has less (anvil funds only dev accounts 0..9). */
const WALLET_FUNDS = 10n ** 21n; // 1,000 ETH

/** Gives each address `WALLET_FUNDS` if it holds less (`hardhat_setBalance`, else `anvil_setBalance`). */
export async function ensureFunded(rpcUrl: string, addresses: Address[]): Promise<void> {
  for (const address of addresses) {
    const balance = BigInt(await nodeRpc<Hex>(rpcUrl, "eth_getBalance", [address, "latest"]));
    if (balance >= WALLET_FUNDS) continue;
    const params = [address, `0x${WALLET_FUNDS.toString(16)}`];
    try {
      await nodeRpc(rpcUrl, "hardhat_setBalance", params);
    } catch {
      await nodeRpc(rpcUrl, "anvil_setBalance", params);
    }
  }
}

/**
 * Starts Alto against `rpcUrl` for `entryPoint` and resolves once it answers
 * `eth_chainId` and lists the EntryPoint in `eth_supportedEntryPoints`.
 * Retries on another port if the one picked was taken meanwhile.
 */
export async function startAlto(options: AltoOptions): Promise<AltoBundler> {
  await ensureDeterministicDeployer(options.rpcUrl);
  const wallets = [...(options.executorIndexes ?? [ALTO_EXECUTOR_INDEX]), options.utilityIndex ?? ALTO_UTILITY_INDEX];
  await ensureFunded(options.rpcUrl, wallets.map(devAddress));
  if (options.port !== undefined) {
    // Checked first: readiness polling would otherwise find whatever already answers there.
    if (!(await portFree(options.port))) throw new PortTaken(`Alto cannot listen on 127.0.0.1:${options.port}: the port is taken`);
    return startOn(options.port, options);
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOn(await freePort(), options);
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortTaken)) throw error;
    }
  }
  throw lastError;
}

class PortTaken extends Error {}

/** Whether 127.0.0.1:`port` can be listened on right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

async function startOn(port: number, options: AltoOptions): Promise<AltoBundler> {
  const executors = (options.executorIndexes ?? [ALTO_EXECUTOR_INDEX]).map(devKey).join(",");
  const args = [
    "--import",
    pathToFileURL(LOOPBACK_PRELOAD).href,
    ALTO_CLI,
    "--entrypoints",
    options.entryPoint,
    "--rpc-url",
    options.rpcUrl,
    "--port",
    String(port),
    "--safe-mode",
    "false",
    "--block-time",
    String(options.blockTimeMs ?? 1000),
    "--log-level",
    options.logLevel ?? "warn",
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // Keys through the environment (yargs `.env("ALTO")`), never argv. No .env file of ours is read:
    // DOTENV_CONFIG_PATH points at nothing.
    env: {
      ...process.env,
      ALTO_EXECUTOR_PRIVATE_KEYS: executors,
      ALTO_UTILITY_PRIVATE_KEY: devKey(options.utilityIndex ?? ALTO_UTILITY_INDEX),
      DOTENV_CONFIG_PATH: path.join(ROOT, ".alto-no-env"),
      DO_NOT_TRACK: "1",
    },
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) if (line.trim()) lines.push(line.slice(0, 2000));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  // If this process exits without calling stop() (a crashed test), take the bundler down with it.
  const killOnExit = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {}
  };
  process.once("exit", killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      process.removeListener("exit", killOnExit);
      resolve();
    }),
  );
  const output = () => lines.join("\n");
  const url = `http://127.0.0.1:${port}`;
  const stop = () => stopGroup(child, exited);

  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  const deadline = Date.now() + startTimeoutMs;
  let seen = "nothing yet";
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const out = output();
      if (/EADDRINUSE/.test(out)) throw new PortTaken(`Alto could not listen on 127.0.0.1:${port}: the port is taken (EADDRINUSE)`);
      throw new Error(`Alto exited during start (${child.exitCode ?? child.signalCode}):\n${out}`);
    }
    try {
      await nodeRpc<Hex>(url, "eth_chainId");
      const entryPoints = await nodeRpc<string[]>(url, "eth_supportedEntryPoints");
      if (entryPoints.some((e) => e.toLowerCase() === options.entryPoint.toLowerCase())) break;
      seen = `serves ${entryPoints.join(", ") || "no EntryPoint"}`;
    } catch (error) {
      seen = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Alto did not serve EntryPoint ${options.entryPoint} on ${url} within ${Math.round(startTimeoutMs / 1000)} s (last: ${seen}):\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, port, pid: child.pid!, output, running: () => child.exitCode === null && child.signalCode === null, stop };
}

async function stopGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s); // the whole group: Alto was started detached
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * What the benchmarks and the soak run on: a local `hardhat node` with the
 * kit, Guardian's contracts and the guardian Safe deployed (as
 * `deployLocalStack` does for the demo and the tests), a config directory for
 * `guardian run`, and `guardian run` itself as a child process that can be
 * SIGKILLed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { encodeFunctionData, parseAbi, toHex, type Address, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { ROLES, type Deployment } from "../../daemon/src/deploy/guardian.js";
import { writeDeployment } from "../../daemon/src/deploy/deployments.js";
import { deployLocalStack, roleWallets, safeCall, ROLE_INDEX, type RoleWallets, type Wallet } from "../../daemon/src/deploy/local.js";
import { DEV_MNEMONIC, devClients, startLocalChain, type LocalChain } from "../lib/local-chain.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = path.join(ROOT, "bin/guardian.mjs");

/** Dev account of the baseline's own sentinel key (the daemon's is ROLE_INDEX.sentinel). */
export const BASELINE_SENTINEL_INDEX = 10;
/** Sentinel pause duration and cooldown of the bench stack: the hub's minimum cooldown (1 h). */
export const SENTINEL_PAUSE_SECONDS = 3600;
export const SENTINEL_COOLDOWN_SECONDS = 3600;

export const devKey = (index: number): Hex => toHex(mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }).getHdKey().privateKey!);

export const hubAbi = parseAbi([
  "function unpause(uint8[] layers, bytes32 incident)",
  "function grantRole(bytes32 role, address account)",
  "function sentinelPause(uint8[] layers, bytes32 incident)",
  "function isPaused(uint8 layer) view returns (bool)",
  "function heartbeat()",
]);

export interface BenchStack {
  chain: LocalChain;
  client: ReturnType<typeof devClients>["client"];
  wallets: RoleWallets;
  /** Every dev wallet by index (0..11). */
  all: Wallet[];
  deployment: Deployment;
  /** The baseline's sentinel (granted SENTINEL_ROLE by the Safe, listed as a trusted sentinel). */
  baselineSentinel: Wallet;
  dir: string;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** The guardian Safe unpauses `layers` (2 of 3 owners sign); resolves when mined. */
  safeUnpause(layers: number[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchStack(opts: { log?: (line: string) => void } = {}): Promise<BenchStack> {
  const chain = await startLocalChain();
  try {
    const { client, wallets } = devClients(chain.chain, chain.url, 12);
    const w = roleWallets(wallets as never);
    const deployment = await deployLocalStack(client as never, w, {
      sentinelPauseDuration: SENTINEL_PAUSE_SECONDS,
      sentinelCooldown: SENTINEL_COOLDOWN_SECONDS,
      ...(opts.log ? { log: opts.log } : {}),
    });
    const baselineSentinel = wallets[BASELINE_SENTINEL_INDEX] as unknown as Wallet;
    // The guardian grants sentinels: the baseline gets its own key, so its pauses never race the daemon's nonces.
    const grant = encodeFunctionData({ abi: hubAbi, functionName: "grantRole", args: [ROLES.SENTINEL, baselineSentinel.account.address] });
    await client.waitForTransactionReceipt({ hash: await safeCall(client as never, deployment.guardian.safe, deployment.guardian.hub, grant, [w.owner1, w.owner2]) });
    deployment.roles.sentinels = [...deployment.roles.sentinels, baselineSentinel.account.address];
    const dir = mkdtempSync(path.join(tmpdir(), "guardian-bench-"));
    writeDeployment(path.join(dir, "deployments"), deployment);
    const rpc = <T>(method: string, params: unknown[] = []) => client.request({ method: method as never, params: params as never }) as Promise<T>;
    return {
      chain,
      client,
      wallets: w,
      all: wallets as unknown as Wallet[],
      deployment,
      baselineSentinel,
      dir,
      rpc,
      async safeUnpause(layers) {
        const data = encodeFunctionData({ abi: hubAbi, functionName: "unpause", args: [layers, `0x${"00".repeat(32)}`] });
        const hash = await safeCall(client as never, deployment.guardian.safe, deployment.guardian.hub, data, [w.owner1, w.owner2]);
        const receipt = await client.waitForTransactionReceipt({ hash });
        if (receipt.status !== "success") throw new Error(`Safe unpause reverted (tx ${hash})`);
      },
      async stop() {
        await chain.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await chain.stop();
    throw error;
  }
}

export interface DaemonConfigOptions {
  rpcUrls: string[];
  /** A WebSocket URL for the first endpoint: the daemon subscribes to newHeads there. */
  wsUrl?: string;
  blockTimeMs: number;
  dataDir: string;
  autoPause?: { entryPoint: boolean; accountFactory: boolean; delegation: boolean };
  requestTimeoutMs?: number;
}

/** Writes a config file for `guardian run` into the stack's directory; returns its path. */
export function writeDaemonConfig(stack: BenchStack, name: string, o: DaemonConfigOptions): string {
  const file = path.join(stack.dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        preset: "local",
        blockTimeMs: o.blockTimeMs,
        rpc: { endpoints: o.rpcUrls.map((url, i) => ({ name: `ep${i}`, http: url, ...(i === 0 && o.wsUrl ? { ws: o.wsUrl } : {}) })) },
        deploymentsFile: `deployments/${stack.deployment.chainId}.json`,
        dataDir: o.dataDir,
        follower: { requestTimeoutMs: o.requestTimeoutMs ?? 1000 },
        metrics: { port: 0 },
        ...(o.autoPause ? { autoPause: o.autoPause } : {}),
      },
      null,
      2,
    ),
  );
  return file;
}

export const ADMIN_TOKEN = "bench-admin-token-0123456789abcdef";

/** The environment `guardian` commands need for a config file of this stack. */
export function daemonEnv(configFile: string): Record<string, string> {
  return {
    GUARDIAN_CONFIG: configFile,
    GUARDIAN_SENTINEL_KEY: devKey(ROLE_INDEX.sentinel),
    GUARDIAN_ADMIN_TOKEN: ADMIN_TOKEN,
    DO_NOT_TRACK: "1",
  };
}

export interface DaemonProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves with the metrics URL once the daemon printed it (it is then following the chain). */
  ready: Promise<string>;
  /** The last 20 kB of stderr (pino JSON lines). */
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `guardian run` (bin/guardian.mjs) in `cwd` with `args` after "run"; `nodeArgs` go to node (e.g. --trace-gc). */
export function spawnDaemon(cwd: string, env: Record<string, string>, args: string[] = [], o: { nodeArgs?: string[]; onStdout?: (text: string) => void } = {}): DaemonProcess {
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), BIN, "run", ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  let out = "";
  child.stderr!.on("data", (b: Buffer) => (err = (err + b.toString()).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (b: Buffer) => {
      o.onStdout?.(b.toString());
      if (out.length > 100_000) return; // the metrics line comes first
      out += b.toString();
      const m = /metrics (http:\/\/[^\s]+)\/metrics/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then(({ code, signal }) => reject(new Error(`guardian run exited (${code ?? signal}) before it was ready:\n${err.slice(-3000)}`)));
  });
  ready.catch(() => undefined);
  return {
    child,
    pid: child.pid!,
    ready,
    stderr: () => err,
    exited,
    async kill(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Reads a Prometheus text exposition into name → value (labelled series summed). */
export async function scrapeMetrics(baseUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const value = Number(m[3]);
    if (Number.isFinite(value)) out.set(m[1]!, (out.get(m[1]!) ?? 0) + value);
  }
  return out;
}

/** Polls `predicate` every `intervalMs` until it holds; throws after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 50): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type { Address };

/** Runs a `guardian` command in-process (daemon/src/cli.ts `main`) against a config of this stack. */
export async function guardianCli(stack: BenchStack, env: Record<string, string>, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { main } = await import("../../daemon/src/cli.js");
  let out = "";
  let err = "";
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env, cwd: stack.dir });
  return { code, out, err };
}

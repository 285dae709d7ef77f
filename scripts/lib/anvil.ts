/**
 * Foundry's anvil — a second Ethereum node implementation beside Hardhat's EDR —
 * started from the npm package `@foundry-rs/anvil-linux-amd64` (no download at
 * run time) on a free loopback port, and stopped by its own pid.
 *
 * It has the same well-known dev accounts as `hardhat node` (the same
 * mnemonic). By default it mines a block per transaction; `blockTime` gives
 * interval mining (anvil takes whole seconds, or fractions with `--block-time 0.5`).
 *
 * @example
 * const node = await startAnvil({ chainId: 138, blockTime: 2 });
 * await node.mine(10);
 * await node.stop();
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, mineBlocks } from "./local-chain.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Where npm puts the anvil binary. */
export const ANVIL_BIN = path.join(ROOT, "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");

export interface AnvilOptions {
  /** Default 31337. */
  chainId?: number;
  /** Seconds between blocks (interval mining); default: a block per transaction. */
  blockTime?: number;
  /** An EVM hardfork (`--hardfork`), e.g. "berlin" for a chain without EIP-1559. Default: anvil's latest. */
  hardfork?: string;
  /** Milliseconds to wait for the node to answer. Default 30 s. */
  startTimeoutMs?: number;
}

export interface AnvilNode {
  url: string;
  wsUrl: string;
  port: number;
  pid: number;
  /** One JSON-RPC call; throws on a JSON-RPC error. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** Mines `n` blocks as JSON-RPC batches of `evm_mine`. */
  mine(n: number): Promise<void>;
  blockNumber(): Promise<number>;
  stop(): Promise<void>;
}

export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilNode> {
  if (!existsSync(ANVIL_BIN)) throw new Error(`anvil binary not found at ${ANVIL_BIN}: is @foundry-rs/anvil-linux-amd64 installed?`);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOn(await freePort(), options);
    } catch (error) {
      lastError = error; // most likely the port was taken meanwhile
    }
  }
  throw lastError;
}

async function startOn(port: number, options: AnvilOptions): Promise<AnvilNode> {
  const args = ["--host", "127.0.0.1", "--port", String(port), "--chain-id", String(options.chainId ?? 31337), "--silent"];
  if (options.blockTime !== undefined) args.push("--block-time", String(options.blockTime));
  if (options.hardfork !== undefined) args.push("--hardfork", options.hardfork);
  const child = spawn(ANVIL_BIN, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );

  const url = `http://127.0.0.1:${port}`;
  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
    const body = (await response.json()) as { result?: T; error?: { code: number; message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.code} ${body.error.message}`);
    return body.result as T;
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) throw new Error(`anvil exited during start:\n${output.join("")}`);
    try {
      await rpc("eth_chainId");
      break;
    } catch {
      if (Date.now() > deadline) {
        await kill(child, exitPromise);
        throw new Error(`anvil did not answer on port ${port}:\n${output.join("")}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    pid: child.pid as number,
    rpc,
    mine: (n: number) => mineBlocks(url, n),
    async blockNumber() {
      return Number.parseInt(await rpc<string>("eth_blockNumber"), 16);
    },
    stop: () => kill(child, exitPromise),
  };
}

async function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

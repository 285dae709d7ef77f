/**
 * Starts a real `hardhat node` (EDR) on a free loopback port for a test, and
 * stops it by its own pid. By default it loads a bare config
 * (hardhat-node.config.ts next to this file) so that a chain for the daemon's
 * tests does not depend on the project's plugins; pass `config` to use
 * another.
 *
 * @example
 * const node = await startHardhatNode({ chainId: 138 });
 * await node.mine(10);
 * await node.stop();
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { freePort, mineBlocks } from "../../../scripts/lib/local-chain.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const HARDHAT_CLI = path.join(ROOT, "node_modules/hardhat/dist/src/cli.js");
const BARE_CONFIG = path.join(import.meta.dirname, "hardhat-node.config.ts");
/** The project's pinned Node (24), else the one running the tests. */
const NODE_BIN = existsSync(path.join(ROOT, "node_modules/.bin/node")) ? path.join(ROOT, "node_modules/.bin/node") : process.execPath;

/** The first of the node's well-known, funded dev accounts. */
export const DEV_ACCOUNTS = [
  "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
  "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
  "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc",
] as const;

export interface HardhatNode {
  url: string;
  wsUrl: string;
  port: number;
  pid: number;
  /** One JSON-RPC call; throws on a JSON-RPC error. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** Mines `n` blocks as one JSON-RPC batch of `evm_mine` (every block real, unlike `hardhat_mine`). */
  mine(n: number): Promise<void>;
  blockNumber(): Promise<number>;
  stop(): Promise<void>;
}

export interface StartHardhatNodeOptions {
  chainId?: number;
  /** Path of the Hardhat config to load. Default: the bare config next to this file. */
  config?: string;
  /** Milliseconds to wait for the node to answer. Default 30 s. */
  startTimeoutMs?: number;
}

export async function startHardhatNode(options: StartHardhatNodeOptions = {}): Promise<HardhatNode> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await startOn(port, options);
    } catch (error) {
      lastError = error; // most likely the port was taken meanwhile
    }
  }
  throw lastError;
}

async function startOn(port: number, options: StartHardhatNodeOptions): Promise<HardhatNode> {
  const args = [
    HARDHAT_CLI,
    "--config",
    options.config ?? BARE_CONFIG,
    "node",
    "--hostname",
    "127.0.0.1",
    "--port",
    String(port),
  ];
  if (options.chainId !== undefined) args.push("--chain-id", String(options.chainId));
  const child = spawn(NODE_BIN, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DO_NOT_TRACK: "1" } });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  // Drain both pipes for the node's whole life: it logs every request.
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
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = (await response.json()) as { result?: T; error?: { code: number; message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.code} ${body.error.message}`);
    return body.result as T;
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) throw new Error(`hardhat node exited during start:\n${output.join("")}`);
    try {
      await rpc("eth_chainId");
      break;
    } catch {
      if (Date.now() > deadline) {
        await kill(child, exitPromise);
        throw new Error(`hardhat node did not answer on port ${port}:\n${output.join("")}`);
      }
      await new Promise((r) => setTimeout(r, 100));
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

export { freePort };

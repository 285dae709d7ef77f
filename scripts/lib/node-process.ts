/**
 * A local Ethereum node as a child process on a loopback port, for tests and
 * scripts: spawned, its output kept (the last 50 chunks, for error
 * messages; both pipes drained for its whole life), ready once it answers
 * `eth_chainId`, stopped by its own pid (SIGTERM, SIGKILL after 5 s). Shared
 * by anvil (scripts/lib/anvil.ts) and `hardhat node`
 * (test/daemon/helpers/hardhat-node.ts); a start on a port taken meanwhile
 * is retried on another.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { freePort, mineBlocks } from "./local-chain.js";

export interface NodeProcess {
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

export interface NodeProcessSpec {
  /** For messages: "anvil", "hardhat node". */
  name: string;
  command: string;
  /** The arguments for a node listening on `port`. */
  args(port: number): string[];
  options?: SpawnOptions;
  /** Milliseconds to wait for it to answer. Default 30 s. */
  startTimeoutMs?: number;
  /** Between readiness polls. Default 100 ms. */
  pollMs?: number;
}

export async function startNodeProcess(spec: NodeProcessSpec): Promise<NodeProcess> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOn(await freePort(), spec);
    } catch (error) {
      lastError = error; // most likely the port was taken meanwhile
    }
  }
  throw lastError;
}

async function startOn(port: number, spec: NodeProcessSpec): Promise<NodeProcess> {
  const child = spawn(spec.command, spec.args(port), { ...spec.options, stdio: ["ignore", "pipe", "pipe"] });
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

  const deadline = Date.now() + (spec.startTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) throw new Error(`${spec.name} exited during start:\n${output.join("")}`);
    try {
      await rpc("eth_chainId");
      break;
    } catch {
      if (Date.now() > deadline) {
        await kill(child, exitPromise);
        throw new Error(`${spec.name} did not answer on port ${port}:\n${output.join("")}`);
      }
      await new Promise((r) => setTimeout(r, spec.pollMs ?? 100));
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

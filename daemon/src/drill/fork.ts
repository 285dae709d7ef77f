/**
 * A fork of the configured chain on loopback, for drills: Foundry's anvil
 * (npm package `@foundry-rs/anvil-linux-amd64`) with `--fork-url`, on a free
 * 127.0.0.1 port, stopped by its own pid. Everything a drill sends goes to
 * this process (with `--auto-impersonate`: any account may send there, so
 * the drill acts as the sentinel and the Safe's owners without their keys);
 * the live chain is only read, by anvil, for state.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import path from "node:path";

export interface Fork {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = path.dirname(require.resolve("@foundry-rs/anvil-linux-amd64/package.json"));
  } catch {
    throw new Error("drill: anvil is not installed (npm package @foundry-rs/anvil-linux-amd64)");
  }
  const bin = path.join(dir, "bin", "anvil");
  if (!existsSync(bin)) throw new Error(`drill: anvil binary missing at ${bin}`);
  return bin;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts anvil forking `forkUrl` (at `blockNumber`, default its latest) and
 * waits until it answers. The URL may carry an API key: it is passed to
 * anvil only, never printed.
 */
export async function startFork(forkUrl: string, opts: { blockNumber?: number; startTimeoutMs?: number } = {}): Promise<Fork> {
  const port = await freePort();
  const args = ["--host", "127.0.0.1", "--port", String(port), "--fork-url", forkUrl, "--silent", "--no-rate-limit", "--auto-impersonate"];
  if (opts.blockNumber !== undefined) args.push("--fork-block-number", String(opts.blockNumber));
  const child: ChildProcess = spawn(anvilBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (b) => (output = (output + b).slice(-2000)));
  child.stderr!.on("data", (b) => (output = (output + b).slice(-2000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`drill: anvil exited (${child.exitCode}) before answering: ${output.replaceAll(forkUrl, "<fork url>").slice(-500)}`);
    try {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error("drill: the fork did not answer in time");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, pid: child.pid!, stop };
}

/** Test helpers: temp data dirs and child processes. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
export const HOLD_STORE = path.join(REPO_ROOT, "daemon/src/store/testing/hold-store.ts");
export const BIN = path.join(REPO_ROOT, "bin/guardian.mjs");

export function tempDir(prefix = "guardian-"): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export interface Holder {
  child: ChildProcess;
  pid: number;
  port?: number;
  /** Closes stdin: the holder shuts down cleanly. */
  stop(): Promise<void>;
  /** SIGKILL: leaves its lock (and admin.json) behind, like a crash. */
  kill(): Promise<void>;
}

/** Starts hold-store.ts on `dataDir` and waits for its ready line. */
export async function startHolder(dataDir: string, options: { admin?: boolean } = {}): Promise<Holder> {
  const child = spawn(process.execPath, ["--import", "tsx", HOLD_STORE, dataDir, ...(options.admin ? ["--admin"] : [])], {
    cwd: REPO_ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = await new Promise<{ pid: number; port?: number }>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as { pid: number; port?: number });
    });
    child.once("exit", (code) => reject(new Error(`holder exited ${code}: ${stderr}`)));
  });
  return {
    child,
    pid: ready.pid,
    ...(ready.port !== undefined ? { port: ready.port } : {}),
    async stop() {
      child.stdin!.end();
      await exited;
    },
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/guardian.mjs ...args` to completion. */
export function runCli(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("GUARDIAN_")) env[k] = v;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { ...env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` into a
 * temp directory, `pg_ctl start` on a free loopback port with its socket in
 * that directory, trust authentication (loopback only), fsync on. No system
 * service is involved and nothing outside the temp directory is touched.
 *
 * Binaries: `initdb` and `pg_ctl` from PATH, else Debian's
 * /usr/lib/postgresql/<15|16|17>/bin (Debian's `postgresql` package does
 * not put them on PATH).
 *
 * Root: PostgreSQL refuses to run as root, and CI runs as root. Then the
 * cluster runs as the `postgres` user Debian's package creates (or `nobody`
 * when it is missing): the temp directory is handed to that user and the
 * commands are spawned with its uid/gid. Clients connect over TCP, so the
 * test process itself stays root.
 *
 * @example
 * const pg = await startPostgres();
 * const store = await openPostgresStore({ url: pg.url, chainId: 31337, purpose: "test" });
 * await pg.restart(); // same port, same data
 * await pg.stop();    // and the temp directory is gone
 */
import { spawn } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./local-chain.js";

export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust auth: any password is accepted). */
  url: string;
  port: number;
  /** The cluster's data directory (inside a temp directory removed by stop()). */
  dataDir: string;
  /** The server log, for failure messages. */
  logFile: string;
  /** A URL to the same server with a user and password in it (trust ignores the password): for redaction tests. */
  urlWithPassword(password: string): string;
  /** Fast shutdown (`pg_ctl stop -m fast`) and removal of the temp directory. Idempotent. */
  stop(): Promise<void>;
  /** Fast shutdown if running, then start again on the same port with the same data. */
  restart(): Promise<void>;
  /** SIGKILL to the postmaster (a crash: the next start runs crash recovery). Returns once the postmaster is gone. */
  kill(): Promise<void>;
  /** Starts a stopped or killed cluster again. */
  start(): Promise<void>;
}

export interface StartPostgresOptions {
  port?: number;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
}

const DEBIAN_BIN_DIRS = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"];

/** Absolute path of a PostgreSQL server program, or a clear error naming the package to install. */
export function findPostgresBinary(name: "initdb" | "pg_ctl", where: { path?: string; debianDirs?: readonly string[] } = {}): string {
  const debianDirs = where.debianDirs ?? DEBIAN_BIN_DIRS;
  for (const dir of (where.path ?? process.env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  for (const dir of debianDirs) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(
    `PostgreSQL is not installed: ${name} was found neither on PATH nor in ${debianDirs.join(", ")}. ` +
      "Install Debian's server package: apt-get install postgresql (PostgreSQL 15 on Debian 12; no service needs to run).",
  );
}

interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

/** Who runs the cluster: ourselves, or (as root) the postgres user, else nobody. */
function clusterUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync("/etc/passwd", "utf8").split("\n").map((line) => line.split(":"));
  for (const name of ["postgres", "nobody"]) {
    const entry = passwd.find((fields) => fields[0] === name);
    if (entry) return { name, uid: Number(entry[2]), gid: Number(entry[3]) };
  }
  throw new Error("running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as (initdb refuses root)");
}

function run(file: string, args: string[], as: RunAs | undefined, cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C", LC_ALL: "C", HOME: cwd },
      ...(as ? { uid: as.uid, gid: as.gid } : {}),
    });
    let output = "";
    child.stdout.on("data", (b) => (output = (output + b).slice(-8000)));
    child.stderr.on("data", (b) => (output = (output + b).slice(-8000)));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** Whether every directory on the way to `dir` lets other users through (the cluster's user must reach its temp dir). */
function traversableByAll(dir: string): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      if ((statSync(d).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (d === path.dirname(d)) return true;
  }
}

function chownTree(dir: string, as: RunAs) {
  chownSync(dir, as.uid, as.gid);
  for (const entry of readdirSync(dir)) {
    const p = path.join(dir, entry);
    if (statSync(p).isDirectory()) chownTree(p, as);
    else chownSync(p, as.uid, as.gid);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readLog(file: string): string {
  try {
    return readFileSync(file, "utf8").slice(-4000);
  } catch {
    return "";
  }
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Every cluster this process started, stopped hard if the process exits without stop(). */
const running = new Set<string>();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const dataDir of running) {
      const pid = postmasterPid(dataDir);
      // SIGQUIT: immediate shutdown of the postmaster and its backends.
      if (pid !== undefined) try { process.kill(pid, "SIGQUIT"); } catch { /* gone */ }
    }
  });
}

/**
 * Starts a new cluster. Fails with the server's own output when initdb or
 * the start fails, and with the package to install when PostgreSQL is missing.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresCluster> {
  const initdb = findPostgresBinary("initdb");
  const pgCtl = findPostgresBinary("pg_ctl");
  const as = clusterUser();
  const root = mkdtempSync(path.join(as && !traversableByAll(tmpdir()) ? "/tmp" : tmpdir(), "guardian-pg-"));
  const dataDir = path.join(root, "data");
  const socketDir = path.join(root, "socket");
  const logFile = path.join(root, "server.log");
  mkdirSync(socketDir);
  if (as) chownTree(root, as);

  const init = await run(initdb, ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions"], as, root);
  if (init.code !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`initdb failed (exit ${init.code}${as ? `, run as user ${as.name}` : ""}):\n${init.output}`);
  }

  const port = options.port ?? (await freePort());
  const settings: Record<string, string | number> = { fsync: "on", synchronous_commit: "on", max_connections: 40, ...options.settings };
  const serverOptions = [`-p ${port}`, `-k ${socketDir}`, "-c listen_addresses=127.0.0.1", ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(" ");
  let stopped = false;

  const start = async () => {
    let result = await run(pgCtl, ["start", "-D", dataDir, "-l", logFile, "-w", "-t", "120", "-o", serverOptions], as, root);
    // After a kill, backends may hold the old shared memory a moment longer: the start is refused until they are gone.
    for (let i = 0; i < 20 && result.code !== 0 && /shared memory block is still in use/.test(readLog(logFile)); i++) {
      await sleep(250);
      result = await run(pgCtl, ["start", "-D", dataDir, "-l", logFile, "-w", "-t", "120", "-o", serverOptions], as, root);
    }
    if (result.code !== 0) {
      let log = "";
      try { log = readFileSync(logFile, "utf8").slice(-4000); } catch { /* no log yet */ }
      throw new Error(`pg_ctl start failed (exit ${result.code}, port ${port}):\n${result.output}\n${log}`);
    }
    running.add(dataDir);
  };
  const stopServer = async () => {
    const pid = postmasterPid(dataDir);
    if (pid === undefined || !alive(pid)) return;
    const result = await run(pgCtl, ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "120"], as, root);
    if (result.code !== 0 && alive(pid)) throw new Error(`pg_ctl stop failed (exit ${result.code}):\n${result.output}`);
  };

  installExitHook();
  await start();

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    logFile,
    urlWithPassword: (password) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopServer();
      running.delete(dataDir);
      rmSync(root, { recursive: true, force: true });
    },
    async restart() {
      await stopServer();
      await start();
    },
    async kill() {
      const pid = postmasterPid(dataDir);
      if (pid === undefined) return;
      try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
      for (let i = 0; i < 600 && alive(pid); i++) await sleep(50);
      // Backends notice the postmaster's death and exit on their own; wait for them to let go of shared memory.
      await sleep(200);
    },
    start,
  };
}

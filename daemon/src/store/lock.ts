/**
 * The data directory's exclusive lock: one writer per directory across
 * processes (lowdb only serializes writes within one process).
 *
 * The lock is a file created with O_EXCL (open "wx": fails if it exists),
 * holding {pid, hostname, startedAt, purpose}. A lock whose pid is not alive
 * on this host is stale (a crash or SIGKILL) and is taken over with a
 * warning; a lock from another host is never taken over (we cannot tell
 * whether it is alive).
 *
 * Takeover is serialized by a second O_EXCL file (`<lock>.takeover`): the
 * process holding it re-reads the lock and removes it only if it is still the
 * stale one it judged, so two processes that both saw a stale lock cannot
 * both end up holding a new one.
 */
import { hostname as osHostname } from "node:os";
import * as fsp from "node:fs/promises";
import path from "node:path";
import { StoreIoError, StoreLockedError } from "./errors.js";

/** How the lock file is created (a test seam: disk-full tests pass a failing one). */
export interface LockFs {
  open(file: string, flags: "wx", mode: number): Promise<LockFileHandle>;
}

export interface LockFileHandle {
  writeFile(data: string, encoding: "utf8"): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export const LOCK_FILE = "guardian.lock";

/** A lock file's content. */
export interface LockInfo {
  pid: number;
  hostname: string;
  /** ISO-8601 UTC. */
  startedAt: string;
  /** What the holder is doing, e.g. "daemon" or "cli incident trigger". */
  purpose: string;
}

export interface LockHandle {
  readonly file: string;
  readonly info: LockInfo;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/** pino-compatible: `logger.warn({ ...details }, "message")`. */
export interface StoreLogger {
  warn(details: object, message: string): void;
}

export interface AcquireLockOptions {
  purpose: string;
  /** Keep retrying a live lock for this long (ms) before giving up; default 0. */
  waitMs?: number;
  logger?: StoreLogger;
  clock?: () => Date;
  /** Default: `process.kill(pid, 0)` succeeds or fails with EPERM. */
  isAlive?: (pid: number) => boolean;
  /** Default os.hostname(). */
  hostname?: string;
  pid?: number;
  /** Default node:fs/promises. */
  fs?: LockFs;
}

/** A lock file whose content cannot be parsed is taken for stale after this long (its writer crashed mid-write). */
const UNREADABLE_LOCK_GRACE_MS = 5_000;
/** A takeover guard older than this was left by a crashed takeover. */
const TAKEOVER_GUARD_STALE_MS = 10_000;
const RETRY_MS = 50;

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface LockStatus {
  /** Undefined when the file exists but cannot be parsed. */
  info: LockInfo | undefined;
  /** Text of the lock file. */
  raw: string;
  /** true / false on this host; undefined when held from another host or unreadable. */
  alive: boolean | undefined;
}

/** The lock's holder, or undefined when the directory is not locked. */
export async function readLock(
  dir: string,
  options: { isAlive?: (pid: number) => boolean; hostname?: string } = {},
): Promise<LockStatus | undefined> {
  const file = path.join(dir, LOCK_FILE);
  let raw: string;
  try {
    raw = await fsp.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new StoreIoError(file, `read the lock file ${file}`, error);
  }
  const info = parseLockInfo(raw);
  const host = options.hostname ?? osHostname();
  const alive = info === undefined || info.hostname !== host ? undefined : (options.isAlive ?? isProcessAlive)(info.pid);
  return { info, raw, alive };
}

function parseLockInfo(raw: string): LockInfo | undefined {
  try {
    const v = JSON.parse(raw) as Partial<LockInfo>;
    if (
      typeof v.pid === "number" &&
      Number.isInteger(v.pid) &&
      v.pid > 0 &&
      typeof v.hostname === "string" &&
      typeof v.startedAt === "string" &&
      typeof v.purpose === "string"
    )
      return { pid: v.pid, hostname: v.hostname, startedAt: v.startedAt, purpose: v.purpose };
  } catch {
    // fall through
  }
  return undefined;
}

/**
 * Takes the lock of `dir` (which must exist).
 *
 * 1. Create the lock file with O_EXCL and write our info (fsynced).
 * 2. It exists: read the holder.
 *    - alive (or on another host): wait and retry until `waitMs`, then throw StoreLockedError;
 *    - dead on this host, or unreadable for longer than a grace period: take it over (warn), go to 1.
 *
 * @throws StoreLockedError naming the holder's pid, purpose and host.
 */
export async function acquireLock(dir: string, options: AcquireLockOptions): Promise<LockHandle> {
  const file = path.join(dir, LOCK_FILE);
  const clock = options.clock ?? (() => new Date());
  const host = options.hostname ?? osHostname();
  const isAlive = options.isAlive ?? isProcessAlive;
  const info: LockInfo = { pid: options.pid ?? process.pid, hostname: host, startedAt: clock().toISOString(), purpose: options.purpose };
  const content = `${JSON.stringify(info)}\n`;
  const deadline = Date.now() + (options.waitMs ?? 0);

  for (;;) {
    // 1. Try to create it. Once created it is ours: if writing it fails
    //    (disk full), remove it again so that no empty lock is left behind.
    let handle: LockFileHandle | undefined;
    try {
      handle = await (options.fs ?? fsp).open(file, "wx", 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw new StoreIoError(file, `create the lock file ${file}`, error);
    }
    if (handle !== undefined) {
      try {
        try {
          await handle.writeFile(content, "utf8");
          await handle.sync();
        } finally {
          await handle.close();
        }
      } catch (error) {
        await fsp.rm(file, { force: true }).catch(() => undefined);
        throw new StoreIoError(file, `write the lock file ${file} (removed again)`, error);
      }
      return makeHandle(file, info, content);
    }

    // 2. Someone holds it (or held it).
    const status = await readLock(dir, { isAlive, hostname: host });
    if (status === undefined) continue; // released meanwhile
    let stale = false;
    let why = "";
    if (status.info === undefined) {
      const age = await fileAgeMs(file);
      stale = age !== undefined && age > UNREADABLE_LOCK_GRACE_MS;
      why = "its lock file is unreadable";
    } else if (status.alive === false) {
      stale = true;
      why = `pid ${status.info.pid} is not running on ${host}`;
    }
    if (stale) {
      if (await takeOver(file, status.raw)) {
        options.logger?.warn(
          { lockFile: file, staleHolder: status.info, reason: why },
          `took over a stale store lock (${why}); the previous holder did not shut down cleanly`,
        );
      }
      continue;
    }
    if (Date.now() >= deadline) {
      const hint =
        status.info !== undefined && status.alive === undefined
          ? `It was taken on another host (${status.info.hostname}); Guardian cannot tell whether that process is alive: stop it, or delete the lock file if you are sure it is gone.`
          : "Stop that process first (a running daemon takes CLI writes through its admin endpoint).";
      throw new StoreLockedError(file, status.info, hint);
    }
    await sleep(RETRY_MS);
  }
}

/** Removes the stale lock if it still has the content we judged stale; true if we removed it. */
async function takeOver(file: string, staleContent: string): Promise<boolean> {
  const guard = `${file}.takeover`;
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(guard, "wx", 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const age = await fileAgeMs(guard);
    if (age !== undefined && age > TAKEOVER_GUARD_STALE_MS) await fsp.rm(guard, { force: true });
    else await sleep(RETRY_MS);
    return false;
  }
  try {
    await handle.close();
    let current: string;
    try {
      current = await fsp.readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
    if (current !== staleContent) return false; // someone else took over first
    await fsp.rm(file, { force: true });
    return true;
  } finally {
    await fsp.rm(guard, { force: true });
  }
}

function makeHandle(file: string, info: LockInfo, content: string): LockHandle {
  let released = false;
  return {
    file,
    info,
    async release() {
      if (released) return;
      released = true;
      try {
        if ((await fsp.readFile(file, "utf8")) === content) await fsp.rm(file, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    },
  };
}

async function fileAgeMs(file: string): Promise<number | undefined> {
  try {
    return Date.now() - (await fsp.stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

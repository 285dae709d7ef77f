import { existsSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { StoreLockedError } from "./errors.js";
import { acquireLock, LOCK_FILE, readLock } from "./lock.js";
import { startHolder, tempDir } from "./testing/spawn.js";

/** A pid that is certainly not running: one of a child that has exited. */
async function deadPid(): Promise<number> {
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

function warnings() {
  const seen: Array<{ details: object; message: string }> = [];
  return { seen, logger: { warn: (details: object, message: string) => void seen.push({ details, message }) } };
}

describe("acquireLock", () => {
  it("creates the lock file with pid, hostname, startedAt, purpose; release removes it", async () => {
    const dir = tempDir();
    const lock = await acquireLock(dir, { purpose: "daemon", clock: () => new Date("2025-01-01T00:00:00Z") });
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), "utf8"))).toEqual({
      pid: process.pid,
      hostname: hostname(),
      startedAt: "2025-01-01T00:00:00.000Z",
      purpose: "daemon",
    });
    await lock.release();
    await lock.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it("refuses a second opener, naming the holder's pid and purpose", async () => {
    const dir = tempDir();
    const lock = await acquireLock(dir, { purpose: "daemon" });
    const error = await acquireLock(dir, { purpose: "cli incident trigger" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreLockedError);
    expect((error as StoreLockedError).holder).toMatchObject({ pid: process.pid, purpose: "daemon" });
    expect((error as Error).message).toContain(`locked by pid ${process.pid} (daemon) on host ${hostname()}`);
    await lock.release();
  });

  it("waits up to waitMs for a live holder to let go", async () => {
    const dir = tempDir();
    const lock = await acquireLock(dir, { purpose: "first" });
    setTimeout(() => void lock.release(), 100);
    const second = await acquireLock(dir, { purpose: "second", waitMs: 2000 });
    expect(second.info.purpose).toBe("second");
    await second.release();
  });

  it("takes over a stale lock (pid not alive on this host) with a warning", async () => {
    const dir = tempDir();
    const pid = await deadPid();
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid, hostname: hostname(), startedAt: "2025-01-01T00:00:00Z", purpose: "daemon" }));
    const { seen, logger } = warnings();
    const lock = await acquireLock(dir, { purpose: "cli", logger });
    expect(lock.info.pid).toBe(process.pid);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.message).toMatch(/took over a stale store lock \(pid \d+ is not running/);
    expect(seen[0]?.details).toMatchObject({ staleHolder: { pid, purpose: "daemon" } });
    await lock.release();
  });

  it("never takes over a lock from another host", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 1, hostname: "elsewhere", startedAt: "2025-01-01T00:00:00Z", purpose: "daemon" }));
    await expect(acquireLock(dir, { purpose: "cli" })).rejects.toThrow(/on host elsewhere .*another host \(elsewhere\)/);
  });

  it("an unreadable lock is taken over only after a grace period", async () => {
    const dir = tempDir();
    const file = path.join(dir, LOCK_FILE);
    writeFileSync(file, "");
    await expect(acquireLock(dir, { purpose: "cli" })).rejects.toThrow(/a process whose lock file is unreadable/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    const lock = await acquireLock(dir, { purpose: "cli" });
    await lock.release();
  });

  it("four openers racing for a stale lock: exactly one wins", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: await deadPid(), hostname: hostname(), startedAt: "x", purpose: "daemon" }));
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => acquireLock(dir, { purpose: `racer ${n}`, pid: 1_000_000 + n, isAlive: (p) => p > 1_000_000 })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason)).toSatisfy((errors: unknown[]) =>
      errors.every((e) => e instanceof StoreLockedError),
    );
  });

  it("across processes: a live holder refuses us; after it is killed its lock is stale and taken over", async () => {
    const dir = tempDir();
    const holder = await startHolder(dir);
    try {
      const error = await acquireLock(dir, { purpose: "test" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreLockedError);
      expect((error as Error).message).toContain(`pid ${holder.pid} (daemon (test holder))`);
      expect((await readLock(dir))?.alive).toBe(true);
    } finally {
      await holder.kill();
    }
    expect((await readLock(dir))?.alive).toBe(false);
    const { seen, logger } = warnings();
    const lock = await acquireLock(dir, { purpose: "test", logger });
    expect(seen[0]?.message).toContain(`pid ${holder.pid} is not running`);
    await lock.release();
  });
});

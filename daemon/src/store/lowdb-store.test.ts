import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { anIncident } from "../incidents/test-builders.js";
import { nodeFs, type DurableFs } from "./durable-adapter.js";
import { StoreChainMismatchError, StoreClosedError, StoreCorruptError, StoreIoError, StoreLockedError, StoreVersionError } from "./errors.js";
import { LOCK_FILE } from "./lock.js";
import { openLowdbStore, STORE_FILE, type OpenLowdbStoreParameters } from "./lowdb-store.js";
import { emptyStoreData, STORE_SCHEMA_VERSION } from "./schema.js";
import { MIGRATIONS } from "./migrations.js";
import { readStoreSnapshot } from "./snapshot.js";
import { startHolder, tempDir } from "./testing/spawn.js";

const NOW = new Date("2025-03-01T12:00:00.000Z");
const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as const;
const open = (dataDir: string, over: Partial<OpenLowdbStoreParameters> = {}) =>
  openLowdbStore({ dataDir, chainId: 31337, purpose: "test", clock: () => NOW, ...over });
const fileOf = (dir: string) => path.join(dir, STORE_FILE);
const onDisk = (dir: string) => JSON.parse(readFileSync(fileOf(dir), "utf8")) as unknown;

/** Counts durable writes (renames onto the store file). */
function countingFs(counter: { writes: number }): DurableFs {
  return { ...nodeFs, rename: async (a, b) => void (counter.writes++, await nodeFs.rename(a, b)) };
}

describe("openLowdbStore", () => {
  it("creates the data dir (0700) and an empty v1 store for the chain", async () => {
    const dir = path.join(tempDir(), "nested", "data");
    const store = await open(dir);
    expect(onDisk(dir)).toEqual(emptyStoreData(31337, NOW, false));
    expect(store.read()).toEqual(emptyStoreData(31337, NOW, false));
    expect((await import("node:fs")).statSync(dir).mode & 0o777).toBe(0o700);
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(true);
    await store.close();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it("update: a durable write per call, visible to read() and on disk, in call order", async () => {
    const dir = tempDir();
    const counter = { writes: 0 };
    const store = await open(dir, { fs: countingFs(counter) });
    counter.writes = 0;
    await Promise.all(Array.from({ length: 20 }, () => store.update((d) => void (d.chain.processedCount += 1))));
    expect(counter.writes).toBe(20);
    expect(store.read().chain.processedCount).toBe(20);
    expect((onDisk(dir) as { chain: { processedCount: number } }).chain.processedCount).toBe(20);
    const returned = await store.update((d) => d.chain.processedCount);
    expect(returned).toBe(20);
    expect(counter.writes).toBe(20); // nothing changed: no write
    await store.close();
  });

  it("a throwing mutator writes nothing and leaves the snapshot as it was", async () => {
    const dir = tempDir();
    const store = await open(dir);
    const before = readFileSync(fileOf(dir));
    await expect(
      store.update((d) => {
        d.chain.processedCount = 99;
        throw new Error("refused");
      }),
    ).rejects.toThrow("refused");
    expect(store.read().chain.processedCount).toBe(0);
    expect(readFileSync(fileOf(dir)).equals(before)).toBe(true);
    await store.update((d) => void (d.chain.processedCount = 1)); // the queue still works
    expect(store.read().chain.processedCount).toBe(1);
    await store.close();
  });

  it("refuses a result that breaks the schema, and async mutators", async () => {
    const store = await open(tempDir());
    await expect(store.update((d) => void ((d.chain as { processedCount: unknown }).processedCount = "x"))).rejects.toThrow(/store schema/);
    await expect(store.update((d) => void (d.chain.ring = [{ number: 2, hash: hash(2) }, { number: 1, hash: hash(1) }]))).rejects.toThrow(/ascending/);
    await expect(store.update(async () => {})).rejects.toThrow(/synchronous/);
    await store.close();
  });

  it("read() is deeply frozen", async () => {
    const store = await open(tempDir());
    const data = store.read();
    expect(() => void ((data.chain as { processedCount: number }).processedCount = 5)).toThrow(TypeError);
    expect(() => (data.chain.ring as unknown[]).push(1)).toThrow(TypeError);
    await store.close();
  });

  it("keeps the last ringSize blocks and the last findingsLimit findings", async () => {
    const store = await open(tempDir(), { ringSize: 3, findingsLimit: 2 });
    await store.update((d) => {
      for (let n = 1; n <= 5; n++) d.chain.ring.push({ number: n, hash: hash(n) });
      for (let n = 1; n <= 3; n++)
        d.findings.push({ detector: "x", key: `k${n}`, severity: "low", title: "t", summary: "s", layers: [], contracts: [], observedAt: NOW.toISOString() });
    });
    expect(store.read().chain.ring.map((b) => b.number)).toEqual([3, 4, 5]);
    expect(store.read().findings.map((f) => f.key)).toEqual(["k2", "k3"]);
    await store.close();
  });

  it("processedLog: kept with recordProcessed, dropped without, preserved when unspecified", async () => {
    const dir = tempDir();
    let store = await open(dir, { recordProcessed: true });
    await store.update((d) => void d.chain.processedLog?.push({ number: 1, hash: hash(1) }));
    await store.close();
    store = await open(dir); // a CLI opener: leaves it alone
    expect(store.read().chain.processedLog).toEqual([{ number: 1, hash: hash(1) }]);
    await store.update((d) => void (d.chain.processedCount = 1));
    expect(store.read().chain.processedLog).toHaveLength(1);
    await store.close();
    store = await open(dir, { recordProcessed: false });
    expect(store.read().chain.processedLog).toBeUndefined();
    await store.close();
  });

  it("persists incidents across reopen", async () => {
    const dir = tempDir();
    const incident = anIncident();
    let store = await open(dir);
    await store.update((d) => void (d.incidents[incident.id] = incident));
    await store.close();
    store = await open(dir);
    expect(store.read().incidents[incident.id]).toEqual(incident);
    expect((await readStoreSnapshot(dir))?.incidents[incident.id]).toEqual(incident);
    await store.close();
  });

  it("refuses a corrupt store file, bytes unchanged, lock released", async () => {
    const dir = tempDir();
    await (await open(dir)).close();
    writeFileSync(fileOf(dir), '{"schemaVersion":1,"chain":{"chainId":31337,"ring":[], "processedCount": -1}');
    const before = readFileSync(fileOf(dir));
    const error = await open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreCorruptError);
    expect((error as Error).message).toContain(fileOf(dir));
    expect((error as Error).message).toMatch(/not valid JSON: /);
    expect(readFileSync(fileOf(dir)).equals(before)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([STORE_FILE]); // no temp file, no backup, no lock left
    await expect(readStoreSnapshot(dir)).rejects.toBeInstanceOf(StoreCorruptError);

    // Valid JSON, invalid content: every problem by path.
    writeFileSync(fileOf(dir), JSON.stringify({ ...emptyStoreData(31337, NOW, false), chain: { chainId: 31337, ring: [{ number: -1, hash: "0x1" }], processedCount: 0 } }));
    const before2 = readFileSync(fileOf(dir));
    await expect(open(dir)).rejects.toThrow(/chain\.ring\[0\]\.number: expected a number >= 0, got -1\n {2}- chain\.ring\[0\]\.hash: expected a 32-byte hex hash, got "0x1"/);
    expect(readFileSync(fileOf(dir)).equals(before2)).toBe(true);
  });

  it("refuses a store written by a newer Guardian", async () => {
    const dir = tempDir();
    writeFileSync(fileOf(dir), JSON.stringify({ ...emptyStoreData(31337, NOW, false), schemaVersion: STORE_SCHEMA_VERSION + 1 }));
    await expect(open(dir)).rejects.toThrow(StoreVersionError);
    await expect(open(dir)).rejects.toThrow(new RegExp(`schemaVersion ${STORE_SCHEMA_VERSION + 1}, but this Guardian knows versions up to ${STORE_SCHEMA_VERSION}`));
  });

  it("migrates an older store and keeps a backup of the original", async () => {
    const dir = tempDir();
    const v0 = { schemaVersion: 0, chainId: 31337, incidents: {} };
    writeFileSync(fileOf(dir), JSON.stringify(v0));
    const store = await open(dir, {
      migrations: { ...MIGRATIONS, 0: (d) => ({ ...emptyStoreData(d.chainId as number, NOW, false), schemaVersion: 1, incidents: d.incidents }) },
    });
    expect(store.read().schemaVersion).toBe(STORE_SCHEMA_VERSION);
    expect((onDisk(dir) as { schemaVersion: number }).schemaVersion).toBe(STORE_SCHEMA_VERSION);
    expect(JSON.parse(readFileSync(path.join(dir, "store.v0.json.bak"), "utf8"))).toEqual(v0);
    await store.close();
  });

  it("refuses a store of another chain", async () => {
    const dir = tempDir();
    await (await open(dir)).close();
    await expect(open(dir, { chainId: 138 })).rejects.toThrow(StoreChainMismatchError);
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it("a second opener is refused naming the holder; after close it is free", async () => {
    const dir = tempDir();
    const first = await open(dir, { purpose: "daemon" });
    await expect(open(dir, { purpose: "cli" })).rejects.toThrow(new RegExp(`locked by pid ${process.pid} \\(daemon\\)`));
    await first.close();
    await expect(first.update(() => {})).rejects.toBeInstanceOf(StoreClosedError);
    await (await open(dir)).close();
  });

  it("across processes: a holder that shuts down cleanly leaves the directory free, without warnings", async () => {
    const dir = tempDir();
    const holder = await startHolder(dir);
    await holder.stop();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    const warned: string[] = [];
    await (await open(dir, { logger: { warn: (_d, m) => void warned.push(m) } })).close();
    expect(warned).toEqual([]);
  });

  it("across processes: refused while another process holds it; taken over after that process is killed", async () => {
    const dir = tempDir();
    const holder = await startHolder(dir);
    const error = await open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreLockedError);
    expect((error as StoreLockedError).holder?.pid).toBe(holder.pid);
    expect((error as Error).message).toContain("(daemon (test holder))");
    await holder.kill();
    const warned: string[] = [];
    const store = await open(dir, { logger: { warn: (_d, m) => void warned.push(m) } });
    expect(warned).toEqual([expect.stringContaining(`pid ${holder.pid} is not running`)]);
    await store.close();
  });
});

/** The real fs, except that writing a file whose name passes `fails` runs out of space (ENOSPC). */
function diskFullFs(fails: (file: string) => boolean): DurableFs {
  return {
    ...nodeFs,
    async open(file, flags, mode) {
      const handle = await nodeFs.open(file, flags, mode);
      if (!fails(file)) return handle;
      return {
        writeFile: async () => {
          throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", errno: -28, syscall: "write" });
        },
        sync: () => handle.sync(),
        close: () => handle.close(),
      };
    },
  };
}

describe("openLowdbStore: I/O failures name the path and leave nothing behind", () => {
  it("disk full while writing the lock: the error names guardian.lock, and no empty lock file is left", async () => {
    const dir = tempDir();
    const error = await open(dir, { fs: diskFullFs((f) => path.basename(f) === LOCK_FILE) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreIoError);
    expect((error as StoreIoError).code).toBe("ENOSPC");
    expect((error as Error).message).toContain(path.join(dir, LOCK_FILE));
    expect((error as Error).message).toContain("the disk is full");
    expect(readdirSync(dir)).toEqual([]);
    // Space is back: the next opener is not blocked by a left-over lock.
    await (await open(dir)).close();
  });

  it("disk full while writing the store: the error names store.json; no lock and no temp file are left; the old file is intact", async () => {
    const dir = tempDir();
    const fresh = await open(dir, { fs: diskFullFs((f) => f.endsWith(".tmp")) }).catch((e: unknown) => e);
    expect(fresh).toBeInstanceOf(StoreIoError);
    expect((fresh as Error).message).toMatch(new RegExp(`^cannot write ${fileOf(dir).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} .*ENOSPC`));
    expect(readdirSync(dir)).toEqual([]);

    const store = await open(dir);
    const before = readFileSync(fileOf(dir), "utf8");
    await store.close();
    const full = await open(dir, { fs: diskFullFs((f) => f.endsWith(".tmp")), recordProcessed: true }).catch((e: unknown) => e);
    expect((full as Error).message).toContain(fileOf(dir));
    expect(readFileSync(fileOf(dir), "utf8")).toBe(before);
    expect(readdirSync(dir)).toEqual([STORE_FILE]);
  });

  it("a store path that is a directory: the error names it (open and snapshot), lock released", async () => {
    const dir = tempDir();
    mkdirSync(fileOf(dir));
    const error = await open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreIoError);
    expect((error as Error).message).toBe(
      `cannot read ${fileOf(dir)}: EISDIR: illegal operation on a directory, read (it is a directory, not a file)`,
    );
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    await expect(readStoreSnapshot(dir)).rejects.toThrow(`cannot read ${fileOf(dir)}: EISDIR`);
    // A data directory that is a file.
    const file = path.join(tempDir(), "not-a-dir");
    writeFileSync(file, "");
    await expect(open(file)).rejects.toThrow(file);
    await expect(readStoreSnapshot(file)).rejects.toThrow(`cannot read ${path.join(file, STORE_FILE)}: ENOTDIR`);
  });

  it("readStoreSnapshot refuses another chain's store when given the chain id", async () => {
    const dir = tempDir();
    await (await open(dir)).close();
    expect((await readStoreSnapshot(dir, { chainId: 31337 }))?.chain.chainId).toBe(31337);
    await expect(readStoreSnapshot(dir, { chainId: 138 })).rejects.toThrow(
      `store file ${fileOf(dir)} belongs to chain 31337, but the config is for chain 138: use a separate data directory per chain.`,
    );
  });
});

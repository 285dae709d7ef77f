/**
 * The embedded store: the hot state in one JSON file (`<dataDir>/store.json`)
 * through lowdb with Guardian's durable adapter, history in append-only
 * monthly files (`<dataDir>/history/`, history.ts), guarded by the data
 * directory's lock.
 *
 * A commit appends what it archives to history first (fsynced), then replaces
 * store.json. A crash between the two leaves an incident both in history and
 * in the hot file: the hot copy wins, and the next commit archives it again
 * (history's last line wins). Archived findings may then be repeated once.
 */
import { copyFile, constants as fsConstants, mkdir } from "node:fs/promises";
import path from "node:path";
import { Low } from "lowdb";
import { formatIssues } from "../config/issues.js";
import { DurableJsonFile, type DurableFs } from "./durable-adapter.js";
import { StoreChainMismatchError, StoreClosedError, StoreIoError } from "./errors.js";
import { DEFAULT_ARCHIVE_AFTER_MS, takeArchivableIncidents, takeOverflowFindings } from "./archive.js";
import { FileHistory } from "./history.js";
import { acquireLock, type LockInfo, type StoreLogger } from "./lock.js";
import { MIGRATIONS, type Migration } from "./migrations.js";
import { emptyStoreData, STORE_SCHEMA_VERSION, storeDataSchema, type StoreData } from "./schema.js";
import type { GuardianStore, UpdateOptions } from "./store.js";

export const STORE_FILE = "store.json";
export const DEFAULT_RING_SIZE = 128;
/** Findings kept hot; older ones move to history (history/findings-YYYY-MM.jsonl). */
export const DEFAULT_FINDINGS_LIMIT = 1000;

export interface OpenLowdbStoreParameters {
  /** Created (mode 0700) if missing. */
  dataDir: string;
  /** The chain this store belongs to; a store of another chain is refused. */
  chainId: number;
  /** Recorded in the lock file, e.g. "daemon" or "cli incident trigger". */
  purpose: string;
  /** chain.ring keeps at most this many blocks (the oldest are dropped). Default 128 (config.follower.ringSize). */
  ringSize?: number;
  /** findings keeps at most this many hot. Default 1000. */
  findingsLimit?: number;
  /** A post-review incident untouched this long moves to history. Default a day (config.store.archiveAfterHours). */
  archiveAfterMs?: number;
  /** At most this many post-review incidents stay hot (the newest). Default 20. */
  maxClosedHot?: number;
  /**
   * true: keep chain.processedLog (every processed block; tests prove
   * exactly-once with it); false: drop it; undefined (default): leave the
   * file as it is (what a CLI opener wants, so it never drops the daemon's log).
   */
  recordProcessed?: boolean;
  /** Wait this long (ms) for a live lock to be released; default 0. */
  lockWaitMs?: number;
  logger?: StoreLogger;
  clock?: () => Date;
  /** Test seams: `fs` writes the store file and creates the lock file. */
  fs?: DurableFs;
  migrations?: Readonly<Record<number, Migration>>;
}

export interface LowdbStore extends GuardianStore {
  readonly file: string;
  readonly dataDir: string;
  readonly lock: LockInfo;
  readonly history: FileHistory;
}

/**
 * Opens (creating if needed) the store of `dataDir`.
 *
 * 1. Create the data directory; take its lock (stale locks are taken over with a warning).
 * 2. Read store.json: missing → create an empty store for `chainId`; corrupt →
 *    StoreCorruptError (file untouched); newer version → StoreVersionError;
 *    older → migrate (a copy of the old file is kept as store.v<N>.json.bak).
 * 3. Refuse a store of another chain. Scan history/ (its index stays in memory).
 * 4. Archive what is due (a migrated version-1 file moves its closed incidents here).
 * On any error the lock is released again.
 *
 * @throws StoreLockedError | StoreCorruptError | StoreVersionError | StoreChainMismatchError
 *
 * @example
 * const store = await openLowdbStore({ dataDir: config.dataDir, chainId: config.chainId, purpose: "daemon",
 *   ringSize: config.follower.ringSize, logger });
 * await store.update((draft) => { draft.chain.processedCount += 1; });
 * await store.close();
 */
export async function openLowdbStore(parameters: OpenLowdbStoreParameters): Promise<LowdbStore> {
  const dataDir = path.resolve(parameters.dataDir);
  const clock = parameters.clock ?? (() => new Date());
  const ringSize = parameters.ringSize ?? DEFAULT_RING_SIZE;
  const findingsLimit = parameters.findingsLimit ?? DEFAULT_FINDINGS_LIMIT;
  const recordProcessed = parameters.recordProcessed;
  const archiveAfterMs = parameters.archiveAfterMs ?? DEFAULT_ARCHIVE_AFTER_MS;

  // 1. Directory and lock.
  await mkdir(dataDir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
    throw new StoreIoError(dataDir, `create the data directory ${dataDir}`, error);
  });
  const lock = await acquireLock(dataDir, {
    purpose: parameters.purpose,
    ...(parameters.fs ? { fs: parameters.fs } : {}),
    waitMs: parameters.lockWaitMs ?? 0,
    clock,
    ...(parameters.logger ? { logger: parameters.logger } : {}),
  });

  try {
    // 2. Read, create or migrate.
    const file = path.join(dataDir, STORE_FILE);
    const adapter = new DurableJsonFile<StoreData>(file, {
      schema: storeDataSchema,
      version: STORE_SCHEMA_VERSION,
      migrations: parameters.migrations ?? MIGRATIONS,
      ...(parameters.fs ? { fs: parameters.fs } : {}),
    });
    const db = new Low<StoreData>(adapter, emptyStoreData(parameters.chainId, clock(), recordProcessed === true));
    await db.read();
    const existed = adapter.found;
    if (adapter.migratedFrom !== undefined) {
      await copyFile(file, path.join(dataDir, `store.v${adapter.migratedFrom}.json.bak`), fsConstants.COPYFILE_EXCL).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "EEXIST") throw new StoreIoError(dataDir, `keep a copy of ${file} before migrating it`, error);
      });
    }

    // 3. Right chain?
    if (db.data.chain.chainId !== parameters.chainId)
      throw new StoreChainMismatchError(file, parameters.chainId, db.data.chain.chainId);

    const history = await FileHistory.open(dataDir, parameters.logger ? { warn: (msg, fields) => parameters.logger!.warn(fields ?? {}, msg) } : {});
    history.forget(Object.keys(db.data.incidents));

    /** Bounds the hot state; returns what leaves it for history. */
    const normalize = (draft: StoreData) => {
      if (draft.chain.ring.length > ringSize) draft.chain.ring = draft.chain.ring.slice(-ringSize);
      if (recordProcessed === true) draft.chain.processedLog ??= [];
      else if (recordProcessed === false) delete draft.chain.processedLog;
      return { incidents: takeArchivableIncidents(draft, clock(), archiveAfterMs, parameters.maxClosedHot), findings: takeOverflowFindings(draft, findingsLimit) };
    };
    const archive = async (moved: ReturnType<typeof normalize>) => {
      if (moved.findings.length > 0) await history.appendFindings(moved.findings);
      if (moved.incidents.length > 0) await history.appendIncidents(moved.incidents);
    };

    let snapshot: Readonly<StoreData>;
    let lastText: string;
    {
      const initial = structuredClone(db.data);
      const moved = normalize(initial);
      const text = serialize(initial);
      if (!existed || adapter.migratedFrom !== undefined || text !== serialize(db.data)) {
        await archive(moved);
        await adapter.writeText(text);
      }
      snapshot = deepFreeze(initial);
      lastText = text;
    }

    let queue: Promise<unknown> = Promise.resolve();
    let closed = false;

    const store: LowdbStore = {
      file,
      dataDir,
      lock: lock.info,
      history,
      read() {
        if (closed) throw new StoreClosedError();
        return snapshot;
      },
      update<R>(mutator: (draft: StoreData) => R, options: UpdateOptions = {}): Promise<R> {
        if (closed) return Promise.reject(new StoreClosedError());
        const run = async (): Promise<R> => {
          const draft = structuredClone(snapshot) as StoreData;
          const restored = new Map<string, string>();
          for (const id of options.restore ?? []) {
            if (Object.hasOwn(draft.incidents, id)) continue;
            const incident = await history.get(id);
            if (incident === undefined) throw new TypeError(`store.update: no archived incident ${id} to restore`);
            draft.incidents[id] = incident;
            restored.set(id, JSON.stringify(incident));
          }
          const result = mutator(draft);
          if (result instanceof Promise) throw new TypeError("store.update: the mutator must be synchronous");
          if (draft.chain.chainId !== snapshot.chain.chainId) throw new TypeError("store.update: chain.chainId cannot change");
          // Checked before anything leaves for history: what is archived passed the schema too.
          const checked = storeDataSchema.safeParse(draft, { reportInput: true });
          if (!checked.success)
            throw new TypeError(`store.update: the result does not match the store schema: ${formatIssues(checked.error.issues).join("; ")}`);
          const moved = normalize(checked.data);
          // A restored incident the mutator left alone is still in history as it is: nothing to append.
          moved.incidents = moved.incidents.filter((i) => restored.get(i.id) !== JSON.stringify(i));
          const text = serialize(checked.data);
          if (moved.incidents.length > 0 || moved.findings.length > 0) await archive(moved);
          if (text !== lastText) {
            await adapter.writeText(text);
            history.forget([...restored.keys()].filter((id) => Object.hasOwn(checked.data.incidents, id)));
            lastText = text;
            snapshot = deepFreeze(checked.data);
            db.data = checked.data;
          }
          return result;
        };
        const next = queue.then(run, run);
        queue = next.catch(() => undefined);
        return next;
      },
      async close() {
        if (closed) return;
        closed = true;
        await queue;
        await lock.release();
      },
    };
    return store;
  } catch (error) {
    await lock.release();
    throw error;
  }
}

function serialize(data: StoreData): string {
  return `${JSON.stringify(data)}\n`;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

import path from "node:path";
import { DurableJsonFile } from "./durable-adapter.js";
import { StoreChainMismatchError } from "./errors.js";
import { MIGRATIONS } from "./migrations.js";
import { STORE_FILE } from "./lowdb-store.js";
import { STORE_SCHEMA_VERSION, storeDataSchema, type StoreData } from "./schema.js";
import { FileHistory } from "./history.js";
import type { GuardianStore } from "./store.js";

/**
 * Reads `<dataDir>/store.json` without taking the lock (for `incident list`
 * and `show` while the daemon runs): writes replace the file atomically, so
 * a reader sees a complete old or new version. Undefined when there is no
 * store yet. With `chainId` (every command passes the config's), a store
 * recorded for another chain is refused.
 *
 * @throws StoreCorruptError | StoreVersionError | StoreChainMismatchError | StoreIoError (naming the path)
 */
export async function readStoreSnapshot(dataDir: string, options: { chainId?: number } = {}): Promise<Readonly<StoreData> | undefined> {
  const file = path.join(path.resolve(dataDir), STORE_FILE);
  const adapter = new DurableJsonFile<StoreData>(file, {
    schema: storeDataSchema,
    version: STORE_SCHEMA_VERSION,
    migrations: MIGRATIONS,
  });
  const data = (await adapter.read()) ?? undefined;
  if (data !== undefined && options.chainId !== undefined && data.chain.chainId !== options.chainId)
    throw new StoreChainMismatchError(file, options.chainId, data.chain.chainId);
  return data;
}

/** A read-only view of a data directory: the hot snapshot and its history (what the CLI reads while the daemon runs). */
export type StoreView = Pick<GuardianStore, "read" | "history">;

/**
 * The hot snapshot and the history of `dataDir`, read without the lock
 * (history files are append-only; a line being appended is skipped).
 * Undefined when there is no store yet.
 */
export async function readStoreView(dataDir: string, options: { chainId?: number } = {}): Promise<StoreView | undefined> {
  const data = await readStoreSnapshot(dataDir, options);
  if (data === undefined) return undefined;
  const history = await FileHistory.open(path.resolve(dataDir));
  history.forget(Object.keys(data.incidents));
  return { read: () => data, history };
}

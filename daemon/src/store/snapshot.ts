import path from "node:path";
import { DurableJsonFile } from "./durable-adapter.js";
import { MIGRATIONS } from "./migrations.js";
import { STORE_FILE } from "./lowdb-store.js";
import { STORE_SCHEMA_VERSION, storeDataSchema, type StoreData } from "./schema.js";

/**
 * Reads `<dataDir>/store.json` without taking the lock (for `incident list`
 * and `show` while the daemon runs): writes replace the file atomically, so
 * a reader sees a complete old or new version. Undefined when there is no
 * store yet.
 *
 * @throws StoreCorruptError | StoreVersionError
 */
export async function readStoreSnapshot(dataDir: string): Promise<Readonly<StoreData> | undefined> {
  const adapter = new DurableJsonFile<StoreData>(path.join(path.resolve(dataDir), STORE_FILE), {
    schema: storeDataSchema,
    version: STORE_SCHEMA_VERSION,
    migrations: MIGRATIONS,
  });
  return (await adapter.read()) ?? undefined;
}

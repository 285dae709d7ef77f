/**
 * The store: the only code that touches the data directory.
 *
 *     <dataDir>/store.json      the hot StoreData (schema.ts), durable writes (durable-adapter.ts)
 *     <dataDir>/history/        archived incidents and findings, append-only monthly files (history.ts)
 *     <dataDir>/guardian.lock   the one writer's lock (lock.ts)
 *     <dataDir>/admin.json      the running daemon's admin endpoint (runtime-files.ts)
 *     <dataDir>/admin.token     its generated bearer token, mode 0600
 */
export { EMPTY_HISTORY, findStoredIncident, findingsOfIncident, incidentsWithHistory, type GuardianStore, type IncidentHistory, type IncidentPage, type UpdateOptions } from "./store.js";
export { FileHistory, HISTORY_DIR } from "./history.js";
export { DEFAULT_ARCHIVE_AFTER_MS, takeArchivableIncidents, takeOverflowFindings } from "./archive.js";
export { openLowdbStore, STORE_FILE, DEFAULT_RING_SIZE, DEFAULT_FINDINGS_LIMIT, type LowdbStore, type OpenLowdbStoreParameters } from "./lowdb-store.js";
export { readStoreSnapshot, readStoreView, type StoreView } from "./snapshot.js";
export {
  STORE_SCHEMA_VERSION,
  emptyStoreData,
  storeDataSchema,
  incidentSchema,
  type StoreData,
  type BlockId,
  type ChainCheckpoint,
  type OutboxItem,
} from "./schema.js";
export { DurableJsonFile, nodeFs, syncDirectory, writeFileDurably, type DurableFs, type DurableFileHandle, type DurableJsonFileOptions } from "./durable-adapter.js";
export { acquireLock, readLock, isProcessAlive, LOCK_FILE, type LockFs, type LockFileHandle, type LockInfo, type LockHandle, type LockStatus, type StoreLogger } from "./lock.js";
export { StoreIoError, StoreCorruptError, StoreLockedError, StoreVersionError, StoreChainMismatchError, StoreClosedError } from "./errors.js";
export { MIGRATIONS, type Migration } from "./migrations.js";
export {
  ADMIN_INFO_FILE,
  ADMIN_TOKEN_FILE,
  findRunningDaemon,
  generateAdminToken,
  publishAdminEndpoint,
  readAdminEndpoint,
  readAdminToken,
  unpublishAdminEndpoint,
  type AdminEndpointInfo,
  type RunningDaemon,
} from "./runtime-files.js";

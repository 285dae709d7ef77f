/**
 * The PostgreSQL store (replicas on one database): see postgres-store.ts,
 * the lease (lease.ts) and the schema (migrations.ts); docs/POSTGRES.md.
 */
export {
  openPostgresStore,
  DEFAULT_POSTGRES_SCHEMA,
  HISTORY_PAGE_MAX,
  type OpenPostgresStoreParameters,
  type PostgresStore,
  type PostgresLease,
} from "./postgres-store.js";
export { StoreFencedError, PostgresStoreError, type LeaseState } from "./errors.js";
export { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION, migrate, schemaVersion, quoteSchema, type PostgresMigration } from "./migrations.js";
export { RequestQueue, type QueuedRequest, type RequestOp } from "./requests.js";

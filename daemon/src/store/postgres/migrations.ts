/**
 * The PostgreSQL store's schema, as numbered migrations. Migration n brings
 * a schema at version n-1 to version n; each runs in its own transaction
 * with its row in `guardian_schema`, so a crash leaves a whole version or
 * none. Openers serialise on an advisory lock, so two replicas starting
 * together never migrate twice. A schema newer than this code knows is
 * refused (StoreVersionError), never touched.
 */
import type pg from "pg";
import { StoreVersionError } from "../errors.js";

export interface PostgresMigration {
  version: number;
  description: string;
  /** SQL statements; `S` is replaced by the quoted schema name. */
  statements: readonly string[];
}

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = Object.freeze([
  {
    version: 1,
    description: "tables by kind of record, and the lease",
    statements: [
      // The checkpoint: one row (the chain, the processed count), the ring's blocks as rows.
      `CREATE TABLE S.checkpoint (
         id smallint PRIMARY KEY CHECK (id = 1),
         chain_id bigint NOT NULL,
         processed_count bigint NOT NULL,
         record_processed boolean NOT NULL)`,
      `CREATE TABLE S.checkpoint_ring (number bigint PRIMARY KEY, hash text NOT NULL)`,
      `CREATE TABLE S.detector_state (id smallint PRIMARY KEY CHECK (id = 1), state jsonb NOT NULL)`,
      // Incidents: hot (open, recent) and archived alike; ids compared bytewise so that a prefix search uses the key.
      `CREATE TABLE S.incidents (
         id text COLLATE "C" PRIMARY KEY,
         key text NOT NULL,
         occurrence integer NOT NULL,
         state text NOT NULL,
         created_at timestamptz NOT NULL,
         archived boolean NOT NULL DEFAULT false,
         body jsonb NOT NULL)`,
      `CREATE INDEX incidents_key ON S.incidents (key, occurrence)`,
      `CREATE INDEX incidents_archived_created ON S.incidents (created_at DESC, id DESC) WHERE archived`,
      `CREATE INDEX incidents_hot ON S.incidents (created_at, id) WHERE NOT archived`,
      // Findings: every one ever recorded; `hot` marks the store's bounded recent list.
      `CREATE TABLE S.findings (seq bigserial PRIMARY KEY, hot boolean NOT NULL DEFAULT true, body jsonb NOT NULL)`,
      `CREATE INDEX findings_hot ON S.findings (seq) WHERE hot`,
      `CREATE TABLE S.outbox (id text PRIMARY KEY, seq bigserial NOT NULL, body jsonb NOT NULL)`,
      // Every other top-level record of the store (publish, notify, meta, ...).
      `CREATE TABLE S.kv (key text PRIMARY KEY, value jsonb NOT NULL)`,
      // Tests' exactly-once evidence: appended; blocks a reorg dropped are marked, not deleted.
      `CREATE TABLE S.processed_log (seq bigserial PRIMARY KEY, number bigint NOT NULL, hash text NOT NULL, dropped boolean NOT NULL DEFAULT false)`,
      `CREATE TABLE S.guardian_lease (
         id smallint PRIMARY KEY CHECK (id = 1),
         holder text,
         term bigint NOT NULL DEFAULT 0,
         expires_at timestamptz NOT NULL DEFAULT '-infinity')`,
      `INSERT INTO S.guardian_lease (id) VALUES (1)`,
    ],
  },
  {
    version: 2,
    description: "incident requests queued for the leading replica",
    statements: [
      // `guardian incident …` while another process leads: the leader applies each once (StoreData.requests) and deletes it.
      `CREATE TABLE S.incident_requests (
         id text PRIMARY KEY,
         created_at timestamptz NOT NULL DEFAULT now(),
         op text NOT NULL CHECK (op IN ('trigger', 'update', 'acknowledge', 'publish')),
         target text,
         body jsonb NOT NULL)`,
    ],
  },
]);

export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS.at(-1)!.version;

/** A PostgreSQL identifier, quoted. Only plain lower-case names are accepted (they are written into SQL). */
export function quoteSchema(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name))
    throw new TypeError(`store.schema: expected a PostgreSQL schema name of lower-case letters, digits and _ (at most 63, not starting with a digit), got ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/** The version of the schema `schema` is at (0: empty), read without changing anything. */
export async function schemaVersion(client: pg.PoolClient | pg.Client, schema: string): Promise<number> {
  const exists = await client.query<{ present: boolean }>(
    "SELECT to_regclass($1) IS NOT NULL AS present", [`${quoteSchema(schema)}.guardian_schema`]);
  if (!exists.rows[0]?.present) return 0;
  const found = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${quoteSchema(schema)}.guardian_schema`);
  return found.rows[0]?.version ?? 0;
}

/**
 * Brings `schema` to the last version of `migrations`, creating it if
 * needed; returns the version it was at. A version above the last one is
 * refused with StoreVersionError naming the schema.
 *
 * @throws StoreVersionError
 */
export async function migrate(client: pg.PoolClient | pg.Client, schema: string, migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS): Promise<number> {
  const S = quoteSchema(schema);
  const supported = migrations.at(-1)?.version ?? 0;
  await client.query("SELECT pg_advisory_lock(hashtext($1))", [`guardian-migrate:${schema}`]);
  try {
    const from = await schemaVersion(client, schema);
    if (from > supported)
      throw new StoreVersionError(
        `PostgreSQL schema ${schema}`,
        from,
        supported,
        `PostgreSQL schema ${schema} is at version ${from}, but this Guardian knows versions up to ${supported}: upgrade Guardian (a database is never downgraded).`,
      );
    for (const migration of migrations) {
      if (migration.version <= from) continue;
      await client.query("BEGIN");
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${S}`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${S}.guardian_schema (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
        for (const statement of migration.statements) await client.query(statement.replace(/(?<![A-Za-z0-9_])S\./g, `${S}.`));
        await client.query(`INSERT INTO ${S}.guardian_schema (version, description) VALUES ($1, $2)`, [migration.version, migration.description]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    }
    return from;
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtext($1))", [`guardian-migrate:${schema}`]).catch(() => undefined);
  }
}

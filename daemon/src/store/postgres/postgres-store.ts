/**
 * The PostgreSQL store: the same GuardianStore as the embedded one, for
 * replicas sharing one database. Records live in tables by kind
 * (migrations.ts); the hot state (checkpoint ring, detector state, incidents
 * not archived, the recent findings, the outbox, key/value records) is kept
 * in memory, so `read()` stays synchronous, and each `update` writes only
 * what changed (changes.ts) in ONE transaction.
 *
 * Optionally fenced by the lease (lease.ts): every write transaction first
 * locks the lease row and rolls back with StoreFencedError unless this store
 * holds the lease under its term and it has not expired; a commit extends it.
 *
 * The database URL is a secret (it may hold a password): it is never
 * logged, and errors name the server by scheme, host and port only.
 */
import pg from "pg";
import { formatIssues } from "../../config/issues.js";
import type { BlockId, FindingRecord, Incident } from "../../types.js";
import { cloneJson, cloneWithOrigins, diffStoreData, isEmptyChangeSet, SPLIT_KEYS, type FindingOrigin, type StoreChanges } from "../changes.js";
import { StoreChainMismatchError, StoreClosedError, StoreVersionError } from "../errors.js";
import type { StoreLogger } from "../lock.js";
import { STORE_SCHEMA_VERSION, storeDataSchema, type OutboxItem, type StoreData } from "../schema.js";
import type { GuardianStore, IncidentHistory, UpdateOptions } from "../store.js";
import { PostgresStoreError, redactSecret, StoreFencedError, type LeaseState } from "./errors.js";
import { acquireLease, readLease, releaseLease, renewLease } from "./lease.js";
import { migrate, POSTGRES_MIGRATIONS, quoteSchema, type PostgresMigration } from "./migrations.js";

export const DEFAULT_POSTGRES_SCHEMA = "guardian";
/** The SQLSTATE a write transaction aborts with when the lease check fails (a class of our own). */
const FENCED_SQLSTATE = "GF001";
const DEFAULT_RING_SIZE = 128;
const DEFAULT_FINDINGS_LIMIT = 1000;
/** history.list returns at most this many incidents a page. */
export const HISTORY_PAGE_MAX = 1000;

export interface PostgresLease {
  readonly holder: string;
  readonly ttlMs: number;
  /** The term this store holds as far as it knows (undefined: not held, or lost at the last check). */
  held(): number | undefined;
  /** Takes the lease if free, expired or already ours; the term held, or undefined when another replica holds it. */
  acquire(): Promise<number | undefined>;
  /** Extends our lease; false when it was lost (taken, or expired: acquire again, under a new term). */
  renew(): Promise<boolean>;
  /** Gives it up at once (on a clean shutdown): a standby may take over without waiting for expiry. */
  release(): Promise<void>;
  /** The lease as the database holds it now. */
  current(): Promise<LeaseState>;
}

export interface PostgresStore extends GuardianStore {
  /** Present when opened with `lease`: then every write is fenced by it. */
  readonly lease: PostgresLease | undefined;
  /** The PostgreSQL schema holding this chain's tables. */
  readonly schema: string;
  /** Reloads the hot state from the database (a standby keeps warm; a new leader starts from what the last one committed). */
  refresh(): Promise<void>;
}

export interface OpenPostgresStoreParameters {
  /** postgres://user:password@host:port/database — a secret (GUARDIAN_DATABASE_URL). */
  url: string;
  /** The chain this store belongs to; a schema holding another chain is refused. */
  chainId: number;
  /** Shown as the connections' application_name, e.g. "daemon" or "cli incident trigger". */
  purpose: string;
  /** PostgreSQL schema for this chain's tables (one chain per schema). Default "guardian". */
  schema?: string;
  /** chain.ring keeps at most this many blocks. Default 128. */
  ringSize?: number;
  /** The hot findings list keeps at most this many (older ones stay in the findings table). Default 1000. */
  findingsLimit?: number;
  /** true: keep chain.processedLog; false: drop it; undefined: as the database has it (see openLowdbStore). */
  recordProcessed?: boolean;
  /**
   * Fencing: writes only while this store holds the lease under its term
   * (`store.lease.acquire()` first). `holder` names this replica (unique:
   * host, pid and a random part); `ttlMs` is the lease length.
   */
  lease?: { holder: string; ttlMs: number };
  /** Runs after every mutator, before the schema check (e.g. moving old post-review incidents out of the hot map). */
  normalize?: (draft: StoreData) => void;
  /** Connections in the pool. Default 4. */
  poolSize?: number;
  logger?: StoreLogger;
  clock?: () => Date;
  /** Test seam. */
  migrations?: readonly PostgresMigration[];
}

/** What the store keeps beside the hot snapshot to map it onto rows. */
interface HotState {
  data: Readonly<StoreData>;
  /** findings[i] is row findingSeqs[i]. */
  findingSeqs: number[];
  /** chain.processedLog[i] is row processedSeqs[i]. */
  processedSeqs: number[];
  archivedCount: number;
  lastOccurrence: Map<string, number>;
  /** Rows loaded beyond this opener's ring size and findings limit, for the next commit to take out of the hot state. */
  trimmed?: { ring: number[]; findingSeqs: number[] };
}

/**
 * Opens the store of `chainId` in the database at `url`.
 *
 * 1. Connect (a pool: a dropped connection or a server restart is survived between updates).
 * 2. Migrate the schema (refusing a newer one), then create the chain's rows if the schema is empty.
 * 3. Refuse a schema holding another chain; load the hot state.
 *
 * @throws PostgresStoreError | StoreVersionError | StoreChainMismatchError
 *
 * @example
 * const store = await openPostgresStore({ url: process.env.GUARDIAN_DATABASE_URL!, chainId: 138, purpose: "daemon",
 *   lease: { holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, ttlMs: 6_000 } });
 * if ((await store.lease!.acquire()) !== undefined) await store.update((d) => void (d.chain.processedCount += 1));
 */
export async function openPostgresStore(parameters: OpenPostgresStoreParameters): Promise<PostgresStore> {
  const { url, chainId } = parameters;
  const schema = parameters.schema ?? DEFAULT_POSTGRES_SCHEMA;
  const S = quoteSchema(schema);
  const clock = parameters.clock ?? (() => new Date());
  const ringSize = parameters.ringSize ?? DEFAULT_RING_SIZE;
  const findingsLimit = parameters.findingsLimit ?? DEFAULT_FINDINGS_LIMIT;
  const recordProcessed = parameters.recordProcessed;
  const leaseConfig = parameters.lease;
  if (leaseConfig && (!Number.isInteger(leaseConfig.ttlMs) || leaseConfig.ttlMs < 100))
    throw new TypeError(`lease.ttlMs: expected an integer of at least 100 (ms), got ${leaseConfig.ttlMs}`);
  if (leaseConfig && !/^[\x21-\x23\x25-\x7e]{1,200}$/.test(leaseConfig.holder))
    throw new TypeError(`lease.holder: expected a name for this replica of 1 to 200 printable ASCII characters, no spaces or "$" (e.g. host:pid:random), got ${JSON.stringify(leaseConfig.holder.slice(0, 80))}`);

  const pool = new pg.Pool({
    connectionString: url,
    max: parameters.poolSize ?? 4,
    application_name: `guardian ${parameters.purpose}`.slice(0, 63),
    connectionTimeoutMillis: 15_000,
    keepAlive: true,
  });
  // An idle connection the server closed (restart, admin) must not crash the process: the pool drops it.
  pool.on("error", (error) => parameters.logger?.warn({ code: (error as { code?: string }).code, reason: redactSecret(error.message, url) }, "PostgreSQL closed an idle store connection"));

  const fail = (action: string) => (error: unknown): never => {
    // Guardian's own errors pass as they are; the driver's and the server's are named and redacted.
    if (error instanceof PostgresStoreError || error instanceof StoreFencedError || error instanceof StoreChainMismatchError || error instanceof StoreVersionError || error instanceof TypeError) throw error;
    throw new PostgresStoreError(action, url, error);
  };

  const withClient = async <T>(action: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect().catch(fail(`connect to ${action}`));
    // A connection lost while checked out (a server restart, pg_terminate_backend) fails the query in flight
    // AND emits 'error' on the client, which the pool listens to only while the client is idle: unheard,
    // that event would end the process. The query's own failure is what the caller gets.
    const lost = (error: Error) => parameters.logger?.warn({ code: (error as { code?: string }).code, reason: redactSecret(error.message, url) }, "PostgreSQL closed a store connection in use");
    client.on("error", lost);
    try {
      const result = await fn(client);
      client.removeListener("error", lost);
      client.release();
      return result;
    } catch (error) {
      // A connection that failed mid-way is not reused (it may be broken or in a transaction).
      client.removeListener("error", lost);
      client.release(error instanceof StoreFencedError ? undefined : true);
      return fail(action)(error);
    }
  };

  try {
    // 2. Schema, and the chain's rows.
    await withClient("migrate the store schema", (client) => migrate(client, schema, parameters.migrations ?? POSTGRES_MIGRATIONS));
    await withClient("initialise the store", async (client) => {
      await client.query("BEGIN");
      const inserted = await client.query(
        `INSERT INTO ${S}.checkpoint (id, chain_id, processed_count, record_processed) VALUES (1, $1, 0, $2) ON CONFLICT (id) DO NOTHING`,
        [chainId, recordProcessed === true],
      );
      if (inserted.rowCount === 1) {
        await client.query(`INSERT INTO ${S}.detector_state (id, state) VALUES (1, '{}')`);
        await client.query(`INSERT INTO ${S}.kv (key, value) VALUES ('meta', $1::jsonb)`, [JSON.stringify({ createdAt: clock().toISOString() })]);
      }
      const row = await client.query<{ chain_id: string; record_processed: boolean }>(`SELECT chain_id, record_processed FROM ${S}.checkpoint WHERE id = 1`);
      const { chain_id, record_processed } = row.rows[0]!;
      // 3. Right chain? (before anything else is written)
      if (Number(chain_id) !== chainId) {
        await client.query("ROLLBACK");
        throw chainMismatch(schema, chainId, Number(chain_id));
      }
      if (recordProcessed !== undefined && recordProcessed !== record_processed) {
        await client.query(`UPDATE ${S}.checkpoint SET record_processed = $1 WHERE id = 1`, [recordProcessed]);
        if (!recordProcessed) await client.query(`UPDATE ${S}.processed_log SET dropped = true WHERE NOT dropped`);
      }
      await client.query("COMMIT");
    });
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }

  const normalize = (draft: StoreData) => {
    parameters.normalize?.(draft);
    if (draft.chain.ring.length > ringSize) draft.chain.ring = draft.chain.ring.slice(-ringSize);
    if (draft.findings.length > findingsLimit) draft.findings.splice(0, draft.findings.length - findingsLimit);
    if (recordProcessed === true) draft.chain.processedLog ??= [];
    else if (recordProcessed === false) delete draft.chain.processedLog;
  };

  /** The hot state as loaded, within this opener's limits (the rows left out are written so by the next commit). */
  const load = async (action: string): Promise<HotState> => {
    const loaded = await withClient(action, (client) => loadHot(client, S));
    const { ring } = loaded.data.chain;
    const extraFindings = Math.max(0, loaded.data.findings.length - findingsLimit);
    if (ring.length <= ringSize && extraFindings === 0) return loaded;
    return {
      ...loaded,
      data: deepFreeze({ ...loaded.data, chain: { ...loaded.data.chain, ring: ring.slice(-ringSize) }, findings: loaded.data.findings.slice(extraFindings) }),
      findingSeqs: loaded.findingSeqs.slice(extraFindings),
      trimmed: { ring: ring.slice(0, Math.max(0, ring.length - ringSize)).map((b) => b.number), findingSeqs: loaded.findingSeqs.slice(0, extraFindings) },
    };
  };

  let hot: HotState;
  try {
    hot = await load("load the store");
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }

  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  /** Set when a write failed in a way that leaves the database's state unknown (connection lost at COMMIT): reload before the next update. */
  let needsReload = false;
  let heldTerm: number | undefined;

  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new StoreClosedError());
    const next = queue.then(run, run);
    queue = next.catch(() => undefined);
    return next;
  };

  /** Writes `changes` in one transaction; returns the new row maps. Fenced when the store has a lease. */
  const commit = (prev: HotState, next: StoreData, changes: StoreChanges, findingOrigin: FindingOrigin, restored: ReadonlySet<string>) =>
    withClient("commit a store update", async (client) => {
      // The whole transaction goes to the server as ONE simple query (one round trip, one wake-up of the
      // backend): statements with their values written in as escaped literals.
      const lit = (text: string) => client.escapeLiteral(text);
      const json = (value: unknown) => `${lit(JSON.stringify(value))}::jsonb`;
      const ints = (values: readonly number[]) => `ARRAY[${values.map((v) => String(Math.trunc(Number(v)))).join(",")}]::bigint[]`;
      const texts = (values: readonly string[]) => `ARRAY[${values.map(lit).join(",")}]::text[]`;
      const sql: string[] = ["BEGIN"];
      /** Where the statements whose rows are read back sit in the batch. */
      const at: { findings?: number; log?: number; history?: number } = {};
      // 1. Fencing: the lease row locked, ours, under our term, not expired — or the transaction aborts.
      if (leaseConfig) {
        if (heldTerm === undefined) throw new StoreFencedError(leaseConfig.holder, undefined, await readLease(client, S));
        sql.push(
          `DO $fence$ BEGIN
             PERFORM 1 FROM ${S}.guardian_lease WHERE id = 1 AND holder = ${lit(leaseConfig.holder)} AND term = ${heldTerm} AND expires_at > now() FOR UPDATE;
             IF NOT FOUND THEN RAISE EXCEPTION 'guardian: this store does not hold the lease under its term' USING ERRCODE = '${FENCED_SQLSTATE}'; END IF;
           END $fence$`,
        );
      }
      // 2. Checkpoint and ring.
      if (changes.processedCount !== undefined || changes.processedLog.enabled !== undefined)
        sql.push(`UPDATE ${S}.checkpoint SET processed_count = ${Math.trunc(next.chain.processedCount)}, record_processed = ${next.chain.processedLog !== undefined} WHERE id = 1`);
      if (prev.trimmed?.ring.length) sql.push(`DELETE FROM ${S}.checkpoint_ring WHERE number = ANY(${ints(prev.trimmed.ring)})`);
      if (prev.trimmed?.findingSeqs.length) sql.push(`UPDATE ${S}.findings SET hot = false WHERE seq = ANY(${ints(prev.trimmed.findingSeqs)})`);
      if (changes.ring.remove.length) sql.push(`DELETE FROM ${S}.checkpoint_ring WHERE number = ANY(${ints(changes.ring.remove)})`);
      if (changes.ring.put.length)
        sql.push(
          `INSERT INTO ${S}.checkpoint_ring (number, hash) SELECT * FROM unnest(${ints(changes.ring.put.map((b) => b.number))}, ${texts(changes.ring.put.map((b) => b.hash))})
           ON CONFLICT (number) DO UPDATE SET hash = excluded.hash`,
        );
      // 3. Detector state.
      if (changes.detectorState !== undefined) sql.push(`UPDATE ${S}.detector_state SET state = ${json(changes.detectorState)} WHERE id = 1`);
      // 4. Incidents: upserts (a restored one is hot again), then those that left the hot map.
      if (changes.incidents.upsert.length)
        sql.push(
          `INSERT INTO ${S}.incidents (id, key, occurrence, state, created_at, archived, body)
           SELECT b->>'id', b->>'key', (b->>'occurrence')::integer, b->>'state', (b->>'createdAt')::timestamptz, false, b
             FROM jsonb_array_elements(${json(changes.incidents.upsert)}) AS b
           ON CONFLICT (id) DO UPDATE SET key = excluded.key, occurrence = excluded.occurrence, state = excluded.state,
             created_at = excluded.created_at, archived = false, body = excluded.body`,
        );
      if (changes.incidents.archive.length) sql.push(`UPDATE ${S}.incidents SET archived = true WHERE id = ANY(${texts(changes.incidents.archive)})`);
      // 5. Findings: edits in place, the ones that left the hot list, new ones (their row numbers read back, in order).
      if (changes.findings.change.length)
        sql.push(
          `UPDATE ${S}.findings AS f SET body = e->'body' FROM jsonb_array_elements(${json(changes.findings.change.map((c) => ({ seq: prev.findingSeqs[c.index], body: c.finding })))}) AS e
            WHERE f.seq = (e->>'seq')::bigint`,
        );
      if (changes.findings.drop.length) sql.push(`UPDATE ${S}.findings SET hot = false WHERE seq = ANY(${ints(changes.findings.drop.map((i) => prev.findingSeqs[i]!))})`);
      if (changes.findings.append.length) {
        at.findings = sql.length;
        sql.push(`INSERT INTO ${S}.findings (body) SELECT b FROM jsonb_array_elements(${json(changes.findings.append)}) WITH ORDINALITY AS t(b, ord) ORDER BY ord RETURNING seq`);
      }
      // 6. Outbox and key/value records.
      if (changes.outbox.upsert.length)
        sql.push(
          `INSERT INTO ${S}.outbox (id, body) SELECT b->>'id', b FROM jsonb_array_elements(${json(changes.outbox.upsert)}) WITH ORDINALITY AS t(b, ord) ORDER BY ord
           ON CONFLICT (id) DO UPDATE SET body = excluded.body`,
        );
      if (changes.outbox.remove.length) sql.push(`DELETE FROM ${S}.outbox WHERE id = ANY(${texts(changes.outbox.remove)})`);
      if (changes.kv.put.length)
        sql.push(`INSERT INTO ${S}.kv (key, value) SELECT e->>'key', e->'value' FROM jsonb_array_elements(${json(changes.kv.put)}) AS e ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
      if (changes.kv.remove.length) sql.push(`DELETE FROM ${S}.kv WHERE key = ANY(${texts(changes.kv.remove)})`);
      // 7. Processed log: entries that left it are marked dropped; new ones appended.
      const dropFrom = changes.processedLog.dropFrom;
      if (dropFrom !== undefined && dropFrom < prev.processedSeqs.length) sql.push(`UPDATE ${S}.processed_log SET dropped = true WHERE seq = ANY(${ints(prev.processedSeqs.slice(dropFrom))})`);
      if (changes.processedLog.append.length) {
        at.log = sql.length;
        sql.push(
          `INSERT INTO ${S}.processed_log (number, hash) SELECT n, h FROM unnest(${ints(changes.processedLog.append.map((b) => b.number))}, ${texts(changes.processedLog.append.map((b) => b.hash))})
           WITH ORDINALITY AS t(n, h, ord) ORDER BY ord RETURNING seq`,
        );
      }
      // 8. History figures of keys whose archived set lost an incident to a restore (archiving only adds: see below).
      const restoredKeys = [...new Set(changes.incidents.upsert.filter((i) => restored.has(i.id)).map((i) => i.key))];
      if (restoredKeys.length) {
        at.history = sql.length;
        sql.push(`SELECT key, max(occurrence) AS occurrence FROM ${S}.incidents WHERE archived AND key = ANY(${texts(restoredKeys)}) GROUP BY key`);
      }
      // 9. A commit extends the lease.
      if (leaseConfig) sql.push(`UPDATE ${S}.guardian_lease SET expires_at = greatest(expires_at, now() + ${leaseConfig.ttlMs} * interval '1 millisecond') WHERE id = 1`);
      sql.push("COMMIT");

      let results: pg.QueryResult[];
      try {
        const answer = (await client.query(sql.join(";\n"))) as unknown as pg.QueryResult | pg.QueryResult[];
        results = Array.isArray(answer) ? answer : [answer];
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        if ((error as { code?: unknown }).code === FENCED_SQLSTATE && leaseConfig) {
          const term = heldTerm;
          heldTerm = undefined;
          throw new StoreFencedError(leaseConfig.holder, term, await readLease(client, S).catch(() => undefined));
        }
        throw error;
      }
      const seqs = (i: number | undefined) => (i === undefined ? [] : (results[i]!.rows as Array<{ seq: string }>).map((r) => Number(r.seq)).sort((a, b) => a - b));
      return {
        appendedFindings: seqs(at.findings),
        appendedLog: seqs(at.log),
        restoredKeys,
        recomputed: at.history === undefined ? [] : (results[at.history]!.rows as Array<{ key: string; occurrence: number }>),
      };
    }).then(({ appendedFindings, appendedLog, restoredKeys, recomputed }): HotState => {
      // The new row maps, in the order of the new hot lists.
      // The new snapshot: the records the update left as they were are the old snapshot's (frozen) objects,
      // the others copies of the draft's (the draft stays the caller's: the mutator may have returned parts of it).
      const findingSeqs: number[] = [];
      const findings: FindingRecord[] = [];
      const used = new Set<number>();
      const changedFindings = new Set(changes.findings.change.map((c) => c.finding));
      let k = 0;
      next.findings.forEach((finding, i) => {
        const origin = findingOrigin(finding, i);
        if (origin !== undefined && origin >= 0 && origin < prev.findingSeqs.length && !used.has(origin)) {
          used.add(origin);
          findingSeqs.push(prev.findingSeqs[origin]!);
          findings.push(changedFindings.has(finding) ? cloneJson(finding) : prev.data.findings[origin]!);
        } else {
          findingSeqs.push(appendedFindings[k++]!);
          findings.push(cloneJson(finding));
        }
      });
      const upserted = new Set(changes.incidents.upsert);
      const incidents: Record<string, Incident> = {};
      for (const [id, incident] of Object.entries(next.incidents))
        incidents[id] = !upserted.has(incident) && Object.hasOwn(prev.data.incidents, id) ? prev.data.incidents[id]! : cloneJson(incident);
      const upsertedOutbox = new Set(changes.outbox.upsert);
      const previousOutbox = new Map(prev.data.outbox.map((item) => [item.id, item]));
      const outbox = next.outbox.map((item) => {
        const before = previousOutbox.get(item.id);
        return before && !upsertedOutbox.has(item) ? before : cloneJson(item);
      });
      const putKeys = new Set(changes.kv.put.map((p) => p.key));
      const split = new Set<string>(SPLIT_KEYS);
      const others = Object.fromEntries(
        Object.entries(next)
          .filter(([key, value]) => !split.has(key) && value !== undefined)
          .map(([key, value]) => [key, putKeys.has(key) ? cloneJson(value) : (prev.data as unknown as Record<string, unknown>)[key]]),
      );
      const snapshot = {
        ...others,
        schemaVersion: next.schemaVersion,
        chain: cloneJson(next.chain),
        detectorState: changes.detectorState === undefined ? prev.data.detectorState : cloneJson(next.detectorState),
        incidents,
        findings,
        outbox,
      } as StoreData;
      const kept = changes.processedLog.dropFrom ?? prev.processedSeqs.length;
      const processedSeqs = next.chain.processedLog === undefined ? [] : [...prev.processedSeqs.slice(0, kept), ...appendedLog];
      // Updated in place once committed (copying it would cost as much as the history is large).
      const lastOccurrence = prev.lastOccurrence;
      let archivedCount = prev.archivedCount;
      for (const id of changes.incidents.archive) {
        const incident = prev.data.incidents[id]!;
        archivedCount++;
        if ((lastOccurrence.get(incident.key) ?? 0) < incident.occurrence) lastOccurrence.set(incident.key, incident.occurrence);
      }
      const restoredNow = changes.incidents.upsert.filter((i) => restored.has(i.id)).length;
      archivedCount -= restoredNow;
      for (const key of restoredKeys) lastOccurrence.delete(key);
      for (const row of recomputed) lastOccurrence.set(row.key, row.occurrence);
      return { data: deepFreeze(snapshot), findingSeqs, processedSeqs, archivedCount, lastOccurrence };
    });

  const reload = async () => {
    hot = await load("reload the store");
    needsReload = false;
  };

  const history: IncidentHistory = {
    lastOccurrence: (key) => hot.lastOccurrence.get(key),
    count: () => hot.archivedCount,
    async get(id) {
      if (closed) throw new StoreClosedError();
      return withClient("read an archived incident", async (client) => {
        const exact = await client.query<{ body: Incident }>(`SELECT body FROM ${S}.incidents WHERE archived AND id = $1`, [id]);
        return exact.rows[0]?.body;
      });
    },
    async matching(prefix) {
      if (closed) throw new StoreClosedError();
      const like = `${prefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      return withClient("find archived incidents by id prefix", async (client) => {
        const rows = await client.query<{ id: string }>(`SELECT id FROM ${S}.incidents WHERE archived AND id LIKE $1 ESCAPE '\\' ORDER BY id LIMIT 101`, [like]);
        return rows.rows.map((r) => r.id);
      });
    },
    async findings(month) {
      if (closed) throw new StoreClosedError();
      if (!/^\d{4}-\d{2}$/.test(month)) throw new TypeError(`history.findings: expected a month as YYYY-MM, got ${JSON.stringify(month)}`);
      return withClient("read archived findings", async (client) => {
        const rows = await client.query<{ body: FindingRecord }>(`SELECT body FROM ${S}.findings WHERE NOT hot AND body->>'observedAt' LIKE $1 ORDER BY seq`, [`${month}-%`]);
        return rows.rows.map((r) => r.body);
      });
    },
    async list({ limit, before }) {
      if (closed) throw new StoreClosedError();
      if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_PAGE_MAX) throw new TypeError(`history.list limit: expected an integer from 1 to ${HISTORY_PAGE_MAX}, got ${limit}`);
      const cursor = before === undefined ? undefined : decodeCursor(before);
      return withClient("list archived incidents", async (client) => {
        const rows = await client.query<{ body: Incident }>(
          `SELECT body FROM ${S}.incidents
            WHERE archived AND ($1::timestamptz IS NULL OR (created_at, id) < ($1::timestamptz, $2::text))
            ORDER BY created_at DESC, id DESC LIMIT $3`,
          [cursor?.createdAt ?? null, cursor?.id ?? null, limit + 1],
        );
        const incidents = rows.rows.slice(0, limit).map((r) => r.body);
        const last = incidents.at(-1);
        return rows.rows.length > limit && last ? { incidents, next: encodeCursor(last) } : { incidents };
      });
    },
  };

  const lease: PostgresLease | undefined = leaseConfig && {
    holder: leaseConfig.holder,
    ttlMs: leaseConfig.ttlMs,
    held: () => heldTerm,
    async acquire() {
      const state = await withClient("acquire the lease", (client) => acquireLease(client, S, leaseConfig.holder, leaseConfig.ttlMs));
      heldTerm = state?.term;
      return heldTerm;
    },
    async renew() {
      if (heldTerm === undefined) return false;
      const term = heldTerm;
      const state = await withClient("renew the lease", (client) => renewLease(client, S, leaseConfig.holder, term, leaseConfig.ttlMs));
      if (!state && heldTerm === term) heldTerm = undefined;
      return state !== undefined;
    },
    async release() {
      if (heldTerm === undefined) return;
      const term = heldTerm;
      heldTerm = undefined;
      await withClient("release the lease", (client) => releaseLease(client, S, leaseConfig.holder, term));
    },
    current: () => withClient("read the lease", (client) => readLease(client, S)),
  };

  const store: PostgresStore = {
    schema,
    history,
    lease,
    read() {
      if (closed) throw new StoreClosedError();
      return hot.data;
    },
    update<R>(mutator: (draft: StoreData) => R, options: UpdateOptions = {}): Promise<R> {
      return serial(async () => {
        if (needsReload) await reload();
        const prev = hot;
        const { draft, findingOrigin } = cloneWithOrigins(prev.data);
        // Archived incidents asked for: into the draft (not into `prev`, so that keeping them makes them hot again).
        const restored = new Set<string>();
        const wanted = (options.restore ?? []).filter((id) => !Object.hasOwn(draft.incidents, id));
        if (wanted.length) {
          const rows = await withClient("restore archived incidents", (client) =>
            client.query<{ id: string; body: Incident }>(`SELECT id, body FROM ${S}.incidents WHERE archived AND id = ANY($1::text[])`, [wanted]));
          for (const row of rows.rows) {
            draft.incidents[row.id] = row.body;
            restored.add(row.id);
          }
        }
        const result = mutator(draft);
        if (result instanceof Promise) throw new TypeError("store.update: the mutator must be synchronous");
        if (draft.chain.chainId !== prev.data.chain.chainId) throw new TypeError("store.update: chain.chainId cannot change");
        normalize(draft);
        let changes: StoreChanges;
        try {
          changes = diffStoreData(prev.data, draft, { findingOrigin });
        } catch (error) {
          // A draft too far from the store's shape to compare (a list that is no list): the full check says where.
          const checked = storeDataSchema.safeParse(draft, { reportInput: true });
          if (!checked.success) throw new TypeError(`store.update: the result does not match the store schema: ${formatIssues(checked.error.issues).join("; ")}`);
          throw error;
        }
        if (isEmptyChangeSet(changes)) return result;
        const problems = checkChanges(draft, changes, prev.processedSeqs.length);
        if (problems) throw new TypeError(`store.update: the result does not match the store schema: ${problems.join("; ")}`);
        try {
          hot = await commit(prev, draft, changes, findingOrigin, restored);
        } catch (error) {
          // Fenced: rolled back, nothing written, the snapshot is right. Anything else may have
          // lost the connection at COMMIT: the database decides what the next update starts from.
          if (!(error instanceof StoreFencedError)) needsReload = true;
          throw error;
        }
        return result;
      });
    },
    refresh() {
      return serial(reload);
    },
    async close() {
      if (closed) return;
      const last = queue;
      closed = true;
      await last;
      await pool.end().catch(() => undefined);
    },
  };
  return store;
}

/**
 * The schema check of an update, on what it changed (records left as they
 * were passed this check when they were written): the document with only
 * its new and changed incidents, findings, outbox items and processed-log
 * entries, whole otherwise. Problems name the field as in the full
 * document (findings.<index in the draft>...). Undefined when all is well.
 */
function checkChanges(draft: StoreData, changes: StoreChanges, prevLogLength: number): string[] | undefined {
  const pick = <T extends object>(list: readonly T[], touched: ReadonlySet<T>) => {
    const items: T[] = [];
    const at: number[] = [];
    list.forEach((item, i) => {
      if (touched.has(item)) {
        items.push(item);
        at.push(i);
      }
    });
    return { items, at };
  };
  const upserted = new Set(changes.incidents.upsert);
  const findings = pick(draft.findings, new Set([...changes.findings.append, ...changes.findings.change.map((c) => c.finding)]));
  const outbox = pick(draft.outbox, new Set(changes.outbox.upsert));
  const logFrom = changes.processedLog.dropFrom ?? prevLogLength;
  const skeleton = {
    ...draft,
    chain: { ...draft.chain, ...(draft.chain.processedLog ? { processedLog: draft.chain.processedLog.slice(logFrom) } : {}) },
    incidents: Object.fromEntries(Object.entries(draft.incidents).filter(([, incident]) => upserted.has(incident))),
    findings: findings.items,
    outbox: outbox.items,
  };
  const checked = storeDataSchema.safeParse(skeleton, { reportInput: true });
  if (checked.success) return undefined;
  const issues = checked.error.issues.map((issue) => {
    const [head, index, ...rest] = issue.path;
    const where = head === "findings" ? findings.at : head === "outbox" ? outbox.at : undefined;
    if (where && typeof index === "number") return { ...issue, path: [head, where[index] ?? index, ...rest] };
    if (head === "chain" && index === "processedLog" && typeof rest[0] === "number") return { ...issue, path: [head, index, logFrom + rest[0], ...rest.slice(1)] };
    return issue;
  });
  return formatIssues(issues as typeof checked.error.issues);
}

function chainMismatch(schema: string, expected: number, found: number): StoreChainMismatchError {
  const error = new StoreChainMismatchError(`PostgreSQL schema ${schema}`, expected, found);
  error.message = `PostgreSQL schema ${schema} belongs to chain ${found}, but the config is for chain ${expected}: use a separate schema (store.schema) per chain.`;
  return error;
}

/** Reads the hot state in one consistent snapshot (repeatable read). */
async function loadHot(client: pg.PoolClient, S: string): Promise<HotState> {
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    const checkpoint = (await client.query<{ chain_id: string; processed_count: string; record_processed: boolean }>(`SELECT chain_id, processed_count, record_processed FROM ${S}.checkpoint WHERE id = 1`)).rows[0]!;
    const ring = (await client.query<{ number: string; hash: `0x${string}` }>(`SELECT number, hash FROM ${S}.checkpoint_ring ORDER BY number`)).rows.map((r): BlockId => ({ number: Number(r.number), hash: r.hash }));
    const detectorState = (await client.query<{ state: Record<string, unknown> }>(`SELECT state FROM ${S}.detector_state WHERE id = 1`)).rows[0]?.state ?? {};
    const incidents: Record<string, Incident> = {};
    for (const row of (await client.query<{ body: Incident }>(`SELECT body FROM ${S}.incidents WHERE NOT archived ORDER BY created_at, id`)).rows) incidents[row.body.id] = row.body;
    const findingRows = (await client.query<{ seq: string; body: FindingRecord }>(`SELECT seq, body FROM ${S}.findings WHERE hot ORDER BY seq`)).rows;
    const outbox = (await client.query<{ body: OutboxItem }>(`SELECT body FROM ${S}.outbox ORDER BY seq`)).rows.map((r) => r.body);
    const kv = (await client.query<{ key: string; value: unknown }>(`SELECT key, value FROM ${S}.kv ORDER BY key`)).rows;
    const logRows = checkpoint.record_processed
      ? (await client.query<{ seq: string; number: string; hash: `0x${string}` }>(`SELECT seq, number, hash FROM ${S}.processed_log WHERE NOT dropped ORDER BY seq`)).rows
      : [];
    const archived = (await client.query<{ key: string; occurrence: number; n: string }>(
      `SELECT key, max(occurrence) AS occurrence, count(*) AS n FROM ${S}.incidents WHERE archived GROUP BY key`)).rows;
    await client.query("COMMIT");

    const split = new Set<string>(SPLIT_KEYS);
    const data = {
      schemaVersion: STORE_SCHEMA_VERSION,
      chain: {
        chainId: Number(checkpoint.chain_id),
        ring,
        processedCount: Number(checkpoint.processed_count),
        ...(checkpoint.record_processed ? { processedLog: logRows.map((r): BlockId => ({ number: Number(r.number), hash: r.hash })) } : {}),
      },
      detectorState,
      incidents,
      findings: findingRows.map((r) => r.body),
      outbox,
      ...Object.fromEntries(kv.filter((r) => !split.has(r.key)).map((r) => [r.key, r.value])),
    } as StoreData;
    return {
      data: deepFreeze(data),
      findingSeqs: findingRows.map((r) => Number(r.seq)),
      processedSeqs: logRows.map((r) => Number(r.seq)),
      archivedCount: archived.reduce((sum, r) => sum + Number(r.n), 0),
      lastOccurrence: new Map(archived.map((r) => [r.key, r.occurrence])),
    };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

function encodeCursor(incident: Incident): string {
  return Buffer.from(JSON.stringify([incident.createdAt, incident.id])).toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (typeof createdAt === "string" && typeof id === "string" && !Number.isNaN(Date.parse(createdAt))) return { createdAt, id };
  } catch {
    /* below */
  }
  throw new TypeError(`history.list before: expected the \`next\` cursor of a previous page, got ${JSON.stringify(cursor.slice(0, 80))}`);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

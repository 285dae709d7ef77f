/** Helpers for the store tests on a real PostgreSQL cluster (scripts/lib/postgres.ts). */
import pg from "pg";
import { aFinding, anIncident, T0 } from "../../daemon/src/incidents/test-builders.js";
import type { FindingRecord, Incident } from "../../daemon/src/types.js";

export const TABLES = ["checkpoint", "checkpoint_ring", "detector_state", "incidents", "findings", "outbox", "kv", "processed_log", "guardian_lease"] as const;
const KEY: Record<(typeof TABLES)[number], string> = {
  checkpoint: "id",
  checkpoint_ring: "number",
  detector_state: "id",
  incidents: "id",
  findings: "seq",
  outbox: "id",
  kv: "key",
  processed_log: "seq",
  guardian_lease: "id",
};

let schemas = 0;
/** A schema name of its own for each test (one cluster per file, one schema per test). */
export const freshSchema = (prefix = "t") => `${prefix}_${process.pid}_${++schemas}`;

/** Runs `fn` with a client of its own (not the store's pool). */
export async function withDb<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Every row of every table of `schema`, as JSON (to tell that nothing was written). */
export async function dumpSchema(url: string, schema: string): Promise<Record<string, unknown[]>> {
  return withDb(url, async (client) => {
    const out: Record<string, unknown[]> = {};
    for (const table of TABLES) out[table] = (await client.query(`SELECT * FROM "${schema}".${table} ORDER BY ${KEY[table]}`)).rows;
    return out;
  });
}

/**
 * Which rows each table's last writes touched: the row key → xmin (the id of
 * the transaction that last wrote the row). Two of these taken around an
 * update tell exactly which rows it inserted, updated or deleted.
 */
export async function rowVersions(url: string, schema: string): Promise<Record<string, Map<string, string>>> {
  return withDb(url, async (client) => {
    const out: Record<string, Map<string, string>> = {};
    for (const table of TABLES) {
      const rows = await client.query<{ k: string; x: string }>(`SELECT ${KEY[table]}::text AS k, xmin::text AS x FROM "${schema}".${table}`);
      out[table] = new Map(rows.rows.map((r) => [r.k, r.x]));
    }
    return out;
  });
}

/** Rows written between two rowVersions: per table, how many were inserted, updated and deleted. */
export function rowsWritten(before: Record<string, Map<string, string>>, after: Record<string, Map<string, string>>) {
  const out: Record<string, { inserted: number; updated: number; deleted: number }> = {};
  for (const table of TABLES) {
    const b = before[table]!;
    const a = after[table]!;
    let inserted = 0;
    let updated = 0;
    let deleted = 0;
    for (const [k, x] of a) {
      if (!b.has(k)) inserted++;
      else if (b.get(k) !== x) updated++;
    }
    for (const k of b.keys()) if (!a.has(k)) deleted++;
    if (inserted || updated || deleted) out[table] = { inserted, updated, deleted };
  }
  return out;
}

/** The n-th test incident: its own key, created n minutes after T0. */
export function incidentN(n: number, overrides: { key?: string; occurrence?: number } = {}): Incident {
  const incident = anIncident({ key: overrides.key ?? `test:incident:${n}`, now: new Date(T0.getTime() + n * 60_000), ...(overrides.occurrence ? { occurrence: overrides.occurrence } : {}) });
  return incident;
}

export function findingN(n: number): FindingRecord {
  return aFinding({ key: `test:finding:${n}`, observedAt: new Date(T0.getTime() + n * 1000).toISOString() });
}

/** Polls `check` until it returns true (a state reached), or fails with `what` after a generous safety net. */
export async function until(what: string, check: () => Promise<boolean>, safetyNetMs = 60_000): Promise<void> {
  const giveUpAt = Date.now() + safetyNetMs;
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error(`${what}: not reached within the ${safetyNetMs / 1000} s safety net`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

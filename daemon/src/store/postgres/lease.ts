/**
 * The leader lease, in the store's own database: one row
 * (`guardian_lease`: holder, term, expires_at). Time is the DATABASE's
 * clock (`now()`), never a replica's: replicas whose clocks disagree still
 * agree on who holds the lease.
 *
 * The term is a fencing token: it grows each time the lease is taken by a
 * new holder, or taken again after it expired. The store checks it, under
 * a row lock, at the start of every write transaction (store.ts), so a
 * leader that froze past its lease and wakes up writes nothing.
 */
import type pg from "pg";
import type { LeaseState } from "./errors.js";

interface LeaseRow {
  holder: string | null;
  term: string;
  expires_at: Date;
  live: boolean;
}

export function leaseStateOf(row: LeaseRow): LeaseState {
  const expires = row.expires_at as Date | number;
  return {
    holder: row.holder ?? undefined,
    term: Number(row.term),
    // '-infinity' (never taken) comes back as a number from the driver.
    expiresAt: expires instanceof Date ? expires.toISOString() : new Date(0).toISOString(),
    live: row.live,
  };
}

type Queryable = Pick<pg.Pool | pg.PoolClient, "query">;

/** Takes the lease if it is free, expired, or already ours; returns the state after (ours or not). */
export async function acquireLease(db: Queryable, S: string, holder: string, ttlMs: number): Promise<LeaseState | undefined> {
  const result = await db.query<LeaseRow>(
    `UPDATE ${S}.guardian_lease
        SET term = CASE WHEN holder = $1 AND expires_at > now() THEN term ELSE term + 1 END,
            holder = $1,
            expires_at = now() + $2 * interval '1 millisecond'
      WHERE id = 1 AND (holder IS NULL OR holder = $1 OR expires_at <= now())
      RETURNING holder, term, expires_at, true AS live`,
    [holder, ttlMs],
  );
  return result.rows[0] ? leaseStateOf(result.rows[0]) : undefined;
}

/** Extends our lease under `term`; undefined when it is not ours any more (taken, or expired). */
export async function renewLease(db: Queryable, S: string, holder: string, term: number, ttlMs: number): Promise<LeaseState | undefined> {
  const result = await db.query<LeaseRow>(
    `UPDATE ${S}.guardian_lease SET expires_at = now() + $3 * interval '1 millisecond'
      WHERE id = 1 AND holder = $1 AND term = $2 AND expires_at > now()
      RETURNING holder, term, expires_at, true AS live`,
    [holder, term, ttlMs],
  );
  return result.rows[0] ? leaseStateOf(result.rows[0]) : undefined;
}

/** Gives the lease up (if still ours under `term`): another replica may take it at once. */
export async function releaseLease(db: Queryable, S: string, holder: string, term: number): Promise<boolean> {
  const result = await db.query(`UPDATE ${S}.guardian_lease SET holder = NULL, expires_at = now() WHERE id = 1 AND holder = $1 AND term = $2`, [holder, term]);
  return result.rowCount === 1;
}

export async function readLease(db: Queryable, S: string, options: { forUpdate?: boolean } = {}): Promise<LeaseState> {
  const result = await db.query<LeaseRow>(
    `SELECT holder, term, expires_at, expires_at > now() AS live FROM ${S}.guardian_lease WHERE id = 1${options.forUpdate ? " FOR UPDATE" : ""}`,
  );
  const row = result.rows[0];
  if (!row) throw new Error(`the lease row of ${S}.guardian_lease is missing (the schema was altered by hand)`);
  return leaseStateOf(row);
}

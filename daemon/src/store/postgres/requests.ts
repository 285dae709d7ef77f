/**
 * Incident requests queued for the leading replica (table
 * <schema>.incident_requests, migration 2). `guardian incident trigger|update|ack|publish`
 * against the PostgreSQL store, while another process holds the lease,
 * queues its request here; the leader applies it through its own incident
 * service (so a Critical trigger engages its breaker), records the outcome
 * in the store in the same update as the change (StoreData.requests: once,
 * even across a change of leader), then deletes the row. The CLI waits for
 * that record.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { PostgresStoreError } from "./errors.js";
import { quoteSchema } from "./migrations.js";

export type RequestOp = "trigger" | "update" | "acknowledge" | "publish";

export interface QueuedRequest {
  id: string;
  op: RequestOp;
  /** The incident (id or prefix) of update and acknowledge. */
  target?: string;
  body: Record<string, unknown>;
}

export class RequestQueue {
  readonly #pool: pg.Pool;
  readonly #S: string;
  readonly #url: string;

  constructor(url: string, schema: string, purpose: string) {
    this.#url = url;
    this.#S = quoteSchema(schema);
    this.#pool = new pg.Pool({ connectionString: url, max: 1, application_name: `guardian ${purpose}`.slice(0, 63), connectionTimeoutMillis: 5_000 });
    this.#pool.on("error", () => undefined); // an idle connection dropped: the next query reconnects
  }

  async #query<T extends pg.QueryResultRow>(action: string, sql: string, values: unknown[] = []): Promise<T[]> {
    try {
      return (await this.#pool.query<T>(sql, values)).rows;
    } catch (error) {
      throw new PostgresStoreError(action, this.#url, error);
    }
  }

  /** Queues a request; returns its id (a UUID; a trigger's incident gets it as its id). */
  async submit(op: RequestOp, body: Record<string, unknown>, target?: string): Promise<string> {
    const id = randomUUID();
    await this.#query("queue an incident request", `INSERT INTO ${this.#S}.incident_requests (id, op, target, body) VALUES ($1, $2, $3, $4)`, [id, op, target ?? null, JSON.stringify(body)]);
    return id;
  }

  /** The oldest waiting requests. */
  async pending(limit = 20): Promise<QueuedRequest[]> {
    const rows = await this.#query<{ id: string; op: RequestOp; target: string | null; body: Record<string, unknown> }>(
      "read queued incident requests",
      `SELECT id, op, target, body FROM ${this.#S}.incident_requests ORDER BY created_at, id LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ id: r.id, op: r.op, ...(r.target !== null ? { target: r.target } : {}), body: r.body }));
  }

  async remove(id: string): Promise<void> {
    await this.#query("delete an applied incident request", `DELETE FROM ${this.#S}.incident_requests WHERE id = $1`, [id]);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/**
 * A store connection lost while a query is in flight (PostgreSQL restarting,
 * an administrator's pg_terminate_backend): the update fails with the
 * store's error and the process goes on — the driver's 'error' event on the
 * checked-out connection used to be unhandled and end the process (found by
 * the HA soak: a replica died at a PostgreSQL restart).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { T0 } from "../../daemon/src/incidents/test-builders.js";
import { openPostgresStore, PostgresStoreError } from "../../daemon/src/store/postgres/index.js";
import { startPostgres, type PostgresCluster } from "../../scripts/lib/postgres.js";
import { freshSchema, until, withDb } from "./helpers.js";

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

describe("PostgreSQL store: a connection lost mid-query", () => {
  it("fails the update, logs, and keeps the process; the next update goes through", async () => {
    const schema = freshSchema("lost");
    const warnings: string[] = [];
    const store = await openPostgresStore({
      url: cluster.url,
      schema,
      chainId: 31337,
      purpose: "inflight-test",
      clock: () => T0,
      lease: { holder: "replica-a", ttlMs: 60_000 },
      logger: { warn: (_details, message) => void warnings.push(message) },
    });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => void uncaught.push(error);
    process.on("uncaughtException", onUncaught);
    try {
      expect(await store.lease!.acquire()).toBe(1);
      // Another session holds the lease row: the store's commit waits on it, in flight, until its backend is ended.
      await withDb(cluster.url, async (blocker) => {
        await blocker.query("BEGIN");
        await blocker.query(`SELECT 1 FROM "${schema}".guardian_lease WHERE id = 1 FOR UPDATE`);
        const update = store.update((d) => void (d.chain.processedCount += 1));
        update.catch(() => undefined);
        await until("the commit waits on the lease row", async () =>
          withDb(cluster.url, async (c) => (await c.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'guardian inflight-test' AND wait_event_type = 'Lock'`)).rowCount === 1),
        );
        await withDb(cluster.url, (c) => c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'guardian inflight-test' AND wait_event_type = 'Lock'`));
        await expect(update).rejects.toBeInstanceOf(PostgresStoreError);
        await blocker.query("ROLLBACK");
      });
      // Give a stray 'error' event the time to surface, then carry on with a new connection.
      await new Promise((r) => setTimeout(r, 200));
      expect(uncaught).toEqual([]);
      expect(warnings).toContain("PostgreSQL closed a store connection in use");
      await store.update((d) => void (d.chain.processedCount += 1));
      await store.refresh();
      expect(store.read().chain.processedCount).toBe(1);
    } finally {
      process.off("uncaughtException", onUncaught);
      await store.close();
    }
  });
});

/**
 * The lease and its fencing term, on a real PostgreSQL cluster: two stores
 * on one schema play two replicas. Time passes by the DATABASE's clock: the
 * tests wait for a lease to expire by asking the database, never by timing.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresCluster } from "../../scripts/lib/postgres.js";
import { hash, T0 } from "../../daemon/src/incidents/test-builders.js";
import { openPostgresStore, StoreFencedError, type PostgresStore } from "../../daemon/src/store/postgres/index.js";
import { dumpSchema, findingN, freshSchema, incidentN, until, withDb } from "./helpers.js";

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

const SHORT_TTL = 400;
const LONG_TTL = 60_000;

const replica = (schema: string, holder: string, ttlMs: number) =>
  openPostgresStore({ url: cluster.url, schema, chainId: 31337, purpose: "test", clock: () => T0, lease: { holder, ttlMs } });

/** The lease's expiry in microseconds (the database's precision: two commits in one millisecond still differ). */
const expiryMicros = (schema: string) =>
  withDb(cluster.url, async (c) => Number((await c.query(`SELECT (extract(epoch FROM expires_at) * 1000000)::bigint AS us FROM "${schema}".guardian_lease`)).rows[0].us));

const expired = (store: PostgresStore) => until("the lease expires by the database's clock", async () => !(await store.lease!.current()).live);

describe("lease", () => {
  it("one holder at a time; its term fences writes: a leader that froze past its lease writes nothing", async () => {
    const schema = freshSchema("lease");
    const a = await replica(schema, "replica-a", SHORT_TTL);
    const b = await replica(schema, "replica-b", LONG_TTL);

    // A leads (term 1); B cannot take a live lease.
    expect(await a.lease!.acquire()).toBe(1);
    expect(await b.lease!.acquire()).toBeUndefined();
    expect(b.lease!.held()).toBeUndefined();
    await a.update((d) => void (d.chain.processedCount = 1, d.chain.ring.push({ number: 1, hash: hash(1) })));

    // A "freezes": its lease runs out by the database's clock; B takes over under term 2.
    await expired(a);
    expect(await b.lease!.acquire()).toBe(2);
    await b.refresh(); // a new leader starts from what the last one committed
    expect(b.read().chain.processedCount).toBe(1);

    // A wakes up and tries to commit a block: refused, nothing of it written.
    const before = await dumpSchema(cluster.url, schema);
    const incident = incidentN(1);
    const refused = await a
      .update((d) => {
        d.chain.processedCount = 2;
        d.chain.ring.push({ number: 2, hash: hash(2) });
        d.incidents[incident.id] = incident;
        d.findings.push(findingN(2));
      })
      .then(() => undefined, (e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreFencedError);
    expect((refused as StoreFencedError).term).toBe(1);
    expect((refused as StoreFencedError).current).toMatchObject({ holder: "replica-b", term: 2, live: true });
    expect((refused as Error).message).toMatch(/write refused \(fenced\): replica-a held term 1; the lease is held: replica-b, term 2/);
    expect(await dumpSchema(cluster.url, schema)).toEqual(before);
    expect(a.read().chain.processedCount).toBe(1);
    expect(a.lease!.held()).toBeUndefined(); // A knows it lost the lease
    // ... and stays fenced: no term, no write.
    await expect(a.update((d) => void (d.chain.processedCount = 3))).rejects.toThrow(/replica-a does not hold the lease/);
    expect(await a.lease!.acquire()).toBeUndefined();

    // B writes; it sees its own and the old leader's commits, nothing of the fenced one.
    await b.update((d) => void (d.chain.processedCount = 2, d.chain.ring.push({ number: 2, hash: hash(22) })));
    await a.refresh(); // the standby keeps warm
    expect(a.read().chain.ring).toEqual([{ number: 1, hash: hash(1) }, { number: 2, hash: hash(22) }]);
    expect(a.read().incidents).toEqual({});
    await a.close();
    await b.close();
  });

  it("a store opened with a lease writes nothing before acquiring it", async () => {
    const schema = freshSchema("lease");
    const a = await replica(schema, "replica-a", LONG_TTL);
    const before = await dumpSchema(cluster.url, schema);
    const refused = await a.update((d) => void (d.chain.processedCount = 1)).then(() => undefined, (e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreFencedError);
    expect((refused as StoreFencedError).term).toBeUndefined();
    expect(await dumpSchema(cluster.url, schema)).toEqual(before);
    await a.close();
  });

  it("renew and commits extend the lease; release lets another replica in at once, under a new term", async () => {
    const schema = freshSchema("lease");
    const a = await replica(schema, "replica-a", LONG_TTL);
    const b = await replica(schema, "replica-b", LONG_TTL);
    expect(await a.lease!.acquire()).toBe(1);
    const first = await expiryMicros(schema);
    expect(await a.lease!.renew()).toBe(true);
    const renewed = await expiryMicros(schema);
    expect(renewed).toBeGreaterThan(first);
    await a.update((d) => void (d.chain.processedCount = 1));
    expect(await expiryMicros(schema)).toBeGreaterThan(renewed);
    const committed = await a.lease!.current();
    expect(committed).toMatchObject({ holder: "replica-a", term: 1, live: true });
    // Acquiring again while holding it keeps the term.
    expect(await a.lease!.acquire()).toBe(1);

    await a.lease!.release();
    expect(await a.lease!.current()).toMatchObject({ holder: undefined, term: 1 });
    expect(await b.lease!.acquire()).toBe(2);
    await expect(a.update((d) => void (d.chain.processedCount = 5))).rejects.toThrow(StoreFencedError);
    expect(await a.lease!.renew()).toBe(false);
    await a.close();
    await b.close();
  });

  it("a lease that expired with nobody taking it is fenced too, and taken again under a new term", async () => {
    const schema = freshSchema("lease");
    const a = await replica(schema, "replica-a", SHORT_TTL);
    expect(await a.lease!.acquire()).toBe(1);
    await expired(a);
    await expect(a.update((d) => void (d.chain.processedCount = 1))).rejects.toThrow(StoreFencedError);
    expect(await a.lease!.renew()).toBe(false);
    expect(await a.lease!.acquire()).toBe(2);
    await a.update((d) => void (d.chain.processedCount = 1));
    expect(a.read().chain.processedCount).toBe(1);
    await a.close();
  });

  it("a takeover waits for a leader's commit in flight, and finds the lease extended by it", async () => {
    const schema = freshSchema("lease");
    const a = await replica(schema, "replica-a", SHORT_TTL);
    const b = await replica(schema, "replica-b", LONG_TTL);
    expect(await a.lease!.acquire()).toBe(1);
    // Play A's write transaction by hand: the lease row locked, as its commits do.
    const inFlight = new pg.Client({ connectionString: cluster.url });
    await inFlight.connect();
    try {
      await inFlight.query("BEGIN");
      await inFlight.query(`SELECT 1 FROM "${schema}".guardian_lease WHERE id = 1 FOR UPDATE`);
      await expired(a); // by the database's clock, A's lease is over...
      let settled = false;
      const takeover = b.lease!.acquire().finally(() => (settled = true));
      // ... but B waits on the row lock (its statement is seen waiting in pg_stat_activity).
      await until("B's acquire waits on the lease row", async () =>
        withDb(cluster.url, async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%guardian_lease%'")).rows[0].n === 1),
      );
      expect(settled).toBe(false);
      // A's commit extends the lease: B's acquire, re-checked on the new row, finds it held.
      await inFlight.query(`UPDATE "${schema}".guardian_lease SET expires_at = now() + interval '1 minute' WHERE id = 1`);
      await inFlight.query("COMMIT");
      expect(await takeover).toBeUndefined();
      expect(await b.lease!.current()).toMatchObject({ holder: "replica-a", term: 1, live: true });
    } finally {
      await inFlight.end();
      await a.close();
      await b.close();
    }
  });

  it("two replicas racing for the lease, the leader freezing past it now and then: every acknowledged write is in the database once, none from a stale term", async () => {
    const schema = freshSchema("lease");
    const open = (holder: string) =>
      openPostgresStore({ url: cluster.url, schema, chainId: 31337, purpose: "test", recordProcessed: true, lease: { holder, ttlMs: 1_000 } });
    const replicas = [await open("replica-1"), await open("replica-2")];
    const target = 40;
    const freezeEvery = 8;
    // unplanned: a leader the busy machine stalled past its lease without our freezing it.
    const stats = { written: 0, fenced: 0, freezes: 0, unplanned: 0 };
    const mark = (term: number, id: number) => `0x${term.toString(16).padStart(8, "0")}${id.toString(16).padStart(2, "0")}`.padEnd(66, "0") as `0x${string}`;

    const run = async (me: PostgresStore, id: number, other: PostgresStore) => {
      while (stats.written < target) {
        if (me.lease!.held() === undefined && (await me.lease!.acquire()) !== undefined) await me.refresh(); // a new leader starts from the last commit
        const term = me.lease!.held();
        if (term !== undefined) {
          const ok = await me
            .update((d) => {
              d.chain.processedCount += 1;
              d.chain.processedLog!.push({ number: d.chain.processedCount, hash: mark(term, id) });
            })
            .then(
              () => true,
              (error: unknown) => {
                if (!(error instanceof StoreFencedError)) throw error;
                stats.unplanned++;
                return false;
              },
            );
          if (!ok) continue;
          stats.written++;
          if (stats.written % freezeEvery === 0 && stats.written < target) {
            // Frozen (SIGSTOP, GC pause): it does nothing until the other replica has taken over...
            stats.freezes++;
            await until("the other replica takes the lease over", async () => (await other.lease!.current()).holder === other.lease!.holder);
            // ... then wakes up and commits the block it was working on: refused.
            await expect(me.update((d) => void (d.chain.processedCount += 1000))).rejects.toThrow(StoreFencedError);
            stats.fenced++;
          }
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await Promise.all([run(replicas[0]!, 1, replicas[1]!), run(replicas[1]!, 2, replicas[0]!)]);

    const check = await openPostgresStore({ url: cluster.url, schema, chainId: 31337, purpose: "test" });
    const log = check.read().chain.processedLog!;
    expect(check.read().chain.processedCount).toBe(stats.written);
    expect(log.map((b) => b.number)).toEqual(Array.from({ length: stats.written }, (_, i) => i + 1));
    const terms = log.map((b) => Number.parseInt(b.hash.slice(2, 10), 16));
    expect(terms).toEqual([...terms].sort((x, y) => x - y)); // never a write from an older term after a newer one
    expect(new Set(terms).size).toBeGreaterThanOrEqual(stats.freezes + 1); // each freeze handed the lease over
    expect(stats.fenced).toBe(stats.freezes);
    expect(stats.freezes).toBe(Math.floor((target - 1) / freezeEvery));
    await check.close();
    for (const r of replicas) await r.close();
  });

  it("refuses a lease without a holder or with a ttl too short to mean anything, naming the field", async () => {
    const schema = freshSchema("lease");
    await expect(replica(schema, " ", LONG_TTL)).rejects.toThrow(/lease\.holder: expected a name for this replica/);
    await expect(replica(schema, "a", 5)).rejects.toThrow(/lease\.ttlMs: expected an integer of at least 100/);
  });
});

/**
 * What only the PostgreSQL store does, on a real throwaway cluster: schema
 * migrations, writes limited to the rows that changed, the archived incident
 * history, surviving a server restart, and a database URL that never shows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresCluster } from "../../scripts/lib/postgres.js";
import { hash, T0 } from "../../daemon/src/incidents/test-builders.js";
import { transition } from "../../daemon/src/incidents/lifecycle.js";
import { AmbiguousIncidentIdError } from "../../daemon/src/incidents/errors.js";
import { findStoredIncident } from "../../daemon/src/store/store.js";
import { StoreVersionError } from "../../daemon/src/store/errors.js";
import {
  openPostgresStore,
  POSTGRES_SCHEMA_VERSION,
  PostgresStoreError,
  type OpenPostgresStoreParameters,
} from "../../daemon/src/store/postgres/index.js";
import type { StoreData } from "../../daemon/src/store/schema.js";
import { dumpSchema, findingN, freshSchema, incidentN, rowsWritten, rowVersions, withDb } from "./helpers.js";

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

const open = (schema: string, over: Partial<OpenPostgresStoreParameters> = {}) =>
  openPostgresStore({ url: cluster.url, schema, chainId: 31337, purpose: "test", clock: () => T0, ...over });

/** What a block commit does: the ring moves by one block, the count grows, a finding, one incident changed, the detector state. */
function blockCommit(number: number, incidentId?: string) {
  return (d: StoreData) => {
    d.chain.ring.push({ number, hash: hash(number) });
    d.chain.processedCount += 1;
    d.findings.push(findingN(number));
    d.detectorState = { current: { block: number } };
    if (incidentId) {
      const incident = d.incidents[incidentId]!;
      d.incidents[incidentId] = { ...incident, findingCount: incident.findingCount + 1 };
    }
  };
}

describe("migrations", () => {
  it("an empty database gets every table at the current version, once", async () => {
    const schema = freshSchema("mig");
    const store = await open(schema);
    await store.close();
    await (await open(schema)).close(); // a second opener migrates nothing
    const versions = await withDb(cluster.url, async (c) => (await c.query(`SELECT version FROM "${schema}".guardian_schema ORDER BY version`)).rows.map((r) => r.version));
    expect(versions).toEqual(Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1));
    const tables = await withDb(cluster.url, async (c) =>
      (await c.query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name", [schema])).rows.map((r) => r.table_name),
    );
    expect(tables).toEqual(["checkpoint", "checkpoint_ring", "detector_state", "findings", "guardian_lease", "guardian_schema", "incident_requests", "incidents", "kv", "outbox", "processed_log"]);
  });

  it("a schema written by a newer Guardian is refused, untouched", async () => {
    const schema = freshSchema("mig");
    await (await open(schema)).close();
    await withDb(cluster.url, (c) => c.query(`INSERT INTO "${schema}".guardian_schema (version, description) VALUES (99, 'from the future')`));
    const before = await dumpSchema(cluster.url, schema);
    const refused = await open(schema).then(() => undefined, (e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreVersionError);
    expect((refused as StoreVersionError).message).toMatch(new RegExp(`schema ${schema} is at version 99, but this Guardian knows versions up to ${POSTGRES_SCHEMA_VERSION}`));
    expect(await dumpSchema(cluster.url, schema)).toEqual(before);
  });

  it("runs each migration in a transaction: a failing one leaves the schema at the version before", async () => {
    const schema = freshSchema("mig");
    const broken = [{ version: 1, description: "half", statements: ["CREATE TABLE S.a (x int)", "CREATE TABLE S.a (x int)"] }];
    await expect(open(schema, { migrations: broken })).rejects.toThrow(PostgresStoreError);
    const present = await withDb(cluster.url, async (c) => (await c.query("SELECT to_regclass($1) AS t", [`"${schema}".a`])).rows[0].t);
    expect(present).toBeNull();
  });

  it("refuses a schema name that is not a plain identifier, naming the field", async () => {
    await expect(open('x"; DROP TABLE y; --')).rejects.toThrow(/store\.schema: expected a PostgreSQL schema name/);
  });
});

describe("writes", () => {
  it("a block commit writes only the rows that changed, with 1,000 findings and 50 incidents hot and 200 archived", async () => {
    const schema = freshSchema("rows");
    const store = await open(schema, { findingsLimit: 1000 });
    const hotIncidents = Array.from({ length: 50 }, (_, i) => incidentN(i));
    const archived = Array.from({ length: 200 }, (_, i) => incidentN(1000 + i));
    await store.update((d) => {
      for (const i of [...hotIncidents, ...archived]) d.incidents[i.id] = i;
      for (let n = 1; n <= 1000; n++) d.findings.push(findingN(n));
      for (let n = 1; n <= 128; n++) d.chain.ring.push({ number: n, hash: hash(n) });
      d.outbox.push({ id: "o1", kind: "notify", createdAt: T0.toISOString(), status: "pending", attempts: 0, payload: {} });
    });
    await store.update((d) => {
      for (const i of archived) delete d.incidents[i.id];
    });
    expect(store.history.count()).toBe(200);

    const before = await rowVersions(cluster.url, schema);
    await store.update(blockCommit(129, hotIncidents[7]!.id));
    const written = rowsWritten(before, await rowVersions(cluster.url, schema));
    expect(written).toEqual({
      checkpoint: { inserted: 0, updated: 1, deleted: 0 },
      checkpoint_ring: { inserted: 1, updated: 0, deleted: 1 }, // block 129 in, block 1 out (ring of 128)
      detector_state: { inserted: 0, updated: 1, deleted: 0 },
      incidents: { inserted: 0, updated: 1, deleted: 0 },
      findings: { inserted: 1, updated: 1, deleted: 0 }, // the new one, and the oldest leaving the hot list
    });
    // The finding that fell off the hot list is still in the table (history), not hot.
    const oldest = await withDb(cluster.url, async (c) => (await c.query(`SELECT hot, body->>'key' AS key FROM "${schema}".findings ORDER BY seq LIMIT 1`)).rows[0]);
    expect(oldest).toEqual({ hot: false, key: "test:finding:1" });
    expect(store.read().findings).toHaveLength(1000);
    await store.close();
  });

  it("an opener with smaller limits trims the hot state, and its next commit writes the trim", async () => {
    const schema = freshSchema("rows");
    let store = await open(schema, { ringSize: 5, findingsLimit: 5 });
    await store.update((d) => {
      for (let n = 1; n <= 5; n++) {
        d.chain.ring.push({ number: n, hash: hash(n) });
        d.findings.push(findingN(n));
      }
    });
    await store.close();
    store = await open(schema, { ringSize: 3, findingsLimit: 2 });
    expect(store.read().chain.ring.map((b) => b.number)).toEqual([3, 4, 5]);
    expect(store.read().findings.map((f) => f.key)).toEqual(["test:finding:4", "test:finding:5"]);
    await store.update((d) => void (d.chain.ring.push({ number: 6, hash: hash(6) }), d.findings.push(findingN(6))));
    await store.close();
    store = await open(schema, { ringSize: 5, findingsLimit: 5 });
    expect(store.read().chain.ring.map((b) => b.number)).toEqual([4, 5, 6]);
    expect(store.read().findings.map((f) => f.key)).toEqual(["test:finding:5", "test:finding:6"]);
    await store.close();
  });

  it("a whole range of blocks commits in one transaction", async () => {
    const schema = freshSchema("rows");
    const store = await open(schema);
    await store.update((d) => {
      for (let n = 1; n <= 100; n++) blockCommit(n)(d);
    });
    const xids = await withDb(cluster.url, async (c) => (await c.query(`SELECT DISTINCT xmin::text FROM "${schema}".findings`)).rows);
    expect(xids).toHaveLength(1);
    expect(store.read().chain.processedCount).toBe(100);
    await store.close();
  });
});

describe("incident history", () => {
  it("archived incidents: count, last occurrence, get by id or prefix, newest first in pages, restored on demand", async () => {
    const schema = freshSchema("hist");
    let store = await open(schema);
    const incidents = Array.from({ length: 7 }, (_, i) => incidentN(i, { key: i < 3 ? "same:key" : `key:${i}`, occurrence: i < 3 ? i + 1 : 1 }));
    await store.update((d) => {
      for (const i of incidents) d.incidents[i.id] = transition(transition(i, "recovered", { now: T0 }), "postreview", { now: T0 });
    });
    await store.update((d) => {
      for (const i of incidents.slice(0, 6)) delete d.incidents[i.id];
    });
    expect(store.history.count()).toBe(6);
    expect(store.history.lastOccurrence("same:key")).toBe(3);
    expect(store.history.lastOccurrence("key:6")).toBeUndefined(); // still hot
    expect(Object.keys(store.read().incidents)).toEqual([incidents[6]!.id]);

    // Reopened: the figures come from the database.
    await store.close();
    store = await open(schema);
    expect(store.history.count()).toBe(6);
    expect(store.history.lastOccurrence("same:key")).toBe(3);

    const target = incidents[4]!;
    expect((await store.history.get(target.id))?.key).toBe("key:4");
    expect(await store.history.get(target.id.slice(0, 8))).toBeUndefined(); // get takes full ids; prefixes go through matching
    expect((await findStoredIncident(store.read().incidents, store.history, target.id.slice(0, 8).toUpperCase())).incident.id).toBe(target.id);
    expect(await store.history.get(incidents[6]!.id)).toBeUndefined(); // hot, not history
    expect(await store.history.get("ffffffff-0000")).toBeUndefined();
    // Two archived manual incidents whose ids share a prefix.
    const twins = ["abcd1111-0000-4000-8000-000000000001", "abcd2222-0000-4000-8000-000000000002"].map((id, i) =>
      transition(transition({ ...incidentN(50 + i), id, timeline: [] }, "recovered", { now: T0 }), "postreview", { now: T0 }));
    await store.update((d) => void twins.forEach((t) => (d.incidents[t.id] = t)));
    await store.update((d) => void twins.forEach((t) => delete d.incidents[t.id]));
    expect(await store.history.matching("abcd")).toEqual(twins.map((t) => t.id));
    await expect(findStoredIncident(store.read().incidents, store.history, "abcd")).rejects.toThrow(AmbiguousIncidentIdError);
    expect((await findStoredIncident(store.read().incidents, store.history, "abcd2")).incident.id).toBe(twins[1]!.id);

    const page1 = await store.history.list({ limit: 6 });
    expect(page1.incidents.map((i) => i.id)).toEqual([...twins.map((t) => t.id).reverse(), ...[5, 4, 3, 2].map((n) => incidents[n]!.id)]);
    expect(page1.next).toBeDefined();
    const page2 = await store.history.list({ limit: 6, before: page1.next! });
    expect(page2.incidents.map((i) => i.id)).toEqual([1, 0].map((n) => incidents[n]!.id));
    expect(page2.next).toBeUndefined();
    await expect(store.history.list({ limit: 0 })).rejects.toThrow(/limit: expected an integer from 1/);
    await expect(store.history.list({ limit: 5, before: "not-a-cursor" })).rejects.toThrow(/before: expected the `next` cursor/);

    // A note on an old incident: restored into the draft, hot again once changed.
    const old = incidents[2]!;
    await store.update(
      (d) => {
        d.incidents[old.id] = { ...d.incidents[old.id]!, findingCount: 42 };
      },
      { restore: [old.id] },
    );
    expect(store.read().incidents[old.id]?.findingCount).toBe(42);
    expect(store.history.count()).toBe(7);
    expect(store.history.lastOccurrence("same:key")).toBe(2);
    expect(await store.history.get(old.id)).toBeUndefined();
    await store.close();
  });
});

describe("the server goes away", () => {
  it("survives a PostgreSQL restart and a crash between updates; an update during the outage fails and writes nothing", async () => {
    const schema = freshSchema("restart");
    const store = await open(schema, { recordProcessed: true });
    await store.update((d) => void (blockCommit(1)(d), d.chain.processedLog!.push({ number: 1, hash: hash(1) })));
    await cluster.restart();
    await store.update((d) => void (blockCommit(2)(d), d.chain.processedLog!.push({ number: 2, hash: hash(2) })));
    await cluster.kill();
    await expect(store.update((d) => void (d.chain.processedCount = 99))).rejects.toThrow(PostgresStoreError);
    await cluster.start();
    await store.update((d) => void (blockCommit(3)(d), d.chain.processedLog!.push({ number: 3, hash: hash(3) })));
    expect(store.read().chain.processedCount).toBe(3);
    await store.close();
    const again = await open(schema);
    expect(again.read().chain.processedLog!.map((b) => b.number)).toEqual([1, 2, 3]);
    expect(again.read().findings.map((f) => f.key)).toEqual(["test:finding:1", "test:finding:2", "test:finding:3"]);
    await again.close();
  });

  it("never shows the database URL's password: unreachable server, bad database", async () => {
    const password = "s3cret-Pa55word";
    const url = cluster.urlWithPassword(password);
    const unreachable = url.replace(`:${cluster.port}/`, ":1/");
    const e1 = await openPostgresStore({ url: unreachable, chainId: 1, purpose: "test" }).then(() => undefined, (e: unknown) => e as Error);
    expect(e1).toBeInstanceOf(PostgresStoreError);
    expect(e1!.message).toContain("postgres://127.0.0.1:1/…");
    expect(e1!.message).not.toContain(password);
    const e2 = await openPostgresStore({ url: url.replace(/\/postgres$/, "/nosuchdb"), chainId: 1, purpose: "test" }).then(() => undefined, (e: unknown) => e as Error);
    expect(e2).toBeInstanceOf(PostgresStoreError);
    expect(e2!.message).toMatch(/database "nosuchdb" does not exist/);
    expect(e2!.message).not.toContain(password);
    expect(JSON.stringify(e2)).not.toContain(password);
  });
});

describe("what is written is what is read back", () => {
  it("random block commits, edits, archivals, outbox and reorgs: after each, a fresh open reads the same hot state", async () => {
    const schema = freshSchema("random");
    const store = await open(schema, { ringSize: 8, findingsLimit: 12, recordProcessed: true });
    let seed = 138;
    const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
    let block = 0;
    let nextIncident = 0;
    let nextItem = 0;
    for (let step = 0; step < 60; step++) {
      await store.update((d) => {
        for (let b = 0, n = 1 + Math.floor(random() * 3); b < n; b++) {
          block++;
          d.chain.ring.push({ number: block, hash: hash(block) });
          d.chain.processedLog!.push({ number: block, hash: hash(block) });
          d.chain.processedCount++;
          d.detectorState = { current: { block, r: Math.floor(random() * 5) } };
          if (random() < 0.6) d.findings.push(findingN(block));
        }
        const ids = Object.keys(d.incidents);
        const roll = random();
        if (roll < 0.25) {
          const incident = incidentN(nextIncident++);
          d.incidents[incident.id] = incident;
        } else if (roll < 0.4 && ids.length) {
          delete d.incidents[pick(ids)!]; // archived
        } else if (roll < 0.6 && ids.length) {
          const id = pick(ids)!;
          d.incidents[id] = { ...d.incidents[id]!, findingCount: d.incidents[id]!.findingCount + 1 };
        }
        if (d.findings.length && random() < 0.3) pick(d.findings)!.reorged = true;
        if (random() < 0.3) d.outbox.push({ id: `o${nextItem++}`, kind: "notify", createdAt: T0.toISOString(), status: "pending", attempts: 0, payload: { step } });
        if (d.outbox.length && random() < 0.2) pick(d.outbox)!.attempts++;
        if (d.outbox.length && random() < 0.15) d.outbox.splice(Math.floor(random() * d.outbox.length), 1);
        if (random() < 0.2) d.publish = { uptime: [{ step }] };
        if (random() < 0.1) delete d.publish;
        if (random() < 0.1 && block > 3) {
          // A reorg of the last two blocks.
          const keep = block - 2;
          d.chain.ring = d.chain.ring.filter((b) => b.number <= keep);
          d.chain.processedLog = d.chain.processedLog!.filter((b) => b.number <= keep);
          for (let n = keep + 1; n <= block; n++) {
            d.chain.ring.push({ number: n, hash: hash(n + 1_000_000) });
            d.chain.processedLog.push({ number: n, hash: hash(n + 1_000_000) });
          }
        }
      });
      const reopened = await open(schema, { ringSize: 8, findingsLimit: 12 });
      expect(reopened.read(), `step ${step}`).toEqual(store.read());
      expect(reopened.history.count()).toBe(store.history.count());
      await reopened.close();
    }
    expect(store.history.count()).toBeGreaterThan(0);
    await store.close();
  });
});

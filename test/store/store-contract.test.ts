/**
 * The store contract, written once and run against both backends: the
 * embedded lowdb store (a temp data directory) and the PostgreSQL store (a
 * real throwaway cluster, one schema per test).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresCluster } from "../../scripts/lib/postgres.js";
import { hash, T0 } from "../../daemon/src/incidents/test-builders.js";
import { transition } from "../../daemon/src/incidents/lifecycle.js";
import { StoreChainMismatchError, StoreClosedError } from "../../daemon/src/store/errors.js";
import { openLowdbStore, STORE_FILE } from "../../daemon/src/store/lowdb-store.js";
import { openPostgresStore } from "../../daemon/src/store/postgres/index.js";
import type { GuardianStore } from "../../daemon/src/store/store.js";
import { tempDir } from "../../daemon/src/store/testing/spawn.js";
import { dumpSchema, findingN, freshSchema, incidentN } from "./helpers.js";

interface OpenOptions {
  chainId?: number;
  ringSize?: number;
  findingsLimit?: number;
  recordProcessed?: boolean;
}

/** One place a store lives (a data directory, a schema): open it as often as needed, and look at what is persisted. */
interface StoreLocation {
  open(options?: OpenOptions): Promise<GuardianStore>;
  /** What is durably stored right now (to tell that nothing was written). */
  persisted(): Promise<unknown>;
}

interface Backend {
  name: string;
  location(): StoreLocation;
}

function storeContract(backend: () => Backend) {
  const at = () => backend().location();

  it("an update is visible to read() and after reopening; the mutator's result is returned", async () => {
    const where = at();
    let store = await where.open({ recordProcessed: true });
    const incident = incidentN(1);
    const returned = await store.update((d) => {
      d.chain.ring.push({ number: 1, hash: hash(1) });
      d.chain.processedCount = 1;
      d.chain.processedLog!.push({ number: 1, hash: hash(1) });
      d.detectorState = { current: { windows: [1, 2, 3] }, snapshots: [] };
      d.incidents[incident.id] = incident;
      d.findings.push(findingN(1));
      d.outbox.push({ id: "o1", kind: "notify", createdAt: T0.toISOString(), status: "pending", attempts: 0, payload: { channel: "ops" } });
      d.notify = { channels: { ops: T0.toISOString() } };
      return "done";
    });
    expect(returned).toBe("done");
    const seen = structuredClone(store.read());
    expect(seen.incidents[incident.id]).toEqual(incident);
    await store.close();
    store = await where.open();
    expect(store.read()).toEqual(seen);
    await store.close();
  });

  it("updates run one at a time, in call order", async () => {
    const store = await at().open();
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.update((d) => {
          order.push(i);
          d.chain.processedCount += 1;
          d.findings.push(findingN(i));
        }),
      ),
    );
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(store.read().chain.processedCount).toBe(20);
    expect(store.read().findings.map((f) => f.key)).toEqual(Array.from({ length: 20 }, (_, i) => `test:finding:${i}`));
    await store.close();
  });

  it("a throwing mutator writes nothing and leaves the snapshot as it was; later updates still work", async () => {
    const where = at();
    const store = await where.open();
    await store.update((d) => void (d.chain.processedCount = 1));
    const before = await where.persisted();
    await expect(
      store.update((d) => {
        d.chain.processedCount = 99;
        d.incidents[incidentN(2).id] = incidentN(2);
        throw new Error("refused");
      }),
    ).rejects.toThrow("refused");
    expect(store.read().chain.processedCount).toBe(1);
    expect(store.read().incidents).toEqual({});
    expect(await where.persisted()).toEqual(before);
    await store.update((d) => void (d.chain.processedCount = 2));
    expect(store.read().chain.processedCount).toBe(2);
    await store.close();
  });

  it("an update whose result breaks the schema is refused naming the field, and nothing is written", async () => {
    const where = at();
    const store = await where.open();
    const before = await where.persisted();
    await expect(store.update((d) => void ((d.chain as { processedCount: unknown }).processedCount = "x"))).rejects.toThrow(/store schema.*chain\.processedCount/);
    await expect(store.update((d) => void (d.chain.ring = [{ number: 2, hash: hash(2) }, { number: 1, hash: hash(1) }]))).rejects.toThrow(/ascending/);
    const incident = incidentN(3);
    await expect(store.update((d) => void (d.incidents[incident.id] = { ...incident, publicStatus: "resolved" }))).rejects.toThrow(/publicStatus/);
    await expect(store.update(async () => {})).rejects.toThrow(/synchronous/);
    await expect(store.update((d) => void ((d as { findings: unknown }).findings = "none"))).rejects.toThrow(/store schema.*findings/);
    expect(await where.persisted()).toEqual(before);
    // A bad record among good ones is named by its place in the document.
    await store.update((d) => void d.findings.push(findingN(1), findingN(2)));
    const written = await where.persisted();
    await expect(
      store.update((d) => {
        d.findings.push(findingN(3));
        (d.findings[1] as { severity: string }).severity = "apocalyptic";
      }),
    ).rejects.toThrow(/store schema.*findings\W+1\W+severity/);
    expect(await where.persisted()).toEqual(written);
    await store.close();
  });

  it("nothing changed: nothing written", async () => {
    const where = at();
    const store = await where.open();
    await store.update((d) => void (d.chain.processedCount = 5));
    const before = await where.persisted();
    expect(await store.update((d) => d.chain.processedCount)).toBe(5);
    expect(await where.persisted()).toEqual(before);
    await store.close();
  });

  it("what the mutator returns stays the caller's: usable, and apart from the snapshot", async () => {
    const store = await at().open();
    const incident = incidentN(5);
    const returned = await store.update((d) => {
      d.incidents[incident.id] = incident;
      d.findings.push(findingN(5));
      return { incident: d.incidents[incident.id]!, finding: d.findings[0]! };
    });
    returned.incident.title = "changed by the caller";
    returned.finding.reorged = true;
    expect(store.read().incidents[incident.id]!.title).toBe("Paymaster paused outside Guardian");
    expect(store.read().findings[0]!.reorged).toBeUndefined();
    await store.close();
  });

  it("read() is deeply frozen", async () => {
    const store = await at().open();
    await store.update((d) => void d.findings.push(findingN(1)));
    const data = store.read();
    expect(() => void ((data.chain as { processedCount: number }).processedCount = 5)).toThrow(TypeError);
    expect(() => void ((data.findings[0] as { key: string }).key = "x")).toThrow(TypeError);
    await store.close();
  });

  it("keeps the last ringSize blocks and the last findingsLimit findings, across reopen", async () => {
    const where = at();
    let store = await where.open({ ringSize: 3, findingsLimit: 2 });
    await store.update((d) => {
      for (let n = 1; n <= 5; n++) d.chain.ring.push({ number: n, hash: hash(n) });
      for (let n = 1; n <= 3; n++) d.findings.push(findingN(n));
    });
    expect(store.read().chain.ring.map((b) => b.number)).toEqual([3, 4, 5]);
    expect(store.read().findings.map((f) => f.key)).toEqual(["test:finding:2", "test:finding:3"]);
    await store.close();
    store = await where.open({ ringSize: 3, findingsLimit: 2 });
    expect(store.read().chain.ring.map((b) => b.number)).toEqual([3, 4, 5]);
    expect(store.read().findings.map((f) => f.key)).toEqual(["test:finding:2", "test:finding:3"]);
    await store.close();
  });

  it("a reorg rewrites the ring and the processed log; incidents change in place", async () => {
    const where = at();
    let store = await where.open({ recordProcessed: true });
    const incident = incidentN(4);
    await store.update((d) => {
      for (let n = 1; n <= 4; n++) {
        d.chain.ring.push({ number: n, hash: hash(n) });
        d.chain.processedLog!.push({ number: n, hash: hash(n) });
      }
      d.incidents[incident.id] = incident;
    });
    await store.update((d) => {
      d.chain.ring = [1, 2].map((n) => ({ number: n, hash: hash(n) })).concat([{ number: 3, hash: hash(33) }]);
      d.chain.processedLog = d.chain.processedLog!.filter((b) => b.number <= 2).concat([{ number: 3, hash: hash(33) }]);
      d.incidents[incident.id] = transition(d.incidents[incident.id]!, "responding", { now: T0 });
    });
    const expected = structuredClone(store.read());
    await store.close();
    store = await where.open({ recordProcessed: true });
    expect(store.read()).toEqual(expected);
    expect(store.read().chain.processedLog!.map((b) => b.hash)).toEqual([hash(1), hash(2), hash(33)]);
    expect(store.read().incidents[incident.id]!.state).toBe("responding");
    await store.close();
  });

  it("a store of another chain is refused", async () => {
    const where = at();
    const store = await where.open({ chainId: 31337 });
    await store.close();
    const refused = await where.open({ chainId: 138 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(StoreChainMismatchError);
    expect((refused as StoreChainMismatchError).expected).toBe(138);
    expect((refused as StoreChainMismatchError).found).toBe(31337);
  });

  it("a closed store refuses reads and updates", async () => {
    const store = await at().open();
    await store.close();
    expect(() => store.read()).toThrow(StoreClosedError);
    await expect(store.update(() => {})).rejects.toThrow(StoreClosedError);
  });
}

describe("store contract: lowdb", () => {
  storeContract(() => ({
    name: "lowdb",
    location() {
      const dataDir = tempDir("guardian-contract-");
      return {
        open: (o = {}) => openLowdbStore({ dataDir, chainId: o.chainId ?? 31337, purpose: "test", clock: () => T0, ...withoutChain(o) }),
        persisted: async () => readFileSync(path.join(dataDir, STORE_FILE), "utf8"),
      };
    },
  }));
});

describe("store contract: PostgreSQL", () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  storeContract(() => ({
    name: "postgres",
    location() {
      const schema = freshSchema("contract");
      return {
        open: (o = {}) => openPostgresStore({ url: cluster.url, schema, chainId: o.chainId ?? 31337, purpose: "test", clock: () => T0, ...withoutChain(o) }),
        persisted: () => dumpSchema(cluster.url, schema),
      };
    },
  }));
});

function withoutChain(o: OpenOptions): Omit<OpenOptions, "chainId"> {
  const { chainId: _, ...rest } = o;
  return rest;
}

/**
 * The daemon's own writer on the PostgreSQL store: the store sink
 * (runtime/sink.ts) commits blocks with their findings and incidents, and
 * rewinds a reorg (detector state restored, dropped blocks out of the
 * processed log, evidence marked); what a fresh open reads back is exactly
 * the live store's state after each step.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresCluster } from "../../scripts/lib/postgres.js";
import { createStoreSink } from "../../daemon/src/runtime/sink.js";
import { openPostgresStore, type PostgresStore } from "../../daemon/src/store/postgres/index.js";
import type { BlockFacts, Hex } from "../../daemon/src/types.js";
import { DM, GUARDIAN, HUB, layerPausedLog, pausableLog } from "../daemon/helpers/logs.js";
import { freshSchema } from "./helpers.js";

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;
const altHash = (n: number) => `0x${"f".repeat(60)}${n.toString(16).padStart(4, "0")}` as Hex;

function block(n: number, h: Hex, parent: Hex, logs: BlockFacts["logs"] = []): BlockFacts {
  return {
    block: { number: n, hash: h, parentHash: parent, timestamp: 1_700_000_000 + n, gasUsed: "0", gasLimit: "30000000", transactionCount: 0 },
    logs: logs.map((l) => ({ ...l, blockNumber: BigInt(n), blockHash: h })),
    transactions: [],
    receipts: [],
    observedAt: new Date(1_700_000_000_000 + n * 1000).toISOString(),
  };
}

describe("store sink on PostgreSQL", () => {
  it("block commits, a reorg and the new block: the database holds exactly the live state after each", async () => {
    const schema = freshSchema("sink");
    const open = () => openPostgresStore({ url: cluster.url, schema, chainId: 31337, purpose: "test", recordProcessed: true });
    const store = await open();
    const sink = createStoreSink({
      store,
      pipeline: { chainId: 31337, blockTimeMs: 1000, decode: { hub: HUB, targets: { [DM]: "delegation" } } },
      autoPause: { entryPoint: false, accountFactory: false, delegation: false },
      clock: () => new Date("2026-11-22T12:00:00Z"),
      recordProcessed: true,
    });
    const readBack = async (live: PostgresStore) => {
      const fresh = await open();
      try {
        expect(fresh.read()).toEqual(live.read());
      } finally {
        await fresh.close();
      }
    };
    const ring = (...ns: Array<[number, Hex]>) => ({ ring: ns.map(([number, h]) => ({ number, hash: h })) });

    await sink.commitBlock(block(1, hash(1), hash(0)), ring([1, hash(1)]));
    await readBack(store);
    const paused = [layerPausedLog({ layer: 2, by: GUARDIAN, until: 2n ** 64n - 1n, bySentinel: false }), pausableLog(DM, "Paused", HUB)];
    await sink.commitBlock(block(2, hash(2), hash(1), paused), ring([1, hash(1)], [2, hash(2)]));
    await readBack(store);
    const finding = store.read().findings.find((f) => f.evidence?.blockHash === hash(2))!;
    expect(finding.detector).toBe("pause-changed");
    const incidentId = finding.incidentId!;

    await sink.rewind({ number: 1, hash: hash(1) }, [{ number: 2, hash: hash(2) }], ring([1, hash(1)]), {
      kind: "reorg",
      chainId: 31337,
      ancestor: { number: 1, hash: hash(1) },
      dropped: [{ number: 2, hash: hash(2) }],
      observedAt: "2026-11-22T12:00:01.000Z",
    });
    await readBack(store);
    const data = store.read();
    expect(data.chain.processedLog).toEqual([{ number: 1, hash: hash(1) }]);
    expect(data.findings.find((f) => f.evidence?.blockHash === hash(2))?.reorged).toBe(true);
    expect(data.incidents[incidentId]!.timeline.some((e) => /dropped by a reorg/.test(e.message))).toBe(true);

    await sink.commitBlock(block(2, altHash(2), hash(1)), ring([1, hash(1)], [2, altHash(2)]));
    await readBack(store);
    expect(store.read().chain.processedLog).toEqual([{ number: 1, hash: hash(1) }, { number: 2, hash: altHash(2) }]);
    await store.close();
  });
});

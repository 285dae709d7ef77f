/**
 * The store sink: a block's findings, incidents and checkpoint in one write;
 * a reorg restores the detector state of the ancestor, drops the dead blocks
 * from the processed log and marks their evidence as reorged (kept, never
 * silently deleted).
 */
import { describe, it, expect } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openLowdbStore } from "../store/index.js";
import { createStoreSink } from "./sink.js";
import type { BlockFacts, Hex } from "../types.js";
import { DM, GUARDIAN, HUB, layerPausedLog, pausableLog } from "../../../test/daemon/helpers/logs.js";

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

describe("store sink", () => {
  it("commits a block with its findings, then retracts them on a reorg by marking, not deleting", async () => {
    const store = await openLowdbStore({ dataDir: mkdtempSync(path.join(tmpdir(), "sink-")), chainId: 31337, purpose: "test", recordProcessed: true });
    const sink = createStoreSink({
      store,
      pipeline: { chainId: 31337, blockTimeMs: 1000, decode: { hub: HUB, targets: { [DM]: "delegation" } } },
      autoPause: { entryPoint: false, accountFactory: false, delegation: false },
      clock: () => new Date("2026-11-22T12:00:00Z"),
      recordProcessed: true,
    });
    const ring = (...ns: Array<[number, Hex]>) => ({ ring: ns.map(([number, h]) => ({ number, hash: h })) });
    await sink.commitBlock(block(1, hash(1), hash(0)), ring([1, hash(1)]));
    // Block 2: the guardian pauses the delegation layer → a pause-changed finding and an incident.
    const paused = [layerPausedLog({ layer: 2, by: GUARDIAN, until: 2n ** 64n - 1n, bySentinel: false }), pausableLog(DM, "Paused", HUB)];
    await sink.commitBlock(block(2, hash(2), hash(1), paused), ring([1, hash(1)], [2, hash(2)]));
    let data = store.read();
    expect(data.chain.processedLog).toEqual([{ number: 1, hash: hash(1) }, { number: 2, hash: hash(2) }]);
    const finding = data.findings.find((f) => f.evidence?.blockHash === hash(2))!;
    expect(finding.detector).toBe("pause-changed");
    const incident = data.incidents[finding.incidentId!]!;
    expect(incident.timeline.some((e) => e.evidence?.blockHash === hash(2))).toBe(true);

    // Block 2 is replaced: rewind to 1.
    await sink.rewind({ number: 1, hash: hash(1) }, [{ number: 2, hash: hash(2) }], ring([1, hash(1)]), {
      kind: "reorg",
      chainId: 31337,
      ancestor: { number: 1, hash: hash(1) },
      dropped: [{ number: 2, hash: hash(2) }],
      observedAt: "2026-11-22T12:00:01.000Z",
    });
    data = store.read();
    expect(data.chain.ring).toEqual([{ number: 1, hash: hash(1) }]);
    expect(data.chain.processedLog).toEqual([{ number: 1, hash: hash(1) }]);
    expect(data.chain.processedCount).toBe(1);
    expect(data.findings.find((f) => f.evidence?.blockHash === hash(2))?.reorged).toBe(true);
    expect(data.incidents[incident.id]!.timeline.some((e) => /dropped by a reorg/.test(e.message))).toBe(true);
    expect(Object.values(data.incidents).some((i) => i.source === "chain-reorg")).toBe(true);

    // The new block 2 commits normally.
    await sink.commitBlock(block(2, altHash(2), hash(1)), ring([1, hash(1)], [2, altHash(2)]));
    expect(store.read().chain.processedLog).toEqual([{ number: 1, hash: hash(1) }, { number: 2, hash: altHash(2) }]);
    await store.close();
  });
});

/**
 * Preemption's bookkeeping across a restart: the pending findings whose
 * transaction had not settled are watched again (from the hot findings), the
 * settled ones are not, and a watch settles as never landed from the receipts
 * (here an RPC stand-in answering "no receipt"; the real path runs on EDR and
 * anvil in test/daemon/suites/preempt.ts).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Hex } from "viem";
import { K, KIT_CONTRACTS } from "../../../test/daemon/helpers/kit-facts.js";
import type { RpcPool } from "../chain/index.js";
import { timelineEntryId } from "../incidents/index.js";
import { foldFindings } from "./sink.js";
import { openLowdbStore } from "../store/index.js";
import type { Finding } from "../types.js";
import { Preemption } from "./preemption.js";
import type { PipelineConfig } from "../pipeline/index.js";

const NOW = new Date("2026-12-07T00:00:00Z");
const hash = (b: string) => `0x${b.repeat(32)}` as Hex;
const pendingFinding = (tx: Hex): Finding => ({
  detector: "preempt",
  key: `outflow:delegations:${K.dm}`,
  severity: "critical",
  title: "Pending drain through delegations",
  summary: "test",
  layers: ["delegation"],
  contracts: [K.dm],
  evidence: { blockNumber: 10, blockHash: hash("cd"), txHash: tx, values: { pending: true } },
  observedAt: NOW.toISOString(),
  pending: { txHash: tx, from: K.stranger, seenAt: NOW.toISOString(), preemptable: true },
});

describe("Preemption across a restart", () => {
  it("watches again what had not settled, and settles it as never landed after settleBlocks", async () => {
    const store = await openLowdbStore({ dataDir: mkdtempSync(path.join(tmpdir(), "preempt-")), chainId: 31337, purpose: "test", clock: () => NOW });
    const open = hash("a1");
    const settled = hash("a2");
    await store.update((d) => {
      d.chain.ring.push({ number: 20, hash: hash("ee") });
      foldFindings(d, [pendingFinding(open), pendingFinding(settled)], { now: NOW, autoPause: { entryPoint: true, accountFactory: true, delegation: true } });
    });
    const incidentId = store.read().findings[0]!.incidentId!;
    // The second one was settled before the restart: its outcome note is on the incident.
    await store.update((d) => {
      const i = d.incidents[incidentId]!;
      i.timeline.push({ id: `${timelineEntryId(incidentId, "preemption", settled)}:preempted`, at: NOW.toISOString(), kind: "note", message: "Pre-empted", public: false, state: i.state });
    });

    const requests: string[] = [];
    const pool = { request: async (method: string) => (requests.push(method), null) } as unknown as RpcPool;
    const p = new Preemption({ pool, store, pipeline: {} as PipelineConfig, contracts: KIT_CONTRACTS, breaker: { outbid() {} }, raise: async () => {}, settleBlocks: 5, clock: () => NOW });
    p.resume();
    expect(p.watching()).toBe(1);

    await p.onCommitted(12); // 2 blocks after the evidence's block: not yet
    expect(p.watching()).toBe(1);
    await p.onCommitted(15);
    expect(p.watching()).toBe(0);
    const notes = store.read().incidents[incidentId]!.timeline.filter((e) => e.evidence?.values.preemption === "never_landed");
    expect(notes.map((n) => n.evidence?.txHash)).toEqual([open]);
    expect(notes[0]!.message).toContain("was not mined within 5 blocks");
    expect(requests.every((m) => m === "eth_getTransactionReceipt" || m === "debug_traceTransaction")).toBe(true);

    // After another restart nothing is watched: every pending finding has its outcome.
    const again = new Preemption({ pool, store, pipeline: {} as PipelineConfig, contracts: KIT_CONTRACTS, breaker: { outbid() {} }, raise: async () => {}, settleBlocks: 5, clock: () => NOW });
    again.resume();
    expect(again.watching()).toBe(0);
    await store.close();
  });
});

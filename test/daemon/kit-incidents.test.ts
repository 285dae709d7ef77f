/**
 * From findings to incidents on a real chain: a symptom repeated in 100
 * blocks is one incident (no alert storm), a restart in the middle of it —
 * or a block processed again from the state persisted before it — changes
 * nothing, and a rate symptom that clears resolves its (non-critical)
 * incident by itself.
 */
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { healthyTraffic, runScenario } from "../../scripts/lib/scenarios.js";
import { MonitorSink, comparable, follow, startKitChain, traceRevertLookup, type KitChain } from "./helpers/kit-monitor.js";

let kit: KitChain;
let snapshot: Hex;

beforeAll(async () => {
  kit = await startKitChain();
  snapshot = await kit.node.rpc<Hex>("evm_snapshot");
});

afterAll(async () => {
  await kit?.stop();
});

async function fresh() {
  await kit.node.rpc("evm_revert", [snapshot]);
  snapshot = await kit.node.rpc<Hex>("evm_snapshot");
  return { ...kit.ctx };
}

describe("incidents from the kit's symptoms", () => {
  test("100 failing blocks are one incident; a restart mid-incident, or a block processed again, changes nothing", async () => {
    const ctx = await fresh();
    const start = (await kit.node.blockNumber()) + 1;
    await healthyTraffic(ctx, { rounds: 3 });
    const failing = await runScenario(ctx, "account-creation-failing", { cause: "wrong-factory-data", blocks: 100 });
    const end = failing.toBlock;
    expect(failing.txs.filter((t) => t.status === "reverted")).toHaveLength(100);

    // 1. One run over everything.
    const once = new MonitorSink(kit.pipeline, traceRevertLookup(kit.node));
    once.keepHistory = true;
    await follow(kit, once, start, end);
    const findings = once.findings.filter((f) => f.key === "account-creation:failing");
    expect(findings.length).toBeGreaterThanOrEqual(95);
    expect(once.incidents).toHaveLength(1);
    const [incident] = once.incidents;
    expect(incident).toMatchObject({ key: "account-creation:failing", severity: "critical", state: "detected", findingCount: findings.length });
    expect(incident?.timeline.length).toBeLessThan(10); // the cooldown keeps repeats off the timeline

    // 2. Stopped in the middle of the incident, restarted from what was persisted.
    const middle = failing.txs[50]!.blockNumber;
    const before = new MonitorSink(kit.pipeline, traceRevertLookup(kit.node));
    await follow(kit, before, start, middle);
    const restarted = new MonitorSink(kit.pipeline, traceRevertLookup(kit.node), before.persisted());
    await follow(kit, restarted, start, end);
    expect(restarted.committed[0]).toBe((before.committed.at(-1) as number) + 1); // resumes after the checkpoint, nothing twice
    expect(before.committed.at(-1)).toBe(middle);
    expect(before.incidents).toHaveLength(1);
    expect(comparable(restarted.persisted())).toEqual(comparable(once.persisted()));

    // 3. A block processed again from the state persisted before it (a crash before its write).
    const again = new MonitorSink(kit.pipeline, traceRevertLookup(kit.node), once.history.get(middle - 1));
    await follow(kit, again, start, middle);
    expect(again.committed).toEqual([middle]);
    expect(comparable(again.persisted())).toEqual(comparable(once.history.get(middle) as string));
  });

  test("a rate symptom that clears for clearBlocks blocks resolves its High incident by itself", async () => {
    const ctx = await fresh();
    const start = (await kit.node.blockNumber()) + 1;
    await healthyTraffic(ctx, { rounds: 2 });
    await runScenario(ctx, "user-ops-reverting", { ops: 4 });
    const quiet = await healthyTraffic(ctx, { rounds: 14 }); // the rate drops below 25% after ~6 rounds, then clearBlocks (20) more
    const sink = new MonitorSink(kit.pipeline, traceRevertLookup(kit.node));
    await follow(kit, sink, start, quiet.toBlock);
    const recovered = sink.findings.filter((f) => f.recovered);
    expect(recovered.map((f) => [f.key, f.title])).toEqual([["user-operations:failing", "User operations succeed again"]]);
    expect(sink.incidents).toHaveLength(1);
    expect(sink.incidents[0]).toMatchObject({ key: "user-operations:failing", severity: "high", state: "recovered", publicStatus: "resolved" });
  });
});

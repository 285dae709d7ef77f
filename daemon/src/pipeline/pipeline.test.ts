import { describe, expect, test } from "vitest";
import { DM, GUARDIAN, HUB, layerPausedLog, pausableLog } from "../../../test/daemon/helpers/logs.js";
import type { BlockFacts } from "../types.js";
import { initialPipelineState, processBlock, processHealth, rpcHealthThresholds, type PipelineConfig } from "./pipeline.js";

const config: PipelineConfig = { chainId: 138, blockTimeMs: 2_000, decode: { hub: HUB, targets: { [DM]: "delegation" } } };

function blockFacts(logs: BlockFacts["logs"]): BlockFacts {
  return {
    block: { number: 10, hash: `0x${"ef".repeat(32)}`, parentHash: `0x${"ee".repeat(32)}`, timestamp: 1, gasUsed: "0", gasLimit: "30000000", transactionCount: 1 },
    logs,
    transactions: [],
    receipts: [],
    observedAt: "2026-01-01T00:00:00.000Z",
  };
}

describe("pipeline", () => {
  test("processBlock decodes the block and runs the block detectors", () => {
    const state = initialPipelineState();
    const result = processBlock(blockFacts([layerPausedLog({ layer: 2, by: GUARDIAN, until: 1n, bySentinel: true }), pausableLog(DM, "Paused", GUARDIAN, 1)]), state, config);
    expect(result.events.map((e) => e.kind)).toEqual(["hub.layerPaused", "target.paused"]);
    expect(result.findings.map((f) => [f.detector, f.severity])).toEqual([
      ["pause-changed", "medium"],
      ["pause-changed", "high"],
    ]);
    expect(result.nextState.pauseChanged.targets[DM]?.paused).toBe(true);
    expect(state).toEqual(initialPipelineState()); // pure: the input state is untouched
  });

  test("processBlock with nothing to see returns no findings and the same state", () => {
    const state = initialPipelineState();
    const result = processBlock(blockFacts([]), state, config);
    expect(result.findings).toEqual([]);
    // Only gas-spike's fullness window takes the block's sample (it is empty: 0 per mille).
    expect(result.nextState.gasSpike?.fullness).toEqual([0]);
    expect({ ...result.nextState, gasSpike: { ...result.nextState.gasSpike, fullness: [] } }).toEqual(state);
  });

  test("processHealth keeps the rpc-health state between calls", () => {
    const base = { chainId: 138, endpoints: [], unavailableSinceMs: 0 };
    const first = processHealth({ ...base, observedAt: new Date(5_000).toISOString(), nowMs: 5_000 }, initialPipelineState(), config);
    expect(first.findings.map((f) => f.key)).toEqual(["rpc-health:unavailable:138"]);
    const second = processHealth({ ...base, observedAt: new Date(6_000).toISOString(), nowMs: 6_000 }, first.nextState, config);
    expect(second.findings).toEqual([]);
  });

  test("configured thresholds override the defaults, undefined ones do not", () => {
    const t = rpcHealthThresholds({ ...config, rpcHealth: { stallFactor: 5, maxLatencyMs: undefined, severity: { stalled: "critical" } } });
    expect(t).toMatchObject({ stallFactor: 5, maxLatencyMs: 2_000, blockTimeMs: 2_000, severity: { stalled: "critical", unavailable: "critical" } });
  });
});

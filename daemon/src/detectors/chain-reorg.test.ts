import { describe, expect, test } from "vitest";
import type { Hex, ReorgFacts, ReorgTooDeepFacts } from "../types.js";
import { CHAIN_REORG_DEFAULTS, chainReorg } from "./chain-reorg.js";

const h = (n: number, tag = "a"): Hex => `0x${tag.repeat(2)}${n.toString(16).padStart(62, "0")}`;
const reorg: ReorgFacts = {
  kind: "reorg",
  chainId: 138,
  ancestor: { number: 10, hash: h(10) },
  dropped: [
    { number: 11, hash: h(11) },
    { number: 12, hash: h(12) },
  ],
  observedAt: "2026-01-01T00:00:00.000Z",
};

describe("chain-reorg", () => {
  test("any reorg is reported (High by default), keyed by the first dropped block", () => {
    const { findings } = chainReorg(reorg, {}, CHAIN_REORG_DEFAULTS);
    expect(findings).toEqual([
      expect.objectContaining({
        detector: "chain-reorg",
        key: `chain-reorg:138:11:${h(11)}`,
        severity: "high",
        title: "Chain reorganised: 2 blocks replaced",
        evidence: { blockNumber: 10, blockHash: h(10), values: { depth: 2, firstDropped: 11, firstDroppedHash: h(11), lastDropped: 12 } },
      }),
    ]);
  });

  test("severity and a depth to ignore are configurable (for chains without instant finality)", () => {
    expect(chainReorg(reorg, {}, { ...CHAIN_REORG_DEFAULTS, reorg: "critical" }).findings[0]?.severity).toBe("critical");
    expect(chainReorg(reorg, {}, { ...CHAIN_REORG_DEFAULTS, ignoreDepth: 2 }).findings).toEqual([]);
  });

  test("a reorg deeper than the ring is Critical", () => {
    const deep: ReorgTooDeepFacts = { kind: "reorg-too-deep", chainId: 138, oldest: { number: 1, hash: h(1) }, newest: { number: 128, hash: h(128) }, observedAt: "2026-01-01T00:00:00.000Z" };
    expect(chainReorg(deep, {}, CHAIN_REORG_DEFAULTS).findings).toMatchObject([
      { key: `chain-reorg:too-deep:138:1:${h(1)}`, severity: "critical", layers: ["entryPoint", "accountFactory", "delegation"] },
    ]);
  });
});

import { describe, expect, test } from "vitest";
import { K, bundle, header, kitBlock, observedAt, op, runDetector } from "../../../test/daemon/helpers/kit-facts.js";
import { GAS_SPIKE_DEFAULTS as T, gasSpike, initialGasSpikeState, type GasSpikeFacts } from "./gas-spike.js";

const fee = (n: number, wei: bigint): GasSpikeFacts => ({ block: header(n, wei), observedAt: observedAt(n) });
const run = (blocks: GasSpikeFacts[], thresholds = T) => runDetector(gasSpike, blocks, initialGasSpikeState(), thresholds);
const steady = (from: number, count: number, wei = 1_000_000_000n) => Array.from({ length: count }, (_, i) => fee(from + i, wei));

describe("gas-spike: base fee", () => {
  test("against the rolling median: 3× is Medium, 10× High, one incident key", () => {
    const { findings } = run([...steady(1, 20), fee(21, 4_000_000_000n), fee(22, 12_000_000_000n)]);
    expect(findings.map((f) => [f.block, f.key, f.severity])).toEqual([
      [21, "gas-spike:base-fee", "medium"],
      [22, "gas-spike:base-fee", "high"],
    ]);
    expect(findings[0]).toMatchObject({ title: "Base fee spike", layers: ["entryPoint", "accountFactory", "delegation"], evidence: { values: { baseFeePerGas: "4000000000", baseline: "1000000000", ratio: 4 } } });
  });

  test("nothing before minBaselineBlocks are known, nothing for a chain without (or with zero) base fee", () => {
    expect(run([...steady(1, 5), fee(6, 100_000_000_000n)]).findings).toEqual([]);
    expect(run([...steady(1, 20, 0n), fee(21, 5n)]).findings).toEqual([]);
    expect(run(Array.from({ length: 30 }, (_, i) => ({ block: header(i + 1), observedAt: observedAt(i + 1) }))).findings).toEqual([]);
  });

  test("an idle chain's decaying base fee, and a slow ramp, are no spikes", () => {
    const decay = Array.from({ length: 60 }, (_, i) => fee(i + 1, (1_000_000_000n * 7n ** BigInt(i)) / 8n ** BigInt(i) + 7n));
    expect(run(decay).findings).toEqual([]);
    const ramp = Array.from({ length: 60 }, (_, i) => fee(i + 1, BigInt(Math.round(1e9 * 1.06 ** i))));
    expect(run(ramp).findings).toEqual([]);
  });

  test("a lasting spike stays a spike (its values never become the baseline), then recovers", () => {
    const blocks = [...steady(1, 20), ...steady(21, 30, 5_000_000_000n), ...steady(51, 15)];
    const { findings } = run(blocks);
    expect(findings.filter((f) => !f.recovered)).toHaveLength(30);
    expect(findings.filter((f) => f.recovered).map((f) => [f.block, f.title])).toEqual([[50 + T.clearBlocks, "Base fee back to normal"]]);
  });
});

describe("gas-spike: gas per operation", () => {
  const ops = (n: number, calls: number[], creates: number[] = []) =>
    ({
      block: header(n, 1_000_000_000n),
      observedAt: observedAt(n),
      entryPoint: K.entryPoint,
      kit: kitBlock(n, {
        bundles: [bundle([...calls.map((g) => op({ actualGasUsed: String(g) })), ...creates.map((g) => op({ creates: true, deployed: true, actualGasUsed: String(g) }))])],
      }),
    }) satisfies GasSpikeFacts;

  test("creations and calls each have their own baseline: a healthy mix is no spike", () => {
    const blocks = Array.from({ length: 30 }, (_, i) => ops(i + 1, [100_000], [350_000]));
    expect(run(blocks).findings).toEqual([]);
  });

  test("operations using many times their usual gas: High at 10×, with the heaviest op as evidence", () => {
    const heavy = ops(11, [3_000_000]);
    const { findings } = run([...Array.from({ length: 10 }, (_, i) => ops(i + 1, [100_000, 120_000])), heavy]);
    expect(findings).toMatchObject([
      {
        key: "gas-spike:gas-per-op",
        severity: "high",
        layers: ["entryPoint"],
        contracts: [K.entryPoint],
        evidence: { txHash: heavy.kit.bundles[0]?.ops[0]?.txHash, values: { kind: "call", gasPerOp: 3_000_000, baseline: 110_000 } },
      },
    ]);
  });

  test("not judged before minOpSamples operations; ops without gas (refused) are ignored", () => {
    expect(run([ops(1, [100_000]), ops(2, [5_000_000])]).findings).toEqual([]);
  });
});

test("the state stays bounded and JSON", () => {
  const blocks = Array.from({ length: 300 }, (_, i) => ({
    block: header(i + 1, BigInt(1e9 + i)),
    observedAt: observedAt(i + 1),
    kit: kitBlock(i + 1, { bundles: [bundle([op(), op({ creates: true, deployed: true })])] }),
  }));
  const { state } = run(blocks);
  expect(state.baseFees.length).toBeLessThanOrEqual(T.baselineBlocks);
  expect(state.opGas.call.length).toBeLessThanOrEqual(T.opBaselineSize);
  expect(state.opGas.create.length).toBeLessThanOrEqual(T.opBaselineSize);
});

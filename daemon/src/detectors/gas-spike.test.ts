import { describe, expect, test } from "vitest";
import { K, bundle, header, kitBlock, observedAt, op, runDetector } from "../../../test/daemon/helpers/kit-facts.js";
import { GAS_SPIKE_DEFAULTS as T, gasSpike, initialGasSpikeState, type GasSpikeFacts } from "./gas-spike.js";

const GWEI = 1_000_000_000n;
/** A block `fullness` (0..1) full of a 60M gas limit. */
const full = (n: number, wei: bigint, fullness: number): GasSpikeFacts => ({
  block: { ...header(n, wei), gasUsed: String(Math.round(60_000_000 * fullness)) },
  observedAt: observedAt(n),
});

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

describe("gas-spike: congestion, floors and recovery when the chain calms down", () => {
  /** An idle chain: the fee decays 12.5 % per empty block from 1 gwei to its 7-wei floor. */
  function idle(count: number) {
    const blocks: GasSpikeFacts[] = [];
    let fee = GWEI;
    for (let i = 1; i <= count; i++) {
      blocks.push(full(i, fee, 0.001));
      fee = fee - fee / 8n > 7n ? fee - fee / 8n : 7n;
    }
    return { blocks, fee };
  }

  test("ten 99%-full blocks from a 7-wei base fee: congestion (the fee only goes ×2.4), resolved within clearBlocks after", () => {
    const { blocks, fee: floor } = idle(500);
    expect(floor).toBe(7n);
    let fee = floor;
    const congested: GasSpikeFacts[] = [];
    for (let i = 0; i < 10; i++) {
      congested.push(full(501 + i, fee, 0.99));
      fee += (fee * 99n) / 800n + 1n; // EIP-1559 at 99 % full: up to +12.4 % a block
    }
    const calm = Array.from({ length: 30 }, (_, i) => full(511 + i, fee, 0.01));
    const { findings, state } = run([...blocks, ...congested, ...calm]);
    expect(findings.filter((f) => f.key === "gas-spike:base-fee")).toEqual([]);
    const raised = findings.filter((f) => f.key === "gas-spike:congestion" && !f.recovered);
    // As soon as the 5-block window is 99 % full (blocks 501-505): High.
    expect(raised[0]).toMatchObject({ block: 505, severity: "high", title: "Chain congested: blocks are full", layers: ["entryPoint", "accountFactory", "delegation"] });
    const recovered = findings.filter((f) => f.key === "gas-spike:congestion" && f.recovered);
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.block).toBeGreaterThan(510);
    expect(recovered[0]!.block).toBeLessThanOrEqual(510 + T.clearBlocks);
    expect(state.congestion).toBeUndefined();
  });

  test("below the floor base-fee ratios do not count: 7 wei → 2.9 gwei is no spike, 7 wei → 50 gwei is, and it recovers as the fee decays, not 100+ blocks later", () => {
    const { blocks } = idle(200);
    expect(run([...blocks, full(201, 2_900_000_000n, 0.01)]).findings).toEqual([]);
    const spike: GasSpikeFacts[] = [];
    let fee = 50n * GWEI;
    for (let i = 0; i < 60; i++) {
      spike.push(full(201 + i, fee, 0));
      fee -= fee / 8n;
    }
    const { findings } = run([...blocks, ...spike]);
    expect(findings[0]).toMatchObject({ key: "gas-spike:base-fee", severity: "high", evidence: { values: { baseline: GWEI.toString(), ratio: 50 } } });
    // 50 gwei × 0.875^n falls under 3 gwei (3 × the floor) after 22 blocks.
    const recovered = findings.filter((f) => f.recovered);
    expect(recovered.map((f) => f.block)).toEqual([201 + 21 + T.clearBlocks]);
  });

  test("the fee user operations pay (actualGasCost / actualGasUsed) against its own baseline: 15× is High", () => {
    const priced = (n: number, gwei: bigint) => ({
      block: header(n, GWEI),
      observedAt: observedAt(n),
      entryPoint: K.entryPoint,
      kit: kitBlock(n, { bundles: [bundle([op({ actualGasUsed: "100000", actualGasCost: String(100_000n * gwei * GWEI) })])] }),
    });
    const calm = Array.from({ length: 10 }, (_, i) => priced(i + 1, 2n));
    expect(run(calm).findings).toEqual([]);
    const { findings } = run([...calm, priced(11, 30n), ...Array.from({ length: 12 }, (_, i) => priced(12 + i, 2n))]);
    expect(findings.map((f) => [f.block, f.key, f.severity, f.recovered ?? false])).toEqual([
      [11, "gas-spike:op-gas-price", "high", false],
      [11 + T.clearBlocks, "gas-spike:op-gas-price", "high", true],
    ]);
    expect(findings[0]?.evidence?.values).toMatchObject({ gasPrice: String(30n * GWEI), baseline: String(2n * GWEI), ratio: 15 });
  });

  test("gas per operation below the floor is no spike: 20k → 80k gas (×4) is noise, 20k → 400k is", () => {
    const ops = (n: number, gas: number) => ({
      block: header(n, GWEI),
      observedAt: observedAt(n),
      kit: kitBlock(n, { bundles: [bundle([op({ actualGasUsed: String(gas) })])] }),
    });
    const base = Array.from({ length: 10 }, (_, i) => ops(i + 1, 20_000));
    expect(run([...base, ops(11, 80_000)]).findings).toEqual([]);
    expect(run([...base, ops(11, 400_000)]).findings).toMatchObject([{ key: "gas-spike:gas-per-op", severity: "medium", evidence: { values: { baseline: 100_000, ratio: 4 } } }]);
  });
});

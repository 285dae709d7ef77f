/**
 * gas-spike: the chain is congested, or operations became expensive. Judged
 * the way an operator reads a chain, with four signals of their own:
 *
 * - congestion: how full blocks are, the mean of `gasUsed / gasLimit` over
 *   the last `fullnessWindowBlocks` blocks: Medium from `congestedFullness`,
 *   High from `severeFullness`. Full blocks are congestion whatever the base
 *   fee says: from an idle chain's floor-level fee (7 wei) ten 99 %-full
 *   blocks raise it only ×2.4, under any ratio threshold;
 * - base fee: the block's `baseFeePerGas` against the median of the last
 *   `baselineBlocks` blocks' (judged once `minBaselineBlocks` are known), but
 *   never against less than `minBaseFeeWei`: below that floor a fee is
 *   negligible and ratios mean nothing (7 wei → 21 wei is ×3, and 7 wei →
 *   2.9 gwei would be ×4 × 10⁸ and take 150 blocks of decay to "recover");
 * - the fee users pay: the median effective gas price of the block's user
 *   operations (`actualGasCost / actualGasUsed` of UserOperationEvent)
 *   against the median of the last `opBaselineSize` operations', with the
 *   same floor;
 * - gas per operation: the median `actualGasUsed` of the block's user
 *   operations against the median of the last `opBaselineSize` operations of
 *   the same kind (account creations cost several times a plain call, so
 *   each kind has its own baseline; judged once `minOpSamples` are known),
 *   never against less than `minGasPerOp`.
 *
 * A ratio of at least `mediumRatio` is Medium (performance degradation), at
 * least `highRatio` High. Values of a spike do not enter the baselines, so a
 * lasting spike stays a spike instead of becoming the new normal. Each
 * signal recovers when the chain has calmed down: its value back under its
 * threshold (fullness under `congestedFullness`, a fee under `mediumRatio` ×
 * max(baseline, floor)) for `clearBlocks` blocks.
 */
import { LAYERS, type Address, type BlockHeaderFacts, type Finding, type Layer, type Severity } from "../types.js";
import type { KitBlock } from "../decode/kit-block.js";
import type { Detector } from "./detector.js";
import { blockEvidence, blockTime, finding, trackSymptom, type ActiveSymptom } from "./symptom.js";

export const GAS_SPIKE = "gas-spike";
export const GAS_SPIKE_BASE_FEE_KEY = `${GAS_SPIKE}:base-fee`;
export const GAS_SPIKE_PER_OP_KEY = `${GAS_SPIKE}:gas-per-op`;
export const GAS_SPIKE_CONGESTION_KEY = `${GAS_SPIKE}:congestion`;
export const GAS_SPIKE_OP_PRICE_KEY = `${GAS_SPIKE}:op-gas-price`;

export interface GasSpikeThresholds {
  /** Recent blocks whose base fees form the baseline. */
  baselineBlocks: number;
  minBaselineBlocks: number;
  /** Recent operations (per kind) whose gas, and whose gas prices, form the baselines. */
  opBaselineSize: number;
  minOpSamples: number;
  /** Ratio to the baseline from which a spike is Medium, and High. */
  mediumRatio: number;
  highRatio: number;
  /** Floor of the base-fee and gas-price baselines (wei, decimal): fees below it are negligible. */
  minBaseFeeWei: string;
  /** Floor of the gas-per-operation baseline (gas). */
  minGasPerOp: number;
  /** Blocks whose mean fullness (gas used / gas limit) is judged. */
  fullnessWindowBlocks: number;
  /** Mean fullness (0..1) from which the chain is congested (Medium), and severely (High). */
  congestedFullness: number;
  severeFullness: number;
  /** Blocks a signal must stay under its threshold before it is reported recovered. */
  clearBlocks: number;
  severity: { medium: Severity; high: Severity };
}

export const GAS_SPIKE_DEFAULTS: GasSpikeThresholds = {
  baselineBlocks: 20,
  minBaselineBlocks: 10,
  opBaselineSize: 50,
  minOpSamples: 5,
  mediumRatio: 3,
  highRatio: 10,
  minBaseFeeWei: "1000000000", // 1 gwei: below it no fee cap or sponsor budget is hurt
  minGasPerOp: 100_000, // a plain sponsored call; lighter baselines make ratios of noise
  fullnessWindowBlocks: 5,
  congestedFullness: 0.8, // EIP-1559 targets 50 %: sustained 80 % means queues and a rising fee
  severeFullness: 0.95,
  clearBlocks: 10,
  severity: { medium: "medium", high: "high" },
};

export interface GasSpikeFacts {
  block: BlockHeaderFacts;
  /** The kit view of the block (its operations' gas); without it only the block's fullness and base fee are judged. */
  kit?: KitBlock;
  entryPoint?: Address;
  observedAt: string;
}

type OpKind = "create" | "call";

export interface GasSpikeState {
  /** Recent base fees (wei, decimal), oldest first. */
  baseFees: string[];
  /** Recent `actualGasUsed` per operation kind, oldest first. */
  opGas: Record<OpKind, number[]>;
  /** Recent operations' effective gas prices (wei, decimal), oldest first. */
  opPrices?: string[];
  /** Recent blocks' fullness (gas used / gas limit, in per mille), oldest first. */
  fullness?: number[];
  baseFee?: ActiveSymptom;
  perOp?: ActiveSymptom;
  opPrice?: ActiveSymptom;
  congestion?: ActiveSymptom;
}

export const initialGasSpikeState = (): GasSpikeState => ({ baseFees: [], opGas: { create: [], call: [] }, opPrices: [], fullness: [] });

const OP_LAYERS: Layer[] = ["entryPoint"];

export const gasSpike: Detector<GasSpikeFacts, GasSpikeState, GasSpikeThresholds> = (facts, state, t) => {
  const { block } = facts;
  const at = facts.observedAt;
  const here = { number: block.number, at: blockTime(block) };
  const findings: Finding[] = [];
  const severityOf = (ratio: number): Severity => (ratio >= t.highRatio ? t.severity.high : t.severity.medium);
  const floorWei = BigInt(t.minBaseFeeWei);
  const contracts = facts.entryPoint ? [facts.entryPoint] : [];

  // 1. Congestion: the mean fullness of the last blocks.
  let fullness = state.fullness ?? [];
  const gasLimit = BigInt(block.gasLimit);
  if (gasLimit > 0n) fullness = [...fullness, Number((BigInt(block.gasUsed) * 1000n) / gasLimit)].slice(-t.fullnessWindowBlocks);
  const meanFullness = fullness.length >= t.fullnessWindowBlocks ? fullness.reduce((a, b) => a + b, 0) / fullness.length / 1000 : 0;
  const congested = meanFullness >= t.congestedFullness;
  const congestion = trackSymptom(
    state.congestion,
    here,
    { holds: congested, severity: meanFullness >= t.severeFullness ? t.severity.high : t.severity.medium, fresh: congested },
    t.clearBlocks,
  );
  if (congestion.report) {
    const values = { meanFullness: round(meanFullness), windowBlocks: t.fullnessWindowBlocks, gasUsed: block.gasUsed, gasLimit: block.gasLimit, congestedFullness: t.congestedFullness };
    findings.push(
      congestion.report === "recovered"
        ? finding({
            detector: GAS_SPIKE,
            key: GAS_SPIKE_CONGESTION_KEY,
            severity: state.congestion?.severity ?? t.severity.medium,
            title: "Chain no longer congested",
            summary: `Blocks have stayed under ${percent(t.congestedFullness)} full for ${t.clearBlocks} blocks; the congestion reported since #${state.congestion?.since} has ended.`,
            layers: LAYERS,
            contracts: [],
            evidence: blockEvidence(block, values),
            observedAt: at,
            recovered: true,
          })
        : finding({
            detector: GAS_SPIKE,
            key: GAS_SPIKE_CONGESTION_KEY,
            severity: congestion.active?.severity ?? t.severity.medium,
            title: "Chain congested: blocks are full",
            summary:
              `The last ${fullness.length} blocks were ${percent(meanFullness)} full on average (block #${block.number}: ${block.gasUsed} of ${block.gasLimit} gas). ` +
              "Operations wait for inclusion, and the base fee rises by up to 12.5 % a block while it lasts: bundles may miss their fee caps and sponsored operations cost more.",
            layers: LAYERS,
            contracts: [],
            evidence: blockEvidence(block, values),
            observedAt: at,
          }),
    );
  }

  // 2. Base fee, against max(rolling median, floor).
  let baseFees = state.baseFees;
  let baseFeeActive = state.baseFee;
  if (block.baseFeePerGas !== undefined) {
    const fee = BigInt(block.baseFeePerGas);
    const median = baseFees.length >= t.minBaselineBlocks ? medianBig(baseFees.map(BigInt)) : undefined;
    const baseline = median === undefined ? undefined : median > floorWei ? median : floorWei;
    const ratio = baseline !== undefined && baseline > 0n ? ratioOf(fee, baseline) : undefined;
    const holds = ratio !== undefined && ratio >= t.mediumRatio;
    if (!holds) baseFees = [...baseFees, fee.toString()].slice(-t.baselineBlocks);
    const step = trackSymptom(state.baseFee, here, { holds, severity: severityOf(ratio ?? 0), fresh: holds }, t.clearBlocks);
    baseFeeActive = step.active;
    if (step.report) {
      const values = { baseFeePerGas: fee.toString(), baseline: (baseline ?? 0n).toString(), ratio: round(ratio ?? 0), mediumRatio: t.mediumRatio, highRatio: t.highRatio, floorWei: t.minBaseFeeWei };
      findings.push(
        step.report === "recovered"
          ? finding({
              detector: GAS_SPIKE,
              key: GAS_SPIKE_BASE_FEE_KEY,
              severity: state.baseFee?.severity ?? t.severity.medium,
              title: "Base fee back to normal",
              summary: `The base fee has stayed below ${t.mediumRatio}× its baseline for ${t.clearBlocks} blocks; the spike reported since #${state.baseFee?.since} has ended.`,
              layers: LAYERS,
              contracts: [],
              evidence: blockEvidence(block, values),
              observedAt: at,
              recovered: true,
            })
          : finding({
              detector: GAS_SPIKE,
              key: GAS_SPIKE_BASE_FEE_KEY,
              severity: step.active?.severity ?? severityOf(ratio ?? 0),
              title: "Base fee spike",
              summary:
                `Block #${block.number}'s base fee is ${round(ratio ?? 0)}× its baseline (${fee} wei against ${baseline} wei: the median of ${baseFees.length} blocks, at least ${t.minBaseFeeWei} wei). ` +
                "Every operation costs that much more: sponsored operations drain the paymaster faster, and users' fee caps may no longer suffice.",
              layers: LAYERS,
              contracts: [],
              evidence: blockEvidence(block, values),
              observedAt: at,
            }),
      );
    }
  }

  // 3. The block's user operations: gas used by kind, effective gas price.
  const opGas: Record<OpKind, number[]> = { create: state.opGas.create, call: state.opGas.call };
  const byKind: Record<OpKind, Array<{ gas: number; txHash: `0x${string}`; logIndex?: number }>> = { create: [], call: [] };
  const prices: Array<{ price: bigint; txHash: `0x${string}`; logIndex?: number }> = [];
  for (const bundle of facts.kit?.bundles ?? []) {
    for (const op of bundle.ops) {
      if ((op.status !== "succeeded" && op.status !== "reverted") || op.actualGasUsed === undefined) continue;
      const ref = { txHash: op.txHash, ...(op.logIndex !== undefined ? { logIndex: op.logIndex } : {}) };
      byKind[op.creates ? "create" : "call"].push({ gas: Number(op.actualGasUsed), ...ref });
      const used = BigInt(op.actualGasUsed);
      if (op.actualGasCost !== undefined && used > 0n) prices.push({ price: BigInt(op.actualGasCost) / used, ...ref });
    }
  }

  // 3a. The fee users pay, against max(rolling median, floor).
  let opPrices = state.opPrices ?? [];
  let priceSpike: { ratio: number; median: bigint; baseline: bigint; tx: { txHash: `0x${string}`; logIndex?: number } } | undefined;
  if (prices.length > 0) {
    const median = medianBig(prices.map((p) => p.price));
    const known = opPrices.length >= t.minOpSamples ? medianBig(opPrices.map(BigInt)) : undefined;
    const baseline = known === undefined ? undefined : known > floorWei ? known : floorWei;
    const ratio = baseline !== undefined && baseline > 0n ? ratioOf(median, baseline) : undefined;
    if (ratio !== undefined && ratio >= t.mediumRatio) {
      const dearest = prices.reduce((a, b) => (b.price > a.price ? b : a));
      priceSpike = { ratio, median, baseline: baseline as bigint, tx: dearest };
    } else {
      opPrices = [...opPrices, ...prices.map((p) => p.price.toString())].slice(-t.opBaselineSize);
    }
  }
  const priceStep = trackSymptom(state.opPrice, here, { holds: priceSpike !== undefined, severity: severityOf(priceSpike?.ratio ?? 0), fresh: priceSpike !== undefined }, t.clearBlocks);
  if (priceStep.report) {
    findings.push(
      priceStep.report === "recovered" || !priceSpike
        ? finding({
            detector: GAS_SPIKE,
            key: GAS_SPIKE_OP_PRICE_KEY,
            severity: state.opPrice?.severity ?? t.severity.medium,
            title: "Operations' gas price back to normal",
            summary: `The gas price user operations pay has stayed below ${t.mediumRatio}× its baseline for ${t.clearBlocks} blocks; the spike reported since #${state.opPrice?.since} has ended.`,
            layers: OP_LAYERS,
            contracts,
            evidence: blockEvidence(block, {}),
            observedAt: at,
            recovered: true,
          })
        : finding({
            detector: GAS_SPIKE,
            key: GAS_SPIKE_OP_PRICE_KEY,
            severity: priceStep.active?.severity ?? severityOf(priceSpike.ratio),
            title: "User operations paying a high gas price",
            summary:
              `User operations in block #${block.number} paid ${round(priceSpike.ratio)}× their usual gas price (median ${priceSpike.median} wei against ${priceSpike.baseline} wei, actualGasCost / actualGasUsed). ` +
              "Users (or the paymaster, for sponsored operations) pay that much more per operation.",
            layers: OP_LAYERS,
            contracts,
            evidence: blockEvidence(block, { gasPrice: priceSpike.median.toString(), baseline: priceSpike.baseline.toString(), ratio: round(priceSpike.ratio) }, priceSpike.tx),
            observedAt: at,
          }),
    );
  }

  // 3b. Gas per operation, by kind, against max(rolling median, floor).
  let worst: { kind: OpKind; ratio: number; median: number; baseline: number; tx: { txHash: `0x${string}`; logIndex?: number } } | undefined;
  for (const kind of ["create", "call"] as const) {
    const ops = byKind[kind];
    if (ops.length === 0) continue;
    const median = medianNum(ops.map((o) => o.gas));
    const samples = opGas[kind];
    const baseline = samples.length >= t.minOpSamples ? Math.max(medianNum(samples), t.minGasPerOp) : undefined;
    const ratio = baseline !== undefined && baseline > 0 ? median / baseline : undefined;
    if (ratio !== undefined && ratio >= t.mediumRatio) {
      const heaviest = ops.reduce((a, b) => (b.gas > a.gas ? b : a));
      if (!worst || ratio > worst.ratio) worst = { kind, ratio, median, baseline: baseline as number, tx: heaviest };
    } else {
      opGas[kind] = [...samples, ...ops.map((o) => o.gas)].slice(-t.opBaselineSize);
    }
  }
  const opStep = trackSymptom(state.perOp, here, { holds: worst !== undefined, severity: severityOf(worst?.ratio ?? 0), fresh: worst !== undefined }, t.clearBlocks);
  if (opStep.report) {
    if (opStep.report === "recovered" || !worst) {
      findings.push(
        finding({
          detector: GAS_SPIKE,
          key: GAS_SPIKE_PER_OP_KEY,
          severity: state.perOp?.severity ?? t.severity.medium,
          title: "Gas per operation back to normal",
          summary: `Operations' gas has stayed below ${t.mediumRatio}× its baseline for ${t.clearBlocks} blocks; the spike reported since #${state.perOp?.since} has ended.`,
          layers: OP_LAYERS,
          contracts,
          evidence: blockEvidence(block, {}),
          observedAt: at,
          recovered: true,
        }),
      );
    } else {
      const what = worst.kind === "create" ? "account creations" : "operations";
      findings.push(
        finding({
          detector: GAS_SPIKE,
          key: GAS_SPIKE_PER_OP_KEY,
          severity: opStep.active?.severity ?? severityOf(worst.ratio),
          title: "Gas per operation spike",
          summary:
            `User ${what} in block #${block.number} used ${round(worst.ratio)}× their usual gas (median ${worst.median} against ${worst.baseline}). ` +
            "Operations are slower and dearer: a heavier code path, a gas-griefing call, or a changed contract.",
          layers: OP_LAYERS,
          contracts,
          evidence: blockEvidence(block, { kind: worst.kind, gasPerOp: worst.median, baseline: worst.baseline, ratio: round(worst.ratio) }, worst.tx),
          observedAt: at,
        }),
      );
    }
  }

  return {
    findings,
    nextState: {
      baseFees,
      opGas,
      opPrices,
      fullness,
      ...(baseFeeActive ? { baseFee: baseFeeActive } : {}),
      ...(opStep.active ? { perOp: opStep.active } : {}),
      ...(priceStep.active ? { opPrice: priceStep.active } : {}),
      ...(congestion.active ? { congestion: congestion.active } : {}),
    },
  };
};

/** A share as a percentage with at most one decimal. */
function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

function medianBig(values: readonly bigint[]): bigint {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as bigint) : ((sorted[mid - 1] as bigint) + (sorted[mid] as bigint)) / 2n;
}

function medianNum(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** a / b with three decimals, exact for huge values. */
function ratioOf(a: bigint, b: bigint): number {
  return Number((a * 1000n) / b) / 1000;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * gas-spike: operations became expensive.
 *
 * Two measures, each against a rolling baseline of its own recent values
 * (never a fixed gwei figure: an idle chain's base fee decays to a few wei,
 * and chains differ by orders of magnitude):
 *
 * - base fee: the block's `baseFeePerGas` against the median of the last
 *   `baselineBlocks` blocks' (judged once `minBaselineBlocks` are known);
 * - gas per operation: the median `actualGasUsed` of the block's user
 *   operations against the median of the last `opBaselineSize` operations of
 *   the same kind (account creations cost several times a plain call, so
 *   each kind has its own baseline; judged once `minOpSamples` are known).
 *
 * A ratio of at least `mediumRatio` is Medium (performance degradation), at
 * least `highRatio` High. Values of a spike do not enter the baseline, so a
 * lasting spike stays a spike instead of becoming the new normal. Recovered
 * once the ratio has stayed below `mediumRatio` for `clearBlocks` blocks.
 */
import { LAYERS, type Address, type BlockHeaderFacts, type Finding, type Layer, type Severity } from "../types.js";
import type { KitBlock } from "../decode/kit-block.js";
import type { Detector } from "./detector.js";
import { blockEvidence, blockTime, finding, trackSymptom, type ActiveSymptom } from "./symptom.js";

export const GAS_SPIKE = "gas-spike";
export const GAS_SPIKE_BASE_FEE_KEY = `${GAS_SPIKE}:base-fee`;
export const GAS_SPIKE_PER_OP_KEY = `${GAS_SPIKE}:gas-per-op`;

export interface GasSpikeThresholds {
  /** Recent blocks whose base fees form the baseline. */
  baselineBlocks: number;
  minBaselineBlocks: number;
  /** Recent operations (per kind) whose gas forms the baseline. */
  opBaselineSize: number;
  minOpSamples: number;
  /** Ratio to the baseline from which a spike is Medium, and High. */
  mediumRatio: number;
  highRatio: number;
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
  clearBlocks: 10,
  severity: { medium: "medium", high: "high" },
};

export interface GasSpikeFacts {
  block: BlockHeaderFacts;
  /** The kit view of the block (its operations' gas); without it only the base fee is judged. */
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
  baseFee?: ActiveSymptom;
  perOp?: ActiveSymptom;
}

export const initialGasSpikeState = (): GasSpikeState => ({ baseFees: [], opGas: { create: [], call: [] } });

const OP_LAYERS: Layer[] = ["entryPoint"];

export const gasSpike: Detector<GasSpikeFacts, GasSpikeState, GasSpikeThresholds> = (facts, state, t) => {
  const { block } = facts;
  const at = facts.observedAt;
  const findings: Finding[] = [];
  const severityOf = (ratio: number): Severity => (ratio >= t.highRatio ? t.severity.high : t.severity.medium);

  // 1. Base fee.
  let baseFees = state.baseFees;
  let baseFeeActive = state.baseFee;
  if (block.baseFeePerGas !== undefined) {
    const fee = BigInt(block.baseFeePerGas);
    const baseline = baseFees.length >= t.minBaselineBlocks ? medianBig(baseFees.map(BigInt)) : undefined;
    const ratio = baseline !== undefined && baseline > 0n ? ratioOf(fee, baseline) : undefined;
    const holds = ratio !== undefined && ratio >= t.mediumRatio;
    if (!holds) baseFees = [...baseFees, fee.toString()].slice(-t.baselineBlocks);
    const step = trackSymptom(state.baseFee, { number: block.number, at: blockTime(block) }, { holds, severity: severityOf(ratio ?? 0), fresh: holds }, t.clearBlocks);
    baseFeeActive = step.active;
    if (step.report) {
      const values = { baseFeePerGas: fee.toString(), baseline: (baseline ?? 0n).toString(), ratio: round(ratio ?? 0), mediumRatio: t.mediumRatio, highRatio: t.highRatio };
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
                `Block #${block.number}'s base fee is ${round(ratio ?? 0)}× its recent median (${fee} wei against ${baseline} wei over ${baseFees.length} blocks). ` +
                "Every operation costs that much more: sponsored operations drain the paymaster faster, and users' fee caps may no longer suffice.",
              layers: LAYERS,
              contracts: [],
              evidence: blockEvidence(block, values),
              observedAt: at,
            }),
      );
    }
  }

  // 2. Gas per operation, by kind.
  const opGas: Record<OpKind, number[]> = { create: state.opGas.create, call: state.opGas.call };
  const byKind: Record<OpKind, Array<{ gas: number; txHash: `0x${string}`; logIndex?: number }>> = { create: [], call: [] };
  for (const bundle of facts.kit?.bundles ?? []) {
    for (const op of bundle.ops) {
      if ((op.status !== "succeeded" && op.status !== "reverted") || op.actualGasUsed === undefined) continue;
      byKind[op.creates ? "create" : "call"].push({ gas: Number(op.actualGasUsed), txHash: op.txHash, ...(op.logIndex !== undefined ? { logIndex: op.logIndex } : {}) });
    }
  }
  let worst: { kind: OpKind; ratio: number; median: number; baseline: number; tx: { txHash: `0x${string}`; logIndex?: number } } | undefined;
  for (const kind of ["create", "call"] as const) {
    const ops = byKind[kind];
    if (ops.length === 0) continue;
    const median = medianNum(ops.map((o) => o.gas));
    const samples = opGas[kind];
    const baseline = samples.length >= t.minOpSamples ? medianNum(samples) : undefined;
    const ratio = baseline !== undefined && baseline > 0 ? median / baseline : undefined;
    if (ratio !== undefined && ratio >= t.mediumRatio) {
      const heaviest = ops.reduce((a, b) => (b.gas > a.gas ? b : a));
      if (!worst || ratio > worst.ratio) worst = { kind, ratio, median, baseline: baseline as number, tx: heaviest };
    } else {
      opGas[kind] = [...samples, ...ops.map((o) => o.gas)].slice(-t.opBaselineSize);
    }
  }
  const opStep = trackSymptom(
    state.perOp,
    { number: block.number, at: blockTime(block) },
    { holds: worst !== undefined, severity: severityOf(worst?.ratio ?? 0), fresh: worst !== undefined },
    t.clearBlocks,
  );
  if (opStep.report) {
    const contracts = facts.entryPoint ? [facts.entryPoint] : [];
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
    nextState: { baseFees, opGas, ...(baseFeeActive ? { baseFee: baseFeeActive } : {}), ...(opStep.active ? { perOp: opStep.active } : {}) },
  };
};

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

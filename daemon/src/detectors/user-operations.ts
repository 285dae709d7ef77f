/**
 * user-operations: user operations fail.
 *
 * Per block it counts the operations that ran (`UserOperationEvent`) or were
 * refused, and those that failed:
 *
 * - executed with `success == false`: the account's call reverted
 *   (`UserOperationRevertReason` gives the reason when the revert carried
 *   data) or the paymaster's postOp did (`PostOpRevertReason`);
 * - named by the EntryPoint when it refused a bundle (`FailedOp` /
 *   `FailedOpWithRevert`: AA2x account validation, AA3x paymaster, AA4x gas,
 *   AA5x postOp, AA9x bundle);
 * - in a reverted bundle whose revert data is unknown (one per bundle).
 *
 * Not counted here: creation failures (AA1x, AA20, creating ops of bundles
 * reverted for unknown reasons: account-creation's), operations a refused
 * bundle carried besides the refused one (not executed, not failed), and
 * refusals because the paymaster is paused by Guardian.
 *
 * At least `minFailures` failures and a failure rate of at least
 * `maxFailureRate` over the last `windowBlocks` blocks: High (degraded
 * functionality). Recovered once it has not held for `clearBlocks` blocks.
 */
import type { Address, Finding, Layer, Severity } from "../types.js";
import type { KitBlock, OpOutcome } from "../decode/kit-block.js";
import { describeRevert, isPausedRevert, type DecodedRevert } from "../decode/revert.js";
import { isCreationCode } from "./account-creation.js";
import type { Detector } from "./detector.js";
import {
  blockEvidence,
  blockTime,
  countCause,
  describeCauses,
  finding,
  pausedRefusalCounts,
  percent,
  slideWindow,
  trackSymptom,
  windowTotals,
  type ActiveSymptom,
  type LayerPauses,
  type RateSample,
} from "./symptom.js";

export const USER_OPERATIONS = "user-operations";
export const USER_OPERATIONS_KEY = `${USER_OPERATIONS}:failing`;

export interface UserOperationsThresholds {
  windowBlocks: number;
  minFailures: number;
  /** Failure rate (0..1) from which operations count as failing. */
  maxFailureRate: number;
  clearBlocks: number;
  severity: Severity;
}

export const USER_OPERATIONS_DEFAULTS: UserOperationsThresholds = {
  windowBlocks: 20,
  minFailures: 2,
  maxFailureRate: 0.25,
  clearBlocks: 20,
  severity: "high",
};

export interface UserOperationsFacts {
  kit: KitBlock;
  pauses: LayerPauses;
  entryPoint?: Address;
  paymaster?: Address;
}

export interface UserOperationsState {
  samples: RateSample[];
  active?: ActiveSymptom;
}

export const initialUserOperationsState = (): UserOperationsState => ({ samples: [] });

const LAYERS: Layer[] = ["entryPoint"];

/** The cause of a failed operation ("AA33 → GuardedPaymasterPaused", "postOp: Error(...)"), "ok", or undefined when it does not count here. */
export function opFailureCause(op: OpOutcome, pauses: LayerPauses): string | "ok" | undefined {
  if (op.status === "refused" && isCreationCode(op.code)) return undefined; // account-creation's, paused or not
  switch (op.status) {
    case "succeeded":
      return "ok";
    case "reverted":
      if (op.postOpReverted) return `postOp ${short(op.revert)}`;
      return `reverted ${short(op.revert)}`;
    case "refused":
      if (isPausedRevert(op.revert) && !pausedRefusalCounts(pauses, "entryPoint")) return undefined;
      return op.revert?.kind === "failed-op" && op.revert.inner ? `${op.code ?? op.revert.reason} → ${short(op.revert.inner)}` : (op.code ?? short(op.revert));
    case "unknown":
      return op.creates ? undefined : op.revert ? `bundle ${short(op.revert)}` : "bundle reverted (no revert data)";
    case "not-included":
      return undefined;
  }
}

function short(r: DecodedRevert | undefined): string {
  if (!r) return "(no reason)";
  switch (r.kind) {
    case "empty":
      return "(no reason)";
    case "custom":
      return r.name;
    case "error":
      return `"${r.message}"`;
    default:
      return describeRevert(r);
  }
}

export const userOperations: Detector<UserOperationsFacts, UserOperationsState, UserOperationsThresholds> = (facts, state, t) => {
  const { kit, pauses } = facts;
  const n = kit.block.number;

  const sample: RateSample = { n, ok: 0, failed: 0, causes: {} };
  let first: { txHash: `0x${string}`; logIndex?: number } | undefined;
  for (const bundle of kit.bundles) {
    let unknownCounted = false;
    for (const op of bundle.ops) {
      const cause = opFailureCause(op, pauses);
      if (cause === undefined) continue;
      if (cause === "ok") {
        sample.ok++;
        continue;
      }
      if (op.status === "unknown") {
        // One failure per bundle whose cause is unknown: its ops were not executed, one of them made it revert.
        if (unknownCounted) continue;
        unknownCounted = true;
      }
      sample.failed++;
      countCause(sample.causes, cause);
      first ??= { txHash: op.txHash, ...(op.logIndex !== undefined ? { logIndex: op.logIndex } : {}) };
    }
  }

  const samples = slideWindow(state.samples, sample, t.windowBlocks);
  const totals = windowTotals(samples);
  const holds = totals.failed >= t.minFailures && totals.rate >= t.maxFailureRate;
  const at = kit.observedAt;
  const { report, active } = trackSymptom(state.active, { number: n, at: blockTime(kit.block) }, { holds, severity: t.severity, fresh: sample.failed > 0 }, t.clearBlocks);
  const nextState: UserOperationsState = { samples, ...(active ? { active } : {}) };
  if (!report) return { findings: [], nextState };

  const contracts = [facts.entryPoint, facts.paymaster].filter((a): a is Address => a !== undefined);
  const values = {
    failures: totals.failed,
    operations: totals.failed + totals.ok,
    failureRate: Math.round(totals.rate * 1000) / 1000,
    windowBlocks: t.windowBlocks,
    causes: describeCauses(totals.causes),
  };
  const findings: Finding[] = [
    report === "recovered"
      ? finding({
          detector: USER_OPERATIONS,
          key: USER_OPERATIONS_KEY,
          severity: state.active?.severity ?? t.severity,
          title: "User operations succeed again",
          summary: `The user-operation failure rate has stayed below ${percent(t.maxFailureRate)} for ${t.clearBlocks} blocks; the symptom reported since #${state.active?.since} has ended.`,
          layers: LAYERS,
          contracts,
          evidence: blockEvidence(kit.block, values),
          observedAt: at,
          recovered: true,
        })
      : finding({
          detector: USER_OPERATIONS,
          key: USER_OPERATIONS_KEY,
          severity: active?.severity ?? t.severity,
          title: "User operations failing",
          summary:
            `${totals.failed} of ${totals.failed + totals.ok} user operations failed in the last ${t.windowBlocks} blocks (${percent(totals.rate)}): ${describeCauses(totals.causes)}. ` +
            "Users' transactions are not going through; check the causes (account reverts, paymaster refusals, gas).",
          layers: LAYERS,
          contracts,
          evidence: blockEvidence(kit.block, values, first),
          observedAt: at,
        }),
  ];
  return { findings, nextState };
};

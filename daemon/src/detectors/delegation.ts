/**
 * delegation: delegations cannot be redeemed.
 *
 * Successes are the DelegationManager's `RedeemedDelegation` events (one per
 * redeemed chain: deduplicated by transaction, redeemer and root delegator).
 * Failures are reverted `redeemDelegations` transactions, and user operations
 * that called the DelegationManager (a smart account redeeming) and whose
 * execution reverted with one of its refusals, each decoded to its cause (an
 * operation calling an enforcer directly redeems nothing and is the
 * operations' failure only):
 *
 * - expired / not-yet-valid: a time or block-number caveat
 *   (`"TimestampEnforcer:expired-delegation"`);
 * - disabled: `CannotUseADisabledDelegation` (the delegator disabled it);
 * - invalid-delegate / invalid-signature / invalid-authority: the chain or
 *   its signatures do not check out;
 * - enforcer: any other caveat enforcer's `Error("…Enforcer:…")`;
 * - paused: `EnforcedPause`; not counted while the delegation layer is paused
 *   by Guardian (that is the circuit breaker working) nor when no pause was
 *   seen (the contract's own error proves one), counted when it was paused
 *   outside Guardian;
 * - other / unknown: another revert, or no revert data.
 *
 * At least `minFailures` failures and a failure rate of at least
 * `maxFailureRate` over the last `windowBlocks` blocks: High (degraded
 * functionality: "delegation not working"). Recovered once it has not held
 * for `clearBlocks` blocks.
 */
import type { Address, Finding, Hex, Layer, Severity } from "../types.js";
import type { KitBlock, OpOutcome } from "../decode/kit-block.js";
import { callsContract } from "../decode/calls.js";
import { delegationCause, isDelegationRefusal } from "../decode/revert.js";
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

export const DELEGATION = "delegation";
export const DELEGATION_KEY = `${DELEGATION}:failing`;

export interface DelegationThresholds {
  windowBlocks: number;
  minFailures: number;
  maxFailureRate: number;
  clearBlocks: number;
  severity: Severity;
}

export const DELEGATION_DEFAULTS: DelegationThresholds = {
  windowBlocks: 20,
  minFailures: 2,
  maxFailureRate: 0.5,
  clearBlocks: 20,
  severity: "high",
};

export interface DelegationFacts {
  kit: KitBlock;
  pauses: LayerPauses;
  delegationManager?: Address;
}

export interface DelegationState {
  samples: RateSample[];
  active?: ActiveSymptom;
}

export const initialDelegationState = (): DelegationState => ({ samples: [] });

const LAYERS: Layer[] = ["delegation"];

/**
 * Whether an operation's refusal is a delegation's: its call reached the
 * DelegationManager (a target, or the account's own `redeemDelegations`).
 * An operation calling an enforcer (or anything else) directly and reverting
 * with an enforcer's message redeemed nothing. When the op's calls are not
 * known (rebuilt from events, an unknown account), only the
 * DelegationManager's own custom errors count, never a bare message.
 */
export function redeemedThroughManager(op: OpOutcome, delegationManager: Address | undefined): boolean {
  if (op.calls) return delegationManager !== undefined && callsContract(op.calls, delegationManager, true);
  return op.revert?.kind === "custom";
}

export const delegation: Detector<DelegationFacts, DelegationState, DelegationThresholds> = (facts, state, t) => {
  const { kit, pauses } = facts;
  const n = kit.block.number;

  const redeemed = new Set<string>();
  for (const e of kit.events) if (e.kind === "dm.redeemed") redeemed.add(`${e.at.txHash}:${e.redeemer}:${e.rootDelegator}`);
  const sample: RateSample = { n, ok: redeemed.size, failed: 0, causes: {} };
  let first: { txHash: Hex; logIndex?: number } | undefined;
  const fail = (cause: string, txHash: Hex, logIndex?: number) => {
    if (cause === "paused" && !pausedRefusalCounts(pauses, "delegation")) return;
    sample.failed++;
    countCause(sample.causes, cause);
    first ??= { txHash, ...(logIndex !== undefined ? { logIndex } : {}) };
  };
  for (const r of kit.redemptions) if (r.status === "reverted") fail(delegationCause(r.revert), r.txHash);
  for (const bundle of kit.bundles) {
    for (const op of bundle.ops) {
      if (op.status === "reverted" && !op.postOpReverted && isDelegationRefusal(op.revert) && redeemedThroughManager(op, facts.delegationManager)) {
        fail(delegationCause(op.revert), op.txHash, op.logIndex);
      }
    }
  }

  const samples = slideWindow(state.samples, sample, t.windowBlocks);
  const totals = windowTotals(samples);
  const holds = totals.failed >= t.minFailures && totals.rate >= t.maxFailureRate;
  const at = kit.observedAt;
  const { report, active } = trackSymptom(state.active, { number: n, at: blockTime(kit.block) }, { holds, severity: t.severity, fresh: sample.failed > 0 }, t.clearBlocks);
  const nextState: DelegationState = { samples, ...(active ? { active } : {}) };
  if (!report) return { findings: [], nextState };

  const contracts = facts.delegationManager ? [facts.delegationManager] : [];
  const values = {
    failures: totals.failed,
    redemptions: totals.ok,
    failureRate: Math.round(totals.rate * 1000) / 1000,
    windowBlocks: t.windowBlocks,
    causes: describeCauses(totals.causes),
  };
  const findings: Finding[] = [
    report === "recovered"
      ? finding({
          detector: DELEGATION,
          key: DELEGATION_KEY,
          severity: state.active?.severity ?? t.severity,
          title: "Delegations redeem again",
          summary: `The delegation failure rate has stayed below ${percent(t.maxFailureRate)} for ${t.clearBlocks} blocks; the symptom reported since #${state.active?.since} has ended.`,
          layers: LAYERS,
          contracts,
          evidence: blockEvidence(kit.block, values),
          observedAt: at,
          recovered: true,
        })
      : finding({
          detector: DELEGATION,
          key: DELEGATION_KEY,
          severity: active?.severity ?? t.severity,
          title: "Delegation redemptions failing",
          summary:
            `${totals.failed} of ${totals.failed + totals.ok} delegation redemptions failed in the last ${t.windowBlocks} blocks (${percent(totals.rate)}): ${describeCauses(totals.causes)}. ` +
            "Delegates cannot act for their delegators; expired or disabled delegations point at the dapp, signature and enforcer errors at the kit or the caveats.",
          layers: LAYERS,
          contracts,
          evidence: blockEvidence(kit.block, values, first),
          observedAt: at,
        }),
  ];
  return { findings, nextState };
};

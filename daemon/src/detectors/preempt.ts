/**
 * preempt: the outflow judgements, made on a transaction still in the
 * mempool (issue 17). Pure and stateless: it reads the outflow detector's
 * windows as the last committed block left them, and adds what the pending
 * transaction would do (decode/pending.ts). Its findings carry the same keys
 * as the outflow detector's, so a pending drain and the same drain mined
 * are one incident; they are Critical and marked `pending`.
 *
 * - Value through delegations: the window's value plus what the transaction
 *   would move out of delegators' accounts reaches `maxDelegatedValueWei`
 *   (outflow's limit). A pause of the delegation layer makes the redemption
 *   revert (`EnforcedPause()`): pre-emptable.
 * - A large redemption by an unknown delegate: one transaction moving at
 *   least `unknownDelegateWei` through delegations, redeemed by an account
 *   not in `knownDelegates` (the operator's own relayers and dapps).
 *   Pre-emptable, same key.
 * - Sponsored operations draining the paymaster's deposit: their gas plus
 *   the window's outflow reaches `maxDepositDrainFraction` of the deposit.
 *   A paused paymaster refuses to validate (the bundle reverts): pre-emptable.
 * - A withdrawal of the paymaster's deposit to an account that is not
 *   trusted (or while the deposit's size is unknown): only the paymaster's
 *   owner can make it, and no pause stops it, so the finding opens the
 *   incident earlier and marks itself not pre-emptable (no fee race).
 *
 * Nothing is judged when the simulation reverts (the transaction would do
 * nothing) or when the layer is already paused.
 */
import type { Address, Finding, Layer, PendingMark } from "../types.js";
import type { PendingKit } from "../decode/pending.js";
import type { OutflowState, OutflowThresholds } from "./outflow.js";
import { OUTFLOW } from "./outflow.js";
import type { LayerPauses } from "./symptom.js";

export const PREEMPT = "preempt";

export interface PreemptThresholds {
  /** One redemption moving at least this (wei, decimal) by a delegate not in `knownDelegates` is Critical. */
  unknownDelegateWei: string;
  /** Redeemers the operator knows (any case). */
  knownDelegates: readonly Address[];
}

export const PREEMPT_DEFAULTS: PreemptThresholds = {
  unknownDelegateWei: (5n * 10n ** 18n).toString(),
  knownDelegates: [],
};

export interface PreemptFacts {
  pending: PendingKit;
  /** ISO time the daemon first learned of the transaction. */
  seenAt: string;
  observedAt: string;
  /** The outflow detector's windows as of the last committed block. */
  outflow: OutflowState;
  outflowThresholds: OutflowThresholds;
  pauses: LayerPauses;
  paymaster?: Address;
  delegationManager?: Address;
  /** Accounts a withdrawal may go to (any case). */
  trusted: readonly Address[];
}

const DELEGATION: Layer[] = ["delegation"];
const ENTRY_POINT: Layer[] = ["entryPoint"];

function paused(pauses: LayerPauses, layer: Layer): boolean {
  return pauses[layer] !== undefined && pauses[layer] !== null;
}

/** Sum of a window's entries within `windowBlocks` of the block after `n` (where the pending transaction would land). */
function windowSum(list: ReadonlyArray<{ n: number; wei: string }>, n: number, windowBlocks: number): bigint {
  return list.filter((x) => x.n > n + 1 - windowBlocks).reduce((s, x) => s + BigInt(x.wei), 0n);
}

export function preempt(facts: PreemptFacts, t: PreemptThresholds): Finding[] {
  const p = facts.pending;
  if (!p.succeeds) return [];
  const findings: Finding[] = [];
  const mark = (preemptable: boolean): PendingMark => ({ txHash: p.txHash, from: p.from, seenAt: facts.seenAt, preemptable });
  const o = facts.outflowThresholds;
  const evidence = (values: Record<string, string | number | boolean>) => ({ blockNumber: p.block.number, blockHash: p.block.hash, txHash: p.txHash, values: { pending: true, ...values } });

  // 1. Delegations.
  const dm = facts.delegationManager?.toLowerCase() as Address | undefined;
  if (dm && p.delegatedValue > 0n && !paused(facts.pauses, "delegation")) {
    const window = windowSum(facts.outflow.delegated, p.block.number, o.windowBlocks);
    const limit = BigInt(o.maxDelegatedValueWei);
    const known = new Set(t.knownDelegates.map((a) => a.toLowerCase()));
    const stranger = p.redemptions.find((r) => !known.has(r.redeemer) && r.value >= BigInt(t.unknownDelegateWei));
    const overLimit = limit > 0n && window + p.delegatedValue >= limit;
    if (overLimit || stranger) {
      const why = overLimit
        ? `${p.delegatedValue} wei would leave delegators' accounts through delegations, ${window + p.delegatedValue} wei within ${o.windowBlocks} blocks (limit ${limit} wei)`
        : `${stranger!.redeemer}, a delegate not known to the operator, would move ${stranger!.value} wei through delegations in one redemption`;
      findings.push({
        detector: PREEMPT,
        key: `${OUTFLOW}:delegations:${dm}`,
        severity: o.severity.delegated === "critical" || stranger ? "critical" : o.severity.delegated,
        title: "Pending drain through delegations",
        summary: `A pending transaction ${p.txHash} from ${p.from}, simulated on block ${p.block.number}: ${why}. Pausing the delegation layer before it is mined makes it revert.`,
        layers: DELEGATION,
        contracts: [dm],
        evidence: evidence({
          value: p.delegatedValue.toString(),
          windowValue: (window + p.delegatedValue).toString(),
          limit: limit.toString(),
          ...(stranger ? { unknownDelegate: stranger.redeemer } : {}),
          traced: p.traced,
        }),
        observedAt: facts.observedAt,
        pending: mark(true),
      });
    }
  }

  // 2. The paymaster's deposit.
  const pm = facts.paymaster?.toLowerCase() as Address | undefined;
  if (pm) {
    const trusted = new Set(facts.trusted.map((a) => a.toLowerCase()));
    const withdrawal = p.events.find((e) => e.kind === "ep.withdrawn" && e.account === pm && (!trusted.has(e.withdrawAddress) || facts.outflow.deposit === undefined));
    let sponsored = 0n;
    for (const e of p.events) if (e.kind === "ep.userOperation" && e.paymaster === pm) sponsored += BigInt(e.actualGasCost);
    const deposit = facts.outflow.deposit === undefined ? undefined : BigInt(facts.outflow.deposit);
    const windowOut = windowSum(facts.outflow.depositOut, p.block.number, o.windowBlocks);
    const reference = deposit === undefined ? undefined : deposit + windowOut;
    const draining = sponsored > 0n && reference !== undefined && reference > 0n && Number(((windowOut + sponsored) * 10_000n) / reference) / 10_000 >= o.maxDepositDrainFraction;
    if (withdrawal && withdrawal.kind === "ep.withdrawn") {
      findings.push({
        detector: PREEMPT,
        key: `${OUTFLOW}:paymaster-deposit:${pm}`,
        severity: "critical",
        title: "Pending withdrawal of the paymaster's deposit",
        summary:
          `A pending transaction ${p.txHash} from ${p.from} would withdraw ${withdrawal.amount} wei of the paymaster's EntryPoint deposit to ${withdrawal.withdrawAddress}` +
          `${trusted.has(withdrawal.withdrawAddress) ? " while the deposit's size is unknown" : ", which is not a trusted account"}. Only the paymaster's owner can: its key may be compromised. A pause cannot stop a withdrawal; the incident is opened before it lands.`,
        layers: ENTRY_POINT,
        contracts: [pm],
        evidence: evidence({ amount: withdrawal.amount, withdrawAddress: withdrawal.withdrawAddress }),
        observedAt: facts.observedAt,
        pending: mark(false),
      });
    } else if (draining && !paused(facts.pauses, "entryPoint")) {
      findings.push({
        detector: PREEMPT,
        key: `${OUTFLOW}:paymaster-deposit:${pm}`,
        severity: "critical",
        title: "Pending operations would drain the paymaster",
        summary: `A pending bundle ${p.txHash} would spend ${sponsored} wei of the paymaster's deposit on sponsored gas, ${windowOut + sponsored} wei within ${o.windowBlocks} blocks, at least ${o.maxDepositDrainFraction * 100}% of it. Pausing the paymaster before it is mined makes its validation refuse.`,
        layers: ENTRY_POINT,
        contracts: [pm],
        evidence: evidence({ sponsored: sponsored.toString(), windowOut: (windowOut + sponsored).toString(), ...(deposit !== undefined ? { deposit: deposit.toString() } : {}) }),
        observedAt: facts.observedAt,
        pending: mark(true),
      });
    }
  }
  return findings;
}

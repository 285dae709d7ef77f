/**
 * outflow: funds leave faster than they should.
 *
 * - The paymaster's EntryPoint deposit (what pays for sponsored operations).
 *   It is tracked from the EntryPoint's events: `Deposited` gives the total,
 *   `Withdrawn` and the `actualGasCost` of operations the paymaster sponsored
 *   take from it. Every withdrawal is reported: Critical (funds at risk) when
 *   it goes to an account that is not trusted, when the deposit's size is
 *   unknown (no `Deposited` seen since the daemon started), or when the
 *   deposit's outflow over the last `windowBlocks` blocks reaches
 *   `maxDepositDrainFraction` of what it held at the window's start; else
 *   `withdrawal` (Medium: a planned withdrawal by the owner). The same drain
 *   fraction reached through sponsored gas alone (a leaked sponsor key
 *   sponsoring junk) is Critical too. Key `outflow:paymaster-deposit:<paymaster>`.
 * - Native value moved out of delegators' accounts through successful
 *   `redeemDelegations` transactions: at least `maxDelegatedValueWei` within
 *   `windowBlocks` blocks is Critical (a drain through delegations). Key
 *   `outflow:delegations:<delegationManager>`.
 *
 * Thresholds in wei are decimal strings (JSON-safe uint256).
 */
import type { Address, Finding, Hex, Layer, Severity } from "../types.js";
import type { KitBlock } from "../decode/kit-block.js";
import type { Detector } from "./detector.js";
import { blockEvidence, blockTime, finding, trackSymptom, type ActiveSymptom } from "./symptom.js";

export const OUTFLOW = "outflow";

export interface OutflowThresholds {
  windowBlocks: number;
  /** Share (0..1) of the deposit that may leave within the window. */
  maxDepositDrainFraction: number;
  /** Native value (wei, decimal) that may move through delegations within the window. */
  maxDelegatedValueWei: string;
  severity: { drain: Severity; withdrawal: Severity; delegated: Severity };
}

export const OUTFLOW_DEFAULTS: OutflowThresholds = {
  windowBlocks: 100,
  maxDepositDrainFraction: 0.5,
  maxDelegatedValueWei: (10n * 10n ** 18n).toString(),
  severity: { drain: "critical", withdrawal: "medium", delegated: "critical" },
};

export interface OutflowFacts {
  kit: KitBlock;
  paymaster?: Address;
  delegationManager?: Address;
  /** Accounts a withdrawal may go to (any case). */
  trusted: readonly Address[];
}

export interface OutflowState {
  /** The paymaster's deposit as last known (wei, decimal); absent until a `Deposited` was seen. */
  deposit?: string;
  /** Outflows of the deposit (withdrawals and sponsored gas) in recent blocks. */
  depositOut: Array<{ n: number; wei: string }>;
  /** Value moved through delegations in recent blocks. */
  delegated: Array<{ n: number; wei: string }>;
  drain?: ActiveSymptom;
  delegatedDrain?: ActiveSymptom;
}

export const initialOutflowState = (): OutflowState => ({ depositOut: [], delegated: [] });

const DEPOSIT_LAYERS: Layer[] = ["entryPoint"];
const DELEGATION_LAYERS: Layer[] = ["delegation"];

export const outflow: Detector<OutflowFacts, OutflowState, OutflowThresholds> = (facts, state, t) => {
  const { kit } = facts;
  const n = kit.block.number;
  const at = kit.observedAt;
  const findings: Finding[] = [];
  const trusted = new Set(facts.trusted.map((a) => a.toLowerCase()));
  const window = (list: OutflowState["depositOut"], wei: bigint) =>
    [...list.filter((x) => x.n > n - t.windowBlocks && x.n < n), ...(wei > 0n ? [{ n, wei: wei.toString() }] : [])];
  const sum = (list: OutflowState["depositOut"]) => list.reduce((s, x) => s + BigInt(x.wei), 0n);

  // 1. The paymaster's deposit.
  const pm = facts.paymaster?.toLowerCase();
  let deposit = state.deposit === undefined ? undefined : BigInt(state.deposit);
  let out = 0n;
  const withdrawals: Array<Extract<KitBlock["events"][number], { kind: "ep.withdrawn" }>> = [];
  if (pm) {
    for (const e of kit.events) {
      if (e.kind === "ep.deposited" && e.account === pm) deposit = BigInt(e.totalDeposit);
      else if (e.kind === "ep.userOperation" && e.paymaster === pm) {
        out += BigInt(e.actualGasCost);
        if (deposit !== undefined) deposit = deposit > BigInt(e.actualGasCost) ? deposit - BigInt(e.actualGasCost) : 0n;
      } else if (e.kind === "ep.withdrawn" && e.account === pm) {
        withdrawals.push(e);
        out += BigInt(e.amount);
        if (deposit !== undefined) deposit = deposit > BigInt(e.amount) ? deposit - BigInt(e.amount) : 0n;
      }
    }
  }
  const depositOut = window(state.depositOut, out);
  const windowOut = sum(depositOut);
  const reference = deposit === undefined ? undefined : deposit + windowOut;
  const fraction = reference === undefined || reference === 0n ? undefined : Number((windowOut * 10_000n) / reference) / 10_000;
  const draining = fraction !== undefined && fraction >= t.maxDepositDrainFraction;
  const depositKey = `${OUTFLOW}:paymaster-deposit:${pm}`;
  const depositValues = {
    windowOut: windowOut.toString(),
    ...(deposit !== undefined ? { deposit: deposit.toString() } : {}),
    ...(fraction !== undefined ? { drainFraction: fraction } : {}),
    windowBlocks: t.windowBlocks,
  };
  for (const w of withdrawals) {
    const untrusted = !trusted.has(w.withdrawAddress);
    const critical = untrusted || deposit === undefined || draining;
    const why = untrusted
      ? `to ${w.withdrawAddress}, which is not a trusted account`
      : deposit === undefined
        ? "and the deposit's size is unknown (no Deposited event seen since monitoring started)"
        : draining
          ? `and ${Math.round((fraction as number) * 1000) / 10}% of the deposit left within ${t.windowBlocks} blocks`
          : "";
    findings.push(
      finding({
        detector: OUTFLOW,
        key: depositKey,
        severity: critical ? t.severity.drain : t.severity.withdrawal,
        title: critical ? "Paymaster deposit withdrawn: funds at risk" : "Paymaster deposit withdrawal",
        summary:
          `${w.amount} wei of the paymaster's EntryPoint deposit were withdrawn to ${w.withdrawAddress}${why ? ` ${why}` : ""}` +
          `${deposit !== undefined ? `; ${deposit} wei remain` : ""}. ` +
          (critical ? "Only the paymaster's owner can withdraw: its key may be compromised, and sponsoring stops once the deposit is gone." : "Check that the withdrawal was planned."),
        layers: DEPOSIT_LAYERS,
        contracts: [pm as Address],
        evidence: { blockNumber: n, blockHash: kit.block.hash, txHash: w.at.txHash, logIndex: w.at.logIndex, values: { ...depositValues, amount: w.amount, withdrawAddress: w.withdrawAddress } },
        observedAt: at,
      }),
    );
  }
  const drainStep = trackSymptom(state.drain, { number: n, at: blockTime(kit.block) }, { holds: draining, severity: t.severity.drain, fresh: out > 0n }, t.windowBlocks);
  if (drainStep.report && withdrawals.length === 0 && pm) {
    const recovered = drainStep.report === "recovered";
    findings.push(
      finding({
        detector: OUTFLOW,
        key: depositKey,
        severity: recovered ? (state.drain?.severity ?? t.severity.drain) : t.severity.drain,
        title: recovered ? "Paymaster deposit no longer draining" : "Paymaster deposit draining fast",
        summary: recovered
          ? `Less than ${t.maxDepositDrainFraction * 100}% of the paymaster's deposit left within the last ${t.windowBlocks} blocks.`
          : `${windowOut} wei (${Math.round((fraction ?? 0) * 1000) / 10}%) of the paymaster's deposit left within ${t.windowBlocks} blocks through sponsored operations. ` +
            "A leaked sponsor key or a griefing account may be spending it: sponsoring stops once it is gone.",
        layers: DEPOSIT_LAYERS,
        contracts: [pm as Address],
        evidence: blockEvidence(kit.block, depositValues),
        observedAt: at,
        ...(recovered ? { recovered: true } : {}),
      }),
    );
  }

  // 2. Value moved through delegations.
  const dm = facts.delegationManager?.toLowerCase() as Address | undefined;
  let moved = 0n;
  let largest: { txHash: Hex; value: bigint } | undefined;
  for (const r of kit.redemptions) {
    if (r.status !== "success") continue;
    const value = BigInt(r.value);
    moved += value;
    if (!largest || value > largest.value) largest = { txHash: r.txHash, value };
  }
  const delegated = window(state.delegated, moved);
  const delegatedTotal = sum(delegated);
  const limit = BigInt(t.maxDelegatedValueWei);
  const delegatedStep = trackSymptom(
    state.delegatedDrain,
    { number: n, at: blockTime(kit.block) },
    { holds: delegatedTotal >= limit && limit > 0n, severity: t.severity.delegated, fresh: moved > 0n },
    t.windowBlocks,
  );
  if (delegatedStep.report && dm) {
    const recovered = delegatedStep.report === "recovered";
    const values = { windowValue: delegatedTotal.toString(), limit: limit.toString(), windowBlocks: t.windowBlocks, ...(largest ? { largestValue: largest.value.toString() } : {}) };
    findings.push(
      finding({
        detector: OUTFLOW,
        key: `${OUTFLOW}:delegations:${dm}`,
        severity: recovered ? (state.delegatedDrain?.severity ?? t.severity.delegated) : t.severity.delegated,
        title: recovered ? "Value through delegations back below the limit" : "Value drained through delegations",
        summary: recovered
          ? `Less than ${limit} wei moved through delegations within the last ${t.windowBlocks} blocks.`
          : `${delegatedTotal} wei moved out of delegators' accounts through delegation redemptions within ${t.windowBlocks} blocks (limit ${limit} wei). ` +
            "A leaked delegate key or a too-permissive delegation may be draining accounts: pausing the delegation layer stops further redemptions.",
        layers: DELEGATION_LAYERS,
        contracts: [dm],
        evidence: blockEvidence(kit.block, values, largest ? { txHash: largest.txHash } : undefined),
        observedAt: at,
        ...(recovered ? { recovered: true } : {}),
      }),
    );
  }

  return {
    findings,
    nextState: {
      ...(deposit !== undefined ? { deposit: deposit.toString() } : {}),
      depositOut,
      delegated,
      ...(drainStep.active ? { drain: drainStep.active } : {}),
      ...(delegatedStep.active ? { delegatedDrain: delegatedStep.active } : {}),
    },
  };
};

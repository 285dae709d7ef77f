/**
 * account-creation: users cannot create smart accounts.
 *
 * Per block it counts creations that worked (`AccountDeployed` from the
 * EntryPoint, `Deployed` from the guarded factory, one per account) and
 * creations that failed:
 *
 * - a bundle the EntryPoint refused because of an operation carrying
 *   initCode with an AA1x code (AA10 sender already constructed, AA13
 *   initCode failed or OOG, AA14 initCode must return sender, AA15 initCode
 *   must create sender), or AA20 (the account was never deployed and the op
 *   has no initCode);
 * - an operation with initCode in a reverted bundle whose revert data is
 *   unknown (not fetched), or executed without its `AccountDeployed`;
 * - a reverted direct `deploy` on the guarded factory.
 *
 * Refusals because the factory is paused by Guardian (AA13 of an operation
 * whose initCode names the guarded factory while the layer is paused,
 * `GuardedAccountFactoryPaused`) are the circuit breaker at work and are not
 * counted. An AA13 through any other factory (the kit's own SimpleFactory)
 * counts whatever Guardian paused.
 *
 * Over the last `windowBlocks` blocks: at least `minFailures` failures and a
 * failure rate of at least `maxFailureRate` is "account creation degraded"
 * (High); creations failing without a single success for `unavailableBlocks`
 * blocks (at least `unavailableMinFailures` of them) is "users cannot create
 * accounts" (Critical: system unavailable). One key for both, so the incident
 * rises from High to Critical. Recovered once it has not held for
 * `clearBlocks` blocks.
 */
import type { Address, Finding, Layer, Severity } from "../types.js";
import type { KitBlock, OpOutcome } from "../decode/kit-block.js";
import { describeRevert, isPausedRevert, type DecodedRevert } from "../decode/revert.js";
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

export const ACCOUNT_CREATION = "account-creation";
export const ACCOUNT_CREATION_KEY = `${ACCOUNT_CREATION}:failing`;

export interface AccountCreationThresholds {
  /** Blocks the failure rate is measured over (chain 138: 20 blocks ≈ 40 s). */
  windowBlocks: number;
  /** Failures in the window before the rate counts. */
  minFailures: number;
  /** Failure rate (0..1) from which creation counts as degraded. */
  maxFailureRate: number;
  /** Creations failing, none succeeding, for this many blocks = users cannot create accounts. */
  unavailableBlocks: number;
  /** ...with at least this many failures in that run. */
  unavailableMinFailures: number;
  /** Blocks without the symptom before it is reported recovered. */
  clearBlocks: number;
  severity: { degraded: Severity; unavailable: Severity };
}

export const ACCOUNT_CREATION_DEFAULTS: AccountCreationThresholds = {
  windowBlocks: 20,
  minFailures: 2,
  maxFailureRate: 0.5,
  unavailableBlocks: 10,
  unavailableMinFailures: 3,
  clearBlocks: 20,
  severity: { degraded: "high", unavailable: "critical" },
};

export interface AccountCreationFacts {
  kit: KitBlock;
  pauses: LayerPauses;
  /** The guarded factory (named in findings). */
  factory?: Address;
  entryPoint?: Address;
}

export interface AccountCreationState {
  samples: RateSample[];
  /** The current run of failures without a success: first and last failing block, failures. */
  streak?: { from: number; last: number; failures: number };
  active?: ActiveSymptom;
}

export const initialAccountCreationState = (): AccountCreationState => ({ samples: [] });

const LAYERS: Layer[] = ["accountFactory"];
/** AA codes that mean the account could not be created (or does not exist): AA1x, AA20. */
const CREATION_CODES = /^AA(1\d|20)$/;

/** True for the EntryPoint's refusals that are about creating the account (account-creation counts them, whatever the cause). */
export function isCreationCode(code: string | undefined): boolean {
  return code !== undefined && CREATION_CODES.test(code);
}

/**
 * Whether a refused or failed operation is an account-creation failure, and
 * its cause; undefined if it is not one. `factory` is the guarded factory:
 * an AA13 while Guardian pauses it is the breaker working only when the
 * operation's initCode names that factory (a creation through another
 * factory, e.g. the kit's own SimpleFactory, is not paused by Guardian).
 */
export function creationFailureCause(op: OpOutcome, pauses: LayerPauses, factory?: Address): string | undefined {
  if (op.status === "refused") {
    if (!isCreationCode(op.code)) return undefined;
    if (op.code === "AA13" && pauses.accountFactory === "guardian" && namesFactory(op, factory)) return undefined; // the factory is paused by Guardian
    if (isPausedRevert(op.revert) && !pausedRefusalCounts(pauses, "accountFactory")) return undefined;
    return op.code;
  }
  if (!op.creates) return undefined;
  if (op.status === "unknown") return op.revert ? `bundle ${shortRevert(op.revert)}` : "bundle reverted (no revert data)";
  if ((op.status === "succeeded" || op.status === "reverted") && !op.deployed) return "not deployed";
  return undefined;
}

/** The op's initCode names the guarded factory (or either is unknown: then the pause is the likelier explanation). */
function namesFactory(op: OpOutcome, factory: Address | undefined): boolean {
  return op.factory === undefined || factory === undefined || op.factory.toLowerCase() === factory.toLowerCase();
}

function shortRevert(r: DecodedRevert): string {
  return r.kind === "custom" ? r.name : describeRevert(r);
}

export const accountCreation: Detector<AccountCreationFacts, AccountCreationState, AccountCreationThresholds> = (facts, state, t) => {
  const { kit, pauses } = facts;
  const n = kit.block.number;

  // 1. This block's creations and failed creations.
  const created = new Set<Address>();
  for (const e of kit.events) {
    if (e.kind === "ep.accountDeployed") created.add(e.sender);
    else if (e.kind === "factory.deployed") created.add(e.account);
  }
  const sample: RateSample = { n, ok: created.size, failed: 0, causes: {} };
  let first: { txHash: `0x${string}`; logIndex?: number } | undefined;
  for (const bundle of kit.bundles) {
    for (const op of bundle.ops) {
      const cause = creationFailureCause(op, pauses, facts.factory);
      if (!cause) continue;
      sample.failed++;
      countCause(sample.causes, cause);
      first ??= { txHash: op.txHash };
    }
  }
  for (const call of kit.factoryCalls) {
    if (call.status !== "reverted") continue;
    if (isPausedRevert(call.revert) && !pausedRefusalCounts(pauses, "accountFactory")) continue;
    sample.failed++;
    countCause(sample.causes, call.revert ? `factory ${shortRevert(call.revert)}` : "factory reverted (no revert data)");
    first ??= { txHash: call.txHash };
  }

  // 2. The window and the run of failures without a success.
  const samples = slideWindow(state.samples, sample, t.windowBlocks);
  const totals = windowTotals(samples);
  let streak = state.streak;
  if (sample.ok > 0 || (streak && n - streak.last > t.windowBlocks)) streak = undefined;
  if (sample.failed > 0 && sample.ok === 0) {
    streak = streak ? { ...streak, last: n, failures: streak.failures + sample.failed } : { from: n, last: n, failures: sample.failed };
  }
  const unavailable = streak !== undefined && streak.failures >= t.unavailableMinFailures && n - streak.from + 1 >= t.unavailableBlocks;
  const degraded = totals.failed >= t.minFailures && totals.rate >= t.maxFailureRate;

  // 3. The symptom.
  const at = kit.observedAt;
  const { report, active } = trackSymptom(
    state.active,
    { number: n, at: blockTime(kit.block) },
    { holds: degraded || unavailable, severity: unavailable ? t.severity.unavailable : t.severity.degraded, fresh: sample.failed > 0 },
    t.clearBlocks,
  );
  const nextState: AccountCreationState = { samples, ...(streak ? { streak } : {}), ...(active ? { active } : {}) };
  if (!report) return { findings: [], nextState };

  const contracts = [facts.factory, facts.entryPoint].filter((a): a is Address => a !== undefined);
  const values = {
    failures: totals.failed,
    creations: totals.ok,
    failureRate: Math.round(totals.rate * 1000) / 1000,
    windowBlocks: t.windowBlocks,
    causes: describeCauses(totals.causes),
    ...(streak ? { failingSinceBlock: streak.from } : {}),
  };
  const findings: Finding[] = [];
  if (report === "recovered") {
    findings.push(
      finding({
        detector: ACCOUNT_CREATION,
        key: ACCOUNT_CREATION_KEY,
        severity: state.active?.severity ?? t.severity.degraded,
        title: "Account creation works again",
        summary: `No account-creation failure symptom for ${t.clearBlocks} blocks (since #${state.active?.lastHeld}); the symptom reported since #${state.active?.since} has ended.`,
        layers: LAYERS,
        contracts,
        evidence: blockEvidence(kit.block, values),
        observedAt: at,
        recovered: true,
      }),
    );
    return { findings, nextState };
  }
  const severity = active?.severity ?? t.severity.degraded;
  const critical = unavailable && severity === t.severity.unavailable;
  findings.push(
    finding({
      detector: ACCOUNT_CREATION,
      key: ACCOUNT_CREATION_KEY,
      severity,
      title: critical ? "Users cannot create accounts" : "Account creation failing",
      summary: critical
        ? `Every account creation has failed for ${n - (streak?.from ?? n) + 1} blocks (since #${streak?.from}, ${streak?.failures} failures, no success): ${describeCauses(totals.causes)}. ` +
          "New users cannot get a smart account. Check the factory (paused, out of gas, wrong bytecode) and the EntryPoint's AA1x reasons."
        : `${totals.failed} of ${totals.failed + totals.ok} account creations failed in the last ${t.windowBlocks} blocks (${percent(totals.rate)}): ${describeCauses(totals.causes)}. ` +
          "Users are failing to create smart accounts.",
      layers: LAYERS,
      contracts,
      evidence: blockEvidence(kit.block, values, first),
      observedAt: at,
    }),
  );
  return { findings, nextState };
};

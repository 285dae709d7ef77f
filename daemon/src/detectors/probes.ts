/**
 * probes: what users see, from synthetic journeys (probes/) that are
 * simulated through each bundler, or on the node, and never sent. Users of
 * the kit never call `handleOps`: a bundler refuses a failing operation at
 * estimate or send time and nothing reaches the chain, so the on-chain
 * detectors cannot see it. Each round of results is judged here:
 *
 * - a user journey (account creation, a sponsored operation, a delegation
 *   redemption) refused by the stack (`causeKind: "stack"`: an AA code or a
 *   decoded revert) for `failRounds` rounds in a row is a symptom (High); one
 *   refused in every round for `unavailableBlocks` blocks is "users cannot do
 *   it at all" (Critical: system unavailable). The key is the on-chain
 *   detector's (`account-creation:failing`, `user-operations:failing`,
 *   `delegation:failing`): one incident per symptom, whichever saw it first;
 * - the layers of a finding are those of the guarded contract the cause
 *   names (the factory for AA10–AA15 and `GuardedAccountFactoryPaused`, the
 *   paymaster's EntryPoint layer for AA3x and `GuardedPaymasterPaused`, the
 *   DelegationManager for a redemption's decoded refusal); a cause that is
 *   no guarded contract's (AA2x: the account's own validation) carries none,
 *   so a Critical finding pauses only what can be the cause;
 * - every probe creates its account, so an AA1x is the account creation's
 *   whichever probe met it, and an AA3x the sponsored operation's: one
 *   incident per cause;
 * - a refusal because Guardian paused that layer is the circuit breaker
 *   working: neither a failure nor a success. A contract's own "paused" error
 *   counts only for a pause made outside Guardian (as on chain);
 * - a bundler failing its own check (reachable, the chain, our EntryPoint)
 *   for `failRounds` rounds is "bundler unavailable" (High, no layers: a dead
 *   bundler is not fixed by pausing the stack); its journeys' failures then
 *   say nothing of the stack and are not counted;
 * - a journey's latency through one bundler above `latencyFactor` × its
 *   rolling median (and above `latencyFloorMs`) for `failRounds` rounds is
 *   "performance degradation" (Medium);
 * - the canary (probes/canary.ts, a real creation) included more than
 *   `canarySlowBlocks` blocks after it was sent is "slow account creation"
 *   (Medium); a canary that fails counts as account creation failing.
 *
 * Each symptom recovers after `clearRounds` rounds without it (a recovered
 * finding, same key). Rounds come from the daemon's probe timer; block
 * numbers and times come from the round, never from a clock.
 */
import { untrustedText } from "../decode/untrusted-text.js";
import type { Finding, Layer, ProbeJourney, ProbeResult, ProbeRound, Severity } from "../types.js";
import { ACCOUNT_CREATION_KEY } from "./account-creation.js";
import { DELEGATION_KEY } from "./delegation.js";
import type { Detector } from "./detector.js";
import { pausedRefusalCounts, type LayerPauses } from "./symptom.js";
import { USER_OPERATIONS_KEY } from "./user-operations.js";

export const PROBES = "probes";

export interface ProbeThresholds {
  /** Rounds in a row a journey (or a bundler) must fail before it is a symptom. */
  failRounds: number;
  /** A journey refused in every round for this many blocks: users cannot do it at all. */
  unavailableBlocks: number;
  /** Rounds in a row without the symptom that end it. */
  clearRounds: number;
  /** Latency above this multiple of the journey's rolling median is slow... */
  latencyFactor: number;
  /** ...and above this many ms (a fast bundler's jitter is not a degradation). */
  latencyFloorMs: number;
  /** Latencies kept for the rolling median, per journey and bundler. */
  latencySamples: number;
  /** Latencies needed before slowness is judged. */
  minLatencySamples: number;
  /** The canary's creation included more than this many blocks after sending: "slow account creation". */
  canarySlowBlocks: number;
  severity: { failing: Severity; unavailable: Severity; bundler: Severity; latency: Severity; slowCreation: Severity };
}

export const PROBE_DEFAULTS: ProbeThresholds = {
  failRounds: 2,
  unavailableBlocks: 10,
  clearRounds: 2,
  latencyFactor: 5,
  latencyFloorMs: 2_000,
  latencySamples: 20,
  minLatencySamples: 5,
  canarySlowBlocks: 5,
  severity: { failing: "high", unavailable: "critical", bundler: "high", latency: "medium", slowCreation: "medium" },
};

export interface ProbeFacts {
  round: ProbeRound;
  /** The layers paused on chain and by whom (pause-changed's view). */
  pauses: LayerPauses;
}

interface Streak {
  /** Failed (or slow) rounds in a row. */
  bad: number;
  /** Good rounds in a row. */
  good: number;
  /** The block of the first round of the current bad streak. */
  since?: number;
  /** The severity reported for the current symptom; undefined: none reported. */
  reported?: Severity;
}

export interface ProbesState {
  /** By user journey. */
  journeys: Record<string, Streak>;
  /** By bundler name. */
  bundlers: Record<string, Streak>;
  /** By "<journey>@<via>": recent latencies (ms) of good rounds and the slowness streak. */
  latency: Record<string, Streak & { samples: number[] }>;
  /** The canary's slow creations, by via: the severity reported while slow. */
  slowCreation?: Record<string, Severity>;
}

export const initialProbesState = (): ProbesState => ({ journeys: {}, bundlers: {}, latency: {} });

/** The on-chain detector key each user journey shares: one incident per symptom. */
export const PROBE_JOURNEY_KEYS: Readonly<Record<Exclude<ProbeJourney, "bundler">, string>> = {
  "account-creation": ACCOUNT_CREATION_KEY,
  "sponsored-operation": USER_OPERATIONS_KEY,
  "delegation-redemption": DELEGATION_KEY,
};

const JOURNEY_WORDS: Readonly<Record<Exclude<ProbeJourney, "bundler">, { failing: string; unavailable: string; recovered: string }>> = {
  "account-creation": { failing: "Account creation failing", unavailable: "Users cannot create accounts", recovered: "Account creation works again" },
  "sponsored-operation": { failing: "Sponsored operations failing", unavailable: "Users cannot send sponsored operations", recovered: "Sponsored operations work again" },
  "delegation-redemption": { failing: "Delegation redemptions failing", unavailable: "Users cannot redeem delegations", recovered: "Delegation redemptions work again" },
};

const PAUSED_ERRORS: Readonly<Record<string, Layer>> = {
  GuardedAccountFactoryPaused: "accountFactory",
  GuardedPaymasterPaused: "entryPoint",
};

/**
 * The guarded layer a stack refusal points at, and whether it is the
 * contract's own "paused" error, or undefined when no guarded contract is
 * the cause (the account's own validation, an unknown revert).
 */
export function probeCauseLayer(journey: ProbeJourney, r: Pick<ProbeResult, "aaCode" | "error">): { layer: Layer; pausedError: boolean } | undefined {
  const byError = r.error ? PAUSED_ERRORS[r.error] : undefined;
  if (byError) return { layer: byError, pausedError: true };
  if (r.error === "EnforcedPause") {
    const layer: Layer = journey === "account-creation" ? "accountFactory" : journey === "sponsored-operation" ? "entryPoint" : "delegation";
    return { layer, pausedError: true };
  }
  const aa = /^AA(\d)(\d)$/.exec(r.aaCode ?? "");
  if (aa?.[1] === "1") return { layer: "accountFactory", pausedError: false };
  if (aa?.[1] === "3") return { layer: "entryPoint", pausedError: false };
  // A redemption refused by the DelegationManager or an enforcer (decoded, not an AA code of the account).
  if (journey === "delegation-redemption" && r.error !== undefined && aa === null) return { layer: "delegation", pausedError: false };
  return undefined;
}

/**
 * Whether a refusal belongs to this journey. Every probe creates its account
 * and the redemption may be sponsored, so an AA1x (or the factory's paused
 * error) is the account creation's, and an AA3x (or the paymaster's) the
 * sponsored operation's: counted once, by the journey that owns the cause,
 * never as two incidents for one cause.
 */
export function ownsRefusal(journey: ProbeJourney, r: Pick<ProbeResult, "aaCode" | "error">): boolean {
  const cause = probeCauseLayer(journey, r);
  if (journey !== "account-creation" && cause?.layer === "accountFactory") return false;
  if (journey === "delegation-redemption" && cause?.layer === "entryPoint") return false;
  return true;
}

/** Whether a stack refusal is a symptom (not the circuit breaker at work). */
function counts(journey: ProbeJourney, r: ProbeResult, pauses: LayerPauses): boolean {
  const cause = probeCauseLayer(journey, r);
  if (!cause) return true;
  if (cause.pausedError) return pausedRefusalCounts(pauses, cause.layer);
  return pauses[cause.layer] !== "guardian";
}

function describe(r: ProbeResult): string {
  const parts = [r.aaCode, r.error].filter((p): p is string => typeof p === "string" && p.length > 0).map((p) => untrustedText(p, 64));
  const message = r.message ? untrustedText(r.message, 160) : "";
  const head = parts.join(" ");
  return `${head}${head && message ? ": " : ""}${message}`.trim() || r.outcome;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export const probes: Detector<ProbeFacts, ProbesState, ProbeThresholds> = (facts, state, t) => {
  const { round, pauses } = facts;
  const findings: Finding[] = [];
  const next: ProbesState = { journeys: { ...state.journeys }, bundlers: { ...state.bundlers }, latency: { ...state.latency }, ...(state.slowCreation ? { slowCreation: { ...state.slowCreation } } : {}) };
  const evidence = (values: Record<string, string | number | boolean>) => ({ blockNumber: round.block, blockHash: round.blockHash, values });
  const emit = (f: Omit<Finding, "detector" | "observedAt" | "contracts"> & { contracts?: Finding["contracts"] }) =>
    findings.push({ detector: PROBES, observedAt: round.observedAt, contracts: [], ...f });

  // 1. Bundlers: their own check (the "bundler" journey).
  const down = new Set<string>();
  for (const r of round.results.filter((x) => x.journey === "bundler")) {
    const name = untrustedText(r.via, 64);
    const s = { ...(next.bundlers[r.via] ?? { bad: 0, good: 0 }) };
    const key = `${PROBES}:bundler:${name}`;
    if (r.outcome === "ok") {
      s.good++;
      s.bad = 0;
      delete s.since;
      if (s.reported && s.good >= t.clearRounds) {
        emit({ key, severity: s.reported, title: `Bundler ${name} available again`, summary: `Bundler ${name} answers and serves the EntryPoint again (${s.good} rounds in a row).`, layers: [], evidence: evidence({ bundler: name, latencyMs: r.latencyMs }), recovered: true });
        delete s.reported;
      }
    } else {
      down.add(r.via);
      s.bad++;
      s.good = 0;
      s.since ??= round.block;
      if (!s.reported && s.bad >= t.failRounds) {
        s.reported = t.severity.bundler;
        emit({
          key,
          severity: s.reported,
          title: `Bundler ${name} unavailable`,
          summary: `Bundler ${name} failed its check in ${s.bad} probe rounds in a row since block ${s.since} (${describe(r)}). Users whose wallets send operations through it cannot use the stack; nothing on chain is wrong, so nothing is paused.`,
          layers: [],
          evidence: evidence({ bundler: name, outcome: r.outcome, cause: describe(r) }),
        });
      }
    }
    next.bundlers[r.via] = s;
  }

  // 2. User journeys.
  for (const journey of Object.keys(PROBE_JOURNEY_KEYS) as Array<keyof typeof PROBE_JOURNEY_KEYS>) {
    const results = round.results.filter((r) => r.journey === journey && !down.has(r.via));
    if (results.length === 0) continue;
    const refusals = results.filter((r) => r.outcome === "failed" && r.causeKind === "stack" && ownsRefusal(journey, r));
    const symptomatic = refusals.filter((r) => counts(journey, r, pauses));
    const others = results.some((r) => r.outcome === "failed" && r.causeKind === "stack" && !ownsRefusal(journey, r));
    const verdict = symptomatic.length > 0 ? "bad" : refusals.length === 0 && !others && results.some((r) => r.outcome === "ok") ? "good" : "unknown";
    const s = { ...(next.journeys[journey] ?? { bad: 0, good: 0 }) };
    const key = PROBE_JOURNEY_KEYS[journey];
    const words = JOURNEY_WORDS[journey];
    if (verdict === "good") {
      s.good++;
      s.bad = 0;
      delete s.since;
      if (s.reported && s.good >= t.clearRounds) {
        emit({ key, severity: s.reported, title: words.recovered, summary: `${words.recovered}: the probes passed ${s.good} rounds in a row.`, layers: [], evidence: evidence({ journey }), recovered: true });
        delete s.reported;
      }
    } else if (verdict === "bad") {
      s.bad++;
      s.good = 0;
      s.since ??= round.block;
      const unavailable = round.block - s.since >= t.unavailableBlocks;
      const severity = unavailable ? t.severity.unavailable : s.bad >= t.failRounds ? t.severity.failing : undefined;
      if (severity && severity !== s.reported && (s.reported === undefined || rank(severity) > rank(s.reported))) {
        s.reported = severity;
        const layers = [...new Set(symptomatic.flatMap((r) => probeCauseLayer(journey, r)?.layer ?? []))].sort();
        const causes = [...new Set(symptomatic.map((r) => `${describe(r)} (via ${untrustedText(r.via, 64)})`))].slice(0, 3);
        emit({
          key,
          severity,
          title: unavailable ? words.unavailable : words.failing,
          summary:
            `${unavailable ? words.unavailable : words.failing}: the probe refused in ${s.bad} round${s.bad === 1 ? "" : "s"} in a row since block ${s.since}: ${causes.join("; ")}.` +
            ` A bundler refuses such operations before they reach the chain, so users see failures that leave no transaction.` +
            (layers.length === 0 ? " The cause is no guarded contract's: nothing is paused for it." : ""),
          layers,
          evidence: evidence({ journey, rounds: s.bad, since: s.since, cause: causes[0] ?? "" }),
        });
      }
    }
    next.journeys[journey] = s;

    // 3. Latency of the journeys that worked, per bundler.
    for (const r of results.filter((x) => x.outcome === "ok")) {
      const lk = `${journey}@${r.via}`;
      const l = { ...(next.latency[lk] ?? { bad: 0, good: 0, samples: [] }), samples: [...(next.latency[lk]?.samples ?? [])] };
      const base = l.samples.length >= t.minLatencySamples ? median(l.samples) : undefined;
      const slow = base !== undefined && r.latencyMs > Math.max(t.latencyFloorMs, base * t.latencyFactor);
      const lkey = `${PROBES}:latency:${journey}:${untrustedText(r.via, 64)}`;
      if (slow) {
        l.bad++;
        l.good = 0;
        if (!l.reported && l.bad >= t.failRounds) {
          l.reported = t.severity.latency;
          emit({
            key: lkey,
            severity: l.reported,
            title: `Slow ${journey.replace("-", " ")} (performance degradation)`,
            summary: `The ${journey} probe through ${untrustedText(r.via, 64)} took ${Math.round(r.latencyMs)} ms, ${l.bad} rounds in a row above ${t.latencyFactor}× its usual ${Math.round(base)} ms.`,
            layers: [],
            evidence: evidence({ journey, via: untrustedText(r.via, 64), latencyMs: Math.round(r.latencyMs), medianMs: Math.round(base) }),
          });
        }
      } else {
        l.good++;
        l.bad = 0;
        l.samples = [...l.samples, Math.round(r.latencyMs)].slice(-t.latencySamples);
        if (l.reported && l.good >= t.clearRounds) {
          emit({ key: lkey, severity: l.reported, title: `${journey} latency back to normal`, summary: `The ${journey} probe through ${untrustedText(r.via, 64)} is fast again (${Math.round(r.latencyMs)} ms).`, layers: [], evidence: evidence({ journey, latencyMs: Math.round(r.latencyMs) }), recovered: true });
          delete l.reported;
        }
      }
      next.latency[lk] = l;
    }
  }
  // 4. The canary: a real creation included too many blocks after it was sent.
  for (const r of round.results.filter((x) => x.journey === "account-creation" && x.outcome === "ok" && x.blocks !== undefined)) {
    const via = untrustedText(r.via, 64);
    const key = `${PROBES}:slow-creation:${via}`;
    const slow = { ...(next.slowCreation ?? {}) };
    const reported = slow[r.via];
    if ((r.blocks as number) > t.canarySlowBlocks) {
      if (!reported) {
        slow[r.via] = t.severity.slowCreation;
        emit({
          key,
          severity: t.severity.slowCreation,
          title: "Slow account creation",
          summary: `The canary's account creation through ${via} was included ${r.blocks} blocks (${Math.round(r.latencyMs / 1000)} s) after it was sent; more than ${t.canarySlowBlocks} blocks is slow for users.`,
          layers: [],
          evidence: evidence({ via, blocks: r.blocks as number, latencyMs: Math.round(r.latencyMs) }),
        });
      }
    } else if (reported) {
      delete slow[r.via];
      emit({ key, severity: reported, title: "Account creation fast again", summary: `The canary's account creation through ${via} was included ${r.blocks} blocks after it was sent.`, layers: [], evidence: evidence({ via, blocks: r.blocks as number }), recovered: true });
    }
    next.slowCreation = slow;
  }
  return { findings, nextState: next };
};

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { low: 0, medium: 1, high: 2, critical: 3 };
function rank(s: Severity): number {
  return SEVERITY_RANK[s];
}

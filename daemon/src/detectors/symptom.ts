/**
 * Building blocks shared by the kit's rate detectors (account creation, user
 * operations, delegations, gas): a sliding window of per-block counts, and a
 * symptom that starts, repeats, worsens and clears. Pure; the state is small
 * JSON (at most one sample per block of the window, with a handful of cause
 * counters) so that it can be persisted with every block's checkpoint.
 *
 * Causes are often attacker-written (a revert reason): each is cleaned and
 * cut to `CAUSE_MAX_CHARS`, and a window keeps at most `MAX_CAUSES` distinct
 * ones; failures of any further cause are counted as "other". The state,
 * its snapshots and the findings built from it stay bounded however many
 * distinct reasons the chain throws at them.
 */
import { untrustedText } from "../decode/untrusted-text.js";
import type { BlockHeaderFacts, Evidence, Finding, Hex, Layer, Severity } from "../types.js";

/** Distinct causes a sample, a window and a finding keep; the rest are counted as `OTHER_CAUSE`. */
export const MAX_CAUSES = 5;
/** Where failures of causes beyond `MAX_CAUSES` are counted. */
export const OTHER_CAUSE = "other";
/** The longest cause label kept (characters, ellipsis included). */
export const CAUSE_MAX_CHARS = 64;

/** Counts of one block with activity. */
export interface RateSample {
  n: number;
  ok: number;
  failed: number;
  /** Failures by cause (e.g. "AA13", "expired"). */
  causes: Record<string, number>;
}

/**
 * The samples of the last `windowBlocks` blocks up to `n` (inclusive), with `sample` appended when it holds any activity.
 * The window keeps at most `MAX_CAUSES` distinct causes: the sample's failures of a cause the window does not know,
 * once it knows that many, are counted as `OTHER_CAUSE`.
 */
export function slideWindow(samples: readonly RateSample[], sample: RateSample, windowBlocks: number): RateSample[] {
  const kept = samples.filter((s) => s.n > sample.n - windowBlocks && s.n < sample.n);
  return sample.ok + sample.failed > 0 ? [...kept, { ...sample, causes: foldCauses(kept, sample.causes) }] : kept;
}

function foldCauses(window: readonly RateSample[], causes: Readonly<Record<string, number>>): Record<string, number> {
  const known = new Set<string>();
  for (const s of window) for (const cause of Object.keys(s.causes)) if (cause !== OTHER_CAUSE) known.add(cause);
  const out: Record<string, number> = {};
  for (const [cause, count] of Object.entries(causes)) {
    const key = cause === OTHER_CAUSE || known.has(cause) || known.size < MAX_CAUSES ? cause : OTHER_CAUSE;
    if (key !== OTHER_CAUSE) known.add(key);
    out[key] = (out[key] ?? 0) + count;
  }
  return out;
}

export interface WindowTotals {
  ok: number;
  failed: number;
  /** failed / (ok + failed); 0 without activity. */
  rate: number;
  causes: Record<string, number>;
}

export function windowTotals(samples: readonly RateSample[]): WindowTotals {
  let ok = 0;
  let failed = 0;
  const causes: Record<string, number> = {};
  for (const s of samples) {
    ok += s.ok;
    failed += s.failed;
    for (const [cause, count] of Object.entries(s.causes)) causes[cause] = (causes[cause] ?? 0) + count;
  }
  return { ok, failed, rate: ok + failed === 0 ? 0 : failed / (ok + failed), causes };
}

/**
 * "AA13 ×3, AA14 ×1", most frequent first (ties by name, so the text is deterministic). At most `limit` causes are
 * named; the rest are added to "other" at the end.
 */
export function describeCauses(causes: Readonly<Record<string, number>>, limit: number = MAX_CAUSES): string {
  const sorted = Object.entries(causes).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const named = sorted.length <= limit + 1 ? sorted : sorted.filter(([cause]) => cause !== OTHER_CAUSE).slice(0, limit);
  const rest = sorted.length <= limit + 1 ? 0 : sorted.reduce((sum, [, count]) => sum + count, 0) - named.reduce((sum, [, count]) => sum + count, 0);
  return [...named.map(([cause, count]) => `${cause} ×${count}`), ...(rest > 0 ? [`${OTHER_CAUSE} ×${rest}`] : [])].join(", ");
}

/**
 * Adds one failure of `cause` to `causes`: the label cleaned and cut to `CAUSE_MAX_CHARS`; a cause beyond the
 * `MAX_CAUSES` distinct ones already counted goes to `OTHER_CAUSE`.
 */
export function countCause(causes: Record<string, number>, cause: string): void {
  let label = untrustedText(cause, CAUSE_MAX_CHARS);
  if (label === "__proto__") label = OTHER_CAUSE;
  if (!Object.hasOwn(causes, label) && Object.keys(causes).filter((c) => c !== OTHER_CAUSE).length >= MAX_CAUSES) label = OTHER_CAUSE;
  causes[label] = (causes[label] ?? 0) + 1;
}

/** A symptom being reported: since which block, at which severity, and when it last held. */
export interface ActiveSymptom {
  since: number;
  sinceAt: string;
  severity: Severity;
  lastHeld: number;
}

/** What a block says about a symptom. */
export interface SymptomObservation {
  holds: boolean;
  /** The severity the block's evidence supports (meaningful when `holds`). */
  severity: Severity;
  /** The block adds evidence (new failures, a new spike value): worth a finding while the symptom holds. */
  fresh: boolean;
}

export type SymptomReport = "start" | "again" | "raise" | "recovered";

const RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** The more severe of two severities. */
export function worst(a: Severity, b: Severity): Severity {
  return RANK[a] <= RANK[b] ? a : b;
}

/**
 * One step of a symptom's life:
 * - it holds and was not active: "start";
 * - it holds at a higher severity than reported: "raise" (the severity only rises while active);
 * - it holds and the block adds evidence: "again" (the incident counts it; the cooldown keeps the timeline short);
 * - it has not held for `clearBlocks` blocks: "recovered", and it is no longer active.
 */
export function trackSymptom(
  active: ActiveSymptom | undefined,
  block: { number: number; at: string },
  observation: SymptomObservation,
  clearBlocks: number,
): { report: SymptomReport | undefined; active: ActiveSymptom | undefined } {
  const n = block.number;
  if (observation.holds) {
    if (!active) return { report: "start", active: { since: n, sinceAt: block.at, severity: observation.severity, lastHeld: n } };
    const severity = worst(active.severity, observation.severity);
    const next = { ...active, severity, lastHeld: n };
    if (severity !== active.severity) return { report: "raise", active: next };
    return { report: observation.fresh ? "again" : undefined, active: next };
  }
  if (active && n - active.lastHeld >= clearBlocks) return { report: "recovered", active: undefined };
  return { report: undefined, active };
}

/** Evidence of a block, pointing at a transaction when there is one. */
export function blockEvidence(block: BlockHeaderFacts, values: Evidence["values"], tx?: { txHash: Hex; logIndex?: number }): Evidence {
  return {
    blockNumber: block.number,
    blockHash: block.hash,
    ...(tx ? { txHash: tx.txHash } : {}),
    ...(tx?.logIndex !== undefined ? { logIndex: tx.logIndex } : {}),
    values,
  };
}

/** The fields of a finding every kit detector fills the same way. */
export function finding(parts: {
  detector: string;
  key: string;
  severity: Severity;
  title: string;
  summary: string;
  layers: readonly Layer[];
  contracts: readonly Hex[];
  evidence: Evidence;
  observedAt: string;
  recovered?: boolean;
}): Finding {
  return {
    detector: parts.detector,
    key: parts.key,
    severity: parts.severity,
    title: parts.title,
    summary: parts.summary,
    layers: [...parts.layers],
    contracts: [...parts.contracts],
    evidence: parts.evidence,
    observedAt: parts.observedAt,
    ...(parts.recovered ? { recovered: true } : {}),
  };
}

/** A rate as a percentage with at most one decimal ("62.5%"). */
export function percent(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}

/**
 * The layers whose pausable targets are paused now, and by whom ("guardian":
 * through the GuardianHub; "foreign": outside it), from pause-changed's
 * state. A refusal because a layer is paused by Guardian is the circuit
 * breaker working, not a symptom; a refusal because of a foreign pause is one.
 */
export type LayerPauses = Readonly<Partial<Record<Layer, "guardian" | "foreign">>>;

/**
 * Whether a refusal that says "paused" counts as a symptom: not while the
 * layer is paused by Guardian, nor when no pause of the layer was ever seen
 * (the daemon started after it; the contract's own error proves the pause).
 */
export function pausedRefusalCounts(pauses: LayerPauses, layer: Layer): boolean {
  return pauses[layer] === "foreign";
}

/** The block's own time (ISO-8601 UTC), so that detector state is the same whoever processes the block, and whenever. */
export function blockTime(block: { timestamp: number }): string {
  return new Date(block.timestamp * 1000).toISOString();
}

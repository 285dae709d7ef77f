/**
 * Facts the paperwork computes from an incident's evidence. Pure.
 *
 * Affected accounts: the distinct addresses found under the evidence keys
 * that name an account the symptom happened to (AFFECTED_ACCOUNT_KEYS: one
 * address; AFFECTED_ACCOUNT_LIST_KEYS: comma-separated addresses, for
 * detectors that aggregate a block's or a window's failures), over
 * every piece of evidence the incident holds: its timeline entries and the
 * store's recent findings correlated into it (deduplicated by block, tx and
 * log). Keys that name an actor rather than a victim are not counted: `by`
 * (who paused), `account` (the Paused/Unpaused event's caller), `target`, `hub`.
 *
 * The sentinel pause on the timeline: an "action" entry with on-chain
 * evidence that is either the daemon circuit breaker's "paused" note (id
 * `timelineEntryId(incident, "circuit-breaker", "paused")`, runtime/) or
 * one built by `pauseTimelineEntry` (`values.action === "sentinel-pause"`).
 * Values read: layers, symptomBlock, blocksToPause, secondsToPause,
 * symptomTimestamp, pauseTimestamp; a negative number means unknown.
 */
import { timelineEntryId } from "../incidents/ids.js";
import { evidenceKey, type NewTimelineEntry } from "../incidents/lifecycle.js";
import { LAYERS } from "../types.js";
import type { Evidence, FindingRecord, Hex, Incident, Layer, TimelineEntry } from "../types.js";

/** Evidence keys whose address values are accounts the symptom affected (ERC-4337 and delegation events' own names). */
export const AFFECTED_ACCOUNT_KEYS = ["sender", "smartAccount", "affectedAccount", "delegator", "rootDelegator", "redeemer"] as const;
/** The same as lists ("0xa…,0xb…"). */
export const AFFECTED_ACCOUNT_LIST_KEYS = ["senders", "affectedAccounts", "delegators"] as const;

export interface AffectedAccounts {
  /** Distinct affected addresses; undefined when no evidence carries any of AFFECTED_ACCOUNT_KEYS. */
  count: number | undefined;
  /** The addresses (lower-case, sorted). */
  accounts: string[];
  /** Which keys held them. */
  keys: string[];
  /** Distinct pieces of evidence looked at. */
  evidenceCount: number;
  /** How it was counted, in a sentence (for the document). */
  method: string;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Every distinct piece of evidence of the incident: its timeline's and its findings'. */
export function incidentEvidence(incident: Readonly<Incident>, findings: readonly Readonly<FindingRecord>[] = []): Evidence[] {
  const seen = new Map<string, Evidence>();
  const add = (e: Evidence | undefined, fallback: string) => {
    if (e === undefined) return;
    const key = evidenceKey(e, fallback);
    if (!seen.has(key)) seen.set(key, e);
  };
  incident.timeline.forEach((entry) => add(entry.evidence, entry.id));
  findings.filter((f) => f.incidentId === incident.id).forEach((f, i) => add(f.evidence, `finding:${i}`));
  return [...seen.values()];
}

export function countAffectedAccounts(incident: Readonly<Incident>, findings: readonly Readonly<FindingRecord>[] = []): AffectedAccounts {
  const evidence = incidentEvidence(incident, findings);
  const accounts = new Set<string>();
  const keys = new Set<string>();
  for (const e of evidence)
    for (const key of [...AFFECTED_ACCOUNT_KEYS, ...AFFECTED_ACCOUNT_LIST_KEYS]) {
      const v = e.values[key];
      if (typeof v !== "string") continue;
      for (const address of v.split(",").map((a) => a.trim()))
        if (ADDRESS.test(address)) {
          accounts.add(address.toLowerCase());
          keys.add(key);
        }
    }
  const recorded = `${evidence.length} piece${evidence.length === 1 ? "" : "s"} of evidence (timeline entries and the store's recent findings of this incident; ${incident.findingCount} finding${incident.findingCount === 1 ? " was" : "s were"} correlated, repeats within the cooldown keep no evidence)`;
  const method =
    accounts.size > 0
      ? `distinct addresses under ${[...keys].sort().join(", ")} in ${recorded}; a lower bound if findings went unrecorded`
      : `no evidence names an affected account (keys looked for: ${[...AFFECTED_ACCOUNT_KEYS, ...AFFECTED_ACCOUNT_LIST_KEYS].join(", ")}) in ${recorded}`;
  return { count: accounts.size > 0 ? accounts.size : undefined, accounts: [...accounts].sort(), keys: [...keys].sort(), evidenceCount: evidence.length, method };
}

// ---------------------------------------------------------------------------
// The sentinel pause on the timeline

export const PAUSE_ACTION = "sentinel-pause";

export interface PauseEntryFacts {
  incidentId: string;
  txHash: Hex;
  blockNumber: number;
  blockHash: Hex;
  /** The block's timestamp (seconds since the epoch). */
  blockTimestamp?: number;
  layers: readonly Layer[];
  /** The block that showed the symptom the incident was opened for, and its timestamp. */
  symptom?: { blockNumber: number; timestamp?: number };
}

/**
 * The timeline entry that records a mined sentinel pause (add it with
 * `addTimelineEntry`; the id is deterministic, so adding it twice is a no-op).
 * It carries the time to pause in blocks (and seconds, when both timestamps
 * are known) from the symptom's block.
 */
export function pauseTimelineEntry(facts: PauseEntryFacts): NewTimelineEntry {
  const values: Evidence["values"] = { action: PAUSE_ACTION, layers: facts.layers.join(",") };
  if (facts.blockTimestamp !== undefined) values.pauseTimestamp = facts.blockTimestamp;
  if (facts.symptom) {
    values.symptomBlock = facts.symptom.blockNumber;
    values.blocksToPause = facts.blockNumber - facts.symptom.blockNumber;
    if (facts.symptom.timestamp !== undefined) {
      values.symptomTimestamp = facts.symptom.timestamp;
      if (facts.blockTimestamp !== undefined) values.secondsToPause = facts.blockTimestamp - facts.symptom.timestamp;
    }
  }
  const toPause = facts.symptom ? `, ${facts.blockNumber - facts.symptom.blockNumber} block(s) after the symptom's block ${facts.symptom.blockNumber}` : "";
  return {
    id: timelineEntryId(facts.incidentId, "action", PAUSE_ACTION, facts.txHash),
    kind: "action",
    message: `Sentinel pause of ${facts.layers.join(", ")} mined in block ${facts.blockNumber}${toPause} (tx ${facts.txHash}).`,
    public: false,
    by: "guardian",
    evidence: { blockNumber: facts.blockNumber, blockHash: facts.blockHash, txHash: facts.txHash, values },
  };
}

/** The pause entries of the incident's timeline (normally one), oldest first. */
export function pauseEntries(incident: Readonly<Incident>): TimelineEntry[] {
  const breakerPaused = timelineEntryId(incident.id, "circuit-breaker", "paused");
  return incident.timeline.filter(
    (e) => e.kind === "action" && e.evidence?.txHash !== undefined && (e.id === breakerPaused || e.evidence.values.action === PAUSE_ACTION),
  );
}

/** Layers named in a pause entry's `values.layers` (known ones only). */
export function pausedLayers(entry: Readonly<TimelineEntry>): Layer[] {
  const raw = entry.evidence?.values.layers;
  if (typeof raw !== "string") return [];
  const named = raw.split(",").map((s) => s.trim());
  return LAYERS.filter((layer) => named.includes(layer));
}

/** The earliest on-chain evidence of the symptom: the first finding (or opening) entry with evidence. */
export function firstSymptomEvidence(incident: Readonly<Incident>): { entry: TimelineEntry; evidence: Evidence } | undefined {
  let best: { entry: TimelineEntry; evidence: Evidence } | undefined;
  for (const entry of incident.timeline) {
    if ((entry.kind !== "finding" && entry.kind !== "opened") || entry.evidence === undefined) continue;
    if (best === undefined || entry.evidence.blockNumber < best.evidence.blockNumber) best = { entry, evidence: entry.evidence };
  }
  return best;
}

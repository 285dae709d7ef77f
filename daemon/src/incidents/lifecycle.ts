/**
 * The incident record and its state machine. Pure: no I/O; the clock is an
 * argument; every function returns a new record (or the same object when
 * nothing changed) and never mutates its input.
 */
import { LAYERS } from "../types.js";
import type {
  Address,
  Evidence,
  Incident,
  IncidentState,
  Layer,
  PublicStatus,
  Severity,
  SlaMinutes,
  TimelineEntry,
  TimelineKind,
} from "../types.js";
import { InvalidTransitionError } from "./errors.js";
import { incidentIdFromKey, timelineEntryId } from "./ids.js";

/** The response plan's SLA: 15 min / 2 h / 24 h / 72 h. */
export const DEFAULT_SLA: Readonly<SlaMinutes> = Object.freeze({ critical: 15, high: 120, medium: 1440, low: 4320 });

/** Public status of each state (Statuspage vocabulary). */
export const PUBLIC_STATUS_OF: Readonly<Record<IncidentState, PublicStatus>> = Object.freeze({
  detected: "investigating",
  responding: "identified",
  contained: "monitoring",
  recovered: "resolved",
  postreview: "resolved",
});

/**
 * Allowed transitions. Forward only, with three shortcuts and one way back:
 *
 * - detected → contained: the circuit breaker (sentinel pause) contains a
 *   Critical incident before anyone responds;
 * - detected → recovered, responding → recovered: the symptom went away or was
 *   fixed without containment (a transient RPC stall, a false positive);
 *   the message should say which;
 * - recovered → responding: the problem recurred before the post-incident
 *   review started (the one way back: reopen rather than open a duplicate);
 * - postreview is final: a recurrence after it is a new incident (occurrence n+1).
 */
export const TRANSITIONS: Readonly<Record<IncidentState, readonly IncidentState[]>> = Object.freeze({
  detected: Object.freeze(["responding", "contained", "recovered"] as const),
  responding: Object.freeze(["contained", "recovered"] as const),
  contained: Object.freeze(["recovered"] as const),
  recovered: Object.freeze(["postreview", "responding"] as const),
  postreview: Object.freeze([] as const),
});

/** Open = still needs someone: not recovered, not in post-incident review. */
export function isOpen(incident: Pick<Incident, "state">): boolean {
  return incident.state === "detected" || incident.state === "responding" || incident.state === "contained";
}

export function canTransition(from: IncidentState, to: IncidentState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Severities, most severe first. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = Object.freeze({ critical: 0, high: 1, medium: 2, low: 3 });

const MINUTE_MS = 60_000;

export interface OpenIncidentParameters {
  key: string;
  title: string;
  severity: Severity;
  affected: { layers: readonly Layer[]; contracts: readonly Address[] };
  /** "manual", or the detector that opened it. */
  source: string;
  now: Date;
  /** SLA minutes by severity; default DEFAULT_SLA. */
  sla?: Readonly<SlaMinutes>;
  /** Default: `incidentIdFromKey(key, occurrence)`. Manual incidents pass a random UUID (and key `manualIncidentKey(id)`). */
  id?: string;
  /** Default 1. */
  occurrence?: number;
  /** The public opening message; default the title. */
  message?: string;
  by?: string;
  /** Attached to a private "finding" entry after the opening entry. */
  evidence?: Evidence;
}

/**
 * A new incident in state `detected`, escalation level `oncall`, SLA due at
 * createdAt + the severity's SLA, with a public "opened" timeline entry.
 *
 * @example
 * const incident = openIncident({ key: "pause-changed:0xabc…", title: "Paymaster paused outside Guardian",
 *   severity: "critical", affected: { layers: ["entryPoint"], contracts: [] }, source: "pause-changed", now: new Date() });
 */
export function openIncident(parameters: OpenIncidentParameters): Incident {
  const { key, title, severity, source, now } = parameters;
  const sla = parameters.sla ?? DEFAULT_SLA;
  const occurrence = parameters.occurrence ?? 1;
  const id = parameters.id ?? incidentIdFromKey(key, occurrence);
  const at = now.toISOString();
  const timeline: TimelineEntry[] = [
    {
      id: timelineEntryId(id, "opened"),
      at,
      kind: "opened",
      message: parameters.message ?? title,
      public: true,
      state: "detected",
      ...(parameters.by !== undefined ? { by: parameters.by } : {}),
    },
  ];
  if (parameters.evidence)
    timeline.push({
      id: timelineEntryId(id, "finding", source, evidenceKey(parameters.evidence, at)),
      at,
      kind: "finding",
      message: title,
      public: false,
      state: "detected",
      evidence: parameters.evidence,
    });
  return {
    id,
    key,
    occurrence,
    source,
    title,
    severity,
    state: "detected",
    publicStatus: PUBLIC_STATUS_OF.detected,
    affected: { layers: sortLayers(parameters.affected.layers), contracts: uniqueAddresses(parameters.affected.contracts) },
    createdAt: at,
    updatedAt: at,
    escalationLevel: "oncall",
    slaDueAt: new Date(now.getTime() + sla[severity] * MINUTE_MS).toISOString(),
    findingCount: source === "manual" ? 0 : 1,
    ...(source === "manual" ? {} : { lastFindingAt: at }),
    timeline,
  };
}

const DEFAULT_STATE_MESSAGE: Readonly<Record<IncidentState, string>> = {
  detected: "We are investigating this issue.",
  responding: "The issue has been identified and is being worked on.",
  contained: "The issue has been contained; we are monitoring the results.",
  recovered: "This incident has been resolved.",
  postreview: "Post-incident review started.",
};

export interface TransitionOptions {
  now: Date;
  /** The entry's message; default a standard sentence for the target state. */
  message?: string;
  /** Whether the entry is published; default true, except for postreview (internal process). */
  public?: boolean;
  /** A person: moving an unacknowledged incident forward acknowledges it. The daemon passes none. */
  by?: string;
}

/**
 * Moves the incident to `to` and records a "state" entry.
 * @throws InvalidTransitionError if TRANSITIONS does not allow it.
 */
export function transition(incident: Readonly<Incident>, to: IncidentState, options: TransitionOptions): Incident {
  const allowed = TRANSITIONS[incident.state];
  if (!allowed.includes(to)) throw new InvalidTransitionError(incident.id, incident.state, to, allowed);
  const at = options.now.toISOString();
  const stateChanges = incident.timeline.filter((e) => e.kind === "state").length;
  let next: Incident = {
    ...incident,
    state: to,
    publicStatus: PUBLIC_STATUS_OF[to],
    updatedAt: at,
    timeline: [...incident.timeline],
  };
  if (to === "recovered") next.resolvedAt = at;
  else if (incident.state === "recovered" && to === "responding") delete next.resolvedAt; // recurrence: no longer resolved
  next.timeline.push({
    id: timelineEntryId(incident.id, "state", stateChanges + 1, to),
    at,
    kind: "state",
    message: options.message ?? DEFAULT_STATE_MESSAGE[to],
    public: options.public ?? to !== "postreview",
    state: to,
    ...(options.by !== undefined ? { by: options.by } : {}),
  });
  if (options.by !== undefined && next.acknowledgedAt === undefined && isOpen(next))
    next = acknowledge(next, { now: options.now, by: options.by });
  return next;
}

/**
 * Records that a person took the incident: escalation stops. Idempotent: an
 * acknowledged incident is returned unchanged (the same object).
 */
export function acknowledge(incident: Readonly<Incident>, options: { now: Date; by: string }): Incident {
  if (incident.acknowledgedAt !== undefined) return incident as Incident;
  const at = options.now.toISOString();
  return {
    ...incident,
    acknowledgedAt: at,
    acknowledgedBy: options.by,
    updatedAt: at,
    timeline: [
      ...incident.timeline,
      {
        id: timelineEntryId(incident.id, "acknowledged"),
        at,
        kind: "acknowledged",
        message: `Acknowledged by ${options.by} at escalation level ${incident.escalationLevel}.`,
        public: false,
        state: incident.state,
        by: options.by,
      },
    ],
  };
}

export interface NewTimelineEntry {
  kind: TimelineKind;
  message: string;
  /** Default false: entries are internal unless marked public. */
  public?: boolean;
  by?: string;
  evidence?: Evidence;
  /** Default: derived from the kind, time and message (so adding the same entry twice is a no-op). */
  id?: string;
}

/**
 * Appends an entry unless one with the same id is already there (then the
 * same object is returned). Does not change the state; use `transition`.
 */
export function addTimelineEntry(incident: Readonly<Incident>, entry: NewTimelineEntry, now: Date): Incident {
  const at = now.toISOString();
  const id = entry.id ?? timelineEntryId(incident.id, entry.kind, at, entry.message);
  if (incident.timeline.some((e) => e.id === id)) return incident as Incident;
  const added: TimelineEntry = {
    id,
    at,
    kind: entry.kind,
    message: entry.message,
    public: entry.public ?? false,
    state: incident.state,
    ...(entry.by !== undefined ? { by: entry.by } : {}),
    ...(entry.evidence !== undefined ? { evidence: entry.evidence } : {}),
  };
  return { ...incident, updatedAt: at, timeline: [...incident.timeline, added] };
}

/** A stable identity for a piece of evidence (block, tx, log), or the time when there is none. */
export function evidenceKey(evidence: Evidence | undefined, fallback: string): string {
  if (!evidence) return fallback;
  return `${evidence.blockHash}:${evidence.txHash ?? ""}:${evidence.logIndex ?? ""}`;
}

export function sortLayers(layers: readonly Layer[]): Layer[] {
  return LAYERS.filter((layer) => layers.includes(layer));
}

/** Deduplicated case-insensitively, first spelling kept, in order. */
export function uniqueAddresses(addresses: readonly Address[]): Address[] {
  const seen = new Set<string>();
  const out: Address[] = [];
  for (const a of addresses) {
    const k = a.toLowerCase();
    if (!seen.has(k)) {
      seen.add(k);
      out.push(a);
    }
  }
  return out;
}

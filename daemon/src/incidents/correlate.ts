import type { Finding, Incident, Layer, SlaMinutes } from "../types.js";
import type { IncidentAction } from "./actions.js";
import { timelineEntryId } from "./ids.js";
import {
  addTimelineEntry,
  isOpen,
  DEFAULT_SLA,
  SEVERITY_RANK,
  evidenceKey,
  openIncident,
  sortLayers,
  transition,
  uniqueAddresses,
} from "./lifecycle.js";
import { ownPauseIncident, recordOwnPause } from "./own-pause.js";

export interface CorrelateContext {
  now: Date;
  sla?: Readonly<SlaMinutes>;
  /** config.autoPause: which layers a Critical incident may sentinel-pause. */
  autoPause: Readonly<Record<Layer, boolean>>;
  /**
   * Findings of an open incident closer together than this add no timeline
   * entry (they are still counted in findingCount). Default 5 minutes.
   */
  cooldownMs?: number;
  /**
   * The highest occurrence of a key among incidents no longer in `incidents`
   * (archived after post-review), so a recurrence long after gets the next
   * number, and so a new id. Default: none archived.
   */
  lastOccurrence?: (key: string) => number | undefined;
}

export interface CorrelateResult {
  /**
   * The new or updated incident (store it under its id); undefined when a
   * "recovered" finding had no open incident to apply to.
   */
  incident: Incident | undefined;
  /** True when a new incident was opened. */
  created: boolean;
  actions: IncidentAction[];
}

export const DEFAULT_COOLDOWN_MS = 5 * 60_000;

/**
 * Folds one finding into the incidents: findings with the same key belong to
 * the same incident, so a symptom that repeats every block pages once.
 *
 * 1. Find the latest incident of `finding.key`.
 * 2. None, or it is in post-review (closed): open a new one (occurrence n+1,
 *    counting archived incidents through `context.lastOccurrence`);
 *    notify on-call; pause if Critical.
 * 3. It is recovered: the problem recurred: reopen it (→ responding); notify.
 * 4. Record the finding: count it; add a private "finding" entry with the
 *    evidence unless the cooldown since the last one has not passed (or the
 *    same evidence is already there).
 * 5. A more severe finding raises the severity (and pulls the SLA in); notify;
 *    pause if it became Critical.
 *
 * 0. Guardian's own pause (a hub event whose incident reference names a
 *    stored incident, see own-pause.ts) is a public timeline entry of that
 *    incident, never an incident of its own.
 *
 * A finding with `recovered: true` (the condition ended) never opens an
 * incident: it adds a private entry to the open one, and resolves it
 * (→ recovered, public "resolved itself") only if nobody has touched it yet
 * (still detected, unacknowledged) and it is not Critical; a person closes
 * everything else.
 *
 * Deterministic: the same findings in the same order give the same ids, so a
 * re-processed block changes nothing.
 */
export function correlateFinding(
  incidents: Iterable<Readonly<Incident>> | Readonly<Record<string, Readonly<Incident>>>,
  finding: Readonly<Finding>,
  context: CorrelateContext,
): CorrelateResult {
  const { now } = context;
  const sla = context.sla ?? DEFAULT_SLA;
  const cooldownMs = context.cooldownMs ?? DEFAULT_COOLDOWN_MS;
  const at = now.toISOString();
  const list: Iterable<Readonly<Incident>> = Symbol.iterator in incidents ? [...(incidents as Iterable<Incident>)] : Object.values(incidents);

  // 0. Guardian's own pause: part of the incident it was made for.
  const owner = ownPauseIncident(list, finding);
  if (owner !== undefined) return { incident: recordOwnPause(owner, finding, now), created: false, actions: [] };

  // 1. The latest incident of this key.
  let latest: Readonly<Incident> | undefined;
  for (const incident of list)
    if (incident.key === finding.key && (latest === undefined || incident.occurrence > latest.occurrence)) latest = incident;

  const pauseFor = (incident: Incident): IncidentAction[] => {
    if (incident.severity !== "critical" || incident.state === "contained") return [];
    const layers = incident.affected.layers.filter((layer) => context.autoPause[layer]);
    return layers.length > 0 ? [{ type: "pause", incidentId: incident.id, layers }] : [];
  };

  if ((finding as Finding & { recovered?: boolean }).recovered === true) return clear(latest, finding, now);

  // 2. Nothing open for this key: open a new incident.
  if (latest === undefined || latest.state === "postreview") {
    const incident = openIncident({
      key: finding.key,
      title: finding.title,
      severity: finding.severity,
      affected: { layers: finding.layers, contracts: finding.contracts },
      source: finding.detector,
      now,
      sla,
      occurrence: Math.max(latest?.occurrence ?? 0, context.lastOccurrence?.(finding.key) ?? 0) + 1,
      message: finding.title,
      ...(finding.evidence ? { evidence: finding.evidence } : {}),
    });
    return {
      incident,
      created: true,
      actions: [
        { type: "notify", incidentId: incident.id, level: "oncall", severity: incident.severity, reason: "opened" },
        ...pauseFor(incident),
      ],
    };
  }

  // The same evidence again (a re-processed block): nothing changes.
  const entryId = timelineEntryId(latest.id, "finding", finding.detector, evidenceKey(finding.evidence, finding.observedAt));
  if (latest.timeline.some((e) => e.id === entryId)) return { incident: latest as Incident, created: false, actions: [] };

  const actions: IncidentAction[] = [];
  let incident: Incident = { ...latest, timeline: [...latest.timeline] };

  // 3. Recurrence after recovery: reopen.
  if (incident.state === "recovered") {
    incident = transition(incident, "responding", { now, message: "The issue has recurred; we are working on it again." });
    actions.push({ type: "notify", incidentId: incident.id, level: incident.escalationLevel, severity: incident.severity, reason: "recurred" });
  }

  // 4. Record the finding.
  const lastEntry = incident.timeline.findLast((e) => e.kind === "finding");
  const cooled = lastEntry === undefined || now.getTime() - Date.parse(lastEntry.at) >= cooldownMs;
  incident.findingCount += 1;
  incident.lastFindingAt = at;
  incident.updatedAt = at;
  incident.affected = {
    layers: sortLayers([...incident.affected.layers, ...finding.layers]),
    contracts: uniqueAddresses([...incident.affected.contracts, ...finding.contracts]),
  };
  if (cooled)
    incident.timeline.push({
      id: entryId,
      at,
      kind: "finding",
      message: finding.summary,
      public: false,
      state: incident.state,
      ...(finding.evidence ? { evidence: finding.evidence } : {}),
    });

  // 5. A more severe finding raises the severity.
  if (SEVERITY_RANK[finding.severity] < SEVERITY_RANK[incident.severity]) {
    const from = incident.severity;
    incident.severity = finding.severity;
    const due = new Date(Date.parse(incident.createdAt) + sla[finding.severity] * 60_000).toISOString();
    if (due < incident.slaDueAt) incident.slaDueAt = due;
    incident.timeline.push({
      id: timelineEntryId(incident.id, "severity", finding.severity),
      at,
      kind: "severity",
      message: `Severity raised from ${from} to ${finding.severity}: ${finding.summary}`,
      public: false,
      state: incident.state,
    });
    actions.push({ type: "notify", incidentId: incident.id, level: incident.escalationLevel, severity: incident.severity, reason: "severity-raised" });
    actions.push(...pauseFor(incident));
  }

  return { incident, created: false, actions };
}

/** A "recovered" finding: the condition behind the key has ended. */
function clear(latest: Readonly<Incident> | undefined, finding: Readonly<Finding>, now: Date): CorrelateResult {
  if (latest === undefined || !isOpen(latest)) return { incident: undefined, created: false, actions: [] };
  const entryId = timelineEntryId(latest.id, "cleared", finding.detector, evidenceKey(finding.evidence, finding.observedAt));
  if (latest.timeline.some((e) => e.id === entryId)) return { incident: latest as Incident, created: false, actions: [] };
  let incident = addTimelineEntry(
    latest,
    {
      id: entryId,
      kind: "note",
      message: `${finding.detector} reports the condition has ended: ${finding.summary}`,
      public: false,
      ...(finding.evidence ? { evidence: finding.evidence } : {}),
    },
    now,
  );
  const actions: IncidentAction[] = [];
  if (incident.state === "detected" && incident.acknowledgedAt === undefined && incident.severity !== "critical") {
    incident = transition(incident, "recovered", { now, message: "The issue resolved itself; we continue to monitor." });
    actions.push({ type: "notify", incidentId: incident.id, level: incident.escalationLevel, severity: incident.severity, reason: "cleared" });
  }
  return { incident, created: false, actions };
}

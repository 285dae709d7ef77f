import { ESCALATION_LEVELS } from "../types.js";
import type { EscalationLevel, Incident } from "../types.js";
import type { NotifyAction } from "./actions.js";
import { isOpen } from "./lifecycle.js";
import { timelineEntryId } from "./ids.js";

/**
 * When each escalation level is due: on-call from the start, senior once the
 * SLA has passed (slaDueAt), lead once it has passed twice
 * (slaDueAt + the SLA's length).
 */
export function escalationDueAt(incident: Pick<Incident, "createdAt" | "slaDueAt">): Record<EscalationLevel, string> {
  const created = Date.parse(incident.createdAt);
  const due = Date.parse(incident.slaDueAt);
  return {
    oncall: incident.createdAt,
    senior: incident.slaDueAt,
    lead: new Date(due + (due - created)).toISOString(),
  };
}

export interface EscalateDueResult {
  /** The incidents that changed (new objects); the others are left out. */
  updated: Incident[];
  /** One notify action (reason "escalated") per escalated incident, for its new level. */
  actions: NotifyAction[];
}

/**
 * Escalates every open, unacknowledged incident whose SLA has passed:
 * oncall → senior at slaDueAt, → lead at slaDueAt + SLA. A daemon that was
 * down past both deadlines jumps straight to lead (one action, one entry).
 * Acknowledged, recovered and post-review incidents never escalate.
 */
export function escalateDue(incidents: Iterable<Readonly<Incident>>, now: Date): EscalateDueResult {
  const updated: Incident[] = [];
  const actions: NotifyAction[] = [];
  const t = now.getTime();
  for (const incident of incidents) {
    if (!isOpen(incident) || incident.acknowledgedAt !== undefined) continue;
    const due = escalationDueAt(incident);
    let target: EscalationLevel = "oncall";
    for (const level of ESCALATION_LEVELS) if (t >= Date.parse(due[level])) target = level;
    if (ESCALATION_LEVELS.indexOf(target) <= ESCALATION_LEVELS.indexOf(incident.escalationLevel)) continue;
    const at = now.toISOString();
    updated.push({
      ...incident,
      escalationLevel: target,
      updatedAt: at,
      timeline: [
        ...incident.timeline,
        {
          id: timelineEntryId(incident.id, "escalated", target),
          at,
          kind: "escalated",
          message: `Unacknowledged past its ${incident.severity} SLA (due ${incident.slaDueAt}): escalated from ${incident.escalationLevel} to ${target}.`,
          public: false,
          state: incident.state,
        },
      ],
    });
    actions.push({ type: "notify", incidentId: incident.id, level: target, severity: incident.severity, reason: "escalated" });
  }
  return { updated, actions };
}

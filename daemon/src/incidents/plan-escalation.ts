/**
 * Escalation by role, as the response plan draws it: who is paged, and when,
 * from the roles configured in `roles` (On-Call, Security Lead, CTO, each with
 * a stand-in). It runs beside the SLA escalation (escalation.ts: on-call →
 * senior → lead when the SLA passes unacknowledged), which it does not change.
 * Pure: the clock is an argument, and a page is recorded in the incident's own
 * timeline (an internal "escalated" entry whose id names the role, so the
 * post-mortem's escalations list it; never an "action", which the circuit
 * breaker reads as "already acted"), so it happens once per role per
 * incident whatever restarts.
 *
 * The rules, minutes after the incident opened (`createdAt`), for an incident
 * still open (detected, responding or contained):
 *
 * | role                  | severity                      | at     | only if unacknowledged |
 * | --------------------- | ----------------------------- | ------ | ---------------------- |
 * | On-Call primary       | any                           | 0      | no                     |
 * | On-Call secondary     | any                           | 5      | yes                    |
 * | Security Lead primary | Critical                      | 15     | no                     |
 * | Security Lead primary | High                          | 15     | yes                    |
 * | Security Lead backup  | Critical, High                | 30     | yes                    |
 * | CTO primary           | Critical with broad impact    | 60     | no                     |
 * | CTO backup            | Critical with broad impact    | 75     | yes                    |
 *
 * - The plan's phases: on-call owns 0–15 min, the Security Lead 15–60 min for
 *   Critical and High, the CTO after 60 min for a Critical incident with broad
 *   impact. A Critical incident always reaches the Security Lead (they decide
 *   disclosure timing and containment, whoever acknowledged it) and, when its
 *   impact is broad, the CTO (final authority on public statements); a High
 *   one reaches the Security Lead only when nobody has taken it by 15 min.
 * - A stand-in (secondary, backup) is paged when the incident is still
 *   unacknowledged 5 min (on-call) or 15 min (the others) after its primary's
 *   page was due: nobody has taken it, so the primary is presumably out of
 *   reach. Acknowledgement is one per incident (`guardian incident ack`), so
 *   an acknowledgement by anyone stops every page marked "only if
 *   unacknowledged".
 * - Broad impact: at least two of the three guarded layers (EntryPoint and
 *   paymaster, account factory, delegation) are affected — most users' journeys
 *   fail, not a corner of the stack.
 * - Severity and layers are read as they are now: an incident raised to
 *   Critical at 40 min pages the Security Lead at once (its 15 min have
 *   passed). A daemon that was down past several times pages every role that
 *   came due, once each, when it comes back.
 * - A role not configured is skipped; nothing else moves to take its place
 *   (the SLA escalation still pages its levels).
 */
import type { Incident, Layer, Severity, TimelineEntry } from "../types.js";
import { timelineEntryId } from "./ids.js";
import { isOpen } from "./lifecycle.js";

/** Each person the plan can page: a role and which of its two contacts. */
export const ROLE_SLOTS = ["onCall.primary", "onCall.secondary", "securityLead.primary", "securityLead.backup", "cto.primary", "cto.backup"] as const;
export type RoleSlot = (typeof ROLE_SLOTS)[number];

/** How each slot is named in messages. */
export const ROLE_SLOT_NAME: Readonly<Record<RoleSlot, string>> = {
  "onCall.primary": "On-Call (primary)",
  "onCall.secondary": "On-Call (secondary)",
  "securityLead.primary": "Security Lead",
  "securityLead.backup": "Security Lead (backup)",
  "cto.primary": "CTO",
  "cto.backup": "CTO (backup)",
};

/** Minutes after opening at which each slot's page is due (see the module comment). */
export const ROLE_PAGE_MINUTES: Readonly<Record<RoleSlot, number>> = {
  "onCall.primary": 0,
  "onCall.secondary": 5,
  "securityLead.primary": 15,
  "securityLead.backup": 30,
  "cto.primary": 60,
  "cto.backup": 75,
};

/** Guarded layers affected from which a Critical incident counts as broad impact. */
export const BROAD_IMPACT_LAYERS = 2;

export interface RoleContact {
  name: string;
  channel: string;
}

/** The configured contact of each slot (a slot left out is not configured). */
export type RoleContacts = Readonly<Partial<Record<RoleSlot, RoleContact>>>;

/** The config's `roles` as slots. */
export function roleContacts(roles: {
  readonly onCall?: { readonly primary: RoleContact; readonly secondary?: RoleContact | undefined } | undefined;
  readonly securityLead?: { readonly primary: RoleContact; readonly backup?: RoleContact | undefined } | undefined;
  readonly cto?: { readonly primary: RoleContact; readonly backup?: RoleContact | undefined } | undefined;
}): RoleContacts {
  const out: Partial<Record<RoleSlot, RoleContact>> = {};
  if (roles.onCall) {
    out["onCall.primary"] = roles.onCall.primary;
    if (roles.onCall.secondary) out["onCall.secondary"] = roles.onCall.secondary;
  }
  if (roles.securityLead) {
    out["securityLead.primary"] = roles.securityLead.primary;
    if (roles.securityLead.backup) out["securityLead.backup"] = roles.securityLead.backup;
  }
  if (roles.cto) {
    out["cto.primary"] = roles.cto.primary;
    if (roles.cto.backup) out["cto.backup"] = roles.cto.backup;
  }
  return out;
}

/** At least BROAD_IMPACT_LAYERS of the three guarded layers affected. */
export function hasBroadImpact(incident: Pick<Incident, "affected">): boolean {
  return new Set<Layer>(incident.affected.layers).size >= BROAD_IMPACT_LAYERS;
}

/** Whether the plan involves `slot` at all for an incident of this severity and impact (timing and acknowledgement aside). */
export function slotApplies(slot: RoleSlot, incident: Pick<Incident, "severity" | "affected">): boolean {
  if (slot.startsWith("onCall.")) return true;
  if (slot.startsWith("securityLead.")) return incident.severity === "critical" || incident.severity === "high";
  return incident.severity === "critical" && hasBroadImpact(incident);
}

/** Whether an acknowledgement makes the slot's page unnecessary (the last column of the table). */
export function pageNeedsUnacknowledged(slot: RoleSlot, severity: Severity): boolean {
  if (slot === "onCall.primary" || slot === "cto.primary") return false;
  if (slot === "securityLead.primary") return severity !== "critical";
  return true;
}

/** When the slot's page is due for this incident (ISO-8601 UTC). */
export function rolePageDueAt(incident: Pick<Incident, "createdAt">, slot: RoleSlot): string {
  return new Date(Date.parse(incident.createdAt) + ROLE_PAGE_MINUTES[slot] * 60_000).toISOString();
}

/** The id of the timeline entry that records the page of `slot` (one per incident). */
export function rolePageEntryId(incidentId: string, slot: RoleSlot): string {
  return timelineEntryId(incidentId, "role-page", slot);
}

/** The slot an entry records the page of, if it is a role page. */
export function rolePageSlot(incident: Pick<Incident, "id">, entry: Pick<TimelineEntry, "id" | "kind">): RoleSlot | undefined {
  if (entry.kind !== "escalated") return undefined;
  return ROLE_SLOTS.find((slot) => rolePageEntryId(incident.id, slot) === entry.id);
}

export interface RolePage {
  slot: RoleSlot;
  contact: RoleContact;
  /** When it was due by the rules. */
  dueAt: string;
  /** Why, in one sentence fragment (for the timeline and the message). */
  why: string;
}

/** The pages due for `incident` at `now` that it has not had yet, in slot order. */
export function rolePagesDue(incident: Readonly<Incident>, roles: RoleContacts, now: Date): RolePage[] {
  if (!isOpen(incident)) return [];
  const paged = new Set(incident.timeline.map((e) => e.id));
  const t = now.getTime();
  const out: RolePage[] = [];
  for (const slot of ROLE_SLOTS) {
    const contact = roles[slot];
    if (contact === undefined || !slotApplies(slot, incident)) continue;
    if (paged.has(rolePageEntryId(incident.id, slot))) continue;
    const dueAt = rolePageDueAt(incident, slot);
    if (t < Date.parse(dueAt)) continue;
    const unacknowledged = pageNeedsUnacknowledged(slot, incident.severity);
    if (unacknowledged && incident.acknowledgedAt !== undefined) continue;
    const minutes = ROLE_PAGE_MINUTES[slot];
    const impact = slot.startsWith("cto.") ? ` affecting ${incident.affected.layers.length} layers` : "";
    const when = minutes === 0 ? "opened" : `${minutes} min after opening`;
    out.push({ slot, contact, dueAt, why: `${incident.severity}${impact}, ${when}${unacknowledged ? ", unacknowledged" : ""}` });
  }
  return out;
}

/**
 * The incident with one timeline entry (kind "escalated", internal) per page due
 * at `now` (rolePagesDue), and those pages with the index of their entry. The
 * incident is returned unchanged (the same object) when nothing is due.
 */
export function pageRoles(incident: Readonly<Incident>, roles: RoleContacts, now: Date): { incident: Incident; pages: Array<RolePage & { entryIndex: number }> } {
  const due = rolePagesDue(incident, roles, now);
  if (due.length === 0) return { incident: incident as Incident, pages: [] };
  const at = now.toISOString();
  const timeline = [...incident.timeline];
  const pages = due.map((page) => {
    timeline.push({
      id: rolePageEntryId(incident.id, page.slot),
      at,
      kind: "escalated",
      message: `Paged ${ROLE_SLOT_NAME[page.slot]} ${page.contact.name} per the response plan (${page.why}).`,
      public: false,
      state: incident.state,
      by: "guardian",
    });
    return { ...page, entryIndex: timeline.length - 1 };
  });
  return { incident: { ...incident, timeline, updatedAt: at }, pages };
}

import { describe, expect, it } from "vitest";
import { acknowledge, correlateFinding, transition } from "../../incidents/index.js";
import { roleContacts } from "../../incidents/plan-escalation.js";
import { aFinding, at, evidence, T0 } from "../../incidents/test-builders.js";
import type { OutboxItem } from "../../store/schema.js";
import type { Incident, Layer } from "../../types.js";
import {
  cancelMootEscalations,
  enqueueActions,
  escalateAndEnqueue,
  mergeOutbox,
  notificationId,
  notificationsForActions,
  notificationsFromTimeline,
  OUTBOX_RETENTION_MS,
  pageRolesAndEnqueue,
  pruneOutbox,
  reconcileOutbox,
  type EscalationContacts,
} from "./plan.js";
import { asNotification, type NotificationItem } from "./types.js";

const ESCALATION: EscalationContacts = {
  oncall: { name: "Ona (on-call)", channel: "webhook:oncall" },
  senior: { name: "Sam (senior)", channel: "webhook:senior" },
  lead: { name: "Lee (lead)", channel: "log" },
};
const ALL: Record<Layer, boolean> = { entryPoint: true, accountFactory: true, delegation: true };
const byId = (...incidents: Incident[]) => Object.fromEntries(incidents.map((i) => [i.id, i]));
const summary = (items: readonly OutboxItem[]) =>
  items.map((item) => {
    const n = asNotification(item)!;
    return `${n.payload.event} → ${n.payload.contact.level} ${n.payload.channel}${n.status === "pending" ? "" : ` (${n.status})`}`;
  });

function opened(severity: "critical" | "high" = "high") {
  const r = correlateFinding({}, aFinding({ severity, evidence: evidence(10, { sender: "0x00000000000000000000000000000000000000a1" }) }), { now: T0, autoPause: ALL });
  return { incident: r.incident!, actions: r.actions };
}

describe("planning from the incidents engine's actions", () => {
  it("an opened incident pages on-call once, with an id from incident, event, entry and channel", () => {
    const { incident, actions } = opened();
    const items = notificationsForActions(byId(incident), actions, { escalation: ESCALATION, now: T0 });
    expect(summary(items)).toEqual(["opened → oncall webhook:oncall"]);
    const [item] = items as [NotificationItem];
    expect(item.id).toBe(notificationId(incident.id, "opened", incident.timeline[0]!.id, "webhook:oncall"));
    expect(item).toMatchObject({ kind: "notification", incidentId: incident.id, status: "pending", attempts: 0, createdAt: T0.toISOString() });
    expect(item.payload.message).toMatchObject({ title: incident.title, severity: "high", state: "detected", publicStatus: "investigating", escalationLevel: "oncall" });
    // The payload holds the channel's NAME only, never a URL.
    expect(JSON.stringify(item)).not.toMatch(/https?:/);

    // A restart or a re-processed block plans the same ids: merging again adds nothing.
    const later = notificationsForActions(byId(incident), actions, { escalation: ESCALATION, now: at(3) });
    const first = mergeOutbox([], items);
    expect(mergeOutbox(first.outbox, later)).toEqual({ outbox: first.outbox, added: [] });
    // The timeline scan sees the same event and plans the same id.
    expect(notificationsFromTimeline(byId(incident), { escalation: ESCALATION, now: at(3) }).map((n) => n.id)).toEqual([item.id]);
  });

  it("a raised severity and a recurrence page everyone paged so far; a cleared incident reports resolved", () => {
    let { incident } = opened();
    const raised = correlateFinding(byId(incident), aFinding({ severity: "critical", evidence: evidence(11) }), { now: at(1), autoPause: ALL });
    incident = raised.incident!;
    expect(summary(notificationsForActions(byId(incident), raised.actions, { escalation: ESCALATION, now: at(1) }))).toEqual([
      "severity-raised → oncall webhook:oncall",
    ]);

    const low = correlateFinding({}, aFinding({ key: "k2" }), { now: T0, autoPause: ALL }).incident!;
    const cleared = correlateFinding(byId(low), aFinding({ key: "k2", recovered: true, evidence: evidence(12) }), { now: at(2), autoPause: ALL });
    expect(summary(notificationsForActions(byId(cleared.incident!), cleared.actions, { escalation: ESCALATION, now: at(2) }))).toEqual([
      "resolved → oncall webhook:oncall",
    ]);
    const recurred = correlateFinding(byId(cleared.incident!), aFinding({ key: "k2", evidence: evidence(13) }), { now: at(9), autoPause: ALL });
    expect(summary(notificationsForActions(byId(recurred.incident!), recurred.actions, { escalation: ESCALATION, now: at(9) }))).toEqual([
      "recurred → oncall webhook:oncall",
    ]);
  });

  it("pause actions and unknown incidents plan nothing", () => {
    const { incident, actions } = opened("critical");
    expect(actions.map((a) => a.type)).toEqual(["notify", "pause"]);
    expect(notificationsForActions(byId(incident), actions, { escalation: ESCALATION, now: T0 })).toHaveLength(1);
    expect(notificationsForActions({}, actions, { escalation: ESCALATION, now: T0 })).toEqual([]);
  });
});

describe("escalation delivery", () => {
  it("pages the next level when the SLA passes unacknowledged: on-call → senior → lead, once each", () => {
    const { incident, actions } = opened("high"); // SLA 120 min
    const draft = { incidents: byId(incident), outbox: [] as OutboxItem[] };
    enqueueActions(draft, actions, { escalation: ESCALATION, now: T0 });

    expect(escalateAndEnqueue(draft, { escalation: ESCALATION, now: at(119) }).enqueued).toEqual([]);
    const senior = escalateAndEnqueue(draft, { escalation: ESCALATION, now: at(120) });
    expect(senior.escalated.map((i) => i.escalationLevel)).toEqual(["senior"]);
    expect(summary(senior.enqueued)).toEqual(["escalated → senior webhook:senior"]);
    expect(asNotification(senior.enqueued[0]!)!.payload.contact.name).toBe("Sam (senior)");
    // The same tick again (or a restart): nothing new.
    expect(escalateAndEnqueue(draft, { escalation: ESCALATION, now: at(121) })).toEqual({ escalated: [], enqueued: [] });

    const lead = escalateAndEnqueue(draft, { escalation: ESCALATION, now: at(240) });
    expect(summary(lead.enqueued)).toEqual(["escalated → lead log"]);
    expect(summary(draft.outbox)).toEqual(["opened → oncall webhook:oncall", "escalated → senior webhook:senior", "escalated → lead log"]);
    // The reconciler agrees with the action path: nothing to add.
    expect(reconcileOutbox(draft, { escalation: ESCALATION, now: at(241) }).enqueued).toEqual([]);
  });

  it("acknowledgement stops it: no page after, and a page not yet delivered is cancelled", () => {
    const { incident } = opened("critical"); // SLA 15 min
    const draft = { incidents: byId(incident), outbox: [] as OutboxItem[] };
    escalateAndEnqueue(draft, { escalation: ESCALATION, now: at(15) });
    expect(summary(draft.outbox)).toEqual(["escalated → senior webhook:senior"]);

    draft.incidents[incident.id] = acknowledge(draft.incidents[incident.id]!, { now: at(16), by: "sam" });
    expect(escalateAndEnqueue(draft, { escalation: ESCALATION, now: at(60) }).enqueued).toEqual([]);
    const { cancelled } = cancelMootEscalations(draft.outbox, draft.incidents);
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]).toMatchObject({ status: "done", payload: { cancelled: `acknowledged by sam at ${at(16).toISOString()} before delivery` } });
    expect(cancelled[0]!.nextAttemptAt).toBeUndefined();
  });
});

describe("the timeline reconciler", () => {
  it("reports acknowledgements and state changes made by people to every level paged so far, once per channel", () => {
    let { incident } = opened("critical");
    const draft = { incidents: byId(incident), outbox: [] as OutboxItem[] };
    reconcileOutbox(draft, { escalation: ESCALATION, now: T0 });
    escalateAndEnqueue(draft, { escalation: ESCALATION, now: at(15) });
    incident = transition(draft.incidents[incident.id]!, "responding", { now: at(20), by: "sam", message: "Looking at the paymaster." });
    incident = transition(incident, "contained", { now: at(25) });
    incident = transition(incident, "recovered", { now: at(40) });
    draft.incidents[incident.id] = incident;
    const r = reconcileOutbox(draft, { escalation: ESCALATION, now: at(41) });
    expect(summary(r.enqueued)).toEqual([
      "responding → oncall webhook:oncall",
      "responding → senior webhook:senior",
      "acknowledged → oncall webhook:oncall",
      "acknowledged → senior webhook:senior",
      "contained → oncall webhook:oncall",
      "contained → senior webhook:senior",
      "resolved → oncall webhook:oncall",
      "resolved → senior webhook:senior",
    ]);
    expect(asNotification(r.enqueued[2]!)!.payload.message.by).toBe("sam");
    expect(reconcileOutbox(draft, { escalation: ESCALATION, now: at(42) }).enqueued).toEqual([]);
  });

  it("looks back only so far, and shares a channel between levels without paging it twice", () => {
    const { incident } = opened();
    expect(notificationsFromTimeline(byId(incident), { escalation: ESCALATION, now: at(24 * 60 + 1) })).toEqual([]);
    const shared: EscalationContacts = { ...ESCALATION, senior: { name: "Sam", channel: "webhook:oncall" } };
    const acked = acknowledge({ ...incident, escalationLevel: "senior" }, { now: at(1), by: "x" });
    // No escalated entry on the timeline: the level reached is on-call's.
    expect(summary(notificationsFromTimeline(byId(acked), { escalation: shared, now: at(2) }))).toEqual([
      "opened → oncall webhook:oncall",
      "acknowledged → oncall webhook:oncall",
    ]);
  });
});

describe("a new or changed channel: catch-up, never history", () => {
  it("restarting with another on-call channel sends it one catch-up per open incident and nothing about resolved ones", () => {
    const A: EscalationContacts = { ...ESCALATION, oncall: { name: "Ona", channel: "webhook:a" } };
    const B: EscalationContacts = { ...ESCALATION, oncall: { name: "Ona", channel: "webhook:b" } };
    const draft: { incidents: Record<string, Incident>; outbox: OutboxItem[]; notify?: { channels: Record<string, string> } } = { incidents: {}, outbox: [] };
    reconcileOutbox(draft, { escalation: A, now: T0 });
    // Four incidents on channel A: three resolved, one open (acknowledged).
    const keys = ["k1", "k2", "k3", "k4"];
    for (const [i, key] of keys.entries()) {
      const r = correlateFinding(draft.incidents, aFinding({ key, evidence: evidence(20 + i) }), { now: at(i + 1), autoPause: ALL });
      draft.incidents[r.incident!.id] = r.incident!;
      enqueueActions(draft, r.actions, { escalation: A, now: at(i + 1) });
    }
    const [x1, x2, x3, open] = Object.values(draft.incidents) as [Incident, Incident, Incident, Incident];
    for (const id of [x1.id, x2.id, x3.id]) draft.incidents[id] = transition(draft.incidents[id]!, "recovered", { now: at(10), by: "ona" });
    draft.incidents[open.id] = acknowledge(draft.incidents[open.id]!, { now: at(11), by: "ona" });
    reconcileOutbox(draft, { escalation: A, now: at(12) });
    expect(summary(draft.outbox).filter((s) => s.endsWith("webhook:a"))).toHaveLength(4 + 3 + 1); // opened ×4, resolved ×3, acknowledged
    expect(draft.notify).toEqual({ channels: { "webhook:a": T0.toISOString(), "webhook:senior": T0.toISOString(), log: T0.toISOString() } });

    // Restart with channel B for on-call.
    const r = reconcileOutbox(draft, { escalation: B, now: at(30) });
    expect(summary(r.enqueued)).toEqual(["catch-up → oncall webhook:b"]);
    const [catchUp] = r.enqueued.map((i) => asNotification(i)!) as [NotificationItem];
    expect(catchUp.incidentId).toBe(open.id);
    expect(catchUp.payload.message).toMatchObject({
      state: "detected",
      publicStatus: "investigating",
      at: at(30).toISOString(),
      text: `Catch-up: this channel was configured while the incident was open. It is detected (public: investigating), opened ${at(4).toISOString()}, acknowledged by ona.`,
      evidence: { blockNumber: 23 },
    });
    expect(draft.notify!.channels).toEqual({ "webhook:b": at(30).toISOString(), "webhook:senior": T0.toISOString(), log: T0.toISOString() });
    // Once: later ticks add nothing; what happens from now on reaches B.
    expect(reconcileOutbox(draft, { escalation: B, now: at(31) }).enqueued).toEqual([]);
    draft.incidents[open.id] = transition(draft.incidents[open.id]!, "contained", { now: at(32) });
    expect(summary(reconcileOutbox(draft, { escalation: B, now: at(33) }).enqueued)).toEqual(["contained → oncall webhook:b"]);

    // Back to A: A is a new channel again (it was dropped while not configured).
    expect(summary(reconcileOutbox(draft, { escalation: A, now: at(40) }).enqueued)).toEqual(["catch-up → oncall webhook:a"]);
  });

  it("a channel that heard of an incident through its actions gets no catch-up for it; a level not reached gets none", () => {
    const { incident, actions } = opened("high");
    const draft: { incidents: Record<string, Incident>; outbox: OutboxItem[]; notify?: { channels: Record<string, string> } } = { incidents: byId(incident), outbox: [] };
    draft.notify = { channels: {} };
    enqueueActions(draft, actions, { escalation: ESCALATION, now: T0 });
    // Every channel is new here; on-call heard of the incident already, senior and lead are not reached yet.
    expect(summary(reconcileOutbox(draft, { escalation: ESCALATION, now: at(1) }).enqueued)).toEqual([]);
    const senior = escalateAndEnqueue(draft, { escalation: ESCALATION, now: at(120) });
    expect(summary(senior.enqueued)).toEqual(["escalated → senior webhook:senior"]);
  });
});

describe("pruneOutbox", () => {
  it("drops delivered notifications after the retention, keeps dead, pending and other kinds", () => {
    const { incident, actions } = opened();
    const [n] = notificationsForActions(byId(incident), actions, { escalation: ESCALATION, now: T0 }) as [NotificationItem];
    const old = new Date(T0.getTime() - OUTBOX_RETENTION_MS - 1).toISOString();
    const delivered: OutboxItem = { ...n, id: "a", status: "done", payload: { ...n.payload, deliveredAt: old } };
    const fresh: OutboxItem = { ...n, id: "b", status: "done", payload: { ...n.payload, deliveredAt: T0.toISOString() } };
    const dead: OutboxItem = { ...n, id: "c", status: "failed", createdAt: old };
    const pending: OutboxItem = { ...n, id: "d", createdAt: old };
    const other: OutboxItem = { id: "e", kind: "safe-proposal", createdAt: old, status: "done", attempts: 1, payload: {} };
    expect(pruneOutbox([delivered, fresh, dead, pending, other], T0).map((i) => i.id)).toEqual(["b", "c", "d", "e"]);
  });
});

describe("escalation by role through the outbox", () => {
  const ROLES = roleContacts({
    onCall: { primary: { name: "Ona (on-call)", channel: "webhook:oncall" }, secondary: { name: "Otto", channel: "webhook:otto" } },
    securityLead: { primary: { name: "Sela", channel: "webhook:sela" }, backup: { name: "Seb", channel: "webhook:seb" } },
    cto: { primary: { name: "Cato", channel: "webhook:cato" } },
  });
  const roleSummary = (items: readonly OutboxItem[]) =>
    items.map((item) => {
      const n = asNotification(item)!;
      return `${n.payload.event} → ${n.payload.contact.role} ${n.payload.channel}${n.status === "pending" ? "" : ` (${n.status}: ${n.payload.cancelled})`}`;
    });

  it("pages each role once, as an internal timeline entry and a role-paged notification written together; on-call's own channel already had the opening", () => {
    const { incident, actions } = opened("critical");
    const draft: { incidents: Record<string, Incident>; outbox: OutboxItem[] } = { incidents: byId({ ...incident, affected: { ...incident.affected, layers: ["entryPoint", "delegation"] } }), outbox: [] };
    enqueueActions(draft, actions, { escalation: ESCALATION, now: T0 });
    // On-call primary's channel is the SLA escalation's on-call channel: recorded, not sent twice.
    const t0 = pageRolesAndEnqueue(draft, { escalation: ESCALATION, roles: ROLES, now: T0 });
    expect(t0.paged.map((p) => p.slot)).toEqual(["onCall.primary"]);
    expect(roleSummary(t0.enqueued)).toEqual([]);
    expect(roleSummary(pageRolesAndEnqueue(draft, { escalation: ESCALATION, roles: ROLES, now: at(5) }).enqueued)).toEqual(["role-paged → onCall.secondary webhook:otto"]);
    const t16 = pageRolesAndEnqueue(draft, { escalation: ESCALATION, roles: ROLES, now: at(16) });
    expect(roleSummary(t16.enqueued)).toEqual(["role-paged → securityLead.primary webhook:sela"]);
    const page = asNotification(t16.enqueued[0]!)!;
    const entry = draft.incidents[incident.id]!.timeline[page.payload.entryIndex]!;
    expect([entry.kind, entry.public, entry.id === page.payload.entryId]).toEqual(["escalated", false, true]);
    expect(page.payload.message.text).toBe("Paged Security Lead Sela per the response plan (critical, 15 min after opening).");
    expect(page.id).toBe(notificationId(incident.id, "role-paged", entry.id, "webhook:sela"));
    // Once per role: the same tick again (a restart) adds nothing.
    expect(pageRolesAndEnqueue(draft, { escalation: ESCALATION, roles: ROLES, now: at(16) }).enqueued).toEqual([]);
    // The timeline reconciler does not page the role entries again (they are "escalated" entries of no SLA level).
    expect(roleSummary(reconcileOutbox(draft, { escalation: ESCALATION, now: at(17) }).enqueued)).toEqual([]);
  });

  it("an acknowledgement cancels a pending page of a stand-in but not the Security Lead's page of a Critical incident; closing cancels all", () => {
    const { incident } = opened("critical");
    const draft: { incidents: Record<string, Incident>; outbox: OutboxItem[] } = { incidents: byId(incident), outbox: [] };
    pageRolesAndEnqueue(draft, { escalation: ESCALATION, roles: ROLES, now: at(31) });
    expect(roleSummary(draft.outbox)).toEqual(["role-paged → onCall.secondary webhook:otto", "role-paged → securityLead.primary webhook:sela", "role-paged → securityLead.backup webhook:seb"]);
    draft.incidents[incident.id] = acknowledge(draft.incidents[incident.id]!, { now: at(32), by: "Sela" });
    const after = cancelMootEscalations(draft.outbox, draft.incidents);
    expect(roleSummary(after.outbox)).toEqual([
      `role-paged → onCall.secondary webhook:otto (done: acknowledged by Sela at ${at(32).toISOString()} before delivery)`,
      "role-paged → securityLead.primary webhook:sela",
      `role-paged → securityLead.backup webhook:seb (done: acknowledged by Sela at ${at(32).toISOString()} before delivery)`,
    ]);
    draft.incidents[incident.id] = transition(draft.incidents[incident.id]!, "recovered", { now: at(33) });
    expect(roleSummary(cancelMootEscalations(after.outbox, draft.incidents).outbox)[1]).toBe("role-paged → securityLead.primary webhook:sela (done: incident recovered before delivery)");
  });
});

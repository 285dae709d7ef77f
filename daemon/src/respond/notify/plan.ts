/**
 * What to notify, and to whom: pure functions from incidents (and the
 * incidents engine's notify actions) to outbox entries. Nothing here sends.
 *
 * Every notification reports one timeline entry, and its id is derived from
 * the incident, the event, the entry and the channel (`notificationId`): the
 * same event planned twice (a restart, a re-processed block, the action path
 * and the timeline scan both seeing it) is the same entry, and `mergeOutbox`
 * keeps the first. Two paths plan notifications:
 *
 * - `notificationsForActions`: the engine's NotifyActions (correlateFinding,
 *   escalateDue), right where the incident changes: the wiring enqueues them
 *   in the same `store.update` that stores the incident, so a notification is
 *   persisted before any attempt to deliver it and never without its incident.
 * - `notificationsFromTimeline`: a reconciler over recent timeline entries:
 *   it catches what has no action (a person's acknowledgement or state change
 *   through the CLI or the admin endpoint, a manual incident, a pause that
 *   contained the incident) and anything a crash dropped between two writes.
 *
 * Recipients (`recipients`): "opened" goes to on-call; "escalated" to the
 * level it escalated to; every later event to each level paged so far (the
 * levels reached when the entry was written), once per channel.
 *
 * Escalation by role (`pageRolesAndEnqueue`, incidents/plan-escalation.ts)
 * runs beside the SLA escalation: each page is an internal "escalated" entry in
 * the incident's timeline (so it happens once per role per incident, restarts
 * or not) and a "role-paged" notification to that role's contact, written in
 * the same store update.
 *
 * History is never replayed to a new channel (`subscribeChannels`): the
 * store records when each configured channel was first seen; the timeline
 * scan plans, for each channel, only entries written since then. A channel
 * that appears (a new contact, a changed channel, a restart with another
 * config) gets one "catch-up" per open incident it would be paged about,
 * with the incident's current state, and nothing about resolved incidents.
 */
import type { Contact } from "../../config/index.js";
import type { IncidentAction } from "../../incidents/actions.js";
import { escalateDue } from "../../incidents/escalation.js";
import { pageNeedsUnacknowledged, pageRoles, rolePageSlot, type RoleContacts, type RolePage } from "../../incidents/plan-escalation.js";
import { nameUuid, timelineEntryId } from "../../incidents/ids.js";
import { isOpen } from "../../incidents/lifecycle.js";
import type { OutboxItem, StoreData } from "../../store/schema.js";
import { ESCALATION_LEVELS } from "../../types.js";
import type { EscalationLevel, Incident, TimelineEntry } from "../../types.js";
import { asNotification, NOTIFICATION_KIND, type NotificationEvent, type NotificationItem } from "./types.js";

export type EscalationContacts = Readonly<Record<EscalationLevel, Contact>>;

export interface PlanContext {
  /** config.escalation: who each level is and on which channel. */
  escalation: EscalationContacts;
  now: Date;
}

/** How far back the timeline scan looks. Must stay below OUTBOX_RETENTION_MS, or a pruned event could be planned again. */
export const TIMELINE_LOOKBACK_MS = 24 * 3_600_000;
/** Delivered and cancelled notifications are pruned after this long (dead ones are kept). */
export const OUTBOX_RETENTION_MS = 7 * 24 * 3_600_000;

/** The deterministic id of the notification of `event` (timeline entry `entryId`) to `channel`. */
export function notificationId(incidentId: string, event: NotificationEvent, entryId: string, channel: string): string {
  return nameUuid(`notification:${incidentId}:${event}:${entryId}:${channel}`);
}

/** The event a timeline entry reports, if it is one that pages anyone. */
export function eventOfEntry(incident: Readonly<Incident>, index: number): NotificationEvent | undefined {
  const entry = incident.timeline[index];
  if (entry === undefined) return undefined;
  switch (entry.kind) {
    case "opened":
      return "opened";
    case "escalated":
      // A role page (plan-escalation.ts) is delivered as "role-paged" by pageRolesAndEnqueue, not from the timeline.
      return rolePageSlot(incident, entry) === undefined ? "escalated" : undefined;
    case "severity":
      return "severity-raised";
    case "acknowledged":
      return "acknowledged";
    case "state": {
      if (entry.state === "contained") return "contained";
      if (entry.state === "recovered") return "resolved";
      if (entry.state === "responding") {
        const previous = incident.timeline.slice(0, index).findLast((e) => e.kind === "state");
        return previous?.state === "recovered" ? "recurred" : "responding";
      }
      return undefined; // detected (never a state entry) and postreview (internal process)
    }
    default:
      return undefined; // findings, notes, actions: internal detail, no page
  }
}

/** The level an "escalated" entry escalated to (its id is derived from it). */
export function escalatedLevel(incident: Readonly<Incident>, entry: Readonly<TimelineEntry>): EscalationLevel | undefined {
  return ESCALATION_LEVELS.find((level) => timelineEntryId(incident.id, "escalated", level) === entry.id);
}

/** The escalation level the incident had reached when entry `index` was written. */
export function levelAt(incident: Readonly<Incident>, index: number): EscalationLevel {
  let level: EscalationLevel = "oncall";
  incident.timeline.slice(0, index + 1).forEach((entry) => {
    if (entry.kind !== "escalated") return;
    const to = escalatedLevel(incident, entry);
    if (to !== undefined && ESCALATION_LEVELS.indexOf(to) > ESCALATION_LEVELS.indexOf(level)) level = to;
  });
  return level;
}

export interface Recipient {
  level: EscalationLevel;
  contact: Contact;
}

/** Who hears about entry `index` (see the module comment); one per channel. */
export function recipients(incident: Readonly<Incident>, index: number, event: NotificationEvent, escalation: EscalationContacts): Recipient[] {
  let levels: EscalationLevel[];
  if (event === "opened") levels = ["oncall"];
  else if (event === "escalated") {
    const to = escalatedLevel(incident, incident.timeline[index]!);
    levels = to === undefined ? [] : [to];
  } else levels = ESCALATION_LEVELS.slice(0, ESCALATION_LEVELS.indexOf(levelAt(incident, index)) + 1);
  const seen = new Set<string>();
  const out: Recipient[] = [];
  for (const level of levels) {
    const contact = escalation[level];
    if (seen.has(contact.channel)) continue;
    seen.add(contact.channel);
    out.push({ level, contact });
  }
  return out;
}

/** The pending outbox entry that reports entry `index` to one recipient. */
export function buildNotification(incident: Readonly<Incident>, index: number, event: NotificationEvent, recipient: Recipient, now: Date): NotificationItem {
  const entry = incident.timeline[index]!;
  const id = notificationId(incident.id, event, entry.id, recipient.contact.channel);
  // The opening entry carries no evidence itself: the finding that opened the incident does.
  const evidence = entry.evidence ?? (event === "opened" ? incident.timeline.find((e) => e.kind === "finding" && e.evidence)?.evidence : undefined);
  return {
    id,
    kind: NOTIFICATION_KIND,
    createdAt: now.toISOString(),
    incidentId: incident.id,
    status: "pending",
    attempts: 0,
    payload: {
      channel: recipient.contact.channel,
      contact: { level: recipient.level, name: recipient.contact.name },
      event,
      entryId: entry.id,
      entryIndex: index,
      message: {
        incidentId: incident.id,
        title: incident.title,
        severity: incident.severity,
        state: entry.state,
        publicStatus: publicStatusOf(entry.state),
        escalationLevel: levelAt(incident, index),
        source: incident.source,
        affected: { layers: [...incident.affected.layers], contracts: [...incident.affected.contracts] },
        createdAt: incident.createdAt,
        slaDueAt: incident.slaDueAt,
        at: entry.at,
        text: entry.message,
        ...(entry.by !== undefined ? { by: entry.by } : {}),
        ...(evidence !== undefined
          ? { evidence: { blockNumber: evidence.blockNumber, ...(evidence.txHash !== undefined ? { txHash: evidence.txHash } : {}) } }
          : {}),
      },
    },
  };
}

function publicStatusOf(state: Incident["state"]): Incident["publicStatus"] {
  return state === "detected" ? "investigating" : state === "responding" ? "identified" : state === "contained" ? "monitoring" : "resolved";
}

/** Every notification of entry `index` (none if the entry pages nobody). */
export function notificationsForEntry(incident: Readonly<Incident>, index: number, context: PlanContext): NotificationItem[] {
  const event = eventOfEntry(incident, index);
  if (event === undefined) return [];
  return recipients(incident, index, event, context.escalation).map((r) => buildNotification(incident, index, event, r, context.now));
}

/**
 * The timeline entry a notify action reports: the newest entry of the kind
 * its reason names (the engine returns the action with the incident it just
 * changed, so the newest one is the right one).
 */
export function entryIndexForAction(incident: Readonly<Incident>, action: Extract<IncidentAction, { type: "notify" }>): number {
  const t = incident.timeline;
  switch (action.reason) {
    case "opened":
      return t.findIndex((e) => e.kind === "opened");
    case "escalated":
      return t.findLastIndex((e) => e.kind === "escalated" && escalatedLevel(incident, e) === action.level);
    case "severity-raised":
      return t.findLastIndex((e) => e.kind === "severity");
    case "recurred":
      return t.findLastIndex((e) => e.kind === "state" && e.state === "responding");
    case "cleared":
      return t.findLastIndex((e) => e.kind === "state" && e.state === "recovered");
  }
}

/**
 * The notifications of the engine's notify actions (pause actions are
 * ignored). `incidents` must hold the incidents as the actions left them.
 */
export function notificationsForActions(
  incidents: Readonly<Record<string, Readonly<Incident>>>,
  actions: readonly IncidentAction[],
  context: PlanContext,
): NotificationItem[] {
  const out: NotificationItem[] = [];
  for (const action of actions) {
    if (action.type !== "notify") continue;
    const incident = incidents[action.incidentId];
    if (incident === undefined) continue;
    const index = entryIndexForAction(incident, action);
    if (index >= 0) out.push(...notificationsForEntry(incident, index, context));
  }
  return out;
}

/**
 * The notifications of every paging entry written in the last `lookbackMs`
 * (default TIMELINE_LOOKBACK_MS). Idempotent through the ids: merge the result
 * into the outbox every tick.
 */
export function notificationsFromTimeline(
  incidents: Readonly<Record<string, Readonly<Incident>>>,
  context: PlanContext & { lookbackMs?: number; channelsSince?: Readonly<Record<string, string>> },
): NotificationItem[] {
  const since = context.now.getTime() - (context.lookbackMs ?? TIMELINE_LOOKBACK_MS);
  // Per channel: nothing written before the channel was configured.
  const channelSince = (channel: string) => {
    const at = context.channelsSince?.[channel];
    return at === undefined ? since : Math.max(since, Date.parse(at));
  };
  const out: NotificationItem[] = [];
  for (const incident of Object.values(incidents)) {
    if (Date.parse(incident.updatedAt) < since) continue;
    incident.timeline.forEach((entry, index) => {
      const written = Date.parse(entry.at);
      if (written < since) return;
      for (const item of notificationsForEntry(incident, index, context)) if (written >= channelSince(item.payload.channel)) out.push(item);
    });
  }
  return out;
}

/** The channels of the escalation contacts, each once. */
export function configuredChannels(escalation: EscalationContacts): string[] {
  return [...new Set(ESCALATION_LEVELS.map((level) => escalation[level].channel))];
}

/**
 * The catch-up of an open incident for one recipient: its current state,
 * reported once (the id is derived from the incident, the channel and when
 * the channel was first seen).
 */
export function buildCatchUp(incident: Readonly<Incident>, recipient: Recipient, channelSince: string, now: Date): NotificationItem {
  const index = incident.timeline.length - 1;
  const base = buildNotification(incident, index, "catch-up", recipient, now);
  const evidence = incident.timeline.find((e) => e.kind === "finding" && e.evidence)?.evidence;
  const { evidence: _drop, by: _by, ...message } = base.payload.message;
  return {
    ...base,
    id: notificationId(incident.id, "catch-up", `${incident.id}@${channelSince}`, recipient.contact.channel),
    payload: {
      ...base.payload,
      message: {
        ...message,
        state: incident.state,
        publicStatus: incident.publicStatus,
        escalationLevel: incident.escalationLevel,
        at: now.toISOString(),
        text:
          `Catch-up: this channel was configured while the incident was open. It is ${incident.state} (public: ${incident.publicStatus}), ` +
          `opened ${incident.createdAt}${incident.acknowledgedBy !== undefined ? `, acknowledged by ${incident.acknowledgedBy}` : ", not acknowledged"}.`,
        ...(evidence !== undefined
          ? { evidence: { blockNumber: evidence.blockNumber, ...(evidence.txHash !== undefined ? { txHash: evidence.txHash } : {}) } }
          : {}),
      },
    },
  };
}

/**
 * Records the configured channels in `draft.notify` and plans the catch-ups
 * of the new ones (see the module comment). A channel no longer configured
 * is forgotten, so configuring it again later is a new channel again. A
 * store written before channels were recorded: a channel that already has
 * notifications in the outbox is taken as known for the lookback period (as
 * before), so upgrading sends nothing new.
 */
export function subscribeChannels(
  draft: Draft,
  context: PlanContext & { lookbackMs?: number },
): { channelsSince: Record<string, string>; catchUps: NotificationItem[]; added: string[] } {
  const known = draft.notify?.channels;
  const notified = new Set<string>();
  for (const item of draft.outbox) {
    const n = asNotification(item);
    if (n !== undefined) notified.add(n.payload.channel);
  }
  const channelsSince: Record<string, string> = {};
  const added: string[] = [];
  for (const channel of configuredChannels(context.escalation)) {
    const since = known !== undefined && Object.hasOwn(known, channel) ? known[channel] : undefined;
    if (since !== undefined) channelsSince[channel] = since;
    else if (known === undefined && notified.has(channel))
      channelsSince[channel] = new Date(context.now.getTime() - (context.lookbackMs ?? TIMELINE_LOOKBACK_MS)).toISOString();
    else {
      channelsSince[channel] = context.now.toISOString();
      added.push(channel);
    }
  }
  draft.notify = { channels: channelsSince };
  if (added.length === 0) return { channelsSince, catchUps: [], added };

  // Catch-ups: open incidents a new channel would be paged about and is not
  // up to date on (it holds no notification of the latest entry that pages
  // it, e.g. one the action path enqueued just before this tick).
  const heardUpTo = new Map<string, number>();
  for (const item of draft.outbox) {
    const n = asNotification(item);
    if (n === undefined) continue;
    const key = `${n.payload.channel}\u0000${n.incidentId}`;
    heardUpTo.set(key, Math.max(heardUpTo.get(key) ?? -1, n.payload.entryIndex));
  }
  const catchUps: NotificationItem[] = [];
  for (const incident of Object.values(draft.incidents)) {
    if (!isOpen(incident) || incident.timeline.length === 0) continue;
    const last = incident.timeline.length - 1;
    for (const recipient of recipients(incident, last, "catch-up", context.escalation)) {
      const channel = recipient.contact.channel;
      if (!added.includes(channel)) continue;
      const lastPaging = incident.timeline.findLastIndex((_, i) => {
        const event = eventOfEntry(incident, i);
        return event !== undefined && recipients(incident, i, event, context.escalation).some((r) => r.contact.channel === channel);
      });
      if ((heardUpTo.get(`${channel}\u0000${incident.id}`) ?? -1) >= lastPaging) continue;
      catchUps.push(buildCatchUp(incident, recipient, channelsSince[channel]!, context.now));
    }
  }
  return { channelsSince, catchUps, added };
}

/** `outbox` with the items whose id it does not hold yet appended (in order); `added` lists them. */
export function mergeOutbox(outbox: readonly OutboxItem[], items: readonly OutboxItem[]): { outbox: OutboxItem[]; added: OutboxItem[] } {
  const ids = new Set(outbox.map((item) => item.id));
  const added: OutboxItem[] = [];
  for (const item of items) {
    if (ids.has(item.id)) continue;
    ids.add(item.id);
    added.push(item);
  }
  return { outbox: added.length === 0 ? [...outbox] : [...outbox, ...added], added };
}

/**
 * Acknowledgement stops escalation: a pending "escalated" page of an incident
 * that has since been acknowledged (or is no longer open) is not sent; it is
 * marked done with `payload.cancelled` saying why. A pending "role-paged"
 * page likewise when the incident is no longer open, or acknowledged and the
 * role was paged only for want of an acknowledgement (`pageNeedsUnacknowledged`).
 */
export function cancelMootEscalations(
  outbox: readonly OutboxItem[],
  incidents: Readonly<Record<string, Readonly<Incident>>>,
): { outbox: OutboxItem[]; cancelled: OutboxItem[] } {
  const cancelled: OutboxItem[] = [];
  const next = outbox.map((item) => {
    const n = item.status === "pending" ? asNotification(item) : undefined;
    if (n === undefined || (n.payload.event !== "escalated" && n.payload.event !== "role-paged")) return item;
    const incident = incidents[n.incidentId];
    // A role page stops at an acknowledgement only where the plan pages that role for want of one.
    const stopsAtAck = n.payload.event === "escalated" || (n.payload.contact.role !== undefined && pageNeedsUnacknowledged(n.payload.contact.role, incident?.severity ?? n.payload.message.severity));
    let why: string | undefined;
    if (stopsAtAck && incident?.acknowledgedAt !== undefined) why = `acknowledged by ${incident.acknowledgedBy ?? "someone"} at ${incident.acknowledgedAt} before delivery`;
    else if (incident !== undefined && !isOpen(incident)) why = `incident ${incident.state} before delivery`;
    if (why === undefined) return item;
    const { nextAttemptAt: _drop, ...rest } = item;
    const done: OutboxItem = { ...rest, status: "done", payload: { ...item.payload, cancelled: why } };
    cancelled.push(done);
    return done;
  });
  return { outbox: next, cancelled };
}

/** Drops delivered and cancelled notifications older than `retainMs`; dead and pending ones and other kinds stay. */
export function pruneOutbox(outbox: readonly OutboxItem[], now: Date, retainMs = OUTBOX_RETENTION_MS): OutboxItem[] {
  const before = now.getTime() - retainMs;
  return outbox.filter((item) => {
    if (item.kind !== NOTIFICATION_KIND || item.status !== "done") return true;
    const delivered = typeof item.payload.deliveredAt === "string" ? Date.parse(item.payload.deliveredAt) : Date.parse(item.createdAt);
    return delivered >= before;
  });
}

// ---------------------------------------------------------------------------
// Draft helpers: for `store.update((draft) => ...)`, so that incidents and
// their notifications are written together.

type Draft = Pick<StoreData, "incidents" | "outbox" | "notify">;

/**
 * Enqueues the notifications of `actions` (call it in the `store.update`
 * that stores the incidents the actions came with). Returns what was added.
 */
export function enqueueActions(draft: Draft, actions: readonly IncidentAction[], context: PlanContext): OutboxItem[] {
  const merged = mergeOutbox(draft.outbox, notificationsForActions(draft.incidents, actions, context));
  draft.outbox = merged.outbox;
  return merged.added;
}

/**
 * Escalates every open, unacknowledged incident past its SLA (escalateDue:
 * on-call → senior → lead) and enqueues the page to the new level's contact,
 * in one write.
 */
export function escalateAndEnqueue(draft: Draft, context: PlanContext): { escalated: Incident[]; enqueued: OutboxItem[] } {
  const { updated, actions } = escalateDue(Object.values(draft.incidents), context.now);
  for (const incident of updated) draft.incidents[incident.id] = incident;
  return { escalated: updated, enqueued: enqueueActions(draft, actions, context) };
}

/** The notification of a role page, reporting the "escalated" entry at `page.entryIndex` that records it. */
export function buildRolePage(incident: Readonly<Incident>, page: Readonly<RolePage & { entryIndex: number }>, now: Date): NotificationItem {
  const base = buildNotification(incident, page.entryIndex, "role-paged", { level: "oncall", contact: page.contact }, now);
  return { ...base, payload: { ...base.payload, contact: { role: page.slot, name: page.contact.name } } };
}

/**
 * Pages the roles due at `context.now` for every incident (pageRoles: one
 * timeline entry each) and enqueues their notifications, in one write. The
 * On-Call primary's page is recorded but not sent again when its channel is
 * the SLA escalation's on-call channel: the "opened" notification went there.
 */
export function pageRolesAndEnqueue(
  draft: Draft,
  context: PlanContext & { roles: RoleContacts },
): { paged: Array<{ incidentId: string; slot: RolePage["slot"] }>; enqueued: OutboxItem[] } {
  const paged: Array<{ incidentId: string; slot: RolePage["slot"] }> = [];
  const items: NotificationItem[] = [];
  for (const incident of Object.values(draft.incidents)) {
    const { incident: next, pages } = pageRoles(incident, context.roles, context.now);
    if (pages.length === 0) continue;
    draft.incidents[next.id] = next;
    for (const page of pages) {
      paged.push({ incidentId: next.id, slot: page.slot });
      if (page.slot === "onCall.primary" && page.contact.channel === context.escalation.oncall.channel) continue;
      items.push(buildRolePage(next, page, context.now));
    }
  }
  const merged = mergeOutbox(draft.outbox, items);
  draft.outbox = merged.outbox;
  return { paged, enqueued: merged.added };
}

/**
 * The outbox's housekeeping, every tick: record the configured channels (a
 * new one gets catch-ups of the open incidents), plan from recent timeline
 * entries (what no action reported; for each channel only what was written
 * since it was configured), cancel escalations made moot, prune old
 * delivered entries.
 */
export function reconcileOutbox(
  draft: Draft,
  context: PlanContext & { lookbackMs?: number; retainMs?: number },
): { enqueued: OutboxItem[]; cancelled: OutboxItem[] } {
  const subscribed = subscribeChannels(draft, context);
  const fromTimeline = notificationsFromTimeline(draft.incidents, { ...context, channelsSince: subscribed.channelsSince });
  // An incident a new channel hears of from the timeline scan (an entry written at this very moment) needs no catch-up.
  const planned = new Set(fromTimeline.map((n) => `${n.payload.channel}\u0000${n.incidentId}`));
  const catchUps = subscribed.catchUps.filter((n) => !planned.has(`${n.payload.channel}\u0000${n.incidentId}`));
  const merged = mergeOutbox(draft.outbox, [...fromTimeline, ...catchUps]);
  const cancel = cancelMootEscalations(merged.outbox, draft.incidents);
  draft.outbox = pruneOutbox(cancel.outbox, context.now, context.retainMs);
  return { enqueued: merged.added, cancelled: cancel.cancelled };
}

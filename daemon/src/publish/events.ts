/**
 * What changed between two publications, as Statuspage-style subscriber
 * events. Pure.
 *
 * Built from two published `Status` documents only, so an event can carry
 * nothing the page does not show (public fields, public faces, approved
 * security incidents only). Ids are derived from what the event reports
 * (the incident update, the component's new status and when it changed, the
 * maintenance update), so the same change found twice (a restart publishing
 * the same state again) has the same id and a receiver, or the outbox,
 * deduplicates it. The first publication (no previous one) reports nothing:
 * subscribers are told about changes, not the history.
 */
import { nameUuid } from "../incidents/ids.js";
import type { Component, ComponentId, ComponentStatus, PublishedIncident, PublishedMaintenance, Status } from "./schema.js";

export const SUBSCRIBER_EVENT_TYPES = [
  "incident.created",
  "incident.updated",
  "incident.resolved",
  "component.status_changed",
  "maintenance.scheduled",
  "maintenance.updated",
  "maintenance.started",
  "maintenance.completed",
] as const;
export type SubscriberEventType = (typeof SUBSCRIBER_EVENT_TYPES)[number];

export interface SubscriberEvent {
  id: string;
  type: SubscriberEventType;
  /** When the change happened, as the page shows it. */
  occurredAt: string;
  page: Status["page"];
  /** The components the event concerns (subscribers to some components get only theirs). */
  components: ComponentId[];
  incident?: PublishedIncident;
  component?: { id: ComponentId; name: string; oldStatus: ComponentStatus; newStatus: ComponentStatus };
  maintenance?: PublishedMaintenance;
}

/** The events between the previous publication and the next, oldest first. */
export function subscriberEvents(previous: Status | undefined, next: Status): SubscriberEvent[] {
  if (previous === undefined) return [];
  const events: SubscriberEvent[] = [];
  const page = next.page;

  // Incidents: new ones, new public updates, resolution.
  const before = new Map(previous.incidents.map((i) => [i.id, i]));
  for (const incident of next.incidents) {
    const old = before.get(incident.id);
    const seen = new Set(old?.updates.map((u) => u.id) ?? []);
    const fresh = incident.updates.filter((u) => !seen.has(u.id));
    if (fresh.length === 0) continue;
    const last = fresh.at(-1)!;
    const type: SubscriberEventType = old === undefined ? "incident.created" : incident.status === "resolved" && old.status !== "resolved" ? "incident.resolved" : "incident.updated";
    events.push({ id: nameUuid(`subscriber-event:${type}:${incident.id}:${last.id}`), type, occurredAt: last.at, page, components: [...incident.components], incident });
  }

  // Components whose status changed.
  const oldComponents = new Map(previous.components.map((c) => [c.id, c]));
  for (const component of next.components) {
    const old = oldComponents.get(component.id);
    if (!old || old.status === component.status) continue;
    events.push(componentEvent(page, old, component));
  }

  // Maintenances: scheduled, started, completed, other updates.
  const oldMaintenances = new Map(previous.maintenances.map((m) => [m.id, m]));
  for (const m of next.maintenances) {
    const old = oldMaintenances.get(m.id);
    const seen = new Set(old?.updates.map((u) => u.id) ?? []);
    const fresh = m.updates.filter((u) => !seen.has(u.id));
    if (fresh.length === 0) continue;
    const last = fresh.at(-1)!;
    const type: SubscriberEventType =
      old === undefined ? "maintenance.scheduled" : m.status !== old.status && m.status === "in_progress" ? "maintenance.started" : m.status !== old.status && m.status === "completed" ? "maintenance.completed" : "maintenance.updated";
    events.push({ id: nameUuid(`subscriber-event:${type}:${m.id}:${last.id}`), type, occurredAt: last.at, page, components: [...m.components], maintenance: m });
  }
  return events.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id));
}

function componentEvent(page: Status["page"], old: Component, component: Component): SubscriberEvent {
  return {
    id: nameUuid(`subscriber-event:component:${component.id}:${old.status}>${component.status}:${component.updatedAt}`),
    type: "component.status_changed",
    occurredAt: component.updatedAt,
    page,
    components: [component.id],
    component: { id: component.id, name: component.name, oldStatus: old.status, newStatus: component.status },
  };
}

/** The events a subscriber to `components` receives (all when none are named). */
export function eventsForSubscriber(events: readonly SubscriberEvent[], components?: readonly ComponentId[]): SubscriberEvent[] {
  if (!components || components.length === 0) return [...events];
  return events.filter((e) => e.components.some((c) => components.includes(c)));
}

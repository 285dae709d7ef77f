/**
 * Status → Statuspage v2 public API documents. Pure.
 *
 * What Guardian fills in where Statuspage has data Guardian does not keep:
 * - `time_zone` is "Etc/UTC" (every time Guardian publishes is UTC);
 * - component `created_at` is the earliest time the document knows for it,
 *   `showcase` true, no groups, `start_date` null;
 * - `affected_components` of an update is null (Guardian does not record
 *   per-update component transitions; Statuspage serves null too when none
 *   were set), `deliver_notifications` true, no tweets;
 * - `shortlink` is the incident's own page (absolute when the page URL is
 *   known, else relative to the site root);
 * - `incidents.json` and `scheduled-maintenances.json` hold the 50 most
 *   recent, like Statuspage; `upcoming.json` the maintenances still
 *   scheduled, `active.json` those in progress or verifying, the summary both;
 * - a maintenance's `shortlink` is its own page, its impact "maintenance";
 * - `page.url` is the configured public URL (`site.url`), "" when none is set
 *   (Statuspage always has one; links are then relative to the site root).
 */
import type { Status } from "./schema.js";
import type {
  SpComponent,
  SpComponentsDocument,
  SpIncident,
  SpIncidentsDocument,
  SpPage,
  SpScheduledMaintenance,
  SpScheduledMaintenancesDocument,
  SpStatus,
  SpStatusDocument,
  SpSummary,
} from "./statuspage-schema.js";

/** How many incidents `incidents.json` serves (Statuspage: the 50 most recent). */
export const STATUSPAGE_INCIDENT_LIMIT = 50;

export interface StatuspageDocuments {
  "api/v2/summary.json": SpSummary;
  "api/v2/status.json": SpStatusDocument;
  "api/v2/components.json": SpComponentsDocument;
  "api/v2/incidents.json": SpIncidentsDocument;
  "api/v2/incidents/unresolved.json": SpIncidentsDocument;
  "api/v2/scheduled-maintenances.json": SpScheduledMaintenancesDocument;
  "api/v2/scheduled-maintenances/upcoming.json": SpScheduledMaintenancesDocument;
  "api/v2/scheduled-maintenances/active.json": SpScheduledMaintenancesDocument;
}

/** The link to an incident's page: absolute when the page URL is known. */
export function incidentUrl(status: Pick<Status, "page">, incidentId: string): string {
  return pageUrl(status, `incidents/${encodeURIComponent(incidentId)}/`);
}

/** The link to a maintenance's page: absolute when the page URL is known. */
export function maintenanceUrl(status: Pick<Status, "page">, maintenanceId: string): string {
  return pageUrl(status, `maintenance/${encodeURIComponent(maintenanceId)}/`);
}

/** A path of the site as a link: absolute under the page URL when known, else relative to the site root. */
export function pageUrl(status: Pick<Status, "page">, path: string): string {
  return status.page.url ? new URL(path, withSlash(status.page.url)).toString() : `/${path}`;
}

function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

export function statuspagePage(status: Status): SpPage {
  return {
    id: status.page.id,
    name: status.page.name,
    url: status.page.url ?? "",
    time_zone: "Etc/UTC",
    updated_at: status.generatedAt,
  };
}

export function statuspageStatus(status: Status): SpStatus {
  return { indicator: status.overall.indicator, description: status.overall.description };
}

export function statuspageComponents(status: Status): SpComponent[] {
  return status.components.map((component, i) => ({
    id: component.id,
    name: component.name,
    status: component.status,
    created_at: earliest([component.updatedAt, ...status.incidents.filter((x) => x.components.includes(component.id)).map((x) => x.createdAt)]),
    updated_at: component.updatedAt,
    position: i + 1,
    description: component.description,
    showcase: true,
    start_date: null,
    group_id: null,
    page_id: status.page.id,
    group: false,
    only_show_if_degraded: false,
  }));
}

export function statuspageIncidents(status: Status): SpIncident[] {
  const components = statuspageComponents(status);
  return status.incidents.map((incident) => ({
    id: incident.id,
    name: incident.title,
    status: incident.status,
    created_at: incident.createdAt,
    updated_at: incident.updatedAt,
    monitoring_at: incident.updates.find((u) => u.status === "monitoring")?.at ?? null,
    resolved_at: incident.resolvedAt,
    impact: incident.impact,
    shortlink: incidentUrl(status, incident.id),
    started_at: incident.createdAt,
    page_id: status.page.id,
    incident_updates: [...incident.updates].reverse().map((update) => ({
      id: update.id,
      status: update.status,
      body: update.body,
      incident_id: incident.id,
      created_at: update.at,
      updated_at: update.at,
      display_at: update.at,
      affected_components: null,
      deliver_notifications: true,
      custom_tweet: null,
      tweet_id: null,
    })),
    components: components.filter((c) => incident.components.some((id) => id === c.id)),
  }));
}

export function statuspageMaintenances(status: Status): SpScheduledMaintenance[] {
  const components = statuspageComponents(status);
  return status.maintenances.map((m) => ({
    id: m.id,
    name: m.title,
    status: m.status,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    monitoring_at: m.updates.find((u) => u.status === "verifying")?.at ?? null,
    resolved_at: m.completedAt,
    impact: "maintenance",
    shortlink: maintenanceUrl(status, m.id),
    started_at: m.startedAt ?? m.scheduledFor,
    page_id: status.page.id,
    incident_updates: [...m.updates].reverse().map((update) => ({
      id: update.id,
      status: update.status,
      body: update.body,
      incident_id: m.id,
      created_at: update.at,
      updated_at: update.at,
      display_at: update.at,
      affected_components: null,
      deliver_notifications: true,
      custom_tweet: null,
      tweet_id: null,
    })),
    components: components.filter((c) => m.components.some((id) => id === c.id)),
    scheduled_for: m.scheduledFor,
    scheduled_until: m.scheduledUntil,
  }));
}

/** Every Statuspage document. */
export function statuspageDocuments(status: Status): StatuspageDocuments {
  const page = statuspagePage(status);
  const indicator = statuspageStatus(status);
  const components = statuspageComponents(status);
  const incidents = statuspageIncidents(status);
  const unresolved = incidents.filter((i) => i.status !== "resolved" && i.status !== "postmortem");
  const maintenances = statuspageMaintenances(status);
  const upcoming = maintenances.filter((m) => m.status === "scheduled");
  const active = maintenances.filter((m) => m.status === "in_progress" || m.status === "verifying");
  return {
    "api/v2/summary.json": { page, components, incidents: unresolved, scheduled_maintenances: [...active, ...upcoming], status: indicator },
    "api/v2/status.json": { page, status: indicator },
    "api/v2/components.json": { page, components },
    "api/v2/incidents.json": { page, incidents: incidents.slice(0, STATUSPAGE_INCIDENT_LIMIT) },
    "api/v2/incidents/unresolved.json": { page, incidents: unresolved },
    "api/v2/scheduled-maintenances.json": { page, scheduled_maintenances: maintenances.slice(0, STATUSPAGE_INCIDENT_LIMIT) },
    "api/v2/scheduled-maintenances/upcoming.json": { page, scheduled_maintenances: upcoming },
    "api/v2/scheduled-maintenances/active.json": { page, scheduled_maintenances: active },
  };
}

function earliest(times: readonly string[]): string {
  return times.reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a));
}

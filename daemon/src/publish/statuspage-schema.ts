/**
 * Zod schemas of the Statuspage v2 public API documents Guardian serves
 * (`api/v2/summary.json`, `status.json`, `components.json`, `incidents.json`,
 * `incidents/unresolved.json`, `scheduled-maintenances.json`,
 * `scheduled-maintenances/upcoming.json`, `scheduled-maintenances/active.json`), with the field names and values Statuspage
 * itself serves, so that existing status tooling reads Guardian's page.
 *
 * Strict on purpose: a field Statuspage does not serve is a bug here.
 */
import * as z from "zod";

const isoTime = z.iso.datetime({ error: "expected an ISO-8601 UTC date-time" });

export const spPageSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  url: z.string(),
  time_zone: z.string().min(1),
  updated_at: isoTime,
});

export const spStatusSchema = z.strictObject({
  indicator: z.enum(["none", "minor", "major", "critical", "maintenance"]),
  description: z.string().min(1),
});

export const spComponentStatusSchema = z.enum([
  "operational",
  "degraded_performance",
  "partial_outage",
  "major_outage",
  "under_maintenance",
]);

export const spComponentSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  status: spComponentStatusSchema,
  created_at: isoTime,
  updated_at: isoTime,
  position: z.number().int().min(1),
  description: z.string().nullable(),
  showcase: z.boolean(),
  start_date: z.iso.date().nullable(),
  group_id: z.string().nullable(),
  page_id: z.string().min(1),
  group: z.boolean(),
  only_show_if_degraded: z.boolean(),
});

export const spAffectedComponentSchema = z.strictObject({
  code: z.string().min(1),
  name: z.string().min(1),
  old_status: spComponentStatusSchema,
  new_status: spComponentStatusSchema,
});

export const spIncidentStatusSchema = z.enum(["investigating", "identified", "monitoring", "resolved", "postmortem"]);

export const spIncidentUpdateSchema = z.strictObject({
  id: z.string().min(1),
  status: spIncidentStatusSchema,
  body: z.string(),
  incident_id: z.string().min(1),
  created_at: isoTime,
  updated_at: isoTime,
  display_at: isoTime,
  affected_components: z.array(spAffectedComponentSchema).nullable(),
  deliver_notifications: z.boolean(),
  custom_tweet: z.string().nullable(),
  tweet_id: z.string().nullable(),
});

export const spIncidentSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  status: spIncidentStatusSchema,
  created_at: isoTime,
  updated_at: isoTime,
  monitoring_at: isoTime.nullable(),
  resolved_at: isoTime.nullable(),
  impact: z.enum(["none", "minor", "major", "critical", "maintenance"]),
  shortlink: z.string(),
  started_at: isoTime,
  page_id: z.string().min(1),
  /** Newest first, as Statuspage serves them. */
  incident_updates: z.array(spIncidentUpdateSchema),
  components: z.array(spComponentSchema),
});

export const spMaintenanceStatusSchema = z.enum(["scheduled", "in_progress", "verifying", "completed"]);

export const spMaintenanceUpdateSchema = spIncidentUpdateSchema.extend({ status: spMaintenanceStatusSchema });

/** A scheduled maintenance: an incident's fields, its own statuses, impact "maintenance" and the announced window. */
export const spScheduledMaintenanceSchema = spIncidentSchema.extend({
  status: spMaintenanceStatusSchema,
  incident_updates: z.array(spMaintenanceUpdateSchema),
  scheduled_for: isoTime,
  scheduled_until: isoTime,
});

export const spSummarySchema = z.strictObject({
  page: spPageSchema,
  components: z.array(spComponentSchema),
  incidents: z.array(spIncidentSchema),
  /** Upcoming and in-progress maintenances. */
  scheduled_maintenances: z.array(spScheduledMaintenanceSchema),
  status: spStatusSchema,
});

export const spStatusDocumentSchema = z.strictObject({ page: spPageSchema, status: spStatusSchema });
export const spComponentsDocumentSchema = z.strictObject({ page: spPageSchema, components: z.array(spComponentSchema) });
export const spIncidentsDocumentSchema = z.strictObject({ page: spPageSchema, incidents: z.array(spIncidentSchema) });
export const spScheduledMaintenancesDocumentSchema = z.strictObject({ page: spPageSchema, scheduled_maintenances: z.array(spScheduledMaintenanceSchema) });

export type SpPage = z.infer<typeof spPageSchema>;
export type SpStatus = z.infer<typeof spStatusSchema>;
export type SpComponent = z.infer<typeof spComponentSchema>;
export type SpIncident = z.infer<typeof spIncidentSchema>;
export type SpIncidentUpdate = z.infer<typeof spIncidentUpdateSchema>;
export type SpSummary = z.infer<typeof spSummarySchema>;
export type SpStatusDocument = z.infer<typeof spStatusDocumentSchema>;
export type SpComponentsDocument = z.infer<typeof spComponentsDocumentSchema>;
export type SpIncidentsDocument = z.infer<typeof spIncidentsDocumentSchema>;
export type SpScheduledMaintenance = z.infer<typeof spScheduledMaintenanceSchema>;
export type SpScheduledMaintenancesDocument = z.infer<typeof spScheduledMaintenancesDocumentSchema>;

/** Each Statuspage file Guardian writes (path relative to the site root) and its schema. */
export const STATUSPAGE_FILES = {
  "api/v2/summary.json": spSummarySchema,
  "api/v2/status.json": spStatusDocumentSchema,
  "api/v2/components.json": spComponentsDocumentSchema,
  "api/v2/incidents.json": spIncidentsDocumentSchema,
  "api/v2/incidents/unresolved.json": spIncidentsDocumentSchema,
  "api/v2/scheduled-maintenances.json": spScheduledMaintenancesDocumentSchema,
  "api/v2/scheduled-maintenances/upcoming.json": spScheduledMaintenancesDocumentSchema,
  "api/v2/scheduled-maintenances/active.json": spScheduledMaintenancesDocumentSchema,
} as const;

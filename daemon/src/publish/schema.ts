/**
 * The schema of Guardian's published `status.json`: the one document the
 * daemon hands to the public status site, and the only module the site
 * shares with the daemon (it imports this file directly).
 *
 * Everything in it is public. The objects are strict, so a field that is not
 * declared here (an incident's correlation key, evidence values, who acted, a
 * contact, a webhook URL, an RPC URL) makes `statusSchema.parse` fail instead
 * of leaking: the publisher parses what it builds before writing it, and the
 * site parses what it reads before rendering it.
 *
 * Self-contained on purpose (imports zod only), so that the site's bundler
 * can load it without the rest of the daemon.
 */
import * as z from "zod";

/** Bump when a reader of the previous version could not read the new one. */
export const STATUS_SCHEMA_VERSION = 1;

/** Components, in display order: the three pausable layers of the stack, then the RPC the daemon reads them through. */
export const COMPONENT_IDS = ["entryPoint", "accountFactory", "delegation", "rpc"] as const;
export type ComponentId = (typeof COMPONENT_IDS)[number];

/** Display names (the Statuspage `name` of each component). */
export const COMPONENT_NAMES: Readonly<Record<ComponentId, string>> = Object.freeze({
  entryPoint: "EntryPoint",
  accountFactory: "AccountFactory",
  delegation: "Delegation",
  rpc: "RPC",
});

/** Statuspage's component statuses, worst last but one (`under_maintenance` is planned, not an outage). */
export const COMPONENT_STATUSES = [
  "operational",
  "degraded_performance",
  "partial_outage",
  "major_outage",
  "under_maintenance",
] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

/** Statuspage's page status indicator (`maintenance`: a maintenance is in progress and nothing is worse). */
export const INDICATORS = ["none", "minor", "major", "critical", "maintenance"] as const;
export type Indicator = (typeof INDICATORS)[number];

/** Statuspage's incident impact. */
export const IMPACTS = ["none", "minor", "major", "critical"] as const;
export type Impact = (typeof IMPACTS)[number];

/** Statuspage's incident statuses (Guardian's public statuses). */
export const INCIDENT_STATUSES = ["investigating", "identified", "monitoring", "resolved"] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Statuspage's scheduled-maintenance statuses. */
export const MAINTENANCE_STATUSES = ["scheduled", "in_progress", "verifying", "completed"] as const;
export type MaintenanceStatus = (typeof MAINTENANCE_STATUSES)[number];

/** Who holds a layer's pause: the guardian Safe, the daemon's sentinel key, or someone outside Guardian. */
export const PAUSERS = ["guardian", "sentinel", "foreign"] as const;
export type Pauser = (typeof PAUSERS)[number];

/** How many daily uptime buckets each component carries (Statuspage shows 90 days). */
export const UPTIME_DAYS = 90;

const isoTime = z.iso.datetime({ error: "expected an ISO-8601 UTC date-time" });
const isoDate = z.iso.date({ error: "expected a YYYY-MM-DD date" });
const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, { error: "expected a 32-byte 0x-hex hash" });
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, { error: "expected a 0x-prefixed 20-byte address" });
const blockNumber = z.number().int().min(0);

/** The on-chain pause state of a layer and where it was read. */
export const layerEvidenceSchema = z.strictObject({
  kind: z.literal("layer"),
  /** Null until the daemon has read the layer once. */
  paused: z.boolean().nullable(),
  pausedBy: z.enum(PAUSERS).nullable(),
  /** When a sentinel pause lapses by itself; null for a guardian pause (indefinite) or when not paused. */
  pausedUntil: isoTime.nullable(),
  /** The GuardianHub's bytes32 incident reference of the pause. */
  incidentRef: hex32.nullable(),
  /** The guarded contracts of the layer (paymaster, factory, DelegationManager). */
  contracts: z.array(address),
  /** The block the state was read at; null until read once. */
  readAtBlock: blockNumber.nullable(),
  readAtHash: hex32.nullable(),
});
export type LayerEvidence = z.infer<typeof layerEvidenceSchema>;

/** The daemon's view of its RPC endpoints (counts only: endpoint names and URLs are never published). */
export const rpcEvidenceSchema = z.strictObject({
  kind: z.literal("rpc"),
  health: z.enum(["healthy", "degraded", "down"]),
  endpointsUp: z.number().int().min(0),
  endpointsTotal: z.number().int().min(0),
  /** The highest head any endpoint reported; null when none answered. */
  head: blockNumber.nullable(),
  readAtBlock: blockNumber.nullable(),
  readAtHash: hex32.nullable(),
});
export type RpcEvidence = z.infer<typeof rpcEvidenceSchema>;

export const uptimeDaySchema = z.strictObject({
  /** The UTC day. */
  date: isoDate,
  /** Share of the observed time the component was up, 0..1; null when the daemon observed nothing that day. */
  upRatio: z.number().min(0).max(1).nullable(),
});
export type UptimeDay = z.infer<typeof uptimeDaySchema>;

export const componentSchema = z.strictObject({
  id: z.enum(COMPONENT_IDS),
  name: z.string().min(1),
  /** One sentence on what the component is. */
  description: z.string(),
  status: z.enum(COMPONENT_STATUSES),
  /** Why it has this status, in a sentence ("Paused by the guardian multisig."); null when operational for no particular reason. */
  statusReason: z.string().nullable(),
  /** When the component's status last changed, as far as Guardian knows. */
  updatedAt: isoTime,
  evidence: z.discriminatedUnion("kind", [layerEvidenceSchema, rpcEvidenceSchema]),
  uptime: z.strictObject({
    /** Exactly UPTIME_DAYS buckets, oldest first, the last one today (UTC). */
    days: z.array(uptimeDaySchema).length(UPTIME_DAYS),
    /** Up time over observed time across the buckets, in percent (floored to 2 decimals); null without data. */
    percentage: z.number().min(0).max(100).nullable(),
  }),
});
export type Component = z.infer<typeof componentSchema>;

export const incidentUpdateSchema = z.strictObject({
  id: z.string().min(1),
  status: z.enum(INCIDENT_STATUSES),
  /** Plain text written by a person or the daemon: untrusted, render escaped. */
  body: z.string(),
  at: isoTime,
});
export type IncidentUpdate = z.infer<typeof incidentUpdateSchema>;

export const incidentSchema = z.strictObject({
  id: z.string().min(1),
  /** Untrusted: render escaped. */
  title: z.string().min(1),
  impact: z.enum(IMPACTS),
  status: z.enum(INCIDENT_STATUSES),
  components: z.array(z.enum(COMPONENT_IDS)),
  createdAt: isoTime,
  /** The time of its latest public update (internal activity does not move it). */
  updatedAt: isoTime,
  resolvedAt: isoTime.nullable(),
  /** Public timeline entries only, oldest first. */
  updates: z.array(incidentUpdateSchema),
});
export type PublishedIncident = z.infer<typeof incidentSchema>;

export const maintenanceUpdateSchema = z.strictObject({
  id: z.string().min(1),
  status: z.enum(MAINTENANCE_STATUSES),
  /** Plain text typed by an operator: render escaped. */
  body: z.string(),
  at: isoTime,
});
export type MaintenanceUpdate = z.infer<typeof maintenanceUpdateSchema>;

/** A scheduled maintenance window (typed by an operator with `guardian maintenance`). */
export const maintenanceSchema = z.strictObject({
  id: z.string().min(1),
  title: z.string().min(1),
  status: z.enum(MAINTENANCE_STATUSES),
  components: z.array(z.enum(COMPONENT_IDS)),
  /** The announced window. */
  scheduledFor: isoTime,
  scheduledUntil: isoTime,
  createdAt: isoTime,
  updatedAt: isoTime,
  /** When it actually started and ended; null until then. */
  startedAt: isoTime.nullable(),
  completedAt: isoTime.nullable(),
  /** Oldest first. */
  updates: z.array(maintenanceUpdateSchema),
});
export type PublishedMaintenance = z.infer<typeof maintenanceSchema>;

export const statusSchema = z.strictObject({
  schemaVersion: z.literal(STATUS_SCHEMA_VERSION),
  /** When the publisher built this document (UTC). */
  generatedAt: isoTime,
  /** How often the publisher refreshes it; readers treat data older than about 3× this as unknown. */
  expectedIntervalSeconds: z.number().int().positive(),
  page: z.strictObject({
    /** Stable page id (the Statuspage `page.id`). */
    id: z.string().min(1),
    name: z.string().min(1),
    /** Where the site is published; null when unknown (links are then relative). */
    url: z.url({ protocol: /^https?$/ }).nullable(),
  }),
  /** The chain head the daemon had processed when it built this document. */
  chain: z.strictObject({
    chainId: z.number().int().positive(),
    blockNumber,
    blockHash: hex32,
    blockTimestamp: isoTime,
  }),
  overall: z.strictObject({
    indicator: z.enum(INDICATORS),
    description: z.string().min(1),
  }),
  components: z.array(componentSchema),
  /** Newest first: every unresolved incident and the resolved ones of the history window. */
  incidents: z.array(incidentSchema),
  /** Scheduled maintenances, newest window first: upcoming, in progress and recently completed ones. */
  maintenances: z.array(maintenanceSchema).default([]),
});
export type Status = z.infer<typeof statusSchema>;

/** Parses a published document, throwing a readable error that names each wrong field. */
export function parseStatus(json: unknown, source = "status.json"): Status {
  const parsed = statusSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n");
  throw new Error(`${source} is not a valid Guardian status document:\n${problems}`);
}

/**
 * `guardian notify <id>`: the public notification of an incident, as text,
 * markdown or JSON. Pure.
 *
 * It takes a `PublicIncident` (incidents' `toPublic`), never an `Incident`:
 * internal entries, evidence, names, escalation and keys cannot reach it.
 * Statuses use the status page's words (Investigating, Identified,
 * Monitoring, Resolved); impact uses the published component statuses of the
 * severity (publish/build.ts), so the notice and the status page agree.
 *
 * Next update (a commitment to the public, by severity, while unresolved):
 *
 *     critical  every 30 minutes
 *     high      every 2 hours
 *     medium    every 24 hours
 *     low       every 72 hours
 *
 * counted from the latest public update; if that time has already passed,
 * from now. Rounded up to the minute. A resolved incident has none.
 */
import * as z from "zod";
import { COMPONENT_STATUS_OF_SEVERITY, IMPACT_OF_SEVERITY } from "../publish/build.js";
import { COMPONENT_NAMES } from "../publish/schema.js";
import { LAYERS, PUBLIC_STATUSES, SEVERITIES } from "../types.js";
import type { PublicIncident, PublicStatus, Severity } from "../types.js";
import { code, md, utcMinutes } from "./format.js";
import { untrustedText } from "../decode/untrusted-text.js";

/** Minutes between public updates, by severity. */
export const UPDATE_CADENCE_MINUTES: Readonly<Record<Severity, number>> = Object.freeze({ critical: 30, high: 120, medium: 1440, low: 4320 });

export const STATUS_LABEL: Readonly<Record<PublicStatus, string>> = Object.freeze({
  investigating: "Investigating",
  identified: "Identified",
  monitoring: "Monitoring",
  resolved: "Resolved",
});

const SEVERITY_LABEL: Readonly<Record<Severity, string>> = { critical: "Critical", high: "High", medium: "Medium", low: "Low" };
const COMPONENT_STATUS_LABEL = {
  operational: "operational",
  degraded_performance: "degraded performance",
  partial_outage: "partial outage",
  major_outage: "major outage",
  under_maintenance: "under maintenance",
} as const;

export const NOTICE_FORMATS = ["text", "markdown", "json"] as const;
export type NoticeFormat = (typeof NOTICE_FORMATS)[number];

/** The notice as data (the JSON format); strict, so nothing else can be added to it. */
export const publicNoticeSchema = z.strictObject({
  incidentId: z.string(),
  title: z.string(),
  status: z.enum(PUBLIC_STATUSES),
  statusLabel: z.string(),
  severity: z.enum(SEVERITIES),
  affected: z.strictObject({ components: z.array(z.string()), contracts: z.array(z.string()) }),
  summary: z.string(),
  impact: z.string(),
  actionsTaken: z.array(z.strictObject({ at: z.string(), status: z.enum(PUBLIC_STATUSES), statusLabel: z.string(), message: z.string() })),
  /** ISO-8601 UTC; null once resolved. */
  nextUpdateAt: z.string().nullable(),
  nextUpdate: z.string(),
  createdAt: z.string(),
  resolvedAt: z.string().optional(),
  generatedAt: z.string(),
});
export type PublicNotice = z.infer<typeof publicNoticeSchema>;

/** When the next public update is due (see the module comment), or undefined once resolved. */
export function nextUpdateAt(incident: Readonly<PublicIncident>, now: Date): Date | undefined {
  if (incident.status === "resolved") return undefined;
  const cadence = UPDATE_CADENCE_MINUTES[incident.severity] * 60_000;
  const last = incident.updates.reduce((t, u) => Math.max(t, Date.parse(u.at)), Date.parse(incident.createdAt));
  let next = last + cadence;
  if (next <= now.getTime()) next = now.getTime() + cadence;
  return new Date(Math.ceil(next / 60_000) * 60_000);
}

/**
 * When a resolved incident was resolved: `resolvedAt`, else the first public
 * update of its final run of "resolved" updates (a later post-review step
 * may have dropped `resolvedAt`).
 */
function resolvedSince(incident: Readonly<PublicIncident>): string | undefined {
  if (incident.status !== "resolved") return undefined;
  if (incident.resolvedAt !== undefined) return incident.resolvedAt;
  let since: string | undefined;
  for (const u of incident.updates) since = u.status === "resolved" ? (since ?? u.at) : undefined;
  return since;
}

/** Stored text as one line without control, bidi or zero-width characters (an operator's, or a chain's, however it got into the store). */
const clean = (text: string) => untrustedText(text, Number.POSITIVE_INFINITY);

export function buildPublicNotice(incident: Readonly<PublicIncident>, now: Date): PublicNotice {
  const components = LAYERS.filter((l) => incident.affected.layers.includes(l)).map((l) => COMPONENT_NAMES[l]);
  const next = nextUpdateAt(incident, now);
  const cadenceMin = UPDATE_CADENCE_MINUTES[incident.severity];
  const cadence = cadenceMin < 60 ? `${cadenceMin} minutes` : `${cadenceMin / 60} hours`;
  const opening = incident.updates[0]?.message ?? incident.title;
  const latest = incident.updates.at(-1);
  const sentence = (text: string) => (/[.!?]$/.test(clean(text).trim()) ? clean(text).trim() : `${clean(text).trim()}.`);
  const summary = latest !== undefined && latest !== incident.updates[0] ? `${sentence(opening)} Latest update: ${sentence(latest.message)}` : sentence(opening);
  const resolvedAt = resolvedSince(incident);
  let impact: string;
  if (incident.status === "resolved") impact = `Resolved${resolvedAt ? ` at ${utcMinutes(resolvedAt)}` : ""}; no ongoing impact.`;
  else {
    const status = COMPONENT_STATUS_LABEL[COMPONENT_STATUS_OF_SEVERITY[incident.severity]];
    impact =
      components.length > 0
        ? `${components.join(", ")}: ${status} (${SEVERITY_LABEL[incident.severity]} severity, ${IMPACT_OF_SEVERITY[incident.severity]} impact).`
        : `${SEVERITY_LABEL[incident.severity]} severity; the affected components are still being determined.`;
  }
  return publicNoticeSchema.parse({
    incidentId: incident.id,
    title: clean(incident.title),
    status: incident.status,
    statusLabel: STATUS_LABEL[incident.status],
    severity: incident.severity,
    affected: { components, contracts: incident.affected.contracts.map(clean) },
    summary,
    impact,
    actionsTaken: incident.updates.map((u) => ({ at: u.at, status: u.status, statusLabel: STATUS_LABEL[u.status], message: clean(u.message) })),
    nextUpdateAt: next?.toISOString() ?? null,
    nextUpdate: next ? `by ${utcMinutes(next.toISOString())} (every ${cadence} while ${SEVERITY_LABEL[incident.severity]})` : "none: this incident is resolved",
    createdAt: incident.createdAt,
    ...(resolvedAt !== undefined ? { resolvedAt } : {}),
    generatedAt: now.toISOString(),
  });
}

/**
 * @example
 * renderPublicNotice(toPublic(incident), { now: new Date(), format: "markdown" });
 */
export function renderPublicNotice(incident: Readonly<PublicIncident>, options: { now: Date; format: NoticeFormat }): string {
  const n = buildPublicNotice(incident, options.now);
  if (options.format === "json") return `${JSON.stringify(n, null, 2)}\n`;
  const contracts = n.affected.contracts.length > 0 ? n.affected.contracts.join(", ") : "none identified";
  const components = n.affected.components.length > 0 ? n.affected.components.join(", ") : "being determined";
  if (options.format === "markdown") {
    return [
      `# [${n.statusLabel}] ${md(n.title)}`,
      "",
      `**Status:** ${n.statusLabel} · **Severity:** ${SEVERITY_LABEL[n.severity]} · **Incident:** ${code(n.incidentId)}`,
      "",
      `**Affected components:** ${components}  `,
      `**Affected contracts:** ${n.affected.contracts.length > 0 ? n.affected.contracts.map(code).join(", ") : "none identified"}`,
      "",
      "## Summary",
      "",
      md(n.summary),
      "",
      "## Impact",
      "",
      md(n.impact),
      "",
      "## Actions taken (UTC)",
      "",
      ...n.actionsTaken.map((a) => `- ${utcMinutes(a.at)} · **${a.statusLabel}** · ${md(a.message)}`),
      "",
      "## Next update",
      "",
      n.nextUpdateAt ? `We will post the next update ${n.nextUpdate}.` : "None: this incident is resolved.",
      "",
    ].join("\n");
  }
  return [
    `[${n.statusLabel}] ${n.title}`,
    "",
    `Status:     ${n.statusLabel}`,
    `Severity:   ${SEVERITY_LABEL[n.severity]}`,
    `Incident:   ${n.incidentId}`,
    `Components: ${components}`,
    `Contracts:  ${contracts}`,
    "",
    "Summary",
    `  ${n.summary}`,
    "",
    "Impact",
    `  ${n.impact}`,
    "",
    "Actions taken (UTC)",
    ...n.actionsTaken.map((a) => `  ${utcMinutes(a.at)}  ${a.statusLabel.padEnd(13)} ${a.message}`),
    "",
    `Next update: ${n.nextUpdate}`,
    "",
  ].join("\n");
}

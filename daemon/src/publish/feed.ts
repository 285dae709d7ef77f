/**
 * Status → an Atom feed (RFC 4287) of incidents, newest first, for feed
 * readers and chat integrations. Pure.
 */
import { nameUuid } from "../incidents/ids.js";
import type { ComponentId, MaintenanceStatus, PublishedIncident, Status } from "./schema.js";
import { formatUtc } from "./build.js";

const STATUS_TEXT: Readonly<Record<PublishedIncident["status"], string>> = {
  investigating: "Investigating",
  identified: "Identified",
  monitoring: "Monitoring",
  resolved: "Resolved",
};

const MAINTENANCE_TEXT: Readonly<Record<MaintenanceStatus, string>> = {
  scheduled: "Scheduled",
  in_progress: "In progress",
  verifying: "Verifying",
  completed: "Completed",
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The feed's path beside the pages. */
export const FEED_PATH = "history.atom";

/**
 * Escapes text for XML content and attribute values, and drops the
 * characters XML 1.0 cannot carry at all (C0 controls other than tab, LF and
 * CR, lone surrogates, U+FFFE/U+FFFF): an incident title is untrusted text and
 * must not make the feed ill-formed.
 */
export function xmlEscape(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** Links in the feed: absolute when the page URL is known, else relative to the feed (which sits at the site root). */
function link(status: Status, path: string): string {
  if (!status.page.url) return path;
  const base = status.page.url.endsWith("/") ? status.page.url : `${status.page.url}/`;
  return new URL(path, base).toString();
}

/** The path of one component's feed: its incidents and maintenances only. */
export function componentFeedPath(id: ComponentId): string {
  return `feeds/${id}.atom`;
}

/**
 * The incident history as Atom, newest first, with the maintenances; with
 * `component`, only what affects that component (a feed for users of one
 * part of the stack).
 */
export function atomFeed(full: Status, options: { component?: ComponentId } = {}): string {
  const only = options.component;
  const status: Status = only
    ? { ...full, incidents: full.incidents.filter((i) => i.components.includes(only)), maintenances: full.maintenances.filter((m) => m.components.includes(only)) }
    : full;
  const selfPath = only ? componentFeedPath(only) : FEED_PATH;
  const name = only ? `${status.page.name}: ${full.components.find((c) => c.id === only)?.name ?? only}` : status.page.name;
  const times = [...status.incidents.map((i) => i.updatedAt), ...status.maintenances.map((m) => m.updatedAt)];
  const updated = times.reduce((acc, t) => (Date.parse(t) > Date.parse(acc) ? t : acc), times[0] ?? status.generatedAt);
  const lines = [
    `<?xml version="1.0" encoding="utf-8"?>`,
    `<feed xmlns="http://www.w3.org/2005/Atom">`,
    `  <id>urn:uuid:${nameUuid(only ? `feed:${status.page.id}:${only}` : `feed:${status.page.id}`)}</id>`,
    `  <title>${xmlEscape(`${name}: incident history`)}</title>`,
    `  <updated>${updated}</updated>`,
    `  <author><name>${xmlEscape(status.page.name)}</name></author>`,
    `  <generator>Guardian</generator>`,
    ...(status.page.url ? [`  <link rel="self" type="application/atom+xml" href="${xmlEscape(link(status, selfPath))}"/>`] : []),
    `  <link rel="alternate" type="text/html" href="${xmlEscape(link(status, "history/"))}"/>`,
  ];
  for (const incident of status.incidents) {
    const id = UUID.test(incident.id) ? incident.id.toLowerCase() : nameUuid(`incident:${incident.id}`);
    const body = [...incident.updates]
      .reverse()
      .map((u) => `${formatUtc(u.at)} · ${STATUS_TEXT[u.status]}: ${u.body}`)
      .join("\n\n");
    lines.push(
      `  <entry>`,
      `    <id>urn:uuid:${id}</id>`,
      `    <title>${xmlEscape(`[${STATUS_TEXT[incident.status]}] ${incident.title}`)}</title>`,
      `    <published>${incident.createdAt}</published>`,
      `    <updated>${incident.updatedAt}</updated>`,
      `    <link rel="alternate" type="text/html" href="${xmlEscape(link(status, `incidents/${encodeURIComponent(incident.id)}/`))}"/>`,
      `    <category term="${incident.impact}" label="${xmlEscape(`Impact: ${incident.impact}`)}"/>`,
      `    <content type="text">${xmlEscape(body || incident.title)}</content>`,
      `  </entry>`,
    );
  }
  for (const m of status.maintenances) {
    const body = [`Window: ${formatUtc(m.scheduledFor)} to ${formatUtc(m.scheduledUntil)}`, ...[...m.updates].reverse().map((u) => `${formatUtc(u.at)} · ${MAINTENANCE_TEXT[u.status]}: ${u.body}`)].join("\n\n");
    lines.push(
      `  <entry>`,
      `    <id>urn:uuid:${UUID.test(m.id) ? m.id.toLowerCase() : nameUuid(`maintenance:${m.id}`)}</id>`,
      `    <title>${xmlEscape(`[Maintenance: ${MAINTENANCE_TEXT[m.status]}] ${m.title}`)}</title>`,
      `    <published>${m.createdAt}</published>`,
      `    <updated>${m.updatedAt}</updated>`,
      `    <link rel="alternate" type="text/html" href="${xmlEscape(link(status, `maintenance/${encodeURIComponent(m.id)}/`))}"/>`,
      `    <category term="maintenance" label="Scheduled maintenance"/>`,
      `    <content type="text">${xmlEscape(body)}</content>`,
      `  </entry>`,
    );
  }
  lines.push(`</feed>`, ``);
  return lines.join("\n");
}

/**
 * What each channel receives: pure functions from a notification to a JSON
 * body. Formats, as their providers document them:
 *
 * - generic: Guardian's own JSON (below), signed (sign.ts).
 * - Slack incoming webhook: `{ text, blocks }`; `text` is the notification
 *   fallback; Block Kit limits: header plain_text ≤ 150 characters, section
 *   text ≤ 3000, section fields ≤ 10 of ≤ 2000 each. `&`, `<`, `>` are escaped
 *   in mrkdwn (so untrusted titles cannot ping `<!channel>` or forge links).
 * - Discord webhook: `{ content, embeds, allowed_mentions }`; content ≤ 2000,
 *   embed title ≤ 256, description ≤ 4096, ≤ 25 fields (name ≤ 256, value ≤
 *   1024), footer ≤ 2048, 6000 in all; `allowed_mentions: { parse: [] }` so a
 *   title holding "@everyone" pings nobody.
 * - PagerDuty Events API v2: `{ routing_key, event_action, dedup_key, payload }`
 *   with dedup_key = incident id (one PagerDuty alert per incident), event_action
 *   trigger / acknowledge / resolve, payload.summary ≤ 1024, severity
 *   critical / error / warning / info.
 *
 * Titles and messages may quote attacker-written chain text (a revert
 * reason in a detector's summary): every channel gets them without control,
 * bidi or zero-width characters (`cleaned`), and the chat channels, which
 * render markup and link URLs by themselves, get them escaped and with URLs
 * defanged (`hxxps://evil[.]example`): no live link, mention or markup.
 */
import { defangUrls, untrustedText } from "../../decode/untrusted-text.js";
import { ROLE_SLOT_NAME } from "../../incidents/plan-escalation.js";
import type { Severity } from "../../types.js";
import type { NotificationEvent, NotificationItem, NotificationPayload } from "./types.js";

const clean = (text: string) => untrustedText(text, Number.POSITIVE_INFINITY);

/** The notification with every string of its message and contact as one line without control, bidi or zero-width characters. */
export function cleaned<N extends Pick<NotificationItem, "payload">>(n: N): N {
  const p = n.payload;
  const m = p.message;
  const message: NotificationPayload["message"] = {
    ...m,
    incidentId: clean(m.incidentId),
    title: clean(m.title),
    source: clean(m.source),
    affected: { layers: m.affected.layers, contracts: m.affected.contracts.map(clean) },
    text: clean(m.text),
    ...(m.by !== undefined ? { by: clean(m.by) } : {}),
    ...(m.evidence ? { evidence: { blockNumber: m.evidence.blockNumber, ...(m.evidence.txHash !== undefined ? { txHash: clean(m.evidence.txHash) } : {}) } } : {}),
  };
  return { ...n, payload: { ...p, contact: { ...p.contact, name: clean(p.contact.name) }, message } };
}

const LEVEL_NAME = { oncall: "on-call", senior: "senior", lead: "lead" } as const;

/** A one-line headline: severity, what happened, the title. */
export function headline(n: Pick<NotificationItem, "payload">): string {
  const { event, message: m, contact } = cleaned(n).payload;
  const sev = `[${m.severity.toUpperCase()}]`;
  const what: Record<NotificationEvent, string> = {
    opened: "Incident opened",
    escalated: `Escalated to ${LEVEL_NAME[contact.level ?? "oncall"]} (${contact.name}), unacknowledged past its SLA`,
    "severity-raised": `Severity raised to ${m.severity}`,
    recurred: "Incident recurred",
    responding: "Responding",
    acknowledged: `Acknowledged${m.by !== undefined ? ` by ${m.by}` : ""}`,
    contained: "Contained",
    resolved: "Resolved",
    "catch-up": `Catch-up (new channel): open incident, ${m.state}`,
    "role-paged": `Paging ${contact.role !== undefined ? ROLE_SLOT_NAME[contact.role] : "a role"} (${contact.name}) per the response plan`,
  };
  return `${sev} ${what[event]}: ${m.title}`;
}

function utc(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z").replace(/Z$/, " UTC");
}

/** Key facts as label/value pairs, shared by every rich channel. */
export function facts(n: Pick<NotificationItem, "payload">): Array<[string, string]> {
  n = cleaned(n);
  const m = n.payload.message;
  const rows: Array<[string, string]> = [
    ["Severity", m.severity],
    ["State", `${m.state} (public: ${m.publicStatus})`],
    ["Escalation", `${LEVEL_NAME[m.escalationLevel]}; paging ${n.payload.contact.name}`],
    ["SLA due", utc(m.slaDueAt)],
    ["Layers", m.affected.layers.join(", ") || "-"],
    ["Contracts", m.affected.contracts.join(", ") || "-"],
    ["Source", m.source],
  ];
  if (m.evidence) rows.push(["Evidence", `block ${m.evidence.blockNumber}${m.evidence.txHash ? `, tx ${m.evidence.txHash}` : ""}`]);
  return rows;
}

/** Plain text (the "log" channel; also the Slack fallback). */
export function renderText(n: Pick<NotificationItem, "payload">): string {
  n = cleaned(n);
  const m = n.payload.message;
  return [
    headline(n),
    m.text !== m.title ? m.text : undefined,
    ...facts(n).map(([k, v]) => `${k}: ${v}`),
    `Incident ${m.incidentId} at ${utc(m.at)}`,
  ]
    .filter((line): line is string => line !== undefined)
    .join("\n");
}

// ---------------------------------------------------------------------------
// generic

/** Guardian's JSON webhook body (documented in sign.ts for receivers). */
export function genericBody(n: NotificationItem): Record<string, unknown> {
  n = cleaned(n);
  const m = n.payload.message;
  return {
    id: n.id,
    type: `incident.${n.payload.event}`,
    occurredAt: m.at,
    headline: headline(n),
    contact: n.payload.contact,
    incident: {
      id: m.incidentId,
      title: m.title,
      severity: m.severity,
      state: m.state,
      publicStatus: m.publicStatus,
      escalationLevel: m.escalationLevel,
      source: m.source,
      affected: m.affected,
      createdAt: m.createdAt,
      slaDueAt: m.slaDueAt,
    },
    entry: { id: n.payload.entryId, message: m.text, ...(m.by !== undefined ? { by: m.by } : {}), ...(m.evidence ? { evidence: m.evidence } : {}) },
  };
}

// ---------------------------------------------------------------------------
// Slack

export const SLACK_LIMITS = { header: 150, sectionText: 3000, fieldText: 2000, fields: 10, text: 3000 } as const;

/** Escapes Slack mrkdwn control characters (&, <, >) and defangs URLs (Slack links bare URLs and host names by itself). */
export function slackEscape(text: string): string {
  return defangUrls(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function slackBody(n: NotificationItem): { text: string; blocks: unknown[] } {
  n = cleaned(n);
  const m = n.payload.message;
  const blocks: unknown[] = [
    { type: "header", text: { type: "plain_text", text: truncate(defangUrls(headline(n)), SLACK_LIMITS.header), emoji: false } },
    // The message may quote chain text: plain_text, so no markup, mention or link is parsed in it.
    { type: "section", text: { type: "plain_text", text: truncate(defangUrls(m.text || m.title), SLACK_LIMITS.sectionText), emoji: false } },
    {
      type: "section",
      fields: facts(n)
        .slice(0, SLACK_LIMITS.fields)
        .map(([k, v]) => ({ type: "mrkdwn", text: truncate(`*${k}*\n${slackEscape(v)}`, SLACK_LIMITS.fieldText) })),
    },
    { type: "context", elements: [{ type: "mrkdwn", text: slackEscape(`Guardian · incident ${m.incidentId} · ${utc(m.at)}`) }] },
  ];
  return { text: truncate(slackEscape(headline(n)), SLACK_LIMITS.text), blocks };
}

// ---------------------------------------------------------------------------
// Discord

export const DISCORD_LIMITS = { content: 2000, title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024, footer: 2048, total: 6000 } as const;

/** Embed colours (0xRRGGBB as integers): by severity; green once resolved. */
export const DISCORD_COLORS: Readonly<Record<Severity | "resolved", number>> = Object.freeze({
  critical: 0xd32f2f,
  high: 0xf57c00,
  medium: 0xfbc02d,
  low: 0x1976d2,
  resolved: 0x388e3c,
});

/** Escapes Discord markdown so untrusted text renders as typed, and defangs URLs (Discord links them by itself). */
export function discordEscape(text: string): string {
  return defangUrls(text)
    .replace(/([\\*_~`|<>[\]])/g, "\\$1")
    .replace(/^([#-])/gm, "\\$1");
}

export function discordBody(n: NotificationItem): Record<string, unknown> {
  n = cleaned(n);
  const m = n.payload.message;
  const fields = facts(n)
    .slice(0, DISCORD_LIMITS.fields)
    .map(([name, value]) => ({ name: truncate(name, DISCORD_LIMITS.fieldName), value: truncate(discordEscape(value), DISCORD_LIMITS.fieldValue), inline: value.length <= 40 }));
  const embed = {
    title: truncate(discordEscape(headline(n)), DISCORD_LIMITS.title),
    description: truncate(discordEscape(m.text || m.title), DISCORD_LIMITS.description),
    color: n.payload.event === "resolved" ? DISCORD_COLORS.resolved : DISCORD_COLORS[m.severity],
    timestamp: m.at,
    fields,
    footer: { text: `Guardian · incident ${m.incidentId}` },
  };
  return {
    username: "Guardian",
    content: truncate(discordEscape(headline(n)), DISCORD_LIMITS.content),
    embeds: [embed],
    allowed_mentions: { parse: [] },
  };
}

// ---------------------------------------------------------------------------
// PagerDuty

export const PAGERDUTY_SUMMARY_LIMIT = 1024;

/** Guardian severity → PagerDuty severity. */
export const PAGERDUTY_SEVERITY: Readonly<Record<Severity, "critical" | "error" | "warning" | "info">> = Object.freeze({
  critical: "critical",
  high: "error",
  medium: "warning",
  low: "info",
});

/** acknowledged → acknowledge, resolved → resolve, every other event (re-)triggers the incident's alert. */
export function pagerDutyAction(event: NotificationEvent): "trigger" | "acknowledge" | "resolve" {
  return event === "acknowledged" ? "acknowledge" : event === "resolved" ? "resolve" : "trigger";
}

/** The Events API v2 body. `routingKey` is passed in at send time only (never stored). */
export function pagerDutyBody(n: NotificationItem, routingKey: string): Record<string, unknown> {
  n = cleaned(n);
  const m = n.payload.message;
  const action = pagerDutyAction(n.payload.event);
  const base = { routing_key: routingKey, event_action: action, dedup_key: m.incidentId };
  if (action !== "trigger") return base;
  return {
    ...base,
    client: "Guardian",
    payload: {
      summary: truncate(headline(n), PAGERDUTY_SUMMARY_LIMIT),
      source: m.affected.contracts[0] ?? "guardian",
      severity: PAGERDUTY_SEVERITY[m.severity],
      timestamp: m.at,
      ...(m.affected.layers.length > 0 ? { component: m.affected.layers.join(",") } : {}),
      group: "guardian",
      class: m.source,
      custom_details: {
        incident_id: m.incidentId,
        event: n.payload.event,
        message: m.text,
        state: m.state,
        public_status: m.publicStatus,
        escalation_level: m.escalationLevel,
        contact: n.payload.contact.name,
        sla_due_at: m.slaDueAt,
        layers: m.affected.layers.join(", "),
        contracts: m.affected.contracts.join(", "),
        ...(m.evidence ? { evidence_block: m.evidence.blockNumber, ...(m.evidence.txHash ? { evidence_tx: m.evidence.txHash } : {}) } : {}),
      },
    },
  };
}

/** Cuts `text` to `max` characters (code points), ending with "…" when cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

/**
 * Human output of incidents: plain text, times in UTC. Every string from the
 * store is shown through `shown` (one line, no control, bidi or zero-width
 * character): titles, messages and evidence may hold attacker-written chain
 * text, and an older store may hold it raw. cli.ts applies `terminalSafe` to
 * everything printed as well.
 */
import { untrustedText } from "../decode/untrusted-text.js";
import { escalationDueAt } from "../incidents/index.js";
import type { Evidence, Incident } from "../types.js";

/** A stored string as one clean line (nothing cut). */
export function shown(value: unknown): string {
  return untrustedText(String(value), Number.POSITIVE_INFINITY);
}

/** 2025-01-02T03:04:05.678Z → 2025-01-02 03:04:05Z */
export function utc(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? "").length)));
  return rows.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!))).join("  ").trimEnd()).join("\n") + "\n";
}

export function formatIncidentList(incidents: readonly Readonly<Incident>[]): string {
  if (incidents.length === 0) return "no incidents\n";
  const rows = [["ID", "SEVERITY", "STATE", "PUBLIC", "LEVEL", "ACK", "CREATED (UTC)", "TITLE"]];
  for (const i of incidents)
    rows.push([i.id.slice(0, 8), i.severity, i.state, i.publicStatus, i.escalationLevel, i.acknowledgedAt ? "yes" : "no", utc(i.createdAt), shown(i.title)]);
  return table(rows);
}

function formatEvidence(e: Evidence): string {
  const parts = [`block ${e.blockNumber} ${shown(e.blockHash)}`];
  if (e.txHash) parts.push(`tx ${shown(e.txHash)}`);
  if (e.logIndex !== undefined) parts.push(`log ${e.logIndex}`);
  const values = Object.entries(e.values).map(([k, v]) => `${shown(k)}=${shown(v)}`);
  if (values.length > 0) parts.push(values.join(" "));
  return parts.join("; ");
}

export function formatIncident(incident: Readonly<Incident>, now: Date): string {
  const slaMinutes = Math.round((Date.parse(incident.slaDueAt) - Date.parse(incident.createdAt)) / 60_000);
  const overdue = incident.acknowledgedAt === undefined && now.getTime() > Date.parse(incident.slaDueAt) ? " (passed unacknowledged)" : "";
  const due = escalationDueAt(incident);
  const ack = incident.acknowledgedAt
    ? `acknowledged ${utc(incident.acknowledgedAt)} by ${shown(incident.acknowledgedBy ?? "?")}`
    : `not acknowledged (senior at ${utc(due.senior)}, lead at ${utc(due.lead)})`;
  const lines = [
    `Incident    ${incident.id}`,
    `Title       ${shown(incident.title)}`,
    `Severity    ${incident.severity}; SLA ${slaMinutes} min, due ${utc(incident.slaDueAt)}${overdue}`,
    `State       ${incident.state} (public: ${incident.publicStatus})${incident.resolvedAt ? `; resolved ${utc(incident.resolvedAt)}` : ""}`,
    `Escalation  ${incident.escalationLevel}; ${ack}`,
    `Affected    layers: ${incident.affected.layers.join(", ") || "-"}; contracts: ${shown(incident.affected.contracts.join(", ")) || "-"}`,
    `Source      ${shown(incident.source)}; key ${shown(incident.key)}${incident.occurrence > 1 ? ` (occurrence ${incident.occurrence})` : ""}; findings ${incident.findingCount}`,
    `Created     ${utc(incident.createdAt)}; updated ${utc(incident.updatedAt)}`,
    "",
    "Timeline (UTC)",
  ];
  const rows: string[][] = [];
  for (const entry of incident.timeline) {
    rows.push([`  ${utc(entry.at)}`, entry.kind, entry.public ? "public" : "internal", entry.state, shown(entry.message) + (entry.by ? ` (${shown(entry.by)})` : "")]);
  }
  let text = lines.join("\n") + "\n";
  if (rows.length > 0) {
    const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
    incident.timeline.forEach((entry, i) => {
      const r = rows[i]!;
      text += `${r.slice(0, 4).map((cell, c) => cell.padEnd(widths[c]!)).join("  ")}  ${r[4]}\n`;
      if (entry.evidence) text += `${" ".repeat(widths[0]! + 2)}evidence: ${formatEvidence(entry.evidence)}\n`;
    });
  }
  return text;
}

/** Human output of incidents: plain text, times in UTC. */
import { escalationDueAt } from "../incidents/index.js";
import type { Evidence, Incident } from "../types.js";

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
    rows.push([i.id.slice(0, 8), i.severity, i.state, i.publicStatus, i.escalationLevel, i.acknowledgedAt ? "yes" : "no", utc(i.createdAt), i.title]);
  return table(rows);
}

function formatEvidence(e: Evidence): string {
  const parts = [`block ${e.blockNumber} ${e.blockHash}`];
  if (e.txHash) parts.push(`tx ${e.txHash}`);
  if (e.logIndex !== undefined) parts.push(`log ${e.logIndex}`);
  const values = Object.entries(e.values).map(([k, v]) => `${k}=${String(v)}`);
  if (values.length > 0) parts.push(values.join(" "));
  return parts.join("; ");
}

export function formatIncident(incident: Readonly<Incident>, now: Date): string {
  const slaMinutes = Math.round((Date.parse(incident.slaDueAt) - Date.parse(incident.createdAt)) / 60_000);
  const overdue = incident.acknowledgedAt === undefined && now.getTime() > Date.parse(incident.slaDueAt) ? " (passed unacknowledged)" : "";
  const due = escalationDueAt(incident);
  const ack = incident.acknowledgedAt
    ? `acknowledged ${utc(incident.acknowledgedAt)} by ${incident.acknowledgedBy ?? "?"}`
    : `not acknowledged (senior at ${utc(due.senior)}, lead at ${utc(due.lead)})`;
  const lines = [
    `Incident    ${incident.id}`,
    `Title       ${incident.title}`,
    `Severity    ${incident.severity}; SLA ${slaMinutes} min, due ${utc(incident.slaDueAt)}${overdue}`,
    `State       ${incident.state} (public: ${incident.publicStatus})${incident.resolvedAt ? `; resolved ${utc(incident.resolvedAt)}` : ""}`,
    `Escalation  ${incident.escalationLevel}; ${ack}`,
    `Affected    layers: ${incident.affected.layers.join(", ") || "-"}; contracts: ${incident.affected.contracts.join(", ") || "-"}`,
    `Source      ${incident.source}; key ${incident.key}${incident.occurrence > 1 ? ` (occurrence ${incident.occurrence})` : ""}; findings ${incident.findingCount}`,
    `Created     ${utc(incident.createdAt)}; updated ${utc(incident.updatedAt)}`,
    "",
    "Timeline (UTC)",
  ];
  const rows: string[][] = [];
  for (const entry of incident.timeline) {
    rows.push([`  ${utc(entry.at)}`, entry.kind, entry.public ? "public" : "internal", entry.state, entry.message + (entry.by ? ` (${entry.by})` : "")]);
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

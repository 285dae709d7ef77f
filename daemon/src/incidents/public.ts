import { untrustedText } from "../decode/untrusted-text.js";
import type { Incident, PublicIncident } from "../types.js";
import { PUBLIC_STATUS_OF } from "./lifecycle.js";

/**
 * The incident as the public may see it: title, severity, status, affected
 * components and public updates. Never the key, source, evidence, who acted,
 * escalation or acknowledgement, nor any entry not marked public. Title and
 * messages come out as one line without control, bidi or zero-width
 * characters, however they got into the store.
 */
export function toPublic(incident: Readonly<Incident>): PublicIncident {
  return {
    id: incident.id,
    title: publicText(incident.title),
    severity: incident.severity,
    status: PUBLIC_STATUS_OF[incident.state],
    affected: { layers: [...incident.affected.layers], contracts: [...incident.affected.contracts] },
    createdAt: incident.createdAt,
    updatedAt: incident.updatedAt,
    ...(incident.resolvedAt !== undefined ? { resolvedAt: incident.resolvedAt } : {}),
    updates: incident.timeline
      .filter((entry) => entry.public)
      .map((entry) => ({ id: entry.id, at: entry.at, status: PUBLIC_STATUS_OF[entry.state], message: publicText(entry.message) })),
  };
}

const publicText = (text: string) => untrustedText(text, Number.POSITIVE_INFINITY);

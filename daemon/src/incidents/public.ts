import { untrustedLines, untrustedText } from "../decode/untrusted-text.js";
import type { Incident, PublicIncident } from "../types.js";
import { PUBLIC_STATUS_OF } from "./lifecycle.js";

/**
 * The incident as the public may see it: title, severity, status, affected
 * components and public updates. Never the key, source, evidence, who acted,
 * escalation or acknowledgement, nor any entry not marked public. The title
 * comes out as one line, messages keep their line breaks (as `\n`); neither
 * holds a control, bidi or zero-width character, however it got into the
 * store.
 */
export function toPublic(incident: Readonly<Incident>): PublicIncident {
  return {
    id: incident.id,
    title: untrustedText(incident.title, Number.POSITIVE_INFINITY),
    severity: incident.severity,
    status: PUBLIC_STATUS_OF[incident.state],
    affected: { layers: [...incident.affected.layers], contracts: [...incident.affected.contracts] },
    createdAt: incident.createdAt,
    updatedAt: incident.updatedAt,
    ...(incident.resolvedAt !== undefined ? { resolvedAt: incident.resolvedAt } : {}),
    updates: incident.timeline
      .filter((entry) => entry.public)
      .map((entry) => ({ id: entry.id, at: entry.at, status: PUBLIC_STATUS_OF[entry.state], message: untrustedLines(entry.message, Number.POSITIVE_INFINITY) })),
  };
}


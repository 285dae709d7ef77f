import { untrustedLines, untrustedText } from "../decode/untrusted-text.js";
import type { Incident, PublicIncident } from "../types.js";
import { PUBLIC_STATUS_OF } from "./lifecycle.js";
import { publicFace } from "./public-face.js";

/**
 * The incident as the public may see it: its public face (title and opening
 * from the symptom's template, see public-face.ts), severity, status,
 * affected components and public updates. Never the detector's title, the
 * key, source, evidence, who acted, escalation or acknowledgement, nor any
 * entry not marked public. The title comes out as one line, messages keep
 * their line breaks (as `\n`); neither holds a control, bidi or zero-width
 * character, however it got into the store.
 *
 * Whether it may be published at all is `isDisclosed` (a security incident
 * needs an approved disclosure).
 */
export function toPublic(incident: Readonly<Incident>): PublicIncident {
  const face = publicFace(incident);
  return {
    id: incident.id,
    title: untrustedText(face.title, Number.POSITIVE_INFINITY),
    severity: incident.severity,
    status: PUBLIC_STATUS_OF[incident.state],
    affected: { layers: [...incident.affected.layers], contracts: [...incident.affected.contracts] },
    createdAt: incident.createdAt,
    updatedAt: incident.updatedAt,
    ...(incident.resolvedAt !== undefined ? { resolvedAt: incident.resolvedAt } : {}),
    updates: incident.timeline
      .filter((entry) => entry.public)
      .map((entry) => ({
        id: entry.id,
        at: entry.at,
        status: PUBLIC_STATUS_OF[entry.state],
        message: untrustedLines(entry.kind === "opened" ? face.opening : entry.message, Number.POSITIVE_INFINITY),
      })),
  };
}


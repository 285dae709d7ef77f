import type { Incident } from "../types.js";
import { AmbiguousIncidentIdError, IncidentNotFoundError } from "./errors.js";

/**
 * The incident whose id is `idOrPrefix`, or whose id starts with it (like git
 * abbreviations; at least 4 characters).
 * @throws IncidentNotFoundError | AmbiguousIncidentIdError
 */
export function findIncident(incidents: Readonly<Record<string, Readonly<Incident>>>, idOrPrefix: string): Readonly<Incident> {
  const wanted = idOrPrefix.toLowerCase();
  // Own keys only: "__proto__", "constructor" or "toString" are never incidents.
  if (Object.hasOwn(incidents, wanted)) return incidents[wanted]!;
  if (wanted.length >= 4) {
    const matches = Object.keys(incidents).filter((id) => id.startsWith(wanted));
    if (matches.length === 1) return incidents[matches[0]!]!;
    if (matches.length > 1) throw new AmbiguousIncidentIdError(idOrPrefix, matches.sort());
  }
  throw new IncidentNotFoundError(idOrPrefix);
}

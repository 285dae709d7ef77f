/**
 * Deterministic ids. Name-based UUIDs use SHA-256 and are laid out as UUIDv8
 * (RFC 9562 §5.8 and its Appendix B.2 example: the first 128 bits of
 * SHA-256(namespace ‖ name), version 8, variant 10): the same name gives the
 * same UUID on every host and after every restart, so a re-processed block
 * or a second daemon never opens a second incident.
 */
import { createHash } from "node:crypto";

/** Guardian's namespace (a fixed random UUID), so that our ids never collide with other name-based UUIDs. */
const NAMESPACE = "3f6b8f4e-2c1d-4a57-9e0b-6d2a7c9f1e85";

/** UUIDv8 from SHA-256 of the namespace and `name`. */
export function nameUuid(name: string): string {
  const hash = createHash("sha256").update(NAMESPACE).update("\u0000").update(name, "utf8").digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The id of the `occurrence`-th incident of a correlation key (1 = the first;
 * a key that recurs after its incident was closed opens occurrence 2, ...).
 */
export function incidentIdFromKey(key: string, occurrence = 1): string {
  return nameUuid(occurrence === 1 ? `incident:${key}` : `incident:${key}#${occurrence}`);
}

/** The correlation key of a manually triggered incident (its id is random). */
export function manualIncidentKey(id: string): string {
  return `manual:${id}`;
}

/** A timeline entry's id from its incident and what it records. */
export function timelineEntryId(incidentId: string, ...parts: Array<string | number>): string {
  return nameUuid(`timeline:${incidentId}:${parts.join(":")}`);
}

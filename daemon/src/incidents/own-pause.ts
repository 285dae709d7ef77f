/**
 * Guardian's own pauses belong to the incident they were made for. Pure.
 *
 * The circuit breaker calls `sentinelPause(layers, ref)` with
 * `ref = keccak256(utf8(incident id))`, and `guardian safe propose` puts the
 * same reference in the guardian's pause, confirmation and unpause when given
 * `--incident <id>`. The hub repeats the reference in its events, so the
 * pause-changed detector's finding for such an event names its incident:
 * it becomes a timeline entry of that incident (public, in words for users;
 * the evidence stays private), not an incident of its own. A user sees one
 * incident whose components are paused, instead of the incident plus one
 * "layer paused by the sentinel" incident per layer.
 *
 * Everything else stays an incident: a pause with no reference or a
 * reference to no known incident (a sentinel key used by someone else, a
 * guardian pause for a reason Guardian does not know), and any pause made
 * around the hub (pause-changed's "foreign" findings).
 */
import { keccak256, toHex, type Hex } from "viem";
import type { Finding, Incident, Layer } from "../types.js";
import { timelineEntryId } from "./ids.js";
import { addTimelineEntry } from "./lifecycle.js";

/** The hub's bytes32 incident reference of an incident id (the circuit breaker's and `safe propose --incident`'s). */
export function pauseRefOf(incidentId: string): Hex {
  return keccak256(toHex(incidentId));
}

/** What the public reads for each layer. */
export const LAYER_PUBLIC_NAME: Readonly<Record<Layer, string>> = Object.freeze({
  entryPoint: "Gas sponsorship",
  accountFactory: "Creating new smart accounts",
  delegation: "Delegation redemption",
});

const ZERO_REF = /^0x0{64}$/i;
const HUB_LAYER_KEY = /^pause-changed:layer:/;

/** The kind of hub event a pause-changed finding records, read from its evidence values. */
type HubEventKind = "paused" | "confirmed" | "extended" | "unpaused" | "released";

function hubEventKind(finding: Readonly<Finding>): HubEventKind | undefined {
  const values = finding.evidence?.values ?? {};
  if (finding.recovered === true) return values.expired === true ? "released" : "unpaused";
  if ("bySentinel" in values) return "paused";
  if ("until" in values) return "extended";
  return "confirmed";
}

/**
 * The incident a pause-changed finding records Guardian's own pause for: a
 * hub event whose incident reference is `pauseRefOf(id)` of a stored
 * incident; undefined for everything else.
 */
export function ownPauseIncident(
  incidents: Iterable<Readonly<Incident>>,
  finding: Readonly<Finding>,
): Readonly<Incident> | undefined {
  if (finding.detector !== "pause-changed" || !HUB_LAYER_KEY.test(finding.key)) return undefined;
  const ref = finding.evidence?.values?.incident;
  if (typeof ref !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(ref) || ZERO_REF.test(ref)) return undefined;
  const wanted = ref.toLowerCase();
  let match: Readonly<Incident> | undefined;
  for (const incident of incidents) {
    if (pauseRefOf(incident.id) !== wanted) continue;
    if (match === undefined || incident.occurrence > match.occurrence) match = incident;
  }
  return match;
}

/** The public sentence for a pause event of Guardian's on `layers`. */
export function ownPauseMessage(finding: Readonly<Finding>): string {
  const names = finding.layers.map((l, i) => (i === 0 ? LAYER_PUBLIC_NAME[l] : lower(LAYER_PUBLIC_NAME[l])));
  const what = names.length ? joinWords(names) : "A component";
  const plural = names.length > 1;
  const values = finding.evidence?.values ?? {};
  switch (hubEventKind(finding)) {
    case "paused":
      return values.bySentinel === true
        ? `${what} ${plural ? "are" : "is"} paused by Guardian's automatic circuit breaker to protect users while we investigate.`
        : `${what} ${plural ? "are" : "is"} paused by the guardian multisig while we investigate.`;
    case "confirmed":
      return `The guardian multisig has confirmed the pause of ${lower(what)}: it stays paused until we resolve the issue.`;
    case "extended":
      return `The guardian multisig has extended the pause of ${lower(what)} while we investigate.`;
    case "unpaused":
      return `${what} ${plural ? "are" : "is"} available again.`;
    case "released":
    default:
      return `The automatic pause of ${lower(what)} has ended; ${plural ? "they are" : "it is"} available again.`;
  }
}

/**
 * Records Guardian's own pause event on its incident: one public entry (a
 * note, the evidence attached and private to it), idempotent per event
 * (a re-processed block adds nothing).
 */
export function recordOwnPause(incident: Readonly<Incident>, finding: Readonly<Finding>, now: Date): Incident {
  const ev = finding.evidence;
  const id = timelineEntryId(incident.id, "own-pause", ev ? `${ev.blockHash}:${ev.txHash ?? ""}:${ev.logIndex ?? ""}` : finding.observedAt, hubEventKind(finding) ?? "", finding.layers.join(","));
  return addTimelineEntry(
    incident,
    { id, kind: "note", message: ownPauseMessage(finding), public: true, by: "guardian", ...(ev ? { evidence: ev } : {}) },
    now,
  );
}

function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? "";
  return `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

function lower(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

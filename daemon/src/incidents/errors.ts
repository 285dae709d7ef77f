import type { IncidentState } from "../types.js";

/** A state change the incident state machine does not allow. */
export class InvalidTransitionError extends Error {
  override readonly name = "InvalidTransitionError";
  readonly incidentId: string;
  readonly from: IncidentState;
  readonly to: IncidentState;
  readonly allowed: readonly IncidentState[];

  constructor(incidentId: string, from: IncidentState, to: IncidentState, allowed: readonly IncidentState[]) {
    const targets = allowed.length === 0 ? `${from} is final: no further state` : `allowed from ${from}: ${allowed.join(", ")}`;
    super(`incident ${incidentId} cannot move from ${from} to ${to} (${targets})`);
    this.incidentId = incidentId;
    this.from = from;
    this.to = to;
    this.allowed = allowed;
  }
}

/** No incident has this id. */
export class IncidentNotFoundError extends Error {
  override readonly name = "IncidentNotFoundError";
  readonly incidentId: string;

  constructor(incidentId: string) {
    super(`no incident with id ${incidentId} (see \`guardian incident list\`)`);
    this.incidentId = incidentId;
  }
}

/** An id prefix that matches more than one incident. */
export class AmbiguousIncidentIdError extends Error {
  override readonly name = "AmbiguousIncidentIdError";
  readonly prefix: string;
  readonly matches: readonly string[];

  constructor(prefix: string, matches: readonly string[]) {
    super(`incident id prefix ${prefix} matches ${matches.length} incidents (${matches.slice(0, 5).join(", ")}${matches.length > 5 ? ", ..." : ""}): give more characters`);
    this.prefix = prefix;
    this.matches = Object.freeze([...matches]);
  }
}

/** A disclosure approval that is refused: the approver holds no such role, or the incident needs none. */
export class InvalidDisclosureError extends Error {
  override readonly name = "InvalidDisclosureError";
}

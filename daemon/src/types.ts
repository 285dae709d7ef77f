/**
 * Types shared by every layer of the daemon. Pure data only: no imports of
 * I/O modules, no classes with behaviour. Block numbers are plain numbers
 * (safe up to 2^53, far beyond any chain's height); wei amounts and other
 * uint256 values travel as decimal strings so that everything here is JSON.
 */

export type Hex = `0x${string}`;
export type Address = `0x${string}`;

/** The three pausable layers of the stack, as the GuardianHub numbers them. */
export const LAYERS = ["entryPoint", "accountFactory", "delegation"] as const;
export type Layer = (typeof LAYERS)[number];
/** GuardianHub's uint8 id of a layer. */
export const LAYER_ID: Record<Layer, number> = { entryPoint: 0, accountFactory: 1, delegation: 2 };

export const SEVERITIES = ["critical", "high", "medium", "low"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const INCIDENT_STATES = ["detected", "responding", "contained", "recovered", "postreview"] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

/** A block as the follower identifies it. */
export interface BlockRef {
  number: number;
  hash: Hex;
  parentHash: Hex;
  /** Seconds since the epoch, from the block header. */
  timestamp: number;
}

/** Where a finding came from on chain; every field a string or number so it is JSON. */
export interface Evidence {
  blockNumber: number;
  blockHash: Hex;
  txHash?: Hex;
  logIndex?: number;
  /** Decoded values that explain the finding (amounts in wei as decimal strings). */
  values: Record<string, string | number | boolean>;
}

/** What a detector reports: one observation of a symptom. */
export interface Finding {
  /** Detector name, e.g. "rpc-health" or "pause-changed". */
  detector: string;
  /**
   * Correlation key: findings with the same key belong to the same incident.
   * Deterministic (derived from the cause, never from time or randomness) so
   * that a restart or a re-processed block never opens a second incident.
   */
  key: string;
  severity: Severity;
  title: string;
  /** A sentence for the on-call engineer: what was seen and why it matters. */
  summary: string;
  layers: Layer[];
  contracts: Address[];
  evidence?: Evidence;
  /** ISO-8601 UTC time the daemon observed it. */
  observedAt: string;
}

// ---------------------------------------------------------------------------
// Incidents. The records below are what the store keeps and what the pure
// incidents module computes; `PublicIncident` is the only incident shape that
// may leave the store (status page, notifications).

/** Who is paged for an incident, in escalation order. */
export const ESCALATION_LEVELS = ["oncall", "senior", "lead"] as const;
export type EscalationLevel = (typeof ESCALATION_LEVELS)[number];

/** Statuspage-style public status of an incident, derived from its state. */
export const PUBLIC_STATUSES = ["investigating", "identified", "monitoring", "resolved"] as const;
export type PublicStatus = (typeof PUBLIC_STATUSES)[number];

/** Response SLA in minutes per severity (the response plan: 15 / 120 / 1440 / 4320). */
export type SlaMinutes = Record<Severity, number>;

/** What a timeline entry records. */
export const TIMELINE_KINDS = [
  "opened", // the incident was opened (by a detector or a person)
  "finding", // a detector reported the symptom again (evidence attached)
  "state", // the state changed
  "acknowledged", // a person acknowledged it: escalation stops
  "escalated", // the SLA passed unacknowledged: next level paged
  "severity", // the severity was raised by a more severe finding
  "note", // free text from a person or the daemon
  "action", // something Guardian did about it (pause sent, notification queued)
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export interface TimelineEntry {
  /** Deterministic from the incident and what the entry records, so re-adding it is a no-op. */
  id: string;
  /** ISO-8601 UTC. */
  at: string;
  kind: TimelineKind;
  message: string;
  /** Only public entries ever reach the status page. */
  public: boolean;
  /** The incident's state right after this entry (gives the public status of an update). */
  state: IncidentState;
  /** Who did it (a person's name, or "guardian" for the daemon); internal. */
  by?: string;
  /** Internal: on-chain evidence. Never published. */
  evidence?: Evidence;
}

export interface Incident {
  /** UUID. Deterministic from `key` (and `occurrence`) for detector-opened incidents; random for manual ones. */
  id: string;
  /** Correlation key: findings with this key belong to this incident while it is open. */
  key: string;
  /** 1 for the first incident of a key; n+1 when the key recurs after a closed (postreview) incident. */
  occurrence: number;
  /** "manual" (a person triggered it) or the name of the detector that opened it. */
  source: string;
  title: string;
  severity: Severity;
  state: IncidentState;
  /** Always `PUBLIC_STATUS_OF[state]`; stored so that readers need no logic. */
  publicStatus: PublicStatus;
  affected: { layers: Layer[]; contracts: Address[] };
  createdAt: string;
  updatedAt: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  /** When the incident last reached `recovered`; cleared when it recurs (recovered → responding). */
  resolvedAt?: string;
  escalationLevel: EscalationLevel;
  /** createdAt + SLA minutes of the severity (moved earlier if the severity is raised). */
  slaDueAt: string;
  /** How many findings were correlated into this incident (including those the cooldown kept off the timeline). */
  findingCount: number;
  lastFindingAt?: string;
  timeline: TimelineEntry[];
}

/** What the status page may show of an incident: no key, evidence, names, escalation or internal notes. */
export interface PublicIncident {
  id: string;
  title: string;
  severity: Severity;
  status: PublicStatus;
  affected: { layers: Layer[]; contracts: Address[] };
  createdAt: string;
  updatedAt: string;
  resolvedAt?: string;
  /** Public timeline entries, oldest first. */
  updates: Array<{ id: string; at: string; status: PublicStatus; message: string }>;
}

/** A finding as the store keeps it (bounded history), with the incident it was correlated into. */
export interface FindingRecord extends Finding {
  incidentId?: string;
}

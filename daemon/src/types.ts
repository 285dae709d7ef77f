/**
 * Types shared by every layer of the daemon. Pure data only: no imports of
 * I/O modules, no classes with behaviour. Block numbers are plain numbers
 * (safe up to 2^53, far beyond any chain's height); wei amounts and other
 * uint256 values travel as decimal strings so that everything here is JSON.
 */

// Type-only: viem's formatted chain types (no runtime import).
import type { Log as ViemLog, Transaction as ViemTransaction, TransactionReceipt as ViemReceipt } from "viem";

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
  /**
   * Set when the finding reports that the condition behind `key` has ended
   * (an RPC endpoint answers again, the chain makes blocks again, a layer was
   * unpaused): the incidents layer may move the incident towards recovered.
   */
  recovered?: boolean;
  /**
   * Set when the finding judges a transaction still in the mempool (issue 17,
   * pre-emption): what it would do, simulated on the latest state, not what a
   * block did. The evidence's block is the state it was simulated on.
   */
  pending?: PendingMark;
}

/** What marks a finding as a judgement of a pending transaction. */
export interface PendingMark {
  txHash: Hex;
  from: Address;
  /** ISO-8601 UTC time the daemon first learned of the transaction. */
  seenAt: string;
  /** False where a pause cannot stop what the transaction does (the paymaster owner's own withdrawal): the finding only opens the incident earlier. */
  preemptable: boolean;
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
  "escalated", // the SLA passed unacknowledged: next level paged; or the response plan paged a role (incidents/plan-escalation.ts)
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
  /**
   * A security incident's public disclosure, approved by a Security Lead or
   * CTO (`guardian incident publish`); until then the status page shows only
   * its components' status. Operational incidents are public without it.
   */
  disclosure?: { at: string; by: string; role: "securityLead" | "cto" };
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
  /** The block holding the evidence was dropped by a reorg (the record is kept, marked). */
  reorged?: boolean;
}

// ---------------------------------------------------------------------------
// Chain facts: what the block follower (chain/) hands to decode/, detectors/
// and pipeline/. Logs, transactions and receipts are viem's formatted types
// (they carry bigints): they are inputs to pure code, never stored as-is.
// ---------------------------------------------------------------------------


/** A log of a mined block, as viem formats it. */
export type ChainLog = ViemLog<bigint, number, false>;
/** A mined transaction, as viem formats it. */
export type ChainTransaction = ViemTransaction<bigint, number, false>;
/** A transaction receipt, as viem formats it. */
export type ChainReceipt = ViemReceipt<bigint, number, "success" | "reverted">;

/** A block by number and hash: an entry of the follower's checkpoint ring. */
export interface BlockId {
  number: number;
  hash: Hex;
}

/** Header fields the detectors use besides the block's identity (uint256 values as decimal strings). */
export interface BlockHeaderFacts extends BlockRef {
  /** Absent before London (and on chains without EIP-1559). */
  baseFeePerGas?: string;
  gasUsed: string;
  gasLimit: string;
  transactionCount: number;
}

/** Everything the follower collected for one canonical block. */
export interface BlockFacts {
  block: BlockHeaderFacts;
  /** Logs emitted by watched addresses in this block, in log-index order. */
  logs: ChainLog[];
  /** Transactions of this block whose `to` is a watched address, in block order. */
  transactions: ChainTransaction[];
  /**
   * Receipts of `transactions`, same order. Reverted transactions emit no
   * logs: detectors that need failures read these.
   */
  receipts: ChainReceipt[];
  /** ISO-8601 UTC time the follower fetched the block. */
  observedAt: string;
}

/** A reorg the follower detected and rewound. */
export interface ReorgFacts {
  kind: "reorg";
  chainId: number;
  /** The newest block the old and the new chain share. */
  ancestor: BlockId;
  /** Processed blocks that are no longer canonical, ascending. */
  dropped: BlockId[];
  observedAt: string;
}

/**
 * A reorg deeper than the follower's checkpoint ring: no common ancestor is
 * known, so the follower stopped instead of guessing.
 */
export interface ReorgTooDeepFacts {
  kind: "reorg-too-deep";
  chainId: number;
  /** The oldest and newest block of the ring, all of which the chain now disowns. */
  oldest: BlockId;
  newest: BlockId;
  observedAt: string;
}

/** Health of one RPC endpoint as the pool sees it. */
export interface EndpointHealth {
  /** The configured name, or a name derived from the URL's host (never the full URL: it may hold a key). */
  name: string;
  /**
   * unverified: its chain id is not known yet; up: answering; limited: it
   * answers but rate-limited us lately (backing off; neither healthy nor
   * down); down: its last requests failed; excluded: it serves another chain
   * and is never used.
   */
  status: "unverified" | "up" | "limited" | "down" | "excluded";
  /** The chain id it reported, when known. */
  chainId?: number;
  consecutiveErrors: number;
  lastError?: string;
  /** Latency of its last successful request, and a moving average (ms). */
  lastLatencyMs?: number;
  avgLatencyMs?: number;
  /** The head it reported last, and when (ms since the epoch). */
  head?: number;
  headAtMs?: number;
  /** Blocks behind the best endpoint at the last head survey (0 for the best). */
  headLag?: number;
  requests: number;
  errors: number;
  /** While rate-limited: no request before this (ms since the epoch). */
  limitedUntilMs?: number;
  /** Calls per JSON-RPC batch it accepts (configured, or learned from its refusals). */
  maxBatch?: number;
  /** Methods it lacks or disabled (asked once, then never again). */
  missingMethods?: string[];
}

/** Input of the rpc-health detector: the pool's and the follower's state at one moment. */
export interface RpcHealthFacts {
  chainId: number;
  observedAt: string;
  /** Milliseconds since the epoch at `observedAt`. */
  nowMs: number;
  endpoints: EndpointHealth[];
  /** Set while every usable endpoint failed the latest requests: since when (ms). */
  unavailableSinceMs?: number;
  /** Highest head seen on any endpoint and when it last advanced (ms). */
  head?: { number: number; advancedAtMs: number };
  /** The follower's last committed block and when it advanced (ms). */
  processed?: { number: number; advancedAtMs: number };
  /** When the follower started (ms): one that never processes its first block is stuck too. */
  startedAtMs?: number;
  /** While the follower's steps fail: since when (ms), the endpoints involved and the cause (cleaned, bounded). */
  stepFailure?: { sinceMs: number; endpoints: string[]; cause: string };
}

// ---------------------------------------------------------------------------
// Probes (probes/): synthetic user journeys, simulated and never sent, whose
// results feed the probes detector like the pool's health feeds rpc-health.
// ---------------------------------------------------------------------------

/** What a probe tries as a user would; "bundler" is the bundler itself (reachable, serves our EntryPoint). */
export const PROBE_JOURNEYS = ["account-creation", "sponsored-operation", "delegation-redemption", "bundler"] as const;
export type ProbeJourney = (typeof PROBE_JOURNEYS)[number];

/** One journey tried once through one bundler (or simulated on the node). */
export interface ProbeResult {
  journey: ProbeJourney;
  /** The configured bundler's name, or "node" for an `eth_call` simulation on the EntryPoint. */
  via: string;
  outcome: "ok" | "failed" | "timeout";
  /** From the first request to the answer (ms). */
  latencyMs: number;
  /**
   * Failed: where the cause lies. "stack": a contract of the stack refused
   * (an AA code, a decoded revert): users fail the same way through any
   * bundler. "service": the bundler or the RPC itself (unreachable,
   * malformed, its own policy): nothing on chain is wrong.
   */
  causeKind?: "stack" | "service";
  /** The EntryPoint's code, e.g. "AA13". */
  aaCode?: string;
  /** The decoded inner error's name, e.g. "GuardedAccountFactoryPaused". */
  error?: string;
  /** The cause in words: cleaned and bounded (it comes from a bundler or a node). */
  message?: string;
  /** The canary only (a real creation): blocks from sending to inclusion. */
  blocks?: number;
}

/** The results of one round of probes, taken at a block. */
export interface ProbeRound {
  chainId: number;
  /** The block the round was run at (the follower's tip) and its hash. */
  block: number;
  blockHash: Hex;
  observedAt: string;
  results: ProbeResult[];
}

// ---------------------------------------------------------------------------
// Decoded facts (decode/): JSON, uint256 values as decimal strings.
// ---------------------------------------------------------------------------

/** Where a log sits on chain. */
export interface LogPosition {
  blockNumber: number;
  blockHash: Hex;
  txHash: Hex;
  logIndex: number;
}

/** A GuardianHub or pausable-target event, decoded. Only logs of the configured addresses are decoded. */
export type DecodedEvent =
  | {
      kind: "hub.layerPaused";
      hub: Address;
      layerId: number;
      /** Undefined when the hub reports a layer id this daemon does not know. */
      layer?: Layer;
      by: Address;
      /** Seconds since the epoch (decimal); 2^64-1 for an indefinite guardian pause. */
      until: string;
      bySentinel: boolean;
      incident: Hex;
      at: LogPosition;
    }
  | {
      kind: "hub.layerUnpaused";
      hub: Address;
      layerId: number;
      layer?: Layer;
      by: Address;
      incident: Hex;
      /** True when a lapsed sentinel pause was released, false when the guardian unpaused. */
      expired: boolean;
      at: LogPosition;
    }
  | { kind: "hub.sentinelPauseConfirmed"; hub: Address; layerId: number; layer?: Layer; by: Address; incident: Hex; at: LogPosition }
  | {
      kind: "hub.sentinelPauseExtended";
      hub: Address;
      layerId: number;
      layer?: Layer;
      by: Address;
      until: string;
      incident: Hex;
      at: LogPosition;
    }
  | { kind: "hub.sentinelHeartbeat"; hub: Address; sentinel: Address; sentAt: string; at: LogPosition }
  | { kind: "target.paused"; target: Address; layer?: Layer; account: Address; at: LogPosition }
  | { kind: "target.unpaused"; target: Address; layer?: Layer; account: Address; at: LogPosition };

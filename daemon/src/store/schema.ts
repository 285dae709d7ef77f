/**
 * StoreData: everything Guardian persists, one JSON document. Versioned:
 * bump STORE_SCHEMA_VERSION and add a migration (migrations.ts) for any
 * change a previous version could not read.
 */
import * as z from "zod";
import {
  ESCALATION_LEVELS,
  INCIDENT_STATES,
  LAYERS,
  PUBLIC_STATUSES,
  SEVERITIES,
  TIMELINE_KINDS,
  type Address,
  type Evidence,
  type FindingRecord,
  type Hex,
  type Incident,
  type TimelineEntry,
} from "../types.js";

export const STORE_SCHEMA_VERSION = 2;

/** A block as the checkpoint ring keeps it. */
export interface BlockId {
  number: number;
  hash: Hex;
}

export interface ChainCheckpoint {
  chainId: number;
  /** The last `ringSize` processed canonical blocks, ascending by number. */
  ring: BlockId[];
  /** How many blocks were processed, in total. */
  processedCount: number;
  /**
   * Every processed block, in order; present only when the store was opened
   * with `recordProcessed` (tests use it to prove exactly-once processing).
   */
  processedLog?: BlockId[];
}

/**
 * Something to carry out and retry until done (notification, Safe proposal,
 * signed pause transaction persisted before broadcast). `kind` and `payload`
 * belong to the respond layer.
 */
export interface OutboxItem {
  id: string;
  kind: string;
  createdAt: string;
  incidentId?: string;
  status: "pending" | "done" | "failed";
  attempts: number;
  nextAttemptAt?: string;
  lastError?: string;
  payload: Record<string, unknown>;
}

export interface StoreData {
  schemaVersion: typeof STORE_SCHEMA_VERSION;
  chain: ChainCheckpoint;
  /**
   * The detectors' window state (the pipeline's PipelineState), opaque to the
   * store. Update it in the same `store.update` as the checkpoint so that a
   * restart resumes with exactly the state the last committed block left.
   */
  detectorState: Record<string, unknown>;
  /** By incident id. */
  incidents: Record<string, Incident>;
  /** Recent findings, oldest first, bounded (findingsLimit). */
  findings: FindingRecord[];
  outbox: OutboxItem[];
  /**
   * What the status publisher carries from one publication to the next:
   * per-component, per-day uptime seconds and the statuses it published
   * last (opaque to the store; see publish/build.ts accumulateUptime).
   */
  publish?: { uptime: Array<Record<string, unknown>>; lastPublishedAt?: string; lastStatuses?: Record<string, string> };
  /**
   * The notifier's record of the channels it pages (respond/notify/plan.ts):
   * channel name → when it was first configured. A channel that is not here
   * is new: it gets a catch-up of the open incidents, never their history.
   */
  notify?: { channels: Record<string, string> };
  /**
   * Incident requests a person queued for the replicas (PostgreSQL store:
   * `guardian incident …` while another process leads), by request id, as
   * the leader applied them: written in the same update as the change they
   * made, so a request is applied once even across a change of leader.
   * The newest 200 are kept.
   */
  requests?: Record<string, RequestRecord>;
  meta: { createdAt: string };
}

export interface RequestRecord {
  at: string;
  op: "trigger" | "update" | "acknowledge" | "publish";
  ok: boolean;
  incidentId?: string;
  alreadyAcknowledged?: boolean;
  error?: { name: string; message: string };
}

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, { error: "expected a 32-byte hex hash" }) as unknown as z.ZodType<Hex, string>;
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, { error: "expected an address" }) as unknown as z.ZodType<Address, string>;
const isoTime = z.iso.datetime({ error: "expected an ISO-8601 UTC date-time" });
const blockNumber = z.number().int().min(0);

export const blockIdSchema: z.ZodType<BlockId> = z.strictObject({ number: blockNumber, hash: hex32 });

export const evidenceSchema: z.ZodType<Evidence> = z.strictObject({
  blockNumber,
  blockHash: hex32,
  txHash: hex32.optional(),
  logIndex: z.number().int().min(0).optional(),
  values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});

export const timelineEntrySchema: z.ZodType<TimelineEntry> = z.strictObject({
  id: z.string().min(1),
  at: isoTime,
  kind: z.enum(TIMELINE_KINDS),
  message: z.string(),
  public: z.boolean(),
  state: z.enum(INCIDENT_STATES),
  by: z.string().optional(),
  evidence: evidenceSchema.optional(),
});

export const incidentSchema: z.ZodType<Incident> = z.strictObject({
  id: z.uuid(),
  key: z.string().min(1),
  occurrence: z.number().int().positive(),
  source: z.string().min(1),
  title: z.string().min(1),
  severity: z.enum(SEVERITIES),
  state: z.enum(INCIDENT_STATES),
  publicStatus: z.enum(PUBLIC_STATUSES),
  affected: z.strictObject({ layers: z.array(z.enum(LAYERS)), contracts: z.array(address) }),
  createdAt: isoTime,
  updatedAt: isoTime,
  acknowledgedAt: isoTime.optional(),
  acknowledgedBy: z.string().optional(),
  resolvedAt: isoTime.optional(),
  escalationLevel: z.enum(ESCALATION_LEVELS),
  slaDueAt: isoTime,
  findingCount: z.number().int().min(0),
  lastFindingAt: isoTime.optional(),
  timeline: z.array(timelineEntrySchema),
  disclosure: z.strictObject({ at: isoTime, by: z.string().min(1), role: z.enum(["securityLead", "cto"]) }).optional(),
});

export const findingRecordSchema: z.ZodType<FindingRecord> = z.strictObject({
  detector: z.string().min(1),
  key: z.string().min(1),
  severity: z.enum(SEVERITIES),
  title: z.string(),
  summary: z.string(),
  layers: z.array(z.enum(LAYERS)),
  contracts: z.array(address),
  evidence: evidenceSchema.optional(),
  observedAt: isoTime,
  /** The condition behind `key` has ended (see Finding). */
  recovered: z.boolean().optional(),
  /** The block holding the evidence was dropped by a reorg: kept, marked, never silently deleted. */
  reorged: z.boolean().optional(),
  /** A judgement of a transaction still in the mempool (pre-emption). */
  pending: z.strictObject({ txHash: hex32, from: address, seenAt: isoTime, preemptable: z.boolean() }).optional(),
  incidentId: z.string().optional(),
});

export const outboxItemSchema: z.ZodType<OutboxItem> = z.strictObject({
  id: z.string().min(1),
  kind: z.string().min(1),
  createdAt: isoTime,
  incidentId: z.string().optional(),
  status: z.enum(["pending", "done", "failed"]),
  attempts: z.number().int().min(0),
  nextAttemptAt: isoTime.optional(),
  lastError: z.string().optional(),
  payload: z.record(z.string(), z.unknown()),
});

const PUBLIC_OF = { detected: "investigating", responding: "identified", contained: "monitoring", recovered: "resolved", postreview: "resolved" } as const;

export const storeDataSchema: z.ZodType<StoreData> = z
  .strictObject({
    schemaVersion: z.literal(STORE_SCHEMA_VERSION),
    chain: z.strictObject({
      chainId: z.number().int().positive(),
      ring: z.array(blockIdSchema),
      processedCount: z.number().int().min(0),
      processedLog: z.array(blockIdSchema).optional(),
    }),
    detectorState: z.record(z.string(), z.unknown()),
    incidents: z.record(z.string(), incidentSchema),
    findings: z.array(findingRecordSchema),
    outbox: z.array(outboxItemSchema),
    publish: z
      .strictObject({
        uptime: z.array(z.record(z.string(), z.unknown())),
        lastPublishedAt: isoTime.optional(),
        lastStatuses: z.record(z.string(), z.string()).optional(),
      })
      .optional(),
    notify: z.strictObject({ channels: z.record(z.string(), isoTime) }).optional(),
    requests: z
      .record(
        z.string(),
        z.strictObject({
          at: isoTime,
          op: z.enum(["trigger", "update", "acknowledge", "publish"]),
          ok: z.boolean(),
          incidentId: z.string().optional(),
          alreadyAcknowledged: z.boolean().optional(),
          error: z.strictObject({ name: z.string(), message: z.string() }).optional(),
        }),
      )
      .optional(),
    meta: z.strictObject({ createdAt: isoTime }),
  })
  .superRefine((data, ctx) => {
    data.chain.ring.forEach((block, i) => {
      const prev = data.chain.ring[i - 1];
      if (prev !== undefined && block.number <= prev.number)
        ctx.addIssue({ code: "custom", path: ["chain", "ring", i, "number"], message: `expected ascending block numbers, got ${block.number} after ${prev.number}`, input: block.number });
    });
    for (const [id, incident] of Object.entries(data.incidents)) {
      if (incident.id !== id)
        ctx.addIssue({ code: "custom", path: ["incidents", id, "id"], message: `expected the id it is stored under (${id}), got ${JSON.stringify(incident.id)}`, input: incident.id });
      if (incident.publicStatus !== PUBLIC_OF[incident.state])
        ctx.addIssue({ code: "custom", path: ["incidents", id, "publicStatus"], message: `expected "${PUBLIC_OF[incident.state]}" for state ${incident.state}, got "${incident.publicStatus}"`, input: incident.publicStatus });
    }
  });

/** An empty store for `chainId`. */
export function emptyStoreData(chainId: number, now: Date, recordProcessed: boolean): StoreData {
  return {
    schemaVersion: STORE_SCHEMA_VERSION,
    chain: { chainId, ring: [], processedCount: 0, ...(recordProcessed ? { processedLog: [] } : {}) },
    detectorState: {},
    incidents: {},
    findings: [],
    outbox: [],
    meta: { createdAt: now.toISOString() },
  };
}

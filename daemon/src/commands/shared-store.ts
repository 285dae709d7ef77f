/**
 * `guardian incident …` and the paperwork commands on the PostgreSQL store
 * (replicas). Reads go straight to the database. A write goes:
 * - straight to the database when no replica leads (the lease is free or
 *   lapsed): the command takes the lease for the write, under a new term,
 *   and gives it back; the next leader resumes what it owes (a Critical
 *   incident's pause);
 * - otherwise into the request queue, where the leader applies it through
 *   its own incident service (so a Critical trigger engages its breaker) and
 *   records the outcome with the change; the command waits for that record.
 */
import { createStoreIncidentService } from "../admin/operations.js";
import type { AckResult, IncidentService } from "../admin/protocol.js";
import type { GuardianConfig } from "../config/index.js";
import { replicaHolder } from "../runtime/replica.js";
import { openSharedStore } from "../store/open.js";
import { RequestQueue, type RequestOp } from "../store/postgres/index.js";
import { findStoredIncident } from "../store/store.js";
import type { StoreView } from "../store/snapshot.js";
import type { RequestRecord } from "../store/schema.js";
import type { Incident } from "../types.js";
import type { CliContext } from "./context.js";

/** How long a queued request may wait for the leader before the command gives up (it stays queued). */
export const QUEUED_REQUEST_WAIT_MS = 30_000;
const USAGE_ERRORS = new Set(["IncidentNotFoundError", "AmbiguousIncidentIdError", "InvalidTransitionError", "ZodError"]);

/** Reads the shared store (no lease: nothing is written). */
export async function withSharedView<R>(config: GuardianConfig, fn: (view: StoreView) => Promise<R>): Promise<R> {
  const store = await openSharedStore(config, { purpose: "cli read" });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export async function withSharedIncidentService<R>(ctx: CliContext, config: GuardianConfig, purpose: string, fn: (service: IncidentService) => Promise<R>): Promise<R> {
  const store = await openSharedStore(config, { purpose, lease: { holder: `cli:${replicaHolder()}`, ttlMs: 15_000 }, clock: ctx.clock });
  try {
    if ((await store.lease.acquire()) !== undefined) {
      try {
        return await fn(createStoreIncidentService({ store, clock: ctx.clock, sla: config.sla }));
      } finally {
        await store.lease.release().catch(() => undefined);
      }
    }
    const queue = new RequestQueue(config.secrets.databaseUrl!.reveal(), config.store.schema, purpose);
    try {
      return await fn(queuedService(store, queue, ctx.queuedRequestWaitMs ?? QUEUED_REQUEST_WAIT_MS));
    } finally {
      await queue.close();
    }
  } finally {
    await store.close();
  }
}

/** An IncidentService whose calls are queued for the leading replica. */
function queuedService(store: Awaited<ReturnType<typeof openSharedStore>>, queue: RequestQueue, waitMs: number): IncidentService {
  const outcome = async (op: RequestOp, body: Record<string, unknown>, target?: string): Promise<RequestRecord> => {
    const id = await queue.submit(op, body, target);
    const deadline = Date.now() + waitMs;
    for (;;) {
      await store.refresh();
      const record = store.read().requests?.[id];
      if (record) {
        if (record.ok) return record;
        const error = new Error(record.error?.message ?? "the leading replica refused the request") as Error & { exitCode?: number };
        if (USAGE_ERRORS.has(record.error?.name ?? "")) error.exitCode = 2;
        throw error;
      }
      if (Date.now() >= deadline)
        throw new Error(
          `no replica applied request ${id} within ${Math.round(waitMs / 1000)} s: it stays queued and is applied when a replica leads (see the replicas' /healthz)`,
        );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  const incidentOf = async (record: RequestRecord): Promise<Incident> => (await findStoredIncident(store.read().incidents, store.history, record.incidentId!)).incident as Incident;
  return {
    trigger: async (request) => incidentOf(await outcome("trigger", { ...request })),
    update: async (id, request) => incidentOf(await outcome("update", { ...request }, id)),
    acknowledge: async (id, request): Promise<AckResult> => {
      const record = await outcome("acknowledge", { ...request }, id);
      return { incident: await incidentOf(record), alreadyAcknowledged: record.alreadyAcknowledged === true };
    },
    publish: async (id, request) => incidentOf(await outcome("publish", { ...request }, id)),
  };
}

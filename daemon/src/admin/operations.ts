import { randomUUID } from "node:crypto";
import type * as z from "zod";
import { acknowledge, approveDisclosure, manualIncidentKey, openIncident, transition } from "../incidents/index.js";
import { findStoredIncident, type GuardianStore } from "../store/store.js";
import type { Incident, SlaMinutes } from "../types.js";
import type { RequestRecord, StoreData } from "../store/schema.js";
import {
  ackRequestSchema,
  publishRequestSchema,
  triggerRequestSchema,
  updateRequestSchema,
  type AckRequest,
  type AckResult,
  type IncidentService,
  type PublishRequest,
  type TriggerRequest,
  type UpdateRequest,
} from "./protocol.js";

export interface StoreIncidentServiceParameters {
  store: GuardianStore;
  clock?: () => Date;
  /** SLA minutes by severity (config.sla); default the response plan's. */
  sla?: Readonly<SlaMinutes>;
  /** Who may approve a security incident's disclosure (config `disclosureApprovers`); none: nobody may. */
  approvers?: ReadonlyArray<{ name: string; role: "securityLead" | "cto" }>;
  /** Called after each committed write. */
  onChange?: (event: IncidentChange) => void;
}

export interface IncidentChange {
  type: "triggered" | "updated" | "acknowledged" | "published";
  incident: Incident;
}

/**
 * Incident writes straight to a store (the CLI holding the lock, or the
 * daemon serving its admin endpoint). Each write is one `store.update`: a
 * refused transition throws inside the mutator, so nothing is written.
 * Requests are validated with the protocol schemas (zod errors propagate).
 * An archived incident is found too, and restored into the hot state for the
 * write (see GuardianStore.update).
 */
export function createStoreIncidentService(parameters: StoreIncidentServiceParameters): RequestableIncidentService {
  const { store } = parameters;
  const clock = parameters.clock ?? (() => new Date());
  const notify = (type: IncidentChange["type"], incident: Incident) => parameters.onChange?.({ type, incident });

  /** Records a request's outcome in the same update (trimmed to the newest REQUESTS_KEPT). */
  const record = (draft: StoreData, requestId: string | undefined, entry: Omit<RequestRecord, "at">) => {
    if (requestId === undefined) return;
    const requests = { ...(draft.requests ?? {}), [requestId]: { at: clock().toISOString(), ...entry } };
    const ids = Object.keys(requests).sort((a, b) => requests[a]!.at.localeCompare(requests[b]!.at));
    for (const id of ids.slice(0, Math.max(0, ids.length - REQUESTS_KEPT))) delete requests[id];
    draft.requests = requests;
  };
  /** A failed request is recorded too (its change was not written), then the error goes on. */
  const failed = async (requestId: string | undefined, op: RequestRecord["op"], error: unknown): Promise<never> => {
    if (requestId !== undefined)
      await store
        .update((draft) => record(draft, requestId, { op, ok: false, error: { name: (error as Error).name ?? "Error", message: (error as Error).message ?? String(error) } }))
        .catch(() => undefined);
    throw error;
  };
  const done = (requestId: string | undefined) => (requestId === undefined ? undefined : store.read().requests?.[requestId]);

  return {
    async trigger(request, options = {}) {
      const { requestId } = options;
      const seen = done(requestId);
      if (seen?.ok && seen.incidentId) return (await findStoredIncident(store.read().incidents, store.history, seen.incidentId)).incident as Incident;
      let r: z.output<typeof triggerRequestSchema>;
      try {
        r = triggerRequestSchema.parse(request, { reportInput: true });
      } catch (error) {
        return failed(requestId, "trigger", error);
      }
      // A queued request's id is the incident's: applied twice, it opens one incident.
      const id = requestId ?? randomUUID();
      const incident = openIncident({
        id,
        key: manualIncidentKey(id),
        title: r.title,
        severity: r.severity,
        affected: { layers: r.layers, contracts: r.contracts },
        source: "manual",
        now: clock(),
        ...(parameters.sla ? { sla: parameters.sla } : {}),
        ...(r.message !== undefined ? { message: r.message } : {}),
        ...(r.by !== undefined ? { by: r.by } : {}),
      });
      await store.update((draft) => {
        draft.incidents[id] = incident;
        record(draft, requestId, { op: "trigger", ok: true, incidentId: id });
      });
      notify("triggered", incident);
      return incident;
    },

    async update(id, request, options = {}) {
      const { requestId } = options;
      const seen = done(requestId);
      if (seen?.ok && seen.incidentId) return (await findStoredIncident(store.read().incidents, store.history, seen.incidentId)).incident as Incident;
      try {
        const r = updateRequestSchema.parse(request, { reportInput: true });
        const found = (await findStoredIncident(store.read().incidents, store.history, id)).incident.id;
        const incident = await store.update(
          (draft) => {
            const current = draft.incidents[found]!;
            const next = transition(current, r.state, {
              now: clock(),
              ...(r.message !== undefined ? { message: r.message } : {}),
              ...(r.private !== undefined ? { public: !r.private } : {}),
              ...(r.by !== undefined ? { by: r.by } : {}),
            });
            draft.incidents[next.id] = next;
            record(draft, requestId, { op: "update", ok: true, incidentId: next.id });
            return next;
          },
          { restore: [found] },
        );
        notify("updated", incident);
        return incident;
      } catch (error) {
        return failed(requestId, "update", error);
      }
    },

    async acknowledge(id, request, options = {}) {
      const { requestId } = options;
      const seen = done(requestId);
      if (seen?.ok && seen.incidentId)
        return { incident: (await findStoredIncident(store.read().incidents, store.history, seen.incidentId)).incident as Incident, alreadyAcknowledged: seen.alreadyAcknowledged === true };
      try {
        const r = ackRequestSchema.parse(request, { reportInput: true });
        const found = (await findStoredIncident(store.read().incidents, store.history, id)).incident.id;
        const result = await store.update(
          (draft): AckResult => {
            const current = draft.incidents[found]!;
            const next = acknowledge(current, { now: clock(), by: r.by });
            const already = next === current;
            if (!already) draft.incidents[next.id] = next;
            record(draft, requestId, { op: "acknowledge", ok: true, incidentId: next.id, alreadyAcknowledged: already });
            return { incident: (already ? current : next) as Incident, alreadyAcknowledged: already };
          },
          { restore: [found] },
        );
        if (!result.alreadyAcknowledged) notify("acknowledged", result.incident);
        return result;
      } catch (error) {
        return failed(requestId, "acknowledge", error);
      }
    },

    async publish(id, request, options = {}) {
      const { requestId } = options;
      const seen = done(requestId);
      if (seen?.ok && seen.incidentId) return (await findStoredIncident(store.read().incidents, store.history, seen.incidentId)).incident as Incident;
      try {
        const r = publishRequestSchema.parse(request, { reportInput: true });
        const found = (await findStoredIncident(store.read().incidents, store.history, id)).incident.id;
        const incident = await store.update(
          (draft) => {
            const current = draft.incidents[found]!;
            const next = approveDisclosure(current, { by: r.by, approvers: parameters.approvers ?? [], now: clock(), ...(r.message !== undefined ? { message: r.message } : {}) });
            draft.incidents[next.id] = next;
            record(draft, requestId, { op: "publish", ok: true, incidentId: next.id });
            return next;
          },
          { restore: [found] },
        );
        notify("published", incident);
        return incident;
      } catch (error) {
        return failed(requestId, "publish", error);
      }
    },
  };
}

/** Request outcomes kept in the store (StoreData.requests). */
export const REQUESTS_KEPT = 200;

/** Per call: the queued request being applied (its outcome is recorded with the change; see StoreData.requests). */
export interface ServiceCallOptions {
  requestId?: string;
}

/** The store-backed service: the same calls, each optionally applying a queued request exactly once. */
export interface RequestableIncidentService extends IncidentService {
  trigger(request: TriggerRequest, options?: ServiceCallOptions): Promise<Incident>;
  update(id: string, request: UpdateRequest, options?: ServiceCallOptions): Promise<Incident>;
  acknowledge(id: string, request: AckRequest, options?: ServiceCallOptions): Promise<AckResult>;
  publish(id: string, request: PublishRequest, options?: ServiceCallOptions): Promise<Incident>;
}

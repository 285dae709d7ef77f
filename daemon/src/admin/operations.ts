import { randomUUID } from "node:crypto";
import { acknowledge, approveDisclosure, findIncident, manualIncidentKey, openIncident, transition } from "../incidents/index.js";
import type { GuardianStore } from "../store/store.js";
import type { Incident, SlaMinutes } from "../types.js";
import { ackRequestSchema, publishRequestSchema, triggerRequestSchema, updateRequestSchema, type AckResult, type IncidentService } from "./protocol.js";

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
 */
export function createStoreIncidentService(parameters: StoreIncidentServiceParameters): IncidentService {
  const { store } = parameters;
  const clock = parameters.clock ?? (() => new Date());
  const notify = (type: IncidentChange["type"], incident: Incident) => parameters.onChange?.({ type, incident });

  return {
    async trigger(request) {
      const r = triggerRequestSchema.parse(request, { reportInput: true });
      const id = randomUUID();
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
      });
      notify("triggered", incident);
      return incident;
    },

    async update(id, request) {
      const r = updateRequestSchema.parse(request, { reportInput: true });
      const incident = await store.update((draft) => {
        const current = findIncident(draft.incidents, id);
        const next = transition(current, r.state, {
          now: clock(),
          ...(r.message !== undefined ? { message: r.message } : {}),
          ...(r.private !== undefined ? { public: !r.private } : {}),
          ...(r.by !== undefined ? { by: r.by } : {}),
        });
        draft.incidents[next.id] = next;
        return next;
      });
      notify("updated", incident);
      return incident;
    },

    async acknowledge(id, request) {
      const r = ackRequestSchema.parse(request, { reportInput: true });
      const result = await store.update((draft): AckResult => {
        const current = findIncident(draft.incidents, id);
        const next = acknowledge(current, { now: clock(), by: r.by });
        if (next === current) return { incident: current as Incident, alreadyAcknowledged: true };
        draft.incidents[next.id] = next;
        return { incident: next, alreadyAcknowledged: false };
      });
      if (!result.alreadyAcknowledged) notify("acknowledged", result.incident);
      return result;
    },

    async publish(id, request) {
      const r = publishRequestSchema.parse(request, { reportInput: true });
      const incident = await store.update((draft) => {
        const current = findIncident(draft.incidents, id);
        const next = approveDisclosure(current, { by: r.by, approvers: parameters.approvers ?? [], now: clock(), ...(r.message !== undefined ? { message: r.message } : {}) });
        draft.incidents[next.id] = next;
        return next;
      });
      notify("published", incident);
      return incident;
    },
  };
}

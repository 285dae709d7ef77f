/**
 * The notifier as the daemon runs it: one object over the store and the
 * config that the wiring calls in two places.
 *
 *     const notifier = createNotifier({ store, escalation: config.escalation,
 *       webhooks: config.secrets.webhooks, log });
 *     for (const p of notifier.checkChannels().errors) log.error({}, p);   // at start
 *
 *     // 1. Where incidents change (correlateFinding's result), in the same write:
 *     await store.update((draft) => {
 *       draft.incidents[incident.id] = incident;
 *       notifier.enqueueActions(draft, actions, now);
 *     });
 *
 *     // 2. Every tick (each block, and on a timer of a few seconds while the
 *     //    chain is quiet, so escalation and retries do not wait for blocks):
 *     await notifier.tick();
 *
 * `tick` (1) escalates incidents past their SLA and enqueues the pages
 * (escalateAndEnqueue), pages the response plan's roles that came due
 * (pageRolesAndEnqueue), (2) reconciles the outbox with recent timeline
 * entries, cancels moot escalations and prunes (reconcileOutbox) — one store
 * write for both, with the notices of maintenance steps (maintenance.ts) —
 * then (3) delivers what is due, persisting each entry after its attempt. Overlapping calls share the run in flight. The wiring must not
 * call escalateDue itself (or must enqueue its actions with `enqueueActions`).
 */
import type { Secret } from "../../config/index.js";
import type { IncidentAction } from "../../incidents/actions.js";
import type { OutboxItem, StoreData } from "../../store/schema.js";
import type { GuardianStore } from "../../store/store.js";
import type { RetryPolicy } from "./backoff.js";
import { channelResolver, checkChannels } from "./channels.js";
import { deliverDue, type AttemptReport, type DeliverDeps } from "./deliver.js";
import type { RoleContacts } from "../../incidents/plan-escalation.js";
import { readMaintenances } from "../../maintenance/file.js";
import { deliverMaintenanceNotices, maintenanceNotices, pruneMaintenanceNotices } from "./maintenance.js";
import { enqueueActions, escalateAndEnqueue, mergeOutbox, pageRolesAndEnqueue, reconcileOutbox, type EscalationContacts } from "./plan.js";
import type { NotifyLogger } from "./types.js";

export interface NotifierParameters {
  store: GuardianStore;
  /** config.escalation */
  escalation: EscalationContacts;
  /** config.roles as slots (`roleContacts`): the response plan's escalation by role; none configured: none. */
  roles?: RoleContacts;
  /** The data directory whose maintenance.json is read each tick: its steps are told to the on-call contact (maintenance.ts). None: no notices. */
  maintenanceDir?: string;
  /** config.secrets.webhooks */
  webhooks: Readonly<Record<string, Secret>>;
  log?: NotifyLogger;
  clock?: () => Date;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  policy?: Partial<RetryPolicy>;
  random?: () => number;
  concurrency?: number;
  /** Replicas: deliver only while leading, claiming each entry first (DeliverDeps.lease). */
  lease?: DeliverDeps["lease"];
}

export interface TickReport {
  escalated: string[];
  /** Role pages written this tick, as "<incident id> <slot>". */
  paged: string[];
  enqueued: number;
  cancelled: number;
  attempts: AttemptReport[];
}

export interface Notifier {
  /** For use inside `store.update`: enqueues the notifications of the engine's actions. */
  enqueueActions(draft: Pick<StoreData, "incidents" | "outbox">, actions: readonly IncidentAction[], now: Date): OutboxItem[];
  /** Escalate, reconcile, deliver (see the module comment). */
  tick(now?: Date): Promise<TickReport>;
  /** Channel problems to report at start. */
  checkChannels(): { errors: string[]; warnings: string[] };
}

/** Writes one outbox entry back to the store (replacing the entry of the same id; a pruned one is not re-added). */
export function outboxPersister(store: GuardianStore): (item: OutboxItem) => Promise<void> {
  return (item) =>
    store.update((draft) => {
      const index = draft.outbox.findIndex((entry) => entry.id === item.id);
      if (index >= 0) draft.outbox[index] = structuredClone(item);
    });
}

export function createNotifier(parameters: NotifierParameters): Notifier {
  const { store, escalation, webhooks } = parameters;
  const roles = parameters.roles ?? {};
  const clock = parameters.clock ?? (() => new Date());
  const resolveChannel = channelResolver(webhooks);
  const persist = outboxPersister(store);
  let running: Promise<TickReport> | undefined;

  // Maintenance notices go to the plan's On-Call primary, else the SLA escalation's on-call.
  const onCall = roles["onCall.primary"] ?? escalation.oncall;
  const readNotices = (now: Date) => {
    if (parameters.maintenanceDir === undefined) return [];
    try {
      return maintenanceNotices(readMaintenances(parameters.maintenanceDir), onCall, now);
    } catch (error) {
      parameters.log?.warn({ err: (error as Error).message }, "maintenance file unreadable: no maintenance notices this tick");
      return [];
    }
  };

  const run = async (now: Date): Promise<TickReport> => {
    const notices = readNotices(now);
    const planned = await store.update((draft) => {
      const n = notices.length > 0 ? mergeOutbox(draft.outbox, notices) : undefined;
      if (n) draft.outbox = n.outbox;
      draft.outbox = pruneMaintenanceNotices(draft.outbox, now);
      const e = escalateAndEnqueue(draft, { escalation, now });
      const p = pageRolesAndEnqueue(draft, { escalation, roles, now });
      const r = reconcileOutbox(draft, { escalation, now });
      return {
        escalated: e.escalated.map((i) => i.id),
        paged: p.paged.map((x) => `${x.incidentId} ${x.slot}`),
        enqueued: e.enqueued.length + p.enqueued.length + r.enqueued.length + (n?.added.length ?? 0),
        cancelled: r.cancelled.length,
      };
    });
    const { reports } = await deliverDue(store.read().outbox, now, {
      resolveChannel,
      persist,
      clock,
      ...(parameters.log ? { log: parameters.log } : {}),
      ...(parameters.fetch ? { fetch: parameters.fetch } : {}),
      ...(parameters.timeoutMs !== undefined ? { timeoutMs: parameters.timeoutMs } : {}),
      ...(parameters.policy ? { policy: parameters.policy } : {}),
      ...(parameters.random ? { random: parameters.random } : {}),
      ...(parameters.concurrency !== undefined ? { concurrency: parameters.concurrency } : {}),
      ...(parameters.lease ? { lease: parameters.lease } : {}),
    });
    await deliverMaintenanceNotices(store.read().outbox, {
      webhooks,
      persist,
      clock,
      ...(parameters.log ? { log: parameters.log } : {}),
      ...(parameters.fetch ? { fetch: parameters.fetch } : {}),
      ...(parameters.timeoutMs !== undefined ? { timeoutMs: parameters.timeoutMs } : {}),
      ...(parameters.lease ? { mayAct: parameters.lease.mayAct } : {}),
    });
    return { ...planned, attempts: reports };
  };

  return {
    enqueueActions: (draft, actions, now) => enqueueActions(draft, actions, { escalation, now }),
    tick(now) {
      running ??= run(now ?? clock()).finally(() => {
        running = undefined;
      });
      return running;
    },
    checkChannels: () => checkChannels({ ...escalation, ...roles }, webhooks),
  };
}

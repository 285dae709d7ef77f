/**
 * Scheduled maintenance: a window an operator announces in advance
 * (`guardian maintenance schedule`), starts and completes. Pure: the clock is
 * an argument, every function returns a new record.
 *
 * States follow Statuspage's: scheduled → in_progress → completed (and
 * `verifying` in between when the operator says so). A maintenance is
 * public from the moment it is scheduled: everything in it was typed by an
 * operator for users (text with control, bidi or zero-width characters is
 * refused at the command line). Who did what (`by`) stays internal.
 */
import { nameUuid } from "../incidents/ids.js";
import type { Layer } from "../types.js";

/** What a maintenance can cover: the three layers and the RPC (the status page's components). */
export const MAINTENANCE_COMPONENTS = ["entryPoint", "accountFactory", "delegation", "rpc"] as const satisfies ReadonlyArray<Layer | "rpc">;
export type MaintenanceComponent = (typeof MAINTENANCE_COMPONENTS)[number];

export const MAINTENANCE_STATES = ["scheduled", "in_progress", "verifying", "completed"] as const;
export type MaintenanceState = (typeof MAINTENANCE_STATES)[number];

export interface MaintenanceUpdate {
  id: string;
  at: string;
  status: MaintenanceState;
  /** Public text. */
  message: string;
  /** Internal: who did it. */
  by: string;
}

export interface Maintenance {
  id: string;
  title: string;
  components: MaintenanceComponent[];
  /** The announced window, ISO-8601 UTC. */
  scheduledFor: string;
  scheduledUntil: string;
  status: MaintenanceState;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  completedAt?: string;
  /** Oldest first. */
  updates: MaintenanceUpdate[];
}

export class MaintenanceError extends Error {
  override name = "MaintenanceError";
}

/** Which state may follow which. */
const NEXT: Readonly<Record<MaintenanceState, readonly MaintenanceState[]>> = {
  scheduled: ["in_progress", "completed"],
  in_progress: ["verifying", "completed"],
  verifying: ["in_progress", "completed"],
  completed: [],
};

const DEFAULT_MESSAGE: Readonly<Record<MaintenanceState, string>> = {
  scheduled: "Maintenance is scheduled.",
  in_progress: "Maintenance is in progress.",
  verifying: "Maintenance is done; we are verifying the result.",
  completed: "Maintenance is complete.",
};

export interface ScheduleMaintenance {
  title: string;
  components: readonly MaintenanceComponent[];
  from: Date;
  until: Date;
  message?: string;
  by: string;
  now: Date;
}

/** A new maintenance; its id is derived from its window, components and title, so scheduling it twice is idempotent. */
export function scheduleMaintenance(input: ScheduleMaintenance): Maintenance {
  if (!(input.until.getTime() > input.from.getTime())) throw new MaintenanceError("--until: expected a time after --from");
  if (input.components.length === 0) throw new MaintenanceError("--components: expected at least one component");
  const components = MAINTENANCE_COMPONENTS.filter((c) => input.components.includes(c));
  const scheduledFor = input.from.toISOString();
  const scheduledUntil = input.until.toISOString();
  const id = nameUuid(`maintenance:${scheduledFor}:${scheduledUntil}:${components.join(",")}:${input.title}`);
  const at = input.now.toISOString();
  return {
    id,
    title: input.title,
    components,
    scheduledFor,
    scheduledUntil,
    status: "scheduled",
    createdAt: at,
    updatedAt: at,
    updates: [{ id: nameUuid(`maintenance-update:${id}:0`), at, status: "scheduled", message: input.message ?? DEFAULT_MESSAGE.scheduled, by: input.by }],
  };
}

/** Moves a maintenance to `status` with a public update (a default sentence when no message is given). */
export function transitionMaintenance(m: Readonly<Maintenance>, status: MaintenanceState, options: { now: Date; by: string; message?: string }): Maintenance {
  if (!NEXT[m.status].includes(status)) throw new MaintenanceError(`maintenance ${m.id} is ${m.status.replace("_", " ")}: it cannot become ${status.replace("_", " ")}`);
  const at = options.now.toISOString();
  return {
    ...m,
    status,
    updatedAt: at,
    ...(status === "in_progress" && m.startedAt === undefined ? { startedAt: at } : {}),
    ...(status === "completed" ? { completedAt: at } : {}),
    updates: [
      ...m.updates,
      { id: nameUuid(`maintenance-update:${m.id}:${m.updates.length}`), at, status, message: options.message ?? DEFAULT_MESSAGE[status], by: options.by },
    ],
  };
}

/** In progress or verifying: its components show as under maintenance. */
export function isActiveMaintenance(m: Readonly<Maintenance>): boolean {
  return m.status === "in_progress" || m.status === "verifying";
}

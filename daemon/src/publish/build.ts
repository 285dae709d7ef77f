/**
 * Store → public status: `buildStatus` turns the daemon's incident records,
 * the layers' on-chain pause state, RPC health and uptime samples into the
 * published `Status` document. Pure: no I/O, the clock is an argument, and
 * the result is parsed with the published schema before it is returned (so an
 * internal field can never slip through).
 */
import { isDisclosed, isOpen, publicFace, toPublic } from "../incidents/index.js";
import { isActiveMaintenance, type Maintenance } from "../maintenance/model.js";
import { LAYERS } from "../types.js";
import type { Address, Hex, Incident, Layer, Severity } from "../types.js";
import {
  COMPONENT_IDS,
  COMPONENT_NAMES,
  STATUS_SCHEMA_VERSION,
  UPTIME_DAYS,
  parseStatus,
  type Component,
  type ComponentId,
  type ComponentStatus,
  type Impact,
  type Indicator,
  type Pauser,
  type PublishedIncident,
  type PublishedMaintenance,
  type Status,
  type UptimeDay,
} from "./schema.js";

// ---------------------------------------------------------------------------
// Input

/** A layer's pause state as the daemon read it from the guarded contracts and the hub. */
export interface LayerState {
  paused: boolean;
  /** Who holds the pause (null when not paused). */
  pausedBy: Pauser | null;
  /** ISO-8601 UTC end of a sentinel pause; null for an indefinite guardian pause or when not paused (see `pauseUntilFromChain`). */
  pausedUntil: string | null;
  /** ISO-8601 UTC time the pause began (the block time of the pause event), when known. */
  pausedAt?: string | null;
  /** The hub's bytes32 incident reference of the pause. */
  incidentRef: Hex | null;
  /** The layer's guarded contracts. */
  contracts: readonly Address[];
  /** The block the state was read at. */
  blockNumber: number;
  blockHash: Hex;
}

/** RPC health as the pool sees it (no endpoint names or URLs: they may hold keys). */
export interface RpcState {
  health: "healthy" | "degraded" | "down";
  endpointsUp: number;
  endpointsTotal: number;
  /** Highest head any endpoint reported; null when none answered. */
  head: number | null;
  /** ISO-8601 UTC time the health last changed, when known. */
  changedAt?: string | null;
}

/** The block the daemon had processed last. */
export interface ChainHead {
  chainId: number;
  blockNumber: number;
  blockHash: Hex;
  /** Seconds since the epoch, from the block header. */
  blockTimestamp: number;
}

/** Time observed and time up of one component on one UTC day (see `accumulateUptime`). */
export interface UptimeSample {
  component: ComponentId;
  /** YYYY-MM-DD, UTC. */
  date: string;
  observedSeconds: number;
  upSeconds: number;
}

export interface PublishInput {
  /** The page's identity; `id` defaults to `guardian-<chainId>`. */
  page: { id?: string; name: string; url: string | null };
  /** Incident records from the store (all of them: the builder picks and strips). */
  incidents: readonly Incident[];
  /** Per layer; a missing layer has not been read yet. */
  layerStates: Partial<Record<Layer, LayerState>>;
  rpc: RpcState;
  chain: ChainHead;
  uptime: readonly UptimeSample[];
  /** How often the daemon republishes (seconds). */
  expectedIntervalSeconds: number;
  /** When the components came into service (e.g. the deployment's `deployedAt`); the default last-change time of a component. */
  componentsCreatedAt?: string;
  /** Scheduled maintenances (all of them: the builder picks and strips). */
  maintenances?: readonly Maintenance[];
}

export interface BuildStatusOptions {
  /** Resolved incidents older than this many days (by resolution) are left out. Default 90. */
  historyDays?: number;
  /** At most this many incidents (all unresolved ones first). Default 200. */
  maxIncidents?: number;
  /** Which components an incident affects. Default `incidentComponents`. */
  componentsOf?: (incident: Readonly<Incident>) => ComponentId[];
}

// ---------------------------------------------------------------------------
// Mappings (each a plain table, exported so that the tests and the docs use the same values)

/** Incident impact of each severity (Statuspage's vocabulary). */
export const IMPACT_OF_SEVERITY: Readonly<Record<Severity, Impact>> = Object.freeze({
  critical: "critical",
  high: "major",
  medium: "minor",
  low: "none",
});

/** Component status while an open incident of this severity affects it. */
export const COMPONENT_STATUS_OF_SEVERITY: Readonly<Record<Severity, ComponentStatus>> = Object.freeze({
  critical: "major_outage",
  high: "partial_outage",
  medium: "degraded_performance",
  low: "operational",
});

const COMPONENT_STATUS_RANK: Readonly<Record<ComponentStatus, number>> = {
  operational: 0,
  under_maintenance: 1,
  degraded_performance: 2,
  partial_outage: 3,
  major_outage: 4,
};

const INDICATOR_RANK: Readonly<Record<Indicator, number>> = { none: 0, maintenance: 1, minor: 2, major: 3, critical: 4 };

/** Page indicator a component status implies (Statuspage: a major outage anywhere is critical). */
const INDICATOR_OF_COMPONENT: Readonly<Record<ComponentStatus, Indicator>> = {
  operational: "none",
  under_maintenance: "maintenance",
  degraded_performance: "minor",
  partial_outage: "major",
  major_outage: "critical",
};

/** Statuspage's own page descriptions. */
export const INDICATOR_DESCRIPTION: Readonly<Record<Indicator, string>> = Object.freeze({
  none: "All Systems Operational",
  maintenance: "Service Under Maintenance",
  minor: "Partially Degraded Service",
  major: "Partial System Outage",
  critical: "Major System Outage",
});

const RPC_STATUS: Readonly<Record<RpcState["health"], ComponentStatus>> = {
  healthy: "operational",
  degraded: "degraded_performance",
  down: "major_outage",
};

const COMPONENT_DESCRIPTION: Readonly<Record<ComponentId, string>> = {
  entryPoint:
    "Sponsored user operations through the ERC-4337 EntryPoint v0.7. The EntryPoint itself cannot be paused; Guardian guards the operator's paymaster.",
  accountFactory: "Creation of new smart accounts through the guarded account factory.",
  delegation: "Redemption of delegations through the DelegationManager.",
  rpc: "The JSON-RPC endpoints Guardian reads the chain through.",
};

const PAUSER_TEXT: Readonly<Record<Pauser, string>> = {
  guardian: "the guardian multisig",
  sentinel: "Guardian's sentinel (automatic circuit breaker)",
  foreign: "an account outside Guardian",
};

/** GuardianHub's "until" of an indefinite (guardian) pause: 2^64 - 1. */
const INDEFINITE_UNTIL = (1n << 64n) - 1n;

/**
 * The hub's `until` (seconds since the epoch, as the decoded event's decimal
 * string) as `LayerState.pausedUntil`: null for an indefinite guardian pause.
 */
export function pauseUntilFromChain(until: string | bigint): string | null {
  const seconds = BigInt(until);
  if (seconds >= INDEFINITE_UNTIL || seconds <= 0n) return null;
  return new Date(Number(seconds) * 1000).toISOString();
}

/**
 * Which components an incident affects: its layers, plus `rpc` when an RPC
 * detector opened it (RPC findings carry no layer).
 */
export function incidentComponents(incident: Readonly<Incident>): ComponentId[] {
  const ids: ComponentId[] = [...incident.affected.layers];
  if (/^rpc/i.test(incident.source) || /^rpc[-:]/i.test(incident.key)) ids.push("rpc");
  return COMPONENT_IDS.filter((id) => ids.includes(id));
}

// ---------------------------------------------------------------------------
// The builder

const DAY_MS = 86_400_000;

/**
 * Builds the public status document.
 *
 * 1. Incidents: every unresolved one, and resolved ones of the last
 *    `historyDays`, newest first, by their public face (`toPublic`: the
 *    symptom's template title, public timeline entries only). A security
 *    incident whose disclosure nobody approved yet is left out: it shows
 *    only in its components' status.
 * 2. Components: a paused layer is a major outage (whoever paused it); else
 *    the worst open incident on it decides (Critical → major outage, High →
 *    partial outage, Medium → degraded performance); RPC health counts for
 *    the RPC component.
 * 3. Overall: the worst of the components and of the unresolved incidents'
 *    impacts, in Statuspage's words.
 * 4. Uptime: 90 UTC days ending today from the samples.
 * 5. The document is parsed with the published schema.
 *
 * @example
 * const status = buildStatus({ page: { name: "Guardian status", url: null }, incidents: Object.values(store.read().incidents),
 *   layerStates, rpc, chain, uptime, expectedIntervalSeconds: 60 }, new Date());
 */
export function buildStatus(input: PublishInput, now: Date, options: BuildStatusOptions = {}): Status {
  const historyDays = options.historyDays ?? 90;
  const maxIncidents = options.maxIncidents ?? 200;
  const componentsOf = options.componentsOf ?? incidentComponents;
  const generatedAt = now.toISOString();

  // 1. Incidents (a guardian pause made for an announced maintenance is the maintenance, not an incident).
  const cutoff = now.getTime() - historyDays * DAY_MS;
  const maintenances = input.maintenances ?? [];
  const relevant = input.incidents.filter((incident) => !forMaintenance(incident, maintenances));
  const chosen = relevant.filter((incident) => {
    if (!isDisclosed(incident)) return false;
    if (isOpen(incident) || incident.resolvedAt === undefined) return true;
    return Date.parse(incident.resolvedAt) >= cutoff;
  });
  const unresolvedFirst = [...chosen].sort(
    (a, b) => Number(isOpen(b)) - Number(isOpen(a)) || b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id),
  );
  const incidents = unresolvedFirst
    .slice(0, maxIncidents)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id))
    .map((incident) => publishIncident(incident, componentsOf(incident)));
  const openIncidents = relevant.filter((incident) => isOpen(incident));

  // 2. Components.
  const uptimeByComponent = uptimeBuckets(input.uptime, now);
  const activeMaintenances = (input.maintenances ?? []).filter(isActiveMaintenance);
  const components: Component[] = COMPONENT_IDS.map((id) => {
    const maintenance = activeMaintenances.find((m) => m.components.includes(id));
    const open = openIncidents.filter((incident) => componentsOf(incident).includes(id));
    const worstOpen = worstBySeverity(open);
    const fromIncident = worstOpen ? COMPONENT_STATUS_OF_SEVERITY[worstOpen.severity] : "operational";
    const incidentReason =
      worstOpen && fromIncident !== "operational" ? (isDisclosed(worstOpen) ? `Open incident: ${publicFace(worstOpen).title}` : "Under investigation.") : null;
    const lastIncidentChange = latest(
      relevant
        .filter((incident) => componentsOf(incident).includes(id) && isDisclosed(incident))
        .flatMap((incident) => toPublic(incident).updates.map((u) => u.at)),
    );

    let status: ComponentStatus = fromIncident;
    let statusReason: string | null = incidentReason;
    let evidence: Component["evidence"];
    let changedAt: string | null = lastIncidentChange;

    if (id === "rpc") {
      const rpcStatus = RPC_STATUS[input.rpc.health];
      if (COMPONENT_STATUS_RANK[rpcStatus] > COMPONENT_STATUS_RANK[status]) {
        status = rpcStatus;
        statusReason =
          input.rpc.health === "down"
            ? "No RPC endpoint answers: Guardian cannot read the chain."
            : `${input.rpc.endpointsTotal - input.rpc.endpointsUp} of ${input.rpc.endpointsTotal} RPC endpoints are failing.`;
      }
      changedAt = latest([changedAt, input.rpc.changedAt ?? null]);
      evidence = {
        kind: "rpc",
        health: input.rpc.health,
        endpointsUp: input.rpc.endpointsUp,
        endpointsTotal: input.rpc.endpointsTotal,
        head: input.rpc.head,
        readAtBlock: input.chain.blockNumber,
        readAtHash: input.chain.blockHash,
      };
    } else {
      const layer = input.layerStates[id];
      if (layer?.paused && layer.pausedBy === "guardian" && maintenance && status === "operational") {
        // The guardian paused the layer for an announced maintenance: planned, not an outage.
        status = "under_maintenance";
        statusReason = `Paused by ${PAUSER_TEXT.guardian} for scheduled maintenance: ${maintenance.title}`;
        changedAt = latest([changedAt, layer.pausedAt ?? null, maintenance.startedAt ?? null]);
      } else if (layer?.paused) {
        status = "major_outage";
        statusReason = pauseReason(layer, now);
        changedAt = latest([changedAt, layer.pausedAt ?? null]);
      } else if (layer === undefined) {
        statusReason ??= "Not read from the chain yet.";
      }
      evidence = {
        kind: "layer",
        paused: layer ? layer.paused : null,
        pausedBy: layer?.paused ? layer.pausedBy : null,
        pausedUntil: layer?.paused ? layer.pausedUntil : null,
        incidentRef: layer?.paused ? layer.incidentRef : null,
        contracts: layer ? [...layer.contracts] : [],
        readAtBlock: layer ? layer.blockNumber : null,
        readAtHash: layer ? layer.blockHash : null,
      };
    }

    if (maintenance && status === "operational") {
      status = "under_maintenance";
      statusReason = `Scheduled maintenance in progress: ${maintenance.title}`;
      changedAt = latest([changedAt, maintenance.startedAt ?? null]);
    }

    return {
      id,
      name: COMPONENT_NAMES[id],
      description: COMPONENT_DESCRIPTION[id],
      status,
      statusReason,
      updatedAt: changedAt ?? input.componentsCreatedAt ?? generatedAt,
      evidence,
      uptime: uptimeByComponent[id],
    };
  });

  // 3. Overall.
  let indicator: Indicator = "none";
  for (const component of components) indicator = worseIndicator(indicator, INDICATOR_OF_COMPONENT[component.status]);
  for (const incident of openIncidents) indicator = worseIndicator(indicator, IMPACT_OF_SEVERITY[incident.severity]);

  // 5. Schema check.
  return parseStatus(
    {
      schemaVersion: STATUS_SCHEMA_VERSION,
      generatedAt,
      expectedIntervalSeconds: input.expectedIntervalSeconds,
      page: { id: input.page.id ?? `guardian-${input.chain.chainId}`, name: input.page.name, url: input.page.url },
      chain: {
        chainId: input.chain.chainId,
        blockNumber: input.chain.blockNumber,
        blockHash: input.chain.blockHash,
        blockTimestamp: new Date(input.chain.blockTimestamp * 1000).toISOString(),
      },
      overall: { indicator, description: INDICATOR_DESCRIPTION[indicator] },
      components,
      incidents,
      maintenances: publishMaintenances(input.maintenances ?? [], cutoff),
    } satisfies Status,
    "the built status document",
  );
}

function publishIncident(incident: Readonly<Incident>, components: ComponentId[]): PublishedIncident {
  const pub = toPublic(incident);
  const updates = pub.updates.map((u) => ({ id: u.id, status: u.status, body: u.message, at: u.at }));
  return {
    id: pub.id,
    title: pub.title,
    impact: IMPACT_OF_SEVERITY[pub.severity],
    status: pub.status,
    components,
    createdAt: pub.createdAt,
    // Internal activity (escalation, acknowledgement, findings) moves the
    // record's updatedAt; the public one moves with public updates only.
    updatedAt: latest([pub.createdAt, ...updates.map((u) => u.at)]) ?? pub.createdAt,
    resolvedAt: pub.status === "resolved" ? (pub.resolvedAt ?? latest(updates.map((u) => u.at)) ?? pub.updatedAt) : null,
    updates,
  };
}

/**
 * A record of the guardian pausing (or unpausing) layers that an announced
 * maintenance covers, made while it was in progress: planned work, shown as
 * the maintenance rather than as an incident.
 */
function forMaintenance(incident: Readonly<Incident>, maintenances: readonly Maintenance[]): boolean {
  if (!/^pause-changed:layer:/.test(incident.key) || incident.affected.layers.length === 0) return false;
  const at = Date.parse(incident.createdAt);
  return maintenances.some(
    (m) =>
      m.startedAt !== undefined &&
      Date.parse(m.startedAt) <= at &&
      (m.completedAt === undefined || at <= Date.parse(m.completedAt)) &&
      incident.affected.layers.every((l) => m.components.includes(l)),
  );
}

/** Every maintenance not completed, and those completed within the history window, latest window first; `by` stays internal. */
function publishMaintenances(maintenances: readonly Maintenance[], cutoff: number): PublishedMaintenance[] {
  return maintenances
    .filter((m) => m.status !== "completed" || Date.parse(m.completedAt ?? m.updatedAt) >= cutoff)
    .sort((a, b) => b.scheduledFor.localeCompare(a.scheduledFor) || a.id.localeCompare(b.id))
    .map((m) => ({
      id: m.id,
      title: m.title,
      status: m.status,
      components: [...m.components],
      scheduledFor: m.scheduledFor,
      scheduledUntil: m.scheduledUntil,
      createdAt: m.createdAt,
      updatedAt: m.updatedAt,
      startedAt: m.startedAt ?? null,
      completedAt: m.completedAt ?? null,
      updates: m.updates.map((u) => ({ id: u.id, status: u.status, body: u.message, at: u.at })),
    }));
}

function pauseReason(layer: LayerState, now: Date): string {
  const who = layer.pausedBy ? PAUSER_TEXT[layer.pausedBy] : "an unknown account";
  if (layer.pausedUntil === null) return `Paused by ${who}.`;
  const until = Date.parse(layer.pausedUntil);
  if (until <= now.getTime()) return `Paused by ${who}; the pause lapsed at ${formatUtc(layer.pausedUntil)} and is being released.`;
  return `Paused by ${who} until ${formatUtc(layer.pausedUntil)} unless the guardian confirms it.`;
}

/** "2025-06-01 14:03 UTC". */
export function formatUtc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

function worstBySeverity(incidents: readonly Incident[]): Incident | undefined {
  const rank: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };
  return [...incidents].sort((a, b) => rank[a.severity] - rank[b.severity] || b.createdAt.localeCompare(a.createdAt))[0];
}

function worseIndicator(a: Indicator, b: Indicator): Indicator {
  return INDICATOR_RANK[b] > INDICATOR_RANK[a] ? b : a;
}

function latest(times: ReadonlyArray<string | null | undefined>): string | null {
  let best: string | null = null;
  for (const t of times) if (t && (best === null || Date.parse(t) > Date.parse(best))) best = t;
  return best;
}

// ---------------------------------------------------------------------------
// Uptime

/** YYYY-MM-DD of a time, in UTC. */
export function utcDate(time: Date | number): string {
  return new Date(time).toISOString().slice(0, 10);
}

function uptimeBuckets(samples: readonly UptimeSample[], now: Date): Record<ComponentId, Component["uptime"]> {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const dates = Array.from({ length: UPTIME_DAYS }, (_, i) => utcDate(today - (UPTIME_DAYS - 1 - i) * DAY_MS));
  const result = {} as Record<ComponentId, Component["uptime"]>;
  for (const id of COMPONENT_IDS) {
    const byDate = new Map<string, { observed: number; up: number }>();
    for (const s of samples) {
      if (s.component !== id) continue;
      const acc = byDate.get(s.date) ?? { observed: 0, up: 0 };
      acc.observed += Math.max(0, s.observedSeconds);
      acc.up += Math.max(0, Math.min(s.upSeconds, s.observedSeconds));
      byDate.set(s.date, acc);
    }
    let observed = 0;
    let up = 0;
    const days: UptimeDay[] = dates.map((date) => {
      const acc = byDate.get(date);
      if (!acc || acc.observed <= 0) return { date, upRatio: null };
      observed += acc.observed;
      up += acc.up;
      return { date, upRatio: Math.min(1, acc.up / acc.observed) };
    });
    // Floored, so that 99.996 % never reads as 100 %.
    const percentage = observed > 0 ? Math.floor((up / observed) * 10_000) / 100 : null;
    result[id] = { days, percentage };
  }
  return result;
}

/**
 * Share of time counted as up in each status. Statuspage's convention: a
 * major outage is all downtime, a partial outage counts 30 % as downtime,
 * degraded performance and maintenance count as up.
 */
export const UP_WEIGHT: Readonly<Record<ComponentStatus, number>> = Object.freeze({
  operational: 1,
  under_maintenance: 1,
  degraded_performance: 1,
  partial_outage: 0.7,
  major_outage: 0,
});

/**
 * Adds the interval [from, to) to the uptime samples, split at UTC midnight,
 * with each component counted up by `UP_WEIGHT` of the status it had during
 * the interval (the daemon calls this at every publish with the statuses it
 * published last). Returns new samples, dropping days older than UPTIME_DAYS.
 * Pure. Intervals longer than `maxGapSeconds` (the daemon was down) are not
 * counted: those days show as having no data rather than as up.
 */
export function accumulateUptime(
  samples: readonly UptimeSample[],
  statuses: Readonly<Partial<Record<ComponentId, ComponentStatus>>>,
  from: Date,
  to: Date,
  maxGapSeconds = 3600,
): UptimeSample[] {
  const out = samples.map((s) => ({ ...s }));
  const startMs = from.getTime();
  const endMs = to.getTime();
  if (!(endMs > startMs) || (endMs - startMs) / 1000 > maxGapSeconds) return prune(out, to);
  for (const [id, status] of Object.entries(statuses) as Array<[ComponentId, ComponentStatus]>) {
    let t = startMs;
    while (t < endMs) {
      const dayEnd = Math.floor(t / DAY_MS) * DAY_MS + DAY_MS;
      const sliceEnd = Math.min(dayEnd, endMs);
      const seconds = (sliceEnd - t) / 1000;
      const date = utcDate(t);
      let sample = out.find((s) => s.component === id && s.date === date);
      if (!sample) {
        sample = { component: id, date, observedSeconds: 0, upSeconds: 0 };
        out.push(sample);
      }
      sample.observedSeconds += seconds;
      sample.upSeconds += seconds * UP_WEIGHT[status];
      t = sliceEnd;
    }
  }
  return prune(out, to);
}

function prune(samples: UptimeSample[], now: Date): UptimeSample[] {
  const oldest = utcDate(now.getTime() - (UPTIME_DAYS - 1) * DAY_MS);
  return samples.filter((s) => s.date >= oldest).sort((a, b) => a.date.localeCompare(b.date) || a.component.localeCompare(b.component));
}

/** The component statuses of a published document, for the next `accumulateUptime`. */
export function componentStatuses(status: Status): Record<ComponentId, ComponentStatus> {
  return Object.fromEntries(status.components.map((c) => [c.id, c.status])) as Record<ComponentId, ComponentStatus>;
}

/** Layers in hub order (re-exported for callers that build `layerStates`). */
export { LAYERS };

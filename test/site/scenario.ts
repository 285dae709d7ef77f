/**
 * Realistic publisher inputs for the site tests: incidents made by the real
 * incidents module (correlateFinding / transition / addTimelineEntry, so
 * private timeline entries, evidence and people's names are in the records
 * and must be stripped), pause states as the daemon reads them from the hub
 * (pauseUntilFromChain), and uptime accumulated with accumulateUptime.
 */
import { addTimelineEntry, correlateFinding, manualIncidentKey, openIncident, transition } from "../../daemon/src/incidents/index.js";
import {
  accumulateUptime,
  pauseUntilFromChain,
  type ComponentStatus,
  type ComponentId,
  type PublishInput,
  type UptimeSample,
} from "../../daemon/src/publish/index.js";
import { scheduleMaintenance, transitionMaintenance, type Maintenance } from "../../daemon/src/maintenance/model.js";
import type { Address, Finding, Hex, Incident, Layer } from "../../daemon/src/types.js";

export const hash = (n: number): Hex => `0x${n.toString(16).padStart(64, "0")}`;
export const addr = (n: number): Address => `0x${n.toString(16).padStart(40, "0")}`;
const minutes = (base: Date, m: number) => new Date(base.getTime() + m * 60_000);

export const CONTRACTS: Record<Layer, Address[]> = {
  entryPoint: [addr(0xa11)],
  accountFactory: [addr(0xfac)],
  delegation: [addr(0xde1)],
};

const AUTO_PAUSE = { entryPoint: true, accountFactory: true, delegation: true } as const;

function finding(overrides: Partial<Finding> & Pick<Finding, "key" | "title" | "severity" | "layers">, at: Date, block: number): Finding {
  return {
    detector: overrides.key.split(":")[0] ?? "test",
    summary: `${overrides.title} (internal summary: signer 0xabc, webhook https://hooks.example.invalid/T0KEN)`,
    contracts: overrides.layers.flatMap((l) => CONTRACTS[l]),
    evidence: { blockNumber: block, blockHash: hash(block), txHash: hash(10_000 + block), logIndex: 0, values: { secretish: "internal-value" } },
    observedAt: at.toISOString(),
    ...overrides,
  };
}

export interface ScenarioOptions {
  /** The publish time. */
  now: Date;
  /**
   * The detector's title of the active delegation incident, and, when given,
   * also the title of a manual incident an operator opened (the XSS dataset
   * puts markup here: a detector's title never reaches the page, an
   * operator's does).
   */
  activeTitle?: string;
  /** An update body for the active incident. */
  activeNote?: string;
}

/**
 * The incidents of the scenario:
 * - resolved: a High account-creation failure rate 3 days ago, responded to and resolved;
 * - active (Critical): delegation redemptions failing, contained by the sentinel pause, a public note;
 * - active (Medium): one RPC endpoint slow, investigating.
 */
export function scenarioIncidents(options: ScenarioOptions): Incident[] {
  const { now } = options;
  const incidents: Record<string, Incident> = {};
  const put = (i: Incident | undefined) => {
    if (i) incidents[i.id] = i;
    return i!;
  };

  // Resolved, 3 days ago.
  const t1 = minutes(now, -3 * 24 * 60);
  let resolved = put(
    correlateFinding(
      incidents,
      finding({ key: "account-creation:rate", title: "Account creation failing (AA13 initCode failed)", severity: "high", layers: ["accountFactory"] }, t1, 900),
      { now: t1, autoPause: AUTO_PAUSE },
    ).incident,
  );
  resolved = transition(resolved, "responding", { now: minutes(t1, 12), by: "alice (on-call)", message: "A misconfigured bundler sends initCode with too little gas; we are working with the bundler operator." });
  resolved = addTimelineEntry(resolved, { kind: "note", message: "internal: bundler contact is bob@example.invalid", public: false }, minutes(t1, 20));
  resolved = transition(resolved, "recovered", { now: minutes(t1, 55), by: "alice (on-call)", message: "The bundler was fixed; account creation succeeds again." });
  put(resolved);

  // Active Critical, contained by the circuit breaker 40 min ago.
  const t2 = minutes(now, -40);
  let critical = put(
    correlateFinding(
      incidents,
      finding(
        { key: "delegation:redeem-failures", title: options.activeTitle ?? "Delegation redemptions failing", severity: "critical", layers: ["delegation"] },
        t2,
        1200,
      ),
      { now: t2, autoPause: AUTO_PAUSE },
    ).incident,
  );
  critical = transition(critical, "contained", {
    now: minutes(t2, 1),
    message: "Guardian's circuit breaker paused delegation redemption to protect funds.",
  });
  critical = addTimelineEntry(
    critical,
    { kind: "note", message: options.activeNote ?? "Redemptions are paused while we investigate an unexpected caveat enforcer failure.\nNo funds have moved.", public: true, by: "carol" },
    minutes(t2, 10),
  );
  put(critical);

  // An operator's own incident, with their words as title and opening (only with activeTitle).
  if (options.activeTitle !== undefined) {
    const id = "0d1e2f30-4a5b-4c6d-8e7f-8091a2b3c4d5";
    put(
      openIncident({
        id,
        key: manualIncidentKey(id),
        title: options.activeTitle,
        message: options.activeNote ?? "Reported by an operator.",
        severity: "medium",
        affected: { layers: ["delegation"], contracts: [] },
        source: "manual",
        now: minutes(t2, 5),
        by: "erin (on-call)",
      }),
    );
  }

  // Active Medium on the RPC, just detected (an RPC finding carries no layer).
  const t3 = minutes(now, -15);
  put(
    correlateFinding(
      incidents,
      finding({ key: "rpc-health:latency", detector: "rpc-health", title: "One RPC endpoint answers slowly", severity: "medium", layers: [] }, t3, 1290),
      { now: t3, autoPause: AUTO_PAUSE },
    ).incident,
  );

  return Object.values(incidents);
}

/** 90 days of uptime: mostly up, a few bad days, the first 10 days without data. */
export function scenarioUptime(now: Date): UptimeSample[] {
  let samples: UptimeSample[] = [];
  const dayMs = 86_400_000;
  const todayStart = Math.floor(now.getTime() / dayMs) * dayMs;
  for (let d = 79; d >= 0; d--) {
    const start = todayStart - d * dayMs;
    const end = d === 0 ? now.getTime() : start + dayMs;
    const statuses: Partial<Record<ComponentId, ComponentStatus>> = {
      entryPoint: "operational",
      accountFactory: d === 3 ? "partial_outage" : "operational",
      delegation: d === 0 ? "major_outage" : "operational",
      rpc: d === 40 ? "major_outage" : "operational",
    };
    // The daemon publishes once a minute; a coarse 1-hour step is enough here.
    for (let t = start; t < end; t += 3_600_000) {
      const to = Math.min(t + 3_600_000, end);
      samples = accumulateUptime(samples, statuses, new Date(t), new Date(to), 3600);
    }
  }
  return samples;
}

/**
 * The full publisher input: EntryPoint operational, AccountFactory paused by
 * the guardian (indefinite), Delegation paused by the sentinel until +50 min,
 * RPC degraded (1 of 3 endpoints down, and the Medium incident).
 */
export function scenarioInput(options: ScenarioOptions): PublishInput {
  const now = options.now;
  const head = 1300;
  const sentinelUntil = BigInt(Math.floor(now.getTime() / 1000) + 50 * 60);
  return {
    page: { name: "Guardian status", url: null },
    incidents: scenarioIncidents(options),
    layerStates: {
      entryPoint: { paused: false, pausedBy: null, pausedUntil: null, incidentRef: null, contracts: CONTRACTS.entryPoint, blockNumber: head, blockHash: hash(head) },
      accountFactory: {
        paused: true,
        pausedBy: "guardian",
        pausedUntil: pauseUntilFromChain(((1n << 64n) - 1n).toString()),
        pausedAt: minutes(now, -90).toISOString(),
        incidentRef: hash(0x1ef),
        contracts: CONTRACTS.accountFactory,
        blockNumber: head,
        blockHash: hash(head),
      },
      delegation: {
        paused: true,
        pausedBy: "sentinel",
        pausedUntil: pauseUntilFromChain(sentinelUntil.toString()),
        pausedAt: minutes(now, -39).toISOString(),
        incidentRef: hash(0xde1e),
        contracts: CONTRACTS.delegation,
        blockNumber: head,
        blockHash: hash(head),
      },
    },
    rpc: { health: "degraded", endpointsUp: 2, endpointsTotal: 3, head: head + 1, changedAt: minutes(now, -5).toISOString() },
    chain: { chainId: 138, blockNumber: head, blockHash: hash(head), blockTimestamp: Math.floor(now.getTime() / 1000) - 2 },
    uptime: scenarioUptime(now),
    expectedIntervalSeconds: 60,
    componentsCreatedAt: minutes(now, -200 * 24 * 60).toISOString(),
  };
}

/**
 * Maintenances around `now`: one completed two days ago (delegation), one in
 * progress (EntryPoint's paymaster), one scheduled for tomorrow (the factory).
 */
export function scenarioMaintenances(now: Date): Maintenance[] {
  const by = "dave (ops)";
  let done = scheduleMaintenance({ title: "DelegationManager upgrade", components: ["delegation"], from: minutes(now, -2 * 24 * 60), until: minutes(now, -2 * 24 * 60 + 60), by, now: minutes(now, -5 * 24 * 60) });
  done = transitionMaintenance(done, "in_progress", { now: minutes(now, -2 * 24 * 60), by });
  done = transitionMaintenance(done, "completed", { now: minutes(now, -2 * 24 * 60 + 40), by, message: "The upgrade is done; redemptions work as before." });
  let running = scheduleMaintenance({ title: "Paymaster key rotation", components: ["entryPoint"], from: minutes(now, -10), until: minutes(now, 50), by, now: minutes(now, -3 * 24 * 60), message: "Sponsored operations may be refused for up to an hour." });
  running = transitionMaintenance(running, "in_progress", { now: minutes(now, -10), by });
  const upcoming = scheduleMaintenance({ title: "Account factory migration", components: ["accountFactory"], from: minutes(now, 24 * 60), until: minutes(now, 26 * 60), by, now: minutes(now, -60) });
  return [done, running, upcoming];
}

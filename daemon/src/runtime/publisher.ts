/**
 * Publishes the public status every interval (and soon after an incident
 * changes): reads the hub's layer states at the last processed block, the
 * store's incidents and the pool's health, builds status.json and the
 * Statuspage v2 files (pure publish/ code), writes them, and, when asked,
 * rebuilds the static site. Uptime samples travel in the store between
 * publications so a restart keeps the 90-day bars.
 */
import { getAddress, parseAbi, type Address, type Hex, type PublicClient } from "viem";
import { readBatch, type BatchRead, type BatchTransport } from "./batch-read.js";
import type { RpcPool } from "../chain/index.js";
import type { Deployment } from "../deploy/guardian.js";
import {
  accumulateUptime,
  buildStatus,
  componentStatuses,
  pauseUntilFromChain,
  writeStatusFiles,
  type LayerState,
  type RpcState,
  type Status,
  type UptimeSample,
} from "../publish/index.js";
import type { Secret } from "../config/index.js";
import { readMaintenances } from "../maintenance/file.js";
import { subscriberEvents } from "../publish/events.js";
import { outboxPersister } from "../respond/notify/notifier.js";
import { deliverSubscriberEvents, enqueueSubscriberEvents, pruneSubscriberEvents, type Subscriber } from "../respond/subscribers.js";
import { incidentsWithHistory, type GuardianStore } from "../store/index.js";
import { LAYER_ID, LAYERS, type Layer } from "../types.js";

const hubReadAbi = parseAbi([
  "struct LayerState { bool paused; bool bySentinel; uint64 pausedUntil; uint64 sentinelCooldownUntil; bytes32 incident; }",
  "function layerState(uint8 layer) view returns (LayerState)",
  "function layerTargets(uint8 layer) view returns (address[])",
]);
const pausableAbi = parseAbi(["function paused() view returns (bool)"]);

/** Archived incidents the status page may still show (buildStatus keeps 200 at most). */
const PUBLISHED_ARCHIVED = 200;

export interface StatusPublisherOptions {
  store: GuardianStore;
  /** Unused: reads go through `pool` as one batch per publication. Kept for callers that still pass it. */
  client?: PublicClient;
  pool: RpcPool;
  deployment: Deployment;
  publicDir: string;
  intervalSeconds: number;
  /** Runs after each publication (the run command rebuilds the static site here). */
  onPublished?: (statusFile: string, status: Status) => Promise<void>;
  pageName?: string;
  pageUrl?: string | null;
  /** Replicas: publish only while this replica leads. */
  mayPublish?: () => boolean;
  /** Webhooks that receive the public events between publications (config.subscribers), and the webhook URLs (config.secrets.webhooks). */
  subscribers?: readonly Subscriber[];
  webhooks?: Readonly<Record<string, Secret>>;
  /** The data directory whose maintenance.json (`guardian maintenance`) is read at each publication; none: no maintenances. */
  maintenanceDir?: string;
  clock: () => Date;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * Reads each layer's pause state at `block` — the hub's record, checked
 * against the targets themselves — and the block's timestamp, as one
 * JSON-RPC batch. `expectedTargets` (the deployment's) are read in the same
 * batch; a target the hub names beyond them costs a second batch.
 */
export async function readLayerStates(
  pool: BatchTransport,
  hub: Address,
  block: { number: number; hash: Hex },
  expectedTargets: readonly Address[] = [],
): Promise<{ layers: Partial<Record<Layer, LayerState>>; timestamp: number }> {
  const at = { number: block.number };
  const guessed = [...new Set(expectedTargets.map((t) => getAddress(t)))];
  const paused = (t: Address): BatchRead => ({ call: { address: t, abi: pausableAbi, functionName: "paused" }, allowFailure: true });
  const reads: BatchRead[] = [
    { timestamp: true },
    ...LAYERS.map((l): BatchRead => ({ call: { address: hub, abi: hubReadAbi, functionName: "layerState", args: [LAYER_ID[l]] } })),
    ...LAYERS.map((l): BatchRead => ({ call: { address: hub, abi: hubReadAbi, functionName: "layerTargets", args: [LAYER_ID[l]] } })),
    ...guessed.map(paused),
  ];
  const results = await readBatch(pool, at, reads);
  const timestamp = results[0] as number;
  const states = results.slice(1, 1 + LAYERS.length) as Array<{ paused: boolean; bySentinel: boolean; pausedUntil: bigint; incident: Hex }>;
  const targetsOf = results.slice(1 + LAYERS.length, 1 + 2 * LAYERS.length) as Address[][];
  const pausedOf = new Map<string, boolean>();
  guessed.forEach((t, i) => pausedOf.set(t, results[1 + 2 * LAYERS.length + i] === true));
  const missing = [...new Set(targetsOf.flat().map((t) => getAddress(t)))].filter((t) => !pausedOf.has(t));
  if (missing.length) {
    const more = await readBatch(pool, at, missing.map(paused));
    missing.forEach((t, i) => pausedOf.set(t, more[i] === true));
  }
  const layers: Partial<Record<Layer, LayerState>> = {};
  LAYERS.forEach((layer, i) => {
    const state = states[i]!;
    const targets = targetsOf[i]!.map((t) => getAddress(t));
    const foreign = !state.paused && targets.some((t) => pausedOf.get(t) === true);
    layers[layer] = {
      paused: state.paused || foreign,
      pausedBy: state.paused ? (state.bySentinel ? "sentinel" : "guardian") : foreign ? "foreign" : null,
      pausedUntil: state.paused ? pauseUntilFromChain(state.pausedUntil) : null,
      incidentRef: state.paused && BigInt(state.incident) !== 0n ? state.incident : null,
      contracts: targets,
      blockNumber: block.number,
      blockHash: block.hash,
    };
  });
  return { layers, timestamp };
}

export function rpcStateOf(pool: RpcPool): RpcState {
  const stats = pool.stats();
  const total = stats.endpoints.length;
  const up = stats.endpoints.filter((e) => e.status === "up").length;
  // A rate-limited endpoint answers, slower than asked: the RPC is degraded, not down.
  const answering = up + stats.endpoints.filter((e) => e.status === "limited").length;
  return {
    health: stats.unavailableSinceMs !== undefined || answering === 0 ? "down" : up < total ? "degraded" : "healthy",
    endpointsUp: answering,
    endpointsTotal: total,
    head: stats.head?.number ?? null,
  };
}

export class StatusPublisher {
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  last: Status | undefined;

  constructor(private readonly o: StatusPublisherOptions) {}

  start() {
    this.timer = setInterval(() => this.requestPublish(0), this.o.intervalSeconds * 1000);
    this.requestPublish(1000);
  }

  /** Publishes shortly (debounced), e.g. after an incident changed. */
  requestPublish(delayMs = 500) {
    if (this.stopped || this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.running = this.running.then(async () => void (await this.publish())).catch((e) => this.o.log?.("status publication failed", { err: (e as Error).message }));
    }, delayMs);
  }

  async stop() {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    await this.running;
  }

  /** The operators' maintenances; a broken file is logged and publishes as none (it must not stop the status page). */
  private maintenances() {
    if (!this.o.maintenanceDir) return [];
    try {
      return readMaintenances(this.o.maintenanceDir);
    } catch (error) {
      this.o.log?.("maintenance file unreadable: published without maintenances", { err: (error as Error).message });
      return [];
    }
  }

  /** One publication; returns the status written, or undefined before the first processed block (or on a replica that does not lead). */
  async publish(): Promise<Status | undefined> {
    const { store, pool, deployment, clock } = this.o;
    if (this.o.mayPublish && !this.o.mayPublish()) return undefined;
    const data = store.read();
    const tip = data.chain.ring.at(-1);
    if (!tip) return undefined;
    const now = clock();
    const expected = [deployment.guardian.paymaster, deployment.guardian.accountFactory, deployment.kit.DelegationManager] as Address[];
    const { layers: layerStates, timestamp } = await readLayerStates(pool, getAddress(deployment.guardian.hub), { number: tip.number, hash: tip.hash as Hex }, expected);
    const prev = data.publish;
    const uptime = accumulateUptime(
      (prev?.uptime ?? []) as unknown as UptimeSample[],
      (prev?.lastStatuses ?? {}) as Parameters<typeof accumulateUptime>[1],
      prev?.lastPublishedAt ? new Date(prev.lastPublishedAt) : now,
      now,
    );
    const status = buildStatus(
      {
        page: { name: this.o.pageName ?? `Smart accounts on chain ${deployment.chainId}`, url: this.o.pageUrl ?? null },
        // Hot incidents and the newest archived ones (buildStatus keeps at most 200, resolved within 90 days).
        incidents: await incidentsWithHistory(store, PUBLISHED_ARCHIVED),
        layerStates,
        rpc: rpcStateOf(this.o.pool),
        chain: { chainId: deployment.chainId, blockNumber: tip.number, blockHash: tip.hash as Hex, blockTimestamp: timestamp },
        uptime,
        expectedIntervalSeconds: this.o.intervalSeconds,
        componentsCreatedAt: deployment.deployedAt,
        maintenances: this.maintenances(),
      },
      now,
    );
    const { statusFile } = writeStatusFiles(this.o.publicDir, status);
    // What changed since the last publication of this run, for the subscribers (none after a restart: they get changes, not history).
    const events = this.o.subscribers?.length ? subscriberEvents(this.last, status) : [];
    await store.update((draft) => {
      draft.publish = { uptime: uptime as unknown as Array<Record<string, unknown>>, lastPublishedAt: now.toISOString(), lastStatuses: componentStatuses(status) };
      if (events.length) enqueueSubscriberEvents(draft.outbox, events, this.o.subscribers!, now);
      if (this.o.subscribers?.length) draft.outbox = pruneSubscriberEvents(draft.outbox, now);
    });
    if (this.o.subscribers?.length && (!this.o.mayPublish || this.o.mayPublish())) {
      await deliverSubscriberEvents(store.read().outbox, { webhooks: this.o.webhooks ?? {}, persist: outboxPersister(store), clock: this.o.clock, ...(this.o.log ? { log: this.o.log } : {}) });
    }
    this.last = status;
    await this.o.onPublished?.(statusFile, status);
    return status;
  }
}

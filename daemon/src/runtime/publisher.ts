/**
 * Publishes the public status every interval (and soon after an incident
 * changes): reads the hub's layer states at the last processed block, the
 * store's incidents and the pool's health, builds status.json and the
 * Statuspage v2 files (pure publish/ code), writes them, and, when asked,
 * rebuilds the static site. Uptime samples travel in the store between
 * publications so a restart keeps the 90-day bars.
 */
import { getAddress, parseAbi, type Address, type Hex, type PublicClient } from "viem";
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
import type { GuardianStore } from "../store/index.js";
import { LAYER_ID, LAYERS, type Layer } from "../types.js";

const hubReadAbi = parseAbi([
  "struct LayerState { bool paused; bool bySentinel; uint64 pausedUntil; uint64 sentinelCooldownUntil; bytes32 incident; }",
  "function layerState(uint8 layer) view returns (LayerState)",
  "function layerTargets(uint8 layer) view returns (address[])",
]);
const pausableAbi = parseAbi(["function paused() view returns (bool)"]);

export interface StatusPublisherOptions {
  store: GuardianStore;
  client: PublicClient;
  pool: RpcPool;
  deployment: Deployment;
  publicDir: string;
  intervalSeconds: number;
  /** Runs after each publication (the run command rebuilds the static site here). */
  onPublished?: (statusFile: string, status: Status) => Promise<void>;
  pageName?: string;
  pageUrl?: string | null;
  clock: () => Date;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/** Reads each layer's pause state at `blockNumber`: the hub's record, checked against the targets themselves. */
export async function readLayerStates(client: PublicClient, hub: Address, block: { number: number; hash: Hex }): Promise<Partial<Record<Layer, LayerState>>> {
  const out: Partial<Record<Layer, LayerState>> = {};
  const blockNumber = BigInt(block.number);
  await Promise.all(
    LAYERS.map(async (layer) => {
      const [state, targets] = await Promise.all([
        client.readContract({ address: hub, abi: hubReadAbi, functionName: "layerState", args: [LAYER_ID[layer]], blockNumber }),
        client.readContract({ address: hub, abi: hubReadAbi, functionName: "layerTargets", args: [LAYER_ID[layer]], blockNumber }),
      ]);
      const targetPaused = await Promise.all(targets.map((t) => client.readContract({ address: t, abi: pausableAbi, functionName: "paused", blockNumber }).catch(() => false)));
      const foreign = !state.paused && targetPaused.some(Boolean);
      out[layer] = {
        paused: state.paused || foreign,
        pausedBy: state.paused ? (state.bySentinel ? "sentinel" : "guardian") : foreign ? "foreign" : null,
        pausedUntil: state.paused ? pauseUntilFromChain(state.pausedUntil) : null,
        incidentRef: state.paused && BigInt(state.incident) !== 0n ? state.incident : null,
        contracts: targets.map((t) => getAddress(t)),
        blockNumber: block.number,
        blockHash: block.hash,
      };
    }),
  );
  return out;
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

  /** One publication; returns the status written, or undefined before the first processed block. */
  async publish(): Promise<Status | undefined> {
    const { store, client, deployment, clock } = this.o;
    const data = store.read();
    const tip = data.chain.ring.at(-1);
    if (!tip) return undefined;
    const now = clock();
    const block = await client.getBlock({ blockHash: tip.hash as Hex });
    const layerStates = await readLayerStates(client, getAddress(deployment.guardian.hub), tip);
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
        incidents: Object.values(data.incidents),
        layerStates,
        rpc: rpcStateOf(this.o.pool),
        chain: { chainId: deployment.chainId, blockNumber: tip.number, blockHash: tip.hash as Hex, blockTimestamp: Number(block.timestamp) },
        uptime,
        expectedIntervalSeconds: this.o.intervalSeconds,
        componentsCreatedAt: deployment.deployedAt,
      },
      now,
    );
    const { statusFile } = writeStatusFiles(this.o.publicDir, status);
    await store.update((draft) => {
      draft.publish = { uptime: uptime as unknown as Array<Record<string, unknown>>, lastPublishedAt: now.toISOString(), lastStatuses: componentStatuses(status) };
    });
    this.last = status;
    await this.o.onPublished?.(statusFile, status);
    return status;
  }
}

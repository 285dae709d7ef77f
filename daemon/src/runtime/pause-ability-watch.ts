/**
 * Reads what Guardian's ability to pause depends on — the sentinel's role,
 * gas and heartbeat, the guardian Safe's role and configuration, the hub's
 * ownership of the DelegationManager, sentinel pauses nearing their end, and
 * when configured (`safe.presigned`) the pre-signed pause files against the
 * Safe's nonce and owners — at
 * the last processed block, every interval, and feeds the pure pause-ability
 * detector. Its state (the Safe's baseline configuration) is kept in the
 * store so a change made while the daemon was down is still noticed.
 */
import { getAddress, keccak256, parseAbi, toHex, type Address, type Hex } from "viem";
import { readBatch, type BatchRead, type BatchTransport } from "./batch-read.js";
import type { Deployment } from "../deploy/guardian.js";
import {
  initialPauseAbilityState,
  pauseAbility,
  pausePaths,
  PAUSE_ABILITY_DEFAULTS,
  type PauseAbilityFacts,
  type PauseAbilityState,
  type PauseAbilityThresholds,
  type PresignedFacts,
} from "../detectors/pause-ability.js";
import { presignedStanding, readPresigned, summarizePresigned } from "../respond/presign.js";
import { LivenessTracker } from "../respond/signer-liveness.js";
import type { GuardianStore } from "../store/index.js";
import { LAYER_ID, LAYERS, type Finding, type Layer } from "../types.js";

const abi = parseAbi([
  "struct LayerState { bool paused; bool bySentinel; uint64 pausedUntil; uint64 sentinelCooldownUntil; bytes32 incident; }",
  "function layerState(uint8 layer) view returns (LayerState)",
  "function hasRole(bytes32 role, address account) view returns (bool)",
  "function lastHeartbeat(address sentinel) view returns (uint64)",
  "function getOwners() view returns (address[])",
  "function getThreshold() view returns (uint256)",
  "function owner() view returns (address)",
  "function sentinelPauseDuration() view returns (uint64)",
  "function nonce() view returns (uint256)",
]);
const SENTINEL_ROLE = keccak256(toHex("SENTINEL_ROLE"));
const GUARDIAN_ROLE = keccak256(toHex("GUARDIAN_ROLE"));
const STATE_KEY = "pauseAbility";

export interface PauseAbilityWatchOptions {
  store: GuardianStore;
  /** The RPC pool: each check's reads go out as one JSON-RPC batch. */
  pool: BatchTransport;
  deployment: Deployment;
  sentinel?: Address;
  thresholds?: Partial<PauseAbilityThresholds>;
  intervalSeconds: number;
  clock: () => Date;
  /** Folds findings into incidents (the daemon's `raise`). */
  raise: (findings: Finding[]) => Promise<void>;
  /**
   * Pre-signed pause files (or directories of them) to keep an eye on: a
   * finding when none can be fired at the Safe's nonce, or the Safe changed
   * since they were signed. Read at each check; adds one read (the nonce).
   */
  presigned?: string[];
  /**
   * Signer liveness: each owner's latest proof (signed Safe transaction,
   * approveHash, attestation file) against `maxAgeDays`. The first check
   * scans the Safe's logs of the last `lookbackBlocks`; later checks only
   * the new blocks.
   */
  liveness?: { maxAgeDays: number; attestations: string[]; lookbackBlocks: number; maxLogRange?: number };
  /** After each check: whether each pause path works (metrics). */
  onPaths?: (paths: { sentinel: boolean; safe: boolean }) => void;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/** Everything the pause-ability detector reads, at `block`, in one JSON-RPC batch. */
export async function readPauseAbilityFacts(
  pool: BatchTransport,
  d: Deployment,
  sentinel: Address | undefined,
  block: { number: number; hash: Hex },
  now: Date,
  presigned?: string[],
): Promise<PauseAbilityFacts> {
  const hub = getAddress(d.guardian.hub);
  const safe = getAddress(d.guardian.safe);
  const call = (address: Address, functionName: string, args: unknown[] = []): BatchRead => ({ call: { address, abi, functionName, args } });
  const reads: BatchRead[] = [
    { timestamp: true },
    call(hub, "hasRole", [GUARDIAN_ROLE, safe]),
    call(safe, "getOwners"),
    call(safe, "getThreshold"),
    call(getAddress(d.kit.DelegationManager), "owner"),
    call(hub, "sentinelPauseDuration"),
    ...LAYERS.map((l) => call(hub, "layerState", [LAYER_ID[l]])),
  ];
  if (sentinel) reads.push(call(hub, "hasRole", [SENTINEL_ROLE, sentinel]), { balance: sentinel }, call(hub, "lastHeartbeat", [sentinel]));
  if (presigned?.length) reads.push(call(safe, "nonce"));
  const r = await readBatch(pool, { number: block.number }, reads);
  const [timestamp, guardianHasRole, owners, threshold, dmOwner, pauseDuration] = r as [number, boolean, Address[], bigint, Address, bigint];
  const layerStates = r.slice(6, 6 + LAYERS.length) as Array<{ paused: boolean; bySentinel: boolean; pausedUntil: bigint }>;
  const facts: PauseAbilityFacts = {
    observedAt: now.toISOString(),
    chainTime: timestamp,
    block,
    hub,
    guardian: { safe, hasRole: guardianHasRole, owners: owners.map((o) => getAddress(o)), threshold: Number(threshold) },
    delegationOwner: { owner: getAddress(dmOwner), expected: hub },
    sentinelPauseDuration: Number(pauseDuration),
    layers: Object.fromEntries(
      LAYERS.map((l, i) => {
        const s = layerStates[i]!;
        const until = s.pausedUntil >= (1n << 63n) ? Number.MAX_SAFE_INTEGER : Number(s.pausedUntil);
        return [l, { paused: s.paused, bySentinel: s.bySentinel, pausedUntil: until }];
      }),
    ) as Record<Layer, { paused: boolean; bySentinel: boolean; pausedUntil: number }>,
  };
  if (sentinel) {
    const [hasRole, balance, heartbeat] = r.slice(6 + LAYERS.length) as [boolean, bigint, bigint];
    facts.sentinel = { address: sentinel, hasRole, balanceWei: balance.toString(), lastHeartbeat: Number(heartbeat) };
  }
  if (presigned?.length) {
    const safeNonce = Number(r.at(-1) as bigint);
    facts.presigned = await presignedFacts(presigned, safe, d.chainId, { nonce: safeNonce, owners: facts.guardian.owners, threshold: facts.guardian.threshold });
  }
  return facts;
}

/** How the pre-signed pause files stand against the Safe (files read locally, signatures recovered locally). */
export async function presignedFacts(paths: string[], safe: Address, chainId: number, now: { nonce: number; owners: Address[]; threshold: number }): Promise<PresignedFacts> {
  const source = paths.join(", ");
  try {
    const { proposals } = readPresigned(paths, safe, chainId);
    const standing = presignedStanding(await summarizePresigned(proposals), now);
    return {
      source,
      safeNonce: now.nonce,
      ...(standing.highestNonce !== undefined ? { highestNonce: standing.highestNonce } : {}),
      validNonces: standing.validNonces,
      readyNow: standing.readyNow,
      configChanged: standing.configChanged,
    };
  } catch (e) {
    return { source, safeNonce: now.nonce, validNonces: [], readyNow: false, configChanged: [], error: (e as Error).message.split("\n")[0]!.slice(0, 200) };
  }
}

/** The watch's liveness options from the config: the lookback covers `maxAgeDays` of blocks. */
export function livenessOptions(config: { blockTimeMs: number; follower: { maxLogRange: number }; safe: { liveness?: { maxAgeDays: number; attestations: readonly string[] } } }) {
  const l = config.safe.liveness!;
  return {
    maxAgeDays: l.maxAgeDays,
    attestations: [...l.attestations],
    lookbackBlocks: Math.ceil((l.maxAgeDays * 86_400_000) / config.blockTimeMs) + 1,
    maxLogRange: config.follower.maxLogRange,
  };
}

export class PauseAbilityWatch {
  private timer: NodeJS.Timeout | undefined;
  private first: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private readonly liveness: LivenessTracker | undefined;

  constructor(private readonly o: PauseAbilityWatchOptions) {
    const l = o.liveness;
    this.liveness = l
      ? new LivenessTracker({ safe: getAddress(o.deployment.guardian.safe), chainId: o.deployment.chainId, attestations: l.attestations, lookbackBlocks: l.lookbackBlocks, ...(l.maxLogRange ? { maxLogRange: l.maxLogRange } : {}) })
      : undefined;
  }

  /** Checks every interval; the first check waits a few seconds so the daemon's first heartbeat can land. */
  start() {
    this.timer = setInterval(() => this.tick(), this.o.intervalSeconds * 1000);
    this.first = setTimeout(() => this.tick(), Math.min(5, this.o.intervalSeconds) * 1000);
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    if (this.first) clearTimeout(this.first);
    await this.running;
  }

  private tick() {
    this.running = this.running.then(async () => void (await this.check())).catch((e) => this.o.log?.("pause-ability check failed", { err: (e as Error).message.split("\n")[0] }));
  }

  /** One check; returns the findings it raised. */
  async check(): Promise<Finding[]> {
    const data = this.o.store.read();
    const tip = data.chain.ring.at(-1);
    if (!tip) return [];
    const facts = await readPauseAbilityFacts(this.o.pool, this.o.deployment, this.o.sentinel, { number: tip.number, hash: tip.hash as Hex }, this.o.clock(), this.o.presigned);
    if (this.liveness && this.o.liveness) {
      const { latest, rejected } = await this.liveness.update((method, params) => this.o.pool.request(method, params), tip.number);
      for (const r of rejected) this.o.log?.("attestation refused", { reason: r });
      facts.signers = {
        maxAgeSeconds: Math.round(this.o.liveness.maxAgeDays * 86_400),
        owners: facts.guardian.owners.map((owner) => {
          const p = latest.get(getAddress(owner));
          return { owner, ...(p ? { lastProof: { time: p.time, block: p.block, source: p.source } } : {}) };
        }),
      };
    }
    const state = ((data.detectorState as Record<string, unknown>)[STATE_KEY] as PauseAbilityState | undefined) ?? initialPauseAbilityState();
    const thresholds = { ...PAUSE_ABILITY_DEFAULTS, ...this.o.thresholds };
    const { findings, nextState } = pauseAbility(facts, state, thresholds);
    this.o.onPaths?.(pausePaths(facts, thresholds));
    if (JSON.stringify(nextState) !== JSON.stringify(state)) {
      await this.o.store.update((draft) => {
        (draft.detectorState as Record<string, unknown>)[STATE_KEY] = nextState;
      });
    }
    if (findings.length) await this.o.raise(findings);
    return findings;
  }
}

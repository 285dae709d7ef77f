/**
 * The pipeline: runs the detectors over what the follower produced. Pure:
 * (facts, state, config) → { findings, nextState }. The caller persists
 * `nextState` in the same atomic write as the block's checkpoint (the
 * FollowerSink), so a restart resumes with exactly the state the last
 * committed block left. After a reorg, restore the state saved with the
 * ancestor block (or re-derive it): the state of dropped blocks must go.
 *
 * Three entry points, one per kind of fact:
 * - processBlock: a committed block (decode → pause-changed; with `kit`
 *   configured, the kit's symptoms: account-creation, user-operations,
 *   delegation, gas-spike, security, outflow). The wiring adds the revert
 *   data of the block's reverted transactions first (enrich.ts);
 * - processReorg: a rewound or too-deep reorg (chain-reorg);
 * - processHealth: the pool's and follower's health (rpc-health);
 * - processProbes: a round of synthetic user journeys (probes).
 */
import { decodeLogs, type DecodeConfig } from "../decode/events.js";
import { CHAIN_REORG_DEFAULTS, chainReorg, type ChainReorgThresholds } from "../detectors/chain-reorg.js";
import {
  PAUSE_CHANGED_DEFAULTS,
  initialPauseChangedState,
  pauseChanged,
  type PauseChangedState,
  type PauseChangedThresholds,
} from "../detectors/pause-changed.js";
import {
  initialRpcHealthState,
  rpcHealth,
  rpcHealthDefaults,
  type RpcHealthState,
  type RpcHealthThresholds,
} from "../detectors/rpc-health.js";
import { decodeKitBlock, type KitBlock } from "../decode/kit-block.js";
import {
  ACCOUNT_CREATION_DEFAULTS,
  accountCreation,
  initialAccountCreationState,
  type AccountCreationState,
  type AccountCreationThresholds,
} from "../detectors/account-creation.js";
import { DELEGATION_DEFAULTS, delegation, initialDelegationState, type DelegationState, type DelegationThresholds } from "../detectors/delegation.js";
import { GAS_SPIKE_DEFAULTS, gasSpike, initialGasSpikeState, type GasSpikeState, type GasSpikeThresholds } from "../detectors/gas-spike.js";
import { OUTFLOW_DEFAULTS, initialOutflowState, outflow, type OutflowState, type OutflowThresholds } from "../detectors/outflow.js";
import { PROBE_DEFAULTS, initialProbesState, probes, type ProbesState, type ProbeThresholds } from "../detectors/probes.js";
import { SECURITY_DEFAULTS, security, type SecurityThresholds } from "../detectors/security.js";
import { PREEMPT_DEFAULTS, preempt, type PreemptThresholds } from "../detectors/preempt.js";
import type { PendingKit } from "../decode/pending.js";
import type { LayerPauses } from "../detectors/symptom.js";
import {
  USER_OPERATIONS_DEFAULTS,
  initialUserOperationsState,
  userOperations,
  type UserOperationsState,
  type UserOperationsThresholds,
} from "../detectors/user-operations.js";
import type { Address, BlockFacts, DecodedEvent, Finding, Layer, ProbeRound, ReorgFacts, ReorgTooDeepFacts, RpcHealthFacts } from "../types.js";
import type { BlockEnrichment } from "./enrich.js";
import type { KitWatchConfig } from "./kit-config.js";

/** Overrides of a detector's thresholds: any field, and any of its severities. */
export type Overrides<T> = Partial<Omit<T, "severity">> & (T extends { severity: infer S } ? { severity?: S extends object ? Partial<S> : S } : unknown);

export interface PipelineConfig {
  chainId: number;
  blockTimeMs: number;
  /** The hub and the pausable targets (addresses lowercase or checksummed). */
  decode: DecodeConfig;
  pauseChanged?: Partial<PauseChangedThresholds>;
  rpcHealth?: Partial<Omit<RpcHealthThresholds, "severity">> & { severity?: Partial<RpcHealthThresholds["severity"]> };
  chainReorg?: Partial<ChainReorgThresholds>;
  /**
   * The kit's and Guardian's contracts by role and who may govern them
   * (`kitWatchConfig(deployment)`): turns on the kit detectors. Without it
   * only the base-fee half of gas-spike runs.
   */
  kit?: KitWatchConfig;
  accountCreation?: Overrides<AccountCreationThresholds>;
  userOperations?: Overrides<UserOperationsThresholds>;
  delegation?: Overrides<DelegationThresholds>;
  gasSpike?: Overrides<GasSpikeThresholds>;
  security?: Overrides<SecurityThresholds>;
  outflow?: Overrides<OutflowThresholds>;
  probes?: Overrides<ProbeThresholds>;
}

/** Every detector's window state; JSON. */
export interface PipelineState {
  pauseChanged: PauseChangedState;
  rpcHealth: RpcHealthState;
  /**
   * The kit detectors' windows (bounded: at most one small sample per block
   * of their windows). Optional so that a state persisted before they existed
   * still loads: processBlock starts a missing one afresh.
   */
  accountCreation?: AccountCreationState;
  userOperations?: UserOperationsState;
  delegation?: DelegationState;
  gasSpike?: GasSpikeState;
  outflow?: OutflowState;
  /** The probes' streaks (probes arrive on a timer, not with blocks: kept in memory like rpc-health's). */
  probes?: ProbesState;
}

export interface PipelineResult {
  findings: Finding[];
  nextState: PipelineState;
}

export function initialPipelineState(): PipelineState {
  return {
    pauseChanged: initialPauseChangedState(),
    rpcHealth: initialRpcHealthState(),
    accountCreation: initialAccountCreationState(),
    userOperations: initialUserOperationsState(),
    delegation: initialDelegationState(),
    gasSpike: initialGasSpikeState(),
    outflow: initialOutflowState(),
  };
}

/**
 * Runs the block detectors over one committed block. Also returns the
 * decoded events (for the timeline). `facts.revertData` (enrich.ts) explains
 * the block's reverted transactions; without it their causes are "unknown".
 */
export function processBlock(
  facts: BlockFacts & BlockEnrichment,
  state: PipelineState,
  config: PipelineConfig,
): PipelineResult & { events: DecodedEvent[] } {
  const events = decodeLogs(facts.logs, config.decode);
  const pause = pauseChanged(
    { block: facts.block, events, ...(config.decode.hub ? { hub: config.decode.hub } : {}), observedAt: facts.observedAt },
    state.pauseChanged,
    { ...PAUSE_CHANGED_DEFAULTS, ...defined(config.pauseChanged) },
  );
  const findings = [...pause.findings];
  const next: PipelineState = { ...state, pauseChanged: pause.nextState };

  const kitConfig = config.kit;
  const kit: KitBlock | undefined = kitConfig ? decodeKitBlock(facts, kitConfig.contracts, facts.revertData) : undefined;
  const c = kitConfig?.contracts ?? {};
  const gas = gasSpike(
    { block: facts.block, ...(kit ? { kit } : {}), ...(c.entryPoint ? { entryPoint: c.entryPoint } : {}), observedAt: facts.observedAt },
    state.gasSpike ?? initialGasSpikeState(),
    thresholds(GAS_SPIKE_DEFAULTS, config.gasSpike),
  );
  next.gasSpike = gas.nextState;

  if (kit && kitConfig) {
    const pauses = layerPauses(pause.nextState, config);
    const creation = accountCreation(
      { kit, pauses, ...(c.accountFactory ? { factory: c.accountFactory } : {}), ...(c.entryPoint ? { entryPoint: c.entryPoint } : {}) },
      state.accountCreation ?? initialAccountCreationState(),
      thresholds(ACCOUNT_CREATION_DEFAULTS, config.accountCreation),
    );
    const ops = userOperations(
      { kit, pauses, ...(c.entryPoint ? { entryPoint: c.entryPoint } : {}), ...(c.paymaster ? { paymaster: c.paymaster } : {}) },
      state.userOperations ?? initialUserOperationsState(),
      thresholds(USER_OPERATIONS_DEFAULTS, config.userOperations),
    );
    const redemptions = delegation(
      { kit, pauses, ...(c.delegationManager ? { delegationManager: c.delegationManager } : {}) },
      state.delegation ?? initialDelegationState(),
      thresholds(DELEGATION_DEFAULTS, config.delegation),
    );
    const changes = security(
      {
        kit,
        contracts: c,
        trusted: kitConfig.trusted,
        ...(kitConfig.expectedOwners ? { expectedOwners: kitConfig.expectedOwners } : {}),
        ...(kitConfig.trustedImplementations ? { trustedImplementations: kitConfig.trustedImplementations } : {}),
        ...(kitConfig.trustedNames ? { trustedNames: kitConfig.trustedNames } : {}),
      },
      {},
      thresholds(SECURITY_DEFAULTS, config.security),
    );
    const funds = outflow(
      { kit, trusted: kitConfig.trusted, ...(c.paymaster ? { paymaster: c.paymaster } : {}), ...(c.delegationManager ? { delegationManager: c.delegationManager } : {}) },
      state.outflow ?? initialOutflowState(),
      thresholds(OUTFLOW_DEFAULTS, config.outflow),
    );
    findings.push(...creation.findings, ...ops.findings, ...redemptions.findings, ...changes.findings, ...funds.findings);
    next.accountCreation = creation.nextState;
    next.userOperations = ops.nextState;
    next.delegation = redemptions.nextState;
    next.outflow = funds.nextState;
  }
  findings.push(...gas.findings);
  return { findings, nextState: next, events };
}

/** The layers whose targets pause-changed last saw paused, and whether Guardian paused them. */
export function layerPauses(state: PauseChangedState, config: PipelineConfig): LayerPauses {
  const targets = new Map<string, Layer | undefined>(Object.entries(config.decode.targets).map(([a, l]) => [a.toLowerCase(), l]));
  const out: Partial<Record<Layer, "guardian" | "foreign">> = {};
  for (const [address, target] of Object.entries(state.targets)) {
    const layer = targets.get(address.toLowerCase() as Address);
    if (!layer || !target.paused) continue;
    // A layer with a foreign-paused target counts as foreign.
    out[layer] = out[layer] === "foreign" || !target.byGuardian ? "foreign" : "guardian";
  }
  return out;
}

/** Defaults with the defined overrides applied, one level deep into `severity`. */
function thresholds<T extends object>(defaults: T, overrides: object | undefined): T {
  const { severity, ...rest } = (overrides ?? {}) as { severity?: unknown };
  const base = { ...defaults, ...defined(rest) } as T & { severity?: unknown };
  if (severity !== undefined && typeof severity === "object" && severity !== null && typeof (defaults as { severity?: unknown }).severity === "object") {
    base.severity = { ...((defaults as { severity: object }).severity), ...defined(severity as object) };
  } else if (typeof severity === "string") {
    base.severity = severity;
  }
  return base;
}

/** Reports a reorg (rewound, or too deep to rewind). */
export function processReorg(facts: ReorgFacts | ReorgTooDeepFacts, state: PipelineState, config: PipelineConfig): PipelineResult {
  const { findings } = chainReorg(facts, {}, { ...CHAIN_REORG_DEFAULTS, ...defined(config.chainReorg) });
  return { findings, nextState: state };
}

/** Judges the RPC pool's and the follower's health (call after every follower step, or on a timer). */
export function processHealth(facts: RpcHealthFacts, state: PipelineState, config: PipelineConfig): PipelineResult {
  const health = rpcHealth(facts, state.rpcHealth, rpcHealthThresholds(config));
  return { findings: health.findings, nextState: { ...state, rpcHealth: health.nextState } };
}

/** Judges a round of probes (probes/) against the layers pause-changed saw paused. */
export function processProbes(round: ProbeRound, state: PipelineState, config: PipelineConfig): PipelineResult {
  const result = probes({ round, pauses: layerPauses(state.pauseChanged, config) }, state.probes ?? initialProbesState(), thresholds(PROBE_DEFAULTS, config.probes));
  return { findings: result.findings, nextState: { ...state, probes: result.nextState } };
}

/**
 * Judges a pending transaction (decode/pending.ts) against the windows the
 * last committed block left: the pre-emptive detectors (detectors/preempt.ts).
 * Stateless: a pending transaction changes no window (the block that mines it
 * does).
 */
export function processPending(
  pending: PendingKit,
  at: { seenAt: string; observedAt: string },
  state: PipelineState,
  config: PipelineConfig,
  preemptThresholds: Partial<PreemptThresholds> = {},
): Finding[] {
  const kitConfig = config.kit;
  if (!kitConfig) return [];
  const c = kitConfig.contracts;
  return preempt(
    {
      pending,
      ...at,
      outflow: state.outflow ?? initialOutflowState(),
      outflowThresholds: thresholds(OUTFLOW_DEFAULTS, config.outflow),
      pauses: layerPauses(state.pauseChanged, config),
      trusted: kitConfig.trusted,
      ...(c.paymaster ? { paymaster: c.paymaster } : {}),
      ...(c.delegationManager ? { delegationManager: c.delegationManager } : {}),
    },
    { ...PREEMPT_DEFAULTS, ...defined(preemptThresholds) },
  );
}

export function rpcHealthThresholds(config: PipelineConfig): RpcHealthThresholds {
  const defaults = rpcHealthDefaults(config.blockTimeMs);
  const { severity, ...rest } = config.rpcHealth ?? {};
  return { ...defaults, ...defined(rest), severity: { ...defaults.severity, ...defined(severity) } };
}

/** `partial` without its undefined fields, so that they do not override defaults. */
function defined<T extends object>(partial: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(partial ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Config file detector names → PipelineConfig fields. */
const CONFIG_NAMES = {
  "pause-changed": "pauseChanged",
  "rpc-health": "rpcHealth",
  "chain-reorg": "chainReorg",
  "account-creation": "accountCreation",
  "user-operations": "userOperations",
  delegation: "delegation",
  "gas-spike": "gasSpike",
  security: "security",
  outflow: "outflow",
  probes: "probes",
} as const;

/**
 * The threshold overrides of `config.detectors` (validated by
 * config/schema.ts) as PipelineConfig fields, for the wiring:
 *
 *     const pipeline = { chainId, blockTimeMs, decode, kit: kitWatchConfig(d), ...pipelineOverrides(config.detectors) };
 */
export function pipelineOverrides(detectors: Readonly<Record<string, unknown>>): Partial<PipelineConfig> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(CONFIG_NAMES)) {
    const value = detectors[name];
    if (value !== undefined && value !== null && typeof value === "object") out[field] = value;
  }
  return out as Partial<PipelineConfig>;
}

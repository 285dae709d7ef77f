/**
 * The pipeline: runs the detectors over what the follower produced. Pure:
 * (facts, state, config) → { findings, nextState }. The caller persists
 * `nextState` in the same atomic write as the block's checkpoint (the
 * FollowerSink), so a restart resumes with exactly the state the last
 * committed block left. After a reorg, restore the state saved with the
 * ancestor block (or re-derive it): the state of dropped blocks must go.
 *
 * Three entry points, one per kind of fact:
 * - processBlock: a committed block (decode → pause-changed, ...);
 * - processReorg: a rewound or too-deep reorg (chain-reorg);
 * - processHealth: the pool's and follower's health (rpc-health).
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
import type { BlockFacts, DecodedEvent, Finding, ReorgFacts, ReorgTooDeepFacts, RpcHealthFacts } from "../types.js";

export interface PipelineConfig {
  chainId: number;
  blockTimeMs: number;
  /** The hub and the pausable targets (addresses lowercase or checksummed). */
  decode: DecodeConfig;
  pauseChanged?: Partial<PauseChangedThresholds>;
  rpcHealth?: Partial<Omit<RpcHealthThresholds, "severity">> & { severity?: Partial<RpcHealthThresholds["severity"]> };
  chainReorg?: Partial<ChainReorgThresholds>;
}

/** Every detector's window state; JSON. */
export interface PipelineState {
  pauseChanged: PauseChangedState;
  rpcHealth: RpcHealthState;
}

export interface PipelineResult {
  findings: Finding[];
  nextState: PipelineState;
}

export function initialPipelineState(): PipelineState {
  return { pauseChanged: initialPauseChangedState(), rpcHealth: initialRpcHealthState() };
}

/** Runs the block detectors over one committed block. Also returns the decoded events (for the timeline). */
export function processBlock(
  facts: BlockFacts,
  state: PipelineState,
  config: PipelineConfig,
): PipelineResult & { events: DecodedEvent[] } {
  const events = decodeLogs(facts.logs, config.decode);
  const pause = pauseChanged(
    { block: facts.block, events, ...(config.decode.hub ? { hub: config.decode.hub } : {}), observedAt: facts.observedAt },
    state.pauseChanged,
    { ...PAUSE_CHANGED_DEFAULTS, ...defined(config.pauseChanged) },
  );
  return { findings: pause.findings, nextState: { ...state, pauseChanged: pause.nextState }, events };
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

export function rpcHealthThresholds(config: PipelineConfig): RpcHealthThresholds {
  const defaults = rpcHealthDefaults(config.blockTimeMs);
  const { severity, ...rest } = config.rpcHealth ?? {};
  return { ...defaults, ...defined(rest), severity: { ...defaults.severity, ...defined(severity) } };
}

/** `partial` without its undefined fields, so that they do not override defaults. */
function defined<T extends object>(partial: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(partial ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

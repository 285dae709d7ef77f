export type { Detector, DetectorResult } from "./detector.js";
export {
  PAUSE_CHANGED,
  PAUSE_CHANGED_DEFAULTS,
  initialPauseChangedState,
  pauseChanged,
  type PauseChangedFacts,
  type PauseChangedState,
  type PauseChangedThresholds,
} from "./pause-changed.js";
export {
  RPC_HEALTH,
  initialRpcHealthState,
  rpcHealth,
  rpcHealthDefaults,
  type RpcHealthState,
  type RpcHealthThresholds,
} from "./rpc-health.js";
export { CHAIN_REORG, CHAIN_REORG_DEFAULTS, chainReorg, type ChainReorgState, type ChainReorgThresholds } from "./chain-reorg.js";

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
export {
  ACCOUNT_CREATION,
  ACCOUNT_CREATION_DEFAULTS,
  ACCOUNT_CREATION_KEY,
  accountCreation,
  initialAccountCreationState,
  type AccountCreationFacts,
  type AccountCreationState,
  type AccountCreationThresholds,
} from "./account-creation.js";
export {
  USER_OPERATIONS,
  USER_OPERATIONS_DEFAULTS,
  USER_OPERATIONS_KEY,
  initialUserOperationsState,
  userOperations,
  type UserOperationsFacts,
  type UserOperationsState,
  type UserOperationsThresholds,
} from "./user-operations.js";
export {
  DELEGATION,
  DELEGATION_DEFAULTS,
  DELEGATION_KEY,
  delegation,
  initialDelegationState,
  type DelegationFacts,
  type DelegationState,
  type DelegationThresholds,
} from "./delegation.js";
export {
  GAS_SPIKE,
  GAS_SPIKE_BASE_FEE_KEY,
  GAS_SPIKE_CONGESTION_KEY,
  GAS_SPIKE_DEFAULTS,
  GAS_SPIKE_OP_PRICE_KEY,
  GAS_SPIKE_PER_OP_KEY,
  gasSpike,
  initialGasSpikeState,
  type GasSpikeFacts,
  type GasSpikeState,
  type GasSpikeThresholds,
} from "./gas-spike.js";
export { SECURITY, SECURITY_DEFAULTS, HUB_ROLES, security, type SecurityFacts, type SecurityState, type SecurityThresholds } from "./security.js";
export { OUTFLOW, OUTFLOW_DEFAULTS, initialOutflowState, outflow, type OutflowFacts, type OutflowState, type OutflowThresholds } from "./outflow.js";
export type { ActiveSymptom, LayerPauses, RateSample } from "./symptom.js";

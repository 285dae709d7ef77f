export {
  initialPipelineState,
  layerPauses,
  pipelineOverrides,
  processBlock,
  processHealth,
  processPending,
  processProbes,
  processReorg,
  rpcHealthThresholds,
  type Overrides,
  type PipelineConfig,
  type PipelineResult,
  type PipelineState,
} from "./pipeline.js";
export { revertedTransactions, withRevertData, type BlockEnrichment, type RevertLookup } from "./enrich.js";
export { kitWatchConfig, type DeploymentRoles, type KitWatchConfig } from "./kit-config.js";

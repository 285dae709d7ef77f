export {
  initialPipelineState,
  processBlock,
  processHealth,
  processReorg,
  rpcHealthThresholds,
  type PipelineConfig,
  type PipelineResult,
  type PipelineState,
} from "./pipeline.js";

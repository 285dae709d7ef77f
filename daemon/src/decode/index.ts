export { guardianHubEventsAbi, pausableEventsAbi } from "./abis.js";
export { decodeLogs, type DecodeConfig } from "./events.js";
export * from "./kit-abis.js";
export { decodeKitLogs, rolesByAddress, LAYERS_OF_ROLE, type KitContractRole, type KitContracts, type KitEvent, type KitEventKind } from "./kit-events.js";
export {
  aaCode,
  decodeRevert,
  delegationCause,
  describeRevert,
  isDelegationRefusal,
  isPausedRevert,
  type AaCode,
  type DecodedRevert,
  type DelegationCause,
} from "./revert.js";
export { decodeBundle, decodeRedemptions, isFactoryDeploy, FACTORY_DEPLOY_SELECTOR, type BundledOp, type RedemptionRequest } from "./calls.js";
export {
  decodeKitBlock,
  type BundleFacts,
  type FactoryCallFacts,
  type KitBlock,
  type OpOutcome,
  type OpStatus,
  type RedemptionFacts,
  type RevertDataByTx,
} from "./kit-block.js";

export * from "./errors.js";
export { RpcPool, parseQuantity, type RpcCall, type RpcEndpointConfig, type RpcPoolOptions, type RpcPoolStats, type RpcRequestEvent, type RpcLimitEvent, type RequestOptions } from "./rpc-pool.js";
export {
  BlockFollower,
  type BlockFollowerOptions,
  type FollowerCheckpoint,
  type FollowerEvent,
  type FollowerSink,
  type FollowerStatus,
} from "./follower.js";
export { bloomBits, bloomMayContain, bloomMayContainAny, type BloomBits } from "./bloom.js";
export {
  NewHeadsSubscription,
  parseNewHeadsMessage,
  reconnectDelayMs,
  type NewHead,
  type NewHeadsOptions,
  type NewHeadsState,
  type NewHeadsStats,
} from "./new-heads.js";
export {
  BoundedSet,
  PENDING_DEFAULTS,
  PendingTransactions,
  parseBesuTransactions,
  parseFilterChanges,
  parsePendingMessage,
  parsePendingTx,
  parseTxpoolContent,
  type ParsedPendingTx,
  type PendingMessage,
  type PendingParse,
  type PendingSourceOptions,
  type PendingStats,
  type PendingTx,
  type PendingVia,
} from "./pending.js";

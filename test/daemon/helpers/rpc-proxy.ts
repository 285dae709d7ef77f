/**
 * The fault-injecting JSON-RPC proxy lives in scripts/lib/fault-proxy.ts (the
 * benchmarks and the soak script use it too); tests import it from here.
 */
export {
  startRpcProxy,
  type BatchLimit,
  type FaultOptions,
  type LimitCounts,
  type LogRangeStyle,
  type ProviderLimits,
  type RateStyle,
  type HeadMode,
  type ProxyCall,
  type ProxyFault,
  type RpcProxy,
  type RpcProxyOptions,
} from "../../../scripts/lib/fault-proxy.js";

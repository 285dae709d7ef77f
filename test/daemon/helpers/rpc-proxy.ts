/**
 * The fault-injecting JSON-RPC proxy lives in scripts/lib/fault-proxy.ts (the
 * benchmarks and the soak script use it too); tests import it from here.
 */
export {
  startRpcProxy,
  type FaultOptions,
  type HeadMode,
  type ProxyCall,
  type ProxyFault,
  type RpcProxy,
  type RpcProxyOptions,
} from "../../../scripts/lib/fault-proxy.js";

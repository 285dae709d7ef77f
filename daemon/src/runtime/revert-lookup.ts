/**
 * Revert data of a mined, reverted transaction, for the detectors (receipts
 * carry none). First `debug_traceTransaction` with the call tracer (exact;
 * Hardhat, Geth, and Besu with its DEBUG API); when an endpoint refuses it,
 * the transaction is replayed with `eth_call` on its parent block's state
 * and the error's data is taken (exact for the block's first transaction,
 * close enough for a refusal otherwise).
 *
 * An endpoint that lacks the debug API (-32601) or has it disabled (Besu's
 * -32604 "Method not enabled") is asked once: the pool remembers it per
 * endpoint, and once no endpoint serves the method it answers
 * MethodUnavailableError without a request.
 */
import { numberToHex, type Hex } from "viem";
import { revertDataOf, type RpcPool } from "../chain/index.js";
import type { RevertLookup } from "../pipeline/index.js";
import type { ChainTransaction } from "../types.js";

export function poolRevertLookup(pool: RpcPool): RevertLookup {
  return async (tx: ChainTransaction) => {
    try {
      const trace = await pool.request<{ output?: string; error?: string }>("debug_traceTransaction", [tx.hash, { tracer: "callTracer" }]);
      if (trace?.error && typeof trace.output === "string" && trace.output.startsWith("0x")) return trace.output as Hex;
      if (trace && !trace.error) return undefined;
    } catch {
      // No endpoint serves the debug API (the pool remembers which refused it), or this trace failed: replay instead.
    }
    if (tx.blockNumber === null || tx.blockNumber === undefined) return undefined;
    try {
      await pool.request("eth_call", [
        { from: tx.from, to: tx.to, data: tx.input, value: numberToHex(tx.value ?? 0n), gas: numberToHex(tx.gas) },
        numberToHex(BigInt(tx.blockNumber) - 1n),
      ]);
      return undefined;
    } catch (err) {
      return revertDataOf(err);
    }
  };
}

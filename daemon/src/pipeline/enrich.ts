/**
 * Revert data for the detectors. Receipts carry no revert reason and the
 * follower fetches none, yet a reverted `handleOps` or `redeemDelegations`
 * is only explained by its revert data (`FailedOp(0, "AA13 …")`,
 * `CannotUseADisabledDelegation()`...). The wiring fetches it for the few
 * reverted transactions a block holds, through a `RevertLookup` it
 * implements with RPC, and hands it to `processBlock` on the facts:
 *
 *     const facts = await withRevertData(committed, lookup);
 *     const result = processBlock(facts, state, config);
 *
 * Everything here is pure except what `lookup` does. Without revert data the
 * detectors still count the failures, with cause "unknown".
 */
import type { BlockFacts, ChainReceipt, ChainTransaction, Hex } from "../types.js";

/**
 * Fetches the revert data of a mined, reverted transaction; undefined when
 * it cannot be had. Two ways, both one RPC call:
 *
 * - `debug_traceTransaction(hash, { disableStack: true, disableMemory: true, disableStorage: true })`:
 *   exact; the data is the trace's `returnValue` (Hardhat, Geth, Besu with
 *   the DEBUG API enabled);
 * - `eth_call({ from, to, data, value, gas }, parentBlock)`: replays the
 *   transaction on its parent block's state; the data is the JSON-RPC
 *   error's `data`. Exact for a block's first transaction; later ones may
 *   see a different state (rarely matters for a refusal).
 */
export type RevertLookup = (tx: ChainTransaction) => Promise<Hex | undefined>;

/** What the wiring adds to the follower's facts before `processBlock`. */
export interface BlockEnrichment {
  /** Revert data of this block's reverted `transactions`, by transaction hash (lowercase). */
  revertData?: Readonly<Record<string, Hex>>;
}

/** The block's reverted transactions to watched contracts: those whose revert data the detectors use. */
export function revertedTransactions(facts: BlockFacts): ChainTransaction[] {
  const reverted = new Set(facts.receipts.filter((r: ChainReceipt) => r.status === "reverted").map((r) => r.transactionHash.toLowerCase()));
  return facts.transactions.filter((tx) => reverted.has(tx.hash.toLowerCase()));
}

/**
 * The facts with `revertData` for each reverted transaction `lookup` could
 * explain. A lookup that throws or finds nothing leaves that transaction out
 * (its failure is still counted, with an unknown cause): the block is never
 * held back for an explanation.
 */
export async function withRevertData<F extends BlockFacts>(facts: F, lookup: RevertLookup): Promise<F & BlockEnrichment> {
  const reverted = revertedTransactions(facts);
  if (reverted.length === 0) return facts;
  const found = await Promise.all(
    reverted.map(async (tx) => {
      try {
        return [tx.hash.toLowerCase(), await lookup(tx)] as const;
      } catch {
        return [tx.hash.toLowerCase(), undefined] as const;
      }
    }),
  );
  const revertData: Record<string, Hex> = {};
  for (const [hash, data] of found) if (data !== undefined) revertData[hash] = data;
  return { ...facts, revertData };
}

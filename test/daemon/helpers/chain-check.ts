/**
 * Assertions that compare what a follower committed with the node's chain.
 */
import { expect } from "vitest";
import type { Address, Hex } from "../../../daemon/src/types.js";
import type { HardhatNode } from "./hardhat-node.js";
import type { MemorySink } from "./memory-sink.js";

/** Every block from..to is committed with the node's hash, and the committed logs are exactly the node's. */
export async function expectMatchesChain(sink: MemorySink, node: HardhatNode, address: Address, from: number, to: number): Promise<void> {
  const body = [];
  for (let n = from; n <= to; n++) body.push({ jsonrpc: "2.0", id: n, method: "eth_getBlockByNumber", params: [`0x${n.toString(16)}`, true] });
  const response = await fetch(node.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const blocks = ((await response.json()) as Array<{ id: number; result: { hash: Hex; transactions: Array<{ hash: Hex; to: string | null }> } }>).sort(
    (a, b) => a.id - b.id,
  );
  const mismatches: number[] = [];
  const expectedTxs: string[] = [];
  for (const { id, result } of blocks) {
    if (sink.blocks.get(id)?.block.hash !== result.hash) mismatches.push(id);
    for (const tx of result.transactions) if (tx.to?.toLowerCase() === address.toLowerCase()) expectedTxs.push(tx.hash);
  }
  expect(mismatches, "blocks committed with another hash, or missing").toEqual([]);

  const logs = await node.rpc<Array<{ transactionHash: Hex; logIndex: Hex }>>("eth_getLogs", [
    { fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}`, address },
  ]);
  const expectedLogs = logs.map((l) => `${l.transactionHash}:${Number.parseInt(l.logIndex, 16)}`).sort();
  const committedLogs = [...sink.blocks.values()]
    .filter((b) => b.block.number >= from && b.block.number <= to)
    .flatMap((b) => b.logs.map((l) => `${l.transactionHash}:${l.logIndex}`))
    .sort();
  expect(committedLogs).toEqual(expectedLogs);

  const committedReceipts = [...sink.blocks.values()]
    .filter((b) => b.block.number >= from && b.block.number <= to)
    .flatMap((b) => b.receipts.map((r) => r.transactionHash));
  expect(committedReceipts.sort()).toEqual(expectedTxs.sort());
}

/** Each block number was committed once, plus once more for each time a reorg dropped it. */
export function expectExactlyOnce(sink: MemorySink): void {
  const commits = new Map<number, number>();
  for (const c of sink.commits) commits.set(c.number, (commits.get(c.number) ?? 0) + 1);
  const drops = new Map<number, number>();
  for (const r of sink.rewinds) for (const d of r.dropped) drops.set(d.number, (drops.get(d.number) ?? 0) + 1);
  const wrong = [...commits].filter(([n, count]) => count !== 1 + (drops.get(n) ?? 0));
  expect(wrong, "blocks committed more or less often than once per version").toEqual([]);
  // In order: numbers only go up, except right after a rewind.
  const numbers = sink.commits.map((c) => c.number);
  const min = Math.min(...numbers);
  const max = Math.max(...numbers);
  for (let n = min; n <= max; n++) expect(commits.has(n), `block ${n} never committed`).toBe(true);
}

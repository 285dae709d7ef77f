/**
 * An in-memory FollowerSink for tests: keeps the committed blocks, every
 * commit and rewind in order, and fails loudly if the follower ever commits
 * out of order.
 */
import type { FollowerCheckpoint, FollowerSink } from "../../../daemon/src/chain/follower.js";
import type { BlockFacts, BlockId, ReorgFacts } from "../../../daemon/src/types.js";

export class MemorySink implements FollowerSink {
  checkpoint: FollowerCheckpoint | undefined;
  /** Blocks currently committed (dropped ones removed), by number. */
  readonly blocks = new Map<number, BlockFacts>();
  /** Every commit ever made, in order (a block re-processed after a reorg appears again). */
  readonly commits: BlockId[] = [];
  readonly rewinds: ReorgFacts[] = [];
  /** Facts of blocks retracted by rewinds. */
  readonly retracted: BlockFacts[] = [];

  constructor(checkpoint?: FollowerCheckpoint) {
    this.checkpoint = checkpoint;
  }

  async loadCheckpoint(): Promise<FollowerCheckpoint | undefined> {
    return this.checkpoint ? { ring: this.checkpoint.ring.map((b) => ({ ...b })) } : undefined;
  }

  async commitBlock(facts: BlockFacts, checkpoint: FollowerCheckpoint): Promise<void> {
    const tip = this.checkpoint?.ring.at(-1);
    if (tip && facts.block.number !== tip.number + 1) {
      throw new Error(`out of order: committed ${facts.block.number} after ${tip.number}`);
    }
    if (tip && facts.block.parentHash !== tip.hash) throw new Error(`block ${facts.block.number} does not build on the tip`);
    if (checkpoint.ring.at(-1)?.hash !== facts.block.hash) throw new Error("checkpoint does not end with the block");
    this.blocks.set(facts.block.number, facts);
    this.commits.push({ number: facts.block.number, hash: facts.block.hash });
    this.checkpoint = checkpoint;
  }

  async rewind(ancestor: BlockId, dropped: BlockId[], checkpoint: FollowerCheckpoint, reorg: ReorgFacts): Promise<void> {
    for (const d of dropped) {
      const facts = this.blocks.get(d.number);
      if (!facts || facts.block.hash !== d.hash) throw new Error(`rewind of block ${d.number} that is not committed`);
      this.retracted.push(facts);
      this.blocks.delete(d.number);
    }
    if (checkpoint.ring.at(-1)?.hash !== ancestor.hash) throw new Error("rewind checkpoint does not end at the ancestor");
    this.checkpoint = checkpoint;
    this.rewinds.push(reorg);
  }

  tip(): BlockId | undefined {
    return this.checkpoint?.ring.at(-1);
  }

  /** All logs currently committed, as "txHash:logIndex" keys. */
  logKeys(): string[] {
    return [...this.blocks.values()].flatMap((b) => b.logs.map((l) => `${l.transactionHash}:${l.logIndex}`)).sort();
  }
}

/** Polls `predicate` until it holds, or throws after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

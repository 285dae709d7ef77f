/**
 * Block follower: hands every canonical block to a sink exactly once, in
 * order, across restarts, reorgs, downtime and RPC faults.
 *
 * The sink persists a checkpoint: a ring of the last `ringSize` processed
 * (number, hash) pairs, committed atomically with whatever a block produced.
 * Each step:
 *
 * 1. Poll: one JSON-RPC batch asks for the head, the next block and the
 *    hash of our last block (`eth_blockNumber`, `eth_getBlockByNumber(next,
 *    true)`, `eth_getBlockByNumber(tip, false)`). No block yet: if our last
 *    block was replaced at the same height, handle the reorg now; else sleep
 *    (`nextPollDelayMs`: the next poll goes out one block time, less a
 *    fortieth, after the poll that found the last block; a quarter block time
 *    apart until the next one shows) and poll again, or until `wake()`
 *    (a WebSocket new head, see new-heads.ts: while heads flow the timer is
 *    only a slow fallback). Polling is used, never viem's `watchBlocks` (it
 *    skips blocks and misses replaced ones).
 * 2. Fetch the headers up to the head (at most `maxStepBlocks`), in batches
 *    of `headerBatchSize`, `fetchConcurrency` batches in flight.
 * 3. Verify: the first block's parentHash must be the ring's last hash, and
 *    each block must name the one before as its parent. A mismatch with the
 *    ring is a reorg: walk the ring back comparing with the chain's hashes,
 *    rewind the sink to the common ancestor, report it, continue from the
 *    ancestor. No ancestor in the ring: stop with a ReorgTooDeepError. A break
 *    inside the fetched range (the chain moved while we fetched) cuts the
 *    range there; the next step sorts it out.
 * 4. Logs: one `eth_getLogs` for all watched addresses over the blocks whose
 *    log bloom admits a watched address, in adaptive sub-ranges (halved on
 *    "range too large"/-32005/timeouts; after 3 successes doubled, or, once
 *    a span was refused, moved halfway towards it: a binary search for the
 *    provider's limit, forgotten after 100 successes; never above
 *    `maxLogRange`). Each log must carry its block's header hash (else a
 *    reorg happened mid-range: cut there). A block whose bloom admits a
 *    watched address but that got no logs is asked again by block hash (an
 *    endpoint that is behind answers `eth_getLogs` with nothing, silently).
 * 5. Transactions to watched addresses come from the full blocks; their
 *    receipts (reverted ones emit no logs) are fetched in batches and must
 *    carry the block's hash.
 * 6. Commit block by block (or the whole range with `commitBlocks`), each
 *    with the checkpoint that includes it.
 *
 * Stalls and outages are not judged here: `health()` (also pushed to
 * `onHealth` after every step) carries the pool's and the follower's state
 * to the rpc-health detector.
 *
 * @example
 * const follower = new BlockFollower({ pool, sink, addresses: [hub, delegationManager], blockTimeMs: 2_000 });
 * const done = follower.run();
 * // ...
 * await follower.stop();
 */
import { numberToHex } from "viem";
import type {
  Address,
  BlockFacts,
  BlockId,
  ChainLog,
  ChainReceipt,
  ChainTransaction,
  Hex,
  ReorgFacts,
  ReorgTooDeepFacts,
  RpcHealthFacts,
} from "../types.js";
import { bloomBits, bloomMayContainAny, type BloomBits } from "./bloom.js";
import {
  InconsistentChainError,
  MethodUnavailableError,
  ReorgTooDeepError,
  RpcRateLimitedError,
  RpcResponseError,
  RpcUnavailableError,
  describeRpcError,
  errorMessage,
  isRangeLimitError,
  isTimeoutError,
} from "./errors.js";
import { formatRawTransaction, parseBlock, parseBlockId, parseLogs, parseReceipt, type ParsedBlock } from "./parse.js";
import { mapLimit, parseQuantity, type RpcPool } from "./rpc-pool.js";

/** The follower's persisted position: the last processed blocks, ascending. */
export interface FollowerCheckpoint {
  ring: BlockId[];
}

/** Where the follower's output goes. Every method must be atomic. */
export interface FollowerSink {
  loadCheckpoint(): Promise<FollowerCheckpoint | undefined>;
  /**
   * Persist atomically: this block processed and all it produced, with
   * `checkpoint` (the ring including this block) as the new checkpoint.
   */
  commitBlock(facts: BlockFacts, checkpoint: FollowerCheckpoint): Promise<void>;
  /**
   * Optional: persist several consecutive blocks in one atomic write (a
   * store that fsyncs per write catches up much faster). `checkpoint` of the
   * last item is the new checkpoint.
   */
  commitBlocks?(items: ReadonlyArray<{ facts: BlockFacts; checkpoint: FollowerCheckpoint }>): Promise<void>;
  /**
   * Blocks above `ancestor` were dropped by a reorg: retract what they
   * produced and set `checkpoint` (the ring cut at `ancestor`), atomically.
   * `reorg` describes it, so that the finding can be stored in the same write.
   */
  rewind(ancestor: BlockId, dropped: BlockId[], checkpoint: FollowerCheckpoint, reorg: ReorgFacts): Promise<void>;
}

export type FollowerEvent =
  | { type: "committed"; from: number; to: number; head: number }
  | { type: "reorg"; facts: ReorgFacts }
  | { type: "reorg-too-deep"; facts: ReorgTooDeepFacts }
  /** The fetched range was cut: the chain moved during the fetch, or an answer did not match the headers. */
  | { type: "truncated"; at: number; reason: string }
  /** An endpoint's eth_getLogs missed logs its block's bloom promised; they were fetched by block hash. */
  | { type: "logs-recovered"; block: BlockId; count: number }
  | { type: "log-range"; range: number }
  | { type: "rpc-unavailable"; error: RpcUnavailableError }
  /** Every endpoint is rate-limited: the step waits for them (not an outage). */
  | { type: "rate-limited"; cause: string }
  | { type: "rpc-available" }
  | { type: "inconsistent-chain"; error: InconsistentChainError }
  /** A step failed; `cause` is cleaned and bounded (status, code, message), fit for a log. */
  | { type: "error"; error: unknown; cause: string };

export interface BlockFollowerOptions {
  pool: RpcPool;
  sink: FollowerSink;
  /** Contracts whose logs, transactions and receipts are collected. */
  addresses: readonly Address[];
  /** The chain's block time (chain 138: 2000). Sets the poll interval. */
  blockTimeMs: number;
  /** Where to start when the sink has no checkpoint: a block number, or the current head. Default "head". */
  startBlock?: number | "head";
  /** Blocks kept in the checkpoint ring: the deepest reorg that can be rewound. Default 128. */
  ringSize?: number;
  /** Largest `eth_getLogs` block range. Default 2000. */
  maxLogRange?: number;
  /** Most blocks fetched and committed in one step. Default 1000. */
  maxStepBlocks?: number;
  /** Calls per JSON-RPC batch (headers, receipts). Default 100. */
  batchSize?: number;
  /** Batches in flight at once. Default 4. */
  fetchConcurrency?: number;
  /** A fixed sleep between polls when caught up. Default: paced by `nextPollDelayMs`. */
  pollIntervalMs?: number;
  /**
   * Whether a new-heads subscription is live (it calls `wake()` on each head):
   * then the HTTP poll runs only every `headsFallbackPollMs` without a head.
   */
  headsLive?: () => boolean;
  /** Poll interval while heads are live (a fallback for missed heads). Default 3 block times. */
  headsFallbackPollMs?: number;
  /** How often every endpoint is asked for its head. Default 10 s. */
  surveyIntervalMs?: number;
  /** Skip eth_getLogs for blocks whose bloom excludes every watched address. Default true. */
  useBloom?: boolean;
  onEvent?: (event: FollowerEvent) => void;
  /** Called after every step with the current health facts. */
  onHealth?: (facts: RpcHealthFacts) => void;
  /** Clock, for tests. */
  now?: () => number;
}

export interface FollowerStatus {
  running: boolean;
  tip?: BlockId;
  head?: number;
  logRange: number;
  halted?: ReorgTooDeepFacts;
}

/** Successes in a row before the log range doubles again. */
const LOG_RANGE_GROW_AFTER = 3;
/** Successes after which a refused span is forgotten (a provider's limit may have been raised). */
const LOG_CEILING_MEMORY = 100;
/** Ring entries compared per request while looking for a reorg's ancestor. */
const WALK_CHUNK = 16;

export class BlockFollower {
  private readonly pool: RpcPool;
  private readonly sink: FollowerSink;
  private readonly watched: Set<string>;
  private readonly watchedList: Address[];
  private readonly bloomValues: BloomBits[];
  private readonly startBlock: number | "head";
  private readonly ringSize: number;
  private readonly maxLogRange: number;
  private readonly maxStepBlocks: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly pollIntervalMs: number | undefined;
  private readonly blockTimeMs: number;
  private readonly headsLive: () => boolean;
  private readonly headsFallbackPollMs: number;
  private readonly surveyIntervalMs: number;
  private readonly useBloom: boolean;
  private readonly onEvent: (event: FollowerEvent) => void;
  private readonly onHealth: ((facts: RpcHealthFacts) => void) | undefined;
  private readonly now: () => number;

  private ring: BlockId[] = [];
  private startAt: number | undefined;
  private logRange: number;
  private logSuccesses = 0;
  /** Smallest span refused as too large, and largest span answered, since the ceiling was set. */
  private logCeiling: number | undefined;
  private logFloor = 0;
  private lastHead: number | undefined;
  private processedAtMs: number | undefined;
  private lastSurveyMs = 0;
  private surveying: Promise<unknown> | undefined;
  private unavailable = false;
  private halted: ReorgTooDeepFacts | undefined;
  private startedAtMs: number | undefined;
  private stepFailure: { sinceMs: number; endpoints: string[]; cause: string } | undefined;

  private stopping = false;
  private runPromise: Promise<void> | undefined;
  private wakeSleep: (() => void) | undefined;
  /** A wake-up arrived while not sleeping: the next sleep returns at once. */
  private wakePending = false;
  /** The current step was started by a wake-up (not the timer). */
  private wokenStep = false;

  constructor(options: BlockFollowerOptions) {
    if (!(options.blockTimeMs > 0)) throw new Error("BlockFollower: blockTimeMs: must be a positive number of milliseconds");
    if (options.addresses.length === 0) throw new Error("BlockFollower: addresses: watch at least one contract");
    this.pool = options.pool;
    this.sink = options.sink;
    this.watchedList = options.addresses.map((a) => a.toLowerCase() as Address);
    this.watched = new Set(this.watchedList);
    this.bloomValues = this.watchedList.map((a) => bloomBits(a));
    this.startBlock = options.startBlock ?? "head";
    this.ringSize = Math.max(1, options.ringSize ?? 128);
    this.maxLogRange = Math.max(1, options.maxLogRange ?? 2000);
    this.maxStepBlocks = Math.max(1, options.maxStepBlocks ?? 1000);
    this.batchSize = Math.max(1, options.batchSize ?? 100);
    this.concurrency = Math.max(1, options.fetchConcurrency ?? 4);
    this.pollIntervalMs = options.pollIntervalMs;
    this.blockTimeMs = options.blockTimeMs;
    this.headsLive = options.headsLive ?? (() => false);
    this.headsFallbackPollMs = options.headsFallbackPollMs ?? options.blockTimeMs * 3;
    this.surveyIntervalMs = options.surveyIntervalMs ?? 10_000;
    this.useBloom = options.useBloom ?? true;
    const onEvent = options.onEvent;
    // A listener's exception must not stop the follower.
    this.onEvent = (event) => {
      try {
        onEvent?.(event);
      } catch {
        // ignored: listeners log, they do not steer
      }
    };
    this.onHealth = options.onHealth;
    this.now = options.now ?? Date.now;
    this.logRange = this.maxLogRange;
  }

  /**
   * Follows the chain until `stop()`. Resolves when stopped; rejects with
   * ReorgTooDeepError when a reorg is deeper than the ring (it never guesses).
   */
  run(): Promise<void> {
    if (this.runPromise) throw new Error("BlockFollower: already running");
    this.stopping = false;
    this.runPromise = this.loop().finally(() => {
      this.runPromise = undefined;
    });
    return this.runPromise;
  }

  /** Asks the follower to stop after the commit in progress; resolves once it has. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeSleep?.();
    await this.runPromise?.catch(() => {});
    await this.surveying;
  }

  /**
   * Polls now instead of at the next timer (called on a WebSocket new head).
   * A wake-up during a step makes the next sleep return at once. Only a
   * signal: what is polled and verified does not change.
   */
  wake(): void {
    if (this.wakeSleep) this.wakeSleep();
    else this.wakePending = true;
  }

  status(): FollowerStatus {
    const s: FollowerStatus = { running: this.runPromise !== undefined, logRange: this.logRange };
    const tip = this.ring.at(-1);
    if (tip) s.tip = { ...tip };
    if (this.lastHead !== undefined) s.head = this.lastHead;
    if (this.halted) s.halted = this.halted;
    return s;
  }

  /** The pool's and the follower's state now: input of the rpc-health detector. */
  health(): RpcHealthFacts {
    const nowMs = this.now();
    const stats = this.pool.stats();
    const facts: RpcHealthFacts = {
      chainId: this.pool.chainId,
      observedAt: new Date(nowMs).toISOString(),
      nowMs,
      endpoints: stats.endpoints,
    };
    if (stats.unavailableSinceMs !== undefined) facts.unavailableSinceMs = stats.unavailableSinceMs;
    if (stats.head) facts.head = stats.head;
    const tip = this.ring.at(-1);
    if (tip && this.processedAtMs !== undefined) facts.processed = { number: tip.number, advancedAtMs: this.processedAtMs };
    if (this.startedAtMs !== undefined) facts.startedAtMs = this.startedAtMs;
    if (this.stepFailure) facts.stepFailure = { ...this.stepFailure, endpoints: [...this.stepFailure.endpoints] };
    return facts;
  }

  // ------------------------------------------------------------------ loop

  private async loop(): Promise<void> {
    await this.pool.init();
    const checkpoint = await this.sink.loadCheckpoint();
    this.ring = checkpoint?.ring.slice(-this.ringSize).map((b) => ({ number: b.number, hash: b.hash.toLowerCase() as Hex })) ?? [];
    this.processedAtMs = this.now();
    this.startedAtMs = this.now();
    while (!this.stopping) {
      let busy = false;
      let found = false;
      const stepStartedAt = this.now(); // the step's first request is the poll
      try {
        const before = this.ring.at(-1)?.number;
        busy = await this.step();
        this.stepFailure = undefined;
        found = this.ring.at(-1)?.number !== before;
        if (this.unavailable) {
          this.unavailable = false;
          this.onEvent({ type: "rpc-available" });
        }
      } catch (error) {
        if (error instanceof ReorgTooDeepError) {
          this.halted = error.facts;
          this.onEvent({ type: "reorg-too-deep", facts: error.facts });
          this.emitHealth();
          throw error;
        }
        const failure = stepFailureOf(error);
        this.stepFailure = { sinceMs: this.stepFailure?.sinceMs ?? this.now(), ...failure };
        if (error instanceof RpcRateLimitedError) {
          this.onEvent({ type: "rate-limited", cause: failure.cause });
        } else if (error instanceof RpcUnavailableError) {
          if (!this.unavailable) this.onEvent({ type: "rpc-unavailable", error });
          this.unavailable = true;
        } else if (error instanceof InconsistentChainError) {
          this.onEvent({ type: "inconsistent-chain", error });
        } else {
          this.onEvent({ type: "error", error, cause: failure.cause });
        }
      }
      this.maybeSurvey();
      this.emitHealth();
      if (!busy && !this.stopping) {
        const woken = this.wokenStep;
        this.wokenStep = false;
        const delay = nextPollDelayMs({
          blockTimeMs: this.blockTimeMs,
          found,
          woken,
          headsLive: this.headsLive(),
          headsFallbackPollMs: this.headsFallbackPollMs,
          sinceFoundPollMs: this.now() - stepStartedAt,
          ...(this.pollIntervalMs !== undefined ? { fixedMs: this.pollIntervalMs } : {}),
        });
        this.wokenStep = await this.sleep(delay);
      } else {
        this.wokenStep = false;
      }
    }
  }

  private emitHealth(): void {
    if (!this.onHealth) return;
    try {
      this.onHealth(this.health());
    } catch (error) {
      this.onEvent({ type: "error", error, cause: errorMessage(error) });
    }
  }

  private maybeSurvey(): void {
    const now = this.now();
    if (this.surveying || now - this.lastSurveyMs < this.surveyIntervalMs) return;
    this.lastSurveyMs = now;
    // Endpoints the poll heard a head from since the last survey are not asked again.
    this.surveying = this.pool
      .survey({ reuseHeadsWithinMs: this.surveyIntervalMs })
      .catch(() => undefined)
      .finally(() => {
        this.surveying = undefined;
      });
  }

  /** Sleeps `ms` or until `wake()`; resolves true when woken. */
  private sleep(ms: number): Promise<boolean> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), ms);
      this.wakeSleep = () => done(true);
      function done(woken: boolean) {
        clearTimeout(timer);
        resolve(woken);
      }
    }).then((woken) => {
      this.wakeSleep = undefined;
      return woken;
    });
  }

  /** One step; returns true when more blocks are waiting (no sleep before the next). */
  private async step(): Promise<boolean> {
    // 1. Poll the head, the next block and our tip's hash in one request.
    const next = await this.nextNumber();
    const tip = this.ring.at(-1);
    const calls = [
      { method: "eth_blockNumber", params: [] },
      { method: "eth_getBlockByNumber", params: [numberToHex(next), true] },
    ];
    if (tip) calls.push({ method: "eth_getBlockByNumber", params: [numberToHex(tip.number), false] });
    const [head, first, tipNow] = (await this.pool.batch(calls, (raw, i) =>
      i === 0 ? parseQuantity(raw) : i === 1 ? parseBlock(raw, next, true) : parseBlockId(raw, next - 1),
    )) as [number, ParsedBlock | null, BlockId | null | undefined];
    this.lastHead = head;
    if (!first) {
      // Nothing new; but our tip may have been replaced at the same height (a
      // reorg that adds no block): notice it now, not one block later.
      if (tip && tipNow && tipNow.hash !== tip.hash) {
        await this.handleMismatch(undefined);
        return true; // rewound: the new branch is waiting, fetch it now
      }
      return false;
    }

    // 2. Fetch the rest of the range.
    const to = Math.min(Math.max(head, next), next + this.maxStepBlocks - 1);
    const blocks = [first, ...(to > next ? await this.fetchBlocks(next + 1, to) : [])];

    // 3-6. Verify, collect, commit.
    const committed = await this.processBlocks(blocks);
    const newTip = this.ring.at(-1);
    // Rewound by a reorg: the new branch is waiting, fetch it now rather than after a sleep (with
    // WebSocket heads, the heads of that branch may all have arrived already and no other would wake us).
    if (tip && (newTip === undefined || newTip.number < tip.number)) return true;
    return committed > 0 && newTip !== undefined && newTip.number < head;
  }

  private async nextNumber(): Promise<number> {
    const tip = this.ring.at(-1);
    if (tip) return tip.number + 1;
    if (this.startAt === undefined) {
      this.startAt =
        this.startBlock === "head" ? await this.pool.request("eth_blockNumber", [], parseQuantity) : this.startBlock;
    }
    return this.startAt;
  }

  /** Blocks `from..to` with full transactions, cut before the first one the endpoint does not have. */
  private async fetchBlocks(from: number, to: number): Promise<ParsedBlock[]> {
    const chunks: number[][] = [];
    for (let n = from; n <= to; n += this.batchSize) {
      const chunk: number[] = [];
      for (let m = n; m <= Math.min(to, n + this.batchSize - 1); m++) chunk.push(m);
      chunks.push(chunk);
    }
    const results = await mapLimit(chunks, this.concurrency, (numbers) =>
      this.pool.batch(
        numbers.map((n) => ({ method: "eth_getBlockByNumber", params: [numberToHex(n), true] })),
        (raw, i) => parseBlock(raw, numbers[i] as number, true),
      ),
    );
    const blocks: ParsedBlock[] = [];
    for (const chunk of results) {
      for (const block of chunk) {
        if (!block) return blocks;
        blocks.push(block);
      }
    }
    return blocks;
  }

  /** Verifies, collects logs and receipts, and commits; returns the number of blocks committed. */
  private async processBlocks(blocks: ParsedBlock[]): Promise<number> {
    const first = blocks[0] as ParsedBlock;
    const tip = this.ring.at(-1);
    if (tip && first.header.parentHash !== tip.hash) {
      await this.handleMismatch(first);
      return 0;
    }
    let end = blocks.length;
    for (let i = 1; i < end; i++) {
      if ((blocks[i] as ParsedBlock).header.parentHash !== (blocks[i - 1] as ParsedBlock).header.hash) {
        this.onEvent({ type: "truncated", at: (blocks[i] as ParsedBlock).header.number, reason: "parent hash chain broken" });
        end = i;
      }
    }
    blocks = blocks.slice(0, end);

    const logs = await this.collectLogs(blocks);
    blocks = blocks.slice(0, logs.end);
    const txs = await this.collectTransactions(blocks);
    blocks = blocks.slice(0, txs.end);
    if (blocks.length === 0 || this.stopping) return 0;

    const observedAt = new Date(this.now()).toISOString();
    const items: Array<{ facts: BlockFacts; checkpoint: FollowerCheckpoint }> = [];
    let ring = this.ring;
    for (const block of blocks) {
      const n = block.header.number;
      ring = [...ring, { number: n, hash: block.header.hash }];
      if (ring.length > this.ringSize) ring = ring.slice(ring.length - this.ringSize);
      items.push({
        facts: {
          block: block.header,
          logs: logs.byNumber.get(n) ?? [],
          transactions: txs.transactions.get(n) ?? [],
          receipts: txs.receipts.get(n) ?? [],
          observedAt,
        },
        checkpoint: { ring },
      });
    }

    let committed = 0;
    if (this.sink.commitBlocks) {
      await this.sink.commitBlocks(items);
      this.ring = (items.at(-1) as (typeof items)[number]).checkpoint.ring;
      committed = items.length;
      this.processedAtMs = this.now();
    } else {
      for (const item of items) {
        await this.sink.commitBlock(item.facts, item.checkpoint);
        this.ring = item.checkpoint.ring;
        committed++;
        this.processedAtMs = this.now();
        if (this.stopping) break;
      }
    }
    this.onEvent({
      type: "committed",
      from: first.header.number,
      to: first.header.number + committed - 1,
      head: this.lastHead ?? first.header.number,
    });
    return committed;
  }

  /**
   * The next block does not build on our last one: find the newest ring
   * block the chain still has, rewind the sink to it and report the reorg.
   */
  private async handleMismatch(first: ParsedBlock | undefined): Promise<void> {
    const ring = this.ring;
    let ancestorIndex = -1;
    for (let hi = ring.length - 1; hi >= 0 && ancestorIndex < 0; hi -= WALK_CHUNK) {
      const lo = Math.max(0, hi - WALK_CHUNK + 1);
      const ids = ring.slice(lo, hi + 1);
      const chain = await this.pool.batch(
        ids.map((id) => ({ method: "eth_getBlockByNumber", params: [numberToHex(id.number), false] })),
        (raw, i) => parseBlockId(raw, (ids[i] as BlockId).number),
      );
      for (let k = ids.length - 1; k >= 0; k--) {
        if (chain[k]?.hash === (ids[k] as BlockId).hash) {
          ancestorIndex = lo + k;
          break;
        }
      }
    }
    const observedAt = new Date(this.now()).toISOString();
    if (ancestorIndex < 0) {
      throw new ReorgTooDeepError({
        kind: "reorg-too-deep",
        chainId: this.pool.chainId,
        oldest: { ...(ring[0] as BlockId) },
        newest: { ...(ring.at(-1) as BlockId) },
        observedAt,
      });
    }
    const tip = ring.at(-1) as BlockId;
    if (ancestorIndex === ring.length - 1) {
      // The chain still has our tip: a replaced tip seen by one endpoint and not another, or a broken parent link.
      if (!first) return;
      throw new InconsistentChainError(first.header.number, first.header.parentHash, tip.hash);
    }
    const ancestor = ring[ancestorIndex] as BlockId;
    const dropped = ring.slice(ancestorIndex + 1);
    const checkpoint = { ring: ring.slice(0, ancestorIndex + 1) };
    const facts: ReorgFacts = { kind: "reorg", chainId: this.pool.chainId, ancestor, dropped, observedAt };
    await this.sink.rewind(ancestor, dropped, checkpoint, facts);
    this.ring = checkpoint.ring;
    this.processedAtMs = this.now();
    this.onEvent({ type: "reorg", facts });
  }

  /** Logs of watched addresses for `blocks`, grouped by block; `end` cuts the blocks at the first mismatch. */
  private async collectLogs(blocks: ParsedBlock[]): Promise<{ byNumber: Map<number, ChainLog[]>; end: number }> {
    const byNumber = new Map<number, ChainLog[]>();
    const mayLog = (b: ParsedBlock) =>
      !this.useBloom || b.logsBloom === undefined || bloomMayContainAny(b.logsBloom, this.bloomValues);
    const candidates = blocks.filter(mayLog);
    if (candidates.length === 0) return { byNumber, end: blocks.length };

    const index = new Map(blocks.map((b, i) => [b.header.number, i]));
    const fetched = await this.fetchLogs(
      (candidates[0] as ParsedBlock).header.number,
      (candidates.at(-1) as ParsedBlock).header.number,
    );
    let end = blocks.length;
    for (const log of fetched) {
      const i = index.get(Number(log.blockNumber));
      if (i === undefined || !this.watched.has(log.address)) continue;
      if (log.removed || log.blockHash !== (blocks[i] as ParsedBlock).header.hash) {
        if (i < end) {
          end = i;
          this.onEvent({ type: "truncated", at: Number(log.blockNumber), reason: "log from another block hash" });
        }
        continue;
      }
      const list = byNumber.get(Number(log.blockNumber)) ?? [];
      list.push(log);
      byNumber.set(Number(log.blockNumber), list);
    }

    // Completeness: the bloom promised a watched address, the answer had nothing.
    if (this.useBloom) {
      const suspects = candidates.filter(
        (b) => b.logsBloom !== undefined && (index.get(b.header.number) as number) < end && !byNumber.has(b.header.number),
      );
      const recovered = await mapLimit(suspects, this.concurrency, (b) =>
        this.pool
          .request("eth_getLogs", [{ blockHash: b.header.hash, address: this.watchedList }], parseLogs)
          .catch((error: unknown) => {
            // Every endpoint refused the hash: the block was replaced meanwhile.
            if (error instanceof RpcUnavailableError && error.errors.length > 0 && error.errors.every((e) => e.error instanceof RpcResponseError)) {
              return undefined;
            }
            throw error;
          }),
      );
      suspects.forEach((b, k) => {
        const i = index.get(b.header.number) as number;
        if (i >= end) return;
        if (recovered[k] === undefined) {
          end = i;
          this.onEvent({ type: "truncated", at: b.header.number, reason: "block hash unknown to every endpoint" });
          return;
        }
        const logs = recovered[k].filter((l) => this.watched.has(l.address));
        if (logs.length === 0) return; // a bloom false positive
        if (logs.some((l) => l.blockHash !== b.header.hash)) throw new Error(`eth_getLogs by hash ${b.header.hash} returned other blocks' logs`);
        byNumber.set(b.header.number, logs);
        this.onEvent({ type: "logs-recovered", block: { number: b.header.number, hash: b.header.hash }, count: logs.length });
      });
    }
    for (const list of byNumber.values()) list.sort((a, b) => a.logIndex - b.logIndex);
    return { byNumber, end };
  }

  /** `eth_getLogs` over `from..to` in adaptive sub-ranges. */
  private async fetchLogs(from: number, to: number): Promise<ChainLog[]> {
    const out: ChainLog[] = [];
    let cursor = from;
    while (cursor <= to) {
      const end = Math.min(to, cursor + this.logRange - 1);
      try {
        const logs = await this.pool.request(
          "eth_getLogs",
          [{ fromBlock: numberToHex(cursor), toBlock: numberToHex(end), address: this.watchedList }],
          parseLogs,
        );
        for (const log of logs) out.push(log);
        this.logSuccesses++;
        this.logFloor = Math.max(this.logFloor, end - cursor + 1);
        cursor = end + 1;
        if (this.logCeiling !== undefined && this.logSuccesses >= LOG_CEILING_MEMORY) {
          this.logCeiling = undefined; // a provider's limit may have been raised
          this.logFloor = 0;
        }
        if (this.logSuccesses % LOG_RANGE_GROW_AFTER === 0 && this.logRange < this.maxLogRange) {
          // Double; below a refused span, try halfway to it instead (a binary search for the limit).
          const target = this.logCeiling === undefined ? this.logRange * 2 : Math.floor((this.logRange + this.logCeiling) / 2);
          if (target > this.logRange) this.setLogRange(Math.min(this.maxLogRange, target));
        }
      } catch (error) {
        const tooBig = isRangeLimitError(error) || (error instanceof RpcUnavailableError && error.errors.every((e) => isTimeoutError(e.error)));
        const span = end - cursor + 1;
        if (!tooBig || span <= 1) throw error;
        this.logCeiling = Math.min(this.logCeiling ?? Infinity, span);
        this.logSuccesses = 0;
        this.setLogRange(Math.max(1, this.logFloor < span ? this.logFloor : 0, Math.floor(span / 2)));
      }
    }
    return out;
  }

  private setLogRange(range: number): void {
    if (range === this.logRange) return;
    this.logRange = range;
    this.onEvent({ type: "log-range", range });
  }

  /** Transactions to watched addresses and their receipts; `end` cuts the blocks at the first mismatch. */
  private async collectTransactions(blocks: ParsedBlock[]): Promise<{
    transactions: Map<number, ChainTransaction[]>;
    receipts: Map<number, ChainReceipt[]>;
    end: number;
  }> {
    const transactions = new Map<number, ChainTransaction[]>();
    const receipts = new Map<number, ChainReceipt[]>();
    const wanted: Array<{ block: number; index: number; hash: Hex }> = [];
    blocks.forEach((b, index) => {
      for (const tx of b.transactions) {
        if (typeof tx.to === "string" && this.watched.has(tx.to.toLowerCase())) {
          wanted.push({ block: b.header.number, index, hash: tx.hash.toLowerCase() as Hex });
          const list = transactions.get(b.header.number) ?? [];
          list.push(formatRawTransaction(tx));
          transactions.set(b.header.number, list);
        }
      }
    });
    if (wanted.length === 0) return { transactions, receipts, end: blocks.length };

    const chunks: Array<typeof wanted> = [];
    for (let i = 0; i < wanted.length; i += this.batchSize) chunks.push(wanted.slice(i, i + this.batchSize));
    const results = (
      await mapLimit(chunks, this.concurrency, (chunk) =>
        this.pool.batch(
          chunk.map((w) => ({ method: "eth_getTransactionReceipt", params: [w.hash] })),
          (raw) => parseReceipt(raw),
        ),
      )
    ).flat();

    let end = blocks.length;
    wanted.forEach((w, k) => {
      const receipt = results[k];
      const blockHash = (blocks[w.index] as ParsedBlock).header.hash;
      if (!receipt || receipt.blockHash !== blockHash) {
        if (w.index < end) {
          end = w.index;
          this.onEvent({ type: "truncated", at: w.block, reason: receipt ? "receipt from another block hash" : "receipt missing" });
        }
        return;
      }
      const list = receipts.get(w.block) ?? [];
      list.push(receipt);
      receipts.set(w.block, list);
    });
    return { transactions, receipts, end };
  }
}

/** The endpoints and the cause of a failed step, cleaned for logs and findings. */
function stepFailureOf(error: unknown): { endpoints: string[]; cause: string } {
  if (error instanceof RpcUnavailableError && error.errors.length > 0) {
    const endpoints = [...new Set(error.errors.map((e) => e.endpoint))];
    const causes = error.errors.map((e) => `${e.endpoint}: ${describeRpcError(e.error)}`);
    return { endpoints, cause: `${error.method}: ${[...new Set(causes)].join("; ")}`.slice(0, 600) };
  }
  if (error instanceof MethodUnavailableError) return { endpoints: [...error.endpoints], cause: describeRpcError(error) };
  if (error instanceof RpcResponseError) return { endpoints: [error.endpoint], cause: `${error.method}: ${describeRpcError(error)}` };
  const endpoint = (error as { endpoint?: unknown } | undefined)?.endpoint;
  return { endpoints: typeof endpoint === "string" ? [endpoint] : [], cause: describeRpcError(error) };
}

export interface PollDelayInput {
  blockTimeMs: number;
  /** The last step committed at least one block. */
  found: boolean;
  /** The last step was started by a wake-up (a new head), not the timer. */
  woken: boolean;
  /** A new-heads subscription is live. */
  headsLive: boolean;
  headsFallbackPollMs: number;
  /** The operator's fixed poll interval, if set. */
  fixedMs?: number;
  /** Milliseconds since the poll that found the last block went out (HTTP-only pacing). */
  sinceFoundPollMs?: number;
}

/**
 * How long the follower sleeps after a step that found nothing more to do.
 *
 * - Heads live: the next head wakes us, the timer is only a fallback for a
 *   missed head — except when a head woke us and the HTTP endpoint did not
 *   have its block yet (it is behind the socket's node): then look again soon.
 * - HTTP only: blocks come every `blockTimeMs`. The poll that found a block
 *   went out at most a quarter block time after it was served (the polls
 *   before it were a quarter apart), so the next block is served about one
 *   block time after that poll: poll again one block time, less a margin of a
 *   fortieth, after it. Each block the poll moves a margin earlier relative to
 *   the chain, until one comes too early, finds nothing and the next, a
 *   quarter later, finds the block. At steady block times that is ~1.1 polls
 *   per block (one empty poll in ten at 2 s blocks) where sleeping 3/4 of a
 *   block and polling each quarter cost 2, and a block is still seen at most
 *   a quarter block time after it is served (500 ms at 2 s blocks). Irregular
 *   block times cost empty polls, never a later sighting.
 */
export function nextPollDelayMs(i: PollDelayInput): number {
  const quarter = Math.max(25, Math.floor(i.blockTimeMs / 4));
  if (i.headsLive) return i.woken && !i.found ? quarter : Math.max(quarter, i.headsFallbackPollMs);
  if (i.fixedMs !== undefined) return i.fixedMs;
  if (!i.found) return quarter;
  const margin = Math.max(10, Math.floor(i.blockTimeMs / 40));
  return Math.max(25, i.blockTimeMs - margin - Math.max(0, i.sinceFoundPollMs ?? 0));
}


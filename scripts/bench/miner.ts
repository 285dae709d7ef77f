/**
 * Interval mining driven by the benchmark: `evm_mine` on a fixed-rate timer
 * (the same blocks `evm_setIntervalMining(intervalMs)` makes, automine off),
 * so that the moment each block became available is known exactly: when the
 * node answered the `evm_mine` that made it.
 *
 * Times are `performance.now()` of this process (the fault proxy stamps
 * requests with the same clock).
 */
export interface MinedBlock {
  number: number;
  /** performance.now() when the block was available. */
  at: number;
}

export class Miner {
  readonly mined = new Map<number, number>();
  /** performance.now() when the `evm_mine` that built each block was sent: a transaction answered before it is in the block's pool. */
  readonly requested = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private waiters: Array<{ after: number; resolve: (b: MinedBlock) => void }> = [];
  private nextAt = 0;
  private busy: Promise<void> = Promise.resolve();
  private paused = false;

  constructor(
    private readonly url: string,
    readonly intervalMs: number,
  ) {}

  /** Starts mining every `intervalMs` (automine must be off). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.nextAt = performance.now() + this.intervalMs;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.busy;
  }

  /** Delays the next timed block (and the cadence after it) by `ms`. */
  shift(ms: number): void {
    this.nextAt += ms;
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.schedule();
  }

  /** Skips the timer's blocks while `fn` runs (e.g. to make a reorg by hand), then resumes the cadence. */
  async pausedWhile<T>(fn: () => Promise<T>): Promise<T> {
    this.paused = true;
    await this.busy;
    try {
      return await fn();
    } finally {
      this.paused = false;
    }
  }

  /** Mines one block now; resolves with its number and availability time. */
  async mineNow(): Promise<MinedBlock> {
    const run = this.busy.then(() => this.mineOne());
    this.busy = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Resolves with the first block mined after block `after` (by this miner). */
  nextBlock(after = -1): Promise<MinedBlock> {
    for (const [number, at] of this.mined) if (number > after) return Promise.resolve({ number, at });
    return new Promise((resolve) => this.waiters.push({ after, resolve }));
  }

  /** Resolves with the next block mined from now on. */
  waitBlock(): Promise<MinedBlock> {
    const last = Math.max(-1, ...this.mined.keys());
    return this.nextBlock(last);
  }

  private schedule(): void {
    if (!this.running) return;
    const delay = Math.max(0, this.nextAt - performance.now());
    this.timer = setTimeout(() => {
      this.nextAt += this.intervalMs;
      // Fell far behind (a paused event loop): restart the cadence rather than mine a burst.
      if (this.nextAt < performance.now()) this.nextAt = performance.now() + this.intervalMs;
      if (!this.paused) void this.mineNow().catch(() => undefined);
      this.schedule();
    }, delay);
  }

  private async mineOne(): Promise<MinedBlock> {
    const call = async (method: string) => {
      const response = await fetch(this.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [] }) });
      const answer = (await response.json()) as { result?: string; error?: { message: string } };
      if (answer.error || answer.result === undefined) throw new Error(`${method} failed: ${JSON.stringify(answer)}`);
      return answer.result;
    };
    // Two requests, not one batch: anvil answers a batch's calls concurrently, and its
    // eth_blockNumber came back with the head before the evm_mine beside it (measured).
    const sent = performance.now();
    await call("evm_mine");
    const at = performance.now();
    const block = { number: Number.parseInt(await call("eth_blockNumber"), 16), at };
    this.requested.set(block.number, sent);
    this.mined.set(block.number, at);
    const ready = this.waiters.filter((w) => block.number > w.after);
    this.waiters = this.waiters.filter((w) => block.number <= w.after);
    for (const w of ready) w.resolve(block);
    return block;
  }
}

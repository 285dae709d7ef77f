/**
 * The daemon's memory over a run: `guardian run` as a child process follows
 * a chain making a block every `blockMs` (default 250 ms: eight times chain
 * 138's rate, so a minute covers what half an hour of following would
 * allocate per block) with a sponsored user operation in every fourth block.
 *
 * Sampled every 2 s through its /metrics: RSS and V8 heap used. V8 sizes its
 * heap lazily (RSS climbs while it grows the heap, then plateaus), and heap
 * used is a sawtooth between collections, so neither says "leak" by itself;
 * the daemon runs with `--trace-gc` and the heap retained after each full
 * (Mark-Compact) collection is the figure to watch: flat means no leak.
 */
import path from "node:path";
import { Miner } from "./miner.js";
import { daemonEnv, scrapeMetrics, sleep, spawnDaemon, waitUntil, writeDaemonConfig, type BenchStack } from "./stack.js";
import { slope } from "./stats.js";
import { kitTraffic } from "./traffic.js";

export interface MemoryResult {
  seconds: number;
  blocks: number;
  blockMs: number;
  samples: Array<{ t: number; rssMB: number; heapMB: number }>;
  /** Heap retained after each full collection: seconds since start, MB. */
  retained: Array<{ t: number; mb: number }>;
  retainedFirstMB: number;
  retainedLastMB: number;
  retainedSlopeMBPerMin: number;
  rssStartMB: number;
  rssEndMB: number;
  rssMaxMB: number;
  /** RSS slope over the second half of the run (after V8 has sized its heap). */
  rssSlopeMBPerMin: number;
}

const MARK_COMPACT = /\s(\d+) ms: Mark-Compact(?: \([^)]*\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/;

export async function runMemory(stack: BenchStack, o: { seconds: number; blockMs: number; log: (line: string) => void }): Promise<MemoryResult> {
  const traffic = await kitTraffic(stack, "0x3e3");
  await stack.rpc("evm_setAutomine", [false]);
  const dataDir = path.join(stack.dir, "data-memory");
  const config = writeDaemonConfig(stack, "memory", { rpcUrls: [stack.chain.url], blockTimeMs: o.blockMs, dataDir });
  const startHead = Number(await stack.client.getBlockNumber({ cacheTime: 0 }));
  const retained: MemoryResult["retained"] = [];
  let gcOffset: number | undefined;
  const daemon = spawnDaemon(stack.dir, daemonEnv(config), ["--start-block", String(startHead), "--heartbeat-interval", "0"], {
    nodeArgs: ["--trace-gc"],
    onStdout: (text) => {
      for (const line of text.split("\n")) {
        const m = MARK_COMPACT.exec(line);
        if (m) retained.push({ t: Number(m[1]) / 1000, mb: Number(m[2]) });
      }
    },
  });
  const miner = new Miner(stack.chain.url, o.blockMs);
  const samples: MemoryResult["samples"] = [];
  let running = true;
  try {
    miner.start();
    const url = await daemon.ready;
    await waitUntil(async () => ((await scrapeMetrics(url)).get("guardian_processed_block") ?? -1) >= startHead, 30_000, "the daemon following the chain", 200);
    const t0 = performance.now();
    const trafficLoop = (async () => {
      while (running) {
        const b = await miner.waitBlock();
        if (running && b.number % 4 === 0) await traffic.sendOp().catch(() => undefined);
      }
    })();
    // --trace-gc stamps ms since the isolate started: align with the first sample.
    gcOffset = retained.at(-1)?.t;
    while (performance.now() - t0 < o.seconds * 1000) {
      await sleep(2000);
      const m = await scrapeMetrics(url);
      samples.push({
        t: (performance.now() - t0) / 1000,
        rssMB: (m.get("guardian_process_process_resident_memory_bytes") ?? Number.NaN) / 2 ** 20,
        heapMB: (m.get("guardian_process_nodejs_heap_size_used_bytes") ?? Number.NaN) / 2 ** 20,
      });
    }
    running = false;
    await miner.waitBlock();
    await trafficLoop;
    const blocks = Number(await stack.client.getBlockNumber({ cacheTime: 0 })) - startHead;
    // Only the collections during the run (the first ones happen while the daemon loads).
    const during = gcOffset === undefined ? retained : retained.filter((r) => r.t > gcOffset!);
    const secondHalf = samples.filter((s) => s.t >= o.seconds / 2);
    o.log(`  ${blocks} blocks in ${o.seconds} s; ${during.length} full collections; heap retained after them ${during.map((r) => r.mb.toFixed(1)).join(", ")} MB`);
    return {
      seconds: o.seconds,
      blocks,
      blockMs: o.blockMs,
      samples,
      retained: during,
      retainedFirstMB: during[0]?.mb ?? Number.NaN,
      retainedLastMB: during.at(-1)?.mb ?? Number.NaN,
      retainedSlopeMBPerMin: slope(during.map((r) => ({ x: r.t / 60, y: r.mb }))),
      rssStartMB: samples[0]?.rssMB ?? Number.NaN,
      rssEndMB: samples.at(-1)?.rssMB ?? Number.NaN,
      rssMaxMB: Math.max(...samples.map((s) => s.rssMB)),
      rssSlopeMBPerMin: slope(secondHalf.map((s) => ({ x: s.t / 60, y: s.rssMB }))),
    };
  } finally {
    running = false;
    await daemon.kill("SIGTERM");
    await miner.stop();
    await stack.rpc("evm_setAutomine", [true]);
  }
}

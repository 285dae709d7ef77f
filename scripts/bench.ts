/**
 * `npm run bench`: Guardian's figures, each next to a baseline measured in the
 * same run on the same chain and traffic. The baseline is what a user would
 * write instead: viem's `watchBlocks` plus one `watchContractEvent` per
 * contract, default settings (scripts/bench/baseline.ts).
 *
 *   detection  2 s blocks, HTTP polling; requests per block at a counting proxy (quiet, and one user op per
 *              block); detection-to-pause trials (blocks, and ms from the block's availability to the broadcast)
 *   ws         the same with WebSocket newHeads waking the follower (HTTP polling as the fallback)
 *   memory     the daemon's RSS and heap retained after full GCs over a run (250 ms blocks)
 *   catchup    blocks/s and events/s over 10,000 blocks of kit traffic after downtime
 *   store      store.update latency with fsync, p50/p99
 *   pgstore    the PostgreSQL store on a throwaway local cluster: block-commit p50/p99 with 100,000 archived
 *              incidents, catch-up blocks/s in 100-block ranges (scripts/bench/store-postgres.ts)
 *   site       publisher + Astro build for 1,000 incidents; page weight
 *   probes     a real Alto on the node: RPC and bundler requests per probe round (one bundler; one bundler +
 *              node simulation; simulation only); blocks from the first refused probe to the incident, the
 *              daemon probing through Alto every 5 blocks (2 s blocks) while the factory cannot create accounts
 *   preempt    an attack (a 12 ETH drain through a delegation) enters the pool at a random moment of a 2 s block
 *              interval; the daemon with pre-emption on, and the same daemon with it off (the reactive baseline),
 *              on Hardhat's EDR and on anvil: share pre-empted, attack in pool -> pause broadcast (scripts/bench/preempt.ts)
 *   gas        scripts/gas.ts --json
 *
 * Options (defaults keep the run to a few minutes on 2 cores):
 *   --trials N            detection-to-pause trials (10)        --steady-blocks N   blocks per steady window (15)
 *   --memory-seconds N    (60)                                   --memory-block-ms N (250)
 *   --catchup-blocks N    blocks to catch up (10000)             --catchup-runs N    (3)
 *   --traffic-every N     one traffic block in N (20)           --store-writes N    (300)
 *   --store-archived N    closed incidents in history for the store phase (100000)
 *   --site-incidents N    (1000)                                 --site-runs N       (3)
 *   --probe-rounds N      probe rounds per configuration (10)   --probe-trials N    (3)
 *   --probe-every-blocks N  probes.everyBlocks in the trials (5) --probe-block-ms N  (2000)
 *   --pg-archived N       archived incidents in the PostgreSQL store (100000)   --pg-ranges N  catch-up ranges (30)
 *   --preempt-trials N    attack trials per node and mode (8)   --preempt-nodes edr,anvil  nodes of the preempt phase
 *   --only a,b | --skip a,b   phases: detection, ws, memory, catchup, store, pgstore, takeover, site, probes, preempt, gas
 *   --takeover-seconds N  chaos at the leader for the takeover phase (90)   --takeover-block-ms N (1000)
 *   --out FILE            where the JSON goes (bench-results.json)
 *
 * A longer run (100 trials: the 99 % target becomes measurable; 30 min of memory; ~50 minutes):
 *   npm run bench -- --trials 100 --steady-blocks 60 --memory-seconds 1800
 */
process.env.DO_NOT_TRACK ??= "1";

import { spawn } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateKitChain, runBaselineCatchUp, runCatchUp, type CatchUpRun, type KitChain } from "./bench/catchup.js";
import { runDetection, type DetectionResult, type Trial } from "./bench/detection.js";
import { runSiteBench, type SiteResult } from "./bench/site.js";
import { ROOT, startBenchStack, type BenchStack } from "./bench/stack.js";
import { max, median, percentile, round } from "./bench/stats.js";
import { runMemory } from "./bench/memory.js";
import { runProbes, type ProbeCost } from "./bench/probes.js";
import { runStoreBench, type StoreLatency } from "./bench/store.js";
import { postgresStoreRows, runPostgresStoreBench } from "./bench/store-postgres.js";
import { startPostgres } from "./lib/postgres.js";
import { formatHaStats, runSoak } from "./bench/soak.js";
import { runPreempt, summarize as preemptSummary, type PreemptNode } from "./bench/preempt.js";

const PHASES = ["detection", "ws", "memory", "catchup", "store", "pgstore", "takeover", "site", "probes", "preempt", "gas"] as const;
type Phase = (typeof PHASES)[number];

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name}: expected a positive integer, got ${process.argv[i + 1]}`);
  return value;
}
function list(name: string): string[] | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : (process.argv[i + 1] ?? "").split(",").filter(Boolean);
}

const settings = {
  trials: option("trials", 10),
  steadyBlocks: option("steady-blocks", 15),
  memorySeconds: option("memory-seconds", 60),
  memoryBlockMs: option("memory-block-ms", 250),
  catchupBlocks: option("catchup-blocks", 10_000),
  catchupRuns: option("catchup-runs", 3),
  trafficEvery: option("traffic-every", 20),
  storeWrites: option("store-writes", 300),
  storeArchived: option("store-archived", 100_000),
  siteIncidents: option("site-incidents", 1000),
  siteRuns: option("site-runs", 3),
  probeRounds: option("probe-rounds", 10),
  probeTrials: option("probe-trials", 3),
  probeEveryBlocks: option("probe-every-blocks", 5),
  probeBlockMs: option("probe-block-ms", 2000),
  pgArchived: option("pg-archived", 100_000),
  takeoverSeconds: option("takeover-seconds", 90),
  takeoverBlockMs: option("takeover-block-ms", 1000),
  pgRanges: option("pg-ranges", 30),
  preemptTrials: option("preempt-trials", 8),
  preemptNodes: (list("preempt-nodes") ?? ["edr", "anvil"]) as PreemptNode[],
};
for (const node of settings.preemptNodes) if (node !== "edr" && node !== "anvil") throw new Error(`--preempt-nodes: unknown node "${node}": expected edr and/or anvil`);
const only = list("only");
const skip = list("skip") ?? [];
for (const p of [...(only ?? []), ...skip]) if (!PHASES.includes(p as Phase)) throw new Error(`unknown phase "${p}": expected one of ${PHASES.join(", ")}`);
const runs = (p: Phase) => (only ? only.includes(p) : true) && !skip.includes(p);
const outIndex = process.argv.indexOf("--out");
const outFile = path.resolve(outIndex >= 0 ? process.argv[outIndex + 1]! : path.join(ROOT, "bench-results.json"));
const log = (line: string) => console.log(line);

function machine() {
  const cpuModel = (() => {
    try {
      return /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? cpus()[0]?.model ?? "unknown";
    } catch {
      return cpus()[0]?.model ?? "unknown";
    }
  })();
  return { cpus: cpus().length, cpuModel, memoryGB: round(totalmem() / 2 ** 30, 1), node: process.version, platform: `${process.platform} ${process.arch}` };
}

async function gasFigures(): Promise<Record<string, number>> {
  const child = spawn(process.execPath, [path.join(ROOT, "node_modules/tsx/dist/cli.mjs"), path.join(ROOT, "scripts/gas.ts"), "--json"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number | null>((r) => child.once("exit", r));
  const json = out.slice(out.indexOf("{"), out.lastIndexOf("}") + 1);
  if (code !== 0 || !json) throw new Error(`scripts/gas.ts --json failed (${code}):\n${err.slice(-2000)}`);
  return JSON.parse(json) as Record<string, number>;
}

// ------------------------------------------------------------------ summaries

function trialSummary(trials: Trial[]) {
  const ok = trials.filter((t) => t.blocks !== undefined);
  const ms = trials.flatMap((t) => (t.broadcastMs !== undefined ? [t.broadcastMs] : []));
  return {
    trials: trials.length,
    paused: ok.length,
    nextBlockShare: trials.length ? trials.filter((t) => t.blocks === 1).length / trials.length : Number.NaN,
    blocksMedian: median(ok.map((t) => t.blocks!)),
    blocksMax: max(ok.map((t) => t.blocks!)),
    broadcastMsMedian: median(ms),
    broadcastMsP95: percentile(ms, 95),
    broadcastMsMax: max(ms),
    seenMsMedian: median(trials.flatMap((t) => (t.seenMs !== undefined ? [t.seenMs] : []))),
    afterSeenMsMedian: median(trials.flatMap((t) => (t.seenMs !== undefined && t.broadcastMs !== undefined ? [t.broadcastMs - t.seenMs] : []))),
    errors: [...new Set(trials.flatMap((t) => (t.error ? [t.error] : [])))],
  };
}

// ------------------------------------------------------------------ the table

type Row = [figure: string, guardian: string, baseline: string, target: string, pass: string];
const rows: Row[] = [];
const verdict = (ok: boolean | undefined) => (ok === undefined ? "" : ok ? "yes" : "NO");
const n = (v: number, digits = 0) => (Number.isFinite(v) ? v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "-");
const pct = (v: number) => (Number.isFinite(v) ? `${n(v * 100, 0)} %` : "-");

function printTable(title: string) {
  const header: Row = ["figure", "Guardian", "baseline", "target", "met"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: Row) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

function detectionFigures(d: DetectionResult) {
  return { mode: d.mode, guardian: trialSummary(d.guardian), baseline: trialSummary(d.baseline), trials: { guardian: d.guardian, baseline: d.baseline } };
}

/** The detection phase's rows; `transport` says how the daemon learnt of new blocks (the baseline polls HTTP in both). */
function detectionRows(d: DetectionResult, transport: "http" | "ws") {
  const g = trialSummary(d.guardian);
  const b = trialSummary(d.baseline);
  const manual = d.mode === "manual";
  const tag = transport === "ws" ? "WebSocket heads" : "HTTP polling";
  const target = transport === "ws" ? 300 : 1000;
  const met = transport === "ws" ? verdict(g.broadcastMsMedian <= target) : verdict(g.broadcastMsMax <= target);
  if (transport === "http") {
    rows.push([`pause in the next block (${g.trials} trials${manual ? ", Guardian: manual trigger" : ""})`, pct(g.nextBlockShare), pct(b.nextBlockShare), ">= 99 %", verdict(g.nextBlockShare >= 0.99)]);
    rows.push(["blocks, symptom -> pause (median / max)", `${n(g.blocksMedian)} / ${n(g.blocksMax)}`, `${n(b.blocksMedian)} / ${n(b.blocksMax)}`, "1", verdict(g.blocksMax === 1)]);
  } else {
    rows.push([`[${tag}] pause in the next block (${g.trials} trials); blocks median / max`, `${pct(g.nextBlockShare)}; ${n(g.blocksMedian)} / ${n(g.blocksMax)}`, `${pct(b.nextBlockShare)}; ${n(b.blocksMedian)} / ${n(b.blocksMax)}`, ">= 99 %; 1", verdict(g.nextBlockShare >= 0.99 && g.blocksMax === 1)]);
  }
  rows.push([
    `[${tag}] ms, block available -> pause broadcast (median / p95 / max)${manual ? " [G: from trigger]" : ""}`,
    `${n(g.broadcastMsMedian)} / ${n(g.broadcastMsP95)} / ${n(g.broadcastMsMax)}`,
    `${n(b.broadcastMsMedian)} / ${n(b.broadcastMsP95)} / ${n(b.broadcastMsMax)}`,
    transport === "ws" ? "median <= 300" : "max <= 1,000",
    met,
  ]);
  if (Number.isFinite(g.seenMsMedian)) rows.push(["  of which: block fetched / processing to broadcast (medians)", `${n(g.seenMsMedian)} / ${n(g.afterSeenMsMedian)}`, "-", "", ""]);
  const s = d.steady;
  rows.push([`[${tag}] RPC requests per quiet block, whole daemon (${s.quiet.blocks} blocks)`, n(s.quiet.guardian, 2), n(s.quiet.baseline, 2), "<= 2.0", verdict(s.quiet.guardian <= 2)]);
  rows.push(["  of which the block follower", n(s.quiet.guardianFollower, 2), "-", "", ""]);
  rows.push([`[${tag}] RPC requests per block, 1 user op each: whole daemon / follower`, `${n(s.traffic.guardian, 2)} / ${n(s.traffic.guardianFollower, 2)}`, n(s.traffic.baseline, 2), "", ""]);
  if (transport === "http") {
    rows.push([
      "blocks handed to the detectors (steady windows)",
      "100 % (follower: every block)",
      pct((s.quiet.baselineBlocksSeen + s.traffic.baselineBlocksSeen) / (s.quiet.blocks + s.traffic.blocks)),
      "100 %",
      "",
    ]);
  }
}

// ------------------------------------------------------------------ main

const results: Record<string, unknown> = { generatedAt: new Date().toISOString(), machine: machine(), settings };
const figures: Record<string, unknown> = {};
results.figures = figures;
const started = performance.now();
let stack: BenchStack | undefined;
let exitCode = 0;
try {
  log(`Guardian benchmarks on ${results.machine && (results.machine as { cpus: number }).cpus} cores (${(results.machine as { cpuModel: string }).cpuModel}), ${process.version}`);
  if (runs("detection") || runs("ws") || runs("catchup") || runs("site") || runs("store") || runs("probes")) {
    log("starting a hardhat node and deploying the kit, Guardian and the guardian Safe");
    stack = await startBenchStack();
  }

  let detection: DetectionResult | undefined;
  if (runs("detection") && stack) {
    log(`\n[detection] 2 s blocks, HTTP polling; ${settings.trials} detection-to-pause trials after a warm-up trial`);
    detection = await runDetection(stack, { trials: settings.trials, steadyBlocks: settings.steadyBlocks, log });
    figures.detectionToPause = detectionFigures(detection);
    figures.rpcRequestsPerBlock = detection.steady;
    detectionRows(detection, "http");
  }
  if (runs("ws") && stack) {
    log(`\n[ws] the same with WebSocket newHeads (the node's own port; HTTP polling as the fallback)`);
    const ws = await runDetection(stack, { trials: settings.trials, steadyBlocks: settings.steadyBlocks, ws: true, log });
    figures.detectionToPauseWs = detectionFigures(ws);
    figures.rpcRequestsPerBlockWs = ws.steady;
    detectionRows(ws, "ws");
  }

  if (runs("memory") && stack) {
    log(`\n[memory] guardian run --trace-gc for ${settings.memorySeconds} s, a block every ${settings.memoryBlockMs} ms, a sponsored user operation in every fourth`);
    const mem = await runMemory(stack, { seconds: settings.memorySeconds, blockMs: settings.memoryBlockMs, log });
    figures.memory = mem;
    rows.push([
      `daemon heap retained after full GCs, MB (first / last; ${mem.retained.length} GCs, ${mem.blocks} blocks)`,
      `${n(mem.retainedFirstMB, 1)} / ${n(mem.retainedLastMB, 1)}`,
      "-",
      "flat",
      "",
    ]);
    rows.push(["  its slope, MB/min", n(mem.retainedSlopeMBPerMin, 2), "-", "<= +0.5 (no growth)", verdict(mem.retainedSlopeMBPerMin <= 0.5)]);
    rows.push(["daemon RSS, MB (start / end / max)", `${n(mem.rssStartMB)} / ${n(mem.rssEndMB)} / ${n(mem.rssMaxMB)}`, "-", "", ""]);
  }

  if (runs("catchup") && stack) {
    log(`\n[catchup] making ${n(settings.catchupBlocks)} blocks, one in ${settings.trafficEvery} with a sponsored user operation and a hub heartbeat`);
    const chain: KitChain = await generateKitChain(stack, { blocks: settings.catchupBlocks, trafficEvery: settings.trafficEvery, log });
    log(`  made in ${n(chain.generateMs / 1000, 1)} s: blocks ${chain.from}..${chain.to}, ${chain.trafficBlocks} with traffic, ${chain.events} events of watched contracts`);
    const guardianRuns: CatchUpRun[] = await runCatchUp(stack, chain, { runs: settings.catchupRuns, log });
    log("  behind provider limits: a 1,000-block eth_getLogs range (Besu's wording) and batches capped at 10 calls (one -32005 error object)");
    const limitedRuns: CatchUpRun[] = await runCatchUp(stack, chain, {
      runs: settings.catchupRuns,
      log,
      limits: { getLogsMaxRange: 1000, getLogsStyle: "besu", batch: { max: 10, style: "error-object" } },
    });
    log("  the same on the PostgreSQL store (a throwaway local cluster; the daemon as a replica that leads)");
    const pgCluster = await startPostgres();
    let pgRuns: CatchUpRun[];
    try {
      pgRuns = await runCatchUp(stack, chain, { runs: settings.catchupRuns, log, postgresUrl: pgCluster.url });
    } finally {
      await pgCluster.stop();
    }
    log("  baseline: watchContractEvent({ fromBlock }) per contract");
    const base = await runBaselineCatchUp(stack, chain);
    const bps = median(guardianRuns.map((r) => r.blocksPerS));
    const eps = median(guardianRuns.map((r) => r.eventsPerS));
    figures.catchUp = { chain, guardian: { runs: guardianRuns, blocksPerS: bps, eventsPerS: eps }, baseline: base };
    rows.push([`catch-up, blocks/s (${n(chain.blocks)} blocks, median of ${guardianRuns.length})`, n(bps), "n/a: watchBlocks cannot start in the past", ">= 2,000", verdict(bps >= 2000)]);
    const limitedBps = median(limitedRuns.map((r) => r.blocksPerS));
    figures.catchUpLimited = { limits: "eth_getLogs range 1,000, batch cap 10", runs: limitedRuns, blocksPerS: limitedBps, unlimitedBlocksPerS: bps };
    const pgBps = median(pgRuns.map((r) => r.blocksPerS));
    figures.catchUpPostgres = { runs: pgRuns, blocksPerS: pgBps, lowdbBlocksPerS: bps };
    rows.push([`catch-up on the PostgreSQL store, blocks/s`, n(pgBps), `${n(bps)} on the embedded store (same run)`, ">= 2,000", verdict(pgBps >= 2000)]);
    rows.push([`catch-up behind a 1,000-block getLogs limit + 10-call batch cap, blocks/s`, n(limitedBps), `${n(bps)} unlimited (same run)`, ">= 1,000", verdict(limitedBps >= 1000)]);
    rows.push([
      "catch-up, events/s",
      n(eps),
      base.complete ? `${n((base.delivered / base.ms) * 1000)} (all ${base.delivered} after ${n(base.ms / 1000, 1)} s: one 4 s poll)` : `${base.delivered} of ${base.expected} in ${n(base.ms / 1000, 1)} s`,
      "",
      "",
    ]);
  }

  let storeFigures: StoreLatency[] | undefined;
  if (runs("store") && stack) {
    log(`\n[store] ${settings.storeWrites} store.update calls per store (fsync of file and directory)`);
    const baseStore = detection ? path.join(detection.dataDir, "store.json") : undefined;
    storeFigures = await runStoreBench({
      chainId: stack.deployment.chainId,
      ...(baseStore ? { baseStore } : {}),
      writes: settings.storeWrites,
      archivedIncidents: settings.storeArchived,
      hotIncidents: 1000,
      log,
    });
    figures.storeWrite = storeFigures;
    const [own, archived, before] = storeFigures;
    for (const s of storeFigures)
      log(`  ${s.label}: ${s.incidents} hot + ${s.archived} archived incidents, store.json ${n(s.fileKB)} KB, history ${n(s.historyMB, 1)} MB, open ${n(s.openMs)} ms: commit p50 ${n(s.p50Ms, 1)} ms, p99 ${n(s.p99Ms, 1)} ms, max ${n(s.maxMs, 1)} ms`);
    if (own && archived && before) {
      rows.push([`store commit p50 / p99, daemon store (${n(own.fileKB)} KB)`, `${n(own.p50Ms, 1)} / ${n(own.p99Ms, 1)} ms`, "-", "p99 <= 20 ms", verdict(own.p99Ms <= 20)]);
      rows.push([
        `store commit p50 / p99, ${archived.archived} closed incidents in history (store.json ${n(archived.fileKB)} KB)`,
        `${n(archived.p50Ms, 1)} / ${n(archived.p99Ms, 1)} ms`,
        `${n(before.p50Ms, 1)} / ${n(before.p99Ms, 1)} ms with ${before.incidents} kept hot (${n(before.fileKB)} KB)`,
        "p99 <= 20 ms",
        verdict(archived.p99Ms <= 20),
      ]);
      rows.push([`store open with ${archived.archived} archived (history scan, ${n(archived.historyMB)} MB)`, `${n(archived.openMs)} ms`, "-", "", ""]);
    }
  }

  if (runs("pgstore")) {
    log(`\n[pgstore] PostgreSQL store: ${settings.pgArchived} archived incidents, ${settings.storeWrites} block commits, ${settings.pgRanges} catch-up ranges of 100 blocks`);
    try {
      const pgFigures = await runPostgresStoreBench({
        chainId: stack?.deployment.chainId ?? 31337,
        ...(detection ? { baseStore: path.join(detection.dataDir, "store.json") } : {}),
        writes: settings.storeWrites,
        archived: settings.pgArchived,
        ranges: settings.pgRanges,
        rangeBlocks: 100,
        log,
      });
      figures.storePostgres = pgFigures;
      log(`  ${pgFigures.archivedIncidents} archived in ${n(pgFigures.seedSeconds, 1)} s; commits p50 ${n(pgFigures.commits.p50Ms, 1)} ms, p99 ${n(pgFigures.commits.p99Ms, 1)} ms (CPU a commit: Guardian ${n(pgFigures.commits.nodeCpuMs, 2)} ms, PostgreSQL ${n(pgFigures.commits.serverCpuMs, 2)} ms); catch-up ${n(pgFigures.catchUp.blocksPerS)} blocks/s; database ${n(pgFigures.databaseMB)} MB`);
      rows.push(...postgresStoreRows(pgFigures, storeFigures));
    } catch (error) {
      log(`  not measured: ${error instanceof Error ? error.message : String(error)}`);
      rows.push(["PostgreSQL store", "not measured (see the log)", "-", "", "NO"]);
    }
  }

  if (runs("takeover")) {
    // Three replicas on PostgreSQL (the HA soak without RPC faults or reorgs): the leader SIGKILLed, SIGSTOPped past
    // its lease, its connections cut, PostgreSQL restarted; how long until a standby leads and commits a block.
    log(`\n[takeover] 3 replicas on PostgreSQL, ${settings.takeoverBlockMs} ms blocks, ${settings.takeoverSeconds} s of chaos at the leader`);
    const report = await runSoak({ replicas: 3, store: "postgres", durationMs: settings.takeoverSeconds * 1000, blockIntervalMs: settings.takeoverBlockMs, faults: false, reorgs: false, log: () => {} });
    const ha = report.stats.ha!;
    for (const line of formatHaStats(ha)) log(`  ${line}`);
    const lost = ha.takeovers.filter((t) => t.cause === "sigkill" || t.cause === "sigstop");
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const blocks = sorted(lost.map((t) => t.blocks));
    const ms = sorted(lost.map((t) => t.expiryToFirstCommitMs));
    figures.takeover = { leaseMs: ha.leaseMs, blockMs: settings.takeoverBlockMs, takeovers: ha.takeovers, checksPassed: report.ok };
    if (lost.length)
      rows.push([
        `takeover after the leader is killed or frozen: blocks / ms from lease expiry to the new leader's first block (median / max of ${lost.length}; lease ${ha.leaseMs} ms, ${settings.takeoverBlockMs} ms blocks)`,
        `${blocks[Math.floor(blocks.length / 2)]} / ${blocks.at(-1)} blocks; ${n(ms[Math.floor(ms.length / 2)]!)} / ${n(ms.at(-1)!)} ms`,
        "-",
        "<= 2 blocks",
        verdict(blocks.at(-1)! <= 2),
      ]);
    rows.push(["HA soak invariants during the takeover phase (exactly once, one pause per symptom, no stale term, no double delivery)", report.ok ? "all held" : report.checks.filter((c) => !c.ok).map((c) => c.name).join("; "), "-", "all hold", verdict(report.ok)]);
  }

  let site: SiteResult | undefined;
  if (runs("site") && stack) {
    log(`\n[site] publisher + site build for ${settings.siteIncidents} incidents, ${settings.siteRuns} runs`);
    site = await runSiteBench(stack, { incidents: settings.siteIncidents, runs: settings.siteRuns, log });
    figures.site = site;
    rows.push([`status publish, ${site.incidents} incidents (median)`, `${n(median(site.runs.map((r) => r.publishMs)))} ms`, "-", "", ""]);
    rows.push([`status site build, ${site.incidents} incidents (median)`, `${n(median(site.runs.map((r) => r.buildMs)))} ms`, "-", "", ""]);
    rows.push([`page weight: index / median page / heaviest (${site.heaviestPage})`, `${n(site.indexKB, 1)} / ${n(site.medianPageKB, 1)} / ${n(site.heaviestKB, 1)} KB`, "-", "<= 50 KB a page", verdict(site.pagesOverBudget === 0)]);
    rows.push(["site: pages, size on disk, status.json", `${site.pages} pages, ${n(site.siteMB, 1)} MB, ${n(site.statusJsonKB)} KB`, "-", "", ""]);
  }

  if (runs("probes") && stack) {
    log(`\n[probes] ${settings.probeRounds} probe rounds per configuration; ${settings.probeTrials} broken-factory trials, a round every ${settings.probeEveryBlocks} blocks of ${settings.probeBlockMs} ms`);
    const p = await runProbes(stack, { rounds: settings.probeRounds, trials: settings.probeTrials, everyBlocks: settings.probeEveryBlocks, blockMs: settings.probeBlockMs, log });
    figures.probes = p;
    const label: Record<ProbeCost["config"], string> = { bundler: "one bundler, no node simulation", "bundler+simulation": "one bundler + node simulation", simulation: "no bundler, node simulation only" };
    for (const c of p.cost) {
      const ok = c.notOk.length === 0 ? "" : " [NOT all ok]";
      rows.push([
        `probe round, RPC / bundler requests (${label[c.config]}; median of ${c.rounds})${ok}`,
        `${n(c.rpcRequests.median)} / ${n(c.bundlerRequests.median)}`,
        "-",
        "<= 6 each",
        verdict(c.notOk.length === 0 && c.rpcRequests.median <= 6 && c.bundlerRequests.median <= 6),
      ]);
    }
    const d = p.detection;
    const target = 2 * d.everyBlocks;
    const done = d.trials.filter((t) => t.blocks !== undefined).length;
    rows.push([
      `blocks, first refused probe -> incident (median / max; ${done} of ${d.trials.length} trials, every ${d.everyBlocks} blocks)`,
      `${n(d.blocksMedian)} / ${n(d.blocksMax)}`,
      d.onChainFindings === 0 && d.transactionsToStack === 0 ? "never (nothing on chain)" : `on-chain detector: ${d.onChainFindings} findings, ${d.transactionsToStack} txs`,
      `<= ${target}`,
      verdict(done === d.trials.length && d.blocksMax <= target),
    ]);
    const seen = d.trials.flatMap((t) => (t.firstFailBlock !== undefined ? [t.firstFailBlock - t.breakBlock] : []));
    rows.push(["  before that: factory broken -> first refused probe, blocks (median / max)", `${n(median(seen))} / ${n(max(seen))}`, "-", `<= ${d.everyBlocks}`, verdict(seen.length > 0 && max(seen) <= d.everyBlocks)]);
  }

  if (runs("preempt")) {
    log(`\n[preempt] a 12 ETH drain through a delegation enters the pool at a random moment of a 2 s block; ${settings.preemptTrials} trials per node and mode after a warm-up (${settings.preemptNodes.join(", ")})`);
    const preempt = await runPreempt({ trials: settings.preemptTrials, nodes: settings.preemptNodes, log });
    figures.preempt = preempt.map((r) => ({ ...r, summary: preemptSummary(r.trials) }));
    for (const node of settings.preemptNodes) {
      const on = preempt.find((r) => r.node === node && r.mode === "preempt");
      const off = preempt.find((r) => r.node === node && r.mode === "baseline");
      const g = on && on.available ? preemptSummary(on.trials) : undefined;
      const b = off ? preemptSummary(off.trials) : undefined;
      const tag = node === "edr" ? "EDR" : "anvil";
      const outcomes = (x: typeof b) => (x ? `${x.outcomes["pre-empted"]} pre-empted, ${x.outcomes.missed} missed, ${x.outcomes["never landed"]} never landed${x.outcomes["reverted otherwise"] ? `, ${x.outcomes["reverted otherwise"]} reverted otherwise` : ""}` : "-");
      const none = "not in this build";
      rows.push([
        `[preempt, ${tag}] attacks pre-empted: all / pending >= 300 ms before the block (${g?.trials ?? 0} trials; ${g?.longPending ?? 0} long)`,
        g ? `${pct(g.preemptedShare)} / ${pct(g.preemptedShareLongPending)}` : none,
        b ? `${pct(b.preemptedShare)} / ${pct(b.preemptedShareLongPending)}` : "-",
        ">= 90 % (>= 300 ms)",
        g ? verdict(g.preemptedShareLongPending >= 0.9) : "",
      ]);
      rows.push([`[preempt, ${tag}]   outcomes (reverted with EnforcedPause)`, g ? `${outcomes(g)} (${g.enforcedPause})` : none, b ? `${outcomes(b)} (${b.enforcedPause})` : "-", "", ""]);
      rows.push([
        `[preempt, ${tag}] ms, attack in pool -> pause broadcast (median / p95)`,
        g ? `${n(g.broadcastMsMedian)} / ${n(g.broadcastMsP95)}` : none,
        b ? `${n(b.broadcastMsMedian)} / ${n(b.broadcastMsP95)}` : "-",
        "median <= 150",
        g ? verdict(g.broadcastMsMedian <= 150) : "",
      ]);
      rows.push([
        `[preempt, ${tag}] blocks, attack's block -> pause's block (median / max; 0: same block); ms, attack's block available -> pause broadcast (median)`,
        g ? `${n(g.blocksToPauseMedian)} / ${n(g.blocksToPauseMax)}; ${n(g.afterAttackBlockMsMedian)} ms` : none,
        b ? `${n(b.blocksToPauseMedian)} / ${n(b.blocksToPauseMax)}; ${n(b.afterAttackBlockMsMedian)} ms` : "-",
        "",
        "",
      ]);
    }
  }

  if (runs("gas")) {
    log("\n[gas] scripts/gas.ts --json");
    const gas = await gasFigures();
    figures.gas = gas;
    rows.push(["gas: sentinel pause, 3 layers, one tx", n(gas.sentinelPause3Layers!), "-", "", ""]);
    rows.push(["gas: pause 3 layers, guardian key / 2-of-3 Safe", `${n(gas.pause3LayersGuardianKey!)} / ${n(gas.pause3LayersSafe2of3!)}`, "-", "", ""]);
    rows.push(["gas: guard overhead, account creation / sponsored op / redemption", `${n(gas.createAccountGuardOverhead!)} / ${n(gas.paymasterGuardOverhead!)} / ${n(gas.redemptionGuardOverhead!)}`, "-", "", ""]);
  }

  results.durationSeconds = round((performance.now() - started) / 1000, 1);
  writeFileSync(outFile, `${JSON.stringify(results, (_k, v) => (typeof v === "number" ? round(v, 3) : v), 2)}\n`);
  printTable(`Guardian benchmarks (${(results.machine as { cpus: number }).cpus} cores, ${(results.machine as { cpuModel: string }).cpuModel}; ${results.durationSeconds} s)`);
  console.log(
    `\nGuardian: the daemon (guardian run) behind a counting proxy. Baseline: viem watchBlocks + watchContractEvent per contract, default settings (4 s polling), same chain, same blocks.\nFigures as JSON: ${path.relative(process.cwd(), outFile)}`,
  );
} catch (error) {
  console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitCode = 1;
} finally {
  await stack?.stop().catch(() => undefined);
}
process.exit(exitCode);

/**
 * The PostgreSQL store's write figures on a throwaway local cluster
 * (scripts/lib/postgres.ts: fsync on, synchronous commit), through the store
 * itself (`store.update` timed end to end: clone, mutate, schema check,
 * diff, one transaction, COMMIT).
 *
 * 1. History: `archived` incidents (the realistic mix of bench/incidents.ts)
 *    go through the store and out of its hot map in batches, so they sit in
 *    the incidents table as history — the size that must not matter.
 * 2. Block commits: what one block writes (the checkpoint ring moves by one
 *    block, the processed count, the detector state's snapshot ring, one
 *    finding, one incident changed); p50/p99/max over `writes` commits.
 * 3. Catch-up: ranges of `rangeBlocks` blocks in one update each (what
 *    commitBlocks does after downtime), a finding every 20 blocks; blocks/s.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { openPostgresStore, type PostgresStore } from "../../daemon/src/store/postgres/index.js";
import type { StoreData } from "../../daemon/src/store/schema.js";
import type { FindingRecord, Hex, Incident } from "../../daemon/src/types.js";
import { startPostgres } from "../lib/postgres.js";
import { incidentHistory } from "./incidents.js";
import { max, percentile } from "./stats.js";
import type { StoreLatency } from "./store.js";

export interface PostgresStoreFigures {
  archivedIncidents: number;
  seedSeconds: number;
  hotIncidents: number;
  /**
   * CPU time per commit: nodeCpuMs this process's (the store's own work: clone, compare, check, SQL
   * text), serverCpuMs PostgreSQL's (all its processes; NaN where /proc cannot tell). What the wall
   * time holds beyond both is waiting: the WAL flush, and the machine's other work.
   */
  commits: { writes: number; p50Ms: number; p99Ms: number; maxMs: number; nodeCpuMs: number; serverCpuMs: number };
  catchUp: { ranges: number; rangeBlocks: number; blocksPerS: number; p50RangeMs: number; maxRangeMs: number };
  databaseMB: number;
}

export interface PostgresStoreBenchOptions {
  chainId: number;
  /** A lowdb store.json whose hot state (detector state, incidents, findings) the commits start from. */
  baseStore?: string;
  writes: number;
  archived: number;
  ranges: number;
  rangeBlocks: number;
  log?: (line: string) => void;
}

const SEED_BATCH = 2_000;
const hashOf = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;

export async function runPostgresStoreBench(o: PostgresStoreBenchOptions): Promise<PostgresStoreFigures> {
  const log = o.log ?? (() => {});
  const cluster = await startPostgres();
  let store: PostgresStore | undefined;
  try {
    store = await openPostgresStore({ url: cluster.url, chainId: o.chainId, purpose: "bench", recordProcessed: false });

    // The daemon's hot state, if the detection phase left a store.
    const base = o.baseStore ? (JSON.parse(readFileSync(o.baseStore, "utf8")) as StoreData) : undefined;
    const history = incidentHistory(o.archived + 1);
    const hot: Incident = { ...history.at(-1)!, state: "responding", publicStatus: "identified" };
    await store.update((d) => {
      if (base) {
        d.chain.ring = base.chain.ring;
        d.chain.processedCount = base.chain.processedCount;
        d.detectorState = base.detectorState;
        d.findings = base.findings;
        for (const [id, incident] of Object.entries(base.incidents)) d.incidents[id] = incident;
      }
      d.incidents[hot.id] = hot;
    });

    // 1. History.
    const t0 = performance.now();
    for (let i = 0; i < o.archived; i += SEED_BATCH) {
      const batch = history.slice(i, Math.min(i + SEED_BATCH, o.archived));
      await store.update((d) => void batch.forEach((incident) => (d.incidents[incident.id] = incident)));
      await store.update((d) => void batch.forEach((incident) => delete d.incidents[incident.id]));
      if ((i / SEED_BATCH) % 10 === 9) log(`  ${i + batch.length} incidents archived`);
    }
    const seedSeconds = (performance.now() - t0) / 1000;
    if (store.history.count() < o.archived) throw new Error(`seeding: ${store.history.count()} incidents archived, expected ${o.archived}`);
    // A database in its steady state, not one just bulk-loaded: the seeding's dead row versions vacuumed
    // and its WAL checkpointed, so autovacuum and a checkpoint do not land inside the measured commits.
    await settle(cluster.url);

    let number = store.read().chain.ring.at(-1)?.number ?? 0;
    const block = (d: StoreData, findings: boolean) => {
      number++;
      const hash = hashOf(number);
      d.chain.ring.push({ number, hash });
      if (d.chain.ring.length > 128) d.chain.ring.shift();
      d.chain.processedCount += 1;
      const ds = d.detectorState as { current?: unknown; snapshots?: Array<{ number: number; hash: string; state: unknown }> };
      ds.snapshots ??= [];
      ds.snapshots.push({ number, hash, state: structuredClone(ds.current ?? { block: number }) });
      if (ds.snapshots.length > 16) ds.snapshots.shift();
      if (findings) {
        const at = new Date().toISOString();
        d.findings.push(finding(number, hot.id, at));
        const incident = d.incidents[hot.id]!;
        d.incidents[hot.id] = { ...incident, findingCount: incident.findingCount + 1, lastFindingAt: at, updatedAt: at };
      }
    };

    // 2. Block commits.
    const times: number[] = [];
    const cpu0 = process.cpuUsage();
    const server0 = serverCpuMs(cluster.dataDir);
    for (let k = 0; k < o.writes; k++) {
      const s = performance.now();
      await store.update((d) => block(d, true));
      times.push(performance.now() - s);
    }
    const cpu = process.cpuUsage(cpu0);
    const serverMs = serverCpuMs(cluster.dataDir) - server0;

    // 3. Catch-up ranges.
    const rangeTimes: number[] = [];
    for (let r = 0; r < o.ranges; r++) {
      const s = performance.now();
      await store.update((d) => {
        for (let b = 0; b < o.rangeBlocks; b++) block(d, (number + 1) % 20 === 0);
      });
      rangeTimes.push(performance.now() - s);
    }
    const rangeTotal = rangeTimes.reduce((a, b) => a + b, 0);

    const size = await sizeMB(cluster.url);
    return {
      archivedIncidents: store.history.count(),
      seedSeconds,
      hotIncidents: Object.keys(store.read().incidents).length,
      commits: { writes: times.length, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99), maxMs: max(times), nodeCpuMs: (cpu.user + cpu.system) / 1000 / times.length, serverCpuMs: serverMs / times.length },
      catchUp: { ranges: rangeTimes.length, rangeBlocks: o.rangeBlocks, blocksPerS: (o.ranges * o.rangeBlocks) / (rangeTotal / 1000), p50RangeMs: percentile(rangeTimes, 50), maxRangeMs: max(rangeTimes) },
      databaseMB: size,
    };
  } finally {
    await store?.close();
    await cluster.stop();
  }
}

function finding(number: number, incidentId: string, at: string): FindingRecord {
  return {
    detector: "user-operations",
    key: "user-operations:bench",
    severity: "medium",
    title: "Sponsored user operations reverting",
    summary: `3 of 20 sponsored operations reverted in block ${number}`,
    layers: ["entryPoint"],
    contracts: [],
    evidence: { blockNumber: number, blockHash: hashOf(number), values: { reverted: 3, window: 20 } },
    observedAt: at,
    incidentId,
  };
}

/** CPU time (ms) used so far by the cluster's postmaster and its children, live or exited (Linux /proc; NaN elsewhere). */
function serverCpuMs(dataDir: string): number {
  try {
    const postmaster = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    const ticks = 100; // USER_HZ on Linux
    let total = 0;
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue; // gone meanwhile
      }
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const pid = Number(entry);
      const ppid = Number(fields[1]);
      if (pid !== postmaster && ppid !== postmaster) continue;
      total += Number(fields[11]) + Number(fields[12]); // utime, stime
      // The postmaster's cutime and cstime hold what its children that already exited used (an autovacuum worker...).
      if (pid === postmaster) total += Number(fields[13]) + Number(fields[14]);
    }
    return (total / ticks) * 1000;
  } catch {
    return Number.NaN;
  }
}

async function settle(url: string): Promise<void> {
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("VACUUM (ANALYZE)");
    await client.query("CHECKPOINT");
  } finally {
    await client.end();
  }
}

async function sizeMB(url: string): Promise<number> {
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ bytes: string }>("SELECT pg_database_size(current_database()) AS bytes");
    return Number(r.rows[0]!.bytes) / 2 ** 20;
  } finally {
    await client.end();
  }
}

/** The bench table's rows: the PostgreSQL figures, next to the embedded store's from the same run when it ran. */
export function postgresStoreRows(f: PostgresStoreFigures, lowdb: readonly StoreLatency[] | undefined): Array<[string, string, string, string, string]> {
  const n = (v: number, digits = 0) => (Number.isFinite(v) ? v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "-");
  const biggest = lowdb?.at(-1);
  const beside = biggest ? `lowdb ${n(biggest.p50Ms, 1)} / ${n(biggest.p99Ms, 1)} ms (${biggest.label})` : "-";
  return [
    [
      `PostgreSQL block commit p50 / p99, ${n(f.archivedIncidents)} archived incidents (${f.commits.writes} commits)`,
      `${n(f.commits.p50Ms, 1)} / ${n(f.commits.p99Ms, 1)} ms`,
      beside,
      "p99 <= 20 ms",
      f.commits.p99Ms <= 20 ? "yes" : "NO",
    ],
    [
      `PostgreSQL catch-up, blocks/s (${f.catchUp.ranges} ranges of ${f.catchUp.rangeBlocks} blocks, one update each)`,
      n(f.catchUp.blocksPerS),
      "-",
      ">= 2,000",
      f.catchUp.blocksPerS >= 2000 ? "yes" : "NO",
    ],
  ];
}

/**
 * Store commit latency: `store.update` timed end to end (clone, mutate,
 * schema check, serialize, write the temp file, fsync it, rename, fsync the
 * directory) on the filesystem of the data directory.
 *
 * Each write is what a block commit does to the store: the checkpoint ring
 * moves by one block, the processed count grows, the detector state's
 * snapshot ring moves. Three stores:
 * - the daemon's own store as the detection-to-pause run left it;
 * - the same with `archivedIncidents` (100,000) closed incidents, which the
 *   store has moved to history (seeded through store.update in chunks, as
 *   the daemon would have archived them);
 * - the baseline, the layout before history existed: the same store with
 *   `hotIncidents` (1,000) closed incidents kept in store.json.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { HISTORY_DIR, openLowdbStore, STORE_FILE, type LowdbStore } from "../../daemon/src/store/index.js";
import { incidentHistory } from "./incidents.js";
import { max, percentile } from "./stats.js";

export interface StoreLatency {
  label: string;
  /** Incidents in the hot state / in history. */
  incidents: number;
  archived: number;
  fileKB: number;
  historyMB: number;
  writes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Opening the store (lock, read, history scan), ms. */
  openMs: number;
}

const SEED_CHUNK = 5_000;

/** Block-sized commits on `store`: p50/p99/max of `writes` updates. */
export async function blockCommits(store: Pick<LowdbStore, "read" | "update">, writes: number): Promise<number[]> {
  let number = store.read().chain.ring.at(-1)?.number ?? 0;
  const times: number[] = [];
  for (let k = 0; k < writes; k++) {
    number++;
    const hash = `0x${number.toString(16).padStart(64, "0")}`;
    const t0 = performance.now();
    await store.update((draft) => {
      draft.chain.ring.push({ number, hash: hash as `0x${string}` });
      if (draft.chain.ring.length > 128) draft.chain.ring.shift();
      draft.chain.processedCount += 1;
      const ds = draft.detectorState as { current?: unknown; snapshots?: Array<{ number: number; hash: string; state: unknown }> };
      if (Array.isArray(ds.snapshots)) {
        ds.snapshots.push({ number, hash, state: structuredClone(ds.current ?? {}) });
        if (ds.snapshots.length > 16) ds.snapshots.shift();
      }
    });
    times.push(performance.now() - t0);
  }
  return times;
}

export async function runStoreBench(o: { chainId: number; baseStore?: string; writes: number; archivedIncidents: number; hotIncidents: number; log?: (line: string) => void }): Promise<StoreLatency[]> {
  const cases = [
    { label: "daemon store", seed: 0, keepHot: false },
    { label: `+ ${o.archivedIncidents.toLocaleString("en-US")} closed incidents in history`, seed: o.archivedIncidents, keepHot: false },
    { label: `baseline: + ${o.hotIncidents.toLocaleString("en-US")} closed incidents kept in store.json (layout before history)`, seed: o.hotIncidents, keepHot: true },
  ];
  const out: StoreLatency[] = [];
  for (const c of cases) {
    const dataDir = mkdtempSync(path.join(tmpdir(), "guardian-store-bench-"));
    const open = () => openLowdbStore({ dataDir, chainId: o.chainId, purpose: "bench", recordProcessed: false, ...(c.keepHot ? { archiveAfterMs: Number.MAX_SAFE_INTEGER, maxClosedHot: Number.MAX_SAFE_INTEGER } : {}) });
    try {
      if (o.baseStore) copyFileSync(o.baseStore, path.join(dataDir, STORE_FILE));
      let store = await open();
      try {
        for (let offset = 0; offset < c.seed; offset += SEED_CHUNK) {
          const chunk = incidentHistory(Math.min(SEED_CHUNK, c.seed - offset), new Date(), 138, { offset, total: c.seed, allClosed: true });
          await store.update((draft) => {
            for (const i of chunk) draft.incidents[i.id] = i;
          });
          if (c.seed > SEED_CHUNK) o.log?.(`  seeding ${Math.min(offset + SEED_CHUNK, c.seed)} / ${c.seed}`);
        }
        await store.close();
        const t0 = performance.now();
        store = await open();
        const openMs = performance.now() - t0;
        const times = await blockCommits(store, o.writes);
        const historyDir = path.join(dataDir, HISTORY_DIR);
        let historyBytes = 0;
        try {
          for (const f of readdirSync(historyDir)) historyBytes += statSync(path.join(historyDir, f)).size;
        } catch {
          // no history
        }
        out.push({
          label: c.label,
          incidents: Object.keys(store.read().incidents).length,
          archived: store.history.count(),
          fileKB: statSync(path.join(dataDir, STORE_FILE)).size / 1024,
          historyMB: historyBytes / 1024 / 1024,
          writes: times.length,
          p50Ms: percentile(times, 50),
          p99Ms: percentile(times, 99),
          maxMs: max(times),
          openMs,
        });
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return out;
}

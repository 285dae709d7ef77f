/**
 * Store write latency: `store.update` timed end to end (clone, mutate,
 * schema check, serialize, write the temp file, fsync it, rename, fsync the
 * directory) on the filesystem of the data directory.
 *
 * Each write is what a block commit does to the store: the checkpoint ring
 * moves by one block, the processed count grows, the detector state's
 * snapshot ring moves. Two stores: the daemon's own store as the
 * detection-to-pause run left it, and the same with 1,000 incidents added
 * (the store keeps every incident; it is the size that grows).
 */
import { copyFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openLowdbStore, STORE_FILE } from "../../daemon/src/store/index.js";
import { incidentHistory } from "./incidents.js";
import { max, percentile } from "./stats.js";

export interface StoreLatency {
  label: string;
  incidents: number;
  fileKB: number;
  writes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export async function runStoreBench(o: { chainId: number; baseStore?: string; writes: number; extraIncidents: number[] }): Promise<StoreLatency[]> {
  const out: StoreLatency[] = [];
  for (const extra of o.extraIncidents) {
    const dataDir = mkdtempSync(path.join(tmpdir(), "guardian-store-bench-"));
    try {
      if (o.baseStore) copyFileSync(o.baseStore, path.join(dataDir, STORE_FILE));
      const store = await openLowdbStore({ dataDir, chainId: o.chainId, purpose: "bench", recordProcessed: false });
      try {
        if (extra > 0) {
          const history = incidentHistory(extra);
          await store.update((draft) => {
            for (const i of history) draft.incidents[i.id] = i;
          });
        }
        const data = store.read();
        let number = data.chain.ring.at(-1)?.number ?? 0;
        const times: number[] = [];
        for (let k = 0; k < o.writes; k++) {
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
        out.push({
          label: extra > 0 ? `daemon store + ${extra} incidents` : "daemon store",
          incidents: Object.keys(store.read().incidents).length,
          fileKB: statSync(path.join(dataDir, STORE_FILE)).size / 1024,
          writes: times.length,
          p50Ms: percentile(times, 50),
          p99Ms: percentile(times, 99),
          maxMs: max(times),
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

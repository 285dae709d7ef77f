/**
 * The status site for 1,000 incidents: the daemon's StatusPublisher
 * publishes from a store holding them (reading the hub's layer states from
 * the chain, as in the daemon), then `buildSite` (Astro) builds the static
 * site. Times both; weighs the pages with site/budget.ts (HTML plus the
 * same-site CSS, JS and images each page loads, uncompressed).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PublicClient } from "viem";
import { RpcPool } from "../../daemon/src/chain/index.js";
import { StatusPublisher } from "../../daemon/src/runtime/publisher.js";
import { openLowdbStore } from "../../daemon/src/store/index.js";
import { buildSite } from "../../site/build.js";
import { measureSite } from "../../site/budget.js";
import { incidentHistory } from "./incidents.js";
import type { BenchStack } from "./stack.js";

export interface SiteRun {
  publishMs: number;
  buildMs: number;
}

export interface SiteResult {
  incidents: number;
  runs: SiteRun[];
  pages: number;
  indexKB: number;
  /** The heaviest page and its weight. */
  heaviestPage: string;
  heaviestKB: number;
  /** Median page weight. */
  medianPageKB: number;
  pagesOverBudget: number;
  siteMB: number;
  statusJsonKB: number;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

export async function runSiteBench(stack: BenchStack, o: { incidents: number; runs: number; log: (line: string) => void }): Promise<SiteResult> {
  const work = mkdtempSync(path.join(tmpdir(), "guardian-site-bench-"));
  const store = await openLowdbStore({ dataDir: path.join(work, "data"), chainId: stack.deployment.chainId, purpose: "bench" });
  try {
    const tip = await stack.client.getBlock();
    const history = incidentHistory(o.incidents);
    await store.update((draft) => {
      for (const i of history) draft.incidents[i.id] = i;
      draft.chain.ring = [{ number: Number(tip.number), hash: tip.hash }];
    });
    const pool = new RpcPool({ endpoints: [{ url: stack.chain.url, name: "local" }], chainId: stack.deployment.chainId, timeoutMs: 5000 });
    await pool.init();
    const publicDir = path.join(work, "public");
    const publisher = new StatusPublisher({
      store,
      client: stack.client as unknown as PublicClient,
      pool,
      deployment: stack.deployment,
      publicDir,
      intervalSeconds: 60,
      clock: () => new Date(),
    });
    const runs: SiteRun[] = [];
    const outDir = path.join(work, "dist");
    let statusFile = "";
    for (let i = 0; i < o.runs; i++) {
      const t0 = performance.now();
      await publisher.publish();
      const t1 = performance.now();
      statusFile = path.join(publicDir, "status.json");
      await buildSite({ statusFile, outDir, logLevel: "error" });
      const t2 = performance.now();
      runs.push({ publishMs: t1 - t0, buildMs: t2 - t1 });
      o.log(`  run ${i + 1}/${o.runs}: publish ${Math.round(t1 - t0)} ms, site build ${Math.round(t2 - t1)} ms`);
    }
    const weights = measureSite(outDir);
    const sorted = [...weights].sort((a, b) => a.totalBytes - b.totalBytes);
    const heaviest = sorted.at(-1)!;
    const index = weights.find((w) => w.page === "index.html")!;
    return {
      incidents: o.incidents,
      runs,
      pages: weights.length,
      indexKB: index.totalBytes / 1024,
      heaviestPage: heaviest.page,
      heaviestKB: heaviest.totalBytes / 1024,
      medianPageKB: sorted[Math.floor(sorted.length / 2)]!.totalBytes / 1024,
      pagesOverBudget: weights.filter((w) => !w.withinBudget).length,
      siteMB: dirBytes(outDir) / 2 ** 20,
      statusJsonKB: statSync(statusFile).size / 1024,
    };
  } finally {
    await store.close();
    rmSync(work, { recursive: true, force: true });
  }
}

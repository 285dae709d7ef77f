/**
 * Every page of the site within the 50 KB page-weight budget (site/budget.ts:
 * HTML plus same-site resources, uncompressed, JSON excluded) for the
 * heaviest history the publisher lets through: its 200-incident cap
 * (buildStatus's maxIncidents) filled from 90 days of incidents, 30 of
 * them still open with several public updates each, and maintenances.
 * The history is paginated; every page link leads to a built page.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addTimelineEntry, isDisclosed } from "../../daemon/src/incidents/index.js";
import type { Incident } from "../../daemon/src/types.js";
import { buildStatus, writeStatusFiles, type Status } from "../../daemon/src/publish/index.js";
import { formatReport, measureSite, PAGE_BUDGET_BYTES, type PageWeight } from "../../site/budget.js";
import { buildSite } from "../../site/build.js";
import { HISTORY_PAGE_SIZE } from "../../site/src/lib/limits.js";
import { incidentHistory } from "../../scripts/bench/incidents.js";
import { scenarioInput, scenarioMaintenances } from "./scenario.js";

let work: string;
let dist: string;
let status: Status;
let weights: PageWeight[];
let history: Incident[];

beforeAll(async () => {
  process.env.ASTRO_TELEMETRY_DISABLED = "1";
  work = mkdtempSync(path.join(tmpdir(), "guardian-budget-"));
  const now = new Date();
  // 400 incidents over 90 days; the last 30 still open, each with five more public updates.
  history = incidentHistory(400, now).map((incident, i, all) => {
    if (i < all.length - 30) return incident;
    let open: Incident = { ...incident, state: "responding", publicStatus: "identified" };
    delete (open as { resolvedAt?: string }).resolvedAt;
    for (let n = 0; n < 5; n++) {
      open = addTimelineEntry(open, { kind: "note", message: `Update ${n + 1}: we are still working on it; sponsored operations may be refused meanwhile. ${"More detail. ".repeat(8)}`, public: true, by: "on-call" }, new Date(Date.parse(open.updatedAt) + 60_000));
    }
    return open;
  });
  status = buildStatus({ ...scenarioInput({ now }), incidents: history, maintenances: scenarioMaintenances(now) }, now);
  const { statusFile } = writeStatusFiles(path.join(work, "data"), status);
  ({ outDir: dist } = await buildSite({ statusFile, outDir: path.join(work, "dist"), logLevel: "error" }));
  weights = measureSite(dist);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("page-weight budget", () => {
  it("the publisher caps the history at 200 incidents, every unresolved public one among them", () => {
    expect(status.incidents).toHaveLength(200);
    // One in six of the history is a security incident nobody approved for disclosure: not published.
    expect(status.incidents.filter((i) => i.status !== "resolved")).toHaveLength(history.slice(-30).filter((i) => isDisclosed(i)).length);
    expect(history.slice(-30).filter((i) => isDisclosed(i)).length).toBeGreaterThan(20);
  });

  it("every page is within 50 KB", () => {
    const heaviest = [...weights].sort((a, b) => b.totalBytes - a.totalBytes).slice(0, 5);
    console.log(`${weights.length} pages; heaviest:\n${formatReport(heaviest)}`);
    expect(weights.filter((w) => w.totalBytes > PAGE_BUDGET_BYTES).map((w) => `${w.page}: ${w.totalBytes} B`)).toEqual([]);
  });

  it("the history is split into pages of HISTORY_PAGE_SIZE linked to each other, together listing every incident once", () => {
    const pages = Math.ceil(status.incidents.length / HISTORY_PAGE_SIZE);
    const seen: string[] = [];
    for (let n = 1; n <= pages; n++) {
      const file = path.join(dist, n === 1 ? "history/index.html" : `history/${n}/index.html`);
      expect(existsSync(file), file).toBe(true);
      const html = readFileSync(file, "utf8");
      seen.push(...[...html.matchAll(/data-incident="([^"]+)"/g)].map((m) => m[1]!));
      for (const link of html.matchAll(/<nav class="pager"[\s\S]*?<\/nav>/g)) {
        for (const [, target] of link[0].matchAll(/href="\/history\/(?:(\d+)\/)?"/g)) {
          const k = target ? Number(target) : 1;
          expect(k).toBeGreaterThanOrEqual(1);
          expect(k).toBeLessThanOrEqual(pages);
        }
      }
      if (n < pages) expect(html).toMatch(new RegExp(`rel="next" href="/history/${n + 1}/"`));
      if (n > 1) expect(html).toMatch(new RegExp(`rel="prev" href="/history/${n === 2 ? "" : `${n - 1}/`}"`));
    }
    expect(existsSync(path.join(dist, `history/${pages + 1}/index.html`))).toBe(false);
    expect(seen).toEqual(status.incidents.map((i) => i.id));
  });
});

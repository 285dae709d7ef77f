/**
 * Page-weight budget: the bytes a browser fetches for a page of the built
 * site (the HTML plus every same-site stylesheet, script, image and icon it
 * references), uncompressed, excluding the published JSON data.
 *
 * Run: `npx tsx site/budget.ts [site/dist]` — prints each page and fails
 * (exit 1) when one is over budget.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The index must stay under this (uncompressed, JSON excluded): a status page is read on bad connections during outages. */
export const INDEX_BUDGET_BYTES = 50 * 1024;
/** Every other page. */
export const PAGE_BUDGET_BYTES = 50 * 1024;

export interface PageWeight {
  /** Relative to the site root, e.g. "index.html". */
  page: string;
  htmlBytes: number;
  /** Referenced same-site resources (URL path → bytes). */
  resources: Record<string, number>;
  totalBytes: number;
  budgetBytes: number;
  withinBudget: boolean;
}

const REFERENCE = /<(?:link|script|img|source)\b[^>]*?\b(?:href|src)=["']?([^"'\s>]+)/gi;

function htmlFiles(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...htmlFiles(dir, r));
    else if (entry.name.endsWith(".html")) out.push(r);
  }
  return out.sort();
}

/** Measures one page. `base` is the site's base path ("/" by default). */
export function measurePage(distDir: string, page: string, base = "/"): PageWeight {
  const html = readFileSync(path.join(distDir, page), "utf8");
  const resources: Record<string, number> = {};
  for (const match of html.matchAll(REFERENCE)) {
    const ref = match[1]!;
    if (/^(data:|https?:|mailto:|#)/i.test(ref)) continue;
    const urlPath = new URL(ref, `http://site${base}${page}`).pathname;
    if (urlPath.endsWith(".json") || urlPath.endsWith(".atom")) continue; // data, not page weight
    const file = path.join(distDir, decodeURIComponent(urlPath.slice(base.length)));
    if (existsSync(file) && statSync(file).isFile()) resources[urlPath] = statSync(file).size;
  }
  const htmlBytes = Buffer.byteLength(html);
  const totalBytes = htmlBytes + Object.values(resources).reduce((a, b) => a + b, 0);
  const budgetBytes = page === "index.html" ? INDEX_BUDGET_BYTES : PAGE_BUDGET_BYTES;
  return { page, htmlBytes, resources, totalBytes, budgetBytes, withinBudget: totalBytes <= budgetBytes };
}

/** Measures every page of the built site. */
export function measureSite(distDir: string, base = "/"): PageWeight[] {
  return htmlFiles(distDir).map((page) => measurePage(distDir, page, base));
}

export function formatReport(weights: readonly PageWeight[]): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  return weights
    .map((w) => `${w.withinBudget ? "ok  " : "OVER"} ${w.page.padEnd(60)} ${kb(w.totalBytes).padStart(9)} of ${kb(w.budgetBytes)}`)
    .join("\n");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "dist"));
  const weights = measureSite(dir);
  console.log(formatReport(weights));
  if (weights.some((w) => !w.withinBudget)) process.exitCode = 1;
}

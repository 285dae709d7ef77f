/**
 * The status site in real Chromium (Debian's /usr/bin/chromium through
 * playwright-core). Two datasets, each written by Guardian's publisher from
 * realistic inputs (test/site/scenario.ts) and built once with buildSite:
 *
 * - live: generated now; every component state (operational, paused by the
 *   guardian, paused by the sentinel with an end time, degraded), two active
 *   incidents and a resolved one;
 * - stale: generated two days ago, with markup in an incident's title and
 *   update (the XSS case).
 *
 * Each is served on a loopback port by site/serve.ts. Screenshots go to
 * test-artifacts/site/ (gitignored).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildStatus, STATUSPAGE_FILES, statusSchema, writeStatusFiles, type Status } from "../../daemon/src/publish/index.js";
import { measureSite, formatReport, INDEX_BUDGET_BYTES } from "../../site/budget.js";
import { buildSite } from "../../site/build.js";
import { serveSite, type SiteServer } from "../../site/serve.js";
import { scenarioInput } from "./scenario.js";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const ARTIFACTS = path.resolve("test-artifacts/site");
const XSS_TITLE = `<script>alert("xss-title")</script><img src=x onerror=alert("xss-img")> ${"A".repeat(120)}`;
const XSS_NOTE = `</p><img src=x onerror=alert("xss-note")><a href="javascript:alert(1)">click</a>`;

interface Site {
  status: Status;
  dist: string;
  server: SiteServer;
  buildMs: number;
}

let work: string;
let browser: Browser;
let live: Site;
let stale: Site;

async function makeSite(name: string, now: Date, options: { activeTitle?: string; activeNote?: string } = {}): Promise<Site> {
  const status = buildStatus(scenarioInput({ now, ...options }), now);
  const { statusFile } = writeStatusFiles(path.join(work, `${name}-data`), status);
  const { outDir, durationMs } = await buildSite({ statusFile, outDir: path.join(work, `${name}-dist`), logLevel: "error" });
  return { status, dist: outDir, server: await serveSite(outDir), buildMs: durationMs };
}

/** A page that records dialogs, console errors and CSP violations. */
async function open(context: BrowserContext, url: string) {
  const page = await context.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on("dialog", async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(url, { waitUntil: "load" });
  return { page, dialogs, errors };
}

const text = (page: Page, selector: string) => page.locator(selector).innerText();

beforeAll(async () => {
  process.env.ASTRO_TELEMETRY_DISABLED = "1";
  work = mkdtempSync(path.join(tmpdir(), "guardian-site-"));
  mkdirSync(ARTIFACTS, { recursive: true });
  live = await makeSite("live", new Date());
  stale = await makeSite("stale", new Date(Date.now() - 2 * 86_400_000), { activeTitle: XSS_TITLE, activeNote: XSS_NOTE });
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  console.log(`site builds: live ${live.buildMs} ms, stale ${stale.buildMs} ms`);
});

afterAll(async () => {
  await browser?.close();
  await live?.server.close();
  await stale?.server.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("live data", () => {
  it("shows each component's status in words and icon, with its on-chain evidence", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { page, errors } = await open(context, live.server.url);
    const card = (id: string) => page.locator(`[data-component="${id}"]`);

    await expect(text(page, "#banner")).resolves.toBe("Major System Outage");
    await expect(text(page, "#freshness")).resolves.toMatch(
      new RegExp(`^Data as of ${live.status.generatedAt.slice(0, 10)} ${live.status.generatedAt.slice(11, 19)} UTC, block 1300 on chain 138; refreshed every 60 seconds\\.$`),
    );

    // Operational.
    await expect(card("entryPoint").getAttribute("data-status")).resolves.toBe("operational");
    await expect(card("entryPoint").locator(".badge").innerText()).resolves.toBe("Operational");
    await expect(card("entryPoint").locator(".evidence").innerText()).resolves.toContain("Not paused");

    // Paused by the guardian, indefinitely.
    const factory = await card("accountFactory").innerText();
    expect(factory).toContain("Major outage");
    expect(factory).toContain("Paused by the guardian multisig.");
    expect(factory).toMatch(/Paused by\s+the guardian multisig/);
    expect(factory).toMatch(/Until\s+until the guardian unpauses it/);

    // Paused by the sentinel, with its end time.
    const delegation = live.status.components.find((c) => c.id === "delegation")!;
    const until = delegation.evidence.kind === "layer" ? delegation.evidence.pausedUntil! : "";
    const delegationText = await card("delegation").innerText();
    expect(delegationText).toContain("Major outage");
    expect(delegationText).toMatch(/Paused by\s+Guardian's sentinel \(automatic circuit breaker\)/);
    expect(delegationText).toContain(`${until.slice(0, 10)} ${until.slice(11, 16)} UTC`);
    expect(delegationText).toMatch(/Read at\s+chain 138, block 1300/);
    expect(delegationText).toContain(live.status.chain.blockHash);
    await expect(card("delegation").locator("time").first().getAttribute("datetime")).resolves.toBe(until);

    // Degraded.
    const rpc = await card("rpc").innerText();
    expect(rpc).toContain("Degraded performance");
    expect(rpc).toContain("Open incident: Status updates may be delayed");
    expect(rpc).toMatch(/Endpoints up\s+2 of 3/);

    // Icons differ by shape, not only colour.
    const icons = await page.locator("[data-component] .badge use").evaluateAll((uses) => uses.map((u) => u.getAttribute("href")));
    expect(icons).toEqual(["#i-ok", "#i-major", "#i-major", "#i-degraded"]);

    // 90-day uptime bars with percentages.
    await expect(card("entryPoint").locator(".bars li").count()).resolves.toBe(90);
    await expect(card("rpc").locator(".uptime-text").innerText()).resolves.toMatch(/^\d{1,3}\.\d\d % uptime, \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d \(90 days, UTC\); 10 days without data\./);

    // Fresh data: the script leaves it alone, and nothing broke under the CSP.
    await expect(page.locator("html").getAttribute("class")).resolves.toBeNull();
    await expect(page.locator("#stale").isHidden()).resolves.toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("lists active incidents with their public updates and UTC times, and the resolved one in history", async () => {
    const context = await browser.newContext();
    const { page } = await open(context, live.server.url);
    const active = page.locator('section[aria-labelledby="active-h"] article');
    await expect(active.count()).resolves.toBe(2);
    const contained = page.locator('article[data-incident-status="monitoring"]');
    const containedText = await contained.innerText();
    expect(containedText).toContain("Some delegation redemptions are failing");
    expect(containedText).not.toContain("Delegation redemptions failing"); // the detector's title is internal
    expect(containedText).toContain("Critical impact · Delegation");
    expect(containedText).toContain("Redemptions are paused while we investigate an unexpected caveat enforcer failure.\nNo funds have moved.");
    expect(containedText).toContain("Guardian's circuit breaker paused delegation redemption to protect funds.");
    expect(containedText).toMatch(/Monitoring · \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(containedText).toMatch(/Investigating · \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    const html = await page.content();
    for (const secret of ["alice", "carol", "bob@example", "internal", "hooks.example.invalid", "secretish"]) expect(html).not.toContain(secret);

    const history = await text(page, 'section[aria-labelledby="history-h"]');
    expect(history).toContain("Creating new smart accounts is failing");
    expect(history).not.toContain("AA13");
    expect(history).toContain("Resolved");

    // The incident's own page.
    const resolved = live.status.incidents.find((i) => i.status === "resolved")!;
    await page.getByRole("link", { name: resolved.title }).click();
    await page.waitForURL(`**/incidents/${resolved.id}/`);
    const detail = await text(page, "main");
    expect(detail).toContain("Major impact");
    expect(detail).toMatch(/Resolved\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(detail).toContain("The bundler was fixed; account creation succeeds again.");
    expect(detail.indexOf("The bundler was fixed")).toBeLessThan(detail.indexOf("misconfigured bundler")); // newest first

    // The history page.
    await page.getByRole("link", { name: "Incident history" }).click();
    await page.waitForURL("**/history/");
    await expect(page.locator("main article").count()).resolves.toBe(3);
    await context.close();
  });

  it("goes to 'status unknown' by itself when a tab stays open past three intervals", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.clock.install({ time: new Date() });
    await page.goto(live.server.url);
    await expect(text(page, "#banner")).resolves.toBe("Major System Outage");
    await page.clock.fastForward("04:00");
    await expect(text(page, "#banner")).resolves.toBe("Status unknown");
    await context.close();
  });

  it("is readable without JavaScript", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const { page } = await open(context, live.server.url);
    await expect(text(page, "#banner")).resolves.toBe("Major System Outage");
    await expect(page.locator('[data-component="delegation"] .badge').innerText()).resolves.toBe("Major outage");
    await expect(text(page, "#freshness")).resolves.toContain("block 1300");
    await expect(page.locator("noscript").count()).resolves.toBe(1);
    await context.close();
  });

  it("fits a 360 px phone without horizontal scrolling; screenshots for phone and desktop, light and dark", async () => {
    const shots: string[] = [];
    for (const [name, width, height, colorScheme] of [
      ["desktop-light", 1280, 900, "light"],
      ["desktop-dark", 1280, 900, "dark"],
      ["phone-light", 360, 780, "light"],
      ["phone-dark", 360, 780, "dark"],
    ] as const) {
      const context = await browser.newContext({ viewport: { width, height }, colorScheme, deviceScaleFactor: 1 });
      const { page } = await open(context, live.server.url);
      const file = path.join(ARTIFACTS, `index-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      shots.push(file);
      if (width === 360) {
        const incident = live.status.incidents[0]!;
        for (const route of ["", `incidents/${incident.id}/`, "history/"]) {
          await page.goto(live.server.url + route);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          expect(overflow, `horizontal overflow on /${route}`).toBe(0);
        }
      }
      await context.close();
    }
    for (const file of shots) expect(statSync(file).size).toBeGreaterThan(10_000);
  });

  it("meets WCAG AA contrast for every piece of text, in light and dark mode", async () => {
    for (const colorScheme of ["light", "dark"] as const) {
      for (const site of [live, stale]) {
        const context = await browser.newContext({ colorScheme });
        const { page } = await open(context, site.server.url);
        const { checked, failures } = await page.evaluate(lowContrastTexts);
        expect(failures, `${colorScheme} ${site === live ? "live" : "stale"}`).toEqual([]);
        expect(checked).toBeGreaterThan(60);
        await context.close();
      }
    }
  });

  it("publishes status.json, the Statuspage API, the Atom feed and badges beside the pages", async () => {
    const get = async (rel: string) => {
      const response = await fetch(live.server.url + rel);
      expect(response.status, rel).toBe(200);
      return response;
    };
    const status = statusSchema.parse(await (await get("status.json")).json());
    expect(status).toEqual(live.status);
    for (const [rel, schema] of Object.entries(STATUSPAGE_FILES)) {
      const doc = schema.parse(await (await get(rel)).json());
      expect(doc.page.updated_at).toBe(status.generatedAt);
    }
    expect(await (await get("badge/delegation.json")).json()).toMatchObject({ schemaVersion: 1, label: "Delegation", message: "paused by sentinel" });

    // The feed is well-formed XML with one entry per incident (parsed by the browser's XML parser).
    const feed = await (await get("history.atom")).text();
    const context = await browser.newContext();
    const page = await context.newPage();
    const parsed = await page.evaluate((xml) => {
      const doc = new DOMParser().parseFromString(xml, "application/xml");
      return { error: doc.querySelector("parsererror")?.textContent ?? null, entries: doc.getElementsByTagName("entry").length };
    }, feed);
    expect(parsed).toEqual({ error: null, entries: 3 });
    await context.close();
  });

  it("stays within its page-weight budget", () => {
    const weights = measureSite(live.dist);
    console.log(`page weight (uncompressed, JSON excluded):\n${formatReport(weights)}`);
    const index = weights.find((w) => w.page === "index.html")!;
    expect(index.totalBytes).toBeLessThanOrEqual(INDEX_BUDGET_BYTES);
    expect(weights.every((w) => w.withinBudget)).toBe(true);
  });
});

describe("stale data and untrusted text", () => {
  it("turns the page to 'status unknown' when the data is older than three intervals", async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
    const { page, errors } = await open(context, stale.server.url);
    await expect(text(page, "#banner")).resolves.toBe("Status unknown");
    await expect(page.locator("#stale").isVisible()).resolves.toBe(true);
    await expect(text(page, "#stale")).resolves.toMatch(/Status unknown\. The newest data is 2 days old/);
    await expect(page.locator('[data-component="delegation"] .badge').innerText()).resolves.toBe("Unknown (last known: major outage)");
    await expect(page.locator('[data-component="entryPoint"] .badge use').getAttribute("href")).resolves.toBe("#i-unknown");
    await expect(page.title()).resolves.toMatch(/^Status unknown · /);
    // The printed time is still there.
    await expect(text(page, "#freshness")).resolves.toContain(stale.status.generatedAt.slice(0, 10));
    await page.screenshot({ path: path.join(ARTIFACTS, "stale-phone.png"), fullPage: true });
    expect(statSync(path.join(ARTIFACTS, "stale-phone.png")).size).toBeGreaterThan(10_000);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows markup in titles and updates as text: no script runs, no element is injected", async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
    const incident = stale.status.incidents.find((i) => i.title === XSS_TITLE)!;
    for (const route of ["", `incidents/${incident.id}/`, "history/"]) {
      const { page, dialogs } = await open(context, stale.server.url + route);
      const title = page.locator(`[data-incident="${incident.id}"] .incident-title`).first();
      await expect(title.innerText()).resolves.toBe(XSS_TITLE);
      expect(await page.locator('img[src="x"], main script, a[href^="javascript:"]').count()).toBe(0);
      if (route !== "history/") await expect(page.locator(`[data-incident="${incident.id}"] .update-body`).first().innerText()).resolves.toBe(XSS_NOTE);
      await page.waitForTimeout(50);
      expect(dialogs).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
      if (route === `incidents/${incident.id}/`) await page.screenshot({ path: path.join(ARTIFACTS, "xss-incident-phone.png"), fullPage: true });
    }
    await context.close();
  });

  it("has a Content-Security-Policy that allows only its own hashed script", async () => {
    const html = readFileSync(path.join(stale.dist, "index.html"), "utf8");
    const csp = /<meta http-equiv="content-security-policy" content="([^"]+)"/.exec(html)?.[1] ?? "";
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self' 'sha256-[^']+'/);
    expect(csp).not.toContain("unsafe-inline");
    expect(html).not.toMatch(/<script[^>]+src=/); // no external JS
    // A script that is not in the policy is refused by the browser.
    const context = await browser.newContext();
    const { page } = await open(context, stale.server.url);
    const ran = await page.evaluate(() => {
      const s = document.createElement("script");
      s.textContent = "window.__injected = true";
      document.body.append(s);
      return (window as unknown as { __injected?: boolean }).__injected === true;
    });
    expect(ran).toBe(false);
    await context.close();
  });
});

/**
 * Runs in the page: every visible element with its own text whose colour
 * against its effective background is below WCAG AA (4.5:1).
 */
function lowContrastTexts(): { checked: number; failures: string[] } {
  const parse = (c: string): [number, number, number, number] => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1]!.split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0]!, p[1]!, p[2]!, p[3] ?? 1];
  };
  const lum = ([r, g, b]: number[]) => {
    const f = (v: number) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
  };
  const background = (el: Element | null): number[] => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0.99) return c;
    }
    return parse(getComputedStyle(document.documentElement).backgroundColor)[3] > 0 ? parse(getComputedStyle(document.documentElement).backgroundColor) : [255, 255, 255, 1];
  };
  const failures: string[] = [];
  let checked = 0;
  for (const el of Array.from(document.querySelectorAll("body *"))) {
    const own = Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim() !== "");
    if (!own || el.getClientRects().length === 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || (el as HTMLElement).closest(".visually-hidden, .skip, [hidden]")) continue;
    checked++;
    const fg = parse(style.color);
    const bg = background(el);
    const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a) as [number, number];
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    if (ratio < 4.5) failures.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent!.trim().slice(0, 30)}" ${ratio.toFixed(2)}:1`);
  }
  return { checked, failures };
}

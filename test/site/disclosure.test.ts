/**
 * Approved disclosure, end to end in a real browser: the demo's four
 * security scenarios (delegation drain, paymaster deposit withdrawn,
 * ownership transfer, role granted) run on a real chain (Hardhat EDR) against
 * a running daemon, whose publisher writes the status files; the site is
 * built from them and served on loopback, and Chromium (plus plain HTTP for
 * the JSON and the feed) reads every page and file.
 *
 * Before `guardian incident publish`: no incident title, no address other
 * than the guarded contracts, and no text from the chain appears anywhere
 * public, while every paused component shows its outage. After a Security
 * Lead approves each one: the incidents appear under their public
 * templates, still with nothing internal.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../daemon/src/cli.js";
import { incidentClass } from "../../daemon/src/incidents/index.js";
import { parseStatus, STATUSPAGE_FILES, type Status } from "../../daemon/src/publish/index.js";
import { startDaemon, type RunningDaemon } from "../../daemon/src/runtime/daemon.js";
import type { Incident } from "../../daemon/src/types.js";
import { runScenario, type ScenarioName } from "../../scripts/lib/scenarios.js";
import { buildSite } from "../../site/build.js";
import { serveSite, type SiteServer } from "../../site/serve.js";
import { waitFor } from "../daemon/helpers/memory-sink.js";
import { startStack, type StackEnv } from "../daemon/helpers/stack.js";

const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
/** The demo's order: each Critical one pauses its layers, which later scenarios must not need. */
const SECURITY_SCENARIOS: ScenarioName[] = ["delegation-drain", "deposit-withdrawn", "ownership-transfer", "role-granted"];
const LEAD = "Sam Security";

let s: StackEnv;
let daemon: RunningDaemon;
let browser: Browser;
let work: string;
const keys: string[] = [];

const statusFile = () => path.join(s.dir, "data", "public", "status.json");
const readStatus = (): Status | undefined => {
  try {
    return parseStatus(JSON.parse(readFileSync(statusFile(), "utf8")));
  } catch {
    return undefined;
  }
};
const securityIncidents = () => Object.values(daemon.store.read().incidents).filter((i) => keys.includes(i.key));

async function cli(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: s.env, cwd: s.dir });
  return { code, stdout, stderr };
}

/** Everything internal the public must not see: detector titles and summaries, finding text, and every address the store holds except the guarded contracts the page documents. */
function internalStrings(): string[] {
  const data = daemon.store.read();
  const own = new Set([s.deployment.guardian.paymaster, s.deployment.guardian.accountFactory, s.deployment.kit.DelegationManager].map((a) => a.toLowerCase()));
  const out = new Set<string>();
  for (const i of securityIncidents()) {
    out.add(i.title);
    for (const e of i.timeline) if (!e.public) out.add(e.message.slice(0, 40));
  }
  const raw = JSON.stringify({ incidents: securityIncidents(), findings: data.findings.filter((f) => keys.includes(f.key)) });
  for (const [address] of raw.matchAll(/0x[0-9a-fA-F]{40}(?![0-9a-fA-F])/g)) if (!own.has(address.toLowerCase())) out.add(address.toLowerCase().slice(2));
  for (const w of [s.wallets.stranger, s.wallets.delegate]) out.add(w.account.address.toLowerCase().slice(2));
  return [...out].filter((x) => x.length >= 8);
}

/** Builds the site from the latest publication and returns every public text: each page as the browser renders it (HTML and visible text), every published file. */
async function publicTexts(status: Status): Promise<{ server: SiteServer; texts: Map<string, string> }> {
  const dist = path.join(work, `dist-${Date.now()}`);
  const data = path.join(work, `data-${Date.now()}`);
  const { mkdirSync, copyFileSync, readdirSync, statSync } = await import("node:fs");
  const copy = (from: string, to: string) => {
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from)) statSync(path.join(from, name)).isDirectory() ? copy(path.join(from, name), path.join(to, name)) : copyFileSync(path.join(from, name), path.join(to, name));
  };
  copy(path.dirname(statusFile()), data); // one snapshot: the daemon keeps writing
  const { outDir } = await buildSite({ statusFile: path.join(data, "status.json"), outDir: dist, logLevel: "error" });
  const server = await serveSite(outDir);
  const texts = new Map<string, string>();
  // Without JavaScript: the daemon publishes every second, so by the time the page loads its
  // freshness script may already call the data stale (it is 3 intervals); the text is the same.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const routes = ["", "history/", ...status.incidents.map((i) => `incidents/${i.id}/`), ...status.maintenances.map((m) => `maintenance/${m.id}/`)];
  for (const route of routes) {
    const response = await page.goto(server.url + route);
    expect(response?.status(), route).toBe(200);
    texts.set(`page /${route}`, `${await page.content()}\n${await page.locator("body").innerText()}`);
  }
  await context.close();
  for (const file of ["status.json", "history.atom", ...Object.keys(STATUSPAGE_FILES), "badge/overall.json", "badge/entryPoint.json", "badge/delegation.json", "badge/accountFactory.json", "badge/rpc.json"]) {
    const response = await fetch(server.url + file);
    expect(response.status, file).toBe(200);
    texts.set(`file /${file}`, await response.text());
  }
  return { server, texts };
}

function expectNothingInternal(texts: Map<string, string>, internal: readonly string[]) {
  const leaks: string[] = [];
  for (const [where, text] of texts) {
    const lower = text.toLowerCase();
    for (const secret of internal) if (lower.includes(secret.toLowerCase())) leaks.push(`${where}: ${secret}`);
  }
  expect(leaks).toEqual([]);
}

beforeAll(async () => {
  process.env.ASTRO_TELEMETRY_DISABLED = "1";
  work = mkdtempSync(path.join(tmpdir(), "guardian-disclosure-"));
  s = await startStack();
  const file = JSON.parse(readFileSync(s.configFile, "utf8"));
  writeFileSync(
    s.configFile,
    JSON.stringify({ ...file, site: { url: "https://status.example.org/", name: "Example smart accounts" }, roles: { securityLead: { primary: { name: LEAD, channel: "log" } }, cto: { primary: { name: "Casey CTO", channel: "log" } } } }),
  );
  daemon = await startDaemon({ config: s.config(), publishIntervalSeconds: 1, heartbeatIntervalSeconds: 0, pauseAbilityIntervalSeconds: 3600, logger: pino({ level: "silent" }) });
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const ctx = { client: s.client as never, wallets: s.wallets, deployment: s.deployment };
  for (const name of SECURITY_SCENARIOS) {
    const result = await runScenario(ctx, name);
    for (const exp of result.expected) {
      keys.push(exp.key);
      await waitFor(() => Object.values(daemon.store.read().incidents).some((i) => i.key === exp.key && i.severity === exp.severity), 60_000, `${name}: the ${exp.key} incident`);
    }
  }
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
  await s?.chain.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("security incidents on the public site", () => {
  it("before approval: no title, address or chain text anywhere public; the paused components show their outage", async () => {
    expect(securityIncidents().map((i) => incidentClass(i))).toEqual(SECURITY_SCENARIOS.map(() => "security"));
    // A publication made after every incident reached its state and the layers were paused.
    const since = Math.max(...securityIncidents().map((i) => Date.parse(i.updatedAt)));
    await waitFor(() => {
      const st = readStatus();
      return st !== undefined && Date.parse(st.generatedAt) > since && ["entryPoint", "delegation"].every((id) => st.components.find((c) => c.id === id)!.evidence.kind === "layer" && (st.components.find((c) => c.id === id)!.evidence as { paused: boolean | null }).paused === true);
    }, 60_000, "a publication with the layers paused");
    const status = readStatus()!;
    expect(status.incidents.filter((i) => securityIncidents().some((x) => x.id === i.id))).toEqual([]);
    for (const id of ["entryPoint", "delegation"] as const) expect(status.components.find((c) => c.id === id)!.status).toBe("major_outage");
    expect(status.overall.indicator).toBe("critical");

    const { server, texts } = await publicTexts(status);
    try {
      expectNothingInternal(texts, internalStrings());
      const index = texts.get("page /")!;
      expect(index).toContain("Major System Outage");
      expect(index).not.toMatch(/Security incident/);
    } finally {
      await server.close();
    }
  });

  it("guardian incident publish by the Security Lead puts each incident on the page under its public template, still with nothing internal", async () => {
    const refused = await cli(["incident", "publish", securityIncidents()[0]!.id, "--by", "mallory"]);
    expect(refused.code).toBe(2);
    for (const incident of securityIncidents()) {
      const r = await cli(["incident", "publish", incident.id, "--by", LEAD, "--message", "We are securing the affected contracts; sponsored transactions and redemptions are paused meanwhile."]);
      expect(r, incident.key).toMatchObject({ code: 0, stderr: "" });
    }
    const ids = securityIncidents().map((i: Incident) => i.id);
    await waitFor(() => ids.every((id) => readStatus()?.incidents.some((i) => i.id === id)), 60_000, "a publication with the approved incidents");
    const status = readStatus()!;
    const published = status.incidents.filter((i) => ids.includes(i.id));
    expect(published.map((i) => i.title).every((t) => /^Security incident( affecting .+)?$/.test(t))).toBe(true);
    const { server, texts } = await publicTexts(status);
    try {
      expectNothingInternal(texts, internalStrings());
      for (const incident of published) expect(texts.get(`page /incidents/${incident.id}/`)).toContain("We are securing the affected contracts");
    } finally {
      await server.close();
    }
  });
});


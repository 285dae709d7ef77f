/**
 * Scheduled maintenance end to end: `guardian maintenance schedule|start|
 * complete` while a daemon follows a real chain (Hardhat EDR); its publisher
 * reads the maintenance file at each publication. While the maintenance runs
 * its component is under maintenance (not an outage), Statuspage's
 * active.json lists it, the Atom feed and the site (built from the
 * publication, read in Chromium) show it; who typed it never appears. A
 * subscriber's webhook (a loopback receiver, allowed in config) receives the
 * maintenance and component events, signed, each id once.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../daemon/src/cli.js";
import { loadConfig } from "../../daemon/src/config/index.js";
import { verifySignature } from "../../daemon/src/respond/notify/index.js";
import { parseStatus, type Status } from "../../daemon/src/publish/index.js";
import { startDaemon, type RunningDaemon } from "../../daemon/src/runtime/daemon.js";
import { buildSite } from "../../site/build.js";
import { serveSite } from "../../site/serve.js";
import { waitFor } from "../daemon/helpers/memory-sink.js";
import { startStack, type StackEnv } from "../daemon/helpers/stack.js";

const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let s: StackEnv;
let daemon: RunningDaemon;
let browser: Browser;
let work: string;
let receiver: Server;
const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
const SECRET = "subscriber-signing-secret";

const publicDir = () => path.join(s.dir, "data", "public");
const readStatus = (): Status | undefined => {
  try {
    return parseStatus(JSON.parse(readFileSync(path.join(publicDir(), "status.json"), "utf8")));
  } catch {
    return undefined;
  }
};
const entryPoint = () => readStatus()?.components.find((c) => c.id === "entryPoint");

async function cli(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: s.env, cwd: s.dir });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  process.env.ASTRO_TELEMETRY_DISABLED = "1";
  work = mkdtempSync(path.join(tmpdir(), "guardian-maintenance-"));
  s = await startStack();
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
  const port = (receiver.address() as AddressInfo).port;
  writeFileSync(s.configFile, JSON.stringify({ ...JSON.parse(readFileSync(s.configFile, "utf8")), subscribers: [{ channel: "webhook:dapp", components: ["entryPoint"], allowPrivateAddress: true }] }));
  const config = loadConfig({ file: s.configFile, env: { ...s.env, GUARDIAN_WEBHOOK_DAPP: `http://127.0.0.1:${port}/hook#type=generic&secret=${SECRET}` }, cwd: s.dir });
  daemon = await startDaemon({ config, publishIntervalSeconds: 1, heartbeatIntervalSeconds: 0, pauseAbilityIntervalSeconds: 3600, logger: pino({ level: "silent" }) });
  await s.intervalMining(500); // a live chain: an idle automine node would soon read as stalled
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
  await s?.chain.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("scheduled maintenance through the running daemon", () => {
  it("schedule → start → complete: under maintenance while it runs, in the Statuspage files, the feed and the site", async () => {
    await waitFor(() => entryPoint() !== undefined, 60_000, "a first publication");
    await waitFor(() => entryPoint()?.status === "operational", 60_000, "a first publication, EntryPoint operational");
    const minute = (m: number) => `${new Date(Date.now() + m * 60_000).toISOString().slice(0, 16)}Z`;
    const scheduled = await cli(["maintenance", "schedule", "--components", "entryPoint", "--from", minute(60), "--until", minute(120), "--title", "Paymaster key rotation", "--message", "Sponsored transactions may be refused for a few minutes.", "--by", "dave (ops)"]);
    expect(scheduled).toMatchObject({ code: 0, stderr: "" });
    const id = scheduled.stdout.trim();
    await waitFor(() => readStatus()?.maintenances.some((m) => m.id === id && m.status === "scheduled") === true, 60_000, "the maintenance published as scheduled");
    expect(entryPoint()!.status).toBe("operational");
    const upcoming = JSON.parse(readFileSync(path.join(publicDir(), "api/v2/scheduled-maintenances/upcoming.json"), "utf8"));
    expect(upcoming.scheduled_maintenances.map((m: { id: string }) => m.id)).toEqual([id]);

    expect((await cli(["maintenance", "start", id, "--by", "dave (ops)"])).code).toBe(0);
    await waitFor(() => entryPoint()?.status === "under_maintenance", 60_000, "EntryPoint under maintenance");
    // One snapshot of the publication (the daemon keeps writing), built into the site.
    const data = path.join(work, "data");
    const copy = (from: string, to: string) => {
      mkdirSync(to, { recursive: true });
      for (const name of readdirSync(from)) statSync(path.join(from, name)).isDirectory() ? copy(path.join(from, name), path.join(to, name)) : copyFileSync(path.join(from, name), path.join(to, name));
    };
    copy(publicDir(), data);
    const { outDir } = await buildSite({ statusFile: path.join(data, "status.json"), outDir: path.join(work, "dist"), logLevel: "error" });
    const server = await serveSite(outDir);
    try {
      const active = await (await fetch(`${server.url}api/v2/scheduled-maintenances/active.json`)).json();
      expect(active.scheduled_maintenances.map((m: { id: string; status: string }) => [m.id, m.status])).toEqual([[id, "in_progress"]]);
      const summary = await (await fetch(`${server.url}api/v2/summary.json`)).json();
      expect(summary.components.find((c: { name: string }) => c.name === "EntryPoint").status).toBe("under_maintenance");
      expect(await (await fetch(`${server.url}history.atom`)).text()).toContain("[Maintenance: In progress] Paymaster key rotation");
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await page.goto(server.url);
      const section = await page.locator('section[aria-labelledby="maintenance-h"]').innerText();
      expect(section).toContain("Paymaster key rotation");
      expect(section).toContain("In progress");
      await expect(page.locator('[data-component="entryPoint"] .badge').innerText()).resolves.toBe("Under maintenance");
      await page.goto(`${server.url}maintenance/${id}/`);
      expect(await page.locator("main").innerText()).toContain("Sponsored transactions may be refused for a few minutes.");
      expect(await page.content()).not.toContain("dave");
      await context.close();
    } finally {
      await server.close();
    }

    expect((await cli(["maintenance", "complete", id])).code).toBe(0);
    await waitFor(() => entryPoint()?.status === "operational" && readStatus()!.maintenances.some((m) => m.id === id && m.status === "completed"), 60_000, "the maintenance completed");

    // The subscriber (EntryPoint only) got each change once, signed, with public fields only.
    const types = () => received.map((r) => JSON.parse(r.body).type as string);
    await waitFor(() => types().includes("maintenance.completed") && types().filter((t) => t === "component.status_changed").length >= 2, 60_000, "the subscriber's events");
    expect(types().filter((t) => t.startsWith("maintenance."))).toEqual(["maintenance.scheduled", "maintenance.started", "maintenance.completed"]);
    const changes = received.map((r) => JSON.parse(r.body)).filter((e) => e.type === "component.status_changed").map((e) => [e.component.oldStatus, e.component.newStatus]);
    expect(changes).toEqual([["operational", "under_maintenance"], ["under_maintenance", "operational"]]);
    const ids = received.map((r) => r.headers["x-guardian-id"]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of received) {
      expect(verifySignature({ secret: SECRET, body: r.body, timestamp: r.headers["x-guardian-timestamp"] as string, signature: r.headers["x-guardian-signature"] as string, now: new Date() })).toEqual({ ok: true });
      expect(r.body).not.toContain("dave");
      expect(JSON.parse(r.body).page.name).toBeTruthy();
    }
  });
});

/**
 * The published Statuspage v2 API read by a third-party Statuspage client,
 * over HTTP, from a local static server (site/serve.ts) serving what
 * Guardian's publisher wrote and the site build copied beside the pages.
 *
 * The client: the npm package `statuspage.io` 3.3.8 (axios underneath),
 * pointed at the local server with its own `setApiUrl`. (Its newest release
 * in the registry, 3.4.6, was published without its compiled code — the
 * tarball holds only LICENSE, README and package.json — so the last release
 * that can be imported is used.) One `it` per client method; each answer is
 * checked against the fields the client's result types declare
 * (dist/interfaces) as well as against Guardian's strict Statuspage schemas.
 */
import { Statuspage } from "statuspage.io";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildStatus, STATUSPAGE_FILES, writeStatusFiles, type Status } from "../../daemon/src/publish/index.js";
import { buildSite } from "../../site/build.js";
import { serveSite, type SiteServer } from "../../site/serve.js";
import { scenarioInput, scenarioMaintenances } from "./scenario.js";

/** The paths `statuspage.io`'s methods call (its dist/Endpoints.js), by method. */
const CLIENT_ENDPOINTS = {
  "api.getSummary": "/api/v2/summary.json",
  "api.getStatus": "/api/v2/status.json",
  "api.getComponents": "/api/v2/components.json",
  "api.incidents.getAll": "/api/v2/incidents.json",
  "api.incidents.getUnresolved": "/api/v2/incidents/unresolved.json",
  "api.scheduledMaintenances.getUpcoming": "/api/v2/scheduled-maintenances/upcoming.json",
  // A slip in the client (3.3.8): getAll() and getActive() ask for upcoming.json too.
  // Statuspage serves scheduled-maintenances.json and active.json; Guardian
  // serves all three, and this test reads the other two over plain HTTP.
  "api.scheduledMaintenances.getAll": "/api/v2/scheduled-maintenances/upcoming.json",
  "api.scheduledMaintenances.getActive": "/api/v2/scheduled-maintenances/upcoming.json",
  "(Statuspage) scheduled-maintenances": "/api/v2/scheduled-maintenances.json",
  "(Statuspage) scheduled-maintenances/active": "/api/v2/scheduled-maintenances/active.json",
} as const;

/** Required fields of the client's result types. */
const PAGE_FIELDS = ["id", "name", "time_zone", "updated_at", "url"];
const COMPONENT_FIELDS = ["created_at", "description", "group", "group_id", "id", "name", "only_show_if_degraded", "page_id", "position", "showcase", "start_date", "status", "updated_at"];
const INCIDENT_FIELDS = ["created_at", "id", "impact", "incident_updates", "monitoring_at", "name", "page_id", "resolved_at", "shortlink", "status", "updated_at"];
const UPDATE_FIELDS = ["body", "created_at", "display_at", "id", "incident_id", "status", "updated_at"];
const MAINTENANCE_FIELDS = [...INCIDENT_FIELDS, "scheduled_for", "scheduled_until"];

function hasFields(value: unknown, fields: readonly string[], what: string) {
  expect(value, what).toBeTypeOf("object");
  for (const f of fields) expect(Object.hasOwn(value as object, f), `${what}.${f}`).toBe(true);
}

let work: string;
let server: SiteServer;
let status: Status;
let client: Statuspage;
const NAME = "Example smart accounts";

beforeAll(async () => {
  process.env.ASTRO_TELEMETRY_DISABLED = "1";
  work = mkdtempSync(path.join(tmpdir(), "guardian-sp-client-"));
  const dist = path.join(work, "dist");
  // The server first: its URL is the page URL the publisher writes into every document.
  server = await serveSite(dist);
  const now = new Date();
  status = buildStatus({ ...scenarioInput({ now }), page: { name: NAME, url: server.url }, maintenances: scenarioMaintenances(now) }, now);
  const { statusFile } = writeStatusFiles(path.join(work, "data"), status);
  await buildSite({ statusFile, outDir: dist, logLevel: "error" });
  client = new Statuspage("guardian");
  client.setApiUrl(server.url);
});

afterAll(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Each method through the client itself; the extra Statuspage path (active.json) by plain HTTP. */
const CALLS: Record<keyof typeof CLIENT_ENDPOINTS, () => Promise<unknown>> = {
  "api.getSummary": () => client.api.getSummary(),
  "api.getStatus": () => client.api.getStatus(),
  "api.getComponents": () => client.api.getComponents(),
  "api.incidents.getAll": () => client.api.incidents.getAll(),
  "api.incidents.getUnresolved": () => client.api.incidents.getUnresolved(),
  "api.scheduledMaintenances.getAll": () => client.api.scheduledMaintenances.getAll(),
  "api.scheduledMaintenances.getUpcoming": () => client.api.scheduledMaintenances.getUpcoming(),
  "api.scheduledMaintenances.getActive": () => client.api.scheduledMaintenances.getActive(),
  "(Statuspage) scheduled-maintenances": async () => (await fetch(`${server.url.replace(/\/$/, "")}/api/v2/scheduled-maintenances.json`)).json(),
  "(Statuspage) scheduled-maintenances/active": async () => (await fetch(`${server.url.replace(/\/$/, "")}/api/v2/scheduled-maintenances/active.json`)).json(),
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const get = async (method: keyof typeof CLIENT_ENDPOINTS): Promise<any> => {
  const response = await fetch(`${server.url.replace(/\/$/, "")}${CLIENT_ENDPOINTS[method]}`);
  expect(response.status, method).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const data = (await CALLS[method]()) as { page: unknown };
  hasFields(data.page, PAGE_FIELDS, `${method} page`);
  expect(data.page).toEqual({ id: "guardian-138", name: NAME, url: server.url, time_zone: "Etc/UTC", updated_at: status.generatedAt });
  return data;
};

describe("the statuspage.io client's endpoints against the published files", () => {
  it("every path the client calls is a file Guardian writes, valid against its schema", () => {
    const written = new Set(Object.keys(STATUSPAGE_FILES).map((p) => `/${p}`));
    for (const p of Object.values(CLIENT_ENDPOINTS)) expect(written.has(p), p).toBe(true);
  });

  it("getSummary: page, components, unresolved incidents, active and upcoming maintenances, status", async () => {
    const summary = await get("api.getSummary");
    STATUSPAGE_FILES["api/v2/summary.json"].parse(summary);
    expect(summary.status).toEqual({ indicator: "critical", description: "Major System Outage" });
    for (const c of summary.components) hasFields(c, COMPONENT_FIELDS, "component");
    expect(summary.incidents.map((i: { status: string }) => i.status).sort()).toEqual(["investigating", "monitoring"]);
    expect(summary.scheduled_maintenances.map((m: { status: string }) => m.status)).toEqual(["in_progress", "scheduled"]);
  });

  it("getStatus", async () => {
    const doc = await get("api.getStatus");
    expect(doc.status).toEqual({ indicator: status.overall.indicator, description: status.overall.description });
  });

  it("getComponents: each with the client's fields, in display order", async () => {
    const doc = await get("api.getComponents");
    expect(doc.components.map((c: { name: string }) => c.name)).toEqual(["EntryPoint", "AccountFactory", "Delegation", "RPC"]);
    for (const c of doc.components) hasFields(c, COMPONENT_FIELDS, "component");
  });

  it("incidents.getAll: every incident, absolute shortlinks that open the incident's page", async () => {
    const doc = await get("api.incidents.getAll");
    expect(doc.incidents).toHaveLength(status.incidents.length);
    for (const incident of doc.incidents) {
      hasFields(incident, INCIDENT_FIELDS, "incident");
      for (const u of incident.incident_updates) hasFields(u, UPDATE_FIELDS, "incident update");
      expect(incident.shortlink).toBe(`${server.url}incidents/${incident.id}/`);
      const page = await fetch(incident.shortlink);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(`data-incident="${incident.id}"`);
    }
  });

  it("incidents.getUnresolved", async () => {
    const doc = await get("api.incidents.getUnresolved");
    expect(doc.incidents.length).toBeGreaterThan(0);
    for (const incident of doc.incidents) expect(["investigating", "identified", "monitoring"]).toContain(incident.status);
  });

  it("scheduledMaintenances.getAll, getUpcoming, getActive (and Statuspage's scheduled-maintenances.json and active.json)", async () => {
    const all = await get("(Statuspage) scheduled-maintenances");
    expect(all.scheduled_maintenances.map((m: { status: string }) => m.status).sort()).toEqual(["completed", "in_progress", "scheduled"]);
    for (const m of all.scheduled_maintenances) {
      hasFields(m, MAINTENANCE_FIELDS, "maintenance");
      expect(m.impact).toBe("maintenance");
      expect(m.shortlink).toBe(`${server.url}maintenance/${m.id}/`);
      expect((await fetch(m.shortlink)).status).toBe(200);
    }
    const upcoming = await get("api.scheduledMaintenances.getUpcoming");
    expect(upcoming.scheduled_maintenances.map((m: { status: string }) => m.status)).toEqual(["scheduled"]);
    expect(await get("api.scheduledMaintenances.getActive")).toEqual(upcoming);
    expect(await get("api.scheduledMaintenances.getAll")).toEqual(upcoming);
    const active = await get("(Statuspage) scheduled-maintenances/active");
    expect(active.scheduled_maintenances.map((m: { status: string }) => m.status)).toEqual(["in_progress"]);
  });

  it("subscribers: the client's management calls find no endpoint on a static page (subscriptions are configured, not posted)", async () => {
    await expect(client.api.subscribers.createIncidentSubscription({ email: "x@example.org" } as never)).rejects.toThrow(/status code 404/);
    await expect(client.api.subscribers.getSubscription("x")).rejects.toThrow(/status code 404/);
  });

  it("the Atom feed names itself (rel=self) and links absolutely", async () => {
    const feed = await (await fetch(`${server.url}history.atom`)).text();
    expect(feed).toContain(`<link rel="self" type="application/atom+xml" href="${server.url}history.atom"/>`);
    const hrefs = [...feed.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
    expect(hrefs.length).toBeGreaterThan(2);
    for (const href of hrefs) expect(href.startsWith(server.url), href).toBe(true);
  });
});

/**
 * The publisher: buildStatus's mappings, what it strips, uptime, the
 * Statuspage documents (validated with their schemas), the Atom feed, the
 * badges and the atomic writer.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { approveDisclosure, openIncident, transition } from "../../daemon/src/incidents/index.js";
import {
  accumulateUptime,
  atomFeed,
  badges,
  buildStatus,
  pauseUntilFromChain,
  renderStatusFiles,
  spComponentsDocumentSchema,
  spIncidentsDocumentSchema,
  spStatusDocumentSchema,
  spSummarySchema,
  statusSchema,
  statuspageDocuments,
  STATUSPAGE_FILES,
  UP_WEIGHT,
  UPTIME_DAYS,
  writeStatusFiles,
  type PublishInput,
  type Status,
} from "../../daemon/src/publish/index.js";
import type { Incident, Layer, Severity } from "../../daemon/src/types.js";
import { scheduleMaintenance, transitionMaintenance } from "../../daemon/src/maintenance/model.js";
import { addr, CONTRACTS, hash, scenarioInput, scenarioMaintenances } from "./scenario.js";

const NOW = new Date("2026-03-10T12:00:00.000Z");

function quietInput(overrides: Partial<PublishInput> = {}): PublishInput {
  const layer = (l: Layer) => ({ paused: false, pausedBy: null, pausedUntil: null, incidentRef: null, contracts: CONTRACTS[l], blockNumber: 500, blockHash: hash(500) });
  return {
    page: { name: "Guardian status", url: "https://status.example.org/guardian" },
    incidents: [],
    layerStates: { entryPoint: layer("entryPoint"), accountFactory: layer("accountFactory"), delegation: layer("delegation") },
    rpc: { health: "healthy", endpointsUp: 2, endpointsTotal: 2, head: 500 },
    chain: { chainId: 138, blockNumber: 500, blockHash: hash(500), blockTimestamp: NOW.getTime() / 1000 - 2 },
    uptime: [],
    expectedIntervalSeconds: 60,
    ...overrides,
  };
}

function incidentOn(layers: Layer[], severity: Severity, minutesAgo = 10, title = `${severity} on ${layers.join("+")}`): Incident {
  return openIncident({
    key: `test:${title}`,
    title,
    severity,
    affected: { layers, contracts: [addr(1)] },
    source: "test",
    now: new Date(NOW.getTime() - minutesAgo * 60_000),
  });
}

const byId = (status: Status, id: string) => status.components.find((c) => c.id === id)!;

describe("buildStatus: component status", () => {
  it("all operational and 'All Systems Operational' when nothing is wrong", () => {
    const status = buildStatus(quietInput(), NOW);
    expect(status.components.map((c) => [c.id, c.status])).toEqual([
      ["entryPoint", "operational"],
      ["accountFactory", "operational"],
      ["delegation", "operational"],
      ["rpc", "operational"],
    ]);
    expect(status.overall).toEqual({ indicator: "none", description: "All Systems Operational" });
    expect(status.generatedAt).toBe(NOW.toISOString());
    expect(status.page.id).toBe("guardian-138");
  });

  it("a paused layer is a major outage, saying who paused it and until when", () => {
    const until = pauseUntilFromChain(String(NOW.getTime() / 1000 + 1800));
    const input = quietInput();
    input.layerStates.delegation = { ...input.layerStates.delegation!, paused: true, pausedBy: "sentinel", pausedUntil: until, incidentRef: hash(7) };
    input.layerStates.accountFactory = { ...input.layerStates.accountFactory!, paused: true, pausedBy: "guardian", pausedUntil: pauseUntilFromChain(((1n << 64n) - 1n).toString()), incidentRef: hash(8) };
    const status = buildStatus(input, NOW);
    const delegation = byId(status, "delegation");
    expect(delegation.status).toBe("major_outage");
    expect(delegation.statusReason).toBe("Paused by Guardian's sentinel (automatic circuit breaker) until 2026-03-10 12:30 UTC unless the guardian confirms it.");
    expect(delegation.evidence).toEqual({
      kind: "layer",
      paused: true,
      pausedBy: "sentinel",
      pausedUntil: "2026-03-10T12:30:00.000Z",
      incidentRef: hash(7),
      contracts: CONTRACTS.delegation,
      readAtBlock: 500,
      readAtHash: hash(500),
    });
    expect(byId(status, "accountFactory").statusReason).toBe("Paused by the guardian multisig.");
    expect(byId(status, "accountFactory").evidence).toMatchObject({ paused: true, pausedBy: "guardian", pausedUntil: null });
    expect(status.overall).toEqual({ indicator: "critical", description: "Major System Outage" });
  });

  it("a lapsed sentinel pause still on chain says it is being released", () => {
    const input = quietInput();
    input.layerStates.entryPoint = { ...input.layerStates.entryPoint!, paused: true, pausedBy: "sentinel", pausedUntil: "2026-03-10T11:00:00.000Z", incidentRef: hash(1) };
    expect(byId(buildStatus(input, NOW), "entryPoint").statusReason).toMatch(/lapsed at 2026-03-10 11:00 UTC and is being released/);
  });

  it.each([
    ["critical", "major_outage", "critical", "Major System Outage"],
    ["high", "partial_outage", "major", "Partial System Outage"],
    ["medium", "degraded_performance", "minor", "Partially Degraded Service"],
    ["low", "operational", "none", "All Systems Operational"],
  ] as const)("an open %s incident makes its layer %s and the page %s", (severity, componentStatus, indicator, description) => {
    const status = buildStatus(quietInput({ incidents: [incidentOn(["accountFactory"], severity)] }), NOW);
    expect(byId(status, "accountFactory").status).toBe(componentStatus);
    expect(byId(status, "entryPoint").status).toBe("operational");
    expect(status.overall).toEqual({ indicator, description });
    expect(status.incidents[0]!.impact).toBe({ critical: "critical", high: "major", medium: "minor", low: "none" }[severity]);
  });

  it("the worst of several open incidents wins; resolved ones count for nothing", () => {
    const resolved = transition(incidentOn(["delegation"], "critical", 60, "old"), "recovered", { now: new Date(NOW.getTime() - 30 * 60_000) });
    const status = buildStatus(
      quietInput({ incidents: [incidentOn(["delegation"], "medium"), incidentOn(["delegation"], "high", 5, "worse"), resolved] }),
      NOW,
    );
    expect(byId(status, "delegation").status).toBe("partial_outage");
    // The reason names the incident by its public face, never the detector's title.
    expect(byId(status, "delegation").statusReason).toBe("Open incident: Delegation redemption degraded");
    expect(status.incidents.map((i) => i.status)).toEqual(["investigating", "investigating", "resolved"]);
  });

  it("a security incident shows only as its components' status until its disclosure is approved", () => {
    const stranger = "0x5ec0ffee000000000000000000000000deadbeef";
    const takeover = openIncident({ key: `security:ownership:${stranger}`, title: `Ownership of the paymaster moved to ${stranger}`, severity: "critical", affected: { layers: ["entryPoint"], contracts: [addr(1)] }, source: "security", now: new Date(NOW.getTime() - 60_000) });
    const hidden = buildStatus(quietInput({ incidents: [takeover] }), NOW);
    expect(hidden.incidents).toEqual([]);
    expect(byId(hidden, "entryPoint")).toMatchObject({ status: "major_outage", statusReason: "Under investigation." });
    expect(hidden.overall.indicator).toBe("critical");
    for (const text of [JSON.stringify(hidden), ...renderStatusFiles(hidden).map((f) => f.content)]) {
      expect(text).not.toContain(stranger.slice(2, 12));
      expect(text).not.toContain("Ownership of the paymaster");
    }
    const approved = approveDisclosure(takeover, { by: "Sam", approvers: [{ name: "Sam", role: "securityLead" }], now: NOW });
    const shown = buildStatus(quietInput({ incidents: [approved] }), NOW);
    expect(shown.incidents.map((i) => i.title)).toEqual(["Security incident affecting gas sponsorship"]);
    expect(byId(shown, "entryPoint").statusReason).toBe("Open incident: Security incident affecting gas sponsorship");
    expect(JSON.stringify(shown)).not.toContain(stranger.slice(2, 12));
  });

  it("a maintenance in progress: its components under maintenance (not an outage, not downtime); a guardian pause for it too; a sentinel pause stays an outage", () => {
    let m = scheduleMaintenance({ title: "Factory migration", components: ["accountFactory", "delegation", "entryPoint"], from: new Date(NOW.getTime() - 600_000), until: new Date(NOW.getTime() + 3_600_000), by: "dave (ops)", now: new Date(NOW.getTime() - 86_400_000) });
    m = transitionMaintenance(m, "in_progress", { now: new Date(NOW.getTime() - 600_000), by: "dave (ops)" });
    const input = quietInput({ maintenances: [m] });
    input.layerStates.accountFactory = { ...input.layerStates.accountFactory!, paused: true, pausedBy: "guardian", pausedUntil: null, incidentRef: hash(9) };
    input.layerStates.delegation = { ...input.layerStates.delegation!, paused: true, pausedBy: "sentinel", pausedUntil: pauseUntilFromChain(String(NOW.getTime() / 1000 + 600)), incidentRef: hash(10) };
    // The guardian's pause, as the pause-changed detector records it: a Medium incident, made during the maintenance.
    const guardianPause = openIncident({ key: `pause-changed:layer:accountFactory:${hash(9)}`, title: "accountFactory layer paused by the guardian", severity: "medium", affected: { layers: ["accountFactory"], contracts: [addr(2)] }, source: "pause-changed", now: new Date(NOW.getTime() - 300_000) });
    input.incidents = [guardianPause];
    const status = buildStatus(input, NOW);
    expect(byId(status, "entryPoint")).toMatchObject({ status: "under_maintenance", statusReason: "Scheduled maintenance in progress: Factory migration" });
    expect(byId(status, "accountFactory")).toMatchObject({ status: "under_maintenance", statusReason: "Paused by the guardian multisig for scheduled maintenance: Factory migration" });
    expect(byId(status, "delegation").status).toBe("major_outage");
    expect(status.incidents).toEqual([]);
    expect(status.maintenances.map((x) => [x.title, x.status])).toEqual([["Factory migration", "in_progress"]]);
    expect(JSON.stringify(status)).not.toContain("dave");
    expect(UP_WEIGHT.under_maintenance).toBe(1);
    const docs = statuspageDocuments(status);
    expect(docs["api/v2/scheduled-maintenances/active.json"].scheduled_maintenances.map((x) => x.name)).toEqual(["Factory migration"]);
    expect(docs["api/v2/scheduled-maintenances/upcoming.json"].scheduled_maintenances).toEqual([]);
    expect(atomFeed(status)).toContain("[Maintenance: In progress] Factory migration");
    // Without the maintenance the same pause is an outage and an incident.
    const plain = buildStatus({ ...input, maintenances: [] }, NOW);
    expect(byId(plain, "accountFactory").status).toBe("major_outage");
    expect(plain.incidents.map((i) => i.title)).toEqual(["Creating new smart accounts paused"]);
  });

  it("RPC health sets the RPC component; an RPC detector's incident lands on it", () => {
    const rpcIncident = openIncident({ key: "rpc-health:stall", title: "Chain stalled", severity: "high", affected: { layers: [], contracts: [] }, source: "rpc-health", now: NOW });
    const down = buildStatus(quietInput({ rpc: { health: "down", endpointsUp: 0, endpointsTotal: 2, head: null } }), NOW);
    expect(byId(down, "rpc")).toMatchObject({ status: "major_outage", statusReason: "No RPC endpoint answers: Guardian cannot read the chain." });
    const degraded = buildStatus(quietInput({ incidents: [rpcIncident], rpc: { health: "degraded", endpointsUp: 1, endpointsTotal: 2, head: 501 } }), NOW);
    expect(byId(degraded, "rpc").status).toBe("partial_outage");
    expect(degraded.incidents[0]!.components).toEqual(["rpc"]);
  });

  it("a layer not read yet has null evidence and says so", () => {
    const input = quietInput();
    delete input.layerStates.delegation;
    const delegation = byId(buildStatus(input, NOW), "delegation");
    expect(delegation.evidence).toMatchObject({ paused: null, readAtBlock: null, readAtHash: null });
    expect(delegation.statusReason).toBe("Not read from the chain yet.");
  });
});

describe("buildStatus: incidents", () => {
  const input = scenarioInput({ now: NOW });
  const status = buildStatus(input, NOW);
  const json = JSON.stringify(status);

  it("publishes public timeline entries only, and no internal field", () => {
    for (const secret of ["alice", "carol", "bob@example", "internal", "hooks.example.invalid", "T0KEN", "secretish", "rpc-health:latency", "escalat", "oncall"])
      expect(json).not.toContain(secret);
    const resolved = status.incidents.find((i) => i.status === "resolved")!;
    expect(resolved.updates.map((u) => u.status)).toEqual(["investigating", "identified", "resolved"]);
    expect(resolved.updates[1]!.body).toMatch(/misconfigured bundler/);
  });

  it("an incident's public updatedAt is its latest public update, not internal activity", () => {
    const resolved = status.incidents.find((i) => i.status === "resolved")!;
    expect(resolved.updatedAt).toBe(resolved.updates.at(-1)!.at);
    expect(resolved.resolvedAt).toBe(resolved.updatedAt);
  });

  it("newest first; resolved incidents older than the history window are dropped, unresolved ones kept", () => {
    expect(status.incidents.map((i) => i.createdAt)).toEqual([...status.incidents.map((i) => i.createdAt)].sort().reverse());
    const later = new Date(NOW.getTime() + 100 * 86_400_000);
    const old = buildStatus({ ...input, uptime: [] }, later);
    expect(old.incidents.map((i) => i.status)).toEqual(["investigating", "monitoring"]);
  });

  it("the schema refuses a field it does not declare (nothing internal can be published)", () => {
    const leaky = structuredClone(status) as Status & { incidents: Array<Record<string, unknown>> };
    leaky.incidents[0]!.key = "delegation:redeem-failures";
    expect(statusSchema.safeParse(leaky).success).toBe(false);
  });
});

describe("uptime", () => {
  it("90 UTC days ending today, null without data, percentage floored", () => {
    const samples = [
      { component: "entryPoint" as const, date: "2026-03-10", observedSeconds: 43_200, upSeconds: 43_199 },
      { component: "entryPoint" as const, date: "2026-03-09", observedSeconds: 86_400, upSeconds: 86_400 },
      { component: "entryPoint" as const, date: "2025-01-01", observedSeconds: 86_400, upSeconds: 0 }, // outside the window
    ];
    const { uptime } = byId(buildStatus(quietInput({ uptime: samples }), NOW), "entryPoint");
    expect(uptime.days).toHaveLength(UPTIME_DAYS);
    expect(uptime.days[0]!.date).toBe("2025-12-11");
    expect(uptime.days.at(-1)).toEqual({ date: "2026-03-10", upRatio: 43_199 / 43_200 });
    expect(uptime.days.at(-3)!.upRatio).toBeNull();
    expect(uptime.percentage).toBe(99.99); // 99.9992… floored, never rounded up to 100
    expect(byId(buildStatus(quietInput({ uptime: samples }), NOW), "rpc").uptime.percentage).toBeNull();
  });

  it("accumulateUptime splits at UTC midnight, weighs statuses like Statuspage and skips gaps", () => {
    const from = new Date("2026-03-09T23:30:00.000Z");
    const to = new Date("2026-03-10T00:30:00.000Z");
    const samples = accumulateUptime([], { entryPoint: "operational", delegation: "major_outage", accountFactory: "partial_outage" }, from, to);
    expect(samples).toEqual([
      { component: "accountFactory", date: "2026-03-09", observedSeconds: 1800, upSeconds: 1260 },
      { component: "delegation", date: "2026-03-09", observedSeconds: 1800, upSeconds: 0 },
      { component: "entryPoint", date: "2026-03-09", observedSeconds: 1800, upSeconds: 1800 },
      { component: "accountFactory", date: "2026-03-10", observedSeconds: 1800, upSeconds: 1260 },
      { component: "delegation", date: "2026-03-10", observedSeconds: 1800, upSeconds: 0 },
      { component: "entryPoint", date: "2026-03-10", observedSeconds: 1800, upSeconds: 1800 },
    ]);
    // The daemon was down for 5 hours: that time is not counted as up.
    expect(accumulateUptime(samples, { entryPoint: "operational" }, to, new Date(to.getTime() + 5 * 3_600_000))).toEqual(samples);
  });

  it("pauseUntilFromChain: 2^64-1 (guardian) is indefinite", () => {
    expect(pauseUntilFromChain("18446744073709551615")).toBeNull();
    expect(pauseUntilFromChain(1_773_144_000n)).toBe("2026-03-10T12:00:00.000Z");
  });
});

describe("Statuspage v2 documents", () => {
  const status = buildStatus(scenarioInput({ now: NOW }), NOW);
  const docs = statuspageDocuments(status);

  it("each document validates against its schema", () => {
    expect(() => spSummarySchema.parse(docs["api/v2/summary.json"])).not.toThrow();
    expect(() => spStatusDocumentSchema.parse(docs["api/v2/status.json"])).not.toThrow();
    expect(() => spComponentsDocumentSchema.parse(docs["api/v2/components.json"])).not.toThrow();
    expect(() => spIncidentsDocumentSchema.parse(docs["api/v2/incidents.json"])).not.toThrow();
    expect(() => spIncidentsDocumentSchema.parse(docs["api/v2/incidents/unresolved.json"])).not.toThrow();
  });

  it("uses Statuspage's field names and values", () => {
    const summary = docs["api/v2/summary.json"];
    expect(summary.page).toEqual({ id: "guardian-138", name: "Guardian status", url: "", time_zone: "Etc/UTC", updated_at: NOW.toISOString() });
    expect(summary.status).toEqual({ indicator: "critical", description: "Major System Outage" });
    expect(summary.components.map((c) => [c.name, c.status, c.position])).toEqual([
      ["EntryPoint", "operational", 1],
      ["AccountFactory", "major_outage", 2],
      ["Delegation", "major_outage", 3],
      ["RPC", "degraded_performance", 4],
    ]);
    expect(summary.scheduled_maintenances).toEqual([]);
    // summary and unresolved: unresolved incidents only; incidents.json: all.
    expect(summary.incidents.map((i) => i.status)).toEqual(["investigating", "monitoring"]);
    expect(docs["api/v2/incidents/unresolved.json"].incidents).toEqual(summary.incidents);
    expect(docs["api/v2/incidents.json"].incidents).toHaveLength(3);

    const contained = summary.incidents.find((i) => i.status === "monitoring")!;
    expect(contained.impact).toBe("critical");
    expect(contained.monitoring_at).toBe(contained.incident_updates.at(-2)!.created_at);
    expect(contained.resolved_at).toBeNull();
    expect(contained.shortlink).toBe(`/incidents/${contained.id}/`);
    expect(contained.components.map((c) => c.id)).toEqual(["delegation"]);
    // Newest update first, as Statuspage serves them.
    expect(contained.incident_updates.map((u) => u.status)).toEqual(["monitoring", "monitoring", "investigating"]);
    expect(contained.incident_updates[0]).toMatchObject({ incident_id: contained.id, affected_components: null, deliver_notifications: true, custom_tweet: null, tweet_id: null });
  });

  it("shortlinks are absolute when the page URL is known", () => {
    const withUrl = buildStatus({ ...scenarioInput({ now: NOW }), page: { name: "Guardian status", url: "https://status.example.org/guardian" } }, NOW);
    const incident = statuspageDocuments(withUrl)["api/v2/incidents.json"].incidents[0]!;
    expect(incident.shortlink).toBe(`https://status.example.org/guardian/incidents/${incident.id}/`);
  });

  it("the schemas refuse what Statuspage does not serve", () => {
    const bad = structuredClone(docs["api/v2/status.json"]) as unknown as { status: { indicator: string } };
    bad.status.indicator = "unknown";
    expect(spStatusDocumentSchema.safeParse(bad).success).toBe(false);
  });
});

describe("feed and badges", () => {
  it("the Atom feed escapes untrusted titles and drops characters XML cannot carry", () => {
    const nasty = openIncident({ key: "x", title: `<script>alert(1)</script> & "q" \u0000\u0007end`, severity: "high", affected: { layers: ["delegation"], contracts: [] }, source: "manual", now: NOW });
    const feed = atomFeed(buildStatus(quietInput({ incidents: [nasty] }), NOW));
    expect(feed).toContain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; end");
    expect(feed).not.toContain("<script>");
    expect(feed).not.toMatch(/[\u0000-\u0008]/);
    expect(feed).toContain(`<id>urn:uuid:${nasty.id}</id>`);
    expect(feed).toContain(`href="https://status.example.org/guardian/incidents/${nasty.id}/"`);
  });

  it("a feed per component (its incidents and maintenances only, rel=self to itself) and a small widget JSON", () => {
    const status = buildStatus({ ...scenarioInput({ now: NOW }), page: { name: "Guardian status", url: "https://status.example.org/" }, maintenances: scenarioMaintenances(NOW) }, NOW);
    const delegation = atomFeed(status, { component: "delegation" });
    const entries = (feed: string) => [...feed.matchAll(/<entry>[\s\S]*?<title>([^<]*)<\/title>/g)].map((m) => m[1]);
    expect(entries(delegation)).toEqual(["[Monitoring] Some delegation redemptions are failing", "[Maintenance: Completed] DelegationManager upgrade"]);
    expect(delegation).toContain('<link rel="self" type="application/atom+xml" href="https://status.example.org/feeds/delegation.atom"/>');
    expect(entries(atomFeed(status, { component: "rpc" }))).toEqual(["[Investigating] Status updates may be delayed"]);
    const files = new Map(renderStatusFiles(status).map((f) => [f.path, f.content]));
    for (const id of ["entryPoint", "accountFactory", "delegation", "rpc"]) expect(files.has(`feeds/${id}.atom`)).toBe(true);
    expect(JSON.parse(files.get("widget.json")!)).toEqual({
      schemaVersion: 1,
      page: { name: "Guardian status", url: "https://status.example.org/" },
      status: { indicator: "critical", description: "Major System Outage" },
      components: [
        { id: "entryPoint", name: "EntryPoint", status: "under_maintenance" },
        { id: "accountFactory", name: "AccountFactory", status: "major_outage" },
        { id: "delegation", name: "Delegation", status: "major_outage" },
        { id: "rpc", name: "RPC", status: "degraded_performance" },
      ],
      generatedAt: NOW.toISOString(),
      expectedIntervalSeconds: 60,
      cacheSeconds: 60,
    });
  });

  it("shields endpoint badges per component and overall", () => {
    const b = badges(buildStatus(scenarioInput({ now: NOW }), NOW));
    expect(b.get("badge/overall.json")).toEqual({ schemaVersion: 1, label: "status", message: "major system outage", color: "red", cacheSeconds: 300 });
    expect(b.get("badge/delegation.json")).toEqual({ schemaVersion: 1, label: "Delegation", message: "paused by sentinel", color: "red", cacheSeconds: 300 });
    expect(b.get("badge/entryPoint.json")).toMatchObject({ message: "operational", color: "brightgreen" });
    expect(b.get("badge/rpc.json")).toMatchObject({ message: "degraded performance", color: "yellow" });
  });
});

describe("writeStatusFiles", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "guardian-publish-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes every file, status.json last, and leaves no temporary file", () => {
    const status = buildStatus(scenarioInput({ now: NOW }), NOW);
    const result = writeStatusFiles(dir, status);
    expect(result.files.map((f) => path.relative(dir, f))).toEqual(renderStatusFiles(status).map((f) => f.path));
    expect(result.files.at(-1)).toBe(result.statusFile);
    for (const [rel, schema] of Object.entries(STATUSPAGE_FILES)) schema.parse(JSON.parse(readFileSync(path.join(dir, rel), "utf8")));
    expect(statusSchema.parse(JSON.parse(readFileSync(result.statusFile, "utf8")))).toEqual(status);
    expect(existsSync(path.join(dir, "history.atom"))).toBe(true);

    // Rewrite with newer data: replaced in place, still no temp files.
    const later = buildStatus(scenarioInput({ now: NOW }), new Date(NOW.getTime() + 60_000));
    writeStatusFiles(dir, later);
    expect(JSON.parse(readFileSync(result.statusFile, "utf8")).generatedAt).toBe(later.generatedAt);
    const all = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? all(path.join(d, e.name)) : [e.name]));
    expect(all(dir).filter((n) => n.includes(".tmp-"))).toEqual([]);
  });
});

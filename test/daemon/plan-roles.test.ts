/**
 * Escalation by role with a real daemon, a real chain and a real webhook
 * receiver: a Critical incident on two layers pages On-Call at once, the
 * secondary at 5 min, the Security Lead at 15 min; once acknowledged, the
 * Security Lead's backup is not paged at 30 min; after a restart the CTO is
 * paged at 60 min and nobody is paged twice. The daemon's clock is moved
 * forward (the minutes of the plan), the chain and the receiver run in real
 * time; the SLA escalation keeps working beside it (senior at 15 min).
 * Maintenance steps typed with `guardian maintenance` reach the On-Call
 * primary, once each, restart or not.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../daemon/src/cli.js";
import { loadConfig } from "../../daemon/src/config/index.js";
import { asNotification } from "../../daemon/src/respond/notify/index.js";
import { startDaemon, type RunningDaemon } from "../../daemon/src/runtime/daemon.js";
import { waitFor } from "./helpers/memory-sink.js";
import { startStack, type StackEnv } from "./helpers/stack.js";
import { startReceiver, type Receiver } from "./helpers/webhook-receiver.js";

const silent = process.env.GUARDIAN_TEST_LOG ? pino({ level: "debug" }, pino.destination(process.env.GUARDIAN_TEST_LOG)) : pino({ level: "silent" });
const HMAC = "plan-roles-hmac-key-0123";
const PEOPLE = ["ona", "otto", "sela", "seb", "cato", "senior"] as const;
let s: StackEnv;
let receiver: Receiver;
let daemon: RunningDaemon | undefined;
/** The daemon's clock runs this far ahead of real time. */
let ahead = 0;
const clock = () => new Date(Date.now() + ahead);

beforeAll(async () => {
  s = await startStack();
  receiver = await startReceiver({ secret: HMAC, routingKey: "unused", decide: () => "ok" });
});
afterAll(async () => {
  await daemon?.stop();
  await receiver?.close();
  await s?.chain.stop();
});

function setup() {
  const file = path.join(s.dir, "guardian-roles.json");
  const contact = (name: string) => ({ name: name[0]!.toUpperCase() + name.slice(1), channel: `webhook:${name}` });
  writeFileSync(
    file,
    JSON.stringify({
      ...JSON.parse(readFileSync(s.configFile, "utf8")),
      escalation: { senior: contact("senior") },
      roles: {
        onCall: { primary: contact("ona"), secondary: contact("otto") },
        securityLead: { primary: contact("sela"), backup: contact("seb") },
        cto: { primary: contact("cato") },
      },
    }),
  );
  const env: Record<string, string> = { ...s.env, GUARDIAN_CONFIG: file };
  for (const p of PEOPLE) env[`GUARDIAN_WEBHOOK_${p.toUpperCase()}`] = receiver.url(`/generic/${p}#secret=${HMAC}`);
  return { config: loadConfig({ file, env, cwd: s.dir }), env };
}

async function cli(env: Record<string, string>, argv: string[]): Promise<string> {
  let out = "";
  let err = "";
  const code = await main(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env, cwd: s.dir });
  expect(code, err).toBe(0);
  return out.trim();
}

/** What each person's webhook accepted about incident `id`, as "<person> <type>", in order; each notification id once. */
const heard = (id: string) =>
  [...receiver.processed.values()].filter((r) => r.json?.incident?.id === id).map((r) => `${r.path.split("/")[2]} ${r.json.type}`);
const startAt = (config: ReturnType<typeof setup>["config"]) => startDaemon({ config, clock, publishIntervalSeconds: 60, heartbeatIntervalSeconds: 0, logger: silent });

describe("escalation by role (response plan) in the daemon", () => {
  it("pages On-Call, the secondary, the Security Lead and the CTO at the plan's times, once each across a restart, beside the SLA escalation", async () => {
    const { config, env } = setup();
    daemon = await startAt(config);
    const id = await cli(env, ["incident", "trigger", "paymaster", "--severity", "critical", "--layer", "entryPoint", "accountFactory", "--title", "Both layers down", "--by", "Ona"]);
    const opened = Date.parse(daemon.store.read().incidents[id]!.createdAt);

    // 0 min: On-Call primary (the SLA escalation's on-call is the log here).
    await waitFor(() => heard(id).includes("ona incident.role-paged"), 60_000, "on-call paged");
    expect(heard(id)).toEqual(["ona incident.role-paged"]);
    const onaPage = [...receiver.processed.values()].find((r) => r.path === "/generic/ona")!.json;
    expect(onaPage).toMatchObject({ contact: { role: "onCall.primary", name: "Ona" }, incident: { id, severity: "critical", affected: { layers: ["entryPoint", "accountFactory"] } } });
    expect(onaPage.headline).toBe("[CRITICAL] Paging On-Call (primary) (Ona) per the response plan: Both layers down");

    // The circuit breaker still pauses the Critical incident's layers: a role page is not an action.
    await waitFor(() => daemon!.store.read().incidents[id]!.timeline.some((e) => e.kind === "action" && e.evidence?.txHash !== undefined), 60_000, "the breaker's pause");

    // 5 min, unacknowledged: the secondary.
    ahead = opened + 5 * 60_000 + 1_000 - Date.now();
    await waitFor(() => heard(id).includes("otto incident.role-paged"), 60_000, "secondary paged");

    // 16 min: the Security Lead (Critical), and the SLA escalation's senior (Critical SLA 15 min) beside it.
    ahead = opened + 16 * 60_000 - Date.now();
    await waitFor(() => heard(id).includes("sela incident.role-paged") && heard(id).includes("senior incident.escalated"), 60_000, "Security Lead and senior paged");
    expect(heard(id).includes("cato incident.role-paged")).toBe(false);

    // The Security Lead acknowledges; the daemon stops and comes back at 61 min.
    await cli(env, ["incident", "ack", id, "--by", "Sela"]);
    await waitFor(() => daemon!.store.read().outbox.every((i) => i.status !== "pending"), 60_000, "outbox settled");
    await daemon.stop();
    daemon = undefined;
    ahead = opened + 61 * 60_000 - Date.now();
    daemon = await startAt(setup().config);

    // 61 min: the CTO (Critical on two layers, acknowledged or not); not the backup Security Lead (acknowledged); nobody twice.
    await waitFor(() => heard(id).includes("cato incident.role-paged"), 60_000, "CTO paged");
    await waitFor(() => daemon!.store.read().outbox.every((i) => i.status !== "pending"), 60_000, "outbox settled");
    const pages = heard(id).filter((h) => h.endsWith("role-paged"));
    expect(pages).toEqual(["ona incident.role-paged", "otto incident.role-paged", "sela incident.role-paged", "cato incident.role-paged"]);
    expect(heard(id)).not.toContain("seb incident.role-paged");
    for (const [nid, n] of receiver.accepted) if (receiver.processed.get(nid)?.json?.incident?.id === id) expect(n, nid).toBe(1);

    // The record: one internal "escalated" entry per page in the incident's timeline, and a delivered outbox entry per sent page.
    const incident = daemon.store.read().incidents[id]!;
    expect(incident.timeline.filter((e) => e.kind === "escalated" && e.message.startsWith("Paged ")).map((e) => [e.message.split(" per ")[0], e.public])).toEqual([
      ["Paged On-Call (primary) Ona", false],
      ["Paged On-Call (secondary) Otto", false],
      ["Paged Security Lead Sela", false],
      ["Paged CTO Cato", false],
    ]);
    const outbox = daemon.store.read().outbox.map((i) => asNotification(i)).filter((n) => n?.incidentId === id && n.payload.event === "role-paged");
    expect(outbox.map((n) => `${n!.payload.contact.role} ${n!.status}`)).toEqual(["onCall.primary done", "onCall.secondary done", "securityLead.primary done", "cto.primary done"]);
    expect(receiver.requests.filter((r) => r.problem !== undefined)).toEqual([]);
  }, 300_000);

  it("tells the On-Call primary of each maintenance step (schedule, start, complete), signed, once each across a restart", async () => {
    await daemon?.stop();
    ahead = 0;
    const { config, env } = setup();
    daemon = await startAt(config);
    const from = new Date(Date.now() + 3_600_000).toISOString();
    const until = new Date(Date.now() + 7_200_000).toISOString();
    const mid = await cli(env, ["maintenance", "schedule", "--components", "entryPoint", "delegation", "--from", from, "--until", until, "--title", "Paymaster upgrade", "--by", "Ann"]);
    const notices = () => [...receiver.processed.values()].filter((r) => r.json?.maintenance?.id === mid).map((r) => `${r.path.split("/")[2]} ${r.json.type} ${r.json.update.by}`);
    await waitFor(() => notices().length === 1, 60_000, "scheduled notice");
    await cli(env, ["maintenance", "start", mid, "--by", "Ann"]);
    await waitFor(() => notices().length === 2, 60_000, "started notice");
    await cli(env, ["maintenance", "complete", mid, "--by", "Bo", "--message", "Upgrade done"]);
    await waitFor(() => notices().length === 3, 60_000, "completed notice");
    expect(notices()).toEqual(["ona maintenance.scheduled Ann", "ona maintenance.started Ann", "ona maintenance.completed Bo"]);
    const completed = [...receiver.processed.values()].find((r) => r.json?.type === "maintenance.completed")!.json;
    expect(completed).toMatchObject({ maintenance: { id: mid, title: "Paymaster upgrade", components: ["entryPoint", "delegation"] }, update: { message: "Upgrade done" } });

    // A restart tells nothing again; the receiver checked every signature.
    await daemon.stop();
    daemon = await startAt(setup().config);
    await waitFor(() => daemon!.store.read().outbox.every((i) => i.status !== "pending"), 60_000, "outbox settled");
    const sentBefore = receiver.requests.filter((r) => r.json?.maintenance?.id === mid).length;
    await daemon.stop();
    daemon = await startAt(setup().config);
    await waitFor(() => daemon!.store.read().outbox.every((i) => i.status !== "pending"), 60_000, "outbox settled");
    expect(receiver.requests.filter((r) => r.json?.maintenance?.id === mid)).toHaveLength(sentBefore);
    expect(sentBefore).toBe(3);
    expect(receiver.requests.filter((r) => r.problem !== undefined)).toEqual([]);
  }, 300_000);
});

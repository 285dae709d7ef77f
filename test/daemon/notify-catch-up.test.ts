/**
 * Notifications never replay history: a daemon pages channel A about four
 * incidents (three resolved), then restarts with B as the on-call channel.
 * B gets one catch-up for the open incident and nothing about the resolved
 * ones; A hears nothing more; what happens next reaches B.
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
const HMAC = "catch-up-hmac-key-0123";
let s: StackEnv;
let receiver: Receiver;
let daemon: RunningDaemon | undefined;

beforeAll(async () => {
  s = await startStack();
  receiver = await startReceiver({ secret: HMAC, routingKey: "unused", decide: () => "ok" });
});
afterAll(async () => {
  await daemon?.stop();
  await receiver?.close();
  await s?.chain.stop();
});

/** The stack's config with on-call paged on `channel`. */
function configWith(channel: "a" | "b") {
  const file = path.join(s.dir, `guardian-${channel}.json`);
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(s.configFile, "utf8")), escalation: { oncall: { name: "Ona", channel: `webhook:${channel}` } } }));
  const env = {
    ...s.env,
    GUARDIAN_CONFIG: file,
    GUARDIAN_WEBHOOK_A: receiver.url(`/generic/a#secret=${HMAC}`),
    GUARDIAN_WEBHOOK_B: receiver.url(`/generic/b#secret=${HMAC}`),
  };
  return { config: loadConfig({ file, env, cwd: s.dir }), env };
}

async function cli(env: Record<string, string>, argv: string[]): Promise<string> {
  let out = "";
  let err = "";
  const code = await main(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env, cwd: s.dir });
  expect(code, err).toBe(0);
  return out.trim();
}

/** What a channel accepted, as "<type> <incident id>", for the incidents in `ids` (the stack's own detectors may open others). */
const received = (channel: "a" | "b", ids: readonly string[]) =>
  receiver.requests
    .filter((r) => r.path === `/generic/${channel}` && r.answer === 200 && ids.includes(r.json.incident.id))
    .map((r) => `${r.json.type} ${r.json.incident.id}`)
    .sort();
const settled = (d: RunningDaemon) => d.store.read().outbox.every((i) => i.status !== "pending");

describe("changing the on-call channel and restarting", () => {
  it("sends the new channel one catch-up per open incident, nothing about resolved ones, and never replays history", async () => {
    // 1. Channel A: four incidents, three of them resolved.
    const a = configWith("a");
    daemon = await startDaemon({ config: a.config, publishIntervalSeconds: 60, heartbeatIntervalSeconds: 0, logger: silent });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await cli(a.env, ["incident", "trigger", "paymaster", "--severity", "low", "--title", `Incident ${i + 1}`]));
    const resolved = ids.slice(0, 3);
    for (const id of resolved) await cli(a.env, ["incident", "update", id, "--state", "recovered", "--message", "fixed"]);
    const expectedA = [...ids.map((id) => `incident.opened ${id}`), ...resolved.map((id) => `incident.resolved ${id}`)].sort();
    await waitFor(() => JSON.stringify(received("a", ids)) === JSON.stringify(expectedA) && settled(daemon!), 60_000, "channel A paged about every event");
    const before = daemon.store.read().incidents;
    const existing = Object.keys(before);
    const openAtRestart = Object.values(before)
      .filter((i) => i.state !== "recovered" && i.state !== "postreview")
      .map((i) => i.id);
    expect(openAtRestart).toContain(ids[3]);
    for (const id of resolved) expect(openAtRestart).not.toContain(id);
    await daemon.stop();
    daemon = undefined;
    const sentToA = receiver.requests.filter((r) => r.path === "/generic/a").length;

    // 2. Restart with channel B: one catch-up per open incident, nothing else about the incidents it missed.
    const b = configWith("b");
    daemon = await startDaemon({ config: b.config, publishIntervalSeconds: 60, heartbeatIntervalSeconds: 0, logger: silent });
    const expectedB = openAtRestart.map((id) => `incident.catch-up ${id}`).sort();
    await waitFor(() => received("b", existing).length >= expectedB.length && settled(daemon!), 60_000, "channel B caught up");
    expect(received("b", existing)).toEqual(expectedB);
    const catchUp = receiver.requests.find((r) => r.path === "/generic/b" && r.json.incident.id === ids[3])!.json;
    expect(catchUp.incident).toMatchObject({ id: ids[3], state: "detected", title: "Incident 4" });
    const toB = daemon.store
      .read()
      .outbox.map((i) => asNotification(i))
      .filter((n) => n?.payload.channel === "webhook:b" && existing.includes(n.incidentId));
    expect(toB.map((n) => `${n!.payload.event} ${n!.incidentId} ${n!.status}`).sort()).toEqual(openAtRestart.map((id) => `catch-up ${id} done`).sort());

    // 3. What happens next reaches B, and only B: a new incident, and the open one resolved.
    const fifth = await cli(b.env, ["incident", "trigger", "paymaster", "--severity", "low", "--title", "Incident 5"]);
    await cli(b.env, ["incident", "update", ids[3]!, "--state", "recovered", "--message", "fixed"]);
    const mine = [...ids, fifth];
    const expectedNext = [`incident.catch-up ${ids[3]}`, `incident.opened ${fifth}`, `incident.resolved ${ids[3]}`].sort();
    await waitFor(() => JSON.stringify(received("b", mine)) === JSON.stringify(expectedNext) && settled(daemon!), 60_000, "channel B paged about the new events");
    expect(receiver.requests.filter((r) => r.path === "/generic/a")).toHaveLength(sentToA);
    expect(receiver.requests.filter((r) => r.problem !== undefined)).toEqual([]);
  }, 300_000);
});

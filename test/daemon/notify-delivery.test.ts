/**
 * Notifications end to end over real HTTP: the outbox in a real store, a
 * receiver on 127.0.0.1 that fails sometimes (500, 503, 429 with
 * Retry-After, hangs past the timeout), a restart in the middle, and four
 * channel types (generic signed JSON, Slack, Discord, PagerDuty).
 */
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig, type GuardianConfig } from "../../daemon/src/config/index.js";
import { correlateFinding, transition, acknowledge } from "../../daemon/src/incidents/index.js";
import { addr, evidence } from "../../daemon/src/incidents/test-builders.js";
import {
  asNotification,
  buildNotification,
  channelResolver,
  createNotifier,
  deliverDue,
  outboxPersister,
  reconcileOutbox,
  type NotificationItem,
  type NotifyLogger,
} from "../../daemon/src/respond/notify/index.js";
import { openLowdbStore, type LowdbStore, type OutboxItem } from "../../daemon/src/store/index.js";
import { tempDir } from "../../daemon/src/store/testing/spawn.js";
import type { Finding, Incident } from "../../daemon/src/types.js";
import { seeded, startReceiver, type Behaviour, type Receiver } from "./helpers/webhook-receiver.js";

const SECRETS = {
  hmac: "hmac-Secret-Value-7f3a9d",
  opsPath: "OPSPATHSECRET44d1",
  slackPath: "SLACKPATHSECRET9c2e",
  discordToken: "DISCORDTOKEN51be77",
  pdKey: "PDROUTINGKEY0123456789abcdef0123",
};
const FAST = { baseMs: 50, factor: 2, maxDelayMs: 400, jitter: 0.5, horizonMs: 60_000, maxRetryAfterMs: 2_000 };

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

function fileLogger(file: string): NotifyLogger & { lines: string[] } {
  const lines: string[] = [];
  const write = (level: string) => (fields: object, message: string) => {
    const line = JSON.stringify({ level, ...fields, msg: message });
    lines.push(line);
    appendFileSync(file, `${line}\n`);
  };
  return { lines, info: write("info"), warn: write("warn"), error: write("error") };
}

function finding(key: string, severity: Finding["severity"], observedAt: Date, block: number, sender?: string): Finding {
  return {
    detector: "abnormal-outflow",
    key,
    severity,
    title: `Abnormal outflow (${key})`,
    summary: "Paymaster deposit fell by 90% in one block",
    layers: ["entryPoint"],
    contracts: [addr(1)],
    evidence: evidence(block, sender ? { sender } : {}),
    observedAt: observedAt.toISOString(),
  };
}

async function setup(decide: (path: string, nth: number, id: string | undefined) => Behaviour) {
  const receiver = await startReceiver({ secret: SECRETS.hmac, routingKey: SECRETS.pdKey, decide });
  cleanup.push(() => receiver.close());
  const dir = tempDir("guardian-notify-");
  writeFileSync(
    path.join(dir, "guardian.json"),
    JSON.stringify({
      preset: "local",
      dataDir: "data",
      escalation: {
        oncall: { name: "Ona", channel: "webhook:oncall" },
        senior: { name: "Sam", channel: "webhook:senior" },
        lead: { name: "Lee", channel: "webhook:lead" },
      },
    }),
  );
  const env = {
    GUARDIAN_WEBHOOK_ONCALL: receiver.url(`/generic/${SECRETS.opsPath}#secret=${SECRETS.hmac}`),
    GUARDIAN_WEBHOOK_SENIOR: receiver.url(`/slack/T0/B0/${SECRETS.slackPath}#type=slack`),
    GUARDIAN_WEBHOOK_LEAD: receiver.url(`/pd/v2/enqueue#type=pagerduty&routing_key=${SECRETS.pdKey}`),
    GUARDIAN_WEBHOOK_CHAT: receiver.url(`/discord/api/webhooks/1/${SECRETS.discordToken}#type=discord`),
  };
  const config = loadConfig({ file: "guardian.json", env, cwd: dir });
  const logFile = path.join(dir, "guardian.log");
  writeFileSync(logFile, "");
  const log = fileLogger(logFile);
  const open = () => openLowdbStore({ dataDir: config.dataDir, chainId: config.chainId, purpose: "daemon" });
  return { receiver, dir, env, config, log, logFile, open };
}

function notifierFor(store: LowdbStore, config: GuardianConfig, log: NotifyLogger) {
  return createNotifier({ store, escalation: config.escalation, webhooks: config.secrets.webhooks, log, policy: FAST, timeoutMs: 300, concurrency: 4 });
}

/** Every secret and every URL that holds one. */
function forbidden(env: Record<string, string>): string[] {
  return [...Object.values(SECRETS), ...Object.values(env), ...Object.values(env).map((u) => u.split("#")[0]!)];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pending = (outbox: readonly OutboxItem[]) => outbox.filter((i) => i.status === "pending");

describe("notification delivery over real HTTP", () => {
  it("delivers every notification exactly once per id through failures, timeouts, 429s and a restart; secrets stay out of the store and logs", async () => {
    const rand = seeded(42);
    // The first request on each endpoint fails in its own way; after that, failures at random.
    const first: Record<string, Behaviour> = {
      generic: { status: 500, body: "upstream error at /generic/" + SECRETS.opsPath }, // echoes the secret path: must be scrubbed
      slack: { status: 429, retryAfter: "1", body: "rate_limited" },
      discord: "hang",
      pd: { status: 503, body: "unavailable" },
    };
    const { receiver, env, config, log, logFile, open } = await setup((p, nth) => {
      const kind = p.split("/")[1]!;
      if (nth === 0) return first[kind]!;
      const r = rand();
      if (r < 0.2) return { status: 500, body: `error handling ${p}` };
      if (r < 0.3) return { status: 429, retryAfter: "1" };
      if (r < 0.38) return "hang";
      return "ok";
    });

    // Three incidents, built by the incidents engine: A (critical) opened 31 min ago
    // (two SLAs passed: it escalates straight to lead), B (critical) 16 min ago
    // (senior), C (high) now.
    const t0 = Date.now();
    const ago = (min: number) => new Date(t0 - min * 60_000);
    const a = correlateFinding({}, finding("outflow:a", "critical", ago(31), 100, addr(0xa1)), { now: ago(31), autoPause: config.autoPause });
    const b = correlateFinding({}, finding("owner:b", "critical", ago(16), 200), { now: ago(16), autoPause: config.autoPause });
    const c = correlateFinding({}, finding("rpc:c", "high", ago(0), 300), { now: ago(0), autoPause: config.autoPause });
    const [A, B, C] = [a.incident!, b.incident!, c.incident!];

    let store = await open();
    cleanup.push(() => store.close());
    let notifier = notifierFor(store, config, log);
    expect(notifier.checkChannels()).toEqual({ errors: [], warnings: [] });
    // The daemon stores each incident and its notifications in one write.
    for (const [incident, actions] of [[A, a.actions], [B, b.actions], [C, c.actions]] as const)
      await store.update((draft) => {
        draft.incidents[incident.id] = incident;
        notifier.enqueueActions(draft, actions, new Date());
      });
    // A Discord channel too (as if a second configuration watched the same incidents):
    // new to the incidents, it gets a catch-up of each open one, not their history.
    const chat = { name: "Chat", channel: "webhook:chat" };
    await store.update((draft) => void reconcileOutbox(draft, { escalation: { oncall: chat, senior: chat, lead: chat }, now: new Date() }));
    expect(store.read().outbox).toHaveLength(6);

    // 1. The first tick escalates A to lead and B to senior, and tries everything once
    //    (the first request on each endpoint fails).
    const tick1 = await notifier.tick();
    expect(tick1.escalated.sort()).toEqual([A.id, B.id].sort());
    expect(tick1.attempts).toHaveLength(8);
    expect(tick1.attempts.filter((r) => r.outcome === "retry").length).toBeGreaterThanOrEqual(4);
    const errors = store.read().outbox.map((i) => i.lastError).filter(Boolean);
    expect(errors).toContain("HTTP 500: upstream error at [redacted]");
    expect(errors).toContain("timeout after 300 ms");
    expect(errors).toContain("HTTP 429: rate_limited");
    const afterFirstTick = readFileSync(store.file, "utf8");
    expect(afterFirstTick).toContain("[redacted]");

    // 2. People act: A is contained and resolved, C acknowledged.
    await store.update((draft) => {
      draft.incidents[A.id] = transition(transition(draft.incidents[A.id]!, "contained", { now: new Date() }), "recovered", { now: new Date() });
      draft.incidents[C.id] = acknowledge(draft.incidents[C.id]!, { now: new Date(), by: "ona" });
    });
    for (let i = 0; i < 3; i++) {
      await notifier.tick();
      await sleep(60);
    }

    // 3. Restart: the store is closed and reopened, a new notifier picks up the persisted outbox.
    const midStore = readFileSync(store.file, "utf8");
    await store.close();
    store = await open();
    notifier = notifierFor(store, config, log);
    expect(store.read().outbox.length).toBeGreaterThan(6);

    const deadline = Date.now() + 40_000;
    while (pending(store.read().outbox).length > 0 && Date.now() < deadline) {
      await notifier.tick();
      await sleep(50);
    }

    // Everything was delivered: every entry done, each id processed once and answered 2xx once.
    const outbox = store.read().outbox;
    expect(pending(outbox)).toEqual([]);
    const notifications = outbox.map((i) => asNotification(i)!);
    for (const n of notifications) expect(n.status, `${n.payload.event} → ${n.payload.channel}: ${n.lastError}`).toBe("done");
    // A's escalation page failed its first attempt, then A was resolved: the page became moot and was cancelled.
    const cancelled = notifications.filter((n) => n.payload.cancelled !== undefined);
    expect(cancelled.map((n) => [n.incidentId, n.payload.event, n.payload.channel, n.payload.cancelled])).toEqual([
      [A.id, "escalated", "webhook:lead", "incident recovered before delivery"],
    ]);
    const delivered = notifications.filter((n) => n.payload.cancelled === undefined);
    for (const n of delivered) {
      expect(n.payload.deliveredAt).toBeDefined();
      expect(receiver.accepted.get(n.id), n.id).toBe(1);
    }
    expect(receiver.processed.size).toBe(delivered.length);
    expect(
      delivered.map((n) => `${n.incidentId === A.id ? "A" : n.incidentId === B.id ? "B" : "C"} ${n.payload.event} → ${n.payload.channel}`).sort(),
    ).toEqual(
      [
        "A opened → webhook:oncall",
        "A catch-up → webhook:chat",
        "A contained → webhook:oncall",
        "A contained → webhook:senior",
        "A contained → webhook:lead",
        "A resolved → webhook:oncall",
        "A resolved → webhook:senior",
        "A resolved → webhook:lead",
        "B opened → webhook:oncall",
        "B catch-up → webhook:chat",
        "B escalated → webhook:senior",
        "C opened → webhook:oncall",
        "C catch-up → webhook:chat",
        "C acknowledged → webhook:oncall",
      ].sort(),
    );

    // The receiver failed in every way, and refused nothing Guardian sent (signatures, shapes, routing key).
    const answers = receiver.requests.map((r) => r.answer);
    for (const a of [500, 503, 429, "hang"] as const) expect(answers).toContain(a);
    expect(receiver.requests.filter((r) => r.problem !== undefined)).toEqual([]);
    expect(receiver.requests.filter((r) => r.path.startsWith("/generic")).every((r) => /^sha256=[0-9a-f]{64}$/.test(String(r.headers["x-guardian-signature"])))).toBe(true);

    // Retry-After was honoured: nothing was retried sooner than the second it asked for.
    for (const [i, r] of receiver.requests.entries()) {
      if (r.answer !== 429) continue;
      const retry = receiver.requests.slice(i + 1).find((s) => s.id === r.id);
      if (retry) expect(retry.at - r.at).toBeGreaterThanOrEqual(990);
    }

    // PagerDuty saw A's alert triggered before it was resolved (one group, in timeline order), with dedup_key = incident id.
    const pd = [...receiver.processed.values()].filter((p) => p.path.startsWith("/pd")).sort((x, y) => x.at - y.at);
    expect(pd.map((p) => `${p.json.dedup_key === A.id ? "A" : "?"} ${p.json.event_action} ${p.json.payload?.custom_details?.event ?? ""}`.trim())).toEqual([
      "A trigger contained",
      "A resolve",
    ]);
    const slackFirst = [...receiver.processed.values()].find((p) => p.path.startsWith("/slack"))!;
    expect(slackFirst.json.blocks[0].type).toBe("header");

    // No secret in the store (mid-run with errors recorded, and at the end) or in the logs.
    const texts = { afterFirstTick, midStore, endStore: readFileSync(store.file, "utf8"), logs: readFileSync(logFile, "utf8") };
    expect(texts.logs).toContain("notification not delivered; will retry");
    for (const [name, text] of Object.entries(texts)) for (const secret of forbidden(env)) expect(text.includes(secret), `${name} holds ${secret}`).toBe(false);
  });

  it("a permanent refusal is dead at once; a failure past the horizon is dead; both stay in the outbox", async () => {
    const { config, log } = await setup((p) => (p.startsWith("/slack") ? { status: 404, body: "no_service" } : { status: 500 }));
    const incident = correlateFinding({}, finding("k", "high", new Date(), 1), { now: new Date(), autoPause: config.autoPause }).incident!;
    const toSlack = buildNotification(incident, 0, "opened", { level: "senior", contact: { name: "Sam", channel: "webhook:senior" } }, new Date());
    const toOps = buildNotification(incident, 0, "opened", { level: "oncall", contact: { name: "Ona", channel: "webhook:oncall" } }, new Date());
    const persisted: OutboxItem[] = [];
    const deps = {
      resolveChannel: channelResolver(config.secrets.webhooks),
      persist: async (item: OutboxItem) => void persisted.push(item),
      log,
      timeoutMs: 300,
      policy: { ...FAST, horizonMs: 500 },
    };
    let outbox: OutboxItem[] = [toSlack, toOps];
    const first = await deliverDue(outbox, new Date(), deps);
    expect(first.reports.map((r) => [r.channel, r.outcome, r.error])).toEqual([
      ["webhook:senior", "dead", "HTTP 404: no_service (permanent: not retried)"],
      ["webhook:oncall", "retry", "HTTP 500"],
    ]);
    expect(persisted.map((p) => p.id)).toEqual([toSlack.id, toOps.id]);
    outbox = first.outbox;
    for (let i = 0; i < 40 && outbox.some((o) => o.status === "pending"); i++) {
      await sleep(60);
      outbox = (await deliverDue(outbox, new Date(), deps)).outbox;
    }
    expect(outbox.map((o) => o.status)).toEqual(["failed", "failed"]);
    expect(outbox[1]!.lastError).toMatch(/^HTTP 500 \(gave up after \d+ attempts over 0 h\)$/);
    expect(log.lines.some((l) => l.includes("notification dead"))).toBe(true);
  });

  it("a crash after the receiver accepted and before the store recorded it resends the same id: the receiver processes it once", async () => {
    const { receiver, config, log, open } = await setup(() => "ok");
    const store = await open();
    cleanup.push(() => store.close());
    const incident: Incident = correlateFinding({}, finding("k", "high", new Date(), 1), { now: new Date(), autoPause: config.autoPause }).incident!;
    const n: NotificationItem = buildNotification(incident, 0, "opened", { level: "oncall", contact: { name: "Ona", channel: "webhook:oncall" } }, new Date());
    await store.update((draft) => {
      draft.incidents[incident.id] = incident;
      draft.outbox.push(n);
    });
    const deps = { resolveChannel: channelResolver(config.secrets.webhooks), log, timeoutMs: 300, policy: FAST };
    await expect(
      deliverDue(store.read().outbox, new Date(), {
        ...deps,
        persist: async () => {
          throw new Error("killed before the write");
        },
      }),
    ).rejects.toThrow("killed before the write");
    expect(store.read().outbox[0]!.status).toBe("pending");
    await deliverDue(store.read().outbox, new Date(), { ...deps, persist: outboxPersister(store) });
    expect(store.read().outbox[0]!.status).toBe("done");
    expect(receiver.requests.map((r) => r.id)).toEqual([n.id, n.id]);
    expect(receiver.accepted.get(n.id)).toBe(2);
    expect(receiver.processed.size).toBe(1);
  });

  it("a receiver echoing the webhook's secret in any form (URL, path, token alone, JSON-escaped, URL-encoded, base64) leaves no trace in the outbox or the log", async () => {
    const url = (receiver: Receiver) => receiver.url(`/generic/${SECRETS.opsPath}`);
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    const forms = (receiver: Receiver): Record<string, string> => ({
      url: url(receiver),
      path: `/generic/${SECRETS.opsPath}`,
      token: SECRETS.opsPath,
      jsonEscapedUrl: JSON.stringify({ url: url(receiver) }).replace(/\//g, "\\/"),
      urlEncodedUrl: encodeURIComponent(url(receiver)),
      urlEncodedLowercase: encodeURIComponent(url(receiver)).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
      urlEncodedToken: `token=${encodeURIComponent(SECRETS.opsPath)}`,
      base64Url: b64(url(receiver)),
      base64Token: b64(SECRETS.opsPath),
      signingKey: `bad signature for key ${SECRETS.hmac}`,
      signingKeyBase64: b64(SECRETS.hmac),
    });
    let echoes: string[] = [];
    const { receiver, config, log, logFile, open } = await setup((p, nth) =>
      p.startsWith("/generic") && nth < echoes.length ? { status: 500, body: `upstream said: ${echoes[nth]}` } : "ok",
    );
    echoes = Object.values(forms(receiver));
    const store = await open();
    cleanup.push(() => store.close());
    const notifier = notifierFor(store, config, log);
    const opened = correlateFinding({}, finding("echo", "high", new Date(), 1), { now: new Date(), autoPause: config.autoPause });
    await store.update((draft) => {
      draft.incidents[opened.incident!.id] = opened.incident!;
      notifier.enqueueActions(draft, opened.actions, new Date());
    });

    // One attempt per tick: each answer echoes the secret in the next form.
    const errors: string[] = [];
    const storeTexts: string[] = [];
    for (let i = 0; i < echoes.length + 1 && pending(store.read().outbox).length > 0; i++) {
      await notifier.tick(new Date(Date.now() + 3_600_000)); // everything is due
      errors.push(...store.read().outbox.map((item) => item.lastError ?? "").filter(Boolean));
      storeTexts.push(readFileSync(store.file, "utf8"));
    }
    expect(receiver.requests.filter((r) => r.path.startsWith("/generic")).map((r) => r.answer)).toEqual([...echoes.map(() => 500), 200]);
    expect(errors.length).toBeGreaterThanOrEqual(echoes.length);
    for (const error of errors) expect(error).toMatch(/^HTTP 500: upstream said: .*\[redacted\]/);
    const texts = { ...Object.fromEntries(storeTexts.map((t, i) => [`store after tick ${i + 1}`, t])), logs: readFileSync(logFile, "utf8") };
    expect(texts.logs).toContain("upstream said: [redacted]");
    for (const [name, text] of Object.entries(texts))
      for (const [form, echoed] of Object.entries(forms(receiver))) expect(text.includes(echoed), `${name} holds the ${form} form`).toBe(false);
  });
});

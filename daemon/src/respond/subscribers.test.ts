import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../config/index.js";
import type { SubscriberEvent } from "../publish/events.js";
import type { OutboxItem } from "../store/schema.js";
import { deliverSubscriberEvents, enqueueSubscriberEvents, pruneSubscriberEvents, SUBSCRIBER_EVENT_KIND } from "./subscribers.js";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const page = { id: "guardian-138", name: "Status", url: null };
const event = (id: string, components: SubscriberEvent["components"]): SubscriberEvent => ({ id, type: "component.status_changed", occurredAt: NOW.toISOString(), page, components, component: { id: components[0]!, name: "X", oldStatus: "operational", newStatus: "major_outage" } });

// A real receiver on loopback: each path answers with its own status codes in turn.
const answers: Record<string, number[]> = { "/flaky": [503, 204], "/gone": [410], "/ok": [204, 204, 204] };
const hits: string[] = [];
let base = "";
const server = createServer((req, res) => {
  hits.push(req.url!);
  res.writeHead(answers[req.url!]!.shift() ?? 500).end();
});
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("subscriber events through the outbox", () => {
  it("enqueues per subscriber and component once; delivers; retries 5xx with backoff; a 4xx is permanent", async () => {
    const outbox: OutboxItem[] = [];
    const events = [event("e1", ["delegation"]), event("e2", ["rpc"])];
    const subscribers = [{ channel: "webhook:flaky" }, { channel: "webhook:gone", components: ["delegation"] }, { channel: "webhook:ok", components: ["rpc"] }];
    expect(enqueueSubscriberEvents(outbox, events, subscribers, NOW)).toHaveLength(4);
    expect(enqueueSubscriberEvents(outbox, events, subscribers, NOW)).toHaveLength(0); // the same change again: nothing new
    expect(outbox.every((o) => o.kind === SUBSCRIBER_EVENT_KIND && o.status === "pending")).toBe(true);

    const store = new Map(outbox.map((o) => [o.id, o]));
    let now = NOW;
    const deps = {
      webhooks: { flaky: new Secret(`${base}/flaky`, "GUARDIAN_WEBHOOK_FLAKY"), gone: new Secret(`${base}/gone`, "GUARDIAN_WEBHOOK_GONE"), ok: new Secret(`${base}/ok`, "GUARDIAN_WEBHOOK_OK") },
      persist: async (item: OutboxItem) => void store.set(item.id, item),
      clock: () => now,
    };
    await deliverSubscriberEvents([...store.values()], deps);
    const byChannel = (c: string) => [...store.values()].filter((o) => o.payload.channel === c);
    expect(byChannel("webhook:ok").map((o) => o.status)).toEqual(["done"]);
    expect(byChannel("webhook:gone").map((o) => [o.status, o.lastError])).toEqual([["failed", "HTTP 410 (permanent)"]]);
    // flaky: the first event got a 503 and is rescheduled; its second waits behind it.
    expect(byChannel("webhook:flaky").map((o) => [o.status, o.attempts])).toEqual([["pending", 1], ["pending", 0]]);
    const retryAt = Date.parse(byChannel("webhook:flaky")[0]!.nextAttemptAt!);
    expect(retryAt).toBeGreaterThan(NOW.getTime());
    await deliverSubscriberEvents([...store.values()], deps); // not due yet: no request
    expect(hits.filter((h) => h === "/flaky")).toHaveLength(1);
    now = new Date(retryAt);
    await deliverSubscriberEvents([...store.values()], deps);
    expect(byChannel("webhook:flaky").map((o) => o.status)).toEqual(["done", "pending"]);
    // Delivered ones are dropped after a week; failed and pending ones stay.
    const week = new Date(NOW.getTime() + 8 * 86_400_000);
    expect(pruneSubscriberEvents([...store.values()], week).map((o) => [o.payload.channel, o.status])).toEqual([["webhook:flaky", "pending"], ["webhook:gone", "failed"]].sort());
  });
});

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../config/index.js";
import type { SubscriberEvent } from "../publish/events.js";
import type { OutboxItem } from "../store/schema.js";
import { deliverSubscriberEvents, enqueueSubscriberEvents, pruneSubscriberEvents, SUBSCRIBER_EVENT_KIND, type HostLookup } from "./subscribers.js";

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
    // The receiver is on loopback: these subscribers say so.
    const subscribers = [{ channel: "webhook:flaky", allowPrivateAddress: true }, { channel: "webhook:gone", components: ["delegation"], allowPrivateAddress: true }, { channel: "webhook:ok", components: ["rpc"], allowPrivateAddress: true }];
    expect(enqueueSubscriberEvents(outbox, events, subscribers, NOW)).toHaveLength(4);
    expect(enqueueSubscriberEvents(outbox, events, subscribers, NOW)).toHaveLength(0); // the same change again: nothing new
    expect(outbox.every((o) => o.kind === SUBSCRIBER_EVENT_KIND && o.status === "pending")).toBe(true);

    const store = new Map(outbox.map((o) => [o.id, o]));
    let now = NOW;
    const deps = {
      webhooks: { flaky: new Secret(`${base}/flaky`, "GUARDIAN_WEBHOOK_FLAKY"), gone: new Secret(`${base}/gone`, "GUARDIAN_WEBHOOK_GONE"), ok: new Secret(`${base}/ok`, "GUARDIAN_WEBHOOK_OK") },
      persist: async (item: OutboxItem) => void store.set(item.id, item),
      clock: () => now,
      subscribers,
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

describe("subscriber webhooks never reach a private address by a host name", () => {
  const port = () => base.split(":").at(-1)!;
  const deliverOne = async (url: string, options: { allowPrivateAddress?: boolean; lookup?: HostLookup } = {}) => {
    const outbox: OutboxItem[] = [];
    const sub = { channel: "webhook:dns", ...(options.allowPrivateAddress ? { allowPrivateAddress: true } : {}) };
    enqueueSubscriberEvents(outbox, [event(`dns-${url}-${hits.length}`, ["rpc"])], [sub], NOW);
    let result: OutboxItem | undefined;
    await deliverSubscriberEvents(outbox, {
      webhooks: { dns: new Secret(url, "GUARDIAN_WEBHOOK_DNS") },
      subscribers: [sub],
      persist: async (item) => void (result = item),
      clock: () => NOW,
      ...(options.lookup ? { lookup: options.lookup } : {}),
    });
    return result!;
  };
  answers["/dns"] = [204, 204, 204, 204, 204];

  it("refuses a name that resolves to loopback now (a public name at load, 127.0.0.1 at delivery: DNS rebinding), before any request", async () => {
    const asked: string[] = [];
    const rebinding: HostLookup = async (host) => (asked.push(host), [{ address: "127.0.0.1", family: 4 }]);
    const before = hits.length;
    const out = await deliverOne(`http://status-hooks.example:${port()}/dns`, { lookup: rebinding });
    expect(asked).toEqual(["status-hooks.example"]);
    expect([out.status, out.lastError]).toEqual(["failed", "the webhook's host resolves to a loopback or private address (127.0.0.1); set allowPrivateAddress if this is meant (permanent)"]);
    expect(hits.length).toBe(before);
  });

  it("refuses a name with any private address among public ones", async () => {
    const mixed: HostLookup = async () => [{ address: "93.184.215.14", family: 4 }, { address: "fd00::1", family: 6 }];
    const out = await deliverOne(`http://mixed.example:${port()}/dns`, { lookup: mixed });
    expect([out.status, out.lastError?.split(";")[0]]).toEqual(["failed", "the webhook's host resolves to a loopback or private address (fd00::1)"]);
  });

  it("refuses `localhost` resolved by the system, and literal private IPs", async () => {
    const before = hits.length;
    for (const host of ["localhost", "127.0.0.1", "[::1]"]) {
      const out = await deliverOne(`http://${host}:${port()}/dns`);
      expect([host, out.status, out.lastError?.split(" (")[0]]).toEqual([host, "failed", "the webhook's host resolves to a loopback or private address"]);
    }
    expect(hits.length).toBe(before);
  });

  it("with allowPrivateAddress the event is delivered, to the very address the lookup returned", async () => {
    const before = hits.filter((h) => h === "/dns").length;
    const out = await deliverOne(`http://lab-receiver.example:${port()}/dns`, { allowPrivateAddress: true, lookup: async () => [{ address: "127.0.0.1", family: 4 }] });
    expect(out.status).toBe("done");
    expect(hits.filter((h) => h === "/dns").length).toBe(before + 1);
    expect((await deliverOne(`http://localhost:${port()}/dns`, { allowPrivateAddress: true })).status).toBe("done");
  });
});

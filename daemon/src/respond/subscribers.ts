/**
 * Subscribers of the public status: webhooks (config `subscribers`) that
 * receive the Statuspage-style events between two publications
 * (publish/events.ts) through the store's outbox, so the status page stays
 * static and a subscriber's outage delays nobody else.
 *
 * - Enqueued in the same store write as the publication's uptime, one outbox
 *   entry (kind "subscriber-event") per event and subscriber, with an id
 *   derived from both: finding the same change again adds nothing.
 * - Delivered after each publication: a JSON POST, signed like the generic
 *   responder webhook when its URL carries `#secret=` (X-Guardian-Id,
 *   X-Guardian-Event, X-Guardian-Timestamp, X-Guardian-Signature; the id is
 *   the same on every retry, so a receiver deduplicates on it); retried with
 *   the notifier's backoff on network errors, 408, 425, 429 and 5xx; any
 *   other answer is a permanent refusal. Only public fields leave: the event
 *   is built from the published status.
 */
import type { Secret } from "../config/index.js";
import { nameUuid } from "../incidents/ids.js";
import { eventsForSubscriber, type SubscriberEvent } from "../publish/events.js";
import type { OutboxItem } from "../store/schema.js";
import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter } from "./notify/backoff.js";
import { resolveChannel } from "./notify/channels.js";
import { EVENT_HEADER, ID_HEADER, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from "./notify/sign.js";

export const SUBSCRIBER_EVENT_KIND = "subscriber-event";

export interface Subscriber {
  channel: string;
  components?: readonly string[];
}

/** Adds one pending outbox entry per (event, subscriber) not already there. Pure on `outbox` (mutates it, as inside a store update). */
export function enqueueSubscriberEvents(outbox: OutboxItem[], events: readonly SubscriberEvent[], subscribers: readonly Subscriber[], now: Date): OutboxItem[] {
  const added: OutboxItem[] = [];
  const ids = new Set(outbox.map((o) => o.id));
  for (const sub of subscribers) {
    for (const event of eventsForSubscriber(events, sub.components as never)) {
      const id = nameUuid(`subscriber:${sub.channel}:${event.id}`);
      if (ids.has(id)) continue;
      ids.add(id);
      const item: OutboxItem = { id, kind: SUBSCRIBER_EVENT_KIND, createdAt: now.toISOString(), status: "pending", attempts: 0, payload: { channel: sub.channel, event: JSON.parse(JSON.stringify(event)) } };
      outbox.push(item);
      added.push(item);
    }
  }
  return added;
}

/** Delivered subscriber events are kept this long (for a look in the store), then dropped; failed ones are kept. */
export const SUBSCRIBER_EVENT_RETENTION_MS = 7 * 86_400_000;

/** The outbox without delivered subscriber events older than the retention (everything else as it is). */
export function pruneSubscriberEvents(outbox: readonly OutboxItem[], now: Date, retainMs = SUBSCRIBER_EVENT_RETENTION_MS): OutboxItem[] {
  return outbox.filter((o) => o.kind !== SUBSCRIBER_EVENT_KIND || o.status !== "done" || now.getTime() - Date.parse(o.createdAt) < retainMs);
}

export interface DeliverSubscriberDeps {
  webhooks: Readonly<Record<string, Secret>>;
  persist: (item: OutboxItem) => Promise<void>;
  clock: () => Date;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/** Sends every due subscriber event, oldest first per channel (a channel stops at its first failure); persists each attempt. */
export async function deliverSubscriberEvents(outbox: readonly OutboxItem[], deps: DeliverSubscriberDeps): Promise<void> {
  const pending = outbox
    .filter((o) => o.kind === SUBSCRIBER_EVENT_KIND && o.status === "pending")
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  const stopped = new Set<string>();
  for (const item of pending) {
    const channel = String(item.payload.channel);
    if (stopped.has(channel)) continue;
    // In order per channel: an earlier event waiting for its retry holds the later ones back.
    if (item.nextAttemptAt !== undefined && Date.parse(item.nextAttemptAt) > deps.clock().getTime()) {
      stopped.add(channel);
      continue;
    }
    const next = await attempt(item, deps);
    await deps.persist(next);
    if (next.status !== "done") stopped.add(channel);
  }
}

async function attempt(item: OutboxItem, deps: DeliverSubscriberDeps): Promise<OutboxItem> {
  const channel = String(item.payload.channel);
  const event = item.payload.event as SubscriberEvent;
  const attempts = item.attempts + 1;
  const retry = (why: string, retryAfterMs?: number): OutboxItem => {
    const now = deps.clock();
    const delay = retryAfterMs ?? backoffDelay(attempts, DEFAULT_RETRY_POLICY);
    if (now.getTime() + delay > Date.parse(item.createdAt) + DEFAULT_RETRY_POLICY.horizonMs) return { ...item, attempts, status: "failed", lastError: why };
    return { ...item, attempts, lastError: why, nextAttemptAt: new Date(now.getTime() + delay).toISOString() };
  };
  let channelResolved;
  try {
    channelResolved = resolveChannel(channel, deps.webhooks);
  } catch (error) {
    return retry((error as Error).message);
  }
  if (channelResolved.type === "log") return { ...item, attempts, status: "failed", lastError: `${channel} is not a webhook` };
  const resolved = channelResolved;
  const body = JSON.stringify({ id: event.id, type: event.type, occurred_at: event.occurredAt, page: event.page, ...(event.incident ? { incident: event.incident } : {}), ...(event.component ? { component: event.component } : {}), ...(event.maintenance ? { maintenance: event.maintenance } : {}) });
  const timestamp = Math.floor(deps.clock().getTime() / 1000);
  const headers: Record<string, string> = { "content-type": "application/json", [ID_HEADER]: item.id, [EVENT_HEADER]: event.type, [TIMESTAMP_HEADER]: String(timestamp) };
  if (resolved.signingSecret) headers[SIGNATURE_HEADER] = signBody(resolved.signingSecret.reveal(), timestamp, body);
  try {
    const response = await (deps.fetch ?? fetch)(resolved.url.reveal(), { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000) });
    await response.body?.cancel().catch(() => {});
    if (response.status >= 200 && response.status < 300) return { ...item, attempts, status: "done", payload: { ...item.payload, deliveredAt: deps.clock().toISOString() } };
    if ([408, 425, 429].includes(response.status) || response.status >= 500) {
      const after = parseRetryAfter(response.headers.get("retry-after"), deps.clock());
      return retry(`HTTP ${response.status}`, after === undefined ? undefined : Math.min(after, DEFAULT_RETRY_POLICY.maxRetryAfterMs));
    }
    deps.log?.("subscriber refused an event", { channel, status: response.status, event: event.type });
    return { ...item, attempts, status: "failed", lastError: `HTTP ${response.status} (permanent)` };
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return retry(`network error ${code}`);
  }
}

/**
 * Delivery of the outbox's due notifications.
 *
 *   1. Pick the pending notifications and group them by (channel, incident):
 *      within a group they go out in timeline order, one at a time, and a
 *      group stops at its first entry that is not due or fails (so PagerDuty
 *      never sees an incident's "resolve" before its "trigger"). Groups run
 *      in parallel (`concurrency`), so one hanging endpoint delays nobody else.
 *   2. Resolve the channel NAME to its URL and keys (env, via `resolveChannel`)
 *      and build the channel's body (render.ts); sign generic webhooks (sign.ts).
 *   3. POST it with a timeout; no redirects are followed.
 *   4. Classify: 2xx delivered; network errors, timeouts, 408, 425, 429 and
 *      5xx are retried (Retry-After honoured, else exponential backoff with
 *      jitter, backoff.ts); other answers are permanent refusals (dead now,
 *      as PagerDuty's docs say of a 400). A channel missing from env is
 *      retried: the operator may fix it and restart.
 *   5. Hand each updated entry to `persist` right after its attempt, before
 *      the next one; the updated outbox is also returned.
 *
 * Delivery is at least once: a crash after a receiver accepted a request and
 * before `persist` recorded it, or a timeout after the receiver processed it,
 * sends it again. Every request carries the notification's id
 * (X-Guardian-Id; PagerDuty dedupes on dedup_key = incident id) so a receiver
 * makes that exactly once. Nothing written to `lastError` or the logs holds a
 * URL or key: error texts are built from status codes and error codes, and
 * response snippets are scrubbed of every secret of the channel in any
 * encoding a receiver may echo it in (scrub.ts).
 */
import type { OutboxItem } from "../../store/schema.js";
import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryPolicy } from "./backoff.js";
import { ChannelConfigError, type ChannelResolver, type ResolvedChannel } from "./channels.js";
import { discordBody, genericBody, pagerDutyBody, renderText, slackBody } from "./render.js";
import { untrustedText } from "../../decode/untrusted-text.js";
import { secretScrubber } from "./scrub.js";
import { EVENT_HEADER, ID_HEADER, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from "./sign.js";
import { asNotification, type NotificationItem, type NotifyLogger } from "./types.js";

export interface DeliverDeps {
  /** Channel name → URL and keys (`channelResolver(config.secrets.webhooks)`). */
  resolveChannel: ChannelResolver;
  /**
   * Called with each entry right after its attempt (delivered, rescheduled or
   * dead), before the next attempt of its group: store it durably, e.g.
   * `outboxPersister(store)`. A throw stops that group and is rethrown once
   * every group has finished.
   */
  persist?: (item: OutboxItem) => Promise<void>;
  /** The time after an attempt (schedules the next one). Default `new Date()`. */
  clock?: () => Date;
  fetch?: typeof globalThis.fetch;
  /** Per request, body included. Default 10 s. */
  timeoutMs?: number;
  policy?: Partial<RetryPolicy>;
  random?: () => number;
  log?: NotifyLogger;
  /** Groups sent in parallel. Default 4. */
  concurrency?: number;
  /**
   * Replicas: deliver only while this replica leads, and claim each entry
   * durably before sending it (its next attempt moved `claimMs` ahead, under
   * the leader's term), so a replica that takes over does not send it again
   * while the old leader may still be sending. `mayAct` is asked right
   * before each send: a leader that froze and woke up after losing the
   * lease sends nothing.
   */
  lease?: { mayAct: () => boolean; claimMs: number };
}

export interface AttemptReport {
  id: string;
  incidentId: string;
  channel: string;
  event: string;
  outcome: "delivered" | "retry" | "dead";
  attempts: number;
  httpStatus?: number;
  error?: string;
  nextAttemptAt?: string;
}

export interface DeliverResult {
  /** The outbox with every attempted entry replaced by its updated version (same order). */
  outbox: OutboxItem[];
  reports: AttemptReport[];
}

export const DEFAULT_TIMEOUT_MS = 10_000;
const SNIPPET_CHARS = 200;

/** Whether a notification is due at `now` (pending, and its next attempt time has come). */
export function isDue(item: Readonly<OutboxItem>, now: Date): boolean {
  return item.status === "pending" && (item.nextAttemptAt === undefined || Date.parse(item.nextAttemptAt) <= now.getTime());
}

/**
 * Sends the due notifications of `outbox` (see the module comment). Never
 * throws for a failed delivery: failures are recorded in the entries.
 *
 * @throws the first error of `persist`, after every group has finished
 *
 * @example
 * const { reports } = await deliverDue(store.read().outbox, new Date(), {
 *   resolveChannel: channelResolver(config.secrets.webhooks),
 *   persist: outboxPersister(store),
 * });
 */
export async function deliverDue(outbox: readonly OutboxItem[], now: Date, deps: DeliverDeps): Promise<DeliverResult> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...deps.policy };
  const clock = deps.clock ?? (() => new Date());

  // 1. Pending notifications by (channel, incident), in timeline order.
  const groups = new Map<string, NotificationItem[]>();
  for (const item of outbox) {
    if (item.status !== "pending") continue;
    const n = asNotification(item);
    if (n === undefined) continue;
    const key = `${n.payload.channel}\u0000${n.incidentId}`;
    const group = groups.get(key) ?? [];
    group.push(n);
    groups.set(key, group);
  }
  for (const group of groups.values()) group.sort((a, b) => a.payload.entryIndex - b.payload.entryIndex || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));

  const updated = new Map<string, OutboxItem>();
  const reports: AttemptReport[] = [];
  /** Channels that answered 429 in this run: their other groups wait for the next run. */
  const throttled = new Set<string>();
  let persistError: unknown;

  const runGroup = async (group: NotificationItem[]) => {
    for (const item of group) {
      if (!isDue(item, now) || throttled.has(item.payload.channel)) return;
      if (deps.lease) {
        if (!deps.lease.mayAct()) return;
        try {
          await deps.persist?.({ ...item, nextAttemptAt: new Date(clock().getTime() + deps.lease.claimMs).toISOString() });
        } catch (error) {
          persistError ??= error; // fenced: another replica leads now
          return;
        }
        if (!deps.lease.mayAct()) return;
      }
      const outcome = await attempt(item, deps);
      const next = settle(item, outcome, clock(), policy, deps.random ?? Math.random);
      updated.set(next.item.id, next.item);
      reports.push(next.report);
      logReport(deps.log, next.report);
      if (outcome.kind === "failed" && outcome.throttled) throttled.add(item.payload.channel);
      if (deps.persist) {
        try {
          await deps.persist(next.item);
        } catch (error) {
          persistError ??= error;
          return;
        }
      }
      if (next.report.outcome === "retry") return;
    }
  };

  // Groups in parallel, at most `concurrency` at a time.
  const queue = [...groups.values()];
  const workers = Array.from({ length: Math.max(1, Math.min(deps.concurrency ?? 4, queue.length)) }, async () => {
    for (let group = queue.shift(); group !== undefined; group = queue.shift()) await runGroup(group);
  });
  await Promise.all(workers);
  if (persistError !== undefined) throw persistError;

  return { outbox: outbox.map((item) => updated.get(item.id) ?? item), reports };
}

type Outcome =
  | { kind: "delivered"; httpStatus?: number }
  | { kind: "failed"; permanent: boolean; error: string; httpStatus?: number; retryAfterMs?: number; throttled?: boolean };

/** 2.–4. One attempt: resolve, build, send, classify. Never throws. */
async function attempt(item: NotificationItem, deps: DeliverDeps): Promise<Outcome> {
  let channel: ResolvedChannel;
  try {
    channel = deps.resolveChannel(item.payload.channel);
  } catch (error) {
    if (error instanceof ChannelConfigError) return { kind: "failed", permanent: false, error: error.message };
    return { kind: "failed", permanent: false, error: `channel ${item.payload.channel}: cannot be resolved (${(error as Error).name})` };
  }
  if (channel.type === "log") {
    const level = item.payload.message.severity === "critical" || item.payload.message.severity === "high" ? "warn" : "info";
    deps.log?.[level]({ notification: item.id, incident: item.incidentId, event: item.payload.event, contact: item.payload.contact }, renderText(item));
    return { kind: "delivered" };
  }

  const scrub = secretScrubber([channel.url.reveal(), channel.signingSecret?.reveal(), channel.routingKey?.reveal()].filter((s): s is string => !!s));

  // 2. The body and headers of the channel.
  let body: string;
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "Guardian", [ID_HEADER]: item.id };
  switch (channel.type) {
    case "generic": {
      body = JSON.stringify(genericBody(item));
      const timestamp = Math.floor(Date.now() / 1000);
      headers[EVENT_HEADER] = `incident.${item.payload.event}`;
      headers[TIMESTAMP_HEADER] = String(timestamp);
      if (channel.signingSecret) headers[SIGNATURE_HEADER] = signBody(channel.signingSecret.reveal(), timestamp, body);
      break;
    }
    case "slack":
      body = JSON.stringify(slackBody(item));
      break;
    case "discord":
      body = JSON.stringify(discordBody(item));
      break;
    case "pagerduty":
      body = JSON.stringify(pagerDutyBody(item, channel.routingKey!.reveal()));
      break;
  }

  // 3. Send, with a timeout that covers the body too.
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await (deps.fetch ?? globalThis.fetch)(channel.url.reveal(), {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: controller.signal,
    });
    const text = await response.text().catch(() => "");
    // 4. Classify.
    const status = response.status;
    if (status >= 200 && status < 300) return { kind: "delivered", httpStatus: status };
    const snippet = scrub(scrub(text).replace(/\s+/g, " ").trim()).slice(0, SNIPPET_CHARS);
    const error = `HTTP ${status}${snippet ? `: ${untrustedText(snippet)}` : ""}`; // the receiver's text: kept in the outbox and logs, shown by the CLI
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), new Date());
    if (status === 429) return { kind: "failed", permanent: false, error, httpStatus: status, throttled: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    if (status >= 500 || status === 408 || status === 425)
      return { kind: "failed", permanent: false, error, httpStatus: status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    if (status >= 300 && status < 400) return { kind: "failed", permanent: true, error: `HTTP ${status}: redirects are not followed (check the webhook URL)`, httpStatus: status };
    return { kind: "failed", permanent: true, error, httpStatus: status };
  } catch (error) {
    if (controller.signal.aborted) return { kind: "failed", permanent: false, error: `timeout after ${timeoutMs} ms` };
    return { kind: "failed", permanent: false, error: `request failed (${networkCode(error)})` };
  } finally {
    clearTimeout(timer);
  }
}

/** An error's code (ECONNREFUSED, UND_ERR_SOCKET, ...) or name: never its message (it may hold the URL). */
function networkCode(error: unknown): string {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z0-9_]{2,40}$/.test(code)) return code;
  }
  return error instanceof Error ? error.name : "unknown error";
}

/** The entry after an attempt, and a report of it. */
function settle(item: NotificationItem, outcome: Outcome, at: Date, policy: RetryPolicy, random: () => number): { item: OutboxItem; report: AttemptReport } {
  const attempts = item.attempts + 1;
  const { nextAttemptAt: _n, lastError: _e, ...rest } = item;
  const base = { id: item.id, incidentId: item.incidentId, channel: item.payload.channel, event: item.payload.event, attempts };
  if (outcome.kind === "delivered") {
    const payload = { ...item.payload, deliveredAt: at.toISOString(), ...(outcome.httpStatus !== undefined ? { httpStatus: outcome.httpStatus } : {}) };
    return {
      item: { ...rest, status: "done", attempts, payload },
      report: { ...base, outcome: "delivered", ...(outcome.httpStatus !== undefined ? { httpStatus: outcome.httpStatus } : {}) },
    };
  }
  const status = outcome.httpStatus !== undefined ? { httpStatus: outcome.httpStatus } : {};
  if (outcome.permanent) {
    const lastError = `${outcome.error} (permanent: not retried)`;
    return { item: { ...rest, status: "failed", attempts, lastError }, report: { ...base, outcome: "dead", error: lastError, ...status } };
  }
  const delay =
    outcome.retryAfterMs !== undefined ? Math.max(1_000, Math.min(outcome.retryAfterMs, policy.maxRetryAfterMs)) : backoffDelay(attempts, policy, random);
  const next = at.getTime() + delay;
  if (next > Date.parse(item.createdAt) + policy.horizonMs) {
    const hours = Math.round((at.getTime() - Date.parse(item.createdAt)) / 360_000) / 10;
    const lastError = `${outcome.error} (gave up after ${attempts} attempts over ${hours} h)`;
    return { item: { ...rest, status: "failed", attempts, lastError }, report: { ...base, outcome: "dead", error: lastError, ...status } };
  }
  const nextAttemptAt = new Date(next).toISOString();
  return {
    item: { ...rest, status: "pending", attempts, nextAttemptAt, lastError: outcome.error },
    report: { ...base, outcome: "retry", error: outcome.error, nextAttemptAt, ...status },
  };
}

function logReport(log: NotifyLogger | undefined, r: AttemptReport): void {
  if (!log) return;
  const fields = { notification: r.id, incident: r.incidentId, channel: r.channel, event: r.event, attempts: r.attempts, ...(r.httpStatus !== undefined ? { httpStatus: r.httpStatus } : {}) };
  if (r.outcome === "delivered") log.info(fields, "notification delivered");
  else if (r.outcome === "retry") log.warn({ ...fields, error: r.error, nextAttemptAt: r.nextAttemptAt }, "notification not delivered; will retry");
  else log.error({ ...fields, error: r.error }, "notification dead: given up (kept in the outbox)");
}

/**
 * Maintenance notices to responders: each step of a scheduled maintenance
 * (`guardian maintenance schedule|start|verify|complete`) tells the on-call
 * contact, so whoever holds the pager knows that a layer shown "under
 * maintenance" is planned work, and when it ends. Internal: this is not the
 * public subscribers' feed (respond/subscribers.ts), and it names who did it.
 *
 * - Who: the plan's On-Call primary (`roles.onCall.primary`) when configured,
 *   else the SLA escalation's on-call (`escalation.oncall`).
 * - Planning (pure, `maintenanceNotices`): one outbox entry (kind
 *   "maintenance-notice") per maintenance update and channel, with an id
 *   derived from both, for updates written in the last
 *   MAINTENANCE_NOTICE_LOOKBACK_MS (a new daemon, or a new contact, is not
 *   told the history of old maintenances). Delivered notices are pruned after
 *   OUTBOX_RETENTION_MS, longer than the lookback, so none is planned twice.
 * - Delivery (`deliverMaintenanceNotices`): oldest first per channel, a
 *   channel stopping at its first failure; "log" is a log line; a generic
 *   webhook gets Guardian's JSON (`type` "maintenance.<status>", signed like
 *   incident notifications), Slack `{text}`, Discord `{content}` with no
 *   mentions parsed, PagerDuty a Change Event (`/v2/change/enqueue` on the
 *   channel's host: a record on the service's timeline that pages nobody).
 *   Retried with the notifier's backoff on network errors, 408, 425, 429 and
 *   5xx; any other answer is permanent.
 */
import { nameUuid } from "../../incidents/ids.js";
import type { Maintenance, MaintenanceState } from "../../maintenance/model.js";
import type { OutboxItem } from "../../store/schema.js";
import type { Secret } from "../../config/index.js";
import { defangUrls, untrustedText } from "../../decode/untrusted-text.js";
import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter } from "./backoff.js";
import { resolveChannel, type ResolvedChannel } from "./channels.js";
import { OUTBOX_RETENTION_MS, TIMELINE_LOOKBACK_MS } from "./plan.js";
import { slackEscape, truncate } from "./render.js";
import { EVENT_HEADER, ID_HEADER, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from "./sign.js";
import type { NotifyLogger } from "./types.js";

export const MAINTENANCE_NOTICE_KIND = "maintenance-notice";
/** Updates older than this are not announced (a first start, a new contact). */
export const MAINTENANCE_NOTICE_LOOKBACK_MS = TIMELINE_LOOKBACK_MS;

/** What a notice carries: the maintenance as it was at the update, and the update. */
export interface MaintenanceNoticePayload {
  channel: string;
  contact: { name: string };
  maintenance: { id: string; title: string; components: string[]; scheduledFor: string; scheduledUntil: string; status: MaintenanceState };
  update: { id: string; at: string; status: MaintenanceState; message: string; by: string };
  deliveredAt?: string;
}

const VERB: Readonly<Record<MaintenanceState, string>> = {
  scheduled: "scheduled",
  in_progress: "started",
  verifying: "verifying",
  completed: "completed",
};

/**
 * The notices of every maintenance update written since `now - lookbackMs`,
 * one per update for `contact` (pure; merge them into the outbox by id).
 */
export function maintenanceNotices(
  maintenances: readonly Maintenance[],
  contact: { name: string; channel: string },
  now: Date,
  lookbackMs = MAINTENANCE_NOTICE_LOOKBACK_MS,
): OutboxItem[] {
  const since = now.getTime() - lookbackMs;
  const out: OutboxItem[] = [];
  for (const m of maintenances) {
    for (const update of m.updates) {
      if (Date.parse(update.at) < since) continue;
      const payload: MaintenanceNoticePayload = {
        channel: contact.channel,
        contact: { name: contact.name },
        maintenance: { id: m.id, title: m.title, components: [...m.components], scheduledFor: m.scheduledFor, scheduledUntil: m.scheduledUntil, status: update.status },
        update: { id: update.id, at: update.at, status: update.status, message: update.message, by: update.by },
      };
      out.push({
        id: nameUuid(`maintenance-notice:${update.id}:${contact.channel}`),
        kind: MAINTENANCE_NOTICE_KIND,
        createdAt: now.toISOString(),
        status: "pending",
        attempts: 0,
        payload: payload as unknown as Record<string, unknown>,
      });
    }
  }
  // Oldest update first, so a channel hears "scheduled" before "started".
  return out.sort((a, b) => noticeOf(a).update.at.localeCompare(noticeOf(b).update.at));
}

/** The outbox without delivered notices older than the retention (everything else as it is). */
export function pruneMaintenanceNotices(outbox: readonly OutboxItem[], now: Date, retainMs = OUTBOX_RETENTION_MS): OutboxItem[] {
  return outbox.filter((o) => o.kind !== MAINTENANCE_NOTICE_KIND || o.status !== "done" || now.getTime() - Date.parse(o.createdAt) < retainMs);
}

const noticeOf = (item: Pick<OutboxItem, "payload">) => item.payload as unknown as MaintenanceNoticePayload;
const clean = (text: string) => untrustedText(text, 500);
const utc = (iso: string) => iso.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, " UTC");

/** One line: what happened to which maintenance, its window and components. */
export function maintenanceHeadline(p: MaintenanceNoticePayload): string {
  const m = p.maintenance;
  return `[MAINTENANCE] ${VERB[p.update.status]}: ${clean(m.title)} (${m.components.join(", ")}; ${utc(m.scheduledFor)} to ${utc(m.scheduledUntil)})`;
}

/** The text of the log line and the chat channels. */
export function maintenanceText(p: MaintenanceNoticePayload): string {
  return `${maintenanceHeadline(p)}\n${clean(p.update.message)}\nBy ${clean(p.update.by)} at ${utc(p.update.at)} · maintenance ${p.maintenance.id}`;
}

/** The request body each channel type gets (pure); PagerDuty's URL moves to its Change Events endpoint. */
export function maintenanceRequest(item: Pick<OutboxItem, "id" | "payload">, channel: Exclude<ResolvedChannel, { type: "log" }>): { url: string; body: Record<string, unknown> } {
  const p = noticeOf(item);
  const url = channel.url.reveal();
  switch (channel.type) {
    case "generic":
      return {
        url,
        body: {
          id: item.id,
          type: `maintenance.${VERB[p.update.status]}`,
          occurredAt: p.update.at,
          headline: maintenanceHeadline(p),
          contact: p.contact,
          maintenance: { ...p.maintenance, title: clean(p.maintenance.title) },
          update: { ...p.update, message: clean(p.update.message), by: clean(p.update.by) },
        },
      };
    case "slack":
      return { url, body: { text: truncate(slackEscape(maintenanceText(p)), 3000) } };
    case "discord":
      return { url, body: { content: truncate(defangUrls(maintenanceText(p)).replace(/([\\*_~`|>#@[\]()-])/g, "\\$1"), 2000), allowed_mentions: { parse: [] } } };
    case "pagerduty": {
      const change = new URL(url);
      change.pathname = "/v2/change/enqueue";
      return {
        url: change.href,
        body: {
          routing_key: channel.routingKey!.reveal(),
          payload: { summary: truncate(maintenanceHeadline(p), 1024), timestamp: p.update.at, source: "guardian", custom_details: { maintenance: p.maintenance.id, message: clean(p.update.message), by: clean(p.update.by) } },
        },
      };
    }
  }
}

export interface DeliverNoticeDeps {
  webhooks: Readonly<Record<string, Secret>>;
  persist: (item: OutboxItem) => Promise<void>;
  clock: () => Date;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  log?: NotifyLogger;
  /** Replicas: send only while leading. */
  mayAct?: () => boolean;
}

/** Sends the due notices, oldest first per channel (a channel stops at its first failure); persists each attempt. */
export async function deliverMaintenanceNotices(outbox: readonly OutboxItem[], deps: DeliverNoticeDeps): Promise<void> {
  const pending = outbox.filter((o) => o.kind === MAINTENANCE_NOTICE_KIND && o.status === "pending").sort((a, b) => noticeOf(a).update.at.localeCompare(noticeOf(b).update.at) || a.id.localeCompare(b.id));
  const stopped = new Set<string>();
  for (const item of pending) {
    const channel = noticeOf(item).channel;
    if (stopped.has(channel)) continue;
    if (item.nextAttemptAt !== undefined && Date.parse(item.nextAttemptAt) > deps.clock().getTime()) {
      stopped.add(channel);
      continue;
    }
    if (deps.mayAct && !deps.mayAct()) return;
    const next = await attempt(item, deps);
    await deps.persist(next);
    if (next.status !== "done") stopped.add(channel);
  }
}

async function attempt(item: OutboxItem, deps: DeliverNoticeDeps): Promise<OutboxItem> {
  const p = noticeOf(item);
  const attempts = item.attempts + 1;
  const { nextAttemptAt: _n, lastError: _e, ...rest } = item;
  const done = (): OutboxItem => ({ ...rest, attempts, status: "done", payload: { ...item.payload, deliveredAt: deps.clock().toISOString() } });
  const retry = (why: string, retryAfterMs?: number): OutboxItem => {
    const now = deps.clock().getTime();
    const delay = retryAfterMs ?? backoffDelay(attempts, DEFAULT_RETRY_POLICY);
    if (now + delay > Date.parse(item.createdAt) + DEFAULT_RETRY_POLICY.horizonMs) return { ...rest, attempts, status: "failed", lastError: `${why} (gave up)` };
    return { ...rest, attempts, lastError: why, nextAttemptAt: new Date(now + delay).toISOString() };
  };
  let channel: ResolvedChannel;
  try {
    channel = resolveChannel(p.channel, deps.webhooks);
  } catch (error) {
    return retry((error as Error).message);
  }
  if (channel.type === "log") {
    deps.log?.info({ notice: item.id, maintenance: p.maintenance.id, status: p.update.status, contact: p.contact }, maintenanceText(p));
    return done();
  }
  const request = maintenanceRequest(item, channel);
  const body = JSON.stringify(request.body);
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "Guardian", [ID_HEADER]: item.id };
  if (channel.type === "generic") {
    const timestamp = Math.floor(Date.now() / 1000);
    headers[EVENT_HEADER] = String(request.body.type);
    headers[TIMESTAMP_HEADER] = String(timestamp);
    if (channel.signingSecret) headers[SIGNATURE_HEADER] = signBody(channel.signingSecret.reveal(), timestamp, body);
  }
  try {
    const response = await (deps.fetch ?? fetch)(request.url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000) });
    await response.body?.cancel().catch(() => {});
    if (response.status >= 200 && response.status < 300) return done();
    if ([408, 425, 429].includes(response.status) || response.status >= 500) {
      const after = parseRetryAfter(response.headers.get("retry-after"), deps.clock());
      return retry(`HTTP ${response.status}`, after === undefined ? undefined : Math.max(1_000, Math.min(after, DEFAULT_RETRY_POLICY.maxRetryAfterMs)));
    }
    deps.log?.warn({ notice: item.id, channel: p.channel, httpStatus: response.status }, "maintenance notice refused (permanent)");
    return { ...rest, attempts, status: "failed", lastError: `HTTP ${response.status} (permanent: not retried)` };
  } catch (error) {
    // Never the error's message: it may hold the URL.
    const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return retry(`request failed (${code})`);
  }
}

/**
 * Notifications as the store's outbox keeps them. An outbox entry of kind
 * "notification" holds everything needed to send it later (after a restart,
 * on another host): who it is for, which channel NAME, and a snapshot of the
 * incident at the time of the event. It never holds a URL, a signing secret
 * or a routing key: those are resolved from the environment at send time
 * (channels.ts), so the store file can be read, copied and attached to a
 * bug report without leaking them.
 *
 * Status vocabulary (the store's generic outbox statuses):
 *   pending  waiting for its first or next attempt (`nextAttemptAt`)
 *   done     delivered (`payload.deliveredAt`) or cancelled (`payload.cancelled`)
 *   failed   dead: given up (a permanent refusal, or still failing after the
 *            retry horizon); kept in the outbox, visible, never deleted by Guardian
 */
import * as z from "zod";
import { ROLE_SLOTS } from "../../incidents/plan-escalation.js";
import type { OutboxItem } from "../../store/schema.js";
import { ESCALATION_LEVELS, INCIDENT_STATES, LAYERS, PUBLIC_STATUSES, SEVERITIES } from "../../types.js";

/** The outbox `kind` of a notification. */
export const NOTIFICATION_KIND = "notification";

/**
 * What a notification reports, each derived from one timeline entry:
 * opened ("opened"), escalated ("escalated"), severity-raised ("severity"),
 * acknowledged ("acknowledged"), and the state entries recurred (recovered →
 * responding), responding, contained and resolved (→ recovered). "catch-up"
 * is the one event not derived from an entry: the current state of an open
 * incident, sent once to a channel configured after the incident opened.
 * "role-paged" is a page of the response plan's escalation by role
 * (incidents/plan-escalation.ts), reporting the "escalated" entry that
 * records it.
 */
export const NOTIFICATION_EVENTS = [
  "opened",
  "escalated",
  "severity-raised",
  "recurred",
  "responding",
  "acknowledged",
  "contained",
  "resolved",
  "catch-up",
  "role-paged",
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

const isoTime = z.iso.datetime();

/** The incident as it was when the event happened: what every channel renders. */
export const notificationMessageSchema = z.strictObject({
  incidentId: z.string().min(1),
  title: z.string(),
  severity: z.enum(SEVERITIES),
  state: z.enum(INCIDENT_STATES),
  publicStatus: z.enum(PUBLIC_STATUSES),
  escalationLevel: z.enum(ESCALATION_LEVELS),
  /** "manual" or the detector that opened the incident. */
  source: z.string(),
  affected: z.strictObject({ layers: z.array(z.enum(LAYERS)), contracts: z.array(z.string()) }),
  createdAt: isoTime,
  slaDueAt: isoTime,
  /** The timeline entry's time (UTC) and text. */
  at: isoTime,
  text: z.string(),
  /** Who did it (the entry's `by`), when a person did. */
  by: z.string().optional(),
  /** On-chain evidence of the entry, when it has some. */
  evidence: z.strictObject({ blockNumber: z.number().int().min(0), txHash: z.string().optional() }).optional(),
});
export type NotificationMessage = z.infer<typeof notificationMessageSchema>;

export const notificationPayloadSchema = z.strictObject({
  /** "log" or "webhook:<name>": the channel's name only; its URL and keys come from env at send time. */
  channel: z.string().min(1),
  /** The escalation level paged, or (event "role-paged") the plan's role slot paged. */
  contact: z.strictObject({ level: z.enum(ESCALATION_LEVELS).optional(), role: z.enum(ROLE_SLOTS).optional(), name: z.string() }),
  event: z.enum(NOTIFICATION_EVENTS),
  /** The timeline entry it reports, and that entry's index (orders a channel's notifications of one incident). */
  entryId: z.string().min(1),
  entryIndex: z.number().int().min(0),
  message: notificationMessageSchema,
  /** When a 2xx answer (or the log line) confirmed delivery, and the HTTP status. */
  deliveredAt: isoTime.optional(),
  httpStatus: z.number().int().optional(),
  /** Why it was not sent (e.g. an escalation page made moot by an acknowledgement). */
  cancelled: z.string().optional(),
});
export type NotificationPayload = z.infer<typeof notificationPayloadSchema>;

/** An outbox entry of kind "notification". */
export type NotificationItem = OutboxItem & { kind: typeof NOTIFICATION_KIND; incidentId: string; payload: NotificationPayload };

/** The notification in an outbox entry, or undefined if it is another kind (or malformed: left alone). */
export function asNotification(item: Readonly<OutboxItem>): NotificationItem | undefined {
  if (item.kind !== NOTIFICATION_KIND || item.incidentId === undefined) return undefined;
  const payload = notificationPayloadSchema.safeParse(item.payload);
  return payload.success ? ({ ...item, payload: payload.data } as NotificationItem) : undefined;
}

/** Dead: given up after a permanent refusal or the retry horizon (store status "failed"). */
export function isDead(item: Pick<OutboxItem, "status">): boolean {
  return item.status === "failed";
}

/** pino-compatible: `logger.warn({ ...fields }, "message")`. */
export interface NotifyLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * Channels: from a contact's channel name ("log", "webhook:<name>") to where
 * and how to send, resolved at send time from the secrets config loaded from
 * env (`config.secrets.webhooks[name]`, env GUARDIAN_WEBHOOK_<NAME>).
 *
 * The env value is the webhook URL. Its fragment (never sent over HTTP) may
 * carry the channel's other secrets and its type, as URL-encoded parameters:
 *
 *     GUARDIAN_WEBHOOK_ONCALL=https://hooks.example.com/guardian#secret=<hmac key>
 *     GUARDIAN_WEBHOOK_PAGER=https://events.pagerduty.com/v2/enqueue#routing_key=<integration key>
 *     GUARDIAN_WEBHOOK_TEAM=https://hooks.slack.com/services/<workspace>/<channel>/<token>
 *     GUARDIAN_WEBHOOK_RELAY=https://relay.internal/slack-proxy#type=slack
 *
 * - `type`: generic | slack | discord | pagerduty. Default: from the host
 *   (hooks.slack.com → slack; discord.com/api/webhooks → discord;
 *   events[.eu].pagerduty.com → pagerduty), else generic.
 * - `secret`: the generic webhook's HMAC-SHA256 key (see sign.ts). Without
 *   one the generic webhook is sent unsigned (`checkChannels` warns).
 * - `routing_key`: PagerDuty's integration key (required for pagerduty).
 *
 * One env variable per channel keeps every secret of a channel in one place
 * the config loader already reads and redacts. Values stay wrapped in
 * `Secret` until the request is built; errors name the env variable, never
 * its value.
 */
import { Secret, webhookEnvName, type Contact } from "../../config/index.js";

export const WEBHOOK_TYPES = ["generic", "slack", "discord", "pagerduty"] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

export type ResolvedChannel =
  | { channel: "log"; type: "log" }
  | {
      channel: string;
      type: WebhookType;
      /** The URL to POST to, fragment removed. */
      url: Secret;
      /** The env variable it came from (for messages). */
      env: string;
      /** generic: HMAC key. */
      signingSecret?: Secret;
      /** pagerduty: integration (routing) key. */
      routingKey?: Secret;
    };

/** A channel that cannot be used as configured: retried (the operator may fix env and restart), reported in `lastError`. */
export class ChannelConfigError extends Error {
  override readonly name = "ChannelConfigError";
  readonly channel: string;
  constructor(channel: string, message: string) {
    super(`channel ${channel}: ${message}`);
    this.channel = channel;
  }
}

export type ChannelResolver = (channel: string) => ResolvedChannel;

/**
 * A resolver over `webhooks` (config.secrets.webhooks: by lower-case name).
 *
 * @example
 * const resolve = channelResolver(config.secrets.webhooks);
 * resolve("webhook:oncall").type; // "slack"
 */
export function channelResolver(webhooks: Readonly<Record<string, Secret>>): ChannelResolver {
  return (channel) => resolveChannel(channel, webhooks);
}

/** @throws ChannelConfigError */
export function resolveChannel(channel: string, webhooks: Readonly<Record<string, Secret>>): ResolvedChannel {
  if (channel === "log") return { channel: "log", type: "log" };
  const m = /^webhook:([a-z0-9][a-z0-9-]{0,63})$/.exec(channel);
  if (!m) throw new ChannelConfigError(channel, 'expected "log" or "webhook:<name>"');
  const name = m[1]!;
  const env = webhookEnvName(name);
  const secret = webhooks[name];
  if (secret === undefined) throw new ChannelConfigError(channel, `env ${env} is not set (the webhook's URL)`);
  let url: URL;
  try {
    url = new URL(secret.reveal());
  } catch {
    throw new ChannelConfigError(channel, `env ${env} is not a URL (value not shown)`);
  }
  const params = new URLSearchParams(url.hash.slice(1));
  url.hash = "";
  const declared = params.get("type");
  if (declared !== null && !(WEBHOOK_TYPES as readonly string[]).includes(declared))
    throw new ChannelConfigError(channel, `env ${env}: type=${JSON.stringify(declared)} is not one of ${WEBHOOK_TYPES.join(", ")}`);
  const type = (declared as WebhookType | null) ?? typeFromUrl(url);
  const resolved: ResolvedChannel = { channel, type, url: new Secret(url.href, env), env };
  const signing = params.get("secret");
  if (signing) resolved.signingSecret = new Secret(signing, env);
  const routing = params.get("routing_key");
  if (routing) resolved.routingKey = new Secret(routing, env);
  if (type === "pagerduty" && resolved.routingKey === undefined)
    throw new ChannelConfigError(channel, `env ${env}: a PagerDuty channel needs #routing_key=<integration key> after the URL`);
  return resolved;
}

function typeFromUrl(url: URL): WebhookType {
  const host = url.hostname.toLowerCase();
  if (host === "hooks.slack.com") return "slack";
  if (/^(ptb\.|canary\.)?discord(app)?\.com$/.test(host) && url.pathname.startsWith("/api/webhooks/")) return "discord";
  if (host === "events.pagerduty.com" || host === "events.eu.pagerduty.com") return "pagerduty";
  return "generic";
}

/**
 * Problems with the escalation contacts' channels (and the roles', keyed by
 * slot, e.g. "securityLead.primary"), for the daemon to report
 * at start (before any incident needs them): missing env, unusable values,
 * unsigned generic webhooks (a warning). Never repeats a secret.
 */
export function checkChannels(
  escalation: Readonly<Record<string, Contact>>,
  webhooks: Readonly<Record<string, Secret>>,
): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  for (const [level, contact] of Object.entries(escalation)) {
    if (seen.has(contact.channel)) continue;
    seen.add(contact.channel);
    try {
      const resolved = resolveChannel(contact.channel, webhooks);
      if (resolved.type === "generic" && resolved.signingSecret === undefined)
        warnings.push(`channel ${contact.channel} (${level}): generic webhook without #secret=...: sent unsigned`);
      if (resolved.type !== "log" && new URL(resolved.url.reveal()).protocol === "http:" && !isLoopbackUrl(resolved.url.reveal()))
        warnings.push(`channel ${contact.channel} (${level}): plain http to a non-loopback host: use https`);
    } catch (error) {
      errors.push(`${(error as Error).message} (${level.includes(".") ? "roles" : "escalation"}.${level})`);
    }
  }
  return { errors, warnings };
}

function isLoopbackUrl(href: string): boolean {
  const host = new URL(href).hostname;
  return host === "localhost" || host === "[::1]" || /^127\./.test(host);
}

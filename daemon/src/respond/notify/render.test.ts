import { describe, expect, it } from "vitest";
import { Secret } from "../../config/index.js";
import { acknowledge, openIncident, transition } from "../../incidents/index.js";
import { addr, at, evidence, T0 } from "../../incidents/test-builders.js";
import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter } from "./backoff.js";
import { ChannelConfigError, checkChannels, resolveChannel } from "./channels.js";
import { buildNotification, notificationsFromTimeline, type EscalationContacts } from "./plan.js";
import { discordBody, genericBody, pagerDutyAction, pagerDutyBody, renderText, slackBody } from "./render.js";
import { signBody, verifySignature } from "./sign.js";
import type { NotificationItem } from "./types.js";

const ESCALATION: EscalationContacts = {
  oncall: { name: "Ona", channel: "webhook:oncall" },
  senior: { name: "Sam", channel: "webhook:senior" },
  lead: { name: "Lee", channel: "log" },
};

function notification(title = "Paymaster deposit drained <!channel> @everyone **now**"): NotificationItem {
  const incident = openIncident({
    key: "outflow:paymaster",
    title,
    severity: "critical",
    affected: { layers: ["entryPoint", "delegation"], contracts: [addr(1), addr(2)] },
    source: "abnormal-outflow",
    now: T0,
    evidence: evidence(10, { amount: "1000" }),
  });
  return buildNotification(incident, 0, "opened", { level: "oncall", contact: ESCALATION.oncall }, T0);
}

describe("channel payloads", () => {
  it("generic: Guardian's JSON with the notification id, event type and incident snapshot", () => {
    const n = notification();
    expect(genericBody(n)).toMatchObject({
      id: n.id,
      type: "incident.opened",
      occurredAt: T0.toISOString(),
      contact: { level: "oncall", name: "Ona" },
      incident: { id: n.incidentId, severity: "critical", state: "detected", publicStatus: "investigating", affected: { layers: ["entryPoint", "delegation"] } },
      entry: { id: n.payload.entryId },
    });
  });

  it("Slack: text fallback plus header, section, fields and context blocks, escaped and within Block Kit limits", () => {
    const body = slackBody(notification(`${"x".repeat(200)} <!channel>`));
    expect(Object.keys(body)).toEqual(["text", "blocks"]);
    const [header, section, fields, context] = body.blocks as any[];
    expect(header.type).toBe("header");
    expect(header.text.type).toBe("plain_text");
    expect([...header.text.text].length).toBeLessThanOrEqual(150);
    // The message is plain_text: Slack parses no mention, link or markup in it.
    expect(section).toMatchObject({ type: "section", text: { type: "plain_text", emoji: false } });
    expect(section.text.text).toContain("<!channel>");
    expect(body.text).toContain("&lt;!channel&gt;");
    expect(body.text).not.toContain("<!channel>");
    expect(fields.type).toBe("section");
    expect(fields.fields.length).toBeLessThanOrEqual(10);
    expect(fields.fields[0]).toEqual({ type: "mrkdwn", text: "*Severity*\ncritical" });
    expect(context.type).toBe("context");
    expect(body.text).toContain("[CRITICAL] Incident opened");
  });

  it("Discord: content plus one embed (title, description, colour, timestamp, fields, footer); mentions disabled", () => {
    const body = discordBody(notification()) as any;
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.content.length).toBeLessThanOrEqual(2000);
    expect(body.content).toContain("\\*\\*now\\*\\*");
    const [embed] = body.embeds;
    expect(embed).toMatchObject({ color: 0xd32f2f, timestamp: T0.toISOString(), footer: { text: expect.stringContaining("incident") } });
    expect(embed.title.length).toBeLessThanOrEqual(256);
    expect(embed.fields.length).toBeLessThanOrEqual(25);
    for (const f of embed.fields) expect(f.value.length).toBeLessThanOrEqual(1024);
  });

  it("PagerDuty Events v2: trigger with payload, dedup_key = incident id; acknowledge and resolve without one", () => {
    const n = notification();
    expect(pagerDutyBody(n, "R0UTINGKEY")).toEqual({
      routing_key: "R0UTINGKEY",
      event_action: "trigger",
      dedup_key: n.incidentId,
      client: "Guardian",
      payload: {
        summary: expect.stringContaining("[CRITICAL] Incident opened"),
        source: addr(1),
        severity: "critical",
        timestamp: T0.toISOString(),
        component: "entryPoint,delegation",
        group: "guardian",
        class: "abnormal-outflow",
        custom_details: expect.objectContaining({ incident_id: n.incidentId, event: "opened", evidence_block: 10 }),
      },
    });
    expect(pagerDutyAction("acknowledged")).toBe("acknowledge");
    expect(pagerDutyAction("resolved")).toBe("resolve");
    expect(pagerDutyAction("escalated")).toBe("trigger");
    const resolved = { ...n, payload: { ...n.payload, event: "resolved" as const } };
    expect(pagerDutyBody(resolved, "K")).toEqual({ routing_key: "K", event_action: "resolve", dedup_key: n.incidentId });
    for (const [severity, pd] of [["high", "error"], ["medium", "warning"], ["low", "info"]] as const) {
      const m = { ...n, payload: { ...n.payload, message: { ...n.payload.message, severity } } };
      expect((pagerDutyBody(m, "K") as any).payload.severity).toBe(pd);
    }
  });

  it("every event reads as a sentence in the log channel", () => {
    let incident = openIncident({ key: "k", title: "RPC down", severity: "high", affected: { layers: [], contracts: [] }, source: "rpc-health", now: T0 });
    incident = acknowledge(incident, { now: at(1), by: "ona" });
    incident = transition(incident, "recovered", { now: at(2) });
    const texts = notificationsFromTimeline({ [incident.id]: incident }, { escalation: ESCALATION, now: at(3) }).map((n) => renderText(n).split("\n")[0]);
    expect(texts).toEqual(["[HIGH] Incident opened: RPC down", "[HIGH] Acknowledged by ona: RPC down", "[HIGH] Resolved: RPC down"]);
  });
});

describe("signatures", () => {
  it("verifies its own signature; refuses a changed body, a changed timestamp and a stale one", () => {
    const body = '{"id":"1"}';
    const now = new Date("2025-03-01T12:00:00Z");
    const ts = Math.floor(now.getTime() / 1000);
    const signature = signBody("s3cret", ts, body);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature({ secret: "s3cret", body, timestamp: String(ts), signature, now })).toEqual({ ok: true });
    expect(verifySignature({ secret: "s3cret", body: '{"id":"2"}', timestamp: String(ts), signature, now })).toEqual({ ok: false, reason: "signature mismatch" });
    expect(verifySignature({ secret: "s3cret", body, timestamp: String(ts + 1), signature, now })).toEqual({ ok: false, reason: "signature mismatch" });
    expect(verifySignature({ secret: "other", body, timestamp: String(ts), signature, now }).ok).toBe(false);
    expect(verifySignature({ secret: "s3cret", body, timestamp: String(ts), signature, now: new Date(now.getTime() + 301_000) })).toMatchObject({ ok: false });
    expect(verifySignature({ secret: "s3cret", body, timestamp: undefined, signature, now }).ok).toBe(false);
  });
});

describe("channels", () => {
  const hooks = (entries: Record<string, string>) => Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, new Secret(v, `GUARDIAN_WEBHOOK_${k.toUpperCase()}`)]));

  it("infers the type from the host, takes keys from the fragment, and strips it from the URL", () => {
    const webhooks = hooks({
      team: "https://hooks.slack.com/services/_example_/_/_",
      chat: "https://discord.com/api/webhooks/_example_/_",
      pager: "https://events.pagerduty.com/v2/enqueue#routing_key=R123",
      ops: "https://ops.example/hook#secret=abc%2Bdef",
      relay: "https://relay.example/x#type=slack",
    });
    expect(resolveChannel("webhook:team", webhooks).type).toBe("slack");
    expect(resolveChannel("webhook:chat", webhooks).type).toBe("discord");
    const pager = resolveChannel("webhook:pager", webhooks);
    expect(pager.type === "pagerduty" && [pager.url.reveal(), pager.routingKey?.reveal()]).toEqual(["https://events.pagerduty.com/v2/enqueue", "R123"]);
    const ops = resolveChannel("webhook:ops", webhooks);
    expect(ops.type === "generic" && [ops.url.reveal(), ops.signingSecret?.reveal()]).toEqual(["https://ops.example/hook", "abc+def"]);
    expect(resolveChannel("webhook:relay", webhooks).type).toBe("slack");
    expect(resolveChannel("log", webhooks)).toEqual({ channel: "log", type: "log" });
  });

  it("names the env variable, never the value, when a channel cannot be used", () => {
    const webhooks = hooks({ pager: "https://events.pagerduty.com/v2/enqueue", bad: "https://x.example/#type=sms&secret=TOPSECRET" });
    expect(() => resolveChannel("webhook:missing", webhooks)).toThrow(new ChannelConfigError("webhook:missing", "env GUARDIAN_WEBHOOK_MISSING is not set (the webhook's URL)"));
    expect(() => resolveChannel("webhook:pager", webhooks)).toThrow(/#routing_key=/);
    expect(() => resolveChannel("webhook:bad", webhooks)).toThrow(/type="sms"/);
    const check = checkChannels(
      { oncall: { name: "a", channel: "webhook:missing" }, senior: { name: "b", channel: "webhook:bad" }, lead: { name: "c", channel: "log" } },
      webhooks,
    );
    expect(check.errors).toHaveLength(2);
    expect(JSON.stringify(check)).not.toContain("TOPSECRET");
    expect(checkChannels({ oncall: { name: "a", channel: "webhook:ops" } }, hooks({ ops: "https://ops.example/x" })).warnings).toEqual([
      "channel webhook:ops (oncall): generic webhook without #secret=...: sent unsigned",
    ]);
  });
});

describe("backoff", () => {
  it("doubles from 5 s up to 15 min, less up to half at random; Retry-After in seconds or as a date", () => {
    expect([1, 2, 3, 10, 50].map((n) => backoffDelay(n, DEFAULT_RETRY_POLICY, () => 0))).toEqual([5_000, 10_000, 20_000, 900_000, 900_000]);
    expect(backoffDelay(1, DEFAULT_RETRY_POLICY, () => 1)).toBe(2_500);
    const now = new Date("2025-03-01T12:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7_000);
    expect(parseRetryAfter("Sat, 01 Mar 2025 12:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

/**
 * Notifications of an incident whose timeline quotes attacker-written chain
 * text (a detector's summary with a revert reason, e.g. "Severity raised
 * from high to critical: … reverted \"<reason>\" ×5"): no channel's payload
 * carries a control character, and the chat channels get no live link,
 * mention or markup from it.
 */
import { describe, expect, it } from "vitest";
import { startReceiver } from "../../../../test/daemon/helpers/webhook-receiver.js";
import { Secret } from "../../config/index.js";
import { hasUnsafeCharacters } from "../../decode/untrusted-text.js";
import type { OutboxItem } from "../../store/schema.js";
import { channelResolver } from "./channels.js";
import { deliverDue } from "./deliver.js";
import { openIncident } from "../../incidents/index.js";
import { addr, evidence, T0 } from "../../incidents/test-builders.js";
import { buildNotification } from "./plan.js";
import { discordBody, genericBody, pagerDutyBody, renderText, slackBody } from "./render.js";

const REASON =
  "\u001b]0;pwned\u0007\u001b[2J\r\nAll clear: resolved by the guardian Safe \u202Egnp.exe " +
  "[claim](https://evil.example/claim) <https://evil.example/a|click> <!channel> @everyone *now* `x` www.evil.example";

function notification() {
  const incident = openIncident({
    key: "user-operations:failing",
    title: `User operations failing ${REASON}`,
    severity: "critical",
    affected: { layers: ["entryPoint"], contracts: [addr(1)] },
    source: "user-operations",
    now: T0,
    message: `Severity raised from high to critical: 5 of 5 user operations failed: reverted "${REASON}" ×5.`,
    evidence: evidence(10, { causes: REASON }),
  });
  return buildNotification(incident, 0, "opened", { level: "oncall", contact: { name: `Ona${REASON}`, channel: "webhook:oncall" } }, T0);
}

/** Every string (keys and values) of a JSON value. */
function stringsOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => [k, ...stringsOf(v)]);
  return [];
}

/** What the receiver gets: the body as sent (JSON), parsed back. */
const sent = (body: unknown) => JSON.parse(JSON.stringify(body)) as unknown;

describe("attacker-written text in notifications", () => {
  it("no channel's payload carries a control, bidi or zero-width character", () => {
    const n = notification();
    const bodies = { generic: genericBody(n), slack: slackBody(n), discord: discordBody(n), pagerduty: pagerDutyBody(n, "KEY") };
    for (const [channel, body] of Object.entries(bodies)) {
      // Line breaks are the renderer's own (between fields), never the attacker's.
      const unsafe = stringsOf(sent(body)).filter((s) => hasUnsafeCharacters(s.replaceAll("\n", "")));
      expect(unsafe, channel).toEqual([]);
      expect(JSON.stringify(body), channel).not.toMatch(/All clear: resolved by the guardian Safe\\n|\\r/);
    }
    const text = renderText(n);
    expect(hasUnsafeCharacters(text.replaceAll("\n", ""))).toBe(false);
    expect(text.split("\n").some((line) => line.startsWith("All clear"))).toBe(false);
  });

  it("Slack: no live link or mention; the message is plain_text and mrkdwn parts are escaped", () => {
    const body = slackBody(notification()) as { text: string; blocks: any[] };
    const all = JSON.stringify(body);
    expect(all).not.toMatch(/https?:\/\//);
    expect(all).not.toMatch(/evil\.example/);
    expect(body.blocks[1].text.type).toBe("plain_text");
    for (const s of stringsOf(body.blocks.filter((b) => b.type !== "header" && b.text?.type !== "plain_text")).concat(body.text)) expect(s).not.toMatch(/<[!@#]|<hxxp/);
  });

  it("Discord: markdown escaped (no [text](url), no <url>), URLs defanged, mentions parse nothing", () => {
    const body = discordBody(notification()) as { content: string; allowed_mentions: unknown; embeds: any[] };
    expect(body.allowed_mentions).toEqual({ parse: [] });
    const [embed] = body.embeds;
    for (const s of [body.content, embed.title, embed.description, ...embed.fields.map((f: { value: string }) => f.value)]) {
      expect(s).not.toMatch(/https?:\/\//);
      expect(s).not.toMatch(/evil\.example/);
      expect(s).not.toMatch(/(?<!\\)\[[^\]]*(?<!\\)\]\(/);
      expect(s).not.toMatch(/(?<!\\)<hxxp/);
    }
    expect(embed.description).toContain("\\[claim\\](hxxps://evil[.]example/claim)".replace("[.]", "\\[.\\]"));
  });
});

describe("a webhook receiver's answer is untrusted text too", () => {
  it("an error body full of escape sequences reaches the outbox's lastError and the log cleaned", async () => {
    const receiver = await startReceiver({ secret: "whsec-0123456789abcdef", routingKey: "rk-0123456789abcdef", decide: () => ({ status: 500, body: `oops${REASON}${"z".repeat(500)}` }) });
    try {
      const n = notification();
      const webhooks = { oncall: new Secret(`${receiver.url("/generic/hook")}#secret=whsec-0123456789abcdef`, "GUARDIAN_WEBHOOK_ONCALL") };
      const logged: string[] = [];
      const log = { info: () => {}, warn: (fields: object, msg: string) => void logged.push(JSON.stringify(fields) + msg), error: () => {} };
      const persisted: OutboxItem[] = [];
      const result = await deliverDue([n], T0, { clock: () => T0, resolveChannel: channelResolver(webhooks), persist: async (item) => void persisted.push(item), log });
      expect(result.reports[0]).toMatchObject({ outcome: "retry", httpStatus: 500 });
      const lastError = persisted[0]?.lastError ?? "";
      expect(lastError).toMatch(/^HTTP 500: oops\]0;pwned\[2J All clear/);
      expect(hasUnsafeCharacters(lastError)).toBe(false);
      expect(hasUnsafeCharacters(result.reports[0]?.error ?? "")).toBe(false);
      for (const line of logged) expect(line).not.toMatch(/\\u001b|\\r/);
    } finally {
      await receiver.close();
    }
  });
});

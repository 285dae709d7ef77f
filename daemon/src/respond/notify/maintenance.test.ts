import { describe, expect, it } from "vitest";
import { Secret } from "../../config/index.js";
import { at, T0 } from "../../incidents/test-builders.js";
import { scheduleMaintenance, transitionMaintenance } from "../../maintenance/model.js";
import { resolveChannel } from "./channels.js";
import { maintenanceNotices, maintenanceRequest, MAINTENANCE_NOTICE_KIND, pruneMaintenanceNotices } from "./maintenance.js";
import { mergeOutbox } from "./plan.js";

const ONA = { name: "Ona", channel: "webhook:ona" };
const scheduled = scheduleMaintenance({ title: "Paymaster upgrade", components: ["entryPoint", "rpc"], from: at(60), until: at(120), by: "ops-ann", now: T0 });
const started = transitionMaintenance(scheduled, "in_progress", { now: at(61), by: "ops-ann" });
const completed = transitionMaintenance(started, "completed", { now: at(100), by: "ops-bo", message: "Done <@here> see https://evil.example/x" });
const kinds = (items: ReturnType<typeof maintenanceNotices>) => items.map((i) => (i.payload as any).update.status);

describe("maintenance notices to the on-call contact", () => {
  it("one notice per step, oldest first, ids from the step and channel; the same steps again add nothing", () => {
    const first = maintenanceNotices([started], ONA, at(62));
    expect(kinds(first)).toEqual(["scheduled", "in_progress"]);
    expect(first.every((i) => i.kind === MAINTENANCE_NOTICE_KIND && i.status === "pending" && (i.payload as any).channel === "webhook:ona")).toBe(true);
    const outbox = mergeOutbox([], first).outbox;
    const later = mergeOutbox(outbox, maintenanceNotices([completed], ONA, at(101)));
    expect(kinds(later.added)).toEqual(["completed"]);
    // Another contact is another notice of the same step.
    expect(maintenanceNotices([scheduled], { name: "Otto", channel: "log" }, at(1))[0]!.id).not.toBe(first[0]!.id);
  });

  it("does not tell the history: steps older than the lookback are left out; delivered notices are pruned after the retention only", () => {
    expect(kinds(maintenanceNotices([completed], ONA, at(100 + 24 * 60 - 30)))).toEqual(["completed"]);
    expect(kinds(maintenanceNotices([completed], ONA, at(100 + 24 * 60 + 1)))).toEqual([]);
    const [n] = maintenanceNotices([scheduled], ONA, T0);
    const done = { ...n!, status: "done" as const };
    expect(pruneMaintenanceNotices([done, n!], at(6 * 24 * 60))).toHaveLength(2);
    expect(pruneMaintenanceNotices([done, n!], at(7 * 24 * 60 + 1))).toEqual([n]);
  });

  it("each channel's body: Guardian JSON, Slack and Discord with operator text made inert, PagerDuty a change event", () => {
    const [item] = maintenanceNotices([completed], ONA, at(101)).slice(-1);
    const channel = (url: string) => resolveChannel("webhook:x", { x: new Secret(url, "GUARDIAN_WEBHOOK_X") }) as Exclude<ReturnType<typeof resolveChannel>, { type: "log" }>;
    const generic = maintenanceRequest(item!, channel("https://hooks.example/g#secret=k"));
    expect(generic.body).toMatchObject({
      id: item!.id,
      type: "maintenance.completed",
      headline: "[MAINTENANCE] completed: Paymaster upgrade (entryPoint, rpc; 2025-03-01 13:00 UTC to 2025-03-01 14:00 UTC)",
      maintenance: { id: completed.id, status: "completed" },
      update: { status: "completed", by: "ops-bo" },
    });
    const slack = maintenanceRequest(item!, channel("https://hooks.slack.com/services/_example_/_/_")).body as { text: string };
    expect(slack.text).toContain("Done &lt;@here&gt; see hxxps://evil[.]example/x");
    const discord = maintenanceRequest(item!, channel("https://discord.com/api/webhooks/_example_/_")).body as { content: string; allowed_mentions: unknown };
    expect(discord.allowed_mentions).toEqual({ parse: [] });
    expect(discord.content).not.toContain("https://");
    const pd = maintenanceRequest(item!, channel("https://events.pagerduty.com/v2/enqueue#routing_key=rk"));
    expect(pd.url).toBe("https://events.pagerduty.com/v2/change/enqueue");
    expect(pd.body).toMatchObject({ routing_key: "rk", payload: { source: "guardian", timestamp: at(100).toISOString() } });
    expect(pd.body).not.toHaveProperty("event_action");
  });
});

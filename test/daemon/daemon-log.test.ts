/**
 * The daemon's JSON log on a real symptom: every line parses as JSON and its
 * `level` is the logger's own (pino's number), never a field of the message
 * shadowing it (the escalation level of a "notify" line is `escalationLevel`).
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import pino from "pino";
import { startDaemon, type RunningDaemon } from "../../daemon/src/runtime/daemon.js";
import { runScenario } from "../../scripts/lib/scenarios.js";
import { waitFor } from "./helpers/memory-sink.js";
import { startStack, type StackEnv } from "./helpers/stack.js";

let s: StackEnv;
let daemon: RunningDaemon;
const lines: string[] = [];

beforeAll(async () => {
  s = await startStack();
  const logger = pino({ name: "guardian", level: "info" }, { write: (line: string) => void lines.push(line) });
  daemon = await startDaemon({ config: s.config(), publishIntervalSeconds: 3600, heartbeatIntervalSeconds: 0, pauseAbilityIntervalSeconds: 3600, logger });
});
afterAll(async () => {
  await daemon?.stop();
  await s?.chain.stop();
});

describe("the daemon's JSON log", () => {
  it("a notify line parsed as JSON has the logger's level; the escalation level has a name of its own", async () => {
    const ctx = { client: s.client as never, wallets: s.wallets, deployment: s.deployment };
    const attack = await runScenario(ctx, "ownership-transfer");
    const key = attack.expected[0]!.key;
    const notifyLine = () => lines.find((l) => l.includes('"msg":"notify"') && l.includes(Object.values(daemon.store.read().incidents).find((i) => i.key === key)?.id ?? "no incident yet"));
    await waitFor(() => notifyLine() !== undefined, 60_000, "the notify log line of the incident");
    const raw = notifyLine()!;
    expect(raw.match(/"level":/g)).toHaveLength(1);
    const parsed = JSON.parse(raw) as Record<string, unknown>;
    expect(parsed).toMatchObject({ level: pino.levels.values.warn, msg: "notify", escalationLevel: "oncall", severity: "critical", reason: "opened" });
    // Every line: JSON, with a numeric level pino knows.
    for (const line of lines) {
      const entry = JSON.parse(line) as { level: unknown };
      expect(Object.values(pino.levels.values), line).toContain(entry.level);
    }
  });
});

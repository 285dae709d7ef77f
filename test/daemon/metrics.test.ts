/**
 * /metrics of a real daemon on a real node: `promtool check metrics` (the
 * Prometheus project's own linter) accepts it, prom-client's defaults keep
 * their standard names, and the operational gauges are there: outbox
 * pending / failed / oldest age, seconds since the last status publication,
 * and whether each pause path (sentinel, Safe) works.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDaemon, type RunningDaemon } from "../../daemon/src/runtime/daemon.js";
import { waitFor } from "./helpers/memory-sink.js";
import { startStack, type StackEnv } from "./helpers/stack.js";

const silent = pino({ level: "silent" });
let s: StackEnv;
let daemon: RunningDaemon;

/**
 * promtool: env PROMTOOL, else on PATH, else /usr/bin/promtool (Debian's
 * `prometheus` package; CI installs it, see .ci/run).
 * @throws naming how to install it when it is nowhere
 */
function promtool(): string {
  const candidates = [process.env.PROMTOOL, ...(process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, "promtool")), "/usr/bin/promtool"];
  const found = candidates.find((c): c is string => !!c && existsSync(c));
  if (found === undefined)
    throw new Error(
      "promtool not found (env PROMTOOL, PATH, /usr/bin/promtool): install it with `apt-get install -y --no-install-recommends prometheus` (Debian's package; .ci/run does this), or set PROMTOOL to its path",
    );
  return found;
}

async function scrape(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${daemon.observability.port}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** `# TYPE name type` lines → name → type. */
function types(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** The value of the sample `name{labels}` (labels as printed), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  s = await startStack();
  daemon = await startDaemon({ config: s.config(), publishIntervalSeconds: 1, heartbeatIntervalSeconds: 0, pauseAbilityIntervalSeconds: 1, logger: silent });
});
afterAll(async () => {
  await daemon?.stop();
  await s?.chain.stop();
});

describe("/metrics", () => {
  it("passes promtool check metrics, with standard default names and the operational gauges", async () => {
    const tool = promtool();
    await s.rpc("evm_mine");
    await waitFor(() => daemon.store.read().publish?.lastPublishedAt !== undefined, 60_000, "a status publication");
    let text = await scrape();

    // 1. The Prometheus project's linter accepts it as it is.
    const check = spawnSync(tool, ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(check.error).toBeUndefined();
    expect(`${check.stdout}${check.stderr}`.trim()).toBe("");
    expect(check.status).toBe(0);

    // 2. Standard names for prom-client's defaults; only counters end in _total.
    const typeOf = types(text);
    for (const name of ["process_cpu_user_seconds_total", "process_resident_memory_bytes", "process_start_time_seconds", "nodejs_heap_size_used_bytes", "nodejs_eventloop_lag_seconds", "nodejs_active_handles"])
      expect(typeOf.has(name), name).toBe(true);
    expect([...typeOf.keys()].filter((n) => n.startsWith("guardian_process_"))).toEqual([]);
    expect([...typeOf].filter(([name, type]) => name.endsWith("_total") && type !== "counter")).toEqual([]);

    // 3. The operational gauges (after a pause-ability check, so that every one has a value).
    await waitFor(
      async () => {
        text = await scrape();
        return sample(text, 'guardian_can_pause{path="safe"}') !== undefined;
      },
      60_000,
      "a pause-ability check",
    );
    expect(spawnSync(tool, ["check", "metrics"], { input: text, encoding: "utf8" }).status).toBe(0);
    for (const kind of ["notification", "sentinel-pause"]) {
      expect(sample(text, `guardian_outbox_pending{kind="${kind}"}`), kind).toBeGreaterThanOrEqual(0);
      expect(sample(text, `guardian_outbox_failed{kind="${kind}"}`), kind).toBe(0);
      expect(sample(text, `guardian_outbox_oldest_pending_age_seconds{kind="${kind}"}`), kind).toBeGreaterThanOrEqual(0);
    }
    const age = sample(text, "guardian_status_publication_age_seconds");
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(600);
    // The local stack: the sentinel holds its role and gas, the Safe its role and a reachable threshold.
    expect(sample(text, 'guardian_can_pause{path="sentinel"}')).toBe(1);
    expect(sample(text, 'guardian_can_pause{path="safe"}')).toBe(1);
    expect(types(text).get("guardian_notification_attempts_total")).toBe("counter");
  }, 180_000);
});

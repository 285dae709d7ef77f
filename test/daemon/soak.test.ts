/**
 * The short soak (scripts/bench/soak.ts; the long one is `npm run soak`):
 * for half a minute `guardian run` is SIGKILLed at random moments and
 * restarted, while its three RPC endpoints fail in every way the fault proxy
 * knows (errors, 503s, 429s with Retry-After, malformed and wrong-shaped
 * answers, timeouts, hangs, a lagging head, a lying head, outages), kit
 * traffic flows, the chain reorgs, and Critical symptoms arrive (unauthorized
 * ownership transfers on chain, incidents triggered through the CLI). Then:
 * every canonical block processed exactly once, no incident duplicated, every
 * Critical symptom paused exactly once, and the store parses.
 */
import { describe, expect, it } from "vitest";
import { formatSoakReport, runSoak } from "../../scripts/bench/soak.js";

describe("soak", () => {
  it("keeps its invariants through SIGKILLs, RPC faults, reorgs and Critical symptoms", async () => {
    const report = await runSoak({ durationMs: 30_000 });
    const summary = formatSoakReport(report);
    expect(report.checks.filter((c) => !c.ok), summary).toEqual([]);
    expect(report.stats.sigkills, summary).toBeGreaterThanOrEqual(3);
    expect(report.stats.symptoms.length, summary).toBeGreaterThanOrEqual(2);
    expect(report.stats.symptoms.some((s) => s.kind === "on-chain"), summary).toBe(true);
  }, 180_000);
});

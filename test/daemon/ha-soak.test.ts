/**
 * The short HA soak (scripts/bench/ha-soak.ts; the long one is
 * `npm run soak -- --replicas 3 --store postgres`): three `guardian run`
 * replicas on a throwaway PostgreSQL cluster for 45 s of kit traffic, RPC
 * faults, reorgs and on-chain Critical symptoms, while the leader (found by
 * /healthz) is SIGKILLed, SIGSTOPped past its lease and woken, has its
 * database connections cut, and PostgreSQL restarts once. Then: every
 * canonical block processed exactly once (in the database), no incident
 * duplicated, one pause per Critical symptom, no notification delivered
 * twice (a counting webhook receiver), no write from a stale term (the
 * soak's audit trigger), every frozen leader stepped down, and a new leader
 * committed blocks after every leader loss.
 */
import { describe, expect, it } from "vitest";
import { formatSoakReport, runSoak } from "../../scripts/bench/soak.js";

describe("HA soak", () => {
  it("keeps its invariants with 3 replicas on PostgreSQL through chaos at the leader", async () => {
    const report = await runSoak({ durationMs: 45_000, replicas: 3, store: "postgres" });
    const summary = formatSoakReport(report);
    expect(report.checks.filter((c) => !c.ok), summary).toEqual([]);
    const ha = report.stats.ha!;
    expect(ha.sigkills, summary).toBeGreaterThanOrEqual(1);
    expect(ha.sigstops, summary).toBeGreaterThanOrEqual(1);
    expect(ha.dbCuts, summary).toBeGreaterThanOrEqual(1);
    // A takeover after each SIGKILL and SIGSTOP, measured from the old lease's expiry.
    const losses = ha.takeovers.filter((t) => t.cause === "sigkill" || t.cause === "sigstop");
    expect(losses.length, summary).toBe(ha.sigkills + ha.sigstops);
    for (const t of losses) expect(t.newTerm, summary).toBeGreaterThan(t.oldTerm);
    expect(report.stats.symptoms.length, summary).toBeGreaterThanOrEqual(2);
    expect(ha.notifications.ids, summary).toBeGreaterThan(0);
  }, 300_000);
});

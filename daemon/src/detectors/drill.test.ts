import { describe, it, expect } from "vitest";
import { drillFindings, type DrillFacts } from "./drill.js";

const report = (sentinelOk: boolean, safeOk = true): DrillFacts => ({
  startedAt: "2026-12-06T00:00:00.000Z",
  forkBlock: 100,
  forkBlockHash: `0x${"11".repeat(32)}`,
  steps: [
    { path: "sentinel", action: "sentinelPause entryPoint", ok: sentinelOk, ...(sentinelOk ? {} : { error: "reverted: AccessControlUnauthorizedAccount()" }) },
    { path: "safe", action: "Safe pause all layers", ok: safeOk },
  ],
});

describe("drill", () => {
  it("a failed path opens once (High, no layers) and resolves once when a drill works again", () => {
    const ok = drillFindings(report(true), { failing: [] });
    expect(ok.findings).toEqual([]);
    const bad = drillFindings(report(false), ok.nextState);
    expect(bad.findings.map((f) => [f.key, f.severity, f.layers, f.evidence?.values.step])).toEqual([["drill:sentinel", "high", [], "sentinelPause entryPoint"]]);
    expect(drillFindings(report(false), bad.nextState).findings).toEqual([]);
    const back = drillFindings(report(true), bad.nextState);
    expect(back.findings.map((f) => [f.key, f.recovered])).toEqual([["drill:sentinel", true]]);
    expect(back.nextState).toEqual({ failing: [] });
  });

  it("a drill without a path's steps leaves that path's state alone", () => {
    const onlySafe = { ...report(true), steps: report(true).steps.filter((s) => s.path === "safe") };
    expect(drillFindings(onlySafe, { failing: ["sentinel"] })).toEqual({ findings: [], nextState: { failing: ["sentinel"] } });
  });
});

import { describe, expect, test } from "vitest";
import { describeCauses, slideWindow, trackSymptom, windowTotals, worst } from "./symptom.js";

describe("sliding window", () => {
  test("keeps the samples of the last windowBlocks blocks, and only blocks with activity", () => {
    let samples = slideWindow([], { n: 1, ok: 1, failed: 0, causes: {} }, 3);
    samples = slideWindow(samples, { n: 2, ok: 0, failed: 0, causes: {} }, 3);
    samples = slideWindow(samples, { n: 3, ok: 0, failed: 2, causes: { AA13: 2 } }, 3);
    expect(samples.map((s) => s.n)).toEqual([1, 3]);
    samples = slideWindow(samples, { n: 4, ok: 1, failed: 1, causes: { AA14: 1 } }, 3);
    expect(samples.map((s) => s.n)).toEqual([3, 4]);
    expect(windowTotals(samples)).toEqual({ ok: 1, failed: 3, rate: 0.75, causes: { AA13: 2, AA14: 1 } });
    expect(windowTotals([]).rate).toBe(0);
  });

  test("a re-processed block replaces nothing twice: samples of the same or later blocks are dropped", () => {
    const samples = slideWindow([{ n: 5, ok: 1, failed: 0, causes: {} }], { n: 5, ok: 0, failed: 1, causes: {} }, 10);
    expect(samples).toEqual([{ n: 5, ok: 0, failed: 1, causes: {} }]);
  });
});

describe("trackSymptom", () => {
  const at = "2026-01-01T00:00:00.000Z";
  test("start, again only with fresh evidence, raise, recovered after clearBlocks", () => {
    let s = trackSymptom(undefined, { number: 1, at }, { holds: true, severity: "high", fresh: true }, 3);
    expect(s.report).toBe("start");
    s = trackSymptom(s.active, { number: 2, at }, { holds: true, severity: "high", fresh: false }, 3);
    expect(s.report).toBeUndefined();
    s = trackSymptom(s.active, { number: 3, at }, { holds: true, severity: "high", fresh: true }, 3);
    expect(s.report).toBe("again");
    s = trackSymptom(s.active, { number: 4, at }, { holds: true, severity: "critical", fresh: false }, 3);
    expect(s.report).toBe("raise");
    // The severity never drops while active.
    s = trackSymptom(s.active, { number: 5, at }, { holds: true, severity: "high", fresh: true }, 3);
    expect([s.report, s.active?.severity]).toEqual(["again", "critical"]);
    for (const n of [6, 7]) expect(trackSymptom(s.active, { number: n, at }, { holds: false, severity: "high", fresh: false }, 3).report).toBeUndefined();
    const end = trackSymptom(s.active, { number: 8, at }, { holds: false, severity: "high", fresh: false }, 3);
    expect(end).toEqual({ report: "recovered", active: undefined });
  });

  test("nothing to report while inactive and not holding", () => {
    expect(trackSymptom(undefined, { number: 1, at }, { holds: false, severity: "high", fresh: true }, 3)).toEqual({ report: undefined, active: undefined });
  });
});

test("describeCauses and worst are deterministic", () => {
  expect(describeCauses({ b: 1, a: 1, c: 3 })).toBe("c ×3, a ×1, b ×1");
  expect(worst("medium", "critical")).toBe("critical");
  expect(worst("low", "medium")).toBe("medium");
});

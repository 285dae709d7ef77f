import { describe, expect, test } from "vitest";
import { CAUSE_MAX_CHARS, countCause, describeCauses, MAX_CAUSES, OTHER_CAUSE, slideWindow, trackSymptom, windowTotals, worst, type RateSample } from "./symptom.js";

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

describe("causes stay bounded (they are often attacker-written revert reasons)", () => {
  const reason = (i: number) => `reverted "${String(i).padStart(3, "0")} \u001b]0;pwned\u0007\u202e${"x".repeat(1900)}"`;

  test("countCause cleans and cuts each label, and keeps at most MAX_CAUSES distinct ones per sample; the rest are 'other'", () => {
    const causes: Record<string, number> = {};
    for (let i = 0; i < 20; i++) countCause(causes, reason(i));
    countCause(causes, reason(0));
    const keys = Object.keys(causes);
    expect(keys).toHaveLength(MAX_CAUSES + 1);
    expect(causes[OTHER_CAUSE]).toBe(20 - MAX_CAUSES);
    for (const key of keys) {
      expect(key.length).toBeLessThanOrEqual(CAUSE_MAX_CHARS);
      expect(key).not.toMatch(/[\u0000-\u001f\u202e]/);
    }
    expect(causes[keys[0]!]).toBe(2); // the same reason again counts under its own label
    countCause(causes, "__proto__");
    expect(Object.getPrototypeOf(causes)).toBe(Object.prototype);
  });

  test("a window keeps at most MAX_CAUSES distinct causes across its samples; findings name at most that many", () => {
    let samples: RateSample[] = [];
    for (let n = 1; n <= 20; n++) {
      const causes: Record<string, number> = {};
      for (let j = 0; j < 5; j++) countCause(causes, reason(n * 10 + j));
      samples = slideWindow(samples, { n, ok: 0, failed: 5, causes }, 20);
    }
    const totals = windowTotals(samples);
    expect(totals.failed).toBe(100);
    expect(Object.keys(totals.causes)).toHaveLength(MAX_CAUSES + 1);
    expect(totals.causes[OTHER_CAUSE]).toBe(100 - MAX_CAUSES);
    // The state persisted with every block (and its 16 snapshots) stays small.
    expect(JSON.stringify(samples).length).toBeLessThan(2_500);
    const text = describeCauses(totals.causes);
    expect(text.split(", ")).toHaveLength(MAX_CAUSES + 1);
    expect(text.startsWith(`${OTHER_CAUSE} ×${100 - MAX_CAUSES}, `)).toBe(true); // most frequent first
    expect(describeCauses({ a: 5, b: 4, c: 3, d: 2, [OTHER_CAUSE]: 1 }, 2)).toBe("a ×5, b ×4, other ×6");
  });
});

/**
 * The preempt bench phase's summary (scripts/bench/preempt.ts `summarize`):
 * shares over all trials and over those pending >= 300 ms, medians of the
 * broadcast times and of blocks to the pause, and NaN (not 0) for figures
 * with no trial behind them.
 */
import { describe, expect, it } from "vitest";
import { summarize, type PreemptTrial } from "../../scripts/bench/preempt.js";

const trial = (t: Partial<PreemptTrial> & Pick<PreemptTrial, "outcome" | "pendingMs">): PreemptTrial => ({ nextBlock: 10, ...t });

describe("preempt bench summary", () => {
  it("counts outcomes, and the pre-empted share among attacks pending >= 300 ms apart from the rest", () => {
    const s = summarize([
      trial({ outcome: "pre-empted", pendingMs: 1200, broadcastMs: 100, blocksToPause: 0, enforcedPause: true }),
      trial({ outcome: "pre-empted", pendingMs: 300, broadcastMs: 80, blocksToPause: 0, enforcedPause: true }),
      trial({ outcome: "missed", pendingMs: 20, broadcastMs: 90, blocksToPause: 1 }),
      trial({ outcome: "missed", pendingMs: 900, broadcastMs: 400, blocksToPause: 1 }),
      trial({ outcome: "never landed", pendingMs: 500 }),
    ]);
    expect(s.trials).toBe(5);
    expect(s.outcomes).toEqual({ "pre-empted": 2, missed: 2, "never landed": 1, "reverted otherwise": 0 });
    expect(s.preemptedShare).toBeCloseTo(2 / 5);
    expect(s.longPending).toBe(4);
    expect(s.preemptedShareLongPending).toBeCloseTo(2 / 4);
    expect(s.broadcastMsMedian).toBe(95);
    expect(s.blocksToPauseMedian).toBe(0.5);
    expect(s.blocksToPauseMax).toBe(1);
    expect(s.enforcedPause).toBe(2);
  });

  it("gives NaN, not 0 %, when no trial is behind a figure", () => {
    const s = summarize([trial({ outcome: "missed", pendingMs: 50 })]);
    expect(s.preemptedShare).toBe(0);
    expect(s.longPending).toBe(0);
    expect(s.preemptedShareLongPending).toBeNaN();
    expect(s.broadcastMsMedian).toBeNaN();
    expect(summarize([]).preemptedShare).toBeNaN();
  });
});

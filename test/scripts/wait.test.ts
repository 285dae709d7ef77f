import { describe, expect, it } from "vitest";
import type { Incident, Severity, TimelineEntry } from "../../daemon/src/types.js";
import { atLeast, incidentSettled, waitForState, WaitError, type Observation } from "../../scripts/lib/wait.js";

/** An incident as far as incidentSettled looks at it. */
const incident = (severity: Severity, kinds: TimelineEntry["kind"][] = ["state"]): Incident =>
  ({ id: "0123456789abcdef", key: "account-creation:failing", severity, state: "detected", timeline: kinds.map((kind) => ({ kind })) }) as unknown as Incident;

/** A probe that returns the given observations in turn (the last one from then on). */
function sequence<T>(...observations: Observation<T>[]) {
  let i = 0;
  return async () => observations[Math.min(i++, observations.length - 1)]!;
}

describe("incidentSettled", () => {
  it("keeps waiting while an incident expected Critical is still High (the demo's flake)", () => {
    expect(incidentSettled(incident("high"), "critical")).toEqual({ settled: false, seen: "incident 01234567 HIGH [detected], expecting CRITICAL" });
  });

  it("keeps waiting for a Critical incident until the circuit breaker's action is recorded", () => {
    expect(incidentSettled(incident("critical"), "critical").settled).toBe(false);
    expect(incidentSettled(incident("critical"), "critical").seen).toMatch(/circuit breaker not acted yet/);
    expect(incidentSettled(incident("critical", ["state", "action"]), "critical")).toEqual({ settled: true, seen: "incident 01234567 CRITICAL [detected], circuit breaker acted" });
  });

  it("settles at the expected severity or above; no incident is not settled", () => {
    expect(incidentSettled(undefined, "low")).toEqual({ settled: false, seen: "no incident yet" });
    expect(incidentSettled(incident("medium"), "high").settled).toBe(false);
    expect(incidentSettled(incident("high"), "high").settled).toBe(true);
    expect(incidentSettled(incident("high"), "medium").settled).toBe(true);
  });

  it("orders severities critical > high > medium > low", () => {
    expect(atLeast("critical", "high")).toBe(true);
    expect(atLeast("low", "medium")).toBe(false);
    expect(atLeast("medium", "medium")).toBe(true);
  });
});

describe("waitForState", () => {
  it("returns the value once the state is reached, however many polls it takes", async () => {
    const probe = sequence<string>({ seen: "nothing", atBlock: 1 }, { seen: "nothing", atBlock: 2 }, { value: "done", seen: "done", atBlock: 3 });
    await expect(waitForState({ what: "x", probe, deadlineBlock: 10, pollMs: 1 })).resolves.toBe("done");
  });

  it("fails once the observer has seen the deadline block without the state, naming what, the block and what was seen", async () => {
    const probe = sequence<string>({ seen: "HIGH", atBlock: 5 }, { seen: "still HIGH", atBlock: 12 });
    const error = await waitForState({ what: "the incident at CRITICAL", probe, deadlineBlock: 12, pollMs: 1, hint: "daemon log: d.log" }).catch((e) => e);
    expect(error).toBeInstanceOf(WaitError);
    expect(error.message).toBe("the incident at CRITICAL: not reached by block #12 (seen up to block #12; last seen: still HIGH); daemon log: d.log");
  });

  it("does not count wall time against the block deadline: a slow observer below the deadline keeps waiting", async () => {
    let clock = 0;
    let polls = 0;
    const probe = async (): Promise<Observation<number>> => {
      clock += 60_000; // each poll "takes a minute"
      polls++;
      return polls < 8 ? { seen: "behind", atBlock: 3 } : { value: polls, seen: "ok", atBlock: 4 };
    };
    await expect(waitForState({ what: "x", probe, deadlineBlock: 30, pollMs: 1, now: () => clock, safetyNetMs: 3_600_000 })).resolves.toBe(8);
  });

  it("takes a deadline the probe works out, and keeps it when a later probe fails", async () => {
    let n = 0;
    const probe = async (): Promise<Observation<never>> => {
      n++;
      if (n === 1) return { seen: "behind", atBlock: 8 };
      if (n === 2) return { seen: "passed the symptom", atBlock: 10, deadlineBlock: 14 };
      if (n === 3) throw new Error("store busy");
      return { seen: "HIGH", atBlock: 14 };
    };
    await expect(waitForState({ what: "x", probe, pollMs: 1 })).rejects.toThrow("x: not reached by block #14 (seen up to block #14; last seen: HIGH)");
  });

  it("fails at once when the producer is gone", async () => {
    const probe = sequence<never>({ seen: "admin endpoint not up" });
    await expect(waitForState({ what: "the daemon up", probe, gone: () => "the daemon exited (1)", pollMs: 1 })).rejects.toThrow(
      "the daemon up: the daemon exited (1) (no block seen; last seen: admin endpoint not up)",
    );
  });

  it("gives up after the wall-clock safety net only, saying so", async () => {
    let clock = 0;
    const probe = async (): Promise<Observation<never>> => {
      clock += 1000;
      return { seen: "stuck", atBlock: 7 };
    };
    await expect(waitForState({ what: "x", probe, deadlineBlock: 50, pollMs: 1, now: () => clock, safetyNetMs: 10_000 })).rejects.toThrow(
      "x: still not reached after 10 s of wall time, the safety net (deadline block #50) (seen up to block #7; last seen: stuck)",
    );
  });

  it("reports a failing probe's message as what was seen", async () => {
    const probe = async (): Promise<Observation<never>> => {
      throw new Error("store.json: unexpected end");
    };
    await expect(waitForState({ what: "x", probe, gone: () => "gone", pollMs: 1 })).rejects.toThrow("x: gone (no block seen; last seen: probe failed: store.json: unexpected end)");
  });
});

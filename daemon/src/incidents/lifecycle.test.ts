import { describe, expect, it } from "vitest";
import { INCIDENT_STATES, type IncidentState } from "../types.js";
import { InvalidTransitionError } from "./errors.js";
import { incidentIdFromKey, manualIncidentKey, nameUuid } from "./ids.js";
import { acknowledge, addTimelineEntry, openIncident, PUBLIC_STATUS_OF, transition, TRANSITIONS } from "./lifecycle.js";
import { anIncident, at, evidence, frozen, T0 } from "./test-builders.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("ids", () => {
  it("are UUIDv8 from SHA-256, stable across runs", () => {
    expect(nameUuid("x")).toMatch(UUID);
    expect(incidentIdFromKey("k")).toBe(incidentIdFromKey("k"));
    expect(incidentIdFromKey("k")).not.toBe(incidentIdFromKey("k", 2));
    // Pinned: changing the id scheme would open duplicates of open incidents after an upgrade.
    expect(incidentIdFromKey("pause-changed:entryPoint")).toMatchInlineSnapshot(`"67bfb7a7-c49d-8542-893a-2628b1da94b7"`);
  });
});

describe("openIncident", () => {
  it("derives the id from the key, starts detected/investigating at on-call", () => {
    const incident = anIncident();
    expect(incident.id).toBe(incidentIdFromKey("pause-changed:entryPoint"));
    expect(incident).toMatchObject({
      state: "detected",
      publicStatus: "investigating",
      escalationLevel: "oncall",
      occurrence: 1,
      createdAt: T0.toISOString(),
      updatedAt: T0.toISOString(),
      findingCount: 1,
    });
    expect(incident.timeline).toEqual([
      expect.objectContaining({ kind: "opened", public: true, state: "detected", message: "Paymaster paused outside Guardian" }),
    ]);
  });

  it.each([
    ["critical", 15],
    ["high", 120],
    ["medium", 1440],
    ["low", 4320],
  ] as const)("sets slaDueAt for %s to createdAt + %i min", (severity, minutes) => {
    expect(anIncident({ severity }).slaDueAt).toBe(at(minutes).toISOString());
  });

  it("uses configured SLA minutes", () => {
    expect(anIncident({ severity: "critical", sla: { critical: 5, high: 1, medium: 1, low: 1 } }).slaDueAt).toBe(at(5).toISOString());
  });

  it("keeps evidence on a private finding entry; manual incidents take the given id", () => {
    const withEvidence = anIncident({ evidence: evidence(7) });
    expect(withEvidence.timeline[1]).toMatchObject({ kind: "finding", public: false, evidence: evidence(7) });
    const id = "0b0e2f7e-52c6-4f0a-9d55-2f4d1f6f0b11";
    const manual = anIncident({ id, key: manualIncidentKey(id), source: "manual", by: "alice" });
    expect(manual.id).toBe(id);
    expect(manual.findingCount).toBe(0);
    expect(manual.timeline[0]?.by).toBe("alice");
  });

  it("orders layers canonically and dedupes contracts case-insensitively", () => {
    const incident = anIncident({
      affected: { layers: ["delegation", "entryPoint", "delegation"], contracts: ["0xAbCdEf0000000000000000000000000000000001", "0xabcdef0000000000000000000000000000000001"] },
    });
    expect(incident.affected).toEqual({ layers: ["entryPoint", "delegation"], contracts: ["0xAbCdEf0000000000000000000000000000000001"] });
  });
});

describe("transition", () => {
  const allPairs = INCIDENT_STATES.flatMap((from) => INCIDENT_STATES.map((to) => [from, to] as const));
  const reach: Record<IncidentState, IncidentState[]> = {
    detected: [],
    responding: ["responding"],
    contained: ["contained"],
    recovered: ["recovered"],
    postreview: ["recovered", "postreview"],
  };
  const inState = (state: IncidentState) => {
    let incident = anIncident();
    for (const step of reach[state]) incident = transition(incident, step, { now: T0 });
    return frozen(incident);
  };

  it.each(allPairs)("%s → %s follows the table", (from, to) => {
    const incident = inState(from);
    if (TRANSITIONS[from].includes(to)) {
      const next = transition(incident, to, { now: at(1) });
      expect(next.state).toBe(to);
      expect(next.publicStatus).toBe(PUBLIC_STATUS_OF[to]);
      expect(next.timeline.at(-1)).toMatchObject({ kind: "state", state: to, at: at(1).toISOString() });
    } else {
      let error: unknown;
      try {
        transition(incident, to, { now: at(1) });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidTransitionError);
      expect(error).toMatchObject({ from, to, allowed: TRANSITIONS[from], incidentId: incident.id });
      expect((error as Error).message).toContain(`cannot move from ${from} to ${to}`);
    }
  });

  it("documents the table", () => {
    expect(TRANSITIONS).toEqual({
      detected: ["responding", "contained", "recovered"],
      responding: ["contained", "recovered"],
      contained: ["recovered"],
      recovered: ["postreview", "responding"],
      postreview: [],
    });
  });

  it("says what is allowed, and that postreview is final", () => {
    expect(() => transition(inState("contained"), "detected", { now: T0 })).toThrow(/from contained to detected \(allowed from contained: recovered\)/);
    expect(() => transition(inState("postreview"), "responding", { now: T0 })).toThrow(/postreview is final/);
  });

  it("maps public status: detected→investigating, responding→identified, contained→monitoring, recovered/postreview→resolved", () => {
    expect(PUBLIC_STATUS_OF).toEqual({
      detected: "investigating",
      responding: "identified",
      contained: "monitoring",
      recovered: "resolved",
      postreview: "resolved",
    });
  });

  it("sets resolvedAt on recovery and clears it on recurrence", () => {
    const recovered = transition(anIncident(), "recovered", { now: at(3) });
    expect(recovered.resolvedAt).toBe(at(3).toISOString());
    const again = transition(recovered, "responding", { now: at(4) });
    expect(again.resolvedAt).toBeUndefined();
  });

  it("a person moving an unacknowledged incident acknowledges it; the daemon does not", () => {
    expect(transition(anIncident(), "contained", { now: at(1) }).acknowledgedAt).toBeUndefined();
    const byAlice = transition(anIncident(), "responding", { now: at(1), by: "alice", message: "looking" });
    expect(byAlice).toMatchObject({ acknowledgedBy: "alice", acknowledgedAt: at(1).toISOString() });
    expect(byAlice.timeline.map((e) => e.kind)).toEqual(["opened", "state", "acknowledged"]);
    expect(byAlice.timeline[1]).toMatchObject({ message: "looking", public: true, by: "alice" });
  });

  it("postreview entries are internal unless said otherwise; --private keeps any entry internal", () => {
    const pr = transition(transition(anIncident(), "recovered", { now: T0 }), "postreview", { now: T0 });
    expect(pr.timeline.at(-1)?.public).toBe(false);
    expect(transition(anIncident(), "responding", { now: T0, public: false }).timeline.at(-1)?.public).toBe(false);
  });

  it("is deterministic and never mutates its input", () => {
    const incident = frozen(anIncident());
    expect(transition(incident, "responding", { now: at(1) })).toEqual(transition(incident, "responding", { now: at(1) }));
  });
});

describe("acknowledge", () => {
  it("records who and when, once", () => {
    const incident = frozen(anIncident());
    const acked = acknowledge(incident, { now: at(2), by: "bob" });
    expect(acked).toMatchObject({ acknowledgedAt: at(2).toISOString(), acknowledgedBy: "bob" });
    expect(acked.timeline.at(-1)).toMatchObject({ kind: "acknowledged", public: false, by: "bob" });
    expect(acknowledge(acked, { now: at(3), by: "carol" })).toBe(acked);
  });
});

describe("addTimelineEntry", () => {
  it("is idempotent by entry id", () => {
    const incident = frozen(anIncident());
    const once = addTimelineEntry(incident, { kind: "note", message: "called the RPC provider" }, at(1));
    expect(once.timeline).toHaveLength(2);
    expect(once.timeline[1]).toMatchObject({ kind: "note", public: false, state: "detected" });
    expect(addTimelineEntry(once, { kind: "note", message: "called the RPC provider" }, at(1))).toBe(once);
    const withId = addTimelineEntry(once, { id: "fixed", kind: "action", message: "pause sent", public: true }, at(2));
    expect(addTimelineEntry(withId, { id: "fixed", kind: "action", message: "different text" }, at(5))).toBe(withId);
  });
});

describe("openIncident input", () => {
  it("does not depend on anything but its arguments", () => {
    const p = { key: "k", title: "t", severity: "low", affected: { layers: [], contracts: [] }, source: "d", now: T0 } as const;
    expect(openIncident(p)).toEqual(openIncident(p));
  });
});

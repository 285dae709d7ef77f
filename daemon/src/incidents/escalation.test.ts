import { describe, expect, it } from "vitest";
import { escalateDue, escalationDueAt } from "./escalation.js";
import { acknowledge, transition } from "./lifecycle.js";
import { anIncident, at, frozen, T0 } from "./test-builders.js";

const ms = (minutes: number, delta = 0) => new Date(at(minutes).getTime() + delta);

describe("escalateDue", () => {
  const critical = frozen(anIncident({ severity: "critical" })); // SLA 15 min

  it("due times: senior at the SLA, lead at twice the SLA", () => {
    expect(escalationDueAt(critical)).toEqual({ oncall: T0.toISOString(), senior: at(15).toISOString(), lead: at(30).toISOString() });
  });

  it("does nothing before the SLA passes (boundary: 1 ms before)", () => {
    expect(escalateDue([critical], ms(15, -1))).toEqual({ updated: [], actions: [] });
  });

  it("escalates on-call → senior exactly at the SLA", () => {
    const { updated, actions } = escalateDue([critical], ms(15));
    expect(updated).toHaveLength(1);
    expect(updated[0]).toMatchObject({ escalationLevel: "senior", updatedAt: at(15).toISOString() });
    expect(updated[0]?.timeline.at(-1)).toMatchObject({ kind: "escalated", public: false });
    expect(actions).toEqual([{ type: "notify", incidentId: critical.id, level: "senior", severity: "critical", reason: "escalated" }]);
    // Again at the same level: nothing new.
    expect(escalateDue(updated, ms(20))).toEqual({ updated: [], actions: [] });
  });

  it("escalates senior → lead at twice the SLA", () => {
    const senior = escalateDue([critical], ms(15)).updated[0]!;
    expect(escalateDue([senior], ms(30, -1)).updated).toHaveLength(0);
    expect(escalateDue([senior], ms(30)).updated[0]?.escalationLevel).toBe("lead");
  });

  it("jumps straight to lead after downtime, with one action", () => {
    const { updated, actions } = escalateDue([critical], ms(120));
    expect(updated[0]?.escalationLevel).toBe("lead");
    expect(actions).toHaveLength(1);
    expect(updated[0]?.timeline.filter((e) => e.kind === "escalated")).toHaveLength(1);
  });

  it("never escalates acknowledged, recovered or post-review incidents", () => {
    const acked = acknowledge(critical, { now: at(1), by: "alice" });
    const recovered = transition(critical, "recovered", { now: at(1) });
    const post = transition(recovered, "postreview", { now: at(2) });
    expect(escalateDue([acked, recovered, post], ms(500))).toEqual({ updated: [], actions: [] });
  });

  it("escalates a contained but unacknowledged incident (someone must confirm the sentinel pause)", () => {
    const contained = transition(critical, "contained", { now: at(1) });
    expect(escalateDue([contained], ms(15)).updated[0]?.escalationLevel).toBe("senior");
  });
});

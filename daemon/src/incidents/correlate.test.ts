import { describe, expect, it } from "vitest";
import type { Incident, Layer } from "../types.js";
import { correlateFinding, type CorrelateContext } from "./correlate.js";
import { incidentIdFromKey } from "./ids.js";
import { transition } from "./lifecycle.js";
import { aFinding, at, evidence, frozen, T0 } from "./test-builders.js";

const ALL: Record<Layer, boolean> = { entryPoint: true, accountFactory: true, delegation: true };
const ctx = (minutes: number, over: Partial<CorrelateContext> = {}): CorrelateContext => ({ now: at(minutes), autoPause: ALL, ...over });
const byId = (...incidents: Incident[]) => Object.fromEntries(incidents.map((i) => [i.id, i]));

describe("correlateFinding", () => {
  it("opens one incident per key, with a deterministic id, and pages on-call", () => {
    const r = correlateFinding({}, aFinding(), ctx(0));
    expect(r.created).toBe(true);
    expect(r.incident?.id).toBe(incidentIdFromKey("pause-changed:entryPoint"));
    expect(r.actions).toEqual([{ type: "notify", incidentId: r.incident?.id, level: "oncall", severity: "high", reason: "opened" }]);
    // A restart that sees the same finding again opens nothing new.
    expect(correlateFinding(byId(r.incident!), aFinding(), ctx(1))).toEqual({ incident: r.incident, created: false, actions: [] });
  });

  it("a Critical finding engages the circuit breaker on the layers autoPause allows", () => {
    const finding = aFinding({ severity: "critical", layers: ["entryPoint", "delegation"] });
    expect(correlateFinding({}, finding, ctx(0)).actions).toContainEqual({
      type: "pause",
      incidentId: incidentIdFromKey(finding.key),
      layers: ["entryPoint", "delegation"],
    });
    const some = correlateFinding({}, finding, ctx(0, { autoPause: { ...ALL, entryPoint: false } }));
    expect(some.actions.filter((a) => a.type === "pause")).toEqual([{ type: "pause", incidentId: some.incident?.id, layers: ["delegation"] }]);
    const none = correlateFinding({}, finding, ctx(0, { autoPause: { entryPoint: false, accountFactory: false, delegation: false } }));
    expect(none.actions.map((a) => a.type)).toEqual(["notify"]);
  });

  it("counts repeats; the cooldown keeps them off the timeline; no alert storm", () => {
    const first = frozen(correlateFinding({}, aFinding(), ctx(0)).incident!);
    const soon = correlateFinding(byId(first), aFinding({ evidence: evidence(11), observedAt: at(1).toISOString() }), ctx(1));
    expect(soon.actions).toEqual([]);
    expect(soon.incident).toMatchObject({ findingCount: 2, lastFindingAt: at(1).toISOString() });
    expect(soon.incident?.timeline).toHaveLength(first.timeline.length);
    const later = correlateFinding(byId(soon.incident!), aFinding({ evidence: evidence(12) }), ctx(6));
    expect(later.incident?.timeline.at(-1)).toMatchObject({ kind: "finding", public: false, evidence: evidence(12) });
    expect(later.incident?.findingCount).toBe(3);
  });

  it("merges affected layers and contracts", () => {
    const first = correlateFinding({}, aFinding(), ctx(0)).incident!;
    const next = correlateFinding(byId(first), aFinding({ layers: ["delegation"], contracts: ["0x00000000000000000000000000000000000000ff"], evidence: evidence(20) }), ctx(1));
    expect(next.incident?.affected.layers).toEqual(["entryPoint", "delegation"]);
    expect(next.incident?.affected.contracts).toHaveLength(2);
  });

  it("a more severe finding raises the severity, pulls the SLA in, pages and pauses", () => {
    const first = correlateFinding({}, aFinding({ severity: "medium" }), ctx(0)).incident!;
    expect(first.slaDueAt).toBe(at(1440).toISOString());
    const r = correlateFinding(byId(first), aFinding({ severity: "critical", evidence: evidence(30) }), ctx(2));
    expect(r.incident).toMatchObject({ severity: "critical", slaDueAt: at(15).toISOString() });
    expect(r.actions.map((a) => a.type)).toEqual(["notify", "pause"]);
    expect(r.actions[0]).toMatchObject({ reason: "severity-raised" });
  });

  it("a recurrence after recovery reopens (→ responding); after post-review opens occurrence 2", () => {
    const first = correlateFinding({}, aFinding(), ctx(0)).incident!;
    const recovered = transition(first, "recovered", { now: at(10) });
    const reopened = correlateFinding(byId(recovered), aFinding({ evidence: evidence(40) }), ctx(20));
    expect(reopened.incident).toMatchObject({ id: first.id, state: "responding", publicStatus: "identified" });
    expect(reopened.actions[0]).toMatchObject({ reason: "recurred" });

    const closed = transition(recovered, "postreview", { now: at(30) });
    const again = correlateFinding(byId(closed), aFinding({ evidence: evidence(41) }), ctx(40));
    expect(again.created).toBe(true);
    expect(again.incident).toMatchObject({ occurrence: 2, id: incidentIdFromKey(first.key, 2), state: "detected" });
  });

  it("a recovered finding resolves an untouched non-critical incident, and never opens one", () => {
    expect(correlateFinding({}, aFinding({ recovered: true } as never), ctx(0))).toEqual({ incident: undefined, created: false, actions: [] });
    const first = correlateFinding({}, aFinding(), ctx(0)).incident!;
    const cleared = correlateFinding(byId(first), aFinding({ recovered: true, evidence: evidence(50) } as never), ctx(3));
    expect(cleared.incident).toMatchObject({ state: "recovered", resolvedAt: at(3).toISOString() });
    expect(cleared.actions).toEqual([{ type: "notify", incidentId: first.id, level: "oncall", severity: "high", reason: "cleared" }]);

    const critical = correlateFinding({}, aFinding({ severity: "critical", key: "k2" }), ctx(0)).incident!;
    const kept = correlateFinding(byId(critical), aFinding({ severity: "critical", key: "k2", recovered: true, evidence: evidence(51) } as never), ctx(3));
    expect(kept.incident?.state).toBe("detected");
    expect(kept.incident?.timeline.at(-1)).toMatchObject({ kind: "note", public: false });
    expect(kept.actions).toEqual([]);
  });

  it("accepts the incidents as a record or an iterable", () => {
    const first = correlateFinding([], aFinding(), ctx(0)).incident!;
    expect(correlateFinding([first], aFinding(), ctx(1)).created).toBe(false);
    expect(T0).toBeInstanceOf(Date);
  });
});

import { describe, expect, it } from "vitest";
import { MaintenanceError, isActiveMaintenance, scheduleMaintenance, transitionMaintenance } from "./model.js";

const T0 = new Date("2026-06-01T08:00:00.000Z");
const at = (m: number) => new Date(T0.getTime() + m * 60_000);

describe("maintenance model", () => {
  it("scheduled → in progress → verifying → completed, each with a public update; ids are stable", () => {
    const m = scheduleMaintenance({ title: "Paymaster upgrade", components: ["delegation", "entryPoint"], from: at(60), until: at(120), by: "dave", now: T0 });
    expect(m).toMatchObject({ status: "scheduled", components: ["entryPoint", "delegation"], scheduledFor: at(60).toISOString(), scheduledUntil: at(120).toISOString() });
    expect(scheduleMaintenance({ title: "Paymaster upgrade", components: ["entryPoint", "delegation"], from: at(60), until: at(120), by: "erin", now: at(5) }).id).toBe(m.id);
    expect(isActiveMaintenance(m)).toBe(false);
    const started = transitionMaintenance(m, "in_progress", { now: at(61), by: "dave" });
    expect(started).toMatchObject({ status: "in_progress", startedAt: at(61).toISOString() });
    expect(isActiveMaintenance(started)).toBe(true);
    const verifying = transitionMaintenance(started, "verifying", { now: at(100), by: "dave", message: "Upgrade deployed; checking." });
    const done = transitionMaintenance(verifying, "completed", { now: at(110), by: "dave" });
    expect(done).toMatchObject({ status: "completed", startedAt: at(61).toISOString(), completedAt: at(110).toISOString() });
    expect(done.updates.map((u) => [u.status, u.message])).toEqual([
      ["scheduled", "Maintenance is scheduled."],
      ["in_progress", "Maintenance is in progress."],
      ["verifying", "Upgrade deployed; checking."],
      ["completed", "Maintenance is complete."],
    ]);
    expect(new Set(done.updates.map((u) => u.id)).size).toBe(4);
  });

  it("refuses an empty window, no components, and moves the states do not allow", () => {
    expect(() => scheduleMaintenance({ title: "x", components: ["rpc"], from: at(60), until: at(60), by: "d", now: T0 })).toThrow(/--until: expected a time after --from/);
    expect(() => scheduleMaintenance({ title: "x", components: [], from: at(60), until: at(61), by: "d", now: T0 })).toThrow(MaintenanceError);
    const m = scheduleMaintenance({ title: "x", components: ["rpc"], from: at(60), until: at(61), by: "d", now: T0 });
    expect(() => transitionMaintenance(m, "verifying", { now: at(1), by: "d" })).toThrow(/is scheduled: it cannot become verifying/);
    const done = transitionMaintenance(m, "completed", { now: at(1), by: "d" });
    expect(() => transitionMaintenance(done, "in_progress", { now: at(2), by: "d" })).toThrow(/is completed: it cannot become in progress/);
  });
});

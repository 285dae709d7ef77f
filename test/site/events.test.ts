/**
 * Subscriber events between two publications (publish/events.ts): what
 * changed, in Statuspage's event names, public fields only, with ids that
 * stay the same when the same change is found again.
 */
import { describe, expect, it } from "vitest";
import { approveDisclosure, openIncident, transition } from "../../daemon/src/incidents/index.js";
import { transitionMaintenance } from "../../daemon/src/maintenance/model.js";
import { buildStatus, eventsForSubscriber, subscriberEvents } from "../../daemon/src/publish/index.js";
import { addr, scenarioInput, scenarioMaintenances } from "./scenario.js";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const later = (m: number) => new Date(NOW.getTime() + m * 60_000);

describe("subscriber events", () => {
  it("nothing on the first publication; then incidents, component changes and maintenances, oldest first", () => {
    const base = scenarioInput({ now: NOW });
    const maintenances = scenarioMaintenances(NOW);
    const first = buildStatus({ ...base, maintenances }, NOW);
    expect(subscriberEvents(undefined, first)).toEqual([]);
    expect(subscriberEvents(first, first)).toEqual([]);

    const opened = openIncident({ key: "user-operations:failing", title: "User operations failing: AA33 reverted 0xdeadbeef", severity: "high", affected: { layers: ["entryPoint"], contracts: [addr(1)] }, source: "user-operations", now: later(1) });
    const running = maintenances.map((m) => (m.status === "scheduled" ? transitionMaintenance(m, "in_progress", { now: later(2), by: "dave (ops)" }) : m));
    const second = buildStatus({ ...base, incidents: [...base.incidents, opened], maintenances: running, layerStates: { ...base.layerStates, accountFactory: { ...base.layerStates.accountFactory!, paused: false, pausedBy: null } } }, later(3));
    const events = subscriberEvents(first, second);
    expect(events.map((e) => e.type).sort()).toEqual(["component.status_changed", "component.status_changed", "incident.created", "maintenance.started"]);
    expect(events.map((e) => e.occurredAt)).toEqual([...events.map((e) => e.occurredAt)].sort());
    expect(events.find((e) => e.type === "incident.created")!.incident!.title).toBe("Some sponsored transactions are failing");
    expect(events.filter((e) => e.type === "component.status_changed").map((e) => e.component)).toEqual(
      expect.arrayContaining([
        { id: "accountFactory", name: "AccountFactory", oldStatus: "major_outage", newStatus: "under_maintenance" },
        // The EntryPoint was under maintenance; the new High incident on it is worse.
        { id: "entryPoint", name: "EntryPoint", oldStatus: "under_maintenance", newStatus: "partial_outage" },
      ]),
    );
    const text = JSON.stringify(events);
    for (const secret of ["AA33", "deadbeef", "dave"]) expect(text).not.toContain(secret);
    // The same change found again (a restart) has the same ids.
    expect(subscriberEvents(first, buildStatus({ ...base, incidents: [...base.incidents, opened], maintenances: running, layerStates: { ...base.layerStates, accountFactory: { ...base.layerStates.accountFactory!, paused: false, pausedBy: null } } }, later(4))).map((e) => e.id)).toEqual(events.map((e) => e.id));

    // Resolution; per-component subscribers.
    const third = buildStatus({ ...base, incidents: [...base.incidents, transition(opened, "recovered", { now: later(10) })], maintenances: running, layerStates: { ...base.layerStates, accountFactory: { ...base.layerStates.accountFactory!, paused: false, pausedBy: null } } }, later(11));
    const resolved = subscriberEvents(second, third).filter((e) => e.type.startsWith("incident."));
    expect(resolved.map((e) => e.type)).toEqual(["incident.resolved"]);
    expect(eventsForSubscriber(resolved, ["delegation"])).toEqual([]);
    expect(eventsForSubscriber(resolved, ["entryPoint", "rpc"])).toEqual(resolved);
    expect(eventsForSubscriber(resolved)).toEqual(resolved);
  });

  it("a security incident reaches subscribers only once its disclosure is approved", () => {
    const base = scenarioInput({ now: NOW });
    const takeover = openIncident({ key: "security:ownership:0xabc", title: "Ownership moved to 0x5ec0ffee", severity: "critical", affected: { layers: ["entryPoint"], contracts: [addr(1)] }, source: "security", now: later(1) });
    const first = buildStatus(base, NOW);
    const hidden = buildStatus({ ...base, incidents: [...base.incidents, takeover] }, later(2));
    expect(subscriberEvents(first, hidden).filter((e) => e.type.startsWith("incident."))).toEqual([]);
    const approved = approveDisclosure(takeover, { by: "Sam", approvers: [{ name: "Sam", role: "securityLead" }], message: "We are securing the paymaster.", now: later(3) });
    const shown = buildStatus({ ...base, incidents: [...base.incidents, approved] }, later(4));
    const events = subscriberEvents(hidden, shown);
    expect(events.map((e) => [e.type, e.incident?.title])).toEqual([["incident.created", "Security incident affecting gas sponsorship"]]);
    expect(JSON.stringify(events)).not.toContain("5ec0ffee");
  });
});

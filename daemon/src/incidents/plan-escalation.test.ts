import { describe, expect, it } from "vitest";
import type { Incident, Layer, Severity } from "../types.js";
import { acknowledge, transition } from "./lifecycle.js";
import { hasBroadImpact, pageRoles, rolePagesDue, roleContacts, type RoleContacts } from "./plan-escalation.js";
import { addr, anIncident, at, frozen, T0 } from "./test-builders.js";

const ROLES: RoleContacts = roleContacts({
  onCall: { primary: { name: "Ona", channel: "webhook:ona" }, secondary: { name: "Otto", channel: "webhook:otto" } },
  securityLead: { primary: { name: "Sela", channel: "webhook:sela" }, backup: { name: "Seb", channel: "webhook:seb" } },
  cto: { primary: { name: "Cato", channel: "webhook:cato" }, backup: { name: "Cleo", channel: "webhook:cleo" } },
});

const incident = (severity: Severity, layers: Layer[] = ["entryPoint"]): Incident =>
  anIncident({ severity, affected: { layers, contracts: [addr(1)] } });
const due = (i: Incident, minutes: number, roles = ROLES) => rolePagesDue(i, roles, at(minutes)).map((p) => p.slot);

/** Pages an incident tick by tick (every minute up to `until`), like the notifier does: what is paged, and when. */
function run(i: Incident, until: number, roles = ROLES, change?: (i: Incident, minute: number) => Incident): string[] {
  const log: string[] = [];
  for (let m = 0; m <= until; m++) {
    if (change) i = change(i, m);
    const r = pageRoles(i, roles, at(m));
    i = r.incident;
    for (const p of r.pages) log.push(`${m} ${p.slot}`);
  }
  return log;
}

describe("escalation by role (the response plan)", () => {
  it("a Critical incident across all layers, never acknowledged: on-call, secondary at 5, Security Lead at 15 and backup at 30, CTO at 60 and backup at 75", () => {
    expect(run(incident("critical", ["entryPoint", "accountFactory", "delegation"]), 90)).toEqual([
      "0 onCall.primary",
      "5 onCall.secondary",
      "15 securityLead.primary",
      "30 securityLead.backup",
      "60 cto.primary",
      "75 cto.backup",
    ]);
  });

  it("boundaries: nothing a millisecond before each time, the page at the minute itself", () => {
    const i = incident("critical", ["entryPoint", "delegation"]);
    expect(rolePagesDue(i, ROLES, new Date(at(5).getTime() - 1)).map((p) => p.slot)).toEqual(["onCall.primary"]);
    expect(due(i, 5)).toEqual(["onCall.primary", "onCall.secondary"]);
    expect(rolePagesDue(i, ROLES, new Date(at(15).getTime() - 1)).map((p) => p.slot)).not.toContain("securityLead.primary");
    expect(due(i, 15)).toContain("securityLead.primary");
    expect(rolePagesDue(i, ROLES, new Date(at(60).getTime() - 1)).map((p) => p.slot)).not.toContain("cto.primary");
    expect(due(i, 60)).toContain("cto.primary");
  });

  it("a Critical incident acknowledged at 3 min still reaches the Security Lead at 15 and the CTO at 60 (broad impact), but no stand-in", () => {
    const log = run(incident("critical", ["entryPoint", "accountFactory"]), 90, ROLES, (i, m) => (m === 3 ? acknowledge(i, { now: at(3), by: "Ona" }) : i));
    expect(log).toEqual(["0 onCall.primary", "15 securityLead.primary", "60 cto.primary"]);
  });

  it("a High incident reaches the Security Lead only when unacknowledged at 15 min, and never the CTO", () => {
    expect(run(incident("high"), 90)).toEqual(["0 onCall.primary", "5 onCall.secondary", "15 securityLead.primary", "30 securityLead.backup"]);
    expect(run(incident("high"), 90, ROLES, (i, m) => (m === 10 ? acknowledge(i, { now: at(10), by: "Otto" }) : i))).toEqual(["0 onCall.primary", "5 onCall.secondary"]);
  });

  it("Medium and Low incidents stay with on-call", () => {
    expect(run(incident("medium"), 120)).toEqual(["0 onCall.primary", "5 onCall.secondary"]);
    expect(run(incident("low"), 120)).toEqual(["0 onCall.primary", "5 onCall.secondary"]);
  });

  it("broad impact is two or more guarded layers: a Critical incident on one layer never pages the CTO", () => {
    expect(hasBroadImpact(incident("critical", ["delegation"]))).toBe(false);
    expect(hasBroadImpact(incident("critical", ["delegation", "accountFactory"]))).toBe(true);
    expect(run(incident("critical", ["delegation"]), 120).map((l) => l.split(" ")[1])).not.toContain("cto.primary");
  });

  it("reads severity and layers as they are now: raised to Critical at 40 min, the Security Lead is paged at once", () => {
    const log = run(incident("medium"), 70, ROLES, (i, m) => (m === 40 ? { ...i, severity: "critical", affected: { ...i.affected, layers: ["entryPoint", "accountFactory"] } } : i));
    expect(log).toEqual(["0 onCall.primary", "5 onCall.secondary", "40 securityLead.primary", "40 securityLead.backup", "60 cto.primary", "75 cto.backup"].filter((l) => Number(l.split(" ")[0]) <= 70));
  });

  it("a daemon back after 80 min pages every role that came due, once each; a second pass pages nobody", () => {
    const i = frozen(incident("critical", ["entryPoint", "accountFactory", "delegation"]));
    const first = pageRoles(i, ROLES, at(80));
    expect(first.pages.map((p) => p.slot)).toEqual(["onCall.primary", "onCall.secondary", "securityLead.primary", "securityLead.backup", "cto.primary", "cto.backup"]);
    expect(first.incident.timeline.slice(-6).every((e) => e.kind === "escalated" && !e.public && e.by === "guardian")).toBe(true);
    expect(first.incident.timeline.at(-2)!.message).toBe("Paged CTO Cato per the response plan (critical affecting 3 layers, 60 min after opening).");
    const second = pageRoles(first.incident, ROLES, at(81));
    expect(second.pages).toEqual([]);
    expect(second.incident).toBe(first.incident);
  });

  it("nothing for an incident no longer open, and nothing for roles not configured", () => {
    const recovered = transition(incident("critical", ["entryPoint", "accountFactory"]), "recovered", { now: at(1), message: "fixed" });
    expect(due(recovered, 90)).toEqual([]);
    expect(due(incident("critical", ["entryPoint", "accountFactory"]), 90, roleContacts({ securityLead: { primary: { name: "Sela", channel: "log" } } }))).toEqual(["securityLead.primary"]);
    expect(due(incident("critical"), 90, {})).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { InvalidDisclosureError } from "./errors.js";
import { openIncident, transition } from "./lifecycle.js";
import { toPublic } from "./public.js";
import { approveDisclosure, incidentClass, isDisclosed, publicFace } from "./public-face.js";
import { addr, at, T0 } from "./test-builders.js";
import type { Layer } from "../types.js";

const STRANGER = "0x5eC0Ffee000000000000000000000000DeadBeef";
const APPROVERS = [
  { name: "Sam Security", role: "securityLead" as const },
  { name: "Casey CTO", role: "cto" as const },
];

function detectorIncident(key: string, title: string, layers: Layer[], source = key.split(":")[0]!) {
  return openIncident({ key, title, severity: "critical", affected: { layers, contracts: [addr(1)] }, source, now: T0 });
}

describe("public face", () => {
  it("operational symptoms get a sentence for users, never the detector's title", () => {
    const cases: Array<[string, Layer[], string]> = [
      ["account-creation:failing", ["accountFactory"], "Creating new smart accounts is failing"],
      ["user-operations:failing", ["entryPoint"], "Some sponsored transactions are failing"],
      ["delegation:failing", ["delegation"], "Some delegation redemptions are failing"],
      ["gas-spike:base-fee", ["entryPoint"], "Network fees are higher than usual"],
      ["rpc-health:chain-stalled:138", [], "The network is not confirming transactions"],
      ["rpc-health:endpoint-down:besu-1", [], "Status updates may be delayed"],
      ["chain-reorg:138:11:0xab", [], "Recent blocks were reorganised"],
      ["pause-changed:layer:delegation:0x1234", ["delegation"], "Delegation redemption paused"],
      ["custom-detector:x", ["entryPoint", "delegation"], "Gas sponsorship and delegation redemption degraded"],
    ];
    for (const [key, layers, title] of cases) {
      const incident = detectorIncident(key, `internal title of ${key}: AA13 initCode failed ${STRANGER}`, layers);
      expect(incidentClass(incident), key).toBe("operational");
      expect(isDisclosed(incident), key).toBe(true);
      const pub = toPublic(incident);
      expect(pub.title, key).toBe(title);
      expect(JSON.stringify(pub), key).not.toContain("internal title");
      expect(JSON.stringify(pub), key).not.toContain(STRANGER.slice(2, 12));
    }
  });

  it("a manual incident keeps the operator's own title and opening", () => {
    const incident = openIncident({ key: "manual:1", title: "Planned bundler restart overran", message: "Bundler restarted; some operations were delayed.", severity: "low", affected: { layers: [], contracts: [] }, source: "manual", now: T0 });
    expect(publicFace(incident)).toEqual({ class: "operational", title: "Planned bundler restart overran", opening: "Bundler restarted; some operations were delayed." });
  });

  it("security incidents (ownership, roles, upgrades, outflows, foreign pauses, pause ability) are hidden until approved", () => {
    for (const key of [`security:ownership:${STRANGER}`, "security:roles:0xhub", "security:upgrade:0xpm", "outflow:paymaster-deposit:0xpm", `pause-changed:foreign-pause:${STRANGER}:0xtx`, "pause-ability:sentinel-role"]) {
      const incident = detectorIncident(key, `Ownership moved to ${STRANGER}`, ["entryPoint"]);
      expect(incidentClass(incident), key).toBe("security");
      expect(isDisclosed(incident), key).toBe(false);
      const pub = toPublic(incident);
      expect(pub.title).toBe("Security incident affecting gas sponsorship");
      expect(JSON.stringify(pub)).not.toContain(STRANGER.slice(2, 12));
    }
  });

  it("approveDisclosure: only a configured Security Lead or CTO (case-insensitive name), only security incidents; a message becomes a public update", () => {
    let incident = detectorIncident(`security:ownership:${STRANGER}`, `Ownership of the paymaster moved to ${STRANGER}`, ["entryPoint"]);
    incident = transition(incident, "contained", { now: at(1) });
    expect(() => approveDisclosure(incident, { by: "mallory", approvers: APPROVERS, now: at(2) })).toThrow(InvalidDisclosureError);
    expect(() => approveDisclosure(incident, { by: "mallory", approvers: APPROVERS, now: at(2) })).toThrow(/--by: "mallory" is not a configured Security Lead or CTO \(expected one of: Sam Security, Casey CTO\)/);
    expect(() => approveDisclosure(incident, { by: "Sam Security", approvers: [], now: at(2) })).toThrow(/no Security Lead or CTO is configured/);
    const operational = detectorIncident("delegation:failing", "x", ["delegation"]);
    expect(() => approveDisclosure(operational, { by: "Sam Security", approvers: APPROVERS, now: at(2) })).toThrow(/is operational: it is published automatically/);

    const approved = approveDisclosure(incident, { by: "casey cto", approvers: APPROVERS, message: "The paymaster's ownership was changed without authorisation; sponsorship is paused. No user funds are affected.", now: at(3) });
    expect(approved.disclosure).toEqual({ at: at(3).toISOString(), by: "Casey CTO", role: "cto" });
    expect(isDisclosed(approved)).toBe(true);
    expect(toPublic(approved).updates.map((u) => u.message)).toEqual([
      "We are investigating a security issue affecting gas sponsorship. Affected services may be paused to protect users; we will post updates here.",
      "The issue has been contained; we are monitoring the results.",
      "The paymaster's ownership was changed without authorisation; sponsorship is paused. No user funds are affected.",
    ]);
    // Approving again keeps the first approval.
    expect(approveDisclosure(approved, { by: "Sam Security", approvers: APPROVERS, now: at(4) }).disclosure).toEqual(approved.disclosure);
  });
});

import { describe, expect, it } from "vitest";
import { acknowledge, addTimelineEntry, transition } from "./lifecycle.js";
import { toPublic } from "./public.js";
import { anIncident, at, evidence, T0 } from "./test-builders.js";

describe("toPublic", () => {
  it("keeps only public fields and public entries, with the status each update had", () => {
    let incident = anIncident({ evidence: evidence(5, { drained: "1000" }), by: "daemon-secret-name" });
    incident = acknowledge(incident, { now: at(1), by: "alice" });
    incident = addTimelineEntry(incident, { kind: "note", message: "INTERNAL: suspect key compromise" }, at(2));
    incident = transition(incident, "contained", { now: at(3), message: "Paymaster sponsorship paused." });
    incident = transition(incident, "recovered", { now: at(9) });
    const pub = toPublic(incident);
    expect(pub).toEqual({
      id: incident.id,
      title: "Gas sponsorship degraded",
      severity: "high",
      status: "resolved",
      affected: incident.affected,
      createdAt: T0.toISOString(),
      updatedAt: at(9).toISOString(),
      resolvedAt: at(9).toISOString(),
      updates: [
        { id: incident.timeline[0]!.id, at: T0.toISOString(), status: "investigating", message: "Gas sponsorship is not working as expected. We are investigating." },
        { id: expect.any(String), at: at(3).toISOString(), status: "monitoring", message: "Paymaster sponsorship paused." },
        { id: expect.any(String), at: at(9).toISOString(), status: "resolved", message: "This incident has been resolved." },
      ],
    });
    const text = JSON.stringify(pub);
    for (const secret of [incident.title, "INTERNAL", "alice", "daemon-secret-name", "drained", evidence(5).blockHash, incident.key, "oncall"])
      expect(text).not.toContain(secret);
  });

  it("shows title and messages without control, bidi or zero-width characters (an older store may hold them); messages keep their lines", () => {
    // A manual incident: its title and opening are the operator's words (an older store may hold such characters).
    let incident = anIncident({ title: "Paymaster\u001b[2J\ndrained\u202E", source: "manual", key: "manual:1" });
    incident = transition(incident, "contained", { now: at(3), message: "Paused.\r\n\r\n\r\nAll clear\u200B\u2028\u001b]0;x\u0007done" });
    const pub = toPublic(incident);
    expect(pub.title).toBe("Paymaster[2J drained");
    expect(pub.updates.map((u) => u.message)).toEqual(["Paymaster[2J\ndrained", "Paused.\n\nAll clear\n]0;xdone"]);
  });
});

import { describe, expect, it } from "vitest";
import { GUARDIAN, HUB, DM, PAYMASTER, SENTINEL, layerPausedLog, layerUnpausedLog, pausableLog } from "../../../test/daemon/helpers/logs.js";
import { decodeLogs } from "../decode/events.js";
import { initialPauseChangedState, PAUSE_CHANGED_DEFAULTS, pauseChanged } from "../detectors/pause-changed.js";
import { hubIncidentRef } from "../runtime/circuit-breaker.js";
import type { BlockRef, ChainLog, Finding, Hex, Incident } from "../types.js";
import { correlateFinding } from "./correlate.js";
import { ownPauseIncident, pauseRefOf } from "./own-pause.js";
import { toPublic } from "./public.js";

const RELEASE_TX: Hex = `0x${"5e".repeat(32)}`;
const AUTO = { entryPoint: true, accountFactory: true, delegation: true } as const;
const NOW = new Date("2026-05-01T10:00:00.000Z");
const later = (s: number) => new Date(NOW.getTime() + s * 1000);
const block = (n: number): BlockRef => ({ number: n, hash: `0x${n.toString(16).padStart(64, "0")}`, parentHash: `0x${(n - 1).toString(16).padStart(64, "0")}`, timestamp: 1_777_000_000 + n });
const decodeConfig = { hub: HUB, targets: { [DM]: "delegation" as const, [PAYMASTER]: "entryPoint" as const } };

function findingsOf(logs: ChainLog[], n: number): Finding[] {
  return pauseChanged({ block: block(n), events: decodeLogs(logs, decodeConfig), hub: HUB, observedAt: later(n).toISOString() }, initialPauseChangedState(), PAUSE_CHANGED_DEFAULTS).findings;
}

function fold(incidents: Record<string, Incident>, findings: Finding[], at: Date) {
  const created: Incident[] = [];
  for (const f of findings) {
    const r = correlateFinding(incidents, f, { now: at, autoPause: AUTO });
    if (r.incident) incidents[r.incident.id] = r.incident;
    if (r.created && r.incident) created.push(r.incident);
  }
  return created;
}

/** A Critical delegation incident, as a detector opens it. */
function critical(): Record<string, Incident> {
  const incidents: Record<string, Incident> = {};
  const f: Finding = {
    detector: "delegation",
    key: "delegation:failing",
    severity: "critical",
    title: "Delegation redemptions failing",
    summary: "internal summary",
    layers: ["delegation"],
    contracts: [DM],
    observedAt: NOW.toISOString(),
  };
  fold(incidents, [f], NOW);
  return incidents;
}

describe("Guardian's own pause is part of its incident", () => {
  it("uses the circuit breaker's incident reference", () => {
    expect(pauseRefOf("0b7e2b1c-1111-8222-9333-444455556666")).toBe(hubIncidentRef("0b7e2b1c-1111-8222-9333-444455556666"));
  });

  it("the sentinel's pause, its confirmation and its release are public entries of the incident, not incidents", () => {
    const incidents = critical();
    const incident = Object.values(incidents)[0]!;
    const ref = pauseRefOf(incident.id);
    const paused = findingsOf([layerPausedLog({ layer: 2, by: SENTINEL, until: 1_777_003_600n, bySentinel: true, incident: ref, logIndex: 0 }), pausableLog(DM, "Paused", HUB, 1)], 11);
    expect(paused).toHaveLength(1);
    expect(fold(incidents, paused, later(11))).toEqual([]);
    // The same block again (a restart re-processes it): nothing new.
    expect(fold(incidents, findingsOf([layerPausedLog({ layer: 2, by: SENTINEL, until: 1_777_003_600n, bySentinel: true, incident: ref, logIndex: 0 }), pausableLog(DM, "Paused", HUB, 1)], 11), later(12))).toEqual([]);
    const released = findingsOf([layerUnpausedLog({ layer: 2, by: GUARDIAN, expired: true, incident: ref, logIndex: 0, txHash: RELEASE_TX }), pausableLog(DM, "Unpaused", HUB, 1, RELEASE_TX)], 20);
    expect(fold(incidents, released, later(20))).toEqual([]);

    expect(Object.keys(incidents)).toEqual([incident.id]);
    const updates = toPublic(incidents[incident.id]!).updates.map((u) => u.message);
    expect(updates).toEqual([
      "Some delegation redemptions are failing. We are investigating.",
      "Delegation redemption is paused by Guardian's automatic circuit breaker to protect users while we investigate.",
      "The automatic pause of delegation redemption has ended; it is available again.",
    ]);
    // The evidence is kept, privately.
    const entry = incidents[incident.id]!.timeline.find((e) => e.public && e.message.includes("circuit breaker"))!;
    expect(entry.evidence).toEqual(paused[0]!.evidence);
    expect(JSON.stringify(toPublic(incidents[incident.id]!))).not.toContain(SENTINEL.toLowerCase().slice(2, 10));
    // Still open and Critical: a pause is not a resolution.
    expect(incidents[incident.id]!.state).toBe("detected");
  });

  it("a pause with no reference, or a reference to no known incident, stays an incident; so does a pause made around the hub", () => {
    const incidents = critical();
    const unknownRef: Hex = `0x${"12".repeat(32)}`;
    const zero: Hex = `0x${"00".repeat(32)}`;
    expect(fold(incidents, findingsOf([layerPausedLog({ layer: 0, by: SENTINEL, until: 1_777_003_600n, bySentinel: true, incident: unknownRef, logIndex: 0 })], 12), later(12))).toHaveLength(1);
    expect(fold(incidents, findingsOf([layerPausedLog({ layer: 0, by: GUARDIAN, until: 2n ** 64n - 1n, bySentinel: false, incident: zero, logIndex: 0, txHash: `0x${"77".repeat(32)}` })], 13), later(13))).toHaveLength(1);
    const foreign = fold(incidents, findingsOf([pausableLog(DM, "Paused", GUARDIAN, 0)], 14), later(14));
    expect(foreign.map((i) => i.title)).toEqual([expect.stringMatching(/paused outside Guardian$/)]);
    expect(ownPauseIncident(Object.values(incidents), findingsOf([pausableLog(DM, "Paused", GUARDIAN, 0)], 15)[0]!)).toBeUndefined();
  });

  it("a guardian pause citing the incident (safe propose --incident) names both layers in words", () => {
    const incidents = critical();
    const incident = Object.values(incidents)[0]!;
    const ref = pauseRefOf(incident.id);
    const findings = findingsOf(
      [
        layerPausedLog({ layer: 0, by: GUARDIAN, until: 2n ** 64n - 1n, bySentinel: false, incident: ref, logIndex: 0 }),
        layerPausedLog({ layer: 2, by: GUARDIAN, until: 2n ** 64n - 1n, bySentinel: false, incident: ref, logIndex: 1 }),
      ],
      16,
    );
    expect(fold(incidents, findings, later(16))).toEqual([]);
    expect(toPublic(incidents[incident.id]!).updates.slice(1).map((u) => u.message)).toEqual([
      "Gas sponsorship is paused by the guardian multisig while we investigate.",
      "Delegation redemption is paused by the guardian multisig while we investigate.",
    ]);
  });
});

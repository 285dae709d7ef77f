import { describe, expect, test } from "vitest";
import { DM, GUARDIAN, HUB, INCIDENT, PAYMASTER, SENTINEL, layerPausedLog, layerUnpausedLog, pausableLog } from "../../../test/daemon/helpers/logs.js";
import { decodeLogs } from "../decode/events.js";
import type { BlockRef, ChainLog, Hex } from "../types.js";
import { PAUSE_CHANGED_DEFAULTS, initialPauseChangedState, pauseChanged } from "./pause-changed.js";

const block: BlockRef = { number: 10, hash: `0x${"ef".repeat(32)}`, parentHash: `0x${"ee".repeat(32)}`, timestamp: 1_700_000_000 };
const OBSERVED = "2026-01-01T00:00:00.000Z";
const decodeConfig = { hub: HUB, targets: { [DM]: "delegation" as const, [PAYMASTER]: "entryPoint" as const } };
const ZERO32: Hex = `0x${"00".repeat(32)}`;
const OTHER_TX: Hex = `0x${"99".repeat(32)}`;

function run(logs: ChainLog[], state = initialPauseChangedState(), options: { hub?: typeof HUB } = { hub: HUB }) {
  const hub = options.hub;
  return pauseChanged(
    { block, events: decodeLogs(logs, decodeConfig), ...(hub ? { hub } : {}), observedAt: OBSERVED },
    state,
    PAUSE_CHANGED_DEFAULTS,
  );
}

describe("pause-changed", () => {
  test("a guardian pause through the hub: one Medium finding, the target's own Paused is not foreign", () => {
    const { findings, nextState } = run([
      layerPausedLog({ layer: 2, by: GUARDIAN, until: 2n ** 64n - 1n, bySentinel: false, logIndex: 0 }),
      pausableLog(DM, "Paused", HUB, 1),
    ]);
    expect(findings).toEqual([
      expect.objectContaining({
        detector: "pause-changed",
        key: `pause-changed:layer:delegation:${INCIDENT}`,
        severity: "medium",
        title: "delegation layer paused by the guardian",
        layers: ["delegation"],
        contracts: [HUB],
        observedAt: OBSERVED,
      }),
    ]);
    expect(findings[0]?.summary).toContain("until the guardian unpauses it");
    expect(findings[0]?.evidence).toMatchObject({ blockNumber: 10, logIndex: 0, values: { layer: 2, by: GUARDIAN, bySentinel: false } });
    expect(nextState.targets[DM]).toEqual({ paused: true, byGuardian: true, blockNumber: 10 });
  });

  test("a sentinel pause says so and when it lapses", () => {
    const { findings } = run([layerPausedLog({ layer: 0, by: SENTINEL, until: 1_700_003_600n, bySentinel: true }), pausableLog(PAYMASTER, "Paused", HUB)]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ title: "entryPoint layer paused by the sentinel", severity: "medium" });
    expect(findings[0]?.summary).toContain("2023-11-14T23:13:20.000Z");
  });

  test("a target paused without a hub event in the same transaction is a foreign pause (High)", () => {
    const { findings, nextState } = run([pausableLog(DM, "Paused", GUARDIAN, 0)]);
    expect(findings).toEqual([
      expect.objectContaining({
        key: `pause-changed:foreign-pause:${DM}:${`0x${"cd".repeat(32)}`}`,
        severity: "high",
        title: `Delegation layer's target ${DM} paused outside Guardian`,
        layers: ["delegation"],
        contracts: [DM],
      }),
    ]);
    expect(nextState.targets[DM]).toMatchObject({ paused: true, byGuardian: false });
  });

  test("a hub pause in another transaction does not cover a target's pause", () => {
    const { findings } = run([
      layerPausedLog({ layer: 2, by: GUARDIAN, until: 1n, bySentinel: false, txHash: OTHER_TX }),
      pausableLog(DM, "Paused", HUB, 1),
    ]);
    expect(findings.map((f) => f.severity)).toEqual(["medium", "high"]);
  });

  test("a Paused on behalf of someone other than the hub is foreign even next to a hub event", () => {
    const { findings } = run([layerPausedLog({ layer: 2, by: GUARDIAN, until: 1n, bySentinel: false }), pausableLog(DM, "Paused", GUARDIAN, 1)]);
    expect(findings.map((f) => f.key)).toContain(`pause-changed:foreign-pause:${DM}:${`0x${"cd".repeat(32)}`}`);
    expect(findings.find((f) => f.severity === "high")?.summary).toContain(`on behalf of ${GUARDIAN}, not the GuardianHub`);
  });

  test("a hub pause of another layer does not cover the target", () => {
    const { findings } = run([layerPausedLog({ layer: 0, by: GUARDIAN, until: 1n, bySentinel: false }), pausableLog(DM, "Paused", HUB, 1)]);
    expect(findings.filter((f) => f.severity === "high")).toHaveLength(1);
  });

  test("an unpause through the hub is recorded (Low, recovered) and shares the pause's key", () => {
    const paused = run([layerPausedLog({ layer: 2, by: GUARDIAN, until: 1n, bySentinel: false }), pausableLog(DM, "Paused", HUB, 1)]);
    const { findings, nextState } = run(
      [layerUnpausedLog({ layer: 2, by: GUARDIAN, expired: false, txHash: OTHER_TX }), pausableLog(DM, "Unpaused", HUB, 1, OTHER_TX)],
      paused.nextState,
    );
    expect(findings).toEqual([
      expect.objectContaining({ key: paused.findings[0]?.key, severity: "low", title: "delegation layer unpaused by the guardian", recovered: true }),
    ]);
    expect(nextState.targets[DM]).toMatchObject({ paused: false, byGuardian: true });
  });

  test("an unpause outside the hub is a foreign unpause (High)", () => {
    const { findings } = run([pausableLog(DM, "Unpaused", GUARDIAN)]);
    expect(findings).toMatchObject([{ key: `pause-changed:foreign-unpause:${DM}:${`0x${"cd".repeat(32)}`}`, severity: "high" }]);
  });

  test("without a configured hub every target pause is foreign", () => {
    const { findings } = run([pausableLog(DM, "Paused", HUB)], initialPauseChangedState(), {});
    expect(findings[0]?.summary).toContain("no GuardianHub is configured");
  });

  test("keys come from the cause: a pause without an incident reference is keyed by its transaction", () => {
    const a = run([layerPausedLog({ layer: 1, by: GUARDIAN, until: 1n, bySentinel: false, incident: ZERO32 })]);
    const b = run([layerPausedLog({ layer: 1, by: GUARDIAN, until: 1n, bySentinel: false, incident: ZERO32 })]);
    expect(a.findings[0]?.key).toBe(`pause-changed:layer:accountFactory:0x${"cd".repeat(32)}`);
    expect(a).toEqual(b);
  });

  test("thresholds set the severities", () => {
    const { findings } = pauseChanged(
      { block, events: decodeLogs([pausableLog(DM, "Paused", GUARDIAN)], decodeConfig), hub: HUB, observedAt: OBSERVED },
      initialPauseChangedState(),
      { ...PAUSE_CHANGED_DEFAULTS, foreignPause: "critical" },
    );
    expect(findings[0]?.severity).toBe("critical");
  });
});

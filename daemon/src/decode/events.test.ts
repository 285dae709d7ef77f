import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { toEventSelector, type AbiEvent } from "viem";
import { describe, expect, test } from "vitest";
import { BLOCK, DM, GUARDIAN, HUB, INCIDENT, PAYMASTER, TX, layerPausedLog, layerUnpausedLog, makeLog, pausableLog } from "../../../test/daemon/helpers/logs.js";
import type { Address } from "../types.js";
import { guardianHubEventsAbi } from "./abis.js";
import { decodeLogs } from "./events.js";

describe("decodeLogs", () => {
  const config = { hub: HUB, targets: { [DM]: "delegation" as const, [PAYMASTER]: "entryPoint" as const } };

  test("decodes the hub's pause and unpause into typed facts", () => {
    const events = decodeLogs(
      [
        layerPausedLog({ layer: 2, by: GUARDIAN, until: 2n ** 64n - 1n, bySentinel: false }),
        layerUnpausedLog({ layer: 0, by: GUARDIAN, expired: true, logIndex: 3 }),
      ],
      config,
    );
    expect(events).toEqual([
      {
        kind: "hub.layerPaused",
        hub: HUB,
        layerId: 2,
        layer: "delegation",
        by: GUARDIAN,
        until: "18446744073709551615",
        bySentinel: false,
        incident: INCIDENT,
        at: { blockNumber: 10, blockHash: BLOCK, txHash: TX, logIndex: 0 },
      },
      {
        kind: "hub.layerUnpaused",
        hub: HUB,
        layerId: 0,
        layer: "entryPoint",
        by: GUARDIAN,
        incident: INCIDENT,
        expired: true,
        at: { blockNumber: 10, blockHash: BLOCK, txHash: TX, logIndex: 3 },
      },
    ]);
  });

  test("decodes Pausable's Paused/Unpaused of a target, with its layer", () => {
    expect(decodeLogs([pausableLog(DM, "Paused", HUB), pausableLog(PAYMASTER, "Unpaused", GUARDIAN, 2)], config)).toMatchObject([
      { kind: "target.paused", target: DM, layer: "delegation", account: HUB },
      { kind: "target.unpaused", target: PAYMASTER, layer: "entryPoint", account: GUARDIAN },
    ]);
  });

  test("believes hub events only from the hub, and Pausable events only from targets", () => {
    const impostor: Address = "0x9999999999999999999999999999999999999999";
    expect(decodeLogs([layerPausedLog({ layer: 1, by: GUARDIAN, until: 1n, bySentinel: true, hub: impostor })], config)).toEqual([]);
    expect(decodeLogs([pausableLog(impostor, "Paused", GUARDIAN)], config)).toEqual([]);
    expect(decodeLogs([pausableLog(DM, "Paused", GUARDIAN)], { targets: {} })).toEqual([]);
  });

  test("keeps an unknown layer id instead of inventing a layer; skips unknown events", () => {
    const [event] = decodeLogs(
      [layerPausedLog({ layer: 7, by: GUARDIAN, until: 5n, bySentinel: true }), makeLog(HUB, [`0x${"00".repeat(32)}`], "0x")],
      config,
    );
    expect(event).toMatchObject({ kind: "hub.layerPaused", layerId: 7 });
    expect(event && "layer" in event).toBe(false);
  });

  test("matches checksummed config addresses against lowercase logs", () => {
    const checksummed = { hub: "0x1111111111111111111111111111111111111111" as Address, targets: { "0x2222222222222222222222222222222222222222": "delegation" as const } };
    expect(decodeLogs([pausableLog(DM, "Paused", HUB)], checksummed)).toHaveLength(1);
  });

  const artifact = path.resolve(import.meta.dirname, "../../../artifacts/contracts/GuardianHub.sol/GuardianHub.json");
  test.skipIf(!existsSync(artifact))("the ABI fragments match the compiled GuardianHub", () => {
    const abi = (JSON.parse(readFileSync(artifact, "utf8")) as { abi: AbiEvent[] }).abi.filter((e) => e.type === "event");
    const compiled = new Set(abi.map((e) => toEventSelector(e)));
    for (const e of guardianHubEventsAbi) expect(compiled.has(toEventSelector(e as AbiEvent)), e.name).toBe(true);
    // Indexed-ness is part of the shape too.
    for (const e of guardianHubEventsAbi) {
      const c = abi.find((x) => x.name === e.name);
      expect(c?.inputs.map((i) => [i.type, i.indexed]), e.name).toEqual((e as AbiEvent).inputs.map((i) => [i.type, i.indexed ?? false]));
    }
  });
});

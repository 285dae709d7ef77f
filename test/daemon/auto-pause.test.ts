/**
 * The circuit breaker on a real Critical symptom, end to end through the
 * daemon: with 2 s interval mining (chain 138), healthy kit traffic raises nothing; an
 * unauthorized ownership transfer of the paymaster opens a Critical incident,
 * the sentinel pauses the EntryPoint layer within two blocks of the
 * symptom's block, the incident is Contained, and exactly one pause was sent.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import pino from "pino";
import { parseAbi } from "viem";
import { startDaemon, type RunningDaemon } from "../../daemon/src/runtime/daemon.js";
import { healthyTraffic, runScenario } from "../../scripts/lib/scenarios.js";
import { waitFor } from "./helpers/memory-sink.js";
import { startStack, type StackEnv } from "./helpers/stack.js";

let s: StackEnv;
let daemon: RunningDaemon;
const isPaused = (layer: number) =>
  s.client.readContract({ address: s.deployment.guardian.hub, abi: parseAbi(["function isPaused(uint8) view returns (bool)"]), functionName: "isPaused", args: [layer] });

beforeAll(async () => {
  s = await startStack({ blockTimeMs: 2000 });
  daemon = await startDaemon({ config: s.config(), publishIntervalSeconds: 3600, heartbeatIntervalSeconds: 0, pauseAbilityIntervalSeconds: 3600, logger: pino({ level: "silent" }) });
  await s.rpc("evm_setAutomine", [false]);
  await s.rpc("evm_setIntervalMining", [2000]); // chain 138: a block every 2 s
});
afterAll(async () => {
  await daemon?.stop();
  await s?.chain.stop();
});

describe("circuit breaker on a real symptom", () => {
  it("healthy kit traffic opens no incident", async () => {
    const ctx = { client: s.client as never, wallets: s.wallets, deployment: s.deployment };
    const healthy = await healthyTraffic(ctx, { rounds: 2 });
    await waitFor(() => (daemon.store.read().chain.ring.at(-1)?.number ?? 0) >= healthy.toBlock, 30_000, "daemon past the traffic");
    expect(Object.values(daemon.store.read().incidents).map((i) => i.key)).toEqual([]);
  });

  it("an unauthorized ownership transfer is paused by the sentinel within two blocks, once", async () => {
    const ctx = { client: s.client as never, wallets: s.wallets, deployment: s.deployment };
    const attack = await runScenario(ctx, "ownership-transfer");
    const expected = attack.expected[0]!;
    await waitFor(() => Object.values(daemon.store.read().incidents).some((i) => i.key === expected.key && i.state === "contained"), 30_000, "the incident contained");
    const found = Object.values(daemon.store.read().incidents).find((i) => i.key === expected.key)!;
    expect(found.severity).toBe("critical");
    expect(await isPaused(0)).toBe(true);
    const pause = found.timeline.find((e) => e.kind === "action" && e.evidence?.txHash)!;
    const symptomBlock = Number(pause.evidence!.values.symptomBlock);
    expect(symptomBlock).toBeGreaterThanOrEqual(attack.fromBlock);
    expect(pause.evidence!.blockNumber - symptomBlock).toBeLessThanOrEqual(2);
    expect(Number(pause.evidence!.values.secondsToPause)).toBeGreaterThanOrEqual(0);
    const journal = daemon.store.read().outbox.filter((o) => o.kind === "sentinel-pause" && o.incidentId === found.id);
    expect(journal).toHaveLength(1);
    expect(journal[0]!.status).toBe("done");
  });
});

/**
 * The circuit breaker on a real Critical symptom, end to end through the
 * daemon, as a suite run on each node implementation and RPC setup: with
 * 2 s interval mining (chain 138's block time), healthy kit traffic raises
 * nothing; an unauthorized ownership transfer of the paymaster opens a
 * Critical incident, the sentinel pauses the EntryPoint layer within two
 * blocks of the symptom's block, the incident is Contained, exactly one
 * pause was sent, and that pause is a public entry of the incident rather
 * than an incident of its own.
 *
 * `rpc` puts endpoints in front of the node (e.g. fault proxies imposing a
 * provider's limits) and checks, after the pause, what they saw.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { parseAbi } from "viem";
import { startDaemon, type RunningDaemon } from "../../../daemon/src/runtime/daemon.js";
import { healthyTraffic, runScenario } from "../../../scripts/lib/scenarios.js";
import { waitFor } from "../helpers/memory-sink.js";
import { startStack, type NodeKind, type StackEnv } from "../helpers/stack.js";

export interface AutoPauseRpc {
  /** The daemon's endpoint URLs, given the node's. */
  urls: string[];
  /** Checks after the pause landed. */
  check?(daemon: RunningDaemon): void;
  close(): Promise<void>;
}

export interface AutoPauseSuiteOptions {
  node: NodeKind;
  /** Endpoints in front of the node; default: the node itself. */
  rpc?: (nodeUrl: string) => Promise<AutoPauseRpc>;
}

export function autoPauseSuite(title: string, options: AutoPauseSuiteOptions): void {
  let s: StackEnv;
  let daemon: RunningDaemon;
  let rpc: AutoPauseRpc | undefined;
  const isPaused = (layer: number) =>
    s.client.readContract({ address: s.deployment.guardian.hub, abi: parseAbi(["function isPaused(uint8) view returns (bool)"]), functionName: "isPaused", args: [layer] });

  describe(title, () => {
    beforeAll(async () => {
      s = await startStack({ blockTimeMs: 2000, node: options.node });
      rpc = options.rpc ? await options.rpc(s.chain.url) : undefined;
      const config = rpc ? s.config({ rpcUrls: rpc.urls }) : s.config();
      daemon = await startDaemon({ config, publishIntervalSeconds: 3600, heartbeatIntervalSeconds: 0, pauseAbilityIntervalSeconds: 3600, logger: pino({ level: "silent" }) });
      await s.intervalMining(2000); // chain 138: a block every 2 s
    });
    afterAll(async () => {
      await daemon?.stop();
      await rpc?.close();
      await s?.chain.stop();
    });

    it("healthy kit traffic opens no incident", async () => {
      const ctx = { client: s.client as never, wallets: s.wallets, deployment: s.deployment };
      const healthy = await healthyTraffic(ctx, { rounds: 2 });
      await waitFor(() => (daemon.store.read().chain.ring.at(-1)?.number ?? 0) >= healthy.toBlock, 60_000, "daemon past the traffic");
      expect(Object.values(daemon.store.read().incidents).map((i) => i.key)).toEqual([]);
    });

    it("an unauthorized ownership transfer is paused by the sentinel within two blocks, once", async () => {
      const ctx = { client: s.client as never, wallets: s.wallets, deployment: s.deployment };
      const attack = await runScenario(ctx, "ownership-transfer");
      const expected = attack.expected[0]!;
      await waitFor(() => Object.values(daemon.store.read().incidents).some((i) => i.key === expected.key && i.state === "contained"), 60_000, "the incident contained");
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
      // The sentinel's pause, once the daemon has read it from the hub, is an entry of this incident, not an incident of its own.
      await waitFor(
        () => daemon.store.read().incidents[found.id]!.timeline.some((e) => e.public && /paused by Guardian's automatic circuit breaker/.test(e.message)),
        60_000,
        "the sentinel's pause recorded on the incident",
      );
      expect(Object.values(daemon.store.read().incidents).filter((i) => i.key.startsWith("pause-changed:"))).toEqual([]);
      rpc?.check?.(daemon);
    });
  });
}

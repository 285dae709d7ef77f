/**
 * The daemon with WebSocket heads (`rpc.endpoints[].ws`) on Hardhat's EDR
 * (HTTP and WebSocket on one port), automine on. Its block time is set to a
 * minute, so its HTTP poll comes a minute after a block and its fallback poll
 * (heads live) every three: a block processed within seconds was processed
 * because a head woke the follower. Blocks are followed one by one, and an
 * unauthorized ownership transfer is paused by the sentinel through the same
 * wake-ups (the pause's own block included).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { parseAbi } from "viem";
import { startDaemon, type RunningDaemon } from "../../daemon/src/runtime/daemon.js";
import { runScenario } from "../../scripts/lib/scenarios.js";
import { waitFor } from "./helpers/memory-sink.js";
import { startStack, type StackEnv } from "./helpers/stack.js";

/** Far below the one-minute poll and the three-minute fallback, generous for a loaded machine. */
const WITHIN_MS = 30_000;

let s: StackEnv;
let daemon: RunningDaemon;
const lines: string[] = [];

beforeAll(async () => {
  s = await startStack({ blockTimeMs: 60_000, ws: true });
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
  daemon = await startDaemon({ config: s.config(), publishIntervalSeconds: 3600, heartbeatIntervalSeconds: 0, pauseAbilityIntervalSeconds: 3600, logger });
  await waitFor(() => lines.some((l) => l.includes("new-heads subscription") && l.includes('"state":"live"')), WITHIN_MS, "the newHeads subscription live");
  const head = Number(await s.client.getBlockNumber({ cacheTime: 0 }));
  await waitFor(() => (daemon.store.read().chain.ring.at(-1)?.number ?? -1) >= head, WITHIN_MS, "the daemon at the head");
}, 120_000);

afterAll(async () => {
  await daemon?.stop();
  await s?.chain.stop();
});

describe("the daemon woken by WebSocket heads", () => {
  it("processes each new block within seconds although its HTTP poll waits a minute", async () => {
    for (let i = 0; i < 3; i++) {
      await s.rpc("evm_mine");
      const head = Number(await s.client.getBlockNumber({ cacheTime: 0 }));
      await waitFor(() => daemon.store.read().chain.ring.at(-1)?.number === head, WITHIN_MS, `block ${head} processed`);
    }
    expect(lines.filter((l) => l.includes("new-heads subscription down"))).toEqual([]);
  });

  it("an unauthorized ownership transfer is paused by the sentinel", async () => {
    const ctx = { client: s.client as never, wallets: s.wallets, deployment: s.deployment };
    const attack = await runScenario(ctx, "ownership-transfer");
    const expected = attack.expected[0]!;
    await waitFor(() => Object.values(daemon.store.read().incidents).some((i) => i.key === expected.key && i.state === "contained"), WITHIN_MS, "the incident contained");
    const paused = await s.client.readContract({ address: s.deployment.guardian.hub, abi: parseAbi(["function isPaused(uint8) view returns (bool)"]), functionName: "isPaused", args: [0] });
    expect(paused).toBe(true);
  });
});

/**
 * The sentinel's duties (heartbeat, releasing expired pauses) on a real node,
 * gated like every other act of a replica: while `mayAct` says this process
 * does not lead, no duty spends a sentinel nonce (the pauses' nonces too).
 */
import { getAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SentinelDuties } from "../../daemon/src/runtime/sentinel-duties.js";
import { waitUntil } from "../../scripts/bench/stack.js";
import { devKey, startStack, type StackEnv } from "./helpers/stack.js";

let s: StackEnv;
beforeAll(async () => {
  s = await startStack();
}, 120_000);
afterAll(async () => {
  await s?.chain.stop();
});

describe("sentinel duties", () => {
  it("spend no nonce while the replica does not lead, and beat again once it does", async () => {
    const sentinel = privateKeyToAccount(devKey("sentinel"));
    let leads = false;
    let asked = 0;
    const duties = new SentinelDuties({
      client: s.client as never,
      chain: s.chain.chain,
      hub: getAddress(s.deployment.guardian.hub),
      sentinel,
      heartbeatIntervalSeconds: 1,
      dryRun: false,
      mayAct: () => {
        asked += 1;
        return leads;
      },
    });
    const nonce = () => s.client.getTransactionCount({ address: sentinel.address });
    const before = await nonce();
    duties.start();
    try {
      // Three heartbeats came due and were each refused by the gate.
      await waitUntil(() => asked >= 3, 30_000, "three heartbeats to come due", 50);
      expect(await nonce()).toBe(before);
      leads = true;
      await waitUntil(async () => (await nonce()) > before, 30_000, "a heartbeat once leading", 100);
    } finally {
      await duties.stop();
    }
  }, 120_000);
});

/**
 * Guardian watches its own ability to pause, on a real node with the real
 * stack: the guardian Safe revoking the sentinel's role, the sentinel running
 * out of gas, and a sentinel pause about to end each open an incident, and
 * the incidents clear when the condition ends.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { encodeFunctionData, keccak256, parseAbi, toHex } from "viem";
import { PauseAbilityWatch } from "../../daemon/src/runtime/pause-ability-watch.js";
import { RpcPool } from "../../daemon/src/chain/index.js";
import { openLowdbStore, type LowdbStore } from "../../daemon/src/store/index.js";
import { safeCall } from "../../daemon/src/deploy/local.js";
import { guardianArtifact } from "../../daemon/src/deploy/artifacts.js";
import { raiseInto, startStack, type StackEnv } from "./helpers/stack.js";
import path from "node:path";

const hubAbi = guardianArtifact("GuardianHub").abi;
let s: StackEnv;
let store: LowdbStore;
let watch: PauseAbilityWatch;

async function commitTip() {
  const b = await s.client.getBlock();
  await store.update((d) => {
    d.chain.ring = [{ number: Number(b.number), hash: b.hash }];
  });
}
const openKeys = () => Object.values(store.read().incidents).filter((i) => i.state !== "recovered" && i.state !== "postreview").map((i) => i.key).sort();

beforeAll(async () => {
  s = await startStack();
  const pool = new RpcPool({ endpoints: [s.chain.url], chainId: s.deployment.chainId, timeoutMs: 5000 });
  store = await openLowdbStore({ dataDir: path.join(s.dir, "pa-data"), chainId: s.deployment.chainId, purpose: "test" });
  watch = new PauseAbilityWatch({
    store,
    pool,
    deployment: s.deployment,
    sentinel: s.wallets.sentinel.account.address,
    thresholds: { heartbeatMaxAgeSeconds: 0 },
    intervalSeconds: 3600,
    clock: () => new Date(),
    raise: raiseInto(store),
  });
});
afterAll(async () => {
  await store?.close();
  await s?.chain.stop();
});

describe("pause-ability watch", () => {
  it("a healthy deployment raises nothing", async () => {
    await commitTip();
    expect(await watch.check()).toEqual([]);
  });

  it("the sentinel losing its role, then its gas, each open an incident; restoring them clears both", async () => {
    const sentinel = s.wallets.sentinel.account.address;
    const role = keccak256(toHex("SENTINEL_ROLE"));
    await safeCall(s.client as never, s.deployment.guardian.safe, s.deployment.guardian.hub, encodeFunctionData({ abi: hubAbi, functionName: "revokeRole", args: [role, sentinel] }), [s.wallets.owner1, s.wallets.owner2]);
    const balance = await s.client.getBalance({ address: sentinel });
    await s.rpc("hardhat_setBalance", [sentinel, "0x1"]);
    await s.rpc("evm_mine");
    await commitTip();
    const raised = await watch.check();
    expect(raised.map((f) => f.key).sort()).toEqual(["pause-ability:sentinel-gas", "pause-ability:sentinel-role"]);
    expect(openKeys()).toEqual(["pause-ability:sentinel-gas", "pause-ability:sentinel-role"]);
    expect(await watch.check()).toEqual([]); // reported once

    await safeCall(s.client as never, s.deployment.guardian.safe, s.deployment.guardian.hub, encodeFunctionData({ abi: hubAbi, functionName: "grantRole", args: [role, sentinel] }), [s.wallets.owner1, s.wallets.owner2]);
    await s.rpc("hardhat_setBalance", [sentinel, toHex(balance)]);
    await s.rpc("evm_mine");
    await commitTip();
    const cleared = await watch.check();
    expect(cleared.every((f) => f.recovered)).toBe(true);
    expect(openKeys()).toEqual([]);
  });

  it("warns when a sentinel pause is about to end unconfirmed", async () => {
    await s.wallets.sentinel.writeContract({ address: s.deployment.guardian.hub, abi: hubAbi, functionName: "sentinelPause", args: [[2], keccak256(toHex("x"))] });
    await commitTip();
    expect(await watch.check()).toEqual([]);
    await s.rpc("evm_increaseTime", [3600 - 600]);
    await s.rpc("evm_mine");
    await commitTip();
    const warn = await watch.check();
    expect(warn.map((f) => f.key)).toEqual(["pause-ability:expiry:delegation"]);
    expect(warn[0]!.summary).toMatch(/that pause ends in \d+ s and the layer goes live again/);
    const paused = await s.client.readContract({ address: s.deployment.guardian.hub, abi: parseAbi(["function isPaused(uint8) view returns (bool)"]), functionName: "isPaused", args: [2] });
    expect(paused).toBe(true);
  });

  it("a 600 s sentinel pause (the hub's configured duration) does not start out as ending soon; it warns in its last quarter", async () => {
    // guardian deploy --pause-duration 600: the hub's bounds, set by its admin.
    await s.wallets.deployer.writeContract({ address: s.deployment.guardian.hub, abi: hubAbi, functionName: "setSentinelBounds", args: [600n, 3600n] });
    await s.wallets.sentinel.writeContract({ address: s.deployment.guardian.hub, abi: hubAbi, functionName: "sentinelPause", args: [[1], keccak256(toHex("short"))] });
    // (The delegation layer's earlier one-hour pause is judged against the new bounds too; only this layer's warning matters here.)
    const thisLayer = async () => (await watch.check()).filter((f) => f.key.endsWith(":accountFactory"));
    await s.rpc("evm_mine");
    await commitTip();
    expect((await thisLayer()).map((f) => f.key)).toEqual([]);
    await s.rpc("evm_increaseTime", [300]); // half of it gone: still not "soon"
    await s.rpc("evm_mine");
    await commitTip();
    expect((await thisLayer()).map((f) => f.key)).toEqual([]);
    await s.rpc("evm_increaseTime", [170]); // under 150 s left
    await s.rpc("evm_mine");
    await commitTip();
    const warn = await thisLayer();
    expect(warn.map((f) => f.key)).toEqual(["pause-ability:expiry:accountFactory"]);
    expect(warn[0]!.evidence?.values).toMatchObject({ warnWithinSeconds: 150 });
    expect(Number(warn[0]!.evidence?.values.secondsLeft)).toBeLessThanOrEqual(150);
  });
});

/**
 * The guardian is a real Safe (2-of-3): one signature cannot pause, two can;
 * the sentinel's pause is bounded in time (tested at the boundary second on
 * both sides) and rate-limited; a stranger is refused everywhere.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Address, type Hex, decodeErrorResult, encodeFunctionData, keccak256, toHex, parseAbi } from "viem";
import { simulateCall } from "../../scripts/lib/traffic.js";
import {
  client, networkHelpers, provider, sentinel, user, owner1, owner2, owner3, stranger,
  hubAbi, stack, safeCall, ROLES, SENTINEL_PAUSE, SENTINEL_COOLDOWN,
} from "./fixture.js";
import { buildSafeTx, signSafeTx, safeExecArgs, safeAbi, readSafeState } from "../../daemon/src/respond/safe.js";
import { LAYER_ID } from "../../daemon/src/types.js";

const INCIDENT = keccak256(toHex("incident-sentinel"));
const DELEGATION = [LAYER_ID.delegation];

async function layerState(hub: `0x${string}`, layer: number) {
  return (await client.readContract({ address: hub, abi: hubAbi, functionName: "layerState", args: [layer] })) as {
    paused: boolean; bySentinel: boolean; pausedUntil: bigint; sentinelCooldownUntil: bigint; incident: `0x${string}`;
  };
}

/**
 * Sends `who`'s call to the hub as a real transaction (mined even though it
 * reverts, so it runs at the block timestamp the test set) and expects the
 * named custom error, read back from the transaction's trace.
 */
async function expectMinedRevert(who: typeof stranger, hub: Address, functionName: string, args: readonly unknown[], name: string) {
  // With automine on, Hardhat answers a failing transaction with an error and
  // no hash; with it off, the transaction waits in the pool and the next block
  // (at the timestamp the test set) mines it.
  await provider.request({ method: "evm_setAutomine", params: [false] });
  let hash: Hex;
  try {
    hash = await who.writeContract({ address: hub, abi: hubAbi, functionName, args, gas: 500_000n } as any);
    await networkHelpers.mine();
  } finally {
    await provider.request({ method: "evm_setAutomine", params: [true] });
  }
  const receipt = await client.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, "reverted", `${functionName} should revert`);
  const trace = (await client.request({ method: "debug_traceTransaction" as any, params: [hash, { disableStorage: true, disableStack: true, disableMemory: true }] as any })) as { returnValue: string };
  const data = (trace.returnValue.startsWith("0x") ? trace.returnValue : `0x${trace.returnValue}`) as Hex;
  assert.equal(decodeErrorResult({ abi: hubAbi, data }).errorName, name);
  return receipt;
}

/** Simulates `who` calling the hub and expects the named custom error. */
async function expectRevert(who: typeof stranger, hub: Address, functionName: string, args: readonly unknown[], name: string) {
  const data = encodeFunctionData({ abi: hubAbi, functionName, args } as any);
  const refusal = await simulateCall(client as any, who.account.address, hub, data, [hubAbi]);
  assert.equal(refusal?.error, name, `${functionName} by ${who.account.address}`);
}

describe("guardian Safe and sentinel bounds", () => {
  it("the Safe is 2-of-3 and holds the guardian role; the sentinel was granted by the Safe", async () => {
    const d = await stack();
    const state = await readSafeState(client as any, d.guardian.safe);
    assert.equal(state.threshold, 2n);
    assert.equal(state.owners.length, 3);
    assert.equal(await client.readContract({ address: d.guardian.hub, abi: hubAbi, functionName: "hasRole", args: [ROLES.GUARDIAN, d.guardian.safe] }), true);
    assert.equal(await client.readContract({ address: d.guardian.hub, abi: hubAbi, functionName: "hasRole", args: [ROLES.SENTINEL, sentinel.account.address] }), true);
  });

  it("one signature cannot pause; two can", async () => {
    const d = await stack();
    const data = encodeFunctionData({ abi: hubAbi, functionName: "pause", args: [DELEGATION, INCIDENT] });
    const tx = await buildSafeTx(client as any, d.guardian.safe, { to: d.guardian.hub, data });
    const one = await signSafeTx(owner1 as any, d.guardian.safe, client.chain.id, tx);
    await assert.rejects(
      client.simulateContract({ account: owner1.account, address: d.guardian.safe, abi: safeAbi, functionName: "execTransaction", args: safeExecArgs(tx, [one]) }),
      /GS020/,
    );
    assert.equal((await layerState(d.guardian.hub, LAYER_ID.delegation)).paused, false);
    await safeCall(d.guardian.safe, d.guardian.hub, data, [owner3, owner2]);
    const s = await layerState(d.guardian.hub, LAYER_ID.delegation);
    assert.equal(s.paused, true);
    assert.equal(s.bySentinel, false);
  });

  it("a sentinel pause expires at its bound: still held one second before, releasable by anyone at the second", async () => {
    const d = await stack();
    await sentinel.writeContract({ address: d.guardian.hub, abi: hubAbi, functionName: "sentinelPause", args: [DELEGATION, INCIDENT] });
    const s = await layerState(d.guardian.hub, LAYER_ID.delegation);
    assert.equal(s.paused && s.bySentinel, true);
    const madeAt = (await client.getBlock()).timestamp;
    assert.equal(s.pausedUntil, madeAt + BigInt(SENTINEL_PAUSE));

    // One second before the bound: still paused, release refused.
    await networkHelpers.time.setNextBlockTimestamp(s.pausedUntil - 1n);
    const early = await expectMinedRevert(stranger, d.guardian.hub, "releaseExpired", [DELEGATION], "GuardianHubPauseNotExpired");
    assert.equal((await client.getBlock({ blockNumber: early.blockNumber })).timestamp, s.pausedUntil - 1n);
    assert.equal((await layerState(d.guardian.hub, LAYER_ID.delegation)).paused, true);
    // At the bound: a stranger may release it.
    await networkHelpers.time.setNextBlockTimestamp(s.pausedUntil);
    await stranger.writeContract({ address: d.guardian.hub, abi: hubAbi, functionName: "releaseExpired", args: [DELEGATION] });
    assert.equal((await layerState(d.guardian.hub, LAYER_ID.delegation)).paused, false);
    const dmPaused = await client.readContract({ address: d.kit.DelegationManager, abi: parseAbi(["function paused() view returns (bool)"]), functionName: "paused" });
    assert.equal(dmPaused, false, "the DelegationManager itself is unpaused");
  });

  it("the cooldown stops the sentinel from pausing in a loop", async () => {
    const d = await stack();
    await sentinel.writeContract({ address: d.guardian.hub, abi: hubAbi, functionName: "sentinelPause", args: [DELEGATION, INCIDENT] });
    const s = await layerState(d.guardian.hub, LAYER_ID.delegation);
    await networkHelpers.time.setNextBlockTimestamp(s.pausedUntil);
    await stranger.writeContract({ address: d.guardian.hub, abi: hubAbi, functionName: "releaseExpired", args: [DELEGATION] });
    assert.equal(s.sentinelCooldownUntil, s.pausedUntil + BigInt(SENTINEL_COOLDOWN));
    await networkHelpers.time.setNextBlockTimestamp(s.sentinelCooldownUntil - 1n);
    await expectMinedRevert(sentinel, d.guardian.hub, "sentinelPause", [DELEGATION, INCIDENT], "GuardianHubSentinelCooldown");
    await networkHelpers.time.setNextBlockTimestamp(s.sentinelCooldownUntil);
    await sentinel.writeContract({ address: d.guardian.hub, abi: hubAbi, functionName: "sentinelPause", args: [DELEGATION, INCIDENT] });
    assert.equal((await layerState(d.guardian.hub, LAYER_ID.delegation)).paused, true);
  });

  it("a late release does not count as cooldown: a thief with two sentinel keys cannot release and pause again in one block", async () => {
    const d = await stack();
    const hub = d.guardian.hub;
    // A second sentinel key, granted by the Safe.
    await safeCall(d.guardian.safe, hub, encodeFunctionData({ abi: hubAbi, functionName: "grantRole", args: [ROLES.SENTINEL, user.account.address] }), [owner1, owner2]);
    await sentinel.writeContract({ address: hub, abi: hubAbi, functionName: "sentinelPause", args: [DELEGATION, INCIDENT] });
    const s = await layerState(hub, LAYER_ID.delegation);

    // Nobody released the expired pause; at pausedUntil + cooldown the thief releases with one key and pauses with
    // the other, both in the same block.
    const releasedAt = s.pausedUntil + BigInt(SENTINEL_COOLDOWN);
    await networkHelpers.time.setNextBlockTimestamp(releasedAt);
    await provider.request({ method: "evm_setAutomine", params: [false] });
    let release: Hex, again: Hex;
    try {
      release = await sentinel.writeContract({ address: hub, abi: hubAbi, functionName: "releaseExpired", args: [DELEGATION], gas: 500_000n });
      again = await user.writeContract({ address: hub, abi: hubAbi, functionName: "sentinelPause", args: [DELEGATION, INCIDENT], gas: 500_000n });
      await networkHelpers.mine();
    } finally {
      await provider.request({ method: "evm_setAutomine", params: [true] });
    }
    const [released, repaused] = [await client.waitForTransactionReceipt({ hash: release }), await client.waitForTransactionReceipt({ hash: again })];
    assert.equal(released.blockNumber, repaused.blockNumber, "same block");
    assert.equal(released.status, "success");
    assert.equal(repaused.status, "reverted");
    const trace = (await client.request({ method: "debug_traceTransaction" as any, params: [again, { disableStorage: true, disableStack: true, disableMemory: true }] as any })) as { returnValue: string };
    const refusal = decodeErrorResult({ abi: hubAbi, data: (trace.returnValue.startsWith("0x") ? trace.returnValue : `0x${trace.returnValue}`) as Hex });
    assert.equal(refusal.errorName, "GuardianHubSentinelCooldown");
    assert.deepEqual(refusal.args, [LAYER_ID.delegation, releasedAt + BigInt(SENTINEL_COOLDOWN)]);
    const dmPaused = parseAbi(["function paused() view returns (bool)"]);
    assert.equal(await client.readContract({ address: d.kit.DelegationManager, abi: dmPaused, functionName: "paused" }), false, "the DelegationManager serves");

    // A full cooldown of service after the release, then (and only then) either key may pause again.
    await networkHelpers.time.setNextBlockTimestamp(releasedAt + BigInt(SENTINEL_COOLDOWN) - 1n);
    await expectMinedRevert(user, hub, "sentinelPause", [DELEGATION, INCIDENT], "GuardianHubSentinelCooldown");
    await networkHelpers.time.setNextBlockTimestamp(releasedAt + BigInt(SENTINEL_COOLDOWN));
    await user.writeContract({ address: hub, abi: hubAbi, functionName: "sentinelPause", args: [DELEGATION, INCIDENT] });
    assert.equal(await client.readContract({ address: d.kit.DelegationManager, abi: dmPaused, functionName: "paused" }), true);
  });

  it("the guardian Safe confirms a sentinel pause, which then never expires", async () => {
    const d = await stack();
    await sentinel.writeContract({ address: d.guardian.hub, abi: hubAbi, functionName: "sentinelPause", args: [DELEGATION, INCIDENT] });
    await safeCall(d.guardian.safe, d.guardian.hub, encodeFunctionData({ abi: hubAbi, functionName: "confirmPause", args: [DELEGATION, INCIDENT] }), [owner1, owner2]);
    const s = await layerState(d.guardian.hub, LAYER_ID.delegation);
    assert.equal(s.bySentinel, false);
    await networkHelpers.time.increase(30 * 24 * 3600);
    await expectRevert(stranger, d.guardian.hub, "releaseExpired", [DELEGATION], "GuardianHubNotSentinelPause");
  });

  it("the sentinel can pause but never unpause, and a stranger is refused everywhere", async () => {
    const d = await stack();
    const hub = d.guardian.hub;
    const w = (who: typeof stranger, functionName: string, args: unknown[]) => who.writeContract({ address: hub, abi: hubAbi, functionName, args } as any);
    await w(sentinel, "sentinelPause", [DELEGATION, INCIDENT]);
    await expectRevert(sentinel, hub, "unpause", [DELEGATION, INCIDENT], "AccessControlUnauthorizedAccount");
    await expectRevert(sentinel, hub, "grantRole", [ROLES.SENTINEL, stranger.account.address], "AccessControlUnauthorizedAccount");
    for (const [fn, args] of [
      ["pause", [DELEGATION, INCIDENT]],
      ["unpause", [DELEGATION, INCIDENT]],
      ["sentinelPause", [DELEGATION, INCIDENT]],
      ["confirmPause", [DELEGATION, INCIDENT]],
      ["extendPause", [DELEGATION, 2n ** 40n, INCIDENT]],
      ["heartbeat", []],
      ["setLayerTargets", [0, [stranger.account.address]]],
      ["setSentinelBounds", [3600n, 7200n]],
      ["grantRole", [ROLES.SENTINEL, stranger.account.address]],
      ["acceptTargetOwnership", [d.kit.DelegationManager]],
      ["transferTargetOwnership", [d.kit.DelegationManager, stranger.account.address]],
    ] as const) {
      await expectRevert(stranger, hub, fn, args, "AccessControlUnauthorizedAccount");
    }
  });

  it("the sentinel proves it is alive with a heartbeat", async () => {
    const d = await stack();
    await sentinel.writeContract({ address: d.guardian.hub, abi: hubAbi, functionName: "heartbeat", args: [] });
    const at = (await client.getBlock()).timestamp;
    assert.equal(await client.readContract({ address: d.guardian.hub, abi: hubAbi, functionName: "lastHeartbeat", args: [sentinel.account.address] }), at);
  });
});

/**
 * The three guarded layers on the real Smart Accounts Kit: accounts created
 * through Guardian's factory, sponsored user operations through
 * `EntryPoint.handleOps`, delegation redemptions; each stops with its own
 * error while its layer is paused, and works again once the guardian Safe
 * unpauses.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Hex, encodeFunctionData, keccak256, toHex, parseEther } from "viem";
import { entryPoint07Abi } from "viem/account-abstraction";
import { DelegationManager as delegationManagerAbi } from "@metamask/delegation-abis";
import {
  client, deployer, sponsor, bundler, user, delegate, owner1, owner2, stranger,
  hubAbi, paymasterAbi, factoryAbi, stack, safeCall,
} from "./fixture.js";
import { smartAccount, buildUserOp, handleOps, delegateNative, redeemCalldata, simulateHandleOps, simulateCall } from "../../scripts/lib/traffic.js";
import { LAYER_ID } from "../../daemon/src/types.js";

const ALL = [LAYER_ID.entryPoint, LAYER_ID.accountFactory, LAYER_ID.delegation];
const INCIDENT = keccak256(toHex("incident-1"));

async function freshAccount(d: Awaited<ReturnType<typeof stack>>, salt: Hex) {
  const account = await smartAccount(client as any, d, user as any, salt);
  await deployer.sendTransaction({ to: account.address, value: parseEther("1") });
  return account;
}

async function handleOpsError(d: Awaited<ReturnType<typeof stack>>, op: any) {
  const refusal = await simulateHandleOps(client as any, d, bundler as any, [op], [paymasterAbi]);
  assert.ok(refusal, "handleOps was expected to revert");
  return { name: refusal.error, reason: refusal.reason ?? "", innerName: refusal.inner };
}

async function redeemError(d: Awaited<ReturnType<typeof stack>>, data: Hex) {
  const refusal = await simulateCall(client as any, delegate.account.address, d.kit.DelegationManager, data, [delegationManagerAbi]);
  assert.ok(refusal, "redeemDelegations was expected to revert");
  return refusal.error;
}

describe("Guardian on the real Smart Accounts Kit", () => {
  it("creates an account through the guarded factory with a sponsored user operation", async () => {
    const d = await stack();
    const account = await smartAccount(client as any, d, user as any, "0x01");
    assert.equal(await client.getCode({ address: account.address }), undefined);
    const depositBefore = await client.readContract({ address: d.kit.EntryPoint, abi: entryPoint07Abi, functionName: "balanceOf", args: [d.guardian.paymaster] });
    const op = await buildUserOp(client as any, d, account, { calls: [{ to: stranger.account.address, value: 0n }], sponsor: sponsor as any });
    const receipt = await handleOps(client as any, d, bundler as any, [op]);
    assert.equal(receipt.status, "success");
    assert.ok((await client.getCode({ address: account.address }))?.length, "account deployed");
    const depositAfter = await client.readContract({ address: d.kit.EntryPoint, abi: entryPoint07Abi, functionName: "balanceOf", args: [d.guardian.paymaster] });
    assert.ok(depositAfter < depositBefore, "the paymaster paid for the operation");
    const deployedLogs = receipt.logs.filter((l) => l.address.toLowerCase() === d.guardian.accountFactory.toLowerCase());
    assert.equal(deployedLogs.length, 1, "the guarded factory emitted Deployed");
  });

  it("refuses to sponsor an operation signed by someone other than the sponsor signer", async () => {
    const d = await stack();
    const account = await freshAccount(d, "0x02");
    const op = await buildUserOp(client as any, d, account, { calls: [{ to: stranger.account.address }], sponsor: stranger as any });
    const err = await handleOpsError(d, op);
    assert.equal(err.name, "FailedOp");
    assert.match(err.reason, /AA34/);
  });

  it("redeems a delegation through the DelegationManager", async () => {
    const d = await stack();
    const account = await freshAccount(d, "0x03");
    await handleOps(client as any, d, bundler as any, [await buildUserOp(client as any, d, account, { calls: [{ to: stranger.account.address }] })]);
    const delegation = await delegateNative(d, account, delegate.account.address, parseEther("0.5"));
    const before = await client.getBalance({ address: stranger.account.address });
    const hash = await delegate.sendTransaction({ to: d.kit.DelegationManager, data: redeemCalldata(delegation, stranger.account.address, parseEther("0.1")) });
    assert.equal((await client.waitForTransactionReceipt({ hash })).status, "success");
    assert.equal((await client.getBalance({ address: stranger.account.address })) - before, parseEther("0.1"));
  });

  it("the hub owns the DelegationManager and every layer is wired", async () => {
    const d = await stack();
    const owner = await client.readContract({ address: d.kit.DelegationManager, abi: delegationManagerAbi, functionName: "owner" });
    assert.equal(owner.toLowerCase(), d.guardian.hub.toLowerCase());
    for (const [layer, target] of [[0, d.guardian.paymaster], [1, d.guardian.accountFactory], [2, d.kit.DelegationManager]] as const) {
      const targets = (await client.readContract({ address: d.guardian.hub, abi: hubAbi, functionName: "layerTargets", args: [layer] })) as string[];
      assert.deepEqual(targets.map((t) => t.toLowerCase()), [target.toLowerCase()]);
    }
  });

  it("while paused, each layer stops with its own error; after the Safe unpauses, each works again", async () => {
    const d = await stack();
    // An account that exists and holds a delegation, and a second one still counterfactual.
    const existing = await freshAccount(d, "0x04");
    await handleOps(client as any, d, bundler as any, [await buildUserOp(client as any, d, existing, { calls: [{ to: stranger.account.address }] })]);
    const delegation = await delegateNative(d, existing, delegate.account.address, parseEther("0.5"));
    const redeem = redeemCalldata(delegation, stranger.account.address, parseEther("0.01"));
    const newcomer = await freshAccount(d, "0x05");

    // The guardian Safe pauses all three layers in one transaction.
    const pauseData = encodeFunctionData({ abi: hubAbi, functionName: "pause", args: [ALL, INCIDENT] });
    await safeCall(d.guardian.safe, d.guardian.hub, pauseData, [owner1, owner2]);
    for (const layer of ALL) assert.equal(await client.readContract({ address: d.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [layer] }), true);

    // EntryPoint layer: the paymaster refuses to sponsor.
    const sponsored = await buildUserOp(client as any, d, existing, { calls: [{ to: stranger.account.address }], sponsor: sponsor as any });
    const pmErr = await handleOpsError(d, sponsored);
    assert.equal(pmErr.name, "FailedOpWithRevert");
    assert.match(pmErr.reason, /AA33/);
    assert.equal(pmErr.innerName, "GuardedPaymasterPaused");

    // AccountFactory layer: account creation fails (AA13 through the EntryPoint; a named error when called directly).
    const creation = await buildUserOp(client as any, d, newcomer, { calls: [{ to: stranger.account.address }] });
    const facErr = await handleOpsError(d, creation);
    assert.equal(facErr.name, "FailedOp");
    assert.match(facErr.reason, /AA13/);
    const { factory, factoryData } = await newcomer.getFactoryArgs();
    const direct = await simulateCall(client as any, stranger.account.address, factory!, factoryData!, [factoryAbi]);
    assert.equal(direct?.error, "GuardedAccountFactoryPaused");

    // Delegation layer: redemption stops.
    assert.equal(await redeemError(d, redeem), "EnforcedPause");

    // The guardian Safe unpauses; every path works again.
    const unpauseData = encodeFunctionData({ abi: hubAbi, functionName: "unpause", args: [ALL, INCIDENT] });
    await safeCall(d.guardian.safe, d.guardian.hub, unpauseData, [owner1, owner2]);
    assert.equal((await handleOps(client as any, d, bundler as any, [sponsored])).status, "success");
    assert.equal((await handleOps(client as any, d, bundler as any, [creation])).status, "success");
    assert.ok((await client.getCode({ address: newcomer.address }))?.length);
    const hash = await delegate.sendTransaction({ to: d.kit.DelegationManager, data: redeem });
    assert.equal((await client.waitForTransactionReceipt({ hash })).status, "success");
  });
});

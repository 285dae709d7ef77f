process.env.DO_NOT_TRACK ??= "1";
import { encodeFunctionData, type Hex } from "viem";
import { entryPoint07Abi, toPackedUserOperation, type UserOperation } from "viem/account-abstraction";
import { contracts, ExecutionMode, type Delegation } from "@metamask/smart-accounts-kit";
import { DeleGatorCore } from "@metamask/delegation-abis";
import { describe, expect, test } from "vitest";
import { K, KIT_CONTRACTS, blockFacts, errorData, eventLog, hash, receipt, transaction } from "../../../test/daemon/helpers/kit-facts.js";
import { builtinErrorsAbi, delegationManagerErrorsAbi, entryPointErrorsAbi, entryPointEventsAbi, guardedFactoryEventsAbi } from "./kit-abis.js";
import { decodeKitBlock } from "./kit-block.js";

const op = (sender: `0x${string}`, nonce: bigint, creates = false): UserOperation<"0.7"> => ({
  sender,
  nonce,
  callData: "0x",
  callGasLimit: 1n,
  verificationGasLimit: 1n,
  preVerificationGas: 1n,
  maxFeePerGas: 1n,
  maxPriorityFeePerGas: 1n,
  signature: "0x",
  ...(creates ? { factory: K.factory, factoryData: "0x01" as Hex } : {}),
  paymaster: K.paymaster,
  paymasterVerificationGasLimit: 1n,
  paymasterPostOpGasLimit: 1n,
  paymasterData: "0x",
});
const handleOps = (ops: UserOperation<"0.7">[]) =>
  encodeFunctionData({ abi: entryPoint07Abi, functionName: "handleOps", args: [ops.map((o) => toPackedUserOperation(o)), K.deployer] });

const TX = hash(1, 8);
const opEvent = (sender: `0x${string}`, nonce: bigint, success: boolean, logIndex: number, tx: Hex = TX) =>
  eventLog(K.entryPoint, entryPointEventsAbi, "UserOperationEvent", { userOpHash: hash(logIndex, 9), sender, paymaster: K.paymaster, nonce, success, actualGasCost: 100n, actualGasUsed: 50_000n }, { tx, logIndex });

describe("decodeKitBlock", () => {
  test("a mined bundle: each op's outcome from its events, creations and revert reasons", () => {
    const facts = blockFacts(10, {
      logs: [
        eventLog(K.factory, guardedFactoryEventsAbi, "Deployed", { addr: K.alice }, { tx: TX, logIndex: 0 }),
        eventLog(K.entryPoint, entryPointEventsAbi, "AccountDeployed", { userOpHash: hash(1, 9), sender: K.alice, factory: K.factory, paymaster: K.paymaster }, { tx: TX, logIndex: 1 }),
        opEvent(K.alice, 0n, true, 2),
        eventLog(K.entryPoint, entryPointEventsAbi, "UserOperationRevertReason", { userOpHash: hash(3, 9), sender: K.bob, nonce: 4n, revertReason: errorData(builtinErrorsAbi, "Error", ["nope"]) }, { tx: TX, logIndex: 3 }),
        opEvent(K.bob, 4n, false, 4),
      ],
      txs: [{ tx: transaction({ hash: TX, to: K.entryPoint, input: handleOps([op(K.alice, 0n, true), op(K.bob, 4n)]) }), receipt: receipt({ hash: TX, to: K.entryPoint, status: "success" }) }],
    });
    const kit = decodeKitBlock(facts, KIT_CONTRACTS);
    expect(kit.bundles).toHaveLength(1);
    expect(kit.bundles[0]).toMatchObject({ txHash: TX, status: "success", revertKnown: false });
    expect(kit.bundles[0]?.ops).toMatchObject([
      { index: 0, sender: K.alice, creates: true, deployed: true, status: "succeeded", actualGasUsed: "50000", paymaster: K.paymaster, logIndex: 2 },
      { index: 1, sender: K.bob, creates: false, deployed: false, status: "reverted", revert: { kind: "error", message: "nope" } },
    ]);
  });

  test("a refused bundle: FailedOp names the op; the others were not included", () => {
    const facts = blockFacts(11, {
      txs: [{ tx: transaction({ hash: TX, to: K.entryPoint, input: handleOps([op(K.alice, 0n, true), op(K.bob, 1n)]), block: 11 }), receipt: receipt({ hash: TX, to: K.entryPoint, status: "reverted", block: 11 }) }],
    });
    const refused = decodeKitBlock(facts, KIT_CONTRACTS, { [TX.toUpperCase().replace("0X", "0x")]: errorData(entryPointErrorsAbi, "FailedOp", [1n, "AA25 invalid account nonce"]) });
    expect(refused.bundles[0]).toMatchObject({ status: "reverted", revertKnown: true, revert: { kind: "failed-op", opIndex: 1 } });
    expect(refused.bundles[0]?.ops.map((o) => [o.status, o.code])).toEqual([["not-included", undefined], ["refused", "AA25"]]);

    const unexplained = decodeKitBlock(facts, KIT_CONTRACTS);
    expect(unexplained.bundles[0]).toMatchObject({ revertKnown: false });
    expect(unexplained.bundles[0]?.ops.map((o) => [o.status, o.creates])).toEqual([["unknown", true], ["unknown", false]]);
  });

  test("each op carries its initCode's factory and what its callData calls (for attribution)", () => {
    const other = "0x00000000000000000000000000000000005f5f5f" as const;
    const redeem = encodeFunctionData({ abi: DeleGatorCore, functionName: "redeemDelegations", args: [[], [], []] });
    const viaExecute = encodeFunctionData({ abi: DeleGatorCore, functionName: "execute", args: [{ target: K.dm, value: 0n, callData: "0x" }] });
    const input = handleOps([{ ...op(K.alice, 0n, true), factory: other, callData: redeem }, { ...op(K.bob, 1n), callData: viaExecute }, op(K.dm, 2n)]);
    const facts = blockFacts(12, { txs: [{ tx: transaction({ hash: TX, to: K.entryPoint, input, block: 12 }), receipt: receipt({ hash: TX, to: K.entryPoint, status: "reverted", block: 12 }) }] });
    const ops = decodeKitBlock(facts, KIT_CONTRACTS).bundles[0]!.ops;
    expect(ops.map((o) => [o.factory, o.calls])).toEqual([
      [other, { targets: [], redeems: true }],
      [undefined, { targets: [K.dm], redeems: false }],
      [undefined, undefined],
    ]);
  });

  test("redemptions: the value they move, and why one reverted", () => {
    const delegation: Delegation = { delegate: K.delegate, delegator: K.alice, authority: `0x${"ff".repeat(32)}`, caveats: [], salt: "0x01", signature: "0x01" };
    const input = contracts.DelegationManager.encode.redeemDelegations({ delegations: [[delegation]], modes: [ExecutionMode.SingleDefault], executions: [[{ target: K.stranger, value: 5n, callData: "0x" }]] }) as Hex;
    const ok = hash(2, 8);
    const bad = hash(3, 8);
    const kit = decodeKitBlock(
      blockFacts(12, {
        txs: [
          { tx: transaction({ hash: ok, to: K.dm, from: K.delegate, input }), receipt: receipt({ hash: ok, to: K.dm, status: "success" }) },
          { tx: transaction({ hash: bad, to: K.dm, from: K.delegate, input }), receipt: receipt({ hash: bad, to: K.dm, status: "reverted" }) },
        ],
      }),
      KIT_CONTRACTS,
      { [bad]: errorData(delegationManagerErrorsAbi, "CannotUseADisabledDelegation") },
    );
    expect(kit.redemptions).toMatchObject([
      { txHash: ok, redeemer: K.delegate, status: "success", value: "5", revertKnown: false },
      { txHash: bad, status: "reverted", revertKnown: true, revert: { kind: "custom", name: "CannotUseADisabledDelegation" } },
    ]);
  });

  test("direct factory calls, and bundles known only from their events", () => {
    const call = hash(4, 8);
    const viaContract = hash(5, 8);
    const kit = decodeKitBlock(
      blockFacts(13, {
        logs: [opEvent(K.bob, 2n, true, 0, viaContract)],
        txs: [{ tx: transaction({ hash: call, to: K.factory, input: `0x4af63f02${"00".repeat(64)}` }), receipt: receipt({ hash: call, to: K.factory, status: "reverted" }) }],
      }),
      KIT_CONTRACTS,
    );
    expect(kit.factoryCalls).toMatchObject([{ txHash: call, status: "reverted", revertKnown: false }]);
    expect(kit.bundles).toMatchObject([{ txHash: viaContract, status: "success", ops: [{ sender: K.bob, nonce: "2", status: "succeeded" }] }]);
    expect(kit.bundles[0]?.ops[0]?.index).toBeUndefined();
  });

  test("a postOp revert is the op's revert", () => {
    const kit = decodeKitBlock(
      blockFacts(14, {
        logs: [
          eventLog(K.entryPoint, entryPointEventsAbi, "PostOpRevertReason", { userOpHash: hash(0, 9), sender: K.bob, nonce: 1n, revertReason: "0x" }, { tx: TX, logIndex: 0 }),
          opEvent(K.bob, 1n, false, 1),
        ],
        txs: [{ tx: transaction({ hash: TX, to: K.entryPoint, input: handleOps([op(K.bob, 1n)]) }), receipt: receipt({ hash: TX, to: K.entryPoint, status: "success" }) }],
      }),
      KIT_CONTRACTS,
    );
    expect(kit.bundles[0]?.ops[0]).toMatchObject({ status: "reverted", postOpReverted: true, revert: { kind: "empty" } });
  });
});

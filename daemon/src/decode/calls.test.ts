process.env.DO_NOT_TRACK ??= "1";
import { encodeFunctionData, parseEther, type Hex } from "viem";
import { entryPoint07Abi, toPackedUserOperation, type UserOperation } from "viem/account-abstraction";
import { contracts, ExecutionMode, type Delegation } from "@metamask/smart-accounts-kit";
import { describe, expect, test } from "vitest";
import { K } from "../../../test/daemon/helpers/kit-facts.js";
import { decodeBundle, decodeRedemptions, isFactoryDeploy } from "./calls.js";

const baseOp: UserOperation<"0.7"> = {
  sender: K.alice,
  nonce: 7n,
  callData: "0x",
  callGasLimit: 300_000n,
  verificationGasLimit: 1_000_000n,
  preVerificationGas: 60_000n,
  maxFeePerGas: 2n,
  maxPriorityFeePerGas: 1n,
  signature: "0x",
};

describe("decodeBundle", () => {
  test("reads each op's sender, nonce, factory, paymaster and gas limits, in bundle order", () => {
    const creating = toPackedUserOperation({ ...baseOp, factory: K.factory, factoryData: "0x1234", paymaster: K.paymaster, paymasterVerificationGasLimit: 1n, paymasterPostOpGasLimit: 1n, paymasterData: "0x" });
    const plain = toPackedUserOperation({ ...baseOp, sender: K.bob, nonce: 1n });
    const input = encodeFunctionData({ abi: entryPoint07Abi, functionName: "handleOps", args: [[creating, plain], K.deployer] });
    expect(decodeBundle(input)).toEqual([
      { sender: K.alice, nonce: "7", creates: true, factory: K.factory, paymaster: K.paymaster, verificationGasLimit: "1000000", callGasLimit: "300000" },
      { sender: K.bob, nonce: "1", creates: false, verificationGasLimit: "1000000", callGasLimit: "300000" },
    ]);
  });

  test("other inputs are not bundles", () => {
    expect(decodeBundle(encodeFunctionData({ abi: entryPoint07Abi, functionName: "depositTo", args: [K.paymaster] }))).toBeUndefined();
    expect(decodeBundle("0x")).toBeUndefined();
  });
});

describe("decodeRedemptions", () => {
  const delegation: Delegation = { delegate: K.delegate, delegator: K.alice, authority: `0x${"ff".repeat(32)}`, caveats: [], salt: "0x01", signature: "0x01" };
  const parent: Delegation = { ...delegation, delegate: K.alice, delegator: K.bob };

  test("a single execution: its value, target and the chain's parties", () => {
    const input = contracts.DelegationManager.encode.redeemDelegations({
      delegations: [[delegation, parent]],
      modes: [ExecutionMode.SingleDefault],
      executions: [[{ target: K.stranger, value: parseEther("1.5"), callData: "0x" }]],
    }) as Hex;
    expect(decodeRedemptions(input)).toEqual([{ rootDelegator: K.bob, delegate: K.delegate, value: parseEther("1.5").toString(), targets: [K.stranger] }]);
  });

  test("a batch execution sums its values", () => {
    const input = contracts.DelegationManager.encode.redeemDelegations({
      delegations: [[delegation]],
      modes: [ExecutionMode.BatchDefault],
      executions: [
        [
          { target: K.stranger, value: 3n, callData: "0x" },
          { target: K.bob, value: 4n, callData: "0xabcd" },
        ],
      ],
    }) as Hex;
    expect(decodeRedemptions(input)).toEqual([{ rootDelegator: K.alice, delegate: K.delegate, value: "7", targets: [K.stranger, K.bob] }]);
  });

  test("other inputs are not redemptions", () => {
    expect(decodeRedemptions(contracts.DelegationManager.encode.disableDelegation({ delegation }) as Hex)).toBeUndefined();
  });
});

test("isFactoryDeploy recognises SimpleFactory.deploy", () => {
  expect(isFactoryDeploy("0x4af63f02" + "00".repeat(64) as Hex)).toBe(true);
  expect(isFactoryDeploy("0x12345678")).toBe(false);
});

process.env.DO_NOT_TRACK ??= "1";
import { DeleGatorCore } from "@metamask/delegation-abis";
import { encodeAbiParameters, encodeFunctionData, encodePacked, parseEther, type Hex } from "viem";
import { entryPoint07Abi, toPackedUserOperation, type UserOperation } from "viem/account-abstraction";
import { contracts, ExecutionMode, type Delegation } from "@metamask/smart-accounts-kit";
import { describe, expect, test } from "vitest";
import { K } from "../../../test/daemon/helpers/kit-facts.js";
import { accountCalls, callsContract, decodeBundle, decodeRedemptions, isFactoryDeploy } from "./calls.js";

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

describe("accountCalls: what a DeleGator's callData calls", () => {
  const exec = (mode: Hex, data: Hex) => encodeFunctionData({ abi: DeleGatorCore, functionName: "execute", args: [mode, data] });
  test("ERC-7579 single and batch executions, execute(Execution), the account's own redeemDelegations", () => {
    const single = exec(ExecutionMode.SingleDefault as Hex, encodePacked(["address", "uint256", "bytes"], [K.dm, 0n, "0x1234"]));
    expect(accountCalls(single)).toEqual({ targets: [K.dm], redeems: false });
    const batch = exec(
      ExecutionMode.BatchDefault as Hex,
      encodeAbiParameters(
        [{ type: "tuple[]", components: [{ name: "target", type: "address" }, { name: "value", type: "uint256" }, { name: "callData", type: "bytes" }] }],
        [[{ target: K.stranger, value: 1n, callData: "0x" }, { target: K.dm, value: 0n, callData: "0xab" }]],
      ),
    );
    expect(accountCalls(batch)).toEqual({ targets: [K.stranger, K.dm], redeems: false });
    expect(callsContract(accountCalls(batch)!, K.dm)).toBe(true);
    const struct = encodeFunctionData({ abi: DeleGatorCore, functionName: "execute", args: [{ target: K.bob, value: 0n, callData: "0x" }] });
    expect(accountCalls(struct)).toEqual({ targets: [K.bob], redeems: false });
    const redeem = encodeFunctionData({ abi: DeleGatorCore, functionName: "redeemDelegations", args: [[], [], []] });
    expect(accountCalls(redeem)).toEqual({ targets: [], redeems: true });
    expect(callsContract(accountCalls(redeem)!, K.dm, true)).toBe(true);
    expect(callsContract(accountCalls(single)!, K.bob)).toBe(false);
  });

  test("unknown shapes and malformed data are undefined, never a throw", () => {
    expect(accountCalls("0x")).toBeUndefined();
    expect(accountCalls("0xdeadbeef")).toBeUndefined();
    expect(accountCalls(exec(`0x${"02".padEnd(64, "0")}`, "0x"))).toBeUndefined();
  });
});

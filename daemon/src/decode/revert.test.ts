import * as kitAbis from "@metamask/delegation-abis";
import { encodeErrorResult } from "viem";
import { describe, expect, test } from "vitest";
import { errorData } from "../../../test/daemon/helpers/kit-facts.js";
import { builtinErrorsAbi, delegationManagerErrorsAbi, entryPointErrorsAbi, guardianErrorsAbi, openZeppelinErrorsAbi } from "./kit-abis.js";
import { aaCode, decodeRevert, delegationCause, describeRevert, isDelegationRefusal, isPausedRevert } from "./revert.js";

type AbiError = { type: "error"; name: string; inputs: ReadonlyArray<{ type: string }> };

/** Revert data of a real `handleOps` on the kit's EntryPoint (an op whose initCode deploys another account). */
const REAL_AA14 =
  "0x220266b60000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004000000000000000000000000000000000000000000000000000000000000000204141313420696e6974436f6465206d7573742072657475726e2073656e646572";

describe("decodeRevert", () => {
  test("the EntryPoint's FailedOp carries the op index, the reason and its AA code", () => {
    expect(decodeRevert(REAL_AA14)).toEqual({ kind: "failed-op", opIndex: 0, reason: "AA14 initCode must return sender", code: "AA14" });
    expect(decodeRevert(errorData(entryPointErrorsAbi, "FailedOp", [3n, "AA13 initCode failed or OOG"]))).toMatchObject({ opIndex: 3, code: "AA13" });
    expect(decodeRevert(errorData(entryPointErrorsAbi, "FailedOp", [0n, "AA10 sender already constructed"]))).toMatchObject({ code: "AA10" });
  });

  test("FailedOpWithRevert decodes the inner revert: a paused paymaster", () => {
    const inner = errorData(guardianErrorsAbi, "GuardedPaymasterPaused");
    const r = decodeRevert(errorData(entryPointErrorsAbi, "FailedOpWithRevert", [0n, "AA33 reverted", inner]));
    expect(r).toEqual({ kind: "failed-op", opIndex: 0, reason: "AA33 reverted", code: "AA33", inner: { kind: "custom", name: "GuardedPaymasterPaused", args: {} } });
    expect(isPausedRevert(r)).toBe(true);
    expect(describeRevert(r)).toBe('op #0: "AA33 reverted" → GuardedPaymasterPaused()');
  });

  test("Error(string), Panic, custom errors with their arguments, nested bytes", () => {
    expect(decodeRevert(errorData(builtinErrorsAbi, "Error", ["TimestampEnforcer:expired-delegation"]))).toEqual({ kind: "error", message: "TimestampEnforcer:expired-delegation" });
    expect(decodeRevert(errorData(builtinErrorsAbi, "Panic", [0x11n]))).toEqual({ kind: "panic", code: 0x11 });
    const account = "0x00000000000000000000000000000000000000AA";
    const role = `0x${"12".repeat(32)}`;
    expect(decodeRevert(errorData(guardianErrorsAbi, "AccessControlUnauthorizedAccount", [account, role]))).toEqual({
      kind: "custom",
      name: "AccessControlUnauthorizedAccount",
      args: { account: account.toLowerCase(), neededRole: role },
    });
    const post = decodeRevert(errorData(entryPointErrorsAbi, "PostOpReverted", [errorData(builtinErrorsAbi, "Error", ["no"])]));
    expect(post).toMatchObject({ kind: "custom", name: "PostOpReverted", inner: { kind: "error", message: "no" } });
  });

  test("OpenZeppelin's errors decode by name: Create2EmptyBytecode (0x4ca249dc), FailedDeployment, SafeERC20, ERC-1967", () => {
    expect(decodeRevert("0x4ca249dc")).toEqual({ kind: "custom", name: "Create2EmptyBytecode", args: {} });
    expect(describeRevert(decodeRevert("0x4ca249dc"))).toBe("Create2EmptyBytecode()");
    expect(decodeRevert("0xb06ebf3d")).toMatchObject({ kind: "custom", name: "FailedDeployment" });
    const token = "0x00000000000000000000000000000000000000bb";
    expect(decodeRevert(encodeErrorResult({ abi: openZeppelinErrorsAbi, errorName: "SafeERC20FailedOperation", args: [token] }))).toEqual({
      kind: "custom",
      name: "SafeERC20FailedOperation",
      args: { token },
    });
    expect(decodeRevert(encodeErrorResult({ abi: openZeppelinErrorsAbi, errorName: "ERC1967InvalidImplementation", args: [token] }))).toMatchObject({ name: "ERC1967InvalidImplementation" });
  });

  test("every error of the kit's contracts (@metamask/delegation-abis) decodes by its name", () => {
    const zero = (type: string): unknown =>
      type === "address" ? `0x${"00".repeat(20)}` : /^u?int/.test(type) ? 0n : type === "bool" ? false : type === "string" ? "x" : type === "bytes" ? "0x" : `0x${"00".repeat(Number(type.slice(5)))}`;
    const errors = (Object.values(kitAbis) as unknown[])
      .filter((abi): abi is ReadonlyArray<{ type: string }> => Array.isArray(abi))
      .flatMap((abi) => abi.filter((item): item is AbiError => item.type === "error"));
    expect(errors.length).toBeGreaterThan(80);
    for (const error of errors) {
      const data = encodeErrorResult({ abi: [error], errorName: error.name, args: error.inputs.map((i) => zero(i.type)) } as never);
      const r = decodeRevert(data);
      const name = r.kind === "custom" ? r.name : r.kind === "failed-op" ? (r.inner ? "FailedOpWithRevert" : "FailedOp") : r.kind;
      expect(name, `${error.name} (${data.slice(0, 10)})`).toBe(error.name);
    }
  });

  test("no data, short data and unknown selectors never throw", () => {
    expect(decodeRevert(undefined)).toEqual({ kind: "empty" });
    expect(decodeRevert("0x")).toEqual({ kind: "empty" });
    expect(decodeRevert("0x1234")).toEqual({ kind: "unknown", selector: "0x1234", length: 2 });
    expect(decodeRevert(`0xdeadbeef${"00".repeat(32)}`)).toEqual({ kind: "unknown", selector: "0xdeadbeef", length: 36 });
    // A known selector with a broken body.
    expect(decodeRevert(`${REAL_AA14.slice(0, 10)}00` as `0x${string}`).kind).toBe("unknown");
  });
});

describe("delegation causes", () => {
  const dm = (name: string) => decodeRevert(errorData(delegationManagerErrorsAbi, name));
  const msg = (m: string) => decodeRevert(errorData(builtinErrorsAbi, "Error", [m]));
  test.each([
    [msg("TimestampEnforcer:expired-delegation"), "expired"],
    [msg("BlockNumberEnforcer:expired-delegation"), "expired"],
    [msg("TimestampEnforcer:early-delegation"), "not-yet-valid"],
    [msg("NativeTokenTransferAmountEnforcer:allowance-exceeded"), "enforcer"],
    [msg("something else"), "other"],
    [dm("CannotUseADisabledDelegation"), "disabled"],
    [dm("InvalidDelegate"), "invalid-delegate"],
    [dm("InvalidERC1271Signature"), "invalid-signature"],
    [dm("InvalidEOASignature"), "invalid-signature"],
    [dm("InvalidAuthority"), "invalid-authority"],
    [dm("EnforcedPause"), "paused"],
    [decodeRevert("0x"), "unknown"],
    [decodeRevert(errorData(builtinErrorsAbi, "Panic", [1n])), "other"],
  ] as const)("%j → %s", (revert, cause) => {
    expect(delegationCause(revert)).toBe(cause);
  });

  test("an enforcer or DelegationManager refusal is a delegation refusal; other reverts are not", () => {
    expect(isDelegationRefusal(msg("TimestampEnforcer:expired-delegation"))).toBe(true);
    expect(isDelegationRefusal(dm("EnforcedPause"))).toBe(true);
    expect(isDelegationRefusal(msg("ERC20: transfer amount exceeds balance"))).toBe(false);
    expect(isDelegationRefusal(undefined)).toBe(false);
  });
});

test("aaCode reads the code at the start of a reason only", () => {
  expect(aaCode("AA25 invalid account nonce")).toBe("AA25");
  expect(aaCode("reverted: AA25")).toBeUndefined();
  expect(aaCode("AA2 short")).toBeUndefined();
});

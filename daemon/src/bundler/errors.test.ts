import { encodeErrorResult, parseAbi, toFunctionSelector } from "viem";
import { describe, expect, it } from "vitest";
import { aaCodeIn, classifyBundlerError, MAX_REVERT_HEX } from "./errors.js";

const errs = parseAbi([
  "error EnforcedPause()",
  "error GuardedAccountFactoryPaused()",
  "error FailedOpWithRevert(uint256 opIndex, string reason, bytes inner)",
]);

describe("classifyBundlerError", () => {
  it("takes the AA code out of a -32500 message, wherever it sits", () => {
    const r = classifyBundlerError({ code: -32500, message: "UserOperation reverted during simulation with reason: AA13 initCode failed or OOG" });
    expect(r).toMatchObject({ kind: "refused", rpcCode: -32500, aa: "AA13" });
    expect(r.revert).toBeUndefined();
  });

  it("decodes the inner revert at the end of a -32521 message (EnforcedPause)", () => {
    const data = encodeErrorResult({ abi: errs, errorName: "EnforcedPause" });
    expect(data).toBe(toFunctionSelector("EnforcedPause()"));
    const r = classifyBundlerError({ code: -32521, message: `UserOperation reverted during execution phase with reason: ${data}` });
    expect(r.revert).toEqual({ kind: "custom", name: "EnforcedPause", args: {} });
    expect(r.aa).toBeUndefined();
  });

  it("prefers revert data in `data`, plain or as { revertData }, and decodes a FailedOpWithRevert's inner cause", () => {
    const inner = encodeErrorResult({ abi: errs, errorName: "GuardedAccountFactoryPaused" });
    const data = encodeErrorResult({ abi: errs, errorName: "FailedOpWithRevert", args: [0n, "AA13 initCode failed or OOG", inner] });
    for (const d of [data, { revertData: data }, { data }]) {
      const r = classifyBundlerError({ code: -32500, message: "AA13 initCode failed or OOG 0xdeadbeef", data: d });
      expect(r.aa).toBe("AA13");
      expect(r.revert).toMatchObject({ kind: "failed-op", code: "AA13", inner: { kind: "custom", name: "GuardedAccountFactoryPaused" } });
    }
  });

  it("takes no revert out of addresses or hashes in a message (Alto's unknown-EntryPoint answer)", () => {
    const r = classifyBundlerError({
      code: -32602,
      message: "EntryPoint 0x84eA74d481Ee0A5332c457a4d796187F6Ba67fEB not supported, supported EntryPoints: 0xa82fF9aFd8f496c3d6ac40E2a0F282E47488CFc9",
    });
    expect(r).toEqual({ kind: "refused", rpcCode: -32602, message: expect.stringContaining("not supported") });
    const hash = `0x${"ab".repeat(32)}`;
    expect(classifyBundlerError({ code: -32500, message: `op ${hash} refused` }).revert).toBeUndefined();
  });

  it("takes the revert after an AA code when it is ABI-shaped (selector, or selector and words)", () => {
    expect(classifyBundlerError({ code: -32500, message: "UserOperation reverted with reason: AA23 reverted 0xf645eedf" }).revert).toEqual({
      kind: "custom",
      name: "ECDSAInvalidSignature",
      args: {},
    });
    const reason = encodeErrorResult({ abi: parseAbi(["error Error(string)"]), errorName: "Error", args: ["TimestampEnforcer:expired-delegation"] });
    const r = classifyBundlerError({ code: -32521, message: `UserOperation reverted during simulation with reason: ${reason}` });
    expect(r.revert).toEqual({ kind: "error", message: "TimestampEnforcer:expired-delegation" });
  });

  it("cleans control characters, caps the message and redacts URLs with keys", () => {
    const r = classifyBundlerError({ code: -32603, message: `boom\u001b]0;pwned\u0007 at https://rpc.example.com/v3/SECRETKEY ${"x".repeat(5000)}` });
    expect(r.message).not.toMatch(/[\u0000-\u001f]/);
    expect(r.message).not.toContain("SECRETKEY");
    expect(r.message).toContain("https://rpc.example.com/…");
    expect(r.message.length).toBeLessThanOrEqual(256);
  });

  it("accepts any shape without throwing and ignores non-hex or oversized data", () => {
    expect(classifyBundlerError(null)).toEqual({ kind: "refused", rpcCode: 0, message: "" });
    expect(classifyBundlerError({ code: "x", message: 42, data: "0xzz" })).toEqual({ kind: "refused", rpcCode: 0, message: "" });
    const huge = `0x${"ab".repeat(MAX_REVERT_HEX)}`;
    expect(classifyBundlerError({ code: -32521, message: "m", data: huge }).revert).toBeUndefined();
    expect(classifyBundlerError({ code: -32521, message: "m", data: "0xabc" }).revert).toBeUndefined();
  });
});

describe("aaCodeIn", () => {
  it("finds a code as a word, not inside another token", () => {
    expect(aaCodeIn("reason: AA33 reverted 0xa4b20a60")).toBe("AA33");
    expect(aaCodeIn("XAA33 nope")).toBeUndefined();
    expect(aaCodeIn("no code")).toBeUndefined();
  });
});

/**
 * Revert data → what refused, and why. Pure.
 *
 * Receipts carry no revert data, and the follower fetches none: the wiring
 * fetches it for the reverted transactions of a block (see `RevertLookup` in
 * pipeline/enrich.ts) and the pipeline decodes it here. The EntryPoint's
 * `FailedOp(opIndex, "AA13 initCode failed or OOG")` and
 * `FailedOpWithRevert(opIndex, "AA33 reverted", inner)` carry the ERC-4337
 * "AA" code of the failing operation; the DelegationManager reverts with its
 * own errors or with a caveat enforcer's `Error(string)` (e.g.
 * `"TimestampEnforcer:expired-delegation"`).
 */
import { decodeErrorResult, toFunctionSelector, type AbiItem, type Abi } from "viem";
import type { Hex } from "../types.js";
import {
  builtinErrorsAbi,
  deleGatorErrorsAbi,
  delegationManagerErrorsAbi,
  entryPointErrorsAbi,
  guardianErrorsAbi,
  kitErrorsAbi,
  openZeppelinErrorsAbi,
} from "./kit-abis.js";
import { untrustedText } from "./untrusted-text.js";

/** A decoded revert. JSON; uint256 values as decimal strings. */
export type DecodedRevert =
  /** No revert data at all (out of gas, `revert()`, or a call to an address without code). */
  | { kind: "empty" }
  /** `Error(string)`: a `require` message, e.g. a caveat enforcer's. */
  | { kind: "error"; message: string }
  /** `Panic(uint256)`: an assertion, overflow, division by zero... */
  | { kind: "panic"; code: number }
  /**
   * The EntryPoint refused a bundle because of the operation at `opIndex`:
   * `FailedOp`, or `FailedOpWithRevert` with the revert of the account,
   * factory or paymaster in `inner`.
   */
  | { kind: "failed-op"; opIndex: number; reason: string; code?: AaCode; inner?: DecodedRevert }
  /** A known custom error; `args` as strings (addresses lowercase, bytes hex, numbers decimal). */
  | { kind: "custom"; name: string; args: Record<string, string>; inner?: DecodedRevert }
  /** Data no known ABI decodes. */
  | { kind: "unknown"; selector: Hex; length: number };

/** An ERC-4337 "AA" code, e.g. "AA13". */
export type AaCode = `AA${number}`;

/** Every error the daemon knows, first occurrence of each selector wins. */
const knownErrors: Abi = (() => {
  const seen = new Set<string>();
  const out: AbiItem[] = [];
  for (const abi of [builtinErrorsAbi, entryPointErrorsAbi, delegationManagerErrorsAbi, guardianErrorsAbi, deleGatorErrorsAbi, openZeppelinErrorsAbi, kitErrorsAbi] as const) {
    for (const item of abi) {
      const selector = toFunctionSelector(item as never);
      if (seen.has(selector)) continue;
      seen.add(selector);
      out.push(item);
    }
  }
  return out as Abi;
})();

/** How deep nested reverts (FailedOpWithRevert's inner, PostOpReverted...) are decoded. */
const MAX_DEPTH = 4;

/**
 * Decodes revert data into a `DecodedRevert`. Never throws: data that no
 * known ABI decodes is `{ kind: "unknown", selector }`. Every string in it
 * (messages, reasons, string arguments) is attacker-chosen: it comes out of
 * `untrustedText` (no control, bidi or zero-width character; at most 256
 * characters).
 *
 * @example
 * decodeRevert("0x220266b6…") // { kind: "failed-op", opIndex: 0, reason: "AA14 initCode must return sender", code: "AA14" }
 */
export function decodeRevert(data: Hex | undefined, depth = 0): DecodedRevert {
  if (data === undefined || data.length <= 2) return { kind: "empty" };
  const hex = data.toLowerCase() as Hex;
  const selector = (hex.length >= 10 ? hex.slice(0, 10) : hex) as Hex;
  let decoded: { errorName: string; args?: readonly unknown[] };
  try {
    decoded = decodeErrorResult({ abi: knownErrors, data: hex }) as { errorName: string; args?: readonly unknown[] };
  } catch {
    return { kind: "unknown", selector, length: (hex.length - 2) / 2 };
  }
  const args = decoded.args ?? [];
  switch (decoded.errorName) {
    case "Error":
      return { kind: "error", message: untrustedText(String(args[0])) };
    case "Panic":
      return { kind: "panic", code: Number(args[0]) };
    case "FailedOp":
    case "FailedOpWithRevert": {
      const reason = untrustedText(String(args[1]));
      const code = aaCode(reason);
      const out: DecodedRevert = { kind: "failed-op", opIndex: Number(args[0]), reason, ...(code ? { code } : {}) };
      if (decoded.errorName === "FailedOpWithRevert" && depth < MAX_DEPTH) out.inner = decodeRevert(args[2] as Hex, depth + 1);
      return out;
    }
  }
  const item = knownErrors.find((e) => e.type === "error" && e.name === decoded.errorName) as
    | { inputs: ReadonlyArray<{ name?: string; type: string }> }
    | undefined;
  const named: Record<string, string> = {};
  let inner: DecodedRevert | undefined;
  item?.inputs.forEach((input, i) => {
    const value = args[i];
    const name = input.name || `arg${i}`;
    // Strings of custom errors are attacker-chosen too: cleaned and capped like Error(string).
    named[name] = input.type === "string" ? untrustedText(String(value)) : typeof value === "string" ? value.toLowerCase() : String(value);
    // Errors that wrap another revert (PostOpReverted, GuardianHubTargetCallFailed).
    if (input.type === "bytes" && typeof value === "string" && depth < MAX_DEPTH && value.length >= 10) inner = decodeRevert(value as Hex, depth + 1);
  });
  return { kind: "custom", name: decoded.errorName, args: named, ...(inner ? { inner } : {}) };
}

/** The "AA" code at the start of an EntryPoint reason ("AA13 initCode failed or OOG" → "AA13"). */
export function aaCode(reason: string): AaCode | undefined {
  const m = /^(AA\d\d)\b/.exec(reason);
  return m ? (m[1] as AaCode) : undefined;
}

/** A short human text for a decoded revert, e.g. `FailedOp #0 "AA13 initCode failed or OOG"`. */
export function describeRevert(r: DecodedRevert): string {
  switch (r.kind) {
    case "empty":
      return "reverted without data";
    case "error":
      return `Error("${r.message}")`;
    case "panic":
      return `Panic(0x${r.code.toString(16)})`;
    case "failed-op":
      return `op #${r.opIndex}: "${r.reason}"${r.inner ? ` → ${describeRevert(r.inner)}` : ""}`;
    case "custom":
      return `${r.name}()${r.inner ? ` → ${describeRevert(r.inner)}` : ""}`;
    case "unknown":
      return `unknown error ${r.selector}`;
  }
}

/** Why a delegation redemption failed, from its revert. */
export type DelegationCause =
  | "expired"
  | "not-yet-valid"
  | "disabled"
  | "invalid-delegate"
  | "invalid-signature"
  | "invalid-authority"
  | "enforcer"
  | "paused"
  | "other"
  | "unknown";

/**
 * Classifies a `redeemDelegations` revert: the DelegationManager's own errors,
 * a caveat enforcer's `Error("<Enforcer>:<reason>")` (expired and early
 * time/block windows are told apart from other enforcer refusals), or the
 * pause. Any other revert (an execution failing after the delegation checks
 * passed) is "other"; no revert data at all is "unknown".
 */
export function delegationCause(r: DecodedRevert | undefined): DelegationCause {
  if (r === undefined) return "unknown";
  switch (r.kind) {
    case "error":
      if (/:expired-delegation$/.test(r.message)) return "expired";
      if (/:early-delegation$/.test(r.message)) return "not-yet-valid";
      return /Enforcer:/.test(r.message) ? "enforcer" : "other";
    case "custom":
      switch (r.name) {
        case "CannotUseADisabledDelegation":
          return "disabled";
        case "InvalidDelegate":
        case "InvalidDelegator":
          return "invalid-delegate";
        case "InvalidERC1271Signature":
        case "InvalidEOASignature":
        case "EmptySignature":
        case "ECDSAInvalidSignature":
        case "ECDSAInvalidSignatureLength":
        case "ECDSAInvalidSignatureS":
          return "invalid-signature";
        case "InvalidAuthority":
          return "invalid-authority";
        case "EnforcedPause":
          return "paused";
      }
      return "other";
    default:
      return r.kind === "empty" ? "unknown" : "other";
  }
}

/** True for the reverts of a paused guarded contract or DelegationManager (Guardian's own pause, or a foreign one reported by pause-changed). */
export function isPausedRevert(r: DecodedRevert | undefined): boolean {
  if (r === undefined) return false;
  if (r.kind === "custom") return r.name === "GuardedPaymasterPaused" || r.name === "GuardedAccountFactoryPaused" || r.name === "EnforcedPause";
  if (r.kind === "failed-op") return isPausedRevert(r.inner);
  return false;
}

/** True when the revert is one of the DelegationManager's refusals (including enforcer messages): a delegation failure rather than any revert. */
export function isDelegationRefusal(r: DecodedRevert | undefined): boolean {
  const cause = delegationCause(r);
  return cause !== "other" && cause !== "unknown";
}

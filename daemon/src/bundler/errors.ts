/**
 * What a bundler's refusal means. Pure.
 *
 * An ERC-4337 bundler answers a refused user operation with a JSON-RPC error:
 * `-32500` (refused by the EntryPoint during validation, the message carries
 * an "AA" code such as "AA13 initCode failed or OOG"), `-32501` (refused by
 * the paymaster), `-32521` (reverted during execution, the inner revert data
 * in `data` or at the end of the message), and others. Observed from Alto
 * (test/bundler/alto.test.ts): "UserOperation reverted during simulation with
 * reason: AA13 initCode failed or OOG" (-32500, no inner data: a paused
 * factory's `GuardedAccountFactoryPaused()` is not passed on), "... with
 * reason: 0xd93c0665" (-32521), "AA33 reverted 0xa4b20a60" (-32501, a paused
 * paymaster's error passed on), "AA23 reverted 0xf645eedf" (-32500), "AA24
 * signature error" (-32507), schema errors as -32601. Everything in such an
 * error is untrusted: the message is cleaned and capped with `untrustedText`,
 * URLs in it are redacted, and revert data is decoded with `decodeRevert`.
 */
import type { Hex } from "viem";
import { redactUrls } from "../config/redact.js";
import { type AaCode, type DecodedRevert, decodeRevert } from "../decode/revert.js";
import { untrustedText } from "../decode/untrusted-text.js";

/** The longest revert data taken from a bundler error, in hex characters (32 KiB of bytes). */
export const MAX_REVERT_HEX = 2 + 2 * 32 * 1024;

/** A bundler's refusal, classified. JSON. */
export type BundlerRefusal = {
  kind: "refused";
  /** The JSON-RPC error code, e.g. -32500. */
  rpcCode: number;
  /** Cleaned, capped, URL-redacted message. */
  message: string;
  /** The "AA" code in the message, when there is one. */
  aa?: AaCode;
  /** The decoded inner revert, when the bundler passed its data on. */
  revert?: DecodedRevert;
};

/** The ERC-4337 error codes (ERC-7769) a bundler may answer with, by meaning. */
export const BUNDLER_ERROR_CODES: Readonly<Record<number, string>> = {
  [-32500]: "rejected by the EntryPoint during validation",
  [-32501]: "rejected by the paymaster",
  [-32502]: "opcode validation failed",
  [-32503]: "out of time range",
  [-32504]: "paymaster or aggregator throttled or banned",
  [-32505]: "stake or unstake delay too low",
  [-32506]: "unsupported aggregator",
  [-32507]: "invalid signature",
  [-32508]: "paymaster deposit too low",
  [-32521]: "reverted during execution",
  [-32601]: "method not found (Alto also answers a request its schema rejects with it)",
  [-32602]: "invalid parameters (Alto: an EntryPoint it does not serve)",
};

/**
 * Classifies a JSON-RPC error object a bundler returned. Never throws; any
 * shape is accepted (a missing code is 0, a non-string message is empty).
 *
 * @example
 * classifyBundlerError({ code: -32521, message: "UserOperation reverted during execution phase with reason: 0xd93c0665" })
 * // { kind: "refused", rpcCode: -32521, message: "...", revert: { kind: "custom", name: "EnforcedPause", args: {} } }
 */
export function classifyBundlerError(error: unknown): BundlerRefusal {
  const e = (typeof error === "object" && error !== null ? error : {}) as { code?: unknown; message?: unknown; data?: unknown };
  const rpcCode = typeof e.code === "number" && Number.isSafeInteger(e.code) ? e.code : 0;
  const rawMessage = typeof e.message === "string" ? e.message.slice(0, 4096) : "";
  const message = untrustedText(redactUrls(rawMessage));
  const aa = aaCodeIn(rawMessage);
  const data = revertDataIn(e.data) ?? revertDataIn(lastHexIn(rawMessage));
  const revert = data === undefined ? undefined : decodeRevert(data);
  return { kind: "refused", rpcCode, message, ...(aa ? { aa } : {}), ...(revert ? { revert } : {}) };
}

/** The first "AA" code anywhere in a bundler message ("... with reason: AA13 initCode ..." → "AA13"). */
export function aaCodeIn(message: string): AaCode | undefined {
  const m = /\b(AA\d\d)\b/.exec(message.slice(0, 4096));
  return m ? (m[1] as AaCode) : undefined;
}

/**
 * The last ABI-shaped hex blob in a message (a 4-byte selector followed by
 * whole 32-byte words: "0xd93c0665", an `Error(string)`), if any. Messages
 * also carry addresses and hashes that are not revert data — Alto answers an
 * unknown EntryPoint with "EntryPoint 0x84eA… not supported, supported
 * EntryPoints: 0xa82f…" — and neither 20 nor 32 bytes is 4 + 32·k.
 */
function lastHexIn(message: string): string | undefined {
  const all = message.match(/\b0x[0-9a-fA-F]{8}(?:[0-9a-fA-F]{64})*(?![0-9a-fA-F])/g);
  return all?.[all.length - 1];
}

/**
 * Decodes revert data a bundler hands over outside an error — e.g. the
 * `reason` of a failed operation's receipt (the EntryPoint's
 * `UserOperationRevertReason`). Undefined when it is absent, not hex, shorter
 * than a selector or longer than `MAX_REVERT_HEX`.
 */
export function decodeBundlerRevert(data: unknown): DecodedRevert | undefined {
  const hex = revertDataIn(data);
  return hex === undefined ? undefined : decodeRevert(hex);
}

/** Revert data from an error's `data` (a hex string, or `{ data | revertData }`); undefined if none or not hex. */
function revertDataIn(data: unknown): Hex | undefined {
  let value = data;
  if (typeof value === "object" && value !== null) {
    const o = value as { data?: unknown; revertData?: unknown };
    value = o.revertData ?? o.data;
  }
  if (typeof value !== "string" || value.length > MAX_REVERT_HEX) return undefined;
  if (!/^0x(?:[0-9a-fA-F]{2}){4,}$/.test(value)) return undefined;
  return value as Hex;
}

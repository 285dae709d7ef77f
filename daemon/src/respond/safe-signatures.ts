/**
 * Every kind of signature a Safe v1.4.1 accepts, read and checked the way
 * its `checkNSignatures` does, so that a proposal is judged before anything
 * is sent and a bad signature is named with its reason.
 *
 * The kind is given by `v`, the last byte of each 65-byte static part:
 *
 * | v      | kind            | owner                          | check                                                                 |
 * | 27, 28 | `eip712`        | ecrecover(safeTxHash)          | local                                                                 |
 * | 31, 32 | `eth_sign`      | ecrecover(eth-message(hash))   | local (v - 4), what many hardware wallets produce through Safe{Wallet} |
 * | 0      | `contract`      | r (a contract, e.g. a Safe)    | `isValidSignature(bytes,bytes)` of the owner returns 0x20c13b0b (RPC)    |
 * | 1      | `approved-hash` | r                              | `approvedHashes(owner, hash) != 0` on the Safe, or the owner sends the tx |
 *
 * A proposal keeps one entry per owner, in the form a 1-of-1 check reads:
 * 65 bytes, or for a contract signature 65 bytes (s = 65, the offset of its
 * data) followed by the 32-byte length and the data. `encodeSafeSignatures`
 * sorts entries by owner and lays contract data after all static parts, with
 * the offsets recomputed, as `execTransaction` expects.
 */
import { untrustedText } from "../decode/untrusted-text.js";
import {
  type Address,
  type Hex,
  type PublicClient,
  concat,
  decodeErrorResult,
  getAddress,
  hashMessage,
  hashDomain,
  hashStruct,
  hexToBigInt,
  isAddressEqual,
  numberToHex,
  parseAbi,
  recoverAddress,
  size,
  slice,
  toHex,
} from "viem";

export type SafeSignatureKind = "eip712" | "eth_sign" | "contract" | "approved-hash";

export interface ParsedSafeSignature {
  kind: SafeSignatureKind;
  v: number;
  r: Hex;
  s: Hex;
  /** The owner named in `r` (contract and approved-hash kinds). */
  claimedOwner?: Address;
  /** The bytes handed to the owner's `isValidSignature` (contract kind). */
  contractSignature?: Hex;
}

/** A signature that cannot be used; `reason` says why, in words. */
export class SafeSignatureError extends Error {
  override name = "SafeSignatureError";
}

/** EIP-1271's legacy magic value, returned by `isValidSignature(bytes,bytes)` (what Safe 1.4.1 calls). */
export const LEGACY_EIP1271_MAGIC = "0x20c13b0b";

export const safeSignatureAbi = parseAbi([
  "function approvedHashes(address owner, bytes32 hash) view returns (uint256)",
  "function approveHash(bytes32 hashToApprove)",
  "function isValidSignature(bytes data, bytes signature) view returns (bytes4)",
  "event ApproveHash(bytes32 indexed approvedHash, address indexed owner)",
]);

/** What Safe's GS codes mean, for the reasons a nested Safe's check gives. */
export const SAFE_ERROR_CODES: Record<string, string> = {
  GS020: "signatures too short for the threshold",
  GS021: "contract signature data points inside the static part",
  GS022: "contract signature data out of bounds",
  GS023: "contract signature length out of bounds",
  GS024: "contract signature rejected by the owner contract",
  GS025: "hash not approved",
  GS026: "signer is not an owner, or signatures not sorted by owner",
  GS027: "data does not hash to the signed hash",
};

const addressFromWord = (word: Hex): Address => getAddress(slice(word, 12, 32));

/**
 * Splits one owner's entry into its parts (no RPC). Throws
 * SafeSignatureError for a malformed entry or a `v` Safe would not accept.
 */
export function parseSafeSignature(signature: Hex): ParsedSafeSignature {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(signature)) throw new SafeSignatureError("not hex bytes");
  const length = size(signature);
  if (length < 65) throw new SafeSignatureError(`${length} bytes, expected at least 65 (r, s, v)`);
  const r = slice(signature, 0, 32);
  const s = slice(signature, 32, 64);
  const v = Number(hexToBigInt(slice(signature, 64, 65)));
  if (v === 0) {
    const offset = hexToBigInt(s);
    if (offset < 65n) throw new SafeSignatureError(`contract signature data offset ${offset} points inside the 65-byte static part (GS021)`);
    if (offset + 32n > BigInt(length)) throw new SafeSignatureError(`contract signature data offset ${offset} is past the end of ${length} bytes (GS022)`);
    const dataLength = hexToBigInt(slice(signature, Number(offset), Number(offset) + 32));
    if (offset + 32n + dataLength > BigInt(length)) {
      throw new SafeSignatureError(`contract signature says ${dataLength} bytes of data, only ${BigInt(length) - offset - 32n} follow (GS023)`);
    }
    const start = Number(offset) + 32;
    const contractSignature = dataLength === 0n ? "0x" : slice(signature, start, start + Number(dataLength));
    return { kind: "contract", v, r, s, claimedOwner: addressFromWord(r), contractSignature };
  }
  if (length !== 65) throw new SafeSignatureError(`${length} bytes for a v=${v} signature, expected 65`);
  if (v === 1) return { kind: "approved-hash", v, r, s, claimedOwner: addressFromWord(r) };
  if (v === 27 || v === 28) return { kind: "eip712", v, r, s };
  if (v === 31 || v === 32) return { kind: "eth_sign", v, r, s };
  throw new SafeSignatureError(`v = ${v}: Safe accepts 27/28 (EIP-712), 31/32 (eth_sign), 0 (contract) or 1 (approved hash)`);
}

/** The owner an ECDSA signature recovers to (no RPC); undefined for the other kinds. */
export async function recoverEcdsaOwner(parsed: ParsedSafeSignature, safeTxHash: Hex): Promise<Address | undefined> {
  if (parsed.kind === "eip712") {
    return getAddress(await recoverAddress({ hash: safeTxHash, signature: concat([parsed.r, parsed.s, toHex(parsed.v, { size: 1 })]) }));
  }
  if (parsed.kind === "eth_sign") {
    return getAddress(await recoverAddress({ hash: hashMessage({ raw: safeTxHash }), signature: concat([parsed.r, parsed.s, toHex(parsed.v - 4, { size: 1 })]) }));
  }
  return undefined;
}

/**
 * The owner a signature speaks for, without RPC: recovered for ECDSA kinds,
 * read from `r` for contract and approved-hash kinds.
 */
export async function signatureOwner(signature: Hex, safeTxHash: Hex): Promise<{ owner: Address; parsed: ParsedSafeSignature }> {
  const parsed = parseSafeSignature(signature);
  const owner = (await recoverEcdsaOwner(parsed, safeTxHash)) ?? parsed.claimedOwner!;
  return { owner, parsed };
}

/** The pre-image Safe passes to a contract owner's `isValidSignature`: 0x1901 ‖ domainSeparator ‖ hashStruct(SafeTx). */
export function safeTxPreimage(typed: {
  domain: { chainId: number; verifyingContract: Address };
  types: Record<string, readonly { name: string; type: string }[]>;
  primaryType: string;
  message: Record<string, unknown>;
}): Hex {
  const domainTypes = { EIP712Domain: [{ name: "chainId", type: "uint256" }, { name: "verifyingContract", type: "address" }] };
  return concat([
    "0x1901",
    hashDomain({ domain: typed.domain as any, types: domainTypes }),
    hashStruct({ data: typed.message, primaryType: typed.primaryType, types: typed.types as any }),
  ]);
}

/** One owner's entry in the single-signature form: a contract signature's data after its 65-byte static part. */
export function contractSignatureEntry(owner: Address, contractSignature: Hex): Hex {
  return concat([
    numberToHex(hexToBigInt(owner), { size: 32 }),
    numberToHex(65n, { size: 32 }),
    "0x00",
    numberToHex(BigInt(size(contractSignature)), { size: 32 }),
    contractSignature,
  ]);
}

/** An approved-hash entry (v = 1): the owner approved on chain, or sends the transaction itself. */
export function approvedHashEntry(owner: Address): Hex {
  return concat([numberToHex(hexToBigInt(owner), { size: 32 }), numberToHex(0n, { size: 32 }), "0x01"]);
}

/**
 * Splits a concatenated `signatures` blob (as `execTransaction` takes it,
 * e.g. from protocol-kit's `encodedSignatures()` or the Safe Transaction
 * Service) into one entry per owner. The static part ends where the first
 * contract signature's data begins.
 */
export function splitSafeSignatures(blob: Hex): Hex[] {
  const length = size(blob);
  let staticEnd = length;
  const out: Hex[] = [];
  for (let i = 0; (i + 1) * 65 <= staticEnd; i++) {
    const part = slice(blob, i * 65, (i + 1) * 65);
    const v = Number(hexToBigInt(slice(part, 64, 65)));
    if (v !== 0) {
      out.push(part);
      continue;
    }
    const offset = Number(hexToBigInt(slice(part, 32, 64)));
    if (offset < (i + 1) * 65 || offset + 32 > length) throw new SafeSignatureError(`signature ${i + 1}: contract signature data offset ${offset} out of bounds`);
    staticEnd = Math.min(staticEnd, offset);
    const dataLength = Number(hexToBigInt(slice(blob, offset, offset + 32)));
    if (offset + 32 + dataLength > length) throw new SafeSignatureError(`signature ${i + 1}: contract signature length ${dataLength} out of bounds`);
    out.push(contractSignatureEntry(addressFromWord(slice(part, 0, 32)), dataLength === 0 ? "0x" : slice(blob, offset + 32, offset + 32 + dataLength)));
  }
  if (out.length === 0) throw new SafeSignatureError(`${length} bytes hold no 65-byte signature`);
  return out;
}

/**
 * Concatenates owners' entries as `execTransaction` expects: sorted by owner
 * address ascending (Safe refuses any other order, GS026), static parts
 * first, then each contract signature's length and data, its offset in `s`.
 */
export function encodeSafeSignatureEntries(entries: { owner: Address; signature: Hex }[]): Hex {
  const sorted = [...entries].sort((a, b) => (hexToBigInt(a.owner) < hexToBigInt(b.owner) ? -1 : 1));
  const statics: Hex[] = [];
  const dynamics: Hex[] = [];
  let offset = 65 * sorted.length;
  for (const e of sorted) {
    const parsed = parseSafeSignature(e.signature);
    if (parsed.kind !== "contract") {
      statics.push(e.signature);
      continue;
    }
    const data = parsed.contractSignature!;
    statics.push(concat([parsed.r, numberToHex(BigInt(offset), { size: 32 }), "0x00"]));
    const dynamic = concat([numberToHex(BigInt(size(data)), { size: 32 }), data]);
    dynamics.push(dynamic);
    offset += size(dynamic);
  }
  return concat([...statics, ...dynamics]);
}

/** The result of checking one entry like Safe's checkNSignatures does. */
export type SignatureCheck =
  | { ok: true; owner: Address; kind: SafeSignatureKind }
  | { ok: false; owner?: Address; kind?: SafeSignatureKind; reason: string };

/** Why an owner contract refused, as untrusted text (the contract chooses its revert message). */
function revertReason(e: unknown): string {
  return untrustedText(rawRevertReason(e), 160);
}

function rawRevertReason(e: unknown): string {
  let err = e as { data?: Hex; cause?: unknown; shortMessage?: string; message?: string } | undefined;
  for (let depth = 0; err && depth < 6; depth++) {
    if (typeof err.data === "string" && err.data.startsWith("0x") && err.data.length > 10) {
      try {
        const decoded = decodeErrorResult({ abi: parseAbi(["error Error(string)"]), data: err.data });
        const text = String(decoded.args[0]);
        return SAFE_ERROR_CODES[text] ? `${text}: ${SAFE_ERROR_CODES[text]}` : text.slice(0, 120);
      } catch {
        return `reverted with data ${err.data.slice(0, 74)}`;
      }
    }
    const m = /reverted with reason string '([^']*)'|reason:\s*([^\n]+)/.exec(err.shortMessage ?? err.message ?? "");
    if (m) {
      const text = (m[1] ?? m[2] ?? "").trim();
      return SAFE_ERROR_CODES[text] ? `${text}: ${SAFE_ERROR_CODES[text]}` : text.slice(0, 120);
    }
    err = err.cause as typeof err;
  }
  return ((e as Error)?.message ?? String(e)).split("\n")[0]!.slice(0, 160);
}

/**
 * Checks one owner's entry the way Safe 1.4.1's checkNSignatures does.
 * ECDSA kinds are checked locally; a contract signature is put to the
 * owner's `isValidSignature(preimage, data)` and an approved hash to the
 * Safe's `approvedHashes`, both by `eth_call` at `blockNumber` (default
 * latest). `executor` is the account that will send `execTransaction`: Safe
 * counts an approved-hash entry of that owner without an on-chain approval.
 * Whether the owner is one of the Safe's owners is the caller's check.
 */
export async function checkSafeSignature(
  client: PublicClient,
  args: { safe: Address; safeTxHash: Hex; preimage: Hex; signature: Hex; executor?: Address; blockNumber?: bigint },
): Promise<SignatureCheck> {
  let parsed: ParsedSafeSignature;
  try {
    parsed = parseSafeSignature(args.signature);
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  const at = args.blockNumber === undefined ? {} : { blockNumber: args.blockNumber };
  if (parsed.kind === "eip712" || parsed.kind === "eth_sign") {
    try {
      const owner = (await recoverEcdsaOwner(parsed, args.safeTxHash))!;
      return { ok: true, owner, kind: parsed.kind };
    } catch (e) {
      return { ok: false, kind: parsed.kind, reason: `not a valid ${parsed.kind} signature (${(e as Error).message.split("\n")[0]})` };
    }
  }
  const owner = parsed.claimedOwner!;
  if (parsed.kind === "approved-hash") {
    if (args.executor && isAddressEqual(args.executor, owner)) return { ok: true, owner, kind: parsed.kind };
    const approved = await client.readContract({ address: args.safe, abi: safeSignatureAbi, functionName: "approvedHashes", args: [owner, args.safeTxHash], ...at });
    return approved !== 0n
      ? { ok: true, owner, kind: parsed.kind }
      : { ok: false, owner, kind: parsed.kind, reason: `${owner} has not approved this safeTxHash on chain (approveHash not called or not mined; GS025)` };
  }
  const code = await client.getCode({ address: owner, ...at });
  if (!code || code === "0x") return { ok: false, owner, kind: parsed.kind, reason: `contract signature from ${owner}, which has no code (GS024)` };
  try {
    const magic = await client.readContract({
      address: owner,
      abi: safeSignatureAbi,
      functionName: "isValidSignature",
      args: [args.preimage, parsed.contractSignature!],
      account: args.safe,
      ...at,
    });
    if (magic.toLowerCase() === LEGACY_EIP1271_MAGIC) return { ok: true, owner, kind: parsed.kind };
    return { ok: false, owner, kind: parsed.kind, reason: `${owner}.isValidSignature returned ${magic}, not ${LEGACY_EIP1271_MAGIC} (GS024)` };
  } catch (e) {
    return { ok: false, owner, kind: parsed.kind, reason: `${owner}.isValidSignature refused it: ${revertReason(e)}` };
  }
}

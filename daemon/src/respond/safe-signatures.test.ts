import { describe, it, expect } from "vitest";
import { concat, getAddress, hashMessage, keccak256, numberToHex, toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  approvedHashEntry,
  contractSignatureEntry,
  encodeSafeSignatureEntries,
  parseSafeSignature,
  signatureOwner,
  splitSafeSignatures,
} from "./safe-signatures.js";

const hash = keccak256(toHex("a safe transaction"));
const alice = privateKeyToAccount(`0x${"11".repeat(32)}`);
const low = getAddress(`0x${"01".repeat(20)}`);
const high = getAddress(`0x${"fe".repeat(20)}`);

describe("Safe signature entries", () => {
  it("reads the kind from v and recovers ECDSA owners for EIP-712 and eth_sign", async () => {
    const raw = await alice.sign({ hash });
    expect((await signatureOwner(raw, hash)).owner).toBe(alice.address);
    const personal = await alice.signMessage({ message: { raw: hash } });
    const v = parseInt(personal.slice(-2), 16) + 4;
    const ethSign = `${personal.slice(0, -2)}${v.toString(16)}` as Hex;
    const r = await signatureOwner(ethSign, hash);
    expect(r.parsed.kind).toBe("eth_sign");
    expect(r.owner).toBe(alice.address);
    // The same bytes read as EIP-712 recover to someone else.
    expect((await signatureOwner(personal, hash)).owner).not.toBe(alice.address);
    expect(hashMessage({ raw: hash })).not.toBe(hash);
  });

  it("names the owner of contract and approved-hash entries from r", async () => {
    expect(parseSafeSignature(approvedHashEntry(low))).toMatchObject({ kind: "approved-hash", claimedOwner: low });
    const c = parseSafeSignature(contractSignatureEntry(high, "0xdeadbeef"));
    expect(c).toMatchObject({ kind: "contract", claimedOwner: high, contractSignature: "0xdeadbeef" });
  });

  it("refuses malformed entries with the reason Safe would give", () => {
    expect(() => parseSafeSignature("0x1234")).toThrow(/2 bytes, expected at least 65/);
    const bad = concat([numberToHex(BigInt(low), { size: 32 }), numberToHex(10n, { size: 32 }), "0x00"]);
    expect(() => parseSafeSignature(bad)).toThrow(/offset 10 points inside the 65-byte static part \(GS021\)/);
    const short = concat([numberToHex(BigInt(low), { size: 32 }), numberToHex(65n, { size: 32 }), "0x00", numberToHex(100n, { size: 32 }), "0xaa"]);
    expect(() => parseSafeSignature(short)).toThrow(/says 100 bytes of data, only 1 follow \(GS023\)/);
    expect(() => parseSafeSignature(`0x${"00".repeat(64)}1d`)).toThrow(/v = 29/);
  });

  it("lays entries out sorted by owner with contract data after the static parts, and splits them back", async () => {
    const ecdsa = await alice.sign({ hash });
    const entries = [
      { owner: high, signature: contractSignatureEntry(high, "0xc0ffee") },
      { owner: alice.address, signature: ecdsa },
      { owner: low, signature: contractSignatureEntry(low, "0x0102030405") },
    ];
    const blob = encodeSafeSignatureEntries(entries);
    const sorted = [...entries].sort((a, b) => (BigInt(a.owner) < BigInt(b.owner) ? -1 : 1));
    // static part of 3 × 65 bytes, then the first contract signature's length at offset 195
    const firstContract = sorted.findIndex((e) => e.owner !== alice.address);
    expect(BigInt(`0x${blob.slice(2 + firstContract * 130 + 64, 2 + firstContract * 130 + 128)}`)).toBe(195n);
    const back = splitSafeSignatures(blob);
    expect(back).toEqual(sorted.map((e) => e.signature));
  });
});

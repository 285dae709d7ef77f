/**
 * Ethereum's 2048-bit log bloom (yellow paper, section 4.3.1): every header
 * carries one over the addresses and topics of its logs. A watched address
 * missing from a block's bloom cannot have logged in that block (no false
 * negatives), which lets the follower skip `eth_getLogs` for quiet blocks and
 * notice an endpoint that answers `eth_getLogs` incompletely.
 */
import { hexToBytes, keccak256 } from "viem";
import type { Hex } from "../types.js";

/** The three (byte, mask) pairs a value sets in a bloom; byte 0 is the bloom's first byte. */
export type BloomBits = ReadonlyArray<readonly [byte: number, mask: number]>;

/** The bits `value` (an address or a topic, as hex) sets in a log bloom. */
export function bloomBits(value: Hex): BloomBits {
  const hash = hexToBytes(keccak256(value));
  const bits: Array<readonly [number, number]> = [];
  for (let i = 0; i < 6; i += 2) {
    const bit = (((hash[i] as number) << 8) | (hash[i + 1] as number)) & 0x7ff;
    bits.push([255 - (bit >> 3), 1 << (bit & 7)]);
  }
  return bits;
}

/** True if `bloom` (0x + 512 hex digits) may contain the value whose bits are `bits`. */
export function bloomMayContain(bloom: Hex, bits: BloomBits): boolean {
  for (const [byte, mask] of bits) {
    const at = 2 + byte * 2;
    const value = Number.parseInt(bloom.slice(at, at + 2), 16);
    if ((value & mask) === 0) return false;
  }
  return true;
}

/** True if `bloom` may contain any of the values. */
export function bloomMayContainAny(bloom: Hex, values: ReadonlyArray<BloomBits>): boolean {
  return values.some((bits) => bloomMayContain(bloom, bits));
}

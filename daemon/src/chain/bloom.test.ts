import { describe, expect, test } from "vitest";
import { bloomBits, bloomMayContain, bloomMayContainAny } from "./bloom.js";
import type { Hex } from "../types.js";

/** Builds a bloom from values the way a client does. */
function bloomOf(values: Hex[]): Hex {
  const bytes = new Uint8Array(256);
  for (const v of values) for (const [byte, mask] of bloomBits(v)) bytes[byte] = (bytes[byte] as number) | mask;
  return `0x${Buffer.from(bytes).toString("hex")}`;
}

describe("log bloom", () => {
  const a: Hex = "0x00000000000000000000000000000000000000aa";
  const b: Hex = "0x00000000000000000000000000000000000000bb";

  test("sets three bits per value and finds what it holds", () => {
    const bloom = bloomOf([a]);
    expect(bloomBits(a)).toHaveLength(3);
    expect(bloomMayContain(bloom, bloomBits(a))).toBe(true);
    expect(bloomMayContain(bloom, bloomBits(b))).toBe(false);
    expect(bloomMayContainAny(bloom, [bloomBits(b), bloomBits(a)])).toBe(true);
    expect(bloomMayContain(`0x${"00".repeat(256)}`, bloomBits(a))).toBe(false);
  });

  test("matches the bloom of a real client: an EDR block whose only log came from 0x…aa", () => {
    const bloom: Hex =
      "0x00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000000000000000000000000000000000000000000400000000000000000000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000000000008000000000000000000000000000000000000000000000000000000001000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
    const topic: Hex = "0x1440c4dd67b4344ea1905ec0318995133b550f168b4ee959a0da6b503d7d2414"; // keccak256("TestEvent(uint256)")
    expect(bloomOf([a, topic])).toBe(bloom);
    expect(bloomMayContain(bloom, bloomBits(a))).toBe(true);
    expect(bloomMayContain(bloom, bloomBits(b))).toBe(false);
  });
});

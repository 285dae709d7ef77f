import { describe, it, expect } from "vitest";
import { bumpFees, effectiveTip, isTxTypeRefusal, MIN_PRIORITY_FEE, outbidding } from "./fees.js";
import { retryDelay } from "../runtime/circuit-breaker.js";

const gwei = (n: number) => BigInt(n) * 1_000_000_000n;

describe("bumpFees", () => {
  it("raises each field by a quarter, or to the fresh price when higher", () => {
    expect(bumpFees({ type: "eip1559", maxFeePerGas: gwei(4), maxPriorityFeePerGas: gwei(1) }, { type: "eip1559", maxFeePerGas: gwei(3), maxPriorityFeePerGas: gwei(1) })).toEqual({
      type: "eip1559",
      maxFeePerGas: gwei(5),
      maxPriorityFeePerGas: 1_250_000_000n,
    });
    expect(bumpFees({ type: "legacy", gasPrice: gwei(4) }, { type: "legacy", gasPrice: gwei(9) })).toEqual({ type: "legacy", gasPrice: gwei(9) });
  });

  it("never passes the cap, and takes the fresh fees when the market changed", () => {
    expect(bumpFees({ type: "legacy", gasPrice: gwei(90) }, { type: "legacy", gasPrice: gwei(1) }, gwei(100))).toEqual({ type: "legacy", gasPrice: gwei(100) });
    expect(bumpFees({ type: "legacy", gasPrice: gwei(100) }, { type: "legacy", gasPrice: gwei(1) }, gwei(100))).toEqual({ type: "legacy", gasPrice: gwei(100) });
    const legacy = { type: "legacy", gasPrice: MIN_PRIORITY_FEE } as const;
    expect(bumpFees({ type: "eip1559", maxFeePerGas: gwei(4), maxPriorityFeePerGas: gwei(1) }, legacy)).toEqual(legacy);
  });
});

describe("outbidding a pending attack", () => {
  it("reads what an attack pays the producer over the base fee, on either market", () => {
    expect(effectiveTip({ maxFeePerGas: gwei(30), maxPriorityFeePerGas: gwei(2) }, gwei(10))).toBe(gwei(2));
    expect(effectiveTip({ maxFeePerGas: gwei(11), maxPriorityFeePerGas: gwei(5) }, gwei(10))).toBe(gwei(1)); // capped by its max fee
    expect(effectiveTip({ maxFeePerGas: gwei(9), maxPriorityFeePerGas: gwei(5) }, gwei(10))).toBe(0n); // not includable now
    expect(effectiveTip({ gasPrice: gwei(13) }, gwei(10))).toBe(gwei(3));
  });

  it("offers 5/4 of it plus 1 gwei", () => {
    expect(outbidding(gwei(4))).toBe(gwei(6));
    expect(outbidding(0n)).toBe(MIN_PRIORITY_FEE);
  });
});

describe("isTxTypeRefusal", () => {
  it("reads nodes' refusals of type-2 transactions", () => {
    expect(isTxTypeRefusal("EIP-1559 style fee params (maxFeePerGas or maxPriorityFeePerGas) received but they are not supported by the current hardfork.")).toBe(true);
    expect(isTxTypeRefusal("transaction type not supported")).toBe(true);
    expect(isTxTypeRefusal("nonce too low")).toBe(false);
    expect(isTxTypeRefusal("insufficient funds for gas * price + value")).toBe(false);
  });
});

describe("retryDelay", () => {
  it("doubles from the base up to the max, with ±20% jitter, and waits a Retry-After (bounded)", () => {
    expect(retryDelay(1, 1000, 15_000, undefined, () => 0.5)).toBe(1000);
    expect(retryDelay(3, 1000, 15_000, undefined, () => 0.5)).toBe(4000);
    expect(retryDelay(10, 1000, 15_000, undefined, () => 0.5)).toBe(15_000);
    expect(retryDelay(1, 1000, 15_000, undefined, () => 0)).toBe(800);
    expect(retryDelay(1, 1000, 15_000, undefined, () => 1)).toBe(1200);
    expect(retryDelay(1, 1000, 15_000, { cause: { retryAfterMs: 5000 } }, () => 0.5)).toBe(5000);
    expect(retryDelay(1, 1000, 15_000, { retryAfterMs: 10_000_000 }, () => 0.5)).toBe(60_000);
  });
});

import { describe, expect, test } from "vitest";
import { RpcResponseError, isAnswerError, isRangeLimitError, isTimeoutError } from "./errors.js";
import { parseBlock, parseLogs, parseReceipt } from "./parse.js";
import { parseQuantity } from "./rpc-pool.js";

const hash = (c: string) => `0x${c.repeat(64)}`;
const block = (extra: Record<string, unknown> = {}) => ({
  number: "0xa",
  hash: hash("a"),
  parentHash: hash("b"),
  timestamp: "0x64",
  gasUsed: "0x0",
  gasLimit: "0x1c9c380",
  baseFeePerGas: "0x7",
  logsBloom: `0x${"0".repeat(512)}`,
  transactions: [],
  ...extra,
});

describe("answer validation", () => {
  test("a block: header fields typed, uint256 as decimal strings", () => {
    expect(parseBlock(block(), 10, true)?.header).toEqual({
      number: 10,
      hash: hash("a"),
      parentHash: hash("b"),
      timestamp: 100,
      gasUsed: "0",
      gasLimit: "30000000",
      baseFeePerGas: "7",
      transactionCount: 0,
    });
    expect(parseBlock(null, 10, true)).toBeNull();
  });

  test("rejects what is not the block asked for", () => {
    expect(() => parseBlock(block(), 11, true)).toThrow("asked for block 11, got 10");
    expect(() => parseBlock(block({ hash: "0x12" }), 10, true)).toThrow("hash is not a 32-byte hash");
    expect(() => parseBlock(block({ transactions: [hash("c")] }), 10, true)).toThrow("transactions are hashes");
    expect(() => parseBlock("garbage", 10, true)).toThrow();
    expect(() => parseBlock({ unexpected: true }, 10, true)).toThrow();
  });

  test("logs and receipts", () => {
    const log = { address: `0x${"a".repeat(40)}`, topics: [hash("1")], data: "0x", blockNumber: "0xa", blockHash: hash("A"), transactionHash: hash("B"), logIndex: "0x0", transactionIndex: "0x0", removed: false };
    expect(parseLogs([log])[0]).toMatchObject({ blockNumber: 10n, logIndex: 0, blockHash: hash("a"), transactionHash: hash("b") });
    expect(() => parseLogs({})).toThrow("logs are not an array");
    expect(() => parseLogs([{ ...log, topics: ["0x1"] }])).toThrow("topics");
    expect(parseReceipt(null)).toBeNull();
    expect(() => parseReceipt({ transactionHash: hash("b"), blockHash: hash("a"), blockNumber: "0xa", status: "0x2", logs: [] })).toThrow("status");
  });

  test("quantities", () => {
    expect(parseQuantity("0x1a")).toBe(26);
    for (const bad of ["1a", "0x", 26, null, "0x1ffffffffffffff"]) expect(() => parseQuantity(bad)).toThrow();
  });
});

describe("error classes", () => {
  const answer = (code: number, message: string) => new RpcResponseError("ep", "eth_getLogs", code, message);
  test("range limits in the wordings of common providers", () => {
    for (const [code, message] of [
      [-32005, "query returned more than 10000 results"],
      [-32602, "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range"],
      [-32000, "block range is too wide"],
      [-32600, "exceed maximum block range: 5000"],
      [-32000, "query exceeds max block range 50"],
    ] as const) {
      expect(isRangeLimitError(answer(code, message)), message).toBe(true);
      expect(isAnswerError(answer(code, message))).toBe(true);
    }
    expect(isRangeLimitError(answer(-32000, "header not found"))).toBe(false);
    expect(isAnswerError(answer(-32000, "header not found"))).toBe(false);
    expect(isAnswerError(answer(3, "execution reverted"))).toBe(true);
  });

  test("timeouts are found through the cause chain", () => {
    const timeout = Object.assign(new Error("took too long"), { name: "TimeoutError" });
    expect(isTimeoutError(new Error("wrapped", { cause: timeout }))).toBe(true);
    expect(isTimeoutError(new Error("other"))).toBe(false);
  });
});

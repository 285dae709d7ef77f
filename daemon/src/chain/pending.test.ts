/**
 * Pending transactions, the pure parts: transaction objects as anvil and
 * EDR send them, `txpool_content`, Besu's `txpool_besuTransactions`,
 * filter changes and WebSocket messages, and what is malformed. The sources
 * on real nodes are in test/daemon/pending-sources.test.ts.
 */
import { describe, expect, test } from "vitest";
import {
  BoundedSet,
  parseBesuTransactions,
  parseFilterChanges,
  parsePendingMessage,
  parsePendingTx,
  parseTxpoolContent,
} from "./pending.js";

const HASH = "0x857a3350f07c6da7d14cb814b5099a7ede1c388869e2f447d110bd5aa4402a4d";
const FROM = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

/** A fee-market transaction as anvil's subscription pushed it (recorded on this machine). */
const ANVIL_1559 = {
  type: "0x2",
  chainId: "0x7a69",
  nonce: "0x0",
  gas: "0x5258",
  maxFeePerGas: "0x8f0d1800",
  maxPriorityFeePerGas: "0x3b9aca00",
  to: "0x000000000000000000000000000000000000dEaD",
  value: "0x5",
  accessList: [],
  input: "0x1234",
  r: "0xdab7ad4785848f4113d989e26276d763ce84f54a7da2af06b17aacd36e706df0",
  s: "0x2c7f5cfd45cabfe2e826ccdda925cfdc26513e7e2e91569d18a373c69fa14538",
  yParity: "0x0",
  v: "0x0",
  hash: HASH,
  blockHash: null,
  blockNumber: null,
  transactionIndex: null,
  from: FROM,
  gasPrice: "0x77359400",
};

/** A legacy transaction as EDR answers eth_getTransactionByHash. */
const EDR_LEGACY = {
  hash: `0x${"e9".repeat(32)}`,
  nonce: "0x1a",
  blockHash: null,
  blockNumber: null,
  transactionIndex: null,
  from: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  to: null,
  value: "0x0",
  gasPrice: "0x83215600",
  gas: "0x1e8480",
  input: "0x6080",
  chainId: "0x7a69",
  type: "0x0",
  v: "0xf4f5",
  r: "0x1",
  s: "0x2",
};

describe("parsePendingTx", () => {
  test("a fee-market transaction: addresses lowercased, quantities as bigints, no gasPrice (nodes disagree on it)", () => {
    expect(parsePendingTx(ANVIL_1559)).toEqual({
      kind: "tx",
      tx: {
        hash: HASH,
        from: FROM,
        to: "0x000000000000000000000000000000000000dead",
        input: "0x1234",
        value: 5n,
        gas: 0x5258n,
        nonce: 0,
        type: "eip1559",
        maxFeePerGas: 2_400_000_000n,
        maxPriorityFeePerGas: 1_000_000_000n,
      },
    });
  });

  test("a legacy contract creation: to null, its gasPrice kept", () => {
    const parsed = parsePendingTx(EDR_LEGACY);
    expect(parsed).toMatchObject({ kind: "tx", tx: { to: null, type: "legacy", gasPrice: 0x83215600n, nonce: 26, from: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" } });
    expect(parsed.kind === "tx" && "maxFeePerGas" in parsed.tx).toBe(false);
  });

  test("types: no type is legacy (pre-EIP-2718 clients), 0x1 is EIP-2930, 0x4 and others are other", () => {
    const { type: _t, ...untyped } = EDR_LEGACY;
    expect(parsePendingTx(untyped)).toMatchObject({ tx: { type: "legacy" } });
    expect(parsePendingTx({ ...EDR_LEGACY, type: "0x1" })).toMatchObject({ tx: { type: "eip2930", gasPrice: 0x83215600n } });
    expect(parsePendingTx({ ...ANVIL_1559, type: "0x4" })).toMatchObject({ tx: { type: "other", maxFeePerGas: 2_400_000_000n } });
  });

  test("a mined transaction is `mined`, not a pending one", () => {
    expect(parsePendingTx({ ...ANVIL_1559, blockNumber: "0x10", blockHash: `0x${"11".repeat(32)}` })).toEqual({ kind: "mined", hash: HASH });
  });

  test("an input over the cap is `too-large` (with its hash, for deduplication); at the cap it passes", () => {
    expect(parsePendingTx({ ...ANVIL_1559, input: `0x${"ab".repeat(5)}` }, 4)).toEqual({ kind: "too-large", hash: HASH });
    expect(parsePendingTx({ ...ANVIL_1559, input: `0x${"ab".repeat(4)}` }, 4)).toMatchObject({ kind: "tx", tx: { input: "0xabababab" } });
  });

  test("a few old clients name the input `data`", () => {
    const { input: _i, ...rest } = ANVIL_1559;
    expect(parsePendingTx({ ...rest, data: "0xbeef" })).toMatchObject({ tx: { input: "0xbeef" } });
  });

  test.each([
    ["not an object", "0x12", "not an object"],
    ["hash", { ...ANVIL_1559, hash: "0x12" }, "hash"],
    ["from", { ...ANVIL_1559, from: "0xnothex" }, "from"],
    ["to", { ...ANVIL_1559, to: 7 }, "to"],
    ["odd input", { ...ANVIL_1559, input: "0x123" }, "input"],
    ["input with a control character", { ...ANVIL_1559, input: "0x12\u0007" }, "input"],
    ["value", { ...ANVIL_1559, value: 5 }, "value"],
    ["gas", { ...ANVIL_1559, gas: "0x" }, "gas"],
    ["huge nonce", { ...ANVIL_1559, nonce: "0xffffffffffffffff" }, "nonce"],
    ["type", { ...ANVIL_1559, type: "two" }, "type"],
    ["fee", { ...ANVIL_1559, maxFeePerGas: "lots" }, "maxFeePerGas"],
    ["fee-market without its fees", { ...ANVIL_1559, maxPriorityFeePerGas: undefined }, "fee-market"],
    ["legacy without gasPrice", { ...EDR_LEGACY, gasPrice: undefined }, "gasPrice"],
    ["blockNumber", { ...ANVIL_1559, blockNumber: "soon" }, "blockNumber"],
  ])("malformed: %s", (_name, raw, reason) => {
    const parsed = parsePendingTx(raw);
    expect(parsed.kind).toBe("malformed");
    expect(parsed.kind === "malformed" && parsed.reason).toContain(reason);
  });
});

describe("parseTxpoolContent", () => {
  test("takes pending by sender and nonce, ignores queued, counts entries of the wrong shape", () => {
    const raw = {
      pending: {
        [FROM]: { "0": ANVIL_1559, "1": { ...ANVIL_1559, nonce: "0x1" } },
        "0xnotanaddress": { "0": ANVIL_1559 },
        "0x70997970c51812dc3a010c7d01b50e0d17dc79c8": { x: ANVIL_1559, "2": "a string" },
      },
      queued: { [FROM]: { "5": { ...ANVIL_1559, nonce: "0x5" } } },
    };
    const { txs, malformed } = parseTxpoolContent(raw);
    expect(txs).toHaveLength(2);
    expect(malformed).toBe(3);
  });

  test("an answer that is not a pool is refused", () => {
    expect(() => parseTxpoolContent([])).toThrow(/pending/);
    expect(() => parseTxpoolContent({ queued: {} })).toThrow(/pending/);
  });
});

describe("parseBesuTransactions", () => {
  test("Besu's shape: the hashes, lowercased; entries without a hash counted", () => {
    const raw = [
      { hash: HASH.toUpperCase().replace("0X", "0x"), isReceivedFromLocalSource: true, addedToPoolAt: "2026-12-07T00:35:50.911Z" },
      { hash: `0x${"41".repeat(32)}`, isReceivedFromLocalSource: false, addedToPoolAt: "2026-12-07T00:36:00.374Z" },
      { hash: "0x1234", isReceivedFromLocalSource: true, addedToPoolAt: "" },
      "0xabc",
    ];
    expect(parseBesuTransactions(raw)).toEqual({ hashes: [HASH, `0x${"41".repeat(32)}`], malformed: 2 });
    expect(() => parseBesuTransactions({ hash: HASH })).toThrow(/array/);
  });
});

describe("parseFilterChanges", () => {
  test("hashes; null is a filter the node forgot (EDR); junk counted; a non-array refused", () => {
    expect(parseFilterChanges([HASH, 5, "0x12"])).toEqual({ hashes: [HASH], malformed: 2 });
    expect(parseFilterChanges([])).toEqual({ hashes: [], malformed: 0 });
    expect(parseFilterChanges(null)).toBeUndefined();
    expect(() => parseFilterChanges({})).toThrow(/array/);
  });
});

describe("parsePendingMessage", () => {
  const ids = [1, 2];
  const note = (sub: string, result: unknown) => JSON.stringify({ jsonrpc: "2.0", method: "eth_subscription", params: { subscription: sub, result } });

  test("subscribe answers: the id says which form; a refusal carries the node's reason, cleaned", () => {
    expect(parsePendingMessage(JSON.stringify({ id: 1, result: "0xABC" }), ids, undefined, 1e6)).toEqual({ kind: "subscribed", id: 1, subscription: "0xabc" });
    // EDR's refusal of the full form, as recorded.
    const edr = { jsonrpc: "2.0", id: 1, error: { code: -32602, message: "invalid type: boolean `true`, expected struct LogFilterOptions\u001b[31m" } };
    expect(parsePendingMessage(JSON.stringify(edr), ids, undefined, 1e6)).toEqual({ kind: "refused", id: 1, reason: "-32602 invalid type: boolean `true`, expected struct LogFilterOptions[31m" });
    expect(parsePendingMessage(JSON.stringify({ id: 2, result: 7 }), ids, undefined, 1e6)).toMatchObject({ kind: "refused", id: 2 });
    // A gateway quoting its own URL (with a key) in the refusal: reduced to scheme://host:port.
    const quoted = parsePendingMessage(JSON.stringify({ id: 2, error: { code: -32000, message: "see https://rpc.example.com/v3/secretkey123" } }), ids, undefined, 1e6);
    expect(quoted).toMatchObject({ kind: "refused" });
    expect(JSON.stringify(quoted)).not.toContain("secretkey123");
    expect(parsePendingMessage(JSON.stringify({ id: 1000, result: "0x8a" }), ids, "0xabc", 1e6)).toEqual({ kind: "answer", id: 1000 });
  });

  test("notifications of our subscription: a hash or a whole transaction; others ignored", () => {
    expect(parsePendingMessage(note("0xABC", HASH.toUpperCase().replace("0X", "0x")), ids, "0xabc", 1e6)).toEqual({ kind: "hash", hash: HASH });
    expect(parsePendingMessage(note("0xabc", ANVIL_1559), ids, "0xabc", 1e6)).toEqual({ kind: "tx", raw: ANVIL_1559 });
    expect(parsePendingMessage(note("0xdef", HASH), ids, "0xabc", 1e6)).toBeUndefined();
    expect(parsePendingMessage(note("0xabc", HASH), ids, undefined, 1e6)).toBeUndefined();
    expect(parsePendingMessage(JSON.stringify({ method: "eth_other", params: {} }), ids, "0xabc", 1e6)).toBeUndefined();
  });

  test("malformed and oversized messages are reported as such (counted), never thrown", () => {
    expect(parsePendingMessage("{not json", ids, "0xabc", 1e6)).toEqual({ kind: "malformed" });
    expect(parsePendingMessage("[1,2]", ids, "0xabc", 1e6)).toEqual({ kind: "malformed" });
    expect(parsePendingMessage(note("0xabc", "0x12"), ids, "0xabc", 1e6)).toEqual({ kind: "malformed" });
    expect(parsePendingMessage(note("0xabc", 12), ids, "0xabc", 1e6)).toEqual({ kind: "malformed" });
    expect(parsePendingMessage(note("0xabc", ANVIL_1559), ids, "0xabc", 100)).toEqual({ kind: "too-large" });
    expect(parsePendingMessage(new ArrayBuffer(4), ids, "0xabc", 1e6)).toBeUndefined();
  });
});

describe("BoundedSet", () => {
  test("forgets the oldest beyond its capacity; a repeated add does not refresh or grow it", () => {
    const s = new BoundedSet<string>(3);
    for (const x of ["a", "b", "c", "a", "d"]) s.add(x);
    expect(s.size).toBe(3);
    expect(["a", "b", "c", "d"].map((x) => s.has(x))).toEqual([false, true, true, true]);
    s.delete("b");
    expect(s.has("b")).toBe(false);
  });
});

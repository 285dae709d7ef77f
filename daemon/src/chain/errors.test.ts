import { HttpRequestError, RpcRequestError, TimeoutError } from "viem";
import { describe, expect, it } from "vitest";
import {
  BatchRefusedError,
  MalformedResponseError,
  RpcResponseError,
  classifyRpcError,
  describeRpcError,
  isAnswerError,
  isRangeLimitError,
  parseRetryAfter,
  revertDataOf,
} from "./errors.js";

const rpc = (code: number, message: string, method = "eth_getLogs", data?: unknown) => new RpcResponseError("ep", method, code, message, data);
const http = (status: number, headers: Record<string, string> = {}, details = "") =>
  new HttpRequestError({ status, headers: new Headers(headers), url: "https://mainnet.example.io/v3/SECRETKEY", details });

describe("classifyRpcError: providers' own wordings", () => {
  it.each([
    // range or result-size limits of eth_getLogs
    ["Infura", rpc(-32005, "query returned more than 10000 results", "eth_getLogs", { from: "0x1", to: "0x2", limit: 10000 }), "range-limit"],
    ["Alchemy", rpc(-32602, "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [0x0, 0x1f3]"), "range-limit"],
    ["QuickNode", rpc(-32614, "eth_getLogs is limited to a 10,000 range"), "range-limit"],
    ["Besu", rpc(-32005, "Requested range exceeds maximum RPC range limit"), "range-limit"],
    ["Geth", rpc(-32000, "exceed maximum block range: 5000"), "range-limit"],
    ["Erigon", rpc(-32000, "query exceeds max block range 1000"), "range-limit"],
    ["Nethermind", rpc(-32016, "Too many logs. Limit is 10000, requested range returned more than that"), "range-limit"],
    ["Chainstack", rpc(-32000, "Block range limit exceeded."), "range-limit"],
    ["a bare -32005 to eth_getLogs", rpc(-32005, ""), "range-limit"],
    ["-32005 'limit exceeded' (EIP-1474's text, BNB) even to eth_getLogs", rpc(-32005, "limit exceeded"), "rate-limit"],
    // rate limits
    ["Infura rate (eth_getLogs!)", rpc(-32005, "project ID request rate exceeded", "eth_getLogs", { see: "https://infura.io/dashboard", current_rps: 13.3, allowed_rps: 10, backoff_seconds: 30 }), "rate-limit"],
    ["Infura rate (batch)", rpc(-32005, "project ID request rate exceeded", "eth_blockNumber"), "rate-limit"],
    ["BNB public RPC", rpc(-32005, "limit exceeded", "eth_call"), "rate-limit"],
    ["a bare -32005 to another method", rpc(-32005, "", "eth_blockNumber"), "rate-limit"],
    ["Alchemy in a 200", rpc(429, "Your app has exceeded its compute units per second capacity. If you have retries enabled, you can safely ignore this message.", "eth_call"), "rate-limit"],
    ["a gateway", rpc(-32000, "Too Many Requests", "eth_call"), "rate-limit"],
    // batches
    ["Besu batch", rpc(-32005, "Number of requests exceeds max batch size", "eth_blockNumber"), "batch-limit"],
    ["Geth batch", rpc(-32600, "batch too large", "eth_blockNumber"), "batch-limit"],
    ["Nethermind batch", rpc(-32600, "The batch size limit was exceeded. The requested batch size 1100, and the current batch size limit is 1024.", "eth_blockNumber"), "batch-limit"],
    ["MegaNode batch", rpc(-32005, "batch size exceed limit 500", "eth_blockNumber"), "batch-limit"],
    ["a single error for a batch", new BatchRefusedError("ep", 55, -32005, "Number of requests exceeds max batch size"), "batch-limit"],
    // methods
    ["Geth/Erigon missing", rpc(-32601, "the method debug_traceTransaction does not exist/is not available", "debug_traceTransaction"), "method-unavailable"],
    ["Besu disabled", rpc(-32604, "Method not enabled", "debug_traceTransaction"), "method-unavailable"],
    ["Nethermind", rpc(-32601, "The method 'debug_traceTransaction' is not supported.", "debug_traceTransaction"), "method-unavailable"],
    ["anvil", rpc(-32601, "Method not found", "eth_feeHistory"), "method-unavailable"],
    ["a gateway whitelist", rpc(-32000, "method debug_traceTransaction is not allowed", "debug_traceTransaction"), "method-unavailable"],
    // the call's own verdict, and other errors
    ["anvil revert", rpc(3, "execution reverted: custom error 0x1234", "eth_call"), "revert"],
    ["Geth revert", rpc(-32000, "execution reverted", "eth_estimateGas"), "revert"],
    ["a type-2 refusal is not a missing method", rpc(-32000, "transaction type not supported", "eth_sendRawTransaction"), "server"],
    ["header not found", rpc(-32000, "header not found", "eth_call"), "server"],
  ] as const)("%s → %s", (_who, error, kind) => {
    expect(classifyRpcError(error).kind).toBe(kind);
  });

  it("never reads Infura's rate limit as a range limit, and reads its backoff", () => {
    const e = rpc(-32005, "project ID request rate exceeded", "eth_getLogs", { backoff_seconds: 30 });
    expect(isRangeLimitError(e)).toBe(false);
    expect(isAnswerError(e)).toBe(false);
    expect(classifyRpcError(e).retryAfterMs).toBe(30_000);
  });

  it("counts a range limit and a revert as answers (no failover), nothing else", () => {
    expect(isAnswerError(rpc(-32005, "Requested range exceeds maximum RPC range limit"))).toBe(true);
    expect(isAnswerError(rpc(3, "execution reverted", "eth_call"))).toBe(true);
    expect(isAnswerError(rpc(-32604, "Method not enabled"))).toBe(false);
    expect(isAnswerError(http(429))).toBe(false);
  });
});

describe("classifyRpcError: HTTP answers", () => {
  it("reads 429 as a rate limit, with Retry-After in seconds or as a date", () => {
    expect(classifyRpcError(http(429, { "retry-after": "2" }))).toMatchObject({ kind: "rate-limit", status: 429, retryAfterMs: 2000 });
    expect(classifyRpcError(http(429))).toMatchObject({ kind: "rate-limit", status: 429 });
    expect(classifyRpcError(http(429)).retryAfterMs).toBeUndefined();
  });

  it("reads a JSON-RPC error in a non-2xx answer (viem's RpcRequestError) with its status", () => {
    const e = new RpcRequestError({ body: {}, error: { code: 429, message: "Too Many Requests" }, headers: new Headers({ "retry-after": "1" }), status: 429, url: "http://x" });
    expect(classifyRpcError(e)).toMatchObject({ kind: "rate-limit", status: 429, code: 429, retryAfterMs: 1000 });
  });

  it("reads 400 and 413 as a refused batch only for a batch", () => {
    expect(classifyRpcError(http(400, {}, "batch requests are not supported"), { batch: true }).kind).toBe("batch-limit");
    expect(classifyRpcError(http(413), { batch: true }).kind).toBe("batch-limit");
    expect(classifyRpcError(http(400)).kind).toBe("server");
    expect(classifyRpcError(http(503)).kind).toBe("server");
  });

  it("tells timeouts, malformed answers and transport failures apart", () => {
    expect(classifyRpcError(new TimeoutError({ body: {}, url: "http://x" })).kind).toBe("timeout");
    expect(classifyRpcError(new MalformedResponseError("ep", "eth_blockNumber", "not JSON")).kind).toBe("malformed");
    expect(classifyRpcError(new TypeError("fetch failed")).kind).toBe("transport");
  });
});

describe("describeRpcError", () => {
  it("names kind, status and code, and cleans the endpoint's message", () => {
    expect(describeRpcError(rpc(-32604, "Method not enabled\u001b[31m\u202e"))).toBe("method-unavailable, code -32604: Method not enabled[31m");
    const d = describeRpcError(http(429, {}, "see https://mainnet.example.io/v3/SECRETKEY"));
    expect(d).toMatch(/^rate-limit, HTTP 429: /);
    expect(d).not.toContain("SECRETKEY");
  });
});

describe("revertDataOf", () => {
  it("finds a node's revert data on the error or along its causes, hex only", () => {
    expect(revertDataOf(rpc(3, "execution reverted", "eth_call", "0xd93c0665"))).toBe("0xd93c0665");
    expect(revertDataOf(new Error("wrapped", { cause: { data: { data: "0x4ca249dc" } } }))).toBe("0x4ca249dc");
    expect(revertDataOf(rpc(3, "execution reverted", "eth_call", "0x"))).toBe("0x"); // an empty revert
    expect(revertDataOf(rpc(3, "execution reverted", "eth_call", "0xnothex"))).toBeUndefined();
    expect(revertDataOf(new Error("no data"))).toBeUndefined();
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates, caps at a minute, refuses nonsense", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter("3600")).toBe(60_000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 5_000)).toBe(5000);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});

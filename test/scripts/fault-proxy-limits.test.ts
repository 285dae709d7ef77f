/**
 * The fault proxy's provider limits, against a real node (anvil): each limit
 * answers as the provider it imitates does, and what is within the limit
 * passes through unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnvil, type AnvilNode } from "../../scripts/lib/anvil.js";
import { startRpcProxy, type RpcProxy } from "../../scripts/lib/fault-proxy.js";

let node: AnvilNode;
let proxy: RpcProxy;

beforeAll(async () => {
  node = await startAnvil();
  await node.mine(30);
  proxy = await startRpcProxy({ target: node.url });
});
afterAll(async () => {
  await proxy?.close();
  await node?.stop();
});

const call = (method: string, params: unknown[] = [], id = 1) => ({ jsonrpc: "2.0", id, method, params });
const logs = (from: number, to: number, id = 1) => call("eth_getLogs", [{ fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}` }], id);

async function post(body: unknown): Promise<{ status: number; retryAfter: string | null; json: any; text: string }> {
  const response = await fetch(proxy.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, retryAfter: response.headers.get("retry-after"), json, text };
}

const batchOf = (n: number) => Array.from({ length: n }, (_, i) => call("eth_blockNumber", [], i + 1));

describe("batch limits", () => {
  it("refuses every batch with HTTP 400 and still answers single calls", async () => {
    proxy.setLimits({ batch: "refuse" });
    expect((await post(batchOf(1))).status).toBe(400);
    const single = await post(call("eth_chainId"));
    expect(single.status).toBe(200);
    expect(single.json.result).toBe("0x7a69");
    expect(proxy.limited.batch).toBeGreaterThan(0);
  });

  it("answers a batch over the cap with one -32005 error object (Besu), and passes one at the cap", async () => {
    proxy.setLimits({ batch: { max: 3, style: "error-object" } });
    const over = await post(batchOf(4));
    expect(over.status).toBe(200);
    expect(Array.isArray(over.json)).toBe(false);
    expect(over.json.error).toEqual({ code: -32005, message: "Number of requests exceeds max batch size" });
    const at = await post(batchOf(3));
    expect(at.json).toHaveLength(3);
    expect(at.json.every((a: any) => typeof a.result === "string")).toBe(true);
  });

  it("answers like geth (one -32600 in an array), per call, or with HTTP 413", async () => {
    proxy.setLimits({ batch: { max: 2, style: "geth" } });
    const geth = await post(batchOf(3));
    expect(geth.json).toEqual([{ jsonrpc: "2.0", id: 1, error: { code: -32600, message: "batch too large" } }]);
    proxy.setLimits({ batch: { max: 2, style: "per-call" } });
    const perCall = await post(batchOf(3));
    expect(perCall.json.map((a: any) => a.error.code)).toEqual([-32005, -32005, -32005]);
    proxy.setLimits({ batch: { max: 2, style: "413" } });
    expect((await post(batchOf(3))).status).toBe(413);
  });
});

describe("eth_getLogs range limits", () => {
  it.each([
    ["generic", -32005, /query exceeds max block range 10/],
    ["besu", -32005, /^Requested range exceeds maximum RPC range limit$/],
    ["infura", -32005, /^query returned more than 10000 results$/],
    ["alchemy", -32602, /this block range should work: \[0x2, 0xb\]$/],
    ["quicknode", -32614, /^eth_getLogs is limited to a 10 range$/],
  ] as const)("words a refused range as %s does", async (style, code, message) => {
    proxy.setLimits({ getLogsMaxRange: 10, getLogsStyle: style });
    const refused = await post(logs(2, 12));
    expect(refused.json.error.code).toBe(code);
    expect(refused.json.error.message).toMatch(message);
    if (style === "infura") expect(refused.json.error.data).toMatchObject({ from: "0x2", to: "0xb" });
    const fits = await post(logs(2, 11));
    expect(fits.json.result).toEqual([]);
  });
});

describe("rate limits", () => {
  // Ten requests sent together: at most `requestsPerSecond` of them fit in one second.
  async function burst(n: number, body: () => unknown) {
    return Promise.all(Array.from({ length: n }, () => post(body())));
  }

  it("answers over the rate with HTTP 429 and Retry-After", async () => {
    proxy.setLimits({ requestsPerSecond: 3, rateStyle: "429-retry-after", retryAfterSeconds: 2 });
    const answers = await burst(10, () => call("eth_blockNumber"));
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((a) => a.retryAfter === "2")).toBe(true);
    expect(answers.filter((a) => a.status === 200).every((a) => typeof a.json.result === "string")).toBe(true);
  });

  it("answers over the rate with HTTP 429 without Retry-After", async () => {
    proxy.setLimits({ requestsPerSecond: 3, rateStyle: "429" });
    const refused = (await burst(10, () => call("eth_blockNumber"))).filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((a) => a.retryAfter === null)).toBe(true);
  });

  it("answers over the rate as Infura does: HTTP 200 and -32005 'project ID request rate exceeded' for each call", async () => {
    proxy.setLimits({ requestsPerSecond: 3, rateStyle: "infura" });
    const answers = await burst(10, () => [call("eth_blockNumber", [], 1), call("eth_chainId", [], 2)]);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const refused = answers.filter((a) => a.json[0].error);
    expect(refused.length).toBeGreaterThan(0);
    for (const a of refused) {
      expect(a.json.map((x: any) => x.error.code)).toEqual([-32005, -32005]);
      expect(a.json[0].error.message).toBe("project ID request rate exceeded");
    }
  });

  it("counts each call of a batch when told to (Infura's credits)", async () => {
    proxy.setLimits({ requestsPerSecond: 5, rateStyle: "infura", rateCounts: "calls" });
    const big = await post(batchOf(6));
    expect(big.json.every((a: any) => a.error?.code === -32005)).toBe(true);
    const small = await post(batchOf(5));
    expect(small.json.every((a: any) => typeof a.result === "string")).toBe(true);
  });
});

describe("disabled methods", () => {
  it("answers a missing method with -32601 and a disabled one with Besu's -32604, the rest of a batch passing", async () => {
    proxy.setLimits({ disabledMethods: ["debug_traceTransaction"] });
    const missing = await post([call("debug_traceTransaction", ["0x" + "00".repeat(32)], 1), call("eth_chainId", [], 2)]);
    expect(missing.json[0].error).toEqual({ code: -32601, message: "the method debug_traceTransaction does not exist/is not available" });
    expect(missing.json[1].result).toBe("0x7a69");
    proxy.setLimits({ disabledMethods: ["debug_traceTransaction"], disabledStyle: "not-enabled" });
    const disabled = await post(call("debug_traceTransaction", ["0x" + "00".repeat(32)]));
    expect(disabled.json.error).toEqual({ code: -32604, message: "Method not enabled" });
    proxy.setLimits({});
    const back = await post(call("eth_chainId"));
    expect(back.json.result).toBe("0x7a69");
  });
});

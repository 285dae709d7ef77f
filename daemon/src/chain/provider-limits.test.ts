/**
 * The pool and the follower behind the limits public providers and Besu
 * gateways impose, imitated by the fault proxy in front of a real node
 * (Foundry's anvil): batches refused or capped, rate limits (429 with and
 * without Retry-After, Infura's -32005), provider-worded range limits,
 * methods disabled, and a start-up stall. No block may be missed or
 * repeated, and no step may stay stuck silently.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startAnvil, type AnvilNode } from "../../../scripts/lib/anvil.js";
import { expectExactlyOnce, expectMatchesChain } from "../../../test/daemon/helpers/chain-check.js";
import { emit, installEmitter, sendReverting } from "../../../test/daemon/helpers/emitter.js";
import { MemorySink, waitFor } from "../../../test/daemon/helpers/memory-sink.js";
import { startRpcProxy, type ProviderLimits, type RpcProxy } from "../../../test/daemon/helpers/rpc-proxy.js";
import { initialRpcHealthState, rpcHealth, rpcHealthDefaults } from "../detectors/rpc-health.js";
import { poolRevertLookup } from "../runtime/revert-lookup.js";
import type { Address, ChainTransaction, Hex } from "../types.js";
import { BlockFollower, type FollowerEvent } from "./follower.js";
import { RpcPool, type RpcLimitEvent } from "./rpc-pool.js";

const CHAIN_ID = 31337;
const WATCHED: Address = "0x00000000000000000000000000000000000000aa";

let node: AnvilNode;
const proxies: RpcProxy[] = [];

beforeAll(async () => {
  node = await startAnvil({ chainId: CHAIN_ID });
  await installEmitter(node as never, WATCHED);
});
afterAll(async () => {
  for (const p of proxies) await p.close();
  await node?.stop();
});

async function proxy(limits: ProviderLimits = {}): Promise<RpcProxy> {
  const p = await startRpcProxy({ target: node.url, limits });
  proxies.push(p);
  return p;
}

/** `n` watched logs spread over `blocks` blocks (anvil mines one block per transaction, `mine` adds empty ones). */
async function history(n: number, gap: number): Promise<{ start: number; head: number }> {
  const start = (await node.blockNumber()) + 1;
  for (let i = 0; i < n; i++) {
    await emit(node as never, WATCHED, BigInt(i));
    await node.mine(gap);
  }
  return { start, head: await node.blockNumber() };
}

/** Follows from `start` through `urls` until block `head` is committed; returns what it saw. */
async function catchUp(urls: string[], start: number, head: number, options: { blockTimeMs?: number } = {}) {
  const sink = new MemorySink();
  const limits: RpcLimitEvent[] = [];
  const events: FollowerEvent[] = [];
  const pool = new RpcPool({ endpoints: urls.map((url, i) => ({ url, name: `ep${i}` })), chainId: CHAIN_ID, timeoutMs: 2_000, onLimit: (e) => limits.push(e) });
  const f = new BlockFollower({ pool, sink, addresses: [WATCHED], blockTimeMs: options.blockTimeMs ?? 100, startBlock: start, surveyIntervalMs: 60_000, onEvent: (e) => events.push(e) });
  const running = f.run();
  try {
    await waitFor(() => (sink.tip()?.number ?? -1) >= head, 30_000, `catch-up to #${head}`);
  } finally {
    await f.stop();
    await running.catch(() => {});
  }
  expectExactlyOnce(sink);
  await expectMatchesChain(sink, node as never, WATCHED, start, head);
  return { sink, pool, limits, events };
}

describe("batches", () => {
  test("an endpoint that refuses every batch (HTTP 400): single calls, every block once", async () => {
    const p = await proxy({ batch: "refuse" });
    const { start, head } = await history(5, 40);
    const { pool, limits } = await catchUp([p.url], start, head);
    expect(p.limited.batch).toBeGreaterThan(0);
    expect(pool.stats().endpoints[0]?.maxBatch).toBe(1);
    expect(pool.stats().endpoints[0]?.status).toBe("up");
    expect(limits.some((l) => l.kind === "batch-limit" && /HTTP 400/.test(l.cause))).toBe(true);
  });

  test.each(["error-object", "geth", "per-call", "413"] as const)("batches capped at 10 (%s): learned cap ≤ 10, every block once", async (style) => {
    const p = await proxy({ batch: { max: 10, style } });
    const { start, head } = await history(4, 60);
    const { pool } = await catchUp([p.url], start, head);
    expect(p.limited.batch).toBeGreaterThan(0);
    const cap = pool.stats().endpoints[0]?.maxBatch ?? Infinity;
    expect(cap).toBeLessThanOrEqual(10);
    expect(cap).toBeGreaterThanOrEqual(1);
    // Once learned, batches are no longer refused on every request.
    expect(p.limited.batch).toBeLessThan(p.requests.total / 2);
  });
});

describe("range limits in providers' words", () => {
  test.each(["besu", "infura", "alchemy", "quicknode"] as const)("%s: the range shrinks and no log is missed", async (style) => {
    const p = await proxy({ getLogsMaxRange: 25, getLogsStyle: style });
    const { start, head } = await history(6, 30);
    const { sink } = await catchUp([p.url], start, head);
    expect(p.limited.range).toBeGreaterThan(0);
    expect(sink.logKeys()).toHaveLength(6);
  });
});

describe("rate limits", () => {
  test("Infura-style -32005 on the first endpoint, a healthy second one: following goes on, the first shown limited (not down)", async () => {
    const limited = await proxy({ requestsPerSecond: 3, rateStyle: "infura" });
    const healthy = await proxy();
    const { start, head } = await history(5, 40);
    const { pool, limits, events } = await catchUp([limited.url, healthy.url], start, head);
    expect(limited.limited.rate).toBeGreaterThan(0);
    expect(healthy.requests.total).toBeGreaterThan(0);
    const first = pool.stats().endpoints[0];
    expect(first?.status).toBe("limited");
    expect(first?.consecutiveErrors).toBe(0);
    expect(limits.some((l) => l.kind === "rate-limit" && /project ID request rate exceeded/.test(l.cause))).toBe(true);
    // Never read as "range too large".
    expect(events.filter((e) => e.type === "log-range")).toEqual([]);
  });

  test.each([
    ["429 with Retry-After", { rateStyle: "429-retry-after", retryAfterSeconds: 1 }],
    ["429 without Retry-After", { rateStyle: "429" }],
  ] as const)("%s on the only endpoint: backs off (few refusals per block) and misses no block", async (_name, style) => {
    const p = await proxy({ requestsPerSecond: 2, ...style });
    const start = (await node.blockNumber()) + 1;
    const blockTimeMs = 200;
    const sink = new MemorySink();
    const pool = new RpcPool({ endpoints: [{ url: p.url, name: "limited" }], chainId: CHAIN_ID, timeoutMs: 2_000 });
    const f = new BlockFollower({ pool, sink, addresses: [WATCHED], blockTimeMs, startBlock: start, surveyIntervalMs: 60_000 });
    const running = f.run();
    let blocks = 0;
    try {
      await node.mine(3);
      await waitFor(() => (sink.tip()?.number ?? -1) >= start + 2, 30_000, "first blocks");
      p.resetCounts();
      const from = sink.tip()!.number;
      // A block every 200 ms (mined on the node itself): the follower polls every 100 ms, 5 times what the endpoint allows.
      for (let i = 0; i < 30; i++) {
        await node.mine(1);
        await new Promise((r) => setTimeout(r, blockTimeMs));
      }
      await waitFor(() => (sink.tip()?.number ?? -1) >= from + 30, 60_000, "30 more blocks");
      blocks = sink.tip()!.number - from;
    } finally {
      await f.stop();
      await running.catch(() => {});
    }
    // Without backoff, ~8 of the ~10 polls a second (1.6 a block) would be refused.
    expect(p.limited.rate / blocks).toBeLessThan(0.6);
    expect(pool.stats().endpoints[0]?.status).toBe("limited");
    expectExactlyOnce(sink);
  });
});

describe("methods disabled", () => {
  test.each(["not-found", "not-enabled"] as const)("debug_traceTransaction %s: asked once per endpoint, then the eth_call replay", async (disabledStyle) => {
    const a = await proxy({ disabledMethods: ["debug_traceTransaction"], disabledStyle });
    const b = await proxy({ disabledMethods: ["debug_traceTransaction"], disabledStyle });
    const pool = new RpcPool({ endpoints: [a.url, b.url], chainId: CHAIN_ID, timeoutMs: 2_000 });
    await pool.init();
    const lookup = poolRevertLookup(pool);
    for (let i = 0; i < 3; i++) {
      const hash = await sendReverting(node as never, WATCHED);
      // Under load anvil may answer the receipt before the transaction shows its block: wait for both.
      let tx: { from: Address; to: Address; input: Hex; gas: Hex; blockNumber: Hex | null } | null = null;
      await waitFor(
        async () => {
          tx = (await node.rpc("eth_getTransactionReceipt", [hash])) !== null ? await node.rpc("eth_getTransactionByHash", [hash]) : null;
          return tx?.blockNumber != null;
        },
        30_000,
        "the reverted transaction mined",
      );
      const mined = tx! as { from: Address; to: Address; input: Hex; gas: Hex; blockNumber: Hex };
      await lookup({ hash, from: mined.from, to: mined.to, input: mined.input, gas: BigInt(mined.gas), value: 0n, blockNumber: BigInt(mined.blockNumber) } as unknown as ChainTransaction);
    }
    expect(a.counts.get("debug_traceTransaction")).toBe(1);
    expect(b.counts.get("debug_traceTransaction")).toBe(1);
    expect(a.counts.get("eth_call") ?? 0).toBeGreaterThanOrEqual(3);
    expect(pool.stats().endpoints.map((e) => e.missingMethods)).toEqual([["debug_traceTransaction"], ["debug_traceTransaction"]]);
    expect(pool.stats().endpoints.every((e) => e.status === "up")).toBe(true);
  });

  test("a method every endpoint lacks is no outage: the first call already answers MethodUnavailableError and the pool stays available", async () => {
    const a = await proxy({ disabledMethods: ["debug_traceCall"], disabledStyle: "not-enabled" });
    const b = await proxy({ disabledMethods: ["debug_traceCall"] });
    const pool = new RpcPool({ endpoints: [a.url, b.url], chainId: CHAIN_ID, timeoutMs: 2_000 });
    await pool.init();
    for (let i = 0; i < 2; i++) {
      const error = await pool.request("debug_traceCall", [{ to: WATCHED, data: "0x" }, "latest", { tracer: "callTracer" }]).catch((e: unknown) => e);
      expect((error as Error).name).toBe("MethodUnavailableError");
      expect(pool.stats().unavailableSinceMs).toBeUndefined();
    }
    expect(a.counts.get("debug_traceCall")).toBe(1);
    expect(b.counts.get("debug_traceCall")).toBe(1);
  });
});

describe("no step stuck silently", () => {
  test("start-up stall: eth_getLogs disabled, the first block never processed → the stuck finding names the endpoint and the cause", async () => {
    const p = await proxy({ disabledMethods: ["eth_getLogs"], disabledStyle: "not-enabled" });
    const { start } = await history(1, 2);
    const sink = new MemorySink();
    const pool = new RpcPool({ endpoints: [{ url: p.url, name: "besu-gw" }], chainId: CHAIN_ID, timeoutMs: 2_000 });
    const blockTimeMs = 100;
    const f = new BlockFollower({ pool, sink, addresses: [WATCHED], blockTimeMs, startBlock: start, surveyIntervalMs: 60_000 });
    const running = f.run();
    const thresholds = rpcHealthDefaults(blockTimeMs);
    let summary = "";
    try {
      await waitFor(() => {
        const { findings } = rpcHealth(f.health(), initialRpcHealthState(), thresholds);
        const stuck = findings.find((x) => x.key.includes("follower-stuck"));
        summary = stuck?.summary ?? "";
        return stuck !== undefined && f.health().stepFailure !== undefined;
      }, 20_000, "the stuck finding");
    } finally {
      await f.stop();
      await running.catch(() => {});
    }
    expect(sink.tip(), summary).toBeUndefined();
    expect(summary).toMatch(/processed no block/);
    expect(summary).toContain("besu-gw");
    expect(summary).toMatch(/eth_getLogs/);
    expect(summary, summary).toMatch(/code -32604/);
  });
});

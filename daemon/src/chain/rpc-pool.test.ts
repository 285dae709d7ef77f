/**
 * The RPC pool and the follower under RPC faults, with loopback proxies in
 * front of a real `hardhat node`: failover around an endpoint that errors,
 * hangs or answers garbage; every endpoint down; an endpoint on the wrong
 * chain; one that lags; a provider's eth_getLogs range limit.
 */
import { createPublicClient } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { DEV_ACCOUNTS, startHardhatNode, type HardhatNode } from "../../../test/daemon/helpers/hardhat-node.js";
import { MemorySink, waitFor } from "../../../test/daemon/helpers/memory-sink.js";
import { emit, installEmitter, sendReverting } from "../../../test/daemon/helpers/emitter.js";
import { expectExactlyOnce, expectMatchesChain } from "../../../test/daemon/helpers/chain-check.js";
import { startRpcProxy, type ProxyFault, type RpcProxy } from "../../../test/daemon/helpers/rpc-proxy.js";
import { initialPipelineState, processHealth, type PipelineConfig, type PipelineState } from "../pipeline/pipeline.js";
import type { Address, Finding, RpcHealthFacts } from "../types.js";
import { RpcResponseError, RpcUnavailableError } from "./errors.js";
import { BlockFollower, type FollowerEvent } from "./follower.js";
import { RpcPool, parseQuantity } from "./rpc-pool.js";

const CHAIN_ID = 138;
const WATCHED: Address = "0x00000000000000000000000000000000000000aa";
const PIPELINE: PipelineConfig = { chainId: CHAIN_ID, blockTimeMs: 100, decode: { targets: {} } };

let node: HardhatNode;
const proxies: RpcProxy[] = [];

beforeAll(async () => {
  node = await startHardhatNode({ chainId: CHAIN_ID });
  await installEmitter(node, WATCHED);
});

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  await node?.stop();
});

async function proxy(options: Partial<Parameters<typeof startRpcProxy>[0]> = {}): Promise<RpcProxy> {
  const p = await startRpcProxy({ target: node.url, ...options });
  proxies.push(p);
  return p;
}

/** Runs the health detector over every health report, keeping the findings. */
function healthWatcher() {
  let state: PipelineState = initialPipelineState();
  const findings: Finding[] = [];
  return {
    findings,
    onHealth(facts: RpcHealthFacts) {
      const result = processHealth(facts, state, PIPELINE);
      state = result.nextState;
      findings.push(...result.findings);
    },
  };
}

/** Sends a watched transaction every `everyMs` until stopped. */
function traffic(everyMs: number) {
  let stopped = false;
  const done = (async () => {
    for (let i = 0n; !stopped; i++) {
      await (i % 5n === 4n ? sendReverting(node, WATCHED) : emit(node, WATCHED, i));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return async () => {
    stopped = true;
    await done;
  };
}

describe("RPC pool", () => {
  test("checks chain ids at start: an endpoint on another chain is excluded and reported", async () => {
    const wrong = await proxy({ rewrite: (method, _params, result) => (method === "eth_chainId" ? "0x1" : result) });
    const right = await proxy();
    const pool = new RpcPool({ endpoints: [{ url: wrong.url, name: "wrong" }, { url: right.url, name: "right" }], chainId: CHAIN_ID, timeoutMs: 1_000 });
    await pool.init();
    expect(pool.stats().endpoints.map((e) => [e.name, e.status, e.chainId])).toEqual([
      ["wrong", "excluded", 1],
      ["right", "up", CHAIN_ID],
    ]);
    wrong.resetCounts();
    expect(await pool.request("eth_blockNumber", [], parseQuantity)).toBeGreaterThanOrEqual(0);
    expect(wrong.requests.total).toBe(0); // never used again

    const watcher = healthWatcher();
    watcher.onHealth({ chainId: CHAIN_ID, observedAt: new Date().toISOString(), nowMs: Date.now(), endpoints: pool.stats().endpoints });
    expect(watcher.findings).toMatchObject([
      { detector: "rpc-health", key: `rpc-health:chain-id:${CHAIN_ID}:wrong`, severity: "high" },
    ]);
  });

  test("serves viem actions through its own transport, with failover", async () => {
    const dead = await proxy();
    dead.setFault({ kind: "http-error", status: 500 });
    const good = await proxy();
    const pool = new RpcPool({ endpoints: [dead.url, good.url], chainId: CHAIN_ID, timeoutMs: 1_000 });
    const client = createPublicClient({ transport: pool.transport() });
    expect(await client.getBlockNumber()).toBe(BigInt(await node.blockNumber()));
    expect(await client.getChainId()).toBe(CHAIN_ID);
    // viem's own retries are off: the dead endpoint saw each request once (plus its chain-id check).
    expect(dead.requests.total).toBeLessThanOrEqual(3);
  });

  test("does not fail over a request the endpoint refused on its merits (range limit)", async () => {
    const limited = await proxy({ maxLogRange: 10 });
    const other = await proxy();
    const pool = new RpcPool({ endpoints: [limited.url, other.url], chainId: CHAIN_ID, timeoutMs: 1_000 });
    await pool.init();
    other.resetCounts();
    const error = await pool.request("eth_getLogs", [{ fromBlock: "0x0", toBlock: "0x64" }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcResponseError);
    expect((error as RpcResponseError).code).toBe(-32005);
    expect(other.counts.get("eth_getLogs")).toBeUndefined();
    expect(pool.stats().endpoints[0]?.consecutiveErrors).toBe(0);
  });

  test("routes around an endpoint that errors, hangs, answers garbage or fails over HTTP, without missing a block", async () => {
    const flaky = await proxy();
    const good = await proxy();
    const pool = new RpcPool({
      endpoints: [{ url: flaky.url, name: "flaky" }, { url: good.url, name: "good" }],
      chainId: CHAIN_ID,
      timeoutMs: 300,
    });
    const sink = new MemorySink();
    const start = await node.blockNumber();
    const events: FollowerEvent[] = [];
    const f = new BlockFollower({ pool, sink, addresses: [WATCHED], blockTimeMs: 100, startBlock: start, surveyIntervalMs: 200, onEvent: (e) => events.push(e) });
    const running = f.run();
    const stopTraffic = traffic(60);

    const faults: ProxyFault[] = [
      { kind: "rpc-error", code: -32000, message: "header not found" },
      { kind: "hang" },
      { kind: "malformed" },
      { kind: "wrong-shape" },
      { kind: "http-error", status: 503 },
    ];
    const progress: Array<{ fault: string; from: number; to: number }> = [];
    for (const fault of faults) {
      flaky.setFault(fault);
      const from = sink.tip()?.number ?? start;
      await new Promise((r) => setTimeout(r, 700));
      progress.push({ fault: fault.kind, from, to: sink.tip()?.number ?? start });
      const flakyStats = pool.stats().endpoints[0];
      expect(flakyStats?.consecutiveErrors, `flaky endpoint errors under ${fault.kind}`).toBeGreaterThan(0);
      flaky.setFault({ kind: "pass" });
      await new Promise((r) => setTimeout(r, 300)); // the survey brings it back
    }
    await stopTraffic();
    const head = await node.blockNumber();
    await waitFor(() => sink.tip()?.number === head, 10_000, "follower to reach the head");
    await f.stop();
    await running;

    // It kept going under every fault, and missed or repeated nothing.
    for (const p of progress) expect(p.to, `progress under ${p.fault}`).toBeGreaterThan(p.from);
    expectExactlyOnce(sink);
    await expectMatchesChain(sink, node, WATCHED, start, head);
    const [flakyStats, goodStats] = pool.stats().endpoints;
    expect(flakyStats?.errors).toBeGreaterThan(0);
    expect(goodStats?.requests).toBeGreaterThan(0);
    expect(goodStats?.errors).toBe(0);
    expect(flakyStats?.status).toBe("up"); // recovered
    expect(events.some((e) => e.type === "rpc-unavailable")).toBe(false);
  });

  test("all endpoints down: rpc-unavailable (Critical) while they are, recovered when they are back", async () => {
    const a = await proxy();
    const b = await proxy();
    const pool = new RpcPool({ endpoints: [a.url, b.url], chainId: CHAIN_ID, timeoutMs: 200 });
    const sink = new MemorySink();
    const watcher = healthWatcher();
    const events: FollowerEvent[] = [];
    const f = new BlockFollower({ pool, sink, addresses: [WATCHED], blockTimeMs: 100, onHealth: watcher.onHealth, onEvent: (e) => events.push(e) });
    const running = f.run();
    await waitFor(() => sink.tip() !== undefined, 5_000, "first block");

    a.setFault({ kind: "hang" });
    b.setFault({ kind: "http-error", status: 502 });
    await waitFor(() => watcher.findings.some((x) => x.key === `rpc-health:unavailable:${CHAIN_ID}` && !x.recovered), 10_000, "rpc-unavailable finding");
    const down = watcher.findings.find((x) => x.key === `rpc-health:unavailable:${CHAIN_ID}`);
    expect(down).toMatchObject({ severity: "critical", title: "RPC unavailable: every endpoint fails", layers: [] }); // never a pause: the daemon is blind, not the stack
    expect(events.some((e) => e.type === "rpc-unavailable" && e.error instanceof RpcUnavailableError)).toBe(true);
    // Once, not once per poll.
    await new Promise((r) => setTimeout(r, 500));
    expect(watcher.findings.filter((x) => x.key === down?.key && !x.recovered)).toHaveLength(1);

    a.setFault({ kind: "pass" });
    b.setFault({ kind: "pass" });
    await emit(node, WATCHED, 7n);
    const head = await node.blockNumber();
    await waitFor(() => watcher.findings.some((x) => x.key === down?.key && x.recovered === true), 10_000, "recovery finding");
    await waitFor(() => sink.tip()?.number === head, 10_000, "follower to catch up");
    await f.stop();
    await running;
    expect(events.some((e) => e.type === "rpc-available")).toBe(true);
    expectExactlyOnce(sink);
  });

  test("an endpoint that lags behind the others is reported and used only as a fallback", async () => {
    const lagging = await proxy({
      rewrite: (method, _params, result) => (method === "eth_blockNumber" ? `0x${Math.max(0, Number.parseInt(result as string, 16) - 20).toString(16)}` : result),
    });
    const good = await proxy();
    await node.mine(30);
    const pool = new RpcPool({ endpoints: [{ url: lagging.url, name: "lagging" }, { url: good.url, name: "good" }], chainId: CHAIN_ID, timeoutMs: 1_000 });
    await pool.init();
    await pool.survey();
    expect(pool.stats().endpoints.map((e) => [e.name, e.headLag])).toEqual([
      ["lagging", 20],
      ["good", 0],
    ]);
    lagging.resetCounts();
    good.resetCounts();
    await pool.request("eth_blockNumber", [], parseQuantity);
    expect([lagging.requests.total, good.requests.total]).toEqual([0, 1]);
    const watcher = healthWatcher();
    watcher.onHealth({ chainId: CHAIN_ID, observedAt: new Date().toISOString(), nowMs: Date.now(), endpoints: pool.stats().endpoints });
    expect(watcher.findings).toMatchObject([{ key: `rpc-health:head-lag:${CHAIN_ID}:lagging`, severity: "medium" }]);
  });

  test("an endpoint that reports a head it cannot serve is not trusted: the honest ones stay preferred", async () => {
    const liar = await proxy();
    liar.setHead({ mode: "lie", offset: 1_000_000 });
    const good = await proxy();
    await node.mine(3);
    const pool = new RpcPool({ endpoints: [{ url: liar.url, name: "liar" }, { url: good.url, name: "good" }], chainId: CHAIN_ID, timeoutMs: 1_000 });
    await pool.init();
    const head = await node.blockNumber();
    expect(await pool.survey()).toBe(head);
    const stats = pool.stats();
    expect(stats.endpoints.map((e) => [e.name, e.headLag])).toEqual([
      ["liar", undefined],
      ["good", 0],
    ]);
    expect(stats.head?.number).toBe(head);
    expect(stats.endpoints[0]!.lastError).toMatch(/reported head \d+, 1000000 blocks above every other endpoint, and cannot serve that block/);
    liar.resetCounts();
    good.resetCounts();
    await pool.request("eth_blockNumber", [], parseQuantity);
    expect([liar.requests.total, good.requests.total]).toEqual([0, 1]);
    // Surveyed again and again, it goes down and is reported as such.
    await pool.survey();
    await pool.survey();
    const watcher = healthWatcher();
    watcher.onHealth({ chainId: CHAIN_ID, observedAt: new Date().toISOString(), nowMs: Date.now(), endpoints: pool.stats().endpoints });
    expect(watcher.findings).toMatchObject([{ key: `rpc-health:endpoint-down:${CHAIN_ID}:liar` }]);
  });

  test("a transaction one endpoint does not know is asked of the others before viem hears 'not found'", async () => {
    const lagging = await proxy();
    lagging.setHead({ mode: "lag", blocks: 5 });
    const good = await proxy();
    const pool = new RpcPool({ endpoints: [{ url: lagging.url, name: "lagging" }, { url: good.url, name: "good" }], chainId: CHAIN_ID, timeoutMs: 1_000 });
    await pool.init();
    const hash = await node.rpc<`0x${string}`>("eth_sendTransaction", [{ from: DEV_ACCOUNTS[0], to: DEV_ACCOUNTS[1], value: "0x1" }]);
    const client = createPublicClient({ transport: pool.transport() });
    const receipt = await client.getTransactionReceipt({ hash });
    expect(receipt.transactionHash).toBe(hash);
    expect(lagging.counts.get("eth_getTransactionReceipt")).toBeGreaterThanOrEqual(1);
    // Unknown to every endpoint: still "not found".
    await expect(client.getTransactionReceipt({ hash: `0x${"ab".repeat(32)}` })).rejects.toThrow(/could not be found/);
  });

  test("shrinks the eth_getLogs range when a provider says the range is too large, and finds every log", async () => {
    const limited = await proxy({ maxLogRange: 40 });
    const start = (await node.blockNumber()) + 1;
    for (let i = 0n; i < 8n; i++) {
      await emit(node, WATCHED, i);
      await node.mine(50);
    }
    const head = await node.blockNumber();
    const sink = new MemorySink();
    const pool = new RpcPool({ endpoints: [limited.url], chainId: CHAIN_ID, timeoutMs: 1_000 });
    const ranges: number[] = [];
    const f = new BlockFollower({
      pool,
      sink,
      addresses: [WATCHED],
      blockTimeMs: 100,
      startBlock: start,
      maxLogRange: 1_000,
      onEvent: (e) => e.type === "log-range" && ranges.push(e.range),
    });
    const running = f.run();
    await waitFor(() => sink.tip()?.number === head, 10_000, "backfill");
    await f.stop();
    await running;
    expect(limited.rangeErrors.total).toBeGreaterThan(0);
    expect(Math.min(...ranges)).toBeLessThanOrEqual(40);
    expect(f.status().logRange).toBeLessThanOrEqual(40);
    expect(limited.rangeErrors.total).toBeLessThan(12);
    expect(pool.stats().endpoints[0]?.consecutiveErrors).toBe(0);
    expectExactlyOnce(sink);
    await expectMatchesChain(sink, node, WATCHED, start, head);
    expect(sink.logKeys()).toHaveLength(8);
  });
});

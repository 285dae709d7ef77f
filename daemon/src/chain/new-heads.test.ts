/**
 * WebSocket new heads against a real `hardhat node` (HTTP and WebSocket on
 * one port): heads wake the follower while its HTTP timer sleeps for
 * minutes; a dropped socket hands over to HTTP polling and comes back; a
 * reorg seen through heads is handled exactly once; a head costs one HTTP
 * request. Plus the pure parts: message parsing and reconnect backoff.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startHardhatNode, type HardhatNode } from "../../../test/daemon/helpers/hardhat-node.js";
import { MemorySink, waitFor } from "../../../test/daemon/helpers/memory-sink.js";
import { emit, installEmitter } from "../../../test/daemon/helpers/emitter.js";
import { expectExactlyOnce, expectMatchesChain } from "../../../test/daemon/helpers/chain-check.js";
import { startRpcProxy, type RpcProxy } from "../../../test/daemon/helpers/rpc-proxy.js";
import { startWsProxy, type WsProxy } from "../../../scripts/lib/ws-proxy.js";
import type { Address, Hex } from "../types.js";
import { BlockFollower, nextPollDelayMs, type FollowerEvent } from "./follower.js";
import { NewHeadsSubscription, parseNewHeadsMessage, reconnectDelayMs, type NewHeadsState } from "./new-heads.js";
import { RpcPool } from "./rpc-pool.js";

const CHAIN_ID = 138;
const WATCHED: Address = "0x00000000000000000000000000000000000000aa";
/** Longer than any test: a block processed was processed because a head woke the follower. */
const NEVER_MS = 600_000;

describe("new heads: pure parts", () => {
  test("reconnect delays double from the minimum up to the cap, with jitter in the upper half", () => {
    const fixed = (r: number) => [0, 1, 2, 3, 10, 60].map((a) => reconnectDelayMs(a, 500, 30_000, () => r));
    expect(fixed(1)).toEqual([500, 1000, 2000, 4000, 30_000, 30_000]);
    expect(fixed(0)).toEqual([250, 500, 1000, 2000, 15_000, 15_000]);
    expect(reconnectDelayMs(-3, 500, 30_000, () => 1)).toBe(500);
  });

  test("parses the subscribe answer and its notifications only; anything else is ignored, never thrown", () => {
    const hash = `0x${"ab".repeat(32)}`;
    expect(parseNewHeadsMessage(JSON.stringify({ jsonrpc: "2.0", id: 1, result: "0xABC" }), 1, undefined)).toEqual({ kind: "subscribed", id: "0xabc" });
    expect(parseNewHeadsMessage(JSON.stringify({ id: 1, error: { code: -32601, message: "no\u0007 subs" } }), 1, undefined)).toEqual({
      kind: "refused",
      reason: "-32601 no subs",
    });
    const note = (sub: string, result: unknown) => JSON.stringify({ jsonrpc: "2.0", method: "eth_subscription", params: { subscription: sub, result } });
    expect(parseNewHeadsMessage(note("0xabc", { number: "0x10", hash }), 1, "0xabc")).toEqual({ kind: "head", head: { number: 16, hash } });
    expect(parseNewHeadsMessage(note("0xdef", { number: "0x10", hash }), 1, "0xabc")).toBeUndefined(); // another subscription
    expect(parseNewHeadsMessage(note("0xabc", { number: "16", hash }), 1, "0xabc")).toBeUndefined();
    expect(parseNewHeadsMessage(note("0xabc", { number: "0x10", hash: "0x12" }), 1, "0xabc")).toBeUndefined();
    expect(parseNewHeadsMessage(note("0xabc", { number: "0x10", hash }), 1, undefined)).toBeUndefined(); // before our subscription
    expect(parseNewHeadsMessage("not json", 1, "0xabc")).toBeUndefined();
    expect(parseNewHeadsMessage(`"${"x".repeat(70_000)}"`, 1, "0xabc")).toBeUndefined();
    expect(parseNewHeadsMessage(Buffer.from("{}") as unknown, 1, "0xabc")).toBeUndefined();
  });

  test("poll pacing: heads live → slow fallback; HTTP only → a block time less a fortieth after the poll that found a block, then every quarter block", () => {
    const base = { blockTimeMs: 2000, headsFallbackPollMs: 6000 };
    expect(nextPollDelayMs({ ...base, found: true, woken: true, headsLive: true })).toBe(6000);
    expect(nextPollDelayMs({ ...base, found: false, woken: false, headsLive: true })).toBe(6000);
    // Woken by a head whose block the HTTP endpoint did not have yet: look again soon.
    expect(nextPollDelayMs({ ...base, found: false, woken: true, headsLive: true })).toBe(500);
    expect(nextPollDelayMs({ ...base, found: true, woken: false, headsLive: false })).toBe(1950);
    // Measured from the poll: the step's own time is taken off, never below 25 ms.
    expect(nextPollDelayMs({ ...base, found: true, woken: false, headsLive: false, sinceFoundPollMs: 120 })).toBe(1830);
    expect(nextPollDelayMs({ ...base, found: true, woken: false, headsLive: false, sinceFoundPollMs: 5000 })).toBe(25);
    expect(nextPollDelayMs({ ...base, blockTimeMs: 200, found: true, woken: false, headsLive: false })).toBe(190);
    expect(nextPollDelayMs({ ...base, found: false, woken: false, headsLive: false })).toBe(500);
    expect(nextPollDelayMs({ ...base, found: false, woken: false, headsLive: false, fixedMs: 300 })).toBe(300);
  });

  test("refuses a URL that is not ws(s)", () => {
    expect(() => new NewHeadsSubscription({ url: "http://127.0.0.1:1", name: "x", onHead: () => {} })).toThrow(/url: expected a ws\(s\) URL/);
  });
});

describe("new heads on a hardhat node", () => {
  let node: HardhatNode;

  beforeAll(async () => {
    node = await startHardhatNode({ chainId: CHAIN_ID });
    await installEmitter(node, WATCHED);
  });

  afterAll(async () => {
    await node?.stop();
  });

  /** A follower behind a counting HTTP proxy, woken by a subscription through a WebSocket proxy. */
  async function setup(o: { blockTimeMs: number; pollIntervalMs?: number; minBackoffMs?: number }) {
    const http: RpcProxy = await startRpcProxy({ target: node.url });
    const ws: WsProxy = await startWsProxy({ targetPort: node.port });
    const sink = new MemorySink();
    const events: FollowerEvent[] = [];
    const states: NewHeadsState[] = [];
    const pool = new RpcPool({ endpoints: [http.url], chainId: CHAIN_ID, timeoutMs: 5_000 });
    let follower: BlockFollower | undefined;
    const heads = new NewHeadsSubscription({
      url: ws.url,
      name: "ws",
      onHead: () => follower?.wake(),
      // A state change re-paces the follower (a live socket going down must not leave it in a long sleep).
      onState: (s) => {
        states.push(s);
        follower?.wake();
      },
      minBackoffMs: o.minBackoffMs ?? 100,
      maxBackoffMs: 400,
    });
    const start = await node.blockNumber();
    follower = new BlockFollower({
      pool,
      sink,
      addresses: [WATCHED],
      blockTimeMs: o.blockTimeMs,
      startBlock: start,
      headsLive: () => heads.live(),
      headsFallbackPollMs: NEVER_MS,
      surveyIntervalMs: NEVER_MS,
      onEvent: (e) => events.push(e),
      ...(o.pollIntervalMs !== undefined ? { pollIntervalMs: o.pollIntervalMs } : {}),
    });
    heads.start();
    await waitFor(() => heads.live(), 20_000, "subscription live");
    const running = follower.run();
    await waitFor(() => sink.tip()?.number === start, 20_000, "first block processed");
    const f = follower;
    return {
      http,
      ws,
      sink,
      events,
      states,
      heads,
      follower: f,
      start,
      async close() {
        heads.stop();
        await f.stop();
        await running;
        await ws.close();
        await http.close();
      },
    };
  }

  test("each head wakes the follower (its HTTP timer would sleep for minutes): one HTTP request per block", async () => {
    // HTTP pacing at this block time would poll every 150 s or more: only heads can drive the follower.
    const s = await setup({ blockTimeMs: NEVER_MS });
    try {
      s.http.resetCounts();
      const blocks = 8;
      for (let i = 0; i < blocks; i++) {
        await emit(node, WATCHED, BigInt(i));
        const head = await node.blockNumber();
        await waitFor(() => s.sink.tip()?.number === head, 20_000, `block ${head} processed after its head`);
      }
      expect(s.heads.stats().heads).toBeGreaterThanOrEqual(blocks);
      // A head costs one poll (a batch); a block with a watched log adds eth_getLogs and its receipt batch.
      const polls = s.http.counts.get("eth_blockNumber") ?? 0;
      expect(polls).toBeGreaterThanOrEqual(blocks);
      expect(polls).toBeLessThanOrEqual(blocks + 2);
      expectExactlyOnce(s.sink);
      await expectMatchesChain(s.sink, node, WATCHED, s.start, await node.blockNumber());
    } finally {
      await s.close();
    }
  });

  test("a quiet chain costs at most one HTTP request per block while heads flow", async () => {
    const s = await setup({ blockTimeMs: 250 });
    await node.rpc("evm_setAutomine", [false]);
    await node.rpc("evm_setIntervalMining", [250]);
    try {
      await waitFor(async () => s.sink.tip()?.number === (await node.blockNumber()), 20_000, "caught up");
      const from = s.sink.tip()!.number;
      s.http.resetCounts();
      await waitFor(() => (s.sink.tip()?.number ?? 0) >= from + 20, 60_000, "20 quiet blocks processed");
      const blocks = s.sink.tip()!.number - from;
      const perBlock = s.http.requests.total / blocks;
      console.log(`quiet, heads live: ${blocks} blocks, ${s.http.requests.total} HTTP requests = ${perBlock.toFixed(2)} per block`);
      expect(perBlock).toBeLessThanOrEqual(1.2);
      expect(s.heads.live()).toBe(true);
    } finally {
      await node.rpc("evm_setIntervalMining", [0]);
      await node.rpc("evm_setAutomine", [true]);
      await s.close();
    }
  });

  test("socket dropped and refused: HTTP polling takes over, then heads resume; no block missed or repeated", async () => {
    // HTTP pacing of 250 ms blocks when no heads; the fallback while live never fires.
    const s = await setup({ blockTimeMs: 250 });
    try {
      await emit(node, WATCHED, 1n);
      let head = await node.blockNumber();
      await waitFor(() => s.sink.tip()?.number === head, 20_000, "block processed by head");

      s.ws.refuse(true);
      s.ws.drop();
      await waitFor(() => s.heads.stats().state !== "live", 20_000, "subscription down");
      for (let i = 0; i < 4; i++) {
        await emit(node, WATCHED, 10n + BigInt(i));
        head = await node.blockNumber();
        await waitFor(() => s.sink.tip()?.number === head, 20_000, `block ${head} processed by HTTP polling`);
        expect(s.heads.live()).toBe(false);
      }
      expect(s.states).toContain("down");

      const connectsBefore = s.heads.stats().connects;
      const headsBefore = s.heads.stats().heads;
      s.ws.refuse(false);
      await waitFor(() => s.heads.live(), 20_000, "subscription live again");
      expect(s.heads.stats().connects).toBeGreaterThan(connectsBefore);
      for (let i = 0; i < 3; i++) {
        await emit(node, WATCHED, 20n + BigInt(i));
        head = await node.blockNumber();
        await waitFor(() => s.sink.tip()?.number === head, 20_000, `block ${head} processed after reconnect`);
      }
      expect(s.heads.stats().heads).toBeGreaterThanOrEqual(headsBefore + 3);
      expectExactlyOnce(s.sink);
      await expectMatchesChain(s.sink, node, WATCHED, s.start, head);
    } finally {
      s.ws.refuse(false);
      await s.close();
    }
  });

  test("a reorg seen through heads is rewound once and the new branch processed once", async () => {
    const s = await setup({ blockTimeMs: NEVER_MS });
    try {
      await emit(node, WATCHED, 1n);
      const ancestor = await node.blockNumber();
      await waitFor(() => s.sink.tip()?.number === ancestor, 20_000, "at the fork point");
      const snapshot = await node.rpc<Hex>("evm_snapshot");
      await emit(node, WATCHED, 100n);
      await emit(node, WATCHED, 101n);
      await waitFor(() => s.sink.tip()?.number === ancestor + 2, 20_000, "old branch processed");
      await node.rpc("evm_revert", [snapshot]);
      for (let i = 0n; i < 3n; i++) await emit(node, WATCHED, 200n + i);
      const newTip = (await node.rpc<{ hash: Hex; number: Hex }>("eth_getBlockByNumber", ["latest", false])).hash;
      await waitFor(() => s.sink.tip()?.hash === newTip, 20_000, "new branch processed");
      expect(s.sink.rewinds).toHaveLength(1);
      expect(s.sink.rewinds[0]?.ancestor.number).toBe(ancestor);
      expect(s.events.filter((e) => e.type === "reorg")).toHaveLength(1);
      expectExactlyOnce(s.sink);
      await expectMatchesChain(s.sink, node, WATCHED, s.start, ancestor + 3);
    } finally {
      await s.close();
    }
  });
});

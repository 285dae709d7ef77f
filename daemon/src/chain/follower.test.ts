/**
 * The block follower against a real `hardhat node`: exactly-once over
 * interval mining, a reorg, a restart after a long gap, a reorg deeper than
 * the ring, and EDR's unverifiable `hardhat_mine` blocks. One node for the
 * file; the tests run in order and each starts from the chain's tip.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startHardhatNode, type HardhatNode } from "../../../test/daemon/helpers/hardhat-node.js";
import { MemorySink, waitFor } from "../../../test/daemon/helpers/memory-sink.js";
import { emit, installEmitter, sendReverting } from "../../../test/daemon/helpers/emitter.js";
import { expectExactlyOnce, expectMatchesChain } from "../../../test/daemon/helpers/chain-check.js";
import { startRpcProxy, type RpcProxy } from "../../../test/daemon/helpers/rpc-proxy.js";
import { processReorg } from "../pipeline/pipeline.js";
import type { Address, Hex } from "../types.js";
import { ReorgTooDeepError } from "./errors.js";
import { BlockFollower, type BlockFollowerOptions, type FollowerEvent } from "./follower.js";
import { RpcPool } from "./rpc-pool.js";

const CHAIN_ID = 138;
const WATCHED: Address = "0x00000000000000000000000000000000000000aa";
const OTHER: Address = "0x00000000000000000000000000000000000000bb";

let node: HardhatNode;

beforeAll(async () => {
  node = await startHardhatNode({ chainId: CHAIN_ID });
  await installEmitter(node, WATCHED);
  await installEmitter(node, OTHER);
});

afterAll(async () => {
  await node?.stop();
});

function follower(sink: MemorySink, overrides: Partial<BlockFollowerOptions> & { url?: string } = {}) {
  const events: FollowerEvent[] = [];
  const pool = new RpcPool({ endpoints: [overrides.url ?? node.url], chainId: CHAIN_ID, timeoutMs: 2_000 });
  const f = new BlockFollower({
    pool,
    sink,
    addresses: [WATCHED],
    blockTimeMs: 100,
    onEvent: (e) => events.push(e),
    ...overrides,
  });
  return { follower: f, pool, events };
}

describe("block follower on a hardhat node", () => {
  test("processes every block of an interval-mined chain exactly once, in order", async () => {
    const start = await node.blockNumber();
    const proxy: RpcProxy = await startRpcProxy({ target: node.url });
    const sink = new MemorySink();
    const blockTimeMs = 250;
    const { follower: f, pool } = follower(sink, { url: proxy.url, startBlock: start, blockTimeMs, surveyIntervalMs: 60_000 });
    await node.rpc("evm_setAutomine", [false]);
    await node.rpc("evm_setIntervalMining", [blockTimeMs]);
    const running = f.run();
    let quiet = { blocks: 0, requests: 0 };
    const busy = { requests: 0 };
    proxy.resetCounts();
    try {
      // Traffic for ~3 s: logs from the watched and another contract, and reverted transactions.
      const until = Date.now() + 3_000;
      for (let i = 0n; Date.now() < until; i++) {
        await emit(node, WATCHED, i);
        if (i % 3n === 0n) await emit(node, OTHER, i);
        if (i % 4n === 1n) await sendReverting(node, WATCHED);
        await new Promise((r) => setTimeout(r, 120));
      }
      await new Promise((r) => setTimeout(r, 2 * blockTimeMs)); // the last transactions get mined
      busy.requests = proxy.requests.total;
      // A quiet chain: requests per block when nothing happens.
      const quietFrom = await node.blockNumber();
      await waitFor(() => sink.tip()?.number === quietFrom, 5_000, "caught up before the quiet window");
      proxy.resetCounts();
      await new Promise((r) => setTimeout(r, 10 * blockTimeMs));
      const quietBlocks = (await node.blockNumber()) - quietFrom;
      quiet = { blocks: quietBlocks, requests: proxy.requests.total };
    } finally {
      await node.rpc("evm_setIntervalMining", [0]);
      await node.rpc("evm_setAutomine", [true]);
    }
    const head = await node.blockNumber();
    await waitFor(() => (sink.tip()?.number ?? -1) >= head, 10_000, "follower to reach the head");
    await f.stop();
    await running;

    expect(sink.commits.map((c) => c.number)).toEqual(Array.from({ length: head - start + 1 }, (_, i) => start + i));
    expectExactlyOnce(sink);
    await expectMatchesChain(sink, node, WATCHED, start, head);
    const withLogs = [...sink.blocks.values()].filter((b) => b.logs.length > 0).length;
    const reverted = [...sink.blocks.values()].flatMap((b) => b.receipts).filter((r) => r.status === "reverted").length;
    expect(withLogs).toBeGreaterThan(5);
    expect(reverted).toBeGreaterThan(2);

    // Steady state: HTTP requests per block while following a live chain.
    const busyBlocks = head - start + 1 - quiet.blocks;
    console.info(
      `steady state, busy: ${busyBlocks} blocks (${withLogs} with watched logs, ${reverted} reverted txs), ${busy.requests} HTTP requests = ${(busy.requests / busyBlocks).toFixed(2)} per block; ` +
        `quiet: ${quiet.blocks} blocks, ${quiet.requests} HTTP requests = ${(quiet.requests / quiet.blocks).toFixed(2)} per block (poll every blockTime/2)`,
    );
    expect(busy.requests / busyBlocks).toBeLessThan(6);
    expect(quiet.requests / quiet.blocks).toBeLessThanOrEqual(3);
    expect(pool.stats().endpoints[0]?.status).toBe("up");
    await proxy.close();
  });

  test("detects a reorg, rewinds to the common ancestor, retracts dropped logs and processes the new branch", async () => {
    const sink = new MemorySink();
    const start = await node.blockNumber();
    const { follower: f, events } = follower(sink, { startBlock: start });
    const running = f.run();
    await emit(node, WATCHED, 1n);
    const ancestor = await node.blockNumber();
    await waitFor(() => sink.tip()?.number === ancestor, 10_000, "follower at the fork point");

    // The old branch: 3 blocks with logs, processed.
    const snapshot = await node.rpc<Hex>("evm_snapshot");
    const oldTxs = [await emit(node, WATCHED, 100n), await emit(node, WATCHED, 101n), await emit(node, WATCHED, 102n)];
    await waitFor(() => sink.tip()?.number === ancestor + 3, 10_000, "old branch processed");
    const oldBranch = [1, 2, 3].map((i) => ({ number: ancestor + i, hash: sink.blocks.get(ancestor + i)?.block.hash }));

    // The new branch: 4 different blocks from the same parent.
    await node.rpc("evm_revert", [snapshot]);
    const newTxs = [];
    for (let i = 0n; i < 4n; i++) newTxs.push(await emit(node, WATCHED, 200n + i));
    const head = await node.blockNumber();
    expect(head).toBe(ancestor + 4);
    const newTipHash = (await node.rpc<{ hash: Hex }>("eth_getBlockByNumber", ["latest", false])).hash;
    await waitFor(() => sink.tip()?.hash === newTipHash, 10_000, "new branch processed");
    await f.stop();
    await running;

    expect(sink.rewinds).toHaveLength(1);
    const reorg = sink.rewinds[0];
    expect(reorg?.ancestor.number).toBe(ancestor);
    expect(reorg?.dropped).toEqual(oldBranch);
    expect(events.filter((e) => e.type === "reorg")).toHaveLength(1);
    // The dropped blocks' logs were retracted; the new ones are committed.
    expect(sink.retracted.flatMap((b) => b.logs.map((l) => l.transactionHash)).sort()).toEqual([...oldTxs].sort());
    const committedTxs = sink.logKeys().map((k) => k.split(":")[0]);
    for (const tx of oldTxs) expect(committedTxs).not.toContain(tx);
    for (const tx of newTxs) expect(committedTxs).toContain(tx);
    expectExactlyOnce(sink);
    await expectMatchesChain(sink, node, WATCHED, start, head);

    // The pipeline reports it: any reorg on chain 138 is suspicious.
    const { findings } = processReorg(reorg!, { pauseChanged: { targets: {} }, rpcHealth: { active: {} } }, { chainId: CHAIN_ID, blockTimeMs: 2000, decode: { targets: {} } });
    expect(findings).toMatchObject([
      { detector: "chain-reorg", severity: "high", key: `chain-reorg:${CHAIN_ID}:${ancestor + 1}:${oldBranch[0]?.hash}`, evidence: { blockNumber: ancestor } },
    ]);
  });

  test("notices a tip replaced at the same height before any new block arrives", async () => {
    const sink = new MemorySink();
    const start = await node.blockNumber();
    const { follower: f } = follower(sink, { startBlock: start });
    const running = f.run();
    const snapshot = await node.rpc<Hex>("evm_snapshot");
    await emit(node, WATCHED, 300n);
    const height = await node.blockNumber();
    await waitFor(() => sink.tip()?.number === height, 10_000, "block processed");
    const oldHash = sink.tip()?.hash;
    await node.rpc("evm_revert", [snapshot]);
    await emit(node, WATCHED, 301n); // same height, another block
    const newHash = (await node.rpc<{ hash: Hex }>("eth_getBlockByNumber", ["latest", false])).hash;
    expect(newHash).not.toBe(oldHash);
    await waitFor(() => sink.tip()?.hash === newHash, 10_000, "replacement processed");
    await f.stop();
    await running;
    expect(sink.rewinds.map((r) => r.dropped)).toEqual([[{ number: height, hash: oldHash }]]);
    expectExactlyOnce(sink);
  });

  test("restarts from its checkpoint after a gap of 600 blocks without missing or repeating one", async () => {
    const sink = new MemorySink();
    const start = await node.blockNumber();
    const first = follower(sink, { startBlock: start });
    let running = first.follower.run();
    await emit(node, WATCHED, 1n);
    await waitFor(() => sink.tip()?.number === start + 1, 10_000, "first run");
    await first.follower.stop();
    await running;
    const stoppedAt = sink.tip()?.number as number;

    // Downtime: 600+ blocks, with logs and a reverted transaction in between.
    await emit(node, WATCHED, 2n);
    await node.mine(200);
    await sendReverting(node, WATCHED);
    await node.mine(200);
    await emit(node, WATCHED, 3n);
    await emit(node, OTHER, 4n);
    await node.mine(200);
    await emit(node, WATCHED, 5n);
    const head = await node.blockNumber();
    expect(head - stoppedAt).toBeGreaterThanOrEqual(600);

    const second = follower(sink, { startBlock: 0 /* ignored: the checkpoint wins */ });
    running = second.follower.run();
    await waitFor(() => sink.tip()?.number === head, 20_000, "backfill");
    await second.follower.stop();
    await running;

    expectExactlyOnce(sink);
    expect(sink.commits.filter((c) => c.number === stoppedAt)).toHaveLength(1);
    await expectMatchesChain(sink, node, WATCHED, start, head);
  });

  test("catches up thousands of blocks a second on a local node", async () => {
    const sink = new MemorySink();
    const start = await node.blockNumber();
    const gap = 10_000;
    for (let i = 0; i < 10; i++) {
      await node.mine(gap / 10 - 2);
      await emit(node, WATCHED, BigInt(i));
      await sendReverting(node, WATCHED);
    }
    const head = await node.blockNumber();
    const { follower: f, pool } = follower(sink, { startBlock: start + 1, blockTimeMs: 2_000 });
    const t0 = performance.now();
    const running = f.run();
    await waitFor(() => sink.tip()?.number === head, 60_000, "catch-up");
    const seconds = (performance.now() - t0) / 1000;
    await f.stop();
    await running;
    const blocks = head - start;
    const httpRequests = pool.counters().reduce((n, c) => n + c.requests, 0);
    console.info(
      `catch-up: ${blocks} blocks in ${seconds.toFixed(2)} s = ${Math.round(blocks / seconds)} blocks/s, ${httpRequests} HTTP requests (${JSON.stringify(pool.counters().map((c) => [c.method, c.requests]))})`,
    );
    expectExactlyOnce(sink);
    await expectMatchesChain(sink, node, WATCHED, start + 1, head);
    expect(blocks / seconds).toBeGreaterThan(1_000);
  });

  test("stop() returns after the commit in progress, and a restart continues from there", async () => {
    const start = await node.blockNumber();
    await node.mine(3_000);
    const head = await node.blockNumber();
    // A sink whose commits take a while, like a store that fsyncs.
    class SlowSink extends MemorySink {
      override async commitBlock(...args: Parameters<MemorySink["commitBlock"]>): Promise<void> {
        await new Promise((r) => setTimeout(r, 1));
        await super.commitBlock(...args);
      }
    }
    const sink = new SlowSink();
    const first = follower(sink, { startBlock: start + 1 });
    let running = first.follower.run();
    await waitFor(() => sink.commits.length > 50, 10_000, "some commits");
    const t0 = performance.now();
    await first.follower.stop();
    await running;
    expect(performance.now() - t0).toBeLessThan(500);
    const stoppedAt = sink.tip()?.number as number;
    expect(stoppedAt).toBeLessThan(head);
    expect(sink.commits.at(-1)?.number).toBe(stoppedAt); // the checkpoint is the last commit

    const second = follower(sink);
    running = second.follower.run();
    await waitFor(() => sink.tip()?.number === head, 30_000, "the rest");
    await second.follower.stop();
    await running;
    expectExactlyOnce(sink);
    expect(sink.commits[0]?.number).toBe(start + 1);
  });

  test("stops with a Critical finding when a reorg is deeper than the checkpoint ring", async () => {
    await node.mine(3);
    const fake = (n: number) => ({ number: n, hash: `0x${n.toString(16).padStart(64, "e")}` as Hex });
    const sink = new MemorySink({ ring: [fake(1), fake(2), fake(3)] });
    const { follower: f, events } = follower(sink);
    await expect(f.run()).rejects.toBeInstanceOf(ReorgTooDeepError);
    expect(sink.commits).toEqual([]);
    expect(sink.rewinds).toEqual([]);
    const deep = events.find((e) => e.type === "reorg-too-deep");
    expect(deep).toBeDefined();
    expect(f.status().halted?.oldest).toEqual(fake(1));
    const { findings } = processReorg(
      (deep as Extract<FollowerEvent, { type: "reorg-too-deep" }>).facts,
      { pauseChanged: { targets: {} }, rpcHealth: { active: {} } },
      { chainId: CHAIN_ID, blockTimeMs: 2000, decode: { targets: {} } },
    );
    expect(findings).toMatchObject([{ severity: "critical", title: "Reorg deeper than the checkpoint ring" }]);
  });

  // Last: hardhat_mine leaves blocks in the chain that no later test could follow.
  test("refuses hardhat_mine's reserved blocks, whose parent hash is zero, instead of skipping them", async () => {
    const sink = new MemorySink();
    const start = await node.blockNumber();
    const { follower: f, events } = follower(sink, { startBlock: start });
    const running = f.run();
    await waitFor(() => sink.tip()?.number === start, 10_000, "start");
    await node.rpc("hardhat_mine", ["0x10"]);
    await waitFor(() => events.some((e) => e.type === "inconsistent-chain"), 10_000, "inconsistent-chain event");
    await f.stop();
    await running;
    const zero = `0x${"0".repeat(64)}`;
    expect([...sink.blocks.values()].filter((b) => b.block.parentHash === zero && b.block.number > start)).toEqual([]);
    expectExactlyOnce(sink);
  });
});

/**
 * Pending-transaction sources (daemon/src/chain/pending.ts) on real nodes,
 * automine off so that transactions wait in the pool:
 *
 * - Hardhat's EDR: WebSocket hashes (it refuses the full form), then the
 *   pending filter when there is no WebSocket (its txpool methods are
 *   missing and learned so); a dropped socket comes back;
 * - anvil: WebSocket full transactions, falling back to `txpool_content`
 *   while the socket is cut and back to the socket after; `txpool_content`
 *   alone; Besu's `txpool_besuTransactions`, imitated by the fault proxy.
 *
 * Each case asserts that a wanted transaction arrives once, with the node's
 * own fields and the right `via`, that an unwanted one (predicate false)
 * does not, and, where the source can see it, that a mined one is not
 * reported. Waits are for states (scripts/lib/wait.ts), never for time.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { defineChain, type Hex } from "viem";
import { PendingTransactions, type PendingSourceOptions, type PendingTx, type PendingVia } from "../../daemon/src/chain/pending.js";
import { RpcPool } from "../../daemon/src/chain/rpc-pool.js";
import type { Address } from "../../daemon/src/types.js";
import { startAnvil } from "../../scripts/lib/anvil.js";
import { devClients } from "../../scripts/lib/local-chain.js";
import type { NodeProcess } from "../../scripts/lib/node-process.js";
import { waitForState } from "../../scripts/lib/wait.js";
import { startWsProxy, type WsProxy } from "../../scripts/lib/ws-proxy.js";
import { startHardhatNode } from "./helpers/hardhat-node.js";
import { startRpcProxy, type RpcProxy, type RpcProxyOptions } from "./helpers/rpc-proxy.js";
import { startScriptedWs } from "./helpers/scripted-ws.js";

const CHAIN_ID = 31337;
const WATCHED: Address = "0x00000000000000000000000000000000000000aa";
const OTHER: Address = "0x00000000000000000000000000000000000000bb";
/** A last-resort net only: every wait ends on a state. */
const SAFETY_NET_MS = 30_000;

type Wallets = ReturnType<typeof devClients>["wallets"];

/** A node with automine off, and dev wallets sending to it directly (not through any proxy). */
async function prepare(node: NodeProcess): Promise<Wallets> {
  await node.rpc("evm_setAutomine", [false]);
  const chain = defineChain({ id: CHAIN_ID, name: "local", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [node.url] } } });
  return devClients(chain, node.url, 10).wallets;
}

/** Sends a transaction into the pool (explicit gas: nothing to estimate) and returns its hash. */
function send(wallet: Wallets[number], to: Address, data: Hex, value = 0n): Promise<Hex> {
  return wallet.sendTransaction({ to, data, value, gas: 100_000n, account: wallet.account!, chain: wallet.chain });
}

interface Harness {
  src: PendingTransactions;
  got: PendingTx[];
  states: Array<{ via?: PendingVia; live: boolean; reason?: string }>;
  /** Every transaction the predicate was asked about. */
  asked: Array<{ to: Address | null; input: Hex }>;
  pool: RpcPool;
}

async function harness(url: string, options: Partial<PendingSourceOptions> & Pick<PendingSourceOptions, "poll">): Promise<Harness> {
  const pool = new RpcPool({ endpoints: [{ url, name: "node" }], chainId: CHAIN_ID, timeoutMs: 10_000 });
  await pool.init();
  const h: Harness = { got: [], states: [], asked: [], pool, src: undefined as unknown as PendingTransactions };
  h.src = new PendingTransactions({
    pool,
    pollMs: 100,
    minBackoffMs: 100,
    maxBackoffMs: 1_000,
    wanted: (tx) => {
      h.asked.push(tx);
      return tx.to === WATCHED;
    },
    onPending: (tx) => h.got.push(tx),
    onState: (s) => h.states.push(s),
    ...options,
  });
  h.src.start();
  return h;
}

/** Waits until `check` returns a value; `seen` says what was there instead. */
function until<T>(what: string, check: () => T | undefined | false, seen: () => string): Promise<T> {
  return waitForState<T>({
    what,
    probe: async () => {
      const value = check();
      return value === undefined || value === false ? { seen: seen() } : { value, seen: "reached" };
    },
    safetyNetMs: SAFETY_NET_MS,
    pollMs: 20,
  });
}

const describeHarness = (h: Harness) => () =>
  `state ${JSON.stringify(h.states.at(-1))}, got ${h.got.map((t) => `${t.hash.slice(0, 10)}/${t.via}`).join(",") || "nothing"}, stats ${JSON.stringify(h.src.stats())}`;

/** Until the source's state is `via` live. */
const untilLive = (h: Harness, via: PendingVia) =>
  until(`source live via ${via}`, () => h.states.at(-1)?.live === true && h.states.at(-1)?.via === via, describeHarness(h));

/** A source through a counting proxy (`startRpcProxy`) in front of `target`, once it is live via `via`; `cleanup` closes both. */
async function liveBehindProxy(
  target: string,
  cleanup: Array<() => Promise<unknown>>,
  via: PendingVia,
  proxyOptions: Omit<Parameters<typeof startRpcProxy>[0], "target">,
  options: Partial<PendingSourceOptions> & Pick<PendingSourceOptions, "poll">,
): Promise<{ proxy: Awaited<ReturnType<typeof startRpcProxy>>; h: Harness }> {
  const proxy = await startRpcProxy({ target, ...proxyOptions });
  cleanup.push(() => proxy.close());
  const h = await harness(proxy.url, options);
  cleanup.push(() => h.src.stop());
  await untilLive(h, via);
  return { proxy, h };
}

/** Until the wanted `hash` arrived (and the predicate was asked about every one of `alsoAsked`). */
async function untilGot(h: Harness, hash: Hex, alsoAsked: Address[] = []): Promise<PendingTx> {
  return until(
    `${hash.slice(0, 10)} reported`,
    () => alsoAsked.every((a) => h.asked.some((t) => t.to === a)) && h.got.find((t) => t.hash === hash),
    describeHarness(h),
  );
}

/** The pending transaction, checked field by field against what the node itself says of it. */
async function expectNodeFields(node: NodeProcess, tx: PendingTx, via: PendingVia): Promise<void> {
  const raw = await node.rpc<Record<string, string>>("eth_getTransactionByHash", [tx.hash]);
  expect(tx.via).toBe(via);
  expect(tx.from).toBe(raw.from!.toLowerCase());
  expect(tx.to).toBe(raw.to!.toLowerCase());
  expect(tx.input).toBe(raw.input);
  expect(tx.value).toBe(BigInt(raw.value!));
  expect(tx.gas).toBe(BigInt(raw.gas!));
  expect(tx.nonce).toBe(Number(raw.nonce));
  expect(tx.type).toBe("eip1559");
  expect(tx.maxFeePerGas).toBe(BigInt(raw.maxFeePerGas!));
  expect(tx.maxPriorityFeePerGas).toBe(BigInt(raw.maxPriorityFeePerGas!));
  expect(tx.gasPrice).toBeUndefined();
  expect(typeof tx.seenAt).toBe("number");
}

const once = (h: Harness, hash: Hex) => h.got.filter((t) => t.hash === hash).length;

describe("Hardhat EDR", () => {
  let node: NodeProcess;
  let wallets: Wallets;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    node = await startHardhatNode();
    wallets = await prepare(node);
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    await node?.stop();
  });

  test("ws-hashes: the full form is refused, hashes are fetched; wanted once, unwanted not; a dropped socket comes back", async () => {
    const ws: WsProxy = await startWsProxy({ targetPort: node.port });
    cleanup.push(() => ws.close());
    const { proxy, h } = await liveBehindProxy(node.url, cleanup, "ws-hashes", {}, { poll: false, ws: { url: ws.url, name: "edr-ws" } });
    expect(h.src.via()).toBe("ws-hashes");

    await send(wallets[0]!, OTHER, "0x01");
    const wanted = await send(wallets[1]!, WATCHED, "0xdeadbeef", 7n);
    const tx = await untilGot(h, wanted, [OTHER]);
    await expectNodeFields(node, tx, "ws-hashes");
    expect(tx.value).toBe(7n);
    expect(h.got.map((t) => t.to)).toEqual([WATCHED]);
    // Hashes cost fetches, batched: never more requests than hashes.
    expect(h.src.stats().fetches).toBe(2);
    expect(proxy.counts.get("eth_getTransactionByHash")).toBe(2);

    // The socket cut and refused: not live (no polled source allowed); let in again: live, and it delivers.
    ws.refuse(true);
    ws.drop();
    await until("the source down", () => h.states.at(-1)?.live === false, describeHarness(h));
    expect(h.states.at(-1)?.reason).toMatch(/WebSocket down/);
    expect(h.src.via()).toBeUndefined();
    ws.refuse(false);
    await untilLive(h, "ws-hashes");
    await node.mine(1);
    const after = await send(wallets[1]!, WATCHED, "0xcafe");
    await untilGot(h, after);
    expect(once(h, wanted)).toBe(1);
    expect(once(h, after)).toBe(1);
    expect(h.src.stats().dropped).toBe(0);
    await h.src.stop();
    await node.mine(1);
  });

  test("filter: no WebSocket, poll on; txpool methods learned missing; mined not reported; a forgotten filter is re-created", async () => {
    let filterId: string | undefined;
    const rewrite: RpcProxyOptions["rewrite"] = (method, _params, result) => {
      if (method === "eth_newPendingTransactionFilter" && typeof result === "string") filterId = result;
      return result;
    };
    const proxy: RpcProxy = await startRpcProxy({ target: node.url, rewrite });
    cleanup.push(() => proxy.close());
    const h = await harness(proxy.url, { poll: true });
    cleanup.push(() => h.src.stop());
    await untilLive(h, "filter");

    await send(wallets[2]!, OTHER, "0x02");
    const wanted = await send(wallets[3]!, WATCHED, "0xfeed", 3n);
    const tx = await untilGot(h, wanted, [OTHER]);
    await expectNodeFields(node, tx, "filter");
    expect(h.got.map((t) => t.to)).toEqual([WATCHED]);

    // A transaction mined before the source could fetch it is not reported. The filter's
    // polls are refused while it is sent and mined (the first refusal shows none is in flight).
    const faultedBefore = proxy.faulted.total;
    proxy.setFault({ kind: "rpc-error", code: -32000, message: "injected" }, ["eth_getFilterChanges"]);
    await until("a filter poll refused", () => proxy.faulted.total > faultedBefore, describeHarness(h));
    const goneBefore = h.src.stats().gone;
    const mined = await send(wallets[3]!, WATCHED, "0xbeef");
    await node.mine(1);
    proxy.setFault({ kind: "pass" });
    await until("the mined transaction fetched and skipped", () => h.src.stats().gone > goneBefore, describeHarness(h));
    expect(h.got.some((t) => t.hash === mined)).toBe(false);

    // The node forgets the filter (EDR then answers null): created again, and it delivers.
    expect(filterId).toBeDefined();
    await node.rpc("eth_uninstallFilter", [filterId]);
    await until("the filter created again", () => (proxy.counts.get("eth_newPendingTransactionFilter") ?? 0) >= 2, describeHarness(h));
    const later = await send(wallets[4]!, WATCHED, "0xabcd");
    await untilGot(h, later);
    expect(once(h, wanted)).toBe(1);
    expect(once(h, later)).toBe(1);
    // The txpool methods EDR lacks were asked once each, then remembered as missing.
    expect(proxy.counts.get("txpool_content")).toBe(1);
    expect(proxy.counts.get("txpool_besuTransactions")).toBe(1);
    await h.src.stop();
    await node.mine(1);
  });

  test("without a usable source: not live, with the reason, and nothing runs", async () => {
    const h1 = await harness(node.url, { poll: false });
    cleanup.push(() => h1.src.stop());
    expect(h1.states).toEqual([{ live: false, reason: "no WebSocket endpoint; polled sources not allowed (poll off)" }]);
    expect(h1.src.stats().requests).toBe(0);

    const proxy = await startRpcProxy({ target: node.url, limits: { disabledMethods: ["eth_newPendingTransactionFilter"], disabledStyle: "not-enabled" } });
    cleanup.push(() => proxy.close());
    const h2 = await harness(proxy.url, { poll: true });
    cleanup.push(() => h2.src.stop());
    await until("the source given up", () => h2.states.at(-1)?.live === false, describeHarness(h2));
    expect(h2.states.at(-1)?.reason).toMatch(/no endpoint serves txpool_content, txpool_besuTransactions or pending-transaction filters/);
    expect(h2.src.via()).toBeUndefined();
    // One probe of each method, no more.
    expect(h2.src.stats().requests).toBe(3);
    expect(["txpool_content", "txpool_besuTransactions", "eth_newPendingTransactionFilter"].map((m) => proxy.counts.get(m))).toEqual([1, 1, 1]);
  });
});

describe("a WebSocket endpoint doing what no local node does (scripted), HTTP on EDR", () => {
  let node: NodeProcess;
  let wallets: Wallets;
  const cleanup: Array<() => Promise<unknown>> = [];
  const note = (result: unknown, subscription = "0xabc") => ({ jsonrpc: "2.0", method: "eth_subscription", params: { subscription, result } });

  beforeAll(async () => {
    node = await startHardhatNode();
    wallets = await prepare(node);
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    await node?.stop();
  });

  test("both subscription forms refused: the polled source takes over for good (poll on); not live, with the reason (poll off)", async () => {
    const ws = await startScriptedWs((msg, reply) => reply({ jsonrpc: "2.0", id: msg.id, error: { code: -32601, message: "subscriptions not supported" } }));
    cleanup.push(() => ws.close());
    const h = await harness(node.url, { poll: true, ws: { url: ws.url, name: "scripted" } });
    cleanup.push(() => h.src.stop());
    await untilLive(h, "filter");
    expect(h.states.at(-1)?.reason).toBeUndefined();
    expect(h.states.some((st) => !st.live)).toBe(false);
    const requests = h.src.stats().requests;
    await until("three more polls", () => h.src.stats().requests >= requests + 3, describeHarness(h));
    // Asked once in each form, on one connection, never again.
    expect(ws.received.map((m) => JSON.stringify((m as { params?: unknown }).params))).toEqual(['["newPendingTransactions",true]', '["newPendingTransactions"]']);
    expect(ws.connections.total).toBe(1);
    const wanted = await send(wallets[0]!, WATCHED, "0x0101");
    expect((await untilGot(h, wanted)).via).toBe("filter");
    await h.src.stop();

    const off = await harness(node.url, { poll: false, ws: { url: ws.url, name: "scripted" } });
    cleanup.push(() => off.src.stop());
    await until("the source given up", () => off.states.at(-1)?.live === false, describeHarness(off));
    expect(off.states.at(-1)?.reason).toBe("eth_subscribe newPendingTransactions refused: -32601 subscriptions not supported; polled sources not allowed (poll off)");
    await off.src.stop();
    await node.mine(1);
  });

  test("junk pushed is dropped and counted, never thrown; a whole wanted transaction is delivered once; a bare hash is fetched", async () => {
    const ws = await startScriptedWs((msg, reply) => {
      if (msg.method === "eth_subscribe") reply({ jsonrpc: "2.0", id: msg.id, result: "0xABC" });
      else reply({ jsonrpc: "2.0", id: msg.id, result: "0x7a69" });
    });
    cleanup.push(() => ws.close());
    const h = await harness(node.url, { poll: false, ws: { url: ws.url, name: "scripted" }, maxInputBytes: 64 });
    cleanup.push(() => h.src.stop());
    await untilLive(h, "ws-full");

    const base = {
      hash: `0x${"a1".repeat(32)}`,
      from: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
      to: WATCHED,
      input: "0x5c975abb",
      value: "0x0",
      gas: "0x186a0",
      nonce: "0x3",
      type: "0x2",
      maxFeePerGas: "0x77359400",
      maxPriorityFeePerGas: "0x1",
      blockNumber: null,
    };
    ws.push("{not json");
    ws.push(note("0x12"));
    ws.push(note(42));
    ws.push(note({ ...base, hash: `0x${"a2".repeat(32)}`, from: "0xnot-an-address" }));
    ws.push(note({ ...base, hash: `0x${"a3".repeat(32)}`, input: `0x${"00".repeat(20_000)}` })); // over the message cap
    ws.push(note({ ...base, hash: `0x${"a4".repeat(32)}`, input: `0x${"00".repeat(65)}` })); // over maxInputBytes
    ws.push(note({ ...base, hash: `0x${"a5".repeat(32)}`, blockNumber: "0x5" })); // mined
    ws.push(note(base, "0xdef")); // another subscription: ignored
    ws.push(note(base));
    ws.push(note(base)); // again: once
    const got = await untilGot(h, base.hash as Hex);
    expect(got).toMatchObject({ via: "ws-full", to: WATCHED, input: "0x5c975abb", nonce: 3, type: "eip1559", maxPriorityFeePerGas: 1n });
    // A node that ignores the `true` and pushes a hash: fetched over HTTP like ws-hashes.
    const real = await send(wallets[1]!, WATCHED, "0x0202");
    ws.push(note(real));
    const fetched = await untilGot(h, real);
    expect(fetched.via).toBe("ws-hashes");
    expect(h.got.map((t) => t.hash)).toEqual([base.hash, real]);
    expect(h.src.stats()).toMatchObject({ dropped: 6, gone: 1, fetches: 1, wanted: 2 });
    await h.src.stop();
    await node.mine(1);
  });

  test("a socket that stops answering is reopened (keepalive unanswered)", async () => {
    let answered = 0;
    const ws = await startScriptedWs((msg, reply) => {
      // The first subscribe of each connection is answered; the keepalive's renewals never are, as on a half-open connection.
      if (msg.method === "eth_subscribe" && answered < ws.connections.total) {
        answered++;
        reply({ jsonrpc: "2.0", id: msg.id, result: "0xabc" });
      }
    });
    cleanup.push(() => ws.close());
    const h = await harness(node.url, { poll: false, ws: { url: ws.url, name: "scripted" }, keepaliveMs: 100, connectTimeoutMs: 300 });
    cleanup.push(() => h.src.stop());
    await untilLive(h, "ws-full");
    await until("the socket reopened and live again", () => ws.connections.total >= 2 && h.states.at(-1)?.live === true, describeHarness(h));
    expect(h.states.some((st) => !st.live && st.reason === "WebSocket down: no answer to the keepalive")).toBe(true);
    await h.src.stop();
  });

  test("a subscription the node stops notifying is renewed by the keepalive (EDR stops after five minutes, socket up)", async () => {
    let n = 0;
    let newest = "";
    const ws = await startScriptedWs((msg, reply) => {
      if (msg.method === "eth_subscribe") reply({ jsonrpc: "2.0", id: msg.id, result: (newest = `0xa${++n}`) });
      if (msg.method === "eth_unsubscribe") reply({ jsonrpc: "2.0", id: msg.id, result: true });
    });
    cleanup.push(() => ws.close());
    const h = await harness(node.url, { poll: false, ws: { url: ws.url, name: "scripted" }, keepaliveMs: 100, connectTimeoutMs: 2_000 });
    cleanup.push(() => h.src.stop());
    await untilLive(h, "ws-full");
    await until("two renewals", () => n >= 3, describeHarness(h));
    // Only the newest subscription is notified (the old ones went deaf): what it pushes arrives.
    const real = await send(wallets[2]!, WATCHED, "0x0303");
    ws.push(JSON.stringify({ jsonrpc: "2.0", method: "eth_subscription", params: { subscription: newest, result: real } }));
    await untilGot(h, real);
    const dropped = ws.received.filter((m) => (m as { method?: string }).method === "eth_unsubscribe").map((m) => (m as { params: string[] }).params[0]);
    expect(dropped.slice(0, 2)).toEqual(["0xa1", "0xa2"]);
    expect(ws.connections.total).toBe(1); // renewed on the same socket
    expect(h.states.every((st) => st.live)).toBe(true);
    await h.src.stop();
    await node.mine(1);
  });
});

describe("anvil", () => {
  let node: NodeProcess;
  let wallets: Wallets;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    node = await startAnvil({ chainId: CHAIN_ID });
    wallets = await prepare(node);
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    await node?.stop();
  });

  test("ws-full: whole transactions pushed, nothing fetched; while the socket is cut txpool_content stands in, then the socket again", async () => {
    const ws = await startWsProxy({ targetPort: node.port });
    cleanup.push(() => ws.close());
    const { proxy, h } = await liveBehindProxy(node.url, cleanup, "ws-full", {}, { poll: true, ws: { url: ws.url, name: "anvil-ws" } });

    await send(wallets[0]!, OTHER, "0x03");
    const wanted = await send(wallets[1]!, WATCHED, "0x1234", 9n);
    const tx = await untilGot(h, wanted, [OTHER]);
    await expectNodeFields(node, tx, "ws-full");
    expect(h.src.stats().fetches).toBe(0);
    expect(proxy.counts.get("eth_getTransactionByHash")).toBeUndefined();

    // Cut: the pool's content stands in (the two transactions still pending there are not reported again).
    ws.refuse(true);
    ws.drop();
    await untilLive(h, "txpool-content");
    expect(h.states.at(-1)?.reason).toMatch(/WebSocket down/);
    const whileDown = await send(wallets[2]!, WATCHED, "0x5678");
    const polled = await untilGot(h, whileDown);
    await expectNodeFields(node, polled, "txpool-content");

    // Back: the subscription again, and polling stops.
    ws.refuse(false);
    await untilLive(h, "ws-full");
    const polls = proxy.counts.get("txpool_content") ?? 0;
    const back = await send(wallets[3]!, WATCHED, "0x9abc");
    const pushed = await untilGot(h, back);
    expect(pushed.via).toBe("ws-full");
    expect([wanted, whileDown, back].map((x) => once(h, x))).toEqual([1, 1, 1]);
    expect(h.got).toHaveLength(3);
    // The poll that may have been in flight when the socket came back, at most.
    expect(proxy.counts.get("txpool_content") ?? 0).toBeLessThanOrEqual(polls + 1);
    await h.src.stop();
    await node.mine(1);
  });

  test("txpool-content: each transaction once across polls, the unwanted not at all, mined ones gone from the pool", async () => {
    const { proxy, h } = await liveBehindProxy(node.url, cleanup, "txpool-content", {}, { poll: true });

    await send(wallets[4]!, OTHER, "0x04");
    const wanted = await send(wallets[5]!, WATCHED, "0xaaaa", 1n);
    const tx = await untilGot(h, wanted, [OTHER]);
    await expectNodeFields(node, tx, "txpool-content");
    // Three more polls see the same pool: nothing reported again.
    const polls = proxy.counts.get("txpool_content") ?? 0;
    await until("three more polls", () => (proxy.counts.get("txpool_content") ?? 0) >= polls + 3, describeHarness(h));
    expect(h.got.map((t) => t.hash)).toEqual([wanted]);
    expect(h.asked).toHaveLength(2);
    await node.mine(1);
    const next = await send(wallets[5]!, WATCHED, "0xbbbb");
    await untilGot(h, next);
    expect(h.got.map((t) => t.hash)).toEqual([wanted, next]);
    await h.src.stop();
    await node.mine(1);
  });

  test("untrusted answers: malformed pool entries and an oversized input are dropped and counted; the rest still arrives", async () => {
    const junk = (result: unknown) => {
      const r = result as { pending: Record<string, Record<string, unknown>> };
      return {
        ...r,
        pending: {
          ...r.pending,
          "0xnot-an-address": { "0": { hash: `0x${"11".repeat(32)}` } },
          "0x0000000000000000000000000000000000000001": { "0": { hash: "0x12", from: "0x0000000000000000000000000000000000000001" }, nonce: {} },
        },
      };
    };
    const { proxy, h } = await liveBehindProxy(node.url, cleanup, "txpool-content", { rewrite: (method, _p, result) => (method === "txpool_content" ? junk(result) : result) }, { poll: true, maxInputBytes: 64 });

    const big = await send(wallets[8]!, WATCHED, `0x${"ab".repeat(65)}`);
    const small = await send(wallets[9]!, WATCHED, `0x${"cd".repeat(64)}`);
    const tx = await untilGot(h, small);
    expect(tx.input).toBe(`0x${"cd".repeat(64)}`);
    const polls = proxy.counts.get("txpool_content") ?? 0;
    await until("two more polls", () => (proxy.counts.get("txpool_content") ?? 0) >= polls + 2, describeHarness(h));
    expect(h.got.map((t) => t.hash)).toEqual([small]);
    expect(h.got.some((t) => t.hash === big)).toBe(false);
    // Per poll: the bad sender, the bad nonce key, the entry with a bad hash; the big input once (its hash is remembered).
    const { dropped } = h.src.stats();
    expect(dropped % 3).toBe(1);
    expect(dropped).toBeGreaterThanOrEqual(3 * (polls + 1) + 1);
    await h.src.stop();
    await node.mine(1);
  });

  test("txpool-besu: Besu's pool listing (the proxy's translation of anvil's), hashes fetched once", async () => {
    const { proxy, h } = await liveBehindProxy(node.url, cleanup, "txpool-besu", { besuTxpool: true, limits: { disabledMethods: ["txpool_content"], disabledStyle: "not-enabled" } }, { poll: true });

    await send(wallets[6]!, OTHER, "0x05");
    const wanted = await send(wallets[7]!, WATCHED, "0xcccc", 2n);
    const tx = await untilGot(h, wanted, [OTHER]);
    await expectNodeFields(node, tx, "txpool-besu");
    const polls = proxy.counts.get("txpool_besuTransactions") ?? 0;
    await until("three more polls", () => (proxy.counts.get("txpool_besuTransactions") ?? 0) >= polls + 3, describeHarness(h));
    expect(h.got.map((t) => t.hash)).toEqual([wanted]);
    // Both hashes fetched once, whatever the number of polls listing them.
    expect(h.src.stats().fetches).toBe(2);
    expect(proxy.counts.get("eth_getTransactionByHash")).toBe(2);
    await h.src.stop();
    await node.mine(1);
  });
});

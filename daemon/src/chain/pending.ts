/**
 * Pending transactions: learns of transactions while they wait in a node's
 * pool, so that an attack can be simulated and pre-empted before a block
 * holds it. This file only learns and filters; simulating and judging are
 * done by whoever receives `onPending`.
 *
 * ## Which source, and what each costs
 *
 * The best source the endpoints offer is used, in this order:
 *
 * 1. `ws-full`: `eth_subscribe(["newPendingTransactions", true])` on the
 *    WebSocket endpoint (anvil, geth ≥ 1.11, Reth). Each transaction arrives
 *    whole in one push: no request at all, the lowest latency.
 * 2. `ws-hashes`: `eth_subscribe(["newPendingTransactions"])` when the full
 *    form is refused (Hardhat's EDR answers -32602; Besu). Each hash costs an
 *    `eth_getTransactionByHash`; hashes are fetched as soon as they arrive
 *    (those that arrived together go in one JSON-RPC batch), never held back
 *    to fill a batch: one HTTP round trip after the push.
 *
 * Polled sources, only when `poll` is set, since they cost one request every
 * `pollMs` even when nothing happens, and add up to `pollMs` of latency:
 *
 * 3. `txpool-content` (geth, anvil): the whole pool, full transactions, per
 *    poll: one request, but its answer grows with the pool (fine on a quiet
 *    chain such as 138; megabytes on a busy public one). Diffed against the
 *    previous answer, so each transaction is reported once.
 * 4. `txpool-besu`: Besu's `txpool_besuTransactions`, the hashes of the whole
 *    pool (`{hash, isReceivedFromLocalSource, addedToPoolAt}` each) per poll,
 *    plus one batch of `eth_getTransactionByHash` for the new ones.
 * 5. `filter`: `eth_newPendingTransactionFilter` then `eth_getFilterChanges`
 *    every `pollMs`: only the hashes new since the last poll (the cheapest
 *    answer), plus one batch for them. A filter the node forgot (an
 *    "filter not found" error, or EDR's `null`) is created again; what
 *    arrived in between is missed. A filter lives on one node: if the pool
 *    fails over, the next node does not know it and it is created there.
 *
 * While the WebSocket is down (it reconnects with backoff, as new-heads.ts)
 * and `poll` is set, the best polled source stands in, and stops as soon as
 * the subscription is live again. Without any usable source the state says
 * so (`live: false` with the reason) and nothing runs: no busy loop.
 *
 * ## Untrusted input
 *
 * Everything the node sends is checked for shape (hashes, addresses, hex,
 * quantities) and malformed entries are dropped and counted, as are
 * transactions whose input exceeds `maxInputBytes`. A transaction already
 * mined (`blockNumber` set) or gone (`null`) is not reported. Hashes are
 * deduplicated in a bounded memory (the last `seenCapacity`). Callbacks'
 * exceptions are caught: nothing the node sends can make this throw.
 *
 * @example
 * const pending = new PendingTransactions({
 *   pool, ws: { url: "ws://127.0.0.1:8545", name: "local" }, poll: true, pollMs: 250,
 *   wanted: (tx) => tx.to === delegationManager,
 *   onPending: (tx) => simulate(tx),
 * });
 * pending.start();
 * // ...
 * await pending.stop();
 */
import { redactUrls } from "../config/redact.js";
import { untrustedText } from "../decode/untrusted-text.js";
import type { Address, Hex } from "../types.js";
import { MethodUnavailableError, RpcResponseError, RpcUnavailableError, classifyRpcError, describeRpcError } from "./errors.js";
import { reconnectDelayMs } from "./new-heads.js";
import type { RpcPool } from "./rpc-pool.js";

export type PendingVia = "ws-full" | "ws-hashes" | "txpool-content" | "txpool-besu" | "filter";

export interface PendingTx {
  hash: Hex;
  from: Address;
  to: Address | null;
  input: Hex;
  value: bigint;
  gas: bigint;
  nonce: number;
  type: "legacy" | "eip2930" | "eip1559" | "other";
  /**
   * As the node reports it, for legacy and EIP-2930 transactions only: for a
   * fee-market transaction nodes disagree on what `gasPrice` means (anvil's
   * txpool says the fee cap, its subscription the price at the current base
   * fee), so it is left out there; use the two fields below.
   */
  gasPrice?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  /** Date.now() when this process first learned of the transaction (its hash or the whole transaction). */
  seenAt: number;
  via: PendingVia;
}

export interface PendingSourceOptions {
  /** Request/batch with failover; learns which methods endpoints lack. */
  pool: RpcPool;
  /** The first configured endpoint with a WebSocket URL (the URL may hold a key: never logged, only `name`). */
  ws?: { url: string; name: string };
  /** Polled sources allowed (they cost requests every `pollMs`, even when quiet). */
  poll: boolean;
  pollMs: number;
  /** Pure predicate: only transactions it accepts go on to `onPending`. */
  wanted: (tx: { to: Address | null; input: Hex }) => boolean;
  onPending: (tx: PendingTx) => void;
  onState?: (s: { via?: PendingVia; live: boolean; reason?: string }) => void;
  /** Larger inputs are dropped (untrusted). Default 131,072 bytes. */
  maxInputBytes?: number;
  log?: (msg: string, fields?: Record<string, unknown>, level?: "info" | "warn" | "error") => void;
  /** First WebSocket reconnect delay (doubled per failure, with jitter). Default 500 ms. */
  minBackoffMs?: number;
  /** Longest reconnect delay. Default 30 s. */
  maxBackoffMs?: number;
  /** Time allowed for connect + subscribe, and for the answer to a keepalive. Default 10 s. */
  connectTimeoutMs?: number;
  /** A live socket renews its subscription this often (`eth_subscribe`, then the old one dropped); no answer within `connectTimeoutMs` reopens it. Default 30 s. */
  keepaliveMs?: number;
  /** Hashes remembered for deduplication. Default 10,000. */
  seenCapacity?: number;
  /** WebSocket implementation, for tests. Default: Node's global `WebSocket`. */
  webSocket?: typeof WebSocket;
}

export interface PendingStats {
  /** Distinct transactions learned of (by hash or whole). */
  seen: number;
  /** Handed to `onPending` (the predicate accepted them). */
  wanted: number;
  /** Malformed entries and transactions over `maxInputBytes`, dropped. */
  dropped: number;
  /** Transactions fetched by hash (`eth_getTransactionByHash` calls). */
  fetches: number;
  /** Already mined, or gone from the node (`null`), when fetched or pushed. */
  gone: number;
  /** Hashes given up: their fetch failed three times, or more waited than `seenCapacity`. */
  lost: number;
  /** HTTP requests this source made (polls, batches, filter creation). */
  requests: number;
}

/** A transaction as parsed from the node, before it is stamped with when and how it was learned. */
export type ParsedPendingTx = Omit<PendingTx, "seenAt" | "via">;

export type PendingParse =
  | { kind: "tx"; tx: ParsedPendingTx }
  | { kind: "mined"; hash: Hex }
  | { kind: "too-large"; hash?: Hex }
  | { kind: "malformed"; reason: string };

export const PENDING_DEFAULTS = {
  /** A contract call's calldata beyond 128 KiB is not what the watched contracts take; it only costs memory. */
  maxInputBytes: 131_072,
  /** About a minute of a busy pool's arrivals: a hash older than that is not announced again. */
  seenCapacity: 10_000,
  minBackoffMs: 500,
  maxBackoffMs: 30_000,
  connectTimeoutMs: 10_000,
  keepaliveMs: 30_000,
} as const;

/** Hashes per `eth_getTransactionByHash` batch. */
const MAX_FETCH_BATCH = 100;
/** Fetch batches in flight at once (a burst of pushes does not queue behind one slow answer). */
const MAX_FETCHES_IN_FLIGHT = 4;
/** Tries per hash before it is given up (the endpoint failing, not the transaction gone). */
const FETCH_ATTEMPTS = 3;
/** Request ids on the socket: the two subscribe forms (renewals reuse them), then unsubscribes of renewed subscriptions. */
const SUBSCRIBE_FULL = 1;
const SUBSCRIBE_HASHES = 2;
const KEEPALIVE_FIRST_ID = 1000;

const HASH = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const EVEN_HEX = /^0x(?:[0-9a-fA-F]{2})*$/;
const QUANTITY = /^0x[0-9a-fA-F]{1,64}$/;
const SMALL_QUANTITY = /^0x[0-9a-fA-F]{1,13}$/;

// ------------------------------------------------------------------ pure parsing

/**
 * Parses one transaction object as nodes send it (`eth_getTransactionByHash`,
 * `txpool_content`, a full-transaction subscription). Pure; never throws.
 * A transaction with `blockNumber` set is `mined`; an input longer than
 * `maxInputBytes` is `too-large` (the string's length is checked before its
 * content, so a huge one costs nothing more).
 */
export function parsePendingTx(raw: unknown, maxInputBytes: number = PENDING_DEFAULTS.maxInputBytes): PendingParse {
  if (!isObject(raw)) return { kind: "malformed", reason: "not an object" };
  if (typeof raw.hash !== "string" || !HASH.test(raw.hash)) return { kind: "malformed", reason: "hash is not a 32-byte hash" };
  const hash = raw.hash.toLowerCase() as Hex;
  const input = raw.input ?? raw.data; // a few old clients say `data`
  if (typeof input !== "string") return { kind: "malformed", reason: "input is not hex" };
  if (input.length > 2 + 2 * maxInputBytes) return { kind: "too-large", hash };
  if (!EVEN_HEX.test(input)) return { kind: "malformed", reason: "input is not hex" };
  if (raw.blockNumber !== null && raw.blockNumber !== undefined) {
    if (typeof raw.blockNumber === "string" && QUANTITY.test(raw.blockNumber)) return { kind: "mined", hash };
    return { kind: "malformed", reason: "blockNumber is neither null nor a quantity" };
  }
  if (typeof raw.from !== "string" || !ADDRESS.test(raw.from)) return { kind: "malformed", reason: "from is not an address" };
  let to: Address | null = null;
  if (raw.to !== null && raw.to !== undefined) {
    if (typeof raw.to !== "string" || !ADDRESS.test(raw.to)) return { kind: "malformed", reason: "to is not an address" };
    to = raw.to.toLowerCase() as Address;
  }
  const value = bigQuantity(raw.value);
  if (value === undefined) return { kind: "malformed", reason: "value is not a quantity" };
  const gas = bigQuantity(raw.gas);
  if (gas === undefined) return { kind: "malformed", reason: "gas is not a quantity" };
  if (typeof raw.nonce !== "string" || !SMALL_QUANTITY.test(raw.nonce)) return { kind: "malformed", reason: "nonce is not a quantity below 2^52" };
  const nonce = Number.parseInt(raw.nonce, 16);
  let type: PendingTx["type"];
  if (raw.type === undefined || raw.type === null) type = "legacy"; // clients before EIP-2718 send no type
  else if (typeof raw.type !== "string" || !/^0x[0-9a-fA-F]{1,2}$/.test(raw.type)) return { kind: "malformed", reason: "type is not a quantity" };
  else type = ({ 0: "legacy", 1: "eip2930", 2: "eip1559" } as Record<number, PendingTx["type"]>)[Number.parseInt(raw.type, 16)] ?? "other";
  const tx: ParsedPendingTx = { hash, from: raw.from.toLowerCase() as Address, to, input: input.toLowerCase() as Hex, value, gas, nonce, type };
  for (const field of ["gasPrice", "maxFeePerGas", "maxPriorityFeePerGas"] as const) {
    const v = raw[field];
    if (v === undefined || v === null) continue;
    const n = bigQuantity(v);
    if (n === undefined) return { kind: "malformed", reason: `${field} is not a quantity` };
    if (field === "gasPrice" && type !== "legacy" && type !== "eip2930") continue;
    tx[field] = n;
  }
  if (type === "eip1559" && (tx.maxFeePerGas === undefined || tx.maxPriorityFeePerGas === undefined)) {
    return { kind: "malformed", reason: "a fee-market transaction without maxFeePerGas and maxPriorityFeePerGas" };
  }
  if ((type === "legacy" || type === "eip2930") && tx.gasPrice === undefined) return { kind: "malformed", reason: "gasPrice missing" };
  return { kind: "tx", tx };
}

/**
 * The transactions of a `txpool_content` answer (geth, anvil, Reth):
 * `{ pending: { [sender]: { [nonce]: tx } }, queued: … }`. Only `pending`
 * is taken (queued transactions wait for a nonce gap and show up in pending
 * once it closes). Returns the raw objects for `parsePendingTx`; entries of
 * the wrong shape are counted in `malformed`. Throws only when the answer is
 * not such an object at all.
 */
export function parseTxpoolContent(raw: unknown): { txs: unknown[]; malformed: number } {
  if (!isObject(raw) || !isObject(raw.pending)) throw new Error("txpool_content: expected an object with `pending`");
  const txs: unknown[] = [];
  let malformed = 0;
  for (const [sender, byNonce] of Object.entries(raw.pending)) {
    if (!ADDRESS.test(sender) || !isObject(byNonce)) {
      malformed++;
      continue;
    }
    for (const [nonce, tx] of Object.entries(byNonce)) {
      if (!/^\d{1,16}$/.test(nonce) || !isObject(tx)) {
        malformed++;
        continue;
      }
      txs.push(tx);
    }
  }
  return { txs, malformed };
}

/**
 * The hashes of a `txpool_besuTransactions` answer (Besu): an array of
 * `{ hash, isReceivedFromLocalSource, addedToPoolAt }` (addedToPoolAt an
 * ISO-8601 instant). Only the hash is used; an entry without a valid hash is
 * counted in `malformed`. Throws only when the answer is not an array.
 */
export function parseBesuTransactions(raw: unknown): { hashes: Hex[]; malformed: number } {
  if (!Array.isArray(raw)) throw new Error("txpool_besuTransactions: expected an array");
  const hashes: Hex[] = [];
  let malformed = 0;
  for (const entry of raw) {
    if (isObject(entry) && typeof entry.hash === "string" && HASH.test(entry.hash)) hashes.push(entry.hash.toLowerCase() as Hex);
    else malformed++;
  }
  return { hashes, malformed };
}

/**
 * The hashes of an `eth_getFilterChanges` answer for a pending-transaction
 * filter. `undefined` when the node does not know the filter (EDR answers
 * `null`); entries that are not hashes are counted in `malformed`. Throws
 * when the answer is neither null nor an array.
 */
export function parseFilterChanges(raw: unknown): { hashes: Hex[]; malformed: number } | undefined {
  if (raw === null) return undefined;
  if (!Array.isArray(raw)) throw new Error("eth_getFilterChanges: expected an array of hashes");
  const hashes: Hex[] = [];
  let malformed = 0;
  for (const h of raw) {
    if (typeof h === "string" && HASH.test(h)) hashes.push(h.toLowerCase() as Hex);
    else malformed++;
  }
  return { hashes, malformed };
}

export type PendingMessage =
  | { kind: "subscribed"; id: number; subscription: string }
  | { kind: "refused"; id: number; reason: string }
  | { kind: "answer"; id: number }
  | { kind: "hash"; hash: Hex }
  | { kind: "tx"; raw: Record<string, unknown> }
  | { kind: "too-large" }
  | { kind: "malformed" };

/**
 * Parses one WebSocket message: the answer to a subscribe request (its id in
 * `subscribeIds`), the answer to any other request of ours (`answer`), a
 * notification of `subscription` carrying a hash or a whole transaction, or
 * `undefined` for anything else (ignored). Pure; never throws.
 */
export function parsePendingMessage(
  raw: unknown,
  subscribeIds: readonly number[],
  subscription: string | undefined,
  maxChars: number,
): PendingMessage | undefined {
  if (typeof raw !== "string") return undefined;
  if (raw.length > maxChars) return { kind: "too-large" };
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return { kind: "malformed" };
  }
  if (!isObject(msg)) return { kind: "malformed" };
  if (typeof msg.id === "number") {
    if (!subscribeIds.includes(msg.id)) return { kind: "answer", id: msg.id };
    if (typeof msg.result === "string" && /^0x[0-9a-fA-F]{1,64}$/.test(msg.result)) return { kind: "subscribed", id: msg.id, subscription: msg.result.toLowerCase() };
    const e = msg.error;
    const reason = isObject(e) ? `${typeof e.code === "number" ? e.code : "?"} ${typeof e.message === "string" ? e.message : ""}` : "no subscription id";
    return { kind: "refused", id: msg.id, reason: clean(reason) };
  }
  if (msg.method !== "eth_subscription" || !isObject(msg.params)) return undefined;
  const { subscription: sub, result } = msg.params;
  if (typeof sub !== "string" || subscription === undefined || sub.toLowerCase() !== subscription) return undefined;
  if (typeof result === "string") return HASH.test(result) ? { kind: "hash", hash: result.toLowerCase() as Hex } : { kind: "malformed" };
  if (isObject(result)) return { kind: "tx", raw: result };
  return { kind: "malformed" };
}

/** A set that forgets its oldest members beyond `capacity` (insertion order). */
export class BoundedSet<T> {
  private readonly items = new Set<T>();
  constructor(private readonly capacity: number) {}
  has(item: T): boolean {
    return this.items.has(item);
  }
  add(item: T): void {
    if (this.items.has(item)) return;
    this.items.add(item);
    if (this.items.size > this.capacity) {
      const oldest = this.items.values().next();
      if (!oldest.done) this.items.delete(oldest.value);
    }
  }
  delete(item: T): void {
    this.items.delete(item);
  }
  get size(): number {
    return this.items.size;
  }
}

// ------------------------------------------------------------------ the source

type PolledVia = "txpool-content" | "txpool-besu" | "filter";
const POLLED_ORDER: readonly PolledVia[] = ["txpool-content", "txpool-besu", "filter"];

interface Queued {
  seenAt: number;
  via: PendingVia;
  attempts: number;
}

export class PendingTransactions {
  private readonly o: PendingSourceOptions;
  private readonly maxInputBytes: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly connectTimeoutMs: number;
  private readonly keepaliveMs: number;
  private readonly WS: typeof WebSocket | undefined;
  private readonly seen: BoundedSet<Hex>;
  private readonly seenCapacity: number;
  private readonly counters: PendingStats = { seen: 0, wanted: 0, dropped: 0, fetches: 0, gone: 0, lost: 0, requests: 0 };
  private stopped = true;

  // WebSocket
  private socket: WebSocket | undefined;
  /** Which subscription the endpoint takes: learned on the first refusal, kept across reconnects. */
  private wsMode: "full" | "hashes" | "unusable" = "full";
  private wsLive = false;
  private subscription: string | undefined;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private nextKeepaliveId = KEEPALIVE_FIRST_ID;

  // Polled source
  /** Polled sources found missing on every endpoint. */
  private readonly unavailable = new Set<PolledVia>();
  private polled: PolledVia | undefined;
  private polling = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private pollFailures = 0;
  /** A poll is running (never two at once). */
  private pollBusy = false;
  /** Why the polled source stands in (the subscription's failure), for the state. */
  private fallbackReason = "";
  private filterId: string | undefined;
  /** The previous pool snapshot's hashes (txpool sources): the diff is exact whatever `seenCapacity`. */
  private snapshot = new Set<Hex>();

  // Fetching hashes
  private readonly queue = new Map<Hex, Queued>();
  private inFlight = 0;
  private flushScheduled = false;
  private readonly work = new Set<Promise<unknown>>();
  private retryTimers = new Set<NodeJS.Timeout>();

  private lastState = "";
  private current: PendingVia | undefined;

  constructor(options: PendingSourceOptions) {
    if (!(options.pollMs > 0)) throw new Error("PendingTransactions: pollMs: expected a positive number of milliseconds");
    if (options.ws && !/^wss?:\/\//i.test(options.ws.url)) throw new Error(`PendingTransactions: ws.url: expected a ws(s) URL for endpoint ${options.ws.name}`);
    const maxInput = options.maxInputBytes ?? PENDING_DEFAULTS.maxInputBytes;
    if (!(Number.isInteger(maxInput) && maxInput > 0)) throw new Error("PendingTransactions: maxInputBytes: expected a positive whole number of bytes");
    const capacity = options.seenCapacity ?? PENDING_DEFAULTS.seenCapacity;
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new Error("PendingTransactions: seenCapacity: expected a positive whole number");
    this.o = options;
    this.maxInputBytes = maxInput;
    this.minBackoffMs = options.minBackoffMs ?? PENDING_DEFAULTS.minBackoffMs;
    this.maxBackoffMs = options.maxBackoffMs ?? PENDING_DEFAULTS.maxBackoffMs;
    this.connectTimeoutMs = options.connectTimeoutMs ?? PENDING_DEFAULTS.connectTimeoutMs;
    this.keepaliveMs = options.keepaliveMs ?? PENDING_DEFAULTS.keepaliveMs;
    this.seen = new BoundedSet(capacity);
    this.seenCapacity = capacity;
    this.WS = options.webSocket ?? (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
    if (options.ws && !this.WS) throw new Error("PendingTransactions: this Node has no WebSocket client (Node 22 or later is needed)");
  }

  /** Starts learning: the subscription when there is a WebSocket endpoint, else (with `poll`) the best polled source. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.o.ws) this.connect();
    else this.fallBack("no WebSocket endpoint");
  }

  /** Stops everything; resolves once no callback can fire any more. Removes the node-side filter, if any (best effort). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.closeSocket();
    this.wsLive = false;
    this.stopPolling();
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    this.queue.clear();
    await Promise.allSettled([...this.work]);
    const filter = this.filterId;
    this.filterId = undefined;
    if (filter !== undefined) {
      try {
        await this.o.pool.request("eth_uninstallFilter", [filter], undefined, { timeoutMs: 2_000 });
      } catch {
        // the node forgets idle filters by itself
      }
    }
    this.current = undefined;
    this.lastState = ""; // a later start() reports its states afresh
  }

  /** The source delivering now (undefined when none is live). */
  via(): PendingVia | undefined {
    return this.current;
  }

  stats(): PendingStats {
    return { ...this.counters };
  }

  // ---------------------------------------------------------------- WebSocket

  private connect(): void {
    if (this.stopped || !this.o.ws || !this.WS || this.wsMode === "unusable") return;
    let socket: WebSocket;
    try {
      socket = new this.WS(this.o.ws.url);
    } catch (error) {
      this.wsFail(`cannot open: ${clean(error instanceof Error ? error.message : String(error))}`);
      return;
    }
    this.socket = socket;
    this.subscription = undefined;
    this.arm(this.connectTimeoutMs, "no subscription within the connect timeout");
    const subscribe = (id: number) =>
      socket.send(JSON.stringify({ jsonrpc: "2.0", id, method: "eth_subscribe", params: id === SUBSCRIBE_FULL ? ["newPendingTransactions", true] : ["newPendingTransactions"] }));
    // A notification carries at most one transaction: its input, hex-encoded, and some room for the rest.
    const maxChars = 2 * this.maxInputBytes + 16_384;
    socket.onopen = () => subscribe(this.wsMode === "hashes" ? SUBSCRIBE_HASHES : SUBSCRIBE_FULL);
    socket.onmessage = (event: MessageEvent) => {
      if (this.socket !== socket || this.stopped) return;
      const m = parsePendingMessage(event.data, [SUBSCRIBE_FULL, SUBSCRIBE_HASHES], this.subscription, maxChars);
      if (!m) return;
      switch (m.kind) {
        case "subscribed":
          if (this.wsLive && this.subscription !== undefined) {
            // The keepalive's renewal: the new subscription takes over, the old one is dropped.
            const old = this.subscription;
            this.subscription = m.subscription;
            this.disarm();
            this.scheduleKeepalive();
            if (old !== m.subscription) socket.send(JSON.stringify({ jsonrpc: "2.0", id: this.nextKeepaliveId++, method: "eth_unsubscribe", params: [old] }));
            return;
          }
          this.wsMode = m.id === SUBSCRIBE_FULL ? "full" : "hashes";
          this.subscription = m.subscription;
          this.attempt = 0;
          this.wsLive = true;
          this.disarm();
          this.stopPolling();
          this.scheduleKeepalive();
          this.setState({ via: this.wsVia(), live: true });
          this.log("pending-transactions subscription live", { endpoint: this.o.ws?.name, via: this.wsVia() });
          return;
        case "refused":
          if (m.id === SUBSCRIBE_FULL) {
            this.wsMode = "hashes";
            this.log("full pending transactions refused; subscribing to hashes", { endpoint: this.o.ws?.name, reason: m.reason });
            subscribe(SUBSCRIBE_HASHES);
            return;
          }
          this.wsMode = "unusable";
          this.closeSocket();
          this.wsLive = false;
          this.current = undefined;
          this.log("the WebSocket endpoint offers no pending-transaction subscription", { endpoint: this.o.ws?.name, reason: m.reason }, "warn");
          this.fallBack(`eth_subscribe newPendingTransactions refused: ${m.reason}`);
          return;
        case "answer":
          if (m.id >= KEEPALIVE_FIRST_ID) {
            this.disarm();
            this.scheduleKeepalive();
          }
          return;
        case "hash":
          this.learnHash(m.hash, "ws-hashes");
          return;
        case "tx":
          this.learnTx(m.raw, "ws-full", Date.now());
          return;
        case "too-large":
        case "malformed":
          this.counters.dropped++;
          return;
      }
    };
    socket.onerror = () => {
      if (this.socket === socket) this.wsFail("socket error");
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket === socket) this.wsFail(`closed (${event.code})`);
    };
  }

  private wsVia(): PendingVia {
    return this.wsMode === "hashes" ? "ws-hashes" : "ws-full";
  }

  /** The socket failed: reconnect after a backoff; meanwhile the polled source, if allowed. */
  private wsFail(reason: string): void {
    if (this.stopped) return;
    const wasLive = this.wsLive;
    this.closeSocket();
    this.wsLive = false;
    if (wasLive) this.log("pending-transactions subscription down", { endpoint: this.o.ws?.name, reason }, "warn");
    const delay = reconnectDelayMs(this.attempt++, this.minBackoffMs, this.maxBackoffMs);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
    this.reconnectTimer.unref?.();
    this.current = undefined;
    this.fallBack(`WebSocket down: ${reason}`);
  }

  /**
   * Every `keepaliveMs` the subscription is renewed over the socket (a new
   * `eth_subscribe`, then the old one dropped): a half-open connection sends
   * no close event, and a node may stop notifying a subscription while the
   * socket stays up (Hardhat's EDR does after five minutes). Pending
   * transactions come at no expected pace, so silence proves nothing; a
   * renewal answered proves the socket, and a fresh subscription the feed.
   */
  private scheduleKeepalive(): void {
    if (this.keepaliveTimer) clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = setTimeout(() => {
      const socket = this.socket;
      if (!socket || !this.wsLive) return;
      try {
        const id = this.wsMode === "hashes" ? SUBSCRIBE_HASHES : SUBSCRIBE_FULL;
        socket.send(JSON.stringify({ jsonrpc: "2.0", id, method: "eth_subscribe", params: id === SUBSCRIBE_FULL ? ["newPendingTransactions", true] : ["newPendingTransactions"] }));
      } catch {
        this.wsFail("socket error");
        return;
      }
      this.arm(this.connectTimeoutMs, "no answer to the keepalive");
    }, this.keepaliveMs);
    this.keepaliveTimer.unref?.();
  }

  private arm(ms: number, reason: string): void {
    this.disarm();
    this.watchdog = setTimeout(() => this.wsFail(reason), ms);
    this.watchdog.unref?.();
  }

  private disarm(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private closeSocket(): void {
    this.disarm();
    for (const t of [this.reconnectTimer, this.keepaliveTimer]) if (t) clearTimeout(t);
    this.reconnectTimer = undefined;
    this.keepaliveTimer = undefined;
    const s = this.socket;
    this.socket = undefined;
    this.subscription = undefined;
    if (s) {
      s.onopen = null;
      s.onmessage = null;
      s.onerror = null;
      s.onclose = null;
      try {
        s.close();
      } catch {
        // already closing
      }
    }
  }

  // ---------------------------------------------------------------- polled sources

  /** No live subscription: the polled source when allowed, else a state saying why nothing runs. */
  private fallBack(reason: string): void {
    if (this.stopped) return;
    if (!this.o.poll) {
      this.current = undefined;
      this.setState({ live: false, reason: this.o.ws && this.wsMode !== "unusable" ? reason : `${reason}; polled sources not allowed (poll off)` });
      return;
    }
    if (this.polling) return;
    if (POLLED_ORDER.every((v) => this.unavailable.has(v))) {
      this.current = undefined;
      this.setState({ live: false, reason: `${reason}; no endpoint serves txpool_content, txpool_besuTransactions or pending-transaction filters` });
      return;
    }
    this.polling = true;
    this.fallbackReason = reason;
    this.pollFailures = 0;
    this.snapshot = new Set();
    this.tick();
  }

  private stopPolling(): void {
    this.polling = false;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  private tick(): void {
    this.pollTimer = undefined;
    if (!this.polling || this.stopped || this.wsLive || this.pollBusy) return;
    this.pollBusy = true;
    const run = this.pollOnce().finally(() => {
      this.work.delete(run);
      this.pollBusy = false;
      // Polling was restarted while this poll ran (the socket dropped again): carry on.
      if (this.polling && !this.stopped && !this.wsLive && this.pollTimer === undefined) this.schedulePoll(this.o.pollMs);
    });
    this.work.add(run);
  }

  /**
   * One poll of the best polled source not known to be missing. A method no
   * endpoint serves moves to the next source at once; other failures retry
   * after `pollMs`, backing off while they last.
   */
  private async pollOnce(): Promise<void> {
    const via = POLLED_ORDER.find((v) => !this.unavailable.has(v));
    if (!via) {
      this.stopPolling();
      this.current = undefined;
      this.setState({ live: false, reason: `${this.fallbackReason}; no endpoint serves txpool_content, txpool_besuTransactions or pending-transaction filters` });
      return;
    }
    try {
      if (via === "txpool-content") await this.pollTxpoolContent();
      else if (via === "txpool-besu") await this.pollBesu();
      else await this.pollFilter();
      if (this.stopped || !this.polling || this.wsLive) return;
      this.pollFailures = 0;
      if (this.polled !== via) this.log("pending transactions polled", { via, pollMs: this.o.pollMs, reason: this.fallbackReason });
      this.polled = via;
      this.current = via;
      this.setState({ via, live: true, ...(this.o.ws && this.wsMode !== "unusable" ? { reason: this.fallbackReason } : {}) });
      this.schedulePoll(this.o.pollMs);
    } catch (error) {
      if (this.stopped || !this.polling || this.wsLive) return;
      if (isMethodMissing(error)) {
        this.unavailable.add(via);
        this.log("pending-transaction source unavailable", { via, cause: describeRpcError(error) });
        if (via === "filter") this.filterId = undefined;
        this.schedulePoll(0);
        return;
      }
      this.pollFailures++;
      this.current = undefined;
      this.setState({ via, live: false, reason: `${via} failed: ${describeRpcError(error)}` });
      this.schedulePoll(Math.max(this.o.pollMs, reconnectDelayMs(this.pollFailures - 1, this.o.pollMs, this.maxBackoffMs)));
    }
  }

  private schedulePoll(ms: number): void {
    if (!this.polling || this.stopped) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => this.tick(), ms);
    this.pollTimer.unref?.();
  }

  private async pollTxpoolContent(): Promise<void> {
    this.counters.requests++;
    const raw = await this.o.pool.request("txpool_content");
    const now = Date.now();
    const { txs, malformed } = parseTxpoolContent(raw);
    this.counters.dropped += malformed;
    const next = new Set<Hex>();
    for (const tx of txs) {
      const hash = isObject(tx) && typeof tx.hash === "string" && HASH.test(tx.hash) ? (tx.hash.toLowerCase() as Hex) : undefined;
      if (hash) next.add(hash);
      if (hash && this.snapshot.has(hash)) continue;
      this.learnTx(tx, "txpool-content", now);
    }
    this.snapshot = next;
  }

  private async pollBesu(): Promise<void> {
    this.counters.requests++;
    const raw = await this.o.pool.request("txpool_besuTransactions");
    const { hashes, malformed } = parseBesuTransactions(raw);
    this.counters.dropped += malformed;
    const next = new Set(hashes);
    for (const h of hashes) if (!this.snapshot.has(h)) this.learnHash(h, "txpool-besu");
    this.snapshot = next;
  }

  private async pollFilter(): Promise<void> {
    if (this.filterId === undefined) {
      this.counters.requests++;
      const id = await this.o.pool.request("eth_newPendingTransactionFilter", [], (r) => {
        if (typeof r !== "string" || !/^0x[0-9a-fA-F]{1,64}$/.test(r)) throw new Error("filter id is not a hex quantity");
        return r;
      });
      this.filterId = id;
      // The first changes come with the next poll: everything from now on.
      return;
    }
    this.counters.requests++;
    let changes: { hashes: Hex[]; malformed: number } | undefined;
    try {
      changes = parseFilterChanges(await this.o.pool.request("eth_getFilterChanges", [this.filterId]));
    } catch (error) {
      if (!isFilterNotFound(error)) throw error;
      changes = undefined;
    }
    if (changes === undefined) {
      this.log("pending-transaction filter forgotten by the node; creating it again", {}, "warn");
      this.filterId = undefined;
      await this.pollFilter();
      return;
    }
    this.counters.dropped += changes.malformed;
    for (const h of changes.hashes) this.learnHash(h, "filter");
  }

  // ---------------------------------------------------------------- transactions

  /** A whole transaction (pushed, or from the pool's content). */
  private learnTx(raw: unknown, via: PendingVia, seenAt: number): void {
    const parsed = parsePendingTx(raw, this.maxInputBytes);
    if (parsed.kind === "malformed") {
      this.counters.dropped++;
      return;
    }
    const hash = parsed.kind === "tx" ? parsed.tx.hash : parsed.hash;
    if (hash === undefined) {
      this.counters.dropped++;
      return;
    }
    if (this.seen.has(hash)) return;
    this.seen.add(hash);
    this.counters.seen++;
    if (parsed.kind === "too-large") this.counters.dropped++;
    else if (parsed.kind === "mined") this.counters.gone++;
    else this.deliver(parsed.tx, seenAt, via);
  }

  /** A hash: fetched at once (with whatever else arrived in the same turn of the event loop). */
  private learnHash(hash: Hex, via: PendingVia): void {
    if (this.seen.has(hash)) return;
    this.seen.add(hash);
    this.counters.seen++;
    this.queue.set(hash, { seenAt: Date.now(), via, attempts: 0 });
    // A flood faster than the endpoint answers: the oldest hashes waiting are given up (memory stays bounded).
    if (this.queue.size > this.seenCapacity) {
      const oldest = this.queue.keys().next();
      if (!oldest.done) this.queue.delete(oldest.value);
      this.counters.lost++;
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.inFlight >= MAX_FETCHES_IN_FLIGHT || this.queue.size === 0 || this.stopped) return;
    this.flushScheduled = true;
    // setImmediate, not a timer: runs right after the messages already read, so they share a batch.
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.stopped || this.queue.size === 0) return;
      const entries = [...this.queue].slice(0, MAX_FETCH_BATCH);
      for (const [h] of entries) this.queue.delete(h);
      this.inFlight++;
      const run = this.fetch(entries).finally(() => {
        this.work.delete(run);
        this.inFlight--;
        this.scheduleFlush();
      });
      this.work.add(run);
      this.scheduleFlush();
    });
  }

  private async fetch(entries: Array<[Hex, Queued]>): Promise<void> {
    this.counters.requests++;
    this.counters.fetches += entries.length;
    let results: unknown[];
    try {
      results = await this.o.pool.batch(entries.map(([h]) => ({ method: "eth_getTransactionByHash", params: [h] })));
    } catch (error) {
      if (this.stopped) return;
      const retry = entries.filter(([, q]) => ++q.attempts < FETCH_ATTEMPTS);
      this.counters.lost += entries.length - retry.length;
      this.log("fetching pending transactions failed", { count: entries.length, retrying: retry.length, cause: describeRpcError(error) }, "warn");
      if (retry.length === 0) return;
      const t = setTimeout(() => {
        this.retryTimers.delete(t);
        for (const [h, q] of retry) this.queue.set(h, q);
        this.scheduleFlush();
      }, reconnectDelayMs(retry[0]![1].attempts - 1, 100, 2_000));
      t.unref?.();
      this.retryTimers.add(t);
      return;
    }
    if (this.stopped) return;
    entries.forEach(([hash, q], i) => {
      const raw = results[i];
      if (raw === null || raw === undefined) {
        this.counters.gone++;
        return;
      }
      const parsed = parsePendingTx(raw, this.maxInputBytes);
      if (parsed.kind === "malformed" || parsed.kind === "too-large") this.counters.dropped++;
      else if (parsed.kind === "mined") this.counters.gone++;
      else if (parsed.tx.hash !== hash) this.counters.dropped++; // not the transaction asked for
      else this.deliver(parsed.tx, q.seenAt, q.via);
    });
  }

  private deliver(tx: ParsedPendingTx, seenAt: number, via: PendingVia): void {
    if (this.stopped) return;
    let wanted = false;
    try {
      wanted = this.o.wanted({ to: tx.to, input: tx.input });
    } catch (error) {
      this.log("the pending-transaction predicate threw", { hash: tx.hash, error: clean(error instanceof Error ? error.message : String(error)) }, "error");
    }
    if (!wanted) return;
    this.counters.wanted++;
    try {
      this.o.onPending({ ...tx, seenAt, via });
    } catch (error) {
      this.log("onPending threw", { hash: tx.hash, error: clean(error instanceof Error ? error.message : String(error)) }, "error");
    }
  }

  // ---------------------------------------------------------------- state, logs

  private setState(s: { via?: PendingVia; live: boolean; reason?: string }): void {
    const key = `${s.via ?? ""}|${s.live}|${s.reason ?? ""}`;
    if (key === this.lastState) return;
    this.lastState = key;
    if (s.live) this.current = s.via;
    try {
      this.o.onState?.(s);
    } catch {
      // listeners log, they do not steer
    }
  }

  private log(msg: string, fields?: Record<string, unknown>, level: "info" | "warn" | "error" = "info"): void {
    try {
      this.o.log?.(msg, fields, level);
    } catch {
      // a logger's failure is not ours to handle
    }
  }
}

/** A method no endpoint serves (the pool's first refusal comes as RpcUnavailableError whose every cause says so). */
function isMethodMissing(error: unknown): boolean {
  if (error instanceof MethodUnavailableError) return true;
  if (error instanceof RpcUnavailableError && error.errors.length > 0) return error.errors.every((e) => classifyRpcError(e.error).kind === "method-unavailable");
  return classifyRpcError(error).kind === "method-unavailable";
}

/** "filter not found" (geth, anvil, Besu), on any endpoint the pool asked. */
function isFilterNotFound(error: unknown): boolean {
  const causes = error instanceof RpcUnavailableError ? error.errors.map((e) => e.error) : [error];
  return causes.some((e) => e instanceof RpcResponseError && /filter not found|unknown filter|filter .*(?:not exist|expired)/i.test(e.rpcMessage));
}

function bigQuantity(value: unknown): bigint | undefined {
  return typeof value === "string" && QUANTITY.test(value) ? BigInt(value) : undefined;
}

function clean(text: string): string {
  return untrustedText(redactUrls(text), 200);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

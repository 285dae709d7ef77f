/**
 * A fault-injecting JSON-RPC proxy on loopback, in front of a node: for
 * fault-injection tests, the soak test and the benchmarks (which count the
 * requests a client makes per block at it).
 *
 * It forwards requests (single or batch) as they are and, on demand:
 *
 * - answers with a fault (`setFault`): a JSON-RPC error, an HTTP error, HTTP
 *   429 with `Retry-After`, a body that is not JSON, JSON of the wrong shape,
 *   a late answer (`delay`), or none at all (`hang`); to every request or to
 *   those holding given methods, always or with a probability, for a number
 *   of requests or until changed;
 * - serves a head that is not the node's (`setHead`): a **lagging** endpoint
 *   answers as a node `blocks` behind would (its head, `latest`, blocks,
 *   receipts and logs stop there), a **lying** one reports a head `offset`
 *   blocks ahead of the node's (which it cannot serve);
 * - imposes an `eth_getLogs` block-range limit the way hosted providers do
 *   (error -32005), and rewrites results (`rewrite`);
 * - imposes a provider's limits (`limits`, `setLimits`): batches refused or
 *   capped, an `eth_getLogs` range limit worded as a given provider words it,
 *   a request rate limit answered with HTTP 429 (with or without
 *   `Retry-After`) or Infura's HTTP 200 + -32005, and methods that are not
 *   there (-32601) or not enabled (Besu's -32604).
 *
 * - answers Besu's `txpool_besuTransactions` in front of a node without it
 *   (`besuTxpool`): the node's `txpool_content` translated into Besu's shape,
 *   `[{ hash, isReceivedFromLocalSource, addedToPoolAt }]`, the time being
 *   when the proxy first saw the hash.
 *
 * It counts HTTP requests and calls by method, and tells `onCall` about each
 * call as it arrives (the benchmarks time `eth_sendRawTransaction` there).
 *
 * @example
 * const proxy = await startRpcProxy({ target: node.url, maxLogRange: 50 });
 * proxy.setFault({ kind: "rate-limit", retryAfterSeconds: 1 }, undefined, { probability: 0.2 });
 * proxy.setHead({ mode: "lag", blocks: 20 });
 * proxy.setFault({ kind: "pass" });
 * proxy.setLimits({ batch: { max: 10, style: "error-object" }, requestsPerSecond: 10, rateStyle: "infura" });
 * await proxy.close();
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type ProxyFault =
  | { kind: "pass" }
  /** A JSON-RPC error object for every call (HTTP 200). */
  | { kind: "rpc-error"; code?: number; message?: string }
  /** An HTTP error status with a plain-text body. */
  | { kind: "http-error"; status?: number }
  /** HTTP 429 Too Many Requests with a `Retry-After` header (seconds), as rate-limited providers answer. */
  | { kind: "rate-limit"; retryAfterSeconds?: number }
  /** HTTP 200 with a body that is not JSON. */
  | { kind: "malformed" }
  /** HTTP 200 with JSON that is not a JSON-RPC answer (a result of the wrong shape). */
  | { kind: "wrong-shape" }
  /** The right answer, `ms` late (longer than the client's timeout: a timeout). */
  | { kind: "delay"; ms: number }
  /** Never answers; with `ms`, drops the connection after that long. */
  | { kind: "hang"; ms?: number };

export interface FaultOptions {
  /** Chance that a matching request gets the fault (default 1). */
  probability?: number;
  /** Apply the fault to this many matching requests, then pass again. */
  count?: number;
}

/** Which head the proxy serves. */
export type HeadMode =
  | { mode: "true" }
  /** A node `blocks` behind: its head, `latest`, blocks, receipts and logs stop `blocks` below the node's head. */
  | { mode: "lag"; blocks: number }
  /** Reports `eth_blockNumber` as the node's head plus `offset` (a far-future head it cannot serve). */
  | { mode: "lie"; offset: number };

/**
 * How an endpoint treats a JSON-RPC batch (an array body):
 * - `"refuse"`: HTTP 400 for any batch (a gateway without batch support);
 * - `{ max, style }`: a batch of more than `max` calls is answered with
 *   - `"error-object"` (Besu, many gateways): one error object, not an array,
 *     -32005 "Number of requests exceeds max batch size";
 *   - `"geth"`: an array holding one -32600 "batch too large" error;
 *   - `"per-call"`: an array with that -32005 error for every call;
 *   - `"413"`: HTTP 413 Payload Too Large.
 */
export type BatchLimit = "refuse" | { max: number; style?: "error-object" | "geth" | "per-call" | "413" };

/**
 * How a provider words a refused `eth_getLogs` range (the texts are the
 * providers' own):
 * - `"generic"`: -32005 "query exceeds max block range N";
 * - `"besu"`: -32005 "Requested range exceeds maximum RPC range limit";
 * - `"infura"`: -32005 "query returned more than 10000 results" with a
 *   suggested `{ from, to }` in `data`;
 * - `"alchemy"`: -32602 "Log response size exceeded. … this block range should work: [0x…, 0x…]";
 * - `"quicknode"`: -32614 "eth_getLogs is limited to a 10,000 range".
 */
export type LogRangeStyle = "generic" | "besu" | "infura" | "alchemy" | "quicknode";

/**
 * How a rate-limited endpoint answers a request over its rate:
 * - `"429"`: HTTP 429 without `Retry-After`;
 * - `"429-retry-after"`: HTTP 429 with `Retry-After: retryAfterSeconds`;
 * - `"infura"`: HTTP 200 with -32005 "project ID request rate exceeded" for each call.
 */
export type RateStyle = "429" | "429-retry-after" | "infura";

/** A provider's limits, all optional (none: a node without limits). */
export interface ProviderLimits {
  batch?: BatchLimit;
  /** eth_getLogs spanning more blocks than this is refused, worded as `getLogsStyle` (default "generic"). */
  getLogsMaxRange?: number;
  getLogsStyle?: LogRangeStyle;
  /** Requests accepted in any one-second window; more are refused as `rateStyle` (default "429-retry-after"). */
  requestsPerSecond?: number;
  rateStyle?: RateStyle;
  /** What counts against the rate: HTTP requests (default; a batch is one) or calls (a batch of n counts n, as Infura's credits). */
  rateCounts?: "requests" | "calls";
  /** The `Retry-After` value for "429-retry-after" (default 1 s). */
  retryAfterSeconds?: number;
  /** Methods the endpoint does not serve, answered as `disabledStyle` (default "not-found"). */
  disabledMethods?: string[];
  /** `"not-found"`: -32601 "the method … does not exist/is not available" (Geth); `"not-enabled"`: -32604 "Method not enabled" (Besu). */
  disabledStyle?: "not-found" | "not-enabled";
}

/** Requests and calls refused by each limit. */
export interface LimitCounts {
  /** HTTP requests refused for the rate. */
  rate: number;
  /** Batches refused or capped. */
  batch: number;
  /** eth_getLogs calls refused for their range (any style). */
  range: number;
  /** Calls to disabled methods. */
  disabled: number;
}

interface RpcCallBody {
  jsonrpc?: string;
  id?: unknown;
  method: string;
  params?: unknown[];
}

type RpcAnswer = { jsonrpc?: string; id?: unknown; result?: unknown; error?: unknown };

export interface ProxyCall {
  method: string;
  params: unknown[];
  /** performance.now() when the request arrived. */
  at: number;
}

export interface RpcProxyOptions {
  target: string;
  /** eth_getLogs spanning more blocks than this gets error -32005, like Infura's limit. */
  maxLogRange?: number;
  /** Changes a forwarded call's result. */
  rewrite?: (method: string, params: unknown[], result: unknown) => unknown;
  /** Called for every call as its request arrives (before any fault). */
  onCall?: (call: ProxyCall) => void;
  /** Called for every HTTP request as it arrives, with its calls' methods (one for a single call). */
  onRequest?: (methods: string[], batch: boolean) => void;
  /** A provider's limits (see `ProviderLimits`); `setLimits` changes them. */
  limits?: ProviderLimits;
  /** A name for logs. */
  name?: string;
  /**
   * Answers `txpool_besuTransactions` (Besu) from the node's `txpool_content`
   * (geth, anvil): the pending transactions' hashes, each as
   * `{ hash, isReceivedFromLocalSource: true, addedToPoolAt }` (ISO instant
   * the proxy first saw it). A `txpool_content` of the caller's own is still
   * subject to `limits.disabledMethods`.
   */
  besuTxpool?: boolean;
}

export interface RpcProxy {
  url: string;
  /** Applies `fault` to requests that contain any of `methods` (all requests when omitted). */
  setFault(fault: ProxyFault, methods?: string[], options?: FaultOptions): void;
  setMaxLogRange(range: number | undefined): void;
  /** Replaces the provider limits (an empty object: none). */
  setLimits(limits: ProviderLimits): void;
  /** Requests and calls refused by the provider limits. */
  readonly limited: LimitCounts;
  /** Serves the node's head (default), a lagging one or a lying one. */
  setHead(head: HeadMode): void;
  /** Calls seen, by method (batch items counted one by one). */
  readonly counts: Map<string, number>;
  /** HTTP requests seen. */
  readonly requests: { total: number };
  /** eth_getLogs calls refused for their range. */
  readonly rangeErrors: { total: number };
  /** HTTP requests answered with an injected fault. */
  readonly faulted: { total: number };
  resetCounts(): void;
  close(): Promise<void>;
}

/** Methods whose last parameter is a block tag that a lagging node resolves to its own head. */
const BLOCK_TAG_LAST = new Set(["eth_call", "eth_getBalance", "eth_getCode", "eth_getTransactionCount", "eth_getStorageAt", "eth_estimateGas"]);

export async function startRpcProxy(options: RpcProxyOptions): Promise<RpcProxy> {
  let fault: ProxyFault = { kind: "pass" };
  let faultMethods: Set<string> | undefined;
  let faultProbability = 1;
  let faultLeft = Infinity;
  let head: HeadMode = { mode: "true" };
  let maxLogRange = options.maxLogRange;
  let limits: ProviderLimits = options.limits ?? {};
  const limited: LimitCounts = { rate: 0, batch: 0, range: 0, disabled: 0 };
  /** performance.now() of each unit (request or call) accepted within the last second. */
  let accepted: number[] = [];
  const counts = new Map<string, number>();
  const requests = { total: 0 };
  const rangeErrors = { total: 0 };
  const faulted = { total: 0 };
  const sockets = new Set<Socket>();
  /** besuTxpool: when each pending hash was first seen (Besu's addedToPoolAt). */
  const besuAddedAt = new Map<string, string>();
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  async function upstream(calls: RpcCallBody[]): Promise<RpcAnswer[]> {
    // One call goes as a single request, not a batch of one: some servers take no batches (Alto).
    const single = calls.length === 1;
    const response = await fetch(options.target, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(single ? calls[0] : calls),
    });
    const answer = (await response.json()) as RpcAnswer | RpcAnswer[];
    const answers = single && !Array.isArray(answer) ? [answer] : answer;
    if (!Array.isArray(answers)) throw new Error("upstream answered a batch without an array");
    return answers;
  }

  // The node's head, for the lagging and lying modes (asked at most every 50 ms).
  let nodeHead: { value: number; at: number } | undefined;
  async function realHead(): Promise<number> {
    const now = performance.now();
    if (nodeHead && now - nodeHead.at < 50) return nodeHead.value;
    const [answer] = await upstream([{ jsonrpc: "2.0", id: 0, method: "eth_blockNumber", params: [] }]);
    const value = Number.parseInt(String(answer?.result), 16);
    nodeHead = { value, at: now };
    return value;
  }

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    requests.total++;
    let body: RpcCallBody | RpcCallBody[];
    try {
      body = JSON.parse(Buffer.concat(chunks).toString()) as RpcCallBody | RpcCallBody[];
    } catch {
      res.writeHead(400).end("bad json");
      return;
    }
    const calls = Array.isArray(body) ? body : [body];
    const at = performance.now();
    options.onRequest?.(calls.map((c) => c.method), Array.isArray(body));
    for (const c of calls) {
      counts.set(c.method, (counts.get(c.method) ?? 0) + 1);
      options.onCall?.({ method: c.method, params: c.params ?? [], at });
    }
    const reply = (answers: unknown[]) => send(res, Array.isArray(body) ? answers : answers[0]);

    // 1. The provider's rate limit, then its batch limit.
    if (overRate(Array.isArray(body) && limits.rateCounts === "calls" ? calls.length : 1, at)) {
      limited.rate++;
      const style = limits.rateStyle ?? "429-retry-after";
      if (style === "infura") {
        reply(calls.map((c) => ({ jsonrpc: "2.0", id: c.id ?? null, error: infuraRateError(limits.requestsPerSecond ?? 0) })));
      } else {
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (style === "429-retry-after") headers["retry-after"] = String(limits.retryAfterSeconds ?? 1);
        res.writeHead(429, headers).end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: 429, message: "Too Many Requests" } }));
      }
      return;
    }
    if (Array.isArray(body) && limits.batch !== undefined) {
      const batch = limits.batch;
      if (batch === "refuse") {
        limited.batch++;
        res.writeHead(400, { "content-type": "text/plain" }).end("batch requests are not supported");
        return;
      }
      if (calls.length > batch.max) {
        limited.batch++;
        const style = batch.style ?? "error-object";
        const tooMany = { code: -32005, message: "Number of requests exceeds max batch size" };
        if (style === "413") res.writeHead(413, { "content-type": "text/plain" }).end("Payload Too Large");
        else if (style === "error-object") send(res, { jsonrpc: "2.0", id: null, error: tooMany });
        else if (style === "geth") send(res, [{ jsonrpc: "2.0", id: calls[0]?.id ?? null, error: { code: -32600, message: "batch too large" } }]);
        else send(res, calls.map((c) => ({ jsonrpc: "2.0", id: c.id ?? null, error: tooMany })));
        return;
      }
    }

    // 2. An injected fault.
    const f = fault;
    const matches = f.kind !== "pass" && faultLeft > 0 && (!faultMethods || calls.some((c) => faultMethods?.has(c.method)));
    if (matches && (faultProbability >= 1 || Math.random() < faultProbability)) {
      faultLeft--;
      faulted.total++;
      switch (f.kind) {
        case "hang":
          if (f.ms !== undefined) later(f.ms, () => req.socket.destroy());
          return; // the socket stays open until the client gives up or the proxy closes
        case "delay":
          later(f.ms, () => void forward(calls).then(reply, () => res.writeHead(502).end("upstream failed")));
          return;
        case "http-error":
          res.writeHead(f.status ?? 503, { "content-type": "text/plain" }).end("upstream unavailable");
          return;
        case "rate-limit":
          res
            .writeHead(429, { "content-type": "application/json", "retry-after": String(f.retryAfterSeconds ?? 1) })
            .end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32005, message: "rate limit exceeded" } }));
          return;
        case "malformed":
          res.writeHead(200, { "content-type": "application/json" }).end('{"jsonrpc":"2.0","id":1,"result":');
          return;
        case "wrong-shape":
          reply(calls.map((c) => ({ jsonrpc: "2.0", id: c.id, result: { unexpected: true } })));
          return;
        case "rpc-error":
          reply(calls.map((c) => ({ jsonrpc: "2.0", id: c.id, error: { code: f.code ?? -32000, message: f.message ?? "injected fault" } })));
          return;
      }
    }

    // 3. Forward (the range limit, disabled methods and the head mode applied).
    try {
      reply(await forward(calls));
    } catch {
      if (!res.headersSent) res.writeHead(502).end("upstream failed");
    }
  });

  /**
   * Whether `units` more requests (or calls) would go over the rate limit in
   * the one-second window ending at `at`; if not, they are counted in it.
   */
  function overRate(units: number, at: number): boolean {
    const rps = limits.requestsPerSecond;
    if (rps === undefined) return false;
    accepted = accepted.filter((t) => at - t < 1000);
    if (accepted.length + units > rps) return true;
    for (let i = 0; i < units; i++) accepted.push(at);
    return false;
  }

  /** Answers `calls` from upstream as one request, with the range limit and the head mode applied. */
  async function forward(calls: RpcCallBody[]): Promise<RpcAnswer[]> {
    const mode = head;
    const lagHead = mode.mode === "lag" ? Math.max(0, (await realHead()) - mode.blocks) : undefined;
    const local = new Map<number, RpcAnswer>();
    const sent = calls.map((c) => ({ ...c, params: [...(c.params ?? [])] }));
    const disabled = new Set(limits.disabledMethods ?? []);
    const besu = new Set<number>();
    sent.forEach((c, i) => {
      // Methods the endpoint does not serve.
      if (disabled.has(c.method)) {
        limited.disabled++;
        const error =
          limits.disabledStyle === "not-enabled"
            ? { code: -32604, message: "Method not enabled" }
            : { code: -32601, message: `the method ${c.method} does not exist/is not available` };
        local.set(i, { jsonrpc: "2.0", id: c.id, error });
        return;
      }
      // Besu's pool listing, asked of the node as txpool_content and translated below.
      if (c.method === "txpool_besuTransactions" && options.besuTxpool) {
        c.method = "txpool_content";
        c.params = [];
        besu.add(i);
        return;
      }
      // The range limit (the provider's, else the plain one).
      if (c.method === "eth_getLogs") {
        const filter = (c.params[0] ?? {}) as { fromBlock?: string; toBlock?: string; blockHash?: string };
        if (!filter.blockHash && isQuantity(filter.fromBlock) && isQuantity(filter.toBlock)) {
          const from = hexNumber(filter.fromBlock);
          const span = hexNumber(filter.toBlock) - from + 1;
          const providerMax = limits.getLogsMaxRange;
          if (providerMax !== undefined && span > providerMax) {
            rangeErrors.total++;
            limited.range++;
            local.set(i, { jsonrpc: "2.0", id: c.id, error: rangeError(limits.getLogsStyle ?? "generic", providerMax, from) });
            return;
          }
          if (maxLogRange !== undefined && span > maxLogRange) {
            rangeErrors.total++;
            local.set(i, { jsonrpc: "2.0", id: c.id, error: { code: -32005, message: `query exceeds max block range ${maxLogRange}` } });
            return;
          }
        }
      }
      if (lagHead === undefined) return;
      // A lagging node: nothing above its head exists yet.
      const lagged = `0x${lagHead.toString(16)}`;
      if (c.method === "eth_blockNumber") local.set(i, { jsonrpc: "2.0", id: c.id, result: lagged });
      else if (c.method === "eth_getBlockByNumber") {
        const tag = c.params[0];
        if (tag === "latest" || tag === "pending" || tag === "safe" || tag === "finalized") c.params[0] = lagged;
        else if (isQuantity(tag) && hexNumber(tag) > lagHead) local.set(i, { jsonrpc: "2.0", id: c.id, result: null });
      } else if (c.method === "eth_getLogs") {
        const filter = { ...((c.params[0] ?? {}) as { fromBlock?: string; toBlock?: string; blockHash?: string }) };
        if (!filter.blockHash) {
          const to = isQuantity(filter.toBlock) ? Math.min(hexNumber(filter.toBlock), lagHead) : lagHead;
          const from = isQuantity(filter.fromBlock) ? hexNumber(filter.fromBlock) : filter.fromBlock === "earliest" ? 0 : lagHead;
          if (from > to) local.set(i, { jsonrpc: "2.0", id: c.id, result: [] });
          else c.params[0] = { ...filter, fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}` };
        }
      } else if (BLOCK_TAG_LAST.has(c.method) && c.params.length > 0 && c.params.at(-1) === "latest") {
        c.params[c.params.length - 1] = lagged;
      }
    });

    const toSend = sent.filter((_, i) => !local.has(i));
    const answers = toSend.length > 0 ? await upstream(toSend) : [];
    const byId = new Map(answers.map((a) => [JSON.stringify(a.id), a]));
    return sent.map((c, i) => {
      let answer = local.get(i) ?? byId.get(JSON.stringify(c.id)) ?? { jsonrpc: "2.0", id: c.id, error: { code: -32603, message: "no upstream answer" } };
      if ("result" in answer) {
        let result = answer.result;
        if (lagHead !== undefined) {
          const lagged = lagResult(c, result, lagHead);
          if ("error" in lagged) return { jsonrpc: "2.0", id: c.id, error: lagged.error };
          result = lagged.result;
        }
        if (mode.mode === "lie" && c.method === "eth_blockNumber" && isQuantity(result)) result = `0x${(hexNumber(result) + mode.offset).toString(16)}`;
        if (besu.has(i)) result = besuTransactions(result, besuAddedAt);
        if (options.rewrite) result = options.rewrite(c.method, c.params, result);
        if (result !== answer.result) answer = { ...answer, result };
      }
      return answer;
    });
  }

  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setFault(f, methods, o = {}) {
      fault = f;
      faultMethods = methods ? new Set(methods) : undefined;
      faultProbability = o.probability ?? 1;
      faultLeft = o.count ?? Infinity;
    },
    setMaxLogRange(range) {
      maxLogRange = range;
    },
    setHead(h) {
      head = h;
    },
    setLimits(l) {
      limits = l;
      accepted = [];
    },
    limited,
    counts,
    requests,
    rangeErrors,
    faulted,
    resetCounts() {
      counts.clear();
      requests.total = 0;
      rangeErrors.total = 0;
      faulted.total = 0;
      limited.rate = limited.batch = limited.range = limited.disabled = 0;
    },
    async close() {
      if (closing) return;
      closing = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * What a node `lagHead` high answers instead of `result`: nothing for blocks,
 * transactions and receipts it does not have yet; the logs up to its head for
 * a range; "unknown block" (as geth) for the logs of a block hash it does not know.
 */
function lagResult(call: RpcCallBody, result: unknown, lagHead: number): { result: unknown } | { error: { code: number; message: string } } {
  if (result === null || typeof result !== "object") return { result };
  const above = (n: unknown) => isQuantity(n) && hexNumber(n) > lagHead;
  if (call.method === "eth_getLogs" && Array.isArray(result)) {
    const byHash = !!(call.params?.[0] as { blockHash?: string } | undefined)?.blockHash;
    if (byHash && result.some((log: { blockNumber?: unknown }) => above(log.blockNumber))) return { error: { code: -32000, message: "unknown block" } };
    return { result: result.filter((log: { blockNumber?: unknown }) => !above(log.blockNumber)) };
  }
  const r = result as { blockNumber?: unknown; number?: unknown };
  if ((call.method === "eth_getTransactionReceipt" || call.method === "eth_getTransactionByHash") && above(r.blockNumber)) return { result: null };
  if (call.method === "eth_getBlockByHash" && above(r.number)) return { result: null };
  return { result };
}

/** A `txpool_content` result as Besu's `txpool_besuTransactions` answers: one entry per pending transaction. */
function besuTransactions(content: unknown, addedAt: Map<string, string>): unknown {
  const pending = (content as { pending?: Record<string, Record<string, { hash?: unknown }>> } | null)?.pending ?? {};
  const out: Array<{ hash: string; isReceivedFromLocalSource: boolean; addedToPoolAt: string }> = [];
  for (const byNonce of Object.values(pending)) {
    for (const tx of Object.values(byNonce ?? {})) {
      if (typeof tx?.hash !== "string") continue;
      if (!addedAt.has(tx.hash)) addedAt.set(tx.hash, new Date().toISOString());
      out.push({ hash: tx.hash, isReceivedFromLocalSource: true, addedToPoolAt: addedAt.get(tx.hash)! });
    }
  }
  return out;
}

/** A refused `eth_getLogs` range, worded as `style`'s provider words it; `from` starts the refused range. */
function rangeError(style: LogRangeStyle, max: number, from: number): { code: number; message: string; data?: unknown } {
  const hex = (n: number) => `0x${n.toString(16)}`;
  switch (style) {
    case "besu":
      return { code: -32005, message: "Requested range exceeds maximum RPC range limit" };
    case "infura":
      return { code: -32005, message: "query returned more than 10000 results", data: { from: hex(from), to: hex(from + max - 1), limit: 10000 } };
    case "alchemy":
      return {
        code: -32602,
        message:
          "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, " +
          `or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [${hex(from)}, ${hex(from + max - 1)}]`,
      };
    case "quicknode":
      return { code: -32614, message: `eth_getLogs is limited to a ${max.toLocaleString("en-US")} range` };
    case "generic":
      return { code: -32005, message: `query exceeds max block range ${max}` };
  }
}

/** Infura's answer to a call over the project's rate. */
function infuraRateError(allowed: number): { code: number; message: string; data: unknown } {
  return {
    code: -32005,
    message: "project ID request rate exceeded",
    data: { see: "https://infura.io/dashboard", current_rps: allowed + 1, allowed_rps: allowed, backoff_seconds: 1 },
  };
}

function isQuantity(value: unknown): value is string {
  return typeof value === "string" && /^0x[0-9a-fA-F]+$/.test(value);
}

function hexNumber(value: string): number {
  return Number.parseInt(value, 16);
}

function send(res: http.ServerResponse, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/**
 * RPC pool: several JSON-RPC endpoints behind one `request`, with a short
 * timeout per request, failover, per-endpoint health and a chain-id check.
 *
 * Why not viem's `fallback` transport: it ranks endpoints and fails over, but
 * it keeps no per-endpoint statistics a detector can read, cannot exclude an
 * endpoint that serves another chain, cannot send an explicit JSON-RPC batch
 * (the block follower fetches hundreds of headers per HTTP request), and its
 * retries would hide failures from the health checks. So each endpoint is a
 * viem HTTP JSON-RPC client (`getHttpRpcClient`, the engine inside viem's
 * `http` transport) that never retries, and everything above it is here:
 *
 * - order: endpoints without recent errors first, then those that lag behind
 *   the best head, then the failing ones; configuration order within each
 *   group, so the operator's preferred node is primary whenever it is healthy;
 * - failover: on a transport error, a timeout, an HTTP error, a JSON-RPC error
 *   or a malformed answer, the same request goes to the next endpoint; an
 *   error that is the endpoint's verdict on the request (a range limit, a
 *   revert) is thrown at once and counts against nobody;
 * - chain id: checked before an endpoint's first use and again when it comes
 *   back from being down; a mismatch excludes it for good;
 * - head survey: `survey()` asks every endpoint for its head; one that lags
 *   the best head by more than `maxHeadLagBlocks` is used only as a fallback;
 * - provider limits, by what an error means (`classifyRpcError`): a refused
 *   or too-big batch is split, down to single calls, and the endpoint's cap
 *   is learned (searched upwards again now and then; `maxBatch` fixes it); a
 *   rate limit (HTTP 429, Infura's -32005) marks the endpoint `limited` for
 *   its `Retry-After` or an exponential backoff with jitter, the request
 *   fails over, and no request goes to it before then (when every endpoint
 *   is limited, a request waits up to `rateLimitWaitMs`); a method an
 *   endpoint lacks or disabled (-32601, -32604) is remembered and never
 *   asked of it again; `maxRequestsPerSecond` paces requests to an endpoint.
 *
 * The pool reports, it does not judge: `stats()` feeds the rpc-health
 * detector, which turns errors, latency, exclusions and lag into findings.
 *
 * @example
 * const pool = new RpcPool({ endpoints: ["http://127.0.0.1:8545"], chainId: 138, timeoutMs: 2_000 });
 * await pool.init();
 * const head = await pool.request("eth_blockNumber", [], parseQuantity);
 */
import { custom, type CustomTransport } from "viem";
import { getHttpRpcClient, type HttpRpcClient } from "viem/utils";
import type { EndpointHealth } from "../types.js";
import {
  BatchRefusedError,
  ChainIdMismatchError,
  MalformedResponseError,
  MethodUnavailableError,
  RpcRateLimitedError,
  RpcResponseError,
  RpcUnavailableError,
  classifyRpcError,
  describeRpcError,
  errorMessage,
  isAnswerError,
} from "./errors.js";

export interface RpcEndpointConfig {
  url: string;
  /** Used in stats, findings and logs instead of the URL (which may hold a key). Defaults to the URL's host. */
  name?: string;
  /** Most calls in one JSON-RPC batch (1: no batches). Default: learned from the endpoint's refusals. */
  maxBatch?: number;
  /** Client-side pacing: at most this many HTTP requests a second to this endpoint. Default: unpaced. */
  maxRequestsPerSecond?: number;
}

export interface RpcRequestEvent {
  endpoint: string;
  /** The JSON-RPC method; for a batch, the method of its calls (or "batch" when they differ). */
  method: string;
  ms: number;
  ok: boolean;
  /** Number of calls when the request was a JSON-RPC batch. */
  batch?: number;
}

/** An endpoint's limit met (for logs: `cause` is cleaned and bounded). */
export type RpcLimitEvent =
  | { kind: "rate-limit"; endpoint: string; backoffMs: number; cause: string }
  | { kind: "batch-limit"; endpoint: string; refused: number; maxBatch: number; cause: string }
  | { kind: "method-unavailable"; endpoint: string; method: string; cause: string };

export interface RpcPoolOptions {
  endpoints: ReadonlyArray<string | RpcEndpointConfig>;
  /** The chain every endpoint must serve. */
  chainId: number;
  /** Timeout of one HTTP request (a batch counts as one). */
  timeoutMs: number;
  /** An endpoint more than this many blocks behind the best head is used only as a fallback. Default 5. */
  maxHeadLagBlocks?: number;
  /** Consecutive failures after which an endpoint is reported down (and re-checked before use). Default 3. */
  downAfterErrors?: number;
  /** Largest response accepted, in bytes. Default 64 MiB. */
  maxResponseBodySize?: number;
  /** Longest one request waits for a rate-limited endpoint to free up when every endpoint is limited. Default 5 s. */
  rateLimitWaitMs?: number;
  /** Called when an endpoint limits us or refuses something (rate limit, batch cap learned, method missing): the hook for logs. */
  onLimit?: (event: RpcLimitEvent) => void;
  /** Called after every HTTP request: the hook for metrics. */
  onRequest?: (event: RpcRequestEvent) => void;
  /** Clock, for tests. */
  now?: () => number;
  /** fetch, for tests. */
  fetchFn?: typeof fetch;
}

export interface RpcCall {
  method: string;
  params?: readonly unknown[];
}

export interface RpcPoolStats {
  endpoints: EndpointHealth[];
  /** Set while every usable endpoint failed the latest request: since when (ms). */
  unavailableSinceMs?: number;
  /** Highest head any endpoint reported and when it last advanced (ms). */
  head?: { number: number; advancedAtMs: number };
}

export interface RequestOptions {
  /** Overrides the pool's timeout for this request. */
  timeoutMs?: number;
}

type Parse<T> = (result: unknown, index: number) => T;

interface EndpointState {
  index: number;
  name: string;
  client: HttpRpcClient;
  status: EndpointHealth["status"];
  chainId?: number;
  consecutiveErrors: number;
  lastError?: string;
  lastErrorAtMs?: number;
  lastLatencyMs?: number;
  avgLatencyMs?: number;
  head?: number;
  headAtMs?: number;
  headLag?: number;
  requests: number;
  errors: number;
  byMethod: Map<string, { requests: number; errors: number }>;
  /** Calls per batch: configured, or learned from refusals. */
  maxBatch?: number;
  batchConfigured: boolean;
  /** Largest batch answered, smallest refused (the learned cap lies between), and batches answered at the cap since. */
  batchFloor: number;
  batchCeiling?: number;
  batchOkAtCap: number;
  /** No request before this (rate-limited), rate limits in a row, and the last one. */
  limitedUntilMs?: number;
  rateStrikes: number;
  lastLimitedAtMs?: number;
  /** Client-side pacing: ms between requests, and the next free slot. */
  paceMs?: number;
  nextSlotMs: number;
  /** Methods this endpoint lacks or disabled, with its refusal (cleaned). */
  missing: Map<string, string>;
}

/** Methods whose `null` ("not found") may only mean the answering endpoint is behind. */
const ASK_EVERY_ENDPOINT_WHEN_NOT_FOUND = new Set(["eth_getTransactionReceipt", "eth_getTransactionByHash"]);
const DEFAULT_MAX_HEAD_LAG = 5;
const DEFAULT_DOWN_AFTER = 3;
/** viem's 10 MiB default is too small for a batch of full blocks on a busy chain. */
const DEFAULT_MAX_BODY = 64 * 1024 * 1024;
/** Weight of the newest sample in the latency moving average. */
const LATENCY_ALPHA = 0.2;
/** First backoff after a rate limit without Retry-After; doubled per limit in a row, up to the maximum; ±50% jitter. */
const RATE_BACKOFF_BASE_MS = 500;
const RATE_BACKOFF_MAX_MS = 30_000;
const DEFAULT_RATE_LIMIT_WAIT_MS = 5_000;
/** An endpoint stays reported `limited` this long after its last rate limit. */
const LIMITED_MEMORY_MS = 30_000;
/** Batches answered at the learned cap before a larger one is tried (halfway to the smallest refused). */
const BATCH_PROBE_AFTER = 20;
/** Sub-batches of a split batch in flight at once. */
const SPLIT_CONCURRENCY = 4;

export class RpcPool {
  readonly chainId: number;
  readonly timeoutMs: number;
  readonly maxHeadLagBlocks: number;
  private readonly endpoints: EndpointState[];
  private readonly downAfter: number;
  private readonly onRequest: ((event: RpcRequestEvent) => void) | undefined;
  private readonly onLimit: ((event: RpcLimitEvent) => void) | undefined;
  private readonly rateLimitWaitMs: number;
  private readonly now: () => number;
  private nextId = 1;
  private unavailableSinceMs: number | undefined;
  private bestHead: { number: number; advancedAtMs: number } | undefined;

  constructor(options: RpcPoolOptions) {
    if (options.endpoints.length === 0) throw new Error("RpcPool: endpoints: at least one endpoint is required");
    if (!(options.timeoutMs > 0)) throw new Error("RpcPool: timeoutMs: must be a positive number of milliseconds");
    this.chainId = options.chainId;
    this.timeoutMs = options.timeoutMs;
    this.maxHeadLagBlocks = options.maxHeadLagBlocks ?? DEFAULT_MAX_HEAD_LAG;
    this.downAfter = options.downAfterErrors ?? DEFAULT_DOWN_AFTER;
    this.onRequest = options.onRequest;
    this.onLimit = options.onLimit;
    this.rateLimitWaitMs = options.rateLimitWaitMs ?? DEFAULT_RATE_LIMIT_WAIT_MS;
    this.now = options.now ?? Date.now;
    const names = new Set<string>();
    this.endpoints = options.endpoints.map((e, index) => {
      const config = typeof e === "string" ? { url: e } : e;
      let name = config.name ?? endpointName(config.url, index);
      if (names.has(name)) name = `${name}#${index}`;
      names.add(name);
      if (config.maxBatch !== undefined && !(Number.isInteger(config.maxBatch) && config.maxBatch >= 1)) {
        throw new Error(`RpcPool: endpoints[${index}].maxBatch: expected a whole number of calls, at least 1`);
      }
      if (config.maxRequestsPerSecond !== undefined && !(config.maxRequestsPerSecond > 0)) {
        throw new Error(`RpcPool: endpoints[${index}].maxRequestsPerSecond: expected a positive number`);
      }
      return {
        index,
        name,
        client: getHttpRpcClient(config.url, {
          timeout: options.timeoutMs,
          maxResponseBodySize: options.maxResponseBodySize ?? DEFAULT_MAX_BODY,
          ...(options.fetchFn ? { fetchFn: options.fetchFn } : {}),
        }),
        status: "unverified",
        consecutiveErrors: 0,
        requests: 0,
        errors: 0,
        byMethod: new Map(),
        ...(config.maxBatch !== undefined ? { maxBatch: config.maxBatch } : {}),
        batchConfigured: config.maxBatch !== undefined,
        batchFloor: 0,
        batchOkAtCap: 0,
        rateStrikes: 0,
        ...(config.maxRequestsPerSecond !== undefined ? { paceMs: 1000 / config.maxRequestsPerSecond } : {}),
        nextSlotMs: 0,
        missing: new Map<string, string>(),
      } satisfies EndpointState;
    });
  }

  /**
   * Checks every endpoint's chain id at once (`eth_chainId`). A mismatch
   * excludes the endpoint; an endpoint that does not answer stays unverified
   * and is checked again before its first use. Never throws.
   */
  async init(): Promise<void> {
    await Promise.all(
      this.endpoints.map(async (ep) => {
        try {
          await this.verify(ep);
          this.markAvailable();
        } catch {
          // recorded in the endpoint's stats
        }
      }),
    );
    if (this.usable().length > 0 && this.endpoints.every((ep) => ep.status !== "up")) this.markUnavailable();
  }

  /**
   * Sends one request, failing over from endpoint to endpoint.
   * `parse` validates the result (throw to reject it as malformed).
   *
   * @throws RpcResponseError when an endpoint refused the request itself (range limit, revert)
   * @throws RpcUnavailableError when every usable endpoint failed
   */
  async request<T = unknown>(
    method: string,
    params: readonly unknown[] = [],
    parse?: (result: unknown) => T,
    options: RequestOptions = {},
  ): Promise<T> {
    return this.withFailover(method, (ep) =>
      this.call(ep, [{ method, params }], parse ? (r) => parse(r) : (r) => r as T, options).then((r) => r[0] as T),
    );
  }

  /**
   * Sends `calls` as one JSON-RPC batch (one HTTP request) to one endpoint,
   * failing over as a whole. Results come back in the order of `calls`.
   * Any call's error fails the batch on that endpoint.
   */
  async batch<T = unknown>(calls: readonly RpcCall[], parse?: Parse<T>, options: RequestOptions = {}): Promise<T[]> {
    if (calls.length === 0) return [];
    const label = batchLabel(calls);
    return this.withFailover(label, (ep) => this.send(ep, calls, parse ?? ((r) => r as T), options));
  }

  /**
   * Sends the same request to every usable endpoint at once (for a head
   * survey, or to broadcast a signed transaction), skipping rate-limited ones
   * until their backoff ends (except for `eth_sendRawTransaction`). Never
   * throws: each endpoint's outcome is in the result.
   */
  async requestEach<T = unknown>(
    method: string,
    params: readonly unknown[] = [],
    parse?: (result: unknown) => T,
    options: RequestOptions = {},
  ): Promise<Array<{ endpoint: string; ok: true; result: T } | { endpoint: string; ok: false; error: unknown }>> {
    // A rate-limited endpoint is left alone until its backoff ends (a signed transaction still goes everywhere).
    const now = this.now();
    const targets = this.usable().filter((ep) => method === "eth_sendRawTransaction" || !((ep.limitedUntilMs ?? 0) > now));
    return this.requestEachOf(targets, method, params, parse, options);
  }

  private async requestEachOf<T = unknown>(
    endpoints: EndpointState[],
    method: string,
    params: readonly unknown[] = [],
    parse?: (result: unknown) => T,
    options: RequestOptions = {},
  ): Promise<Array<{ endpoint: string; ok: true; result: T } | { endpoint: string; ok: false; error: unknown }>> {
    const outcomes = await Promise.all(
      endpoints.map(async (ep) => {
        try {
          await this.ensureVerified(ep);
          const [result] = await this.call(ep, [{ method, params }], parse ? (r) => parse(r) : (r) => r as T, options);
          return { endpoint: ep.name, ok: true as const, result: result as T };
        } catch (error) {
          return { endpoint: ep.name, ok: false as const, error };
        }
      }),
    );
    if (outcomes.some((o) => o.ok)) this.markAvailable();
    else if (outcomes.length > 0) this.markUnavailable(); // none asked (all rate-limited) is no outage
    return outcomes;
  }

  /**
   * Asks every endpoint for its head (`eth_blockNumber`) and marks those more
   * than `maxHeadLagBlocks` behind the best one as lagging. Returns the best head.
   * With `reuseHeadsWithinMs`, an endpoint that is up and reported its head
   * that recently (e.g. in the follower's poll) is not asked again: its last
   * head is used (the request budget).
   */
  async survey(options: { reuseHeadsWithinMs?: number } = {}): Promise<number | undefined> {
    const errorsBefore = new Map(this.endpoints.map((ep) => [ep, ep.consecutiveErrors]));
    const now = this.now();
    const reuse = options.reuseHeadsWithinMs;
    const fresh = (ep: EndpointState) =>
      reuse !== undefined && ep.status === "up" && ep.head !== undefined && ep.headAtMs !== undefined && now - ep.headAtMs < reuse;
    // A rate-limited endpoint is left alone until its backoff ends.
    const asked = this.usable().filter((ep) => !fresh(ep) && !((ep.limitedUntilMs ?? 0) > now));
    const outcomes = asked.length > 0 ? await this.requestEachOf(asked, "eth_blockNumber", [], parseQuantity) : [];
    const claims = [
      ...this.usable().filter(fresh).map((ep) => ({ ep, head: ep.head as number })),
      ...outcomes.flatMap((o) => (o.ok ? [{ ep: this.endpoints.find((e) => e.name === o.endpoint)!, head: o.result }] : [])),
    ];
    if (claims.length === 0) return undefined;
    // A head more than maxHeadLagBlocks above every other endpoint's counts only if the endpoint
    // serves that block: one that reports a head it does not have (a lying or broken node) would
    // otherwise make every honest endpoint look lagging and itself the preferred one.
    claims.sort((a, b) => b.head - a.head);
    let refuted = false;
    while (claims.length > 1 && claims[0]!.head - claims[1]!.head > this.maxHeadLagBlocks) {
      const top = claims[0]!;
      if (await this.serves(top.ep, top.head)) break;
      claims.shift();
      refuted = true;
      // Its answer was a failure: it does not reset the count of failures in a row (surveyed again
      // and again, it goes down and the rpc-health detector reports it).
      top.ep.consecutiveErrors = errorsBefore.get(top.ep) ?? 0;
      this.recordFailure(top.ep, new MalformedResponseError(top.ep.name, "eth_blockNumber", `reported head ${top.head}, ${top.head - claims[0]!.head} blocks above every other endpoint, and cannot serve that block`));
    }
    const best = claims[0]!.head;
    if (refuted && this.bestHead && this.bestHead.number > best) this.bestHead = { number: best, advancedAtMs: this.now() };
    for (const ep of this.endpoints) {
      const claim = claims.find((c) => c.ep === ep);
      ep.headLag = claim ? best - claim.head : undefined;
    }
    return best;
  }

  /** Whether `ep` serves block `number` (false on any failure). */
  private async serves(ep: EndpointState, number: number): Promise<boolean> {
    try {
      const [block] = await this.call(ep, [{ method: "eth_getBlockByNumber", params: [`0x${number.toString(16)}`, false] }], (r) => r, {});
      return block !== null && typeof block === "object";
    } catch {
      return false;
    }
  }

  /** A snapshot of every endpoint's health, for the rpc-health detector and metrics. */
  stats(): RpcPoolStats {
    const stats: RpcPoolStats = {
      endpoints: this.endpoints.map((ep) => {
        const h: EndpointHealth = {
          name: ep.name,
          status: this.isLimited(ep) ? "limited" : ep.status,
          consecutiveErrors: ep.consecutiveErrors,
          requests: ep.requests,
          errors: ep.errors,
        };
        if (ep.chainId !== undefined) h.chainId = ep.chainId;
        if (ep.lastError !== undefined) h.lastError = ep.lastError;
        if (ep.lastLatencyMs !== undefined) h.lastLatencyMs = ep.lastLatencyMs;
        if (ep.avgLatencyMs !== undefined) h.avgLatencyMs = Math.round(ep.avgLatencyMs);
        if (ep.head !== undefined) h.head = ep.head;
        if (ep.headAtMs !== undefined) h.headAtMs = ep.headAtMs;
        if (ep.headLag !== undefined) h.headLag = ep.headLag;
        if (ep.limitedUntilMs !== undefined && ep.limitedUntilMs > this.now()) h.limitedUntilMs = ep.limitedUntilMs;
        if (ep.maxBatch !== undefined) h.maxBatch = ep.maxBatch;
        if (ep.missing.size > 0) h.missingMethods = [...ep.missing.keys()].sort();
        return h;
      }),
    };
    if (this.unavailableSinceMs !== undefined) stats.unavailableSinceMs = this.unavailableSinceMs;
    if (this.bestHead) stats.head = { ...this.bestHead };
    return stats;
  }

  /** Requests and errors by endpoint and method since start (for metrics that scrape rather than listen). */
  counters(): Array<{ endpoint: string; method: string; requests: number; errors: number }> {
    return this.endpoints.flatMap((ep) =>
      [...ep.byMethod].map(([method, c]) => ({ endpoint: ep.name, method, requests: c.requests, errors: c.errors })),
    );
  }

  /**
   * A viem transport backed by this pool, for code that wants viem actions
   * (`createPublicClient({ transport: pool.transport() })`). viem's own
   * retries are off: failover happens here. A transaction or receipt one
   * endpoint does not know (`null`) is asked of every endpoint before the
   * answer is "not found": a lagging endpoint knows nothing of what the
   * others have mined, and the pause sender decides on that answer.
   */
  transport(): CustomTransport {
    return custom(
      {
        request: async ({ method, params }) => {
          const args = (params as unknown[] | undefined) ?? [];
          const result = await this.request(method, args);
          if (result !== null || !ASK_EVERY_ENDPOINT_WHEN_NOT_FOUND.has(method) || this.usable().length < 2) return result;
          for (const o of await this.requestEach(method, args)) if (o.ok && o.result !== null) return o.result;
          return null;
        },
      },
      { key: "guardianPool", name: "Guardian RPC pool", retryCount: 0 },
    );
  }

  // ---------------------------------------------------------------- internals

  private usable(): EndpointState[] {
    return this.endpoints.filter((ep) => ep.status !== "excluded");
  }

  /** Healthy first, then lagging, then failing (least recently failed first); config order within. */
  private ordered(): EndpointState[] {
    const now = this.now();
    const rank = (ep: EndpointState) =>
      (ep.consecutiveErrors > 0 ? 4 : 0) + ((ep.limitedUntilMs ?? 0) > now ? 2 : 0) + (this.isLagging(ep) ? 1 : 0);
    return this.usable().sort(
      (a, b) =>
        rank(a) - rank(b) ||
        (a.consecutiveErrors > 0 && b.consecutiveErrors > 0 ? (a.lastErrorAtMs ?? 0) - (b.lastErrorAtMs ?? 0) : 0) ||
        a.index - b.index,
    );
  }

  /** Rate-limited now, or recently: neither healthy nor down. */
  private isLimited(ep: EndpointState): boolean {
    if (ep.status !== "up" || ep.lastLimitedAtMs === undefined) return false;
    const now = this.now();
    return (ep.limitedUntilMs ?? 0) > now || now - ep.lastLimitedAtMs < LIMITED_MEMORY_MS;
  }

  private isLagging(ep: EndpointState): boolean {
    return ep.headLag !== undefined && ep.headLag > this.maxHeadLagBlocks;
  }

  /**
   * Tries `fn` on each endpoint in order until one succeeds.
   *
   * 1. Endpoints known to lack `method` are skipped; when every endpoint
   *    lacks it (learned now or before): MethodUnavailableError, and the
   *    pool is not marked unavailable (a missing method is no outage).
   * 2. Rate-limited endpoints are skipped until their backoff ends.
   * 3. An answer error (range limit, revert) is thrown at once.
   * 4. When every endpoint failed or is limited and some will free up within
   *    `rateLimitWaitMs`, wait for the first and go again; otherwise throw
   *    RpcRateLimitedError when only rate limits stood in the way (not an
   *    outage), else RpcUnavailableError.
   */
  private async withFailover<T>(method: string, fn: (ep: EndpointState) => Promise<T>): Promise<T> {
    const errors: Array<{ endpoint: string; error: unknown }> = [];
    const giveUpAt = this.now() + this.rateLimitWaitMs;
    let onlyRateLimits = true;
    for (;;) {
      // 1. Endpoints that serve the method.
      const candidates = this.ordered().filter((ep) => !ep.missing.has(method));
      if (candidates.length === 0) {
        const lacking = this.usable().filter((ep) => ep.missing.has(method));
        if (lacking.length > 0) throw new MethodUnavailableError(method, lacking.map((ep) => ep.name), lacking.map((ep) => ep.missing.get(method) ?? ""));
        break;
      }
      // 2-3. Each one not held back by a rate limit.
      for (const ep of candidates) {
        if ((ep.limitedUntilMs ?? 0) > this.now()) continue;
        try {
          await this.ensureVerified(ep);
          const result = await fn(ep);
          this.markAvailable();
          return result;
        } catch (error) {
          if (isAnswerError(error)) {
            this.markAvailable();
            throw error;
          }
          const kind = classifyRpcError(error).kind;
          if (kind === "method-unavailable" && method !== "batch") this.noteMissing(ep, method, error);
          else if (kind !== "rate-limit") onlyRateLimits = false;
          errors.push({ endpoint: ep.name, error });
        }
      }
      // 4. Wait for the first limited endpoint to free up, within this request's patience.
      const now = this.now();
      const freeAt = Math.min(...this.ordered().filter((ep) => !ep.missing.has(method)).map((ep) => ep.limitedUntilMs ?? 0).filter((t) => t > now));
      if (!Number.isFinite(freeAt) || freeAt > giveUpAt) break;
      await delay(freeAt - now);
    }
    if (errors.length > 0 && onlyRateLimits && errors.every((e) => classifyRpcError(e.error).kind === "rate-limit")) {
      throw new RpcRateLimitedError(method, errors);
    }
    if (errors.length === 0 && this.usable().some((ep) => (ep.limitedUntilMs ?? 0) > this.now())) {
      throw new RpcRateLimitedError(method, this.usable().map((ep) => ({ endpoint: ep.name, error: new Error(`rate-limited until ${new Date(ep.limitedUntilMs ?? 0).toISOString()}`) })));
    }
    // Every endpoint that answered said it lacks the method: not an outage (the pool stays available).
    const lacking = this.usable().filter((ep) => ep.missing.has(method));
    if (errors.length > 0 && method !== "batch" && lacking.length > 0 && errors.every((e) => classifyRpcError(e.error).kind === "method-unavailable")) {
      throw new MethodUnavailableError(method, lacking.map((ep) => ep.name), lacking.map((ep) => ep.missing.get(method) ?? ""));
    }
    this.markUnavailable();
    throw new RpcUnavailableError(method, errors);
  }

  /**
   * Sends `calls` to `ep` in batches no larger than its cap (learned or
   * configured), splitting again when a batch is refused, down to single
   * calls. Results in the order of `calls`.
   */
  private async send<T>(ep: EndpointState, calls: readonly RpcCall[], parse: Parse<T>, options: RequestOptions): Promise<T[]> {
    for (;;) {
      const cap = ep.maxBatch ?? calls.length;
      if (calls.length <= cap) {
        try {
          const results = await this.call(ep, calls, parse, options);
          if (calls.length > 1) this.noteBatchAnswered(ep, calls.length);
          return results;
        } catch (error) {
          if (calls.length > 1 && classifyRpcError(error, { batch: true }).kind === "batch-limit") {
            this.noteBatchRefused(ep, calls.length, error);
            continue;
          }
          throw error;
        }
      }
      const chunks: Array<{ offset: number; calls: readonly RpcCall[] }> = [];
      for (let i = 0; i < calls.length; i += cap) chunks.push({ offset: i, calls: calls.slice(i, i + cap) });
      const results = await mapLimit(chunks, SPLIT_CONCURRENCY, (chunk) =>
        this.send(ep, chunk.calls, (r, i) => parse(r, chunk.offset + i), options),
      );
      return results.flat();
    }
  }

  private noteBatchAnswered(ep: EndpointState, size: number): void {
    ep.batchFloor = Math.max(ep.batchFloor, size);
    if (ep.batchConfigured || ep.maxBatch === undefined || size < ep.maxBatch) return;
    // Now and then try halfway to the smallest refused size: the cap is searched, not guessed.
    if (++ep.batchOkAtCap < BATCH_PROBE_AFTER) return;
    ep.batchOkAtCap = 0;
    const ceiling = ep.batchCeiling ?? ep.maxBatch * 2;
    const next = Math.floor((ep.maxBatch + ceiling) / 2);
    if (next > ep.maxBatch) ep.maxBatch = next;
  }

  private noteBatchRefused(ep: EndpointState, size: number, error: unknown): void {
    ep.batchCeiling = Math.min(ep.batchCeiling ?? Infinity, size);
    ep.batchOkAtCap = 0;
    const floor = ep.batchFloor < size ? ep.batchFloor : 0;
    const cap = Math.max(1, Math.min(size - 1, Math.max(floor, Math.floor(size / 2))));
    ep.maxBatch = Math.min(ep.maxBatch ?? Infinity, cap);
    this.emitLimit({ kind: "batch-limit", endpoint: ep.name, refused: size, maxBatch: ep.maxBatch, cause: describeRpcError(error, { batch: true }) });
  }

  private noteMissing(ep: EndpointState, method: string, error: unknown): void {
    if (ep.missing.has(method)) return;
    const cause = describeRpcError(error);
    ep.missing.set(method, cause);
    this.emitLimit({ kind: "method-unavailable", endpoint: ep.name, method, cause });
  }

  /** A rate limit: no request to `ep` before its Retry-After, or an exponential backoff with jitter. */
  private noteRateLimited(ep: EndpointState, error: unknown): void {
    const c = classifyRpcError(error);
    const now = this.now();
    ep.rateStrikes++;
    const backoff =
      c.retryAfterMs ?? Math.min(RATE_BACKOFF_MAX_MS, RATE_BACKOFF_BASE_MS * 2 ** Math.min(16, ep.rateStrikes - 1)) * (0.5 + Math.random());
    ep.limitedUntilMs = Math.max(ep.limitedUntilMs ?? 0, now + Math.round(backoff));
    ep.lastLimitedAtMs = now;
    ep.lastError = describeRpcError(error);
    ep.lastErrorAtMs = now;
    this.emitLimit({ kind: "rate-limit", endpoint: ep.name, backoffMs: Math.round(backoff), cause: ep.lastError });
  }

  private emitLimit(event: RpcLimitEvent): void {
    try {
      this.onLimit?.(event);
    } catch {
      // listeners log, they do not steer
    }
  }

  private markAvailable(): void {
    this.unavailableSinceMs = undefined;
  }

  private markUnavailable(): void {
    this.unavailableSinceMs ??= this.now();
  }

  /** An endpoint is used only once its chain id is known to match; a down endpoint is checked again. */
  private async ensureVerified(ep: EndpointState): Promise<void> {
    if (ep.status === "excluded") throw new ChainIdMismatchError(ep.name, this.chainId, ep.chainId ?? -1);
    if (ep.status === "unverified" || ep.status === "down") await this.verify(ep);
  }

  private async verify(ep: EndpointState): Promise<void> {
    const [chainId] = await this.call(ep, [{ method: "eth_chainId", params: [] }], (r) => parseQuantity(r), {});
    ep.chainId = chainId as number;
    if (ep.chainId !== this.chainId) {
      ep.status = "excluded";
      const error = new ChainIdMismatchError(ep.name, this.chainId, ep.chainId);
      ep.lastError = error.message;
      throw error;
    }
    ep.status = "up";
  }

  /**
   * One HTTP request to one endpoint: a single call, or a batch when there
   * are several. Records latency, counters and health; throws on any failure.
   */
  private async call<T>(ep: EndpointState, calls: readonly RpcCall[], parse: Parse<T>, options: RequestOptions): Promise<T[]> {
    const label = batchLabel(calls);
    await this.pace(ep);
    const started = this.now();
    const ids = calls.map(() => this.nextId++);
    let ok = false;
    try {
      const timeout = options.timeoutMs ?? this.timeoutMs;
      const results: unknown[] = [];
      if (calls.length === 1) {
        const call = calls[0] as RpcCall;
        const data: unknown = await ep.client.request({
          body: { id: ids[0] as number, method: call.method, params: call.params ?? [] },
          timeout,
        });
        results.push(this.unwrap(ep, call.method, data));
      } else {
        const data: unknown = await ep.client.request({
          body: calls.map((c, i) => ({ id: ids[i] as number, method: c.method, params: c.params ?? [] })),
          timeout,
        });
        if (!Array.isArray(data)) throw new MalformedResponseError(ep.name, label, "a batch was not answered with an array");
        const byId = new Map<unknown, unknown>();
        for (const item of data) if (isObject(item)) byId.set(item.id, item);
        // One error for the whole batch (viem hands a single error object back once per call).
        if (!byId.has(ids[0]) && !byId.has(ids[1])) {
          const refusal = data.find((item) => isObject(item) && isObject(item.error));
          if (refusal) {
            const e = (refusal as { error: Record<string, unknown> }).error;
            throw new BatchRefusedError(ep.name, calls.length, typeof e.code === "number" ? e.code : undefined, typeof e.message === "string" ? e.message : "");
          }
        }
        calls.forEach((c, i) => {
          const item = byId.get(ids[i]);
          if (item === undefined) throw new MalformedResponseError(ep.name, c.method, `batch answer lacks id ${ids[i]}`);
          results.push(this.unwrap(ep, c.method, item));
        });
      }
      const parsed = results.map((r, i) => {
        try {
          return parse(r, i);
        } catch (error) {
          if (error instanceof MalformedResponseError) throw error;
          throw new MalformedResponseError(ep.name, calls[i]?.method ?? label, errorMessage(error));
        }
      });
      calls.forEach((c, i) => {
        // A caller without a parser (e.g. viem through transport()) gets the raw hex quantity.
        if (c.method === "eth_blockNumber") this.noteHead(ep, typeof parsed[i] === "number" ? (parsed[i] as number) : parseQuantity(parsed[i]));
      });
      ok = true;
      this.recordSuccess(ep, this.now() - started);
      return parsed;
    } catch (error) {
      const kind = classifyRpcError(error, { batch: calls.length > 1 }).kind;
      if (isAnswerError(error) || kind === "batch-limit" || kind === "method-unavailable") {
        // The endpoint answered; the request was at fault (or asked for what it does not serve).
        this.recordSuccess(ep, this.now() - started);
      } else if (kind === "rate-limit") {
        // Not a fault of the endpoint: it is limited, neither healthy nor down.
        this.noteRateLimited(ep, error);
      } else {
        this.recordFailure(ep, error);
      }
      throw error;
    } finally {
      const ms = this.now() - started;
      ep.requests++;
      if (!ok) ep.errors++;
      const counter = ep.byMethod.get(label) ?? { requests: 0, errors: 0 };
      counter.requests++;
      if (!ok) counter.errors++;
      ep.byMethod.set(label, counter);
      this.onRequest?.({
        endpoint: ep.name,
        method: label,
        ms,
        ok,
        ...(calls.length > 1 ? { batch: calls.length } : {}),
      });
    }
  }

  /** The result of one JSON-RPC response object, or the error it carries. */
  private unwrap(ep: EndpointState, method: string, data: unknown): unknown {
    if (!isObject(data)) throw new MalformedResponseError(ep.name, method, "not a JSON-RPC response object");
    if (data.error !== undefined && data.error !== null) {
      const e = data.error;
      if (isObject(e) && typeof e.code === "number") {
        throw new RpcResponseError(ep.name, method, e.code, typeof e.message === "string" ? e.message : "", e.data);
      }
      throw new MalformedResponseError(ep.name, method, "error without a numeric code");
    }
    if (!("result" in data)) throw new MalformedResponseError(ep.name, method, "neither result nor error");
    return data.result;
  }

  private noteHead(ep: EndpointState, head: number): void {
    const now = this.now();
    ep.head = head;
    ep.headAtMs = now;
    if (!this.bestHead || head > this.bestHead.number) this.bestHead = { number: head, advancedAtMs: now };
  }

  /** Client-side pacing (`maxRequestsPerSecond`): waits for the endpoint's next free slot. */
  private async pace(ep: EndpointState): Promise<void> {
    if (ep.paceMs === undefined) return;
    const now = this.now();
    const slot = Math.max(now, ep.nextSlotMs);
    ep.nextSlotMs = slot + ep.paceMs;
    if (slot > now) await delay(slot - now);
  }

  private recordSuccess(ep: EndpointState, ms: number): void {
    ep.consecutiveErrors = 0;
    ep.rateStrikes = 0;
    if (ep.status === "down") ep.status = "up";
    ep.lastLatencyMs = ms;
    ep.avgLatencyMs = ep.avgLatencyMs === undefined ? ms : ep.avgLatencyMs + LATENCY_ALPHA * (ms - ep.avgLatencyMs);
  }

  private recordFailure(ep: EndpointState, error: unknown): void {
    ep.consecutiveErrors++;
    ep.lastError = describeRpcError(error);
    ep.lastErrorAtMs = this.now();
    if (ep.consecutiveErrors >= this.downAfter && ep.status === "up") ep.status = "down";
  }
}

// ------------------------------------------------------------------ parsers

/** Parses a JSON-RPC quantity ("0x1a") into a number; throws on anything else. */
export function parseQuantity(value: unknown): number {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{1,14}$/.test(value)) {
    throw new Error(`expected a quantity, got ${JSON.stringify(value)?.slice(0, 80)}`);
  }
  return Number.parseInt(value, 16);
}

/** A name for an endpoint that leaks no credentials: the URL's host (never its path, query or user info). */
function endpointName(url: string, index: number): string {
  try {
    return new URL(url).host || `endpoint-${index}`;
  } catch {
    return `endpoint-${index}`;
  }
}

function batchLabel(calls: readonly RpcCall[]): string {
  const first = calls[0]?.method ?? "batch";
  return calls.every((c) => c.method === first) ? first : "batch";
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order; the first error wins. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let nextIndex = 0;
  let failed = false;
  async function worker(): Promise<void> {
    while (!failed && nextIndex < items.length) {
      const i = nextIndex++;
      try {
        results[i] = await fn(items[i] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  }
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (rejected) throw rejected.reason;
  return results;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Errors of the chain layer. Each has a short message saying what failed, and
 * `details` / `cause` for the rest, in the manner of viem's errors. Messages
 * never contain an endpoint's URL (it may carry an API key): endpoints are
 * named by their configured name.
 */
import { redactUrls } from "../config/redact.js";
import { untrustedText } from "../decode/untrusted-text.js";
import type { ReorgTooDeepFacts } from "../types.js";

export class ChainError extends Error {
  override name = "ChainError";
  readonly details?: string;
  constructor(message: string, options: { cause?: unknown; details?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.details !== undefined) this.details = options.details;
  }
}

/** A JSON-RPC error object an endpoint answered with. */
export class RpcResponseError extends ChainError {
  override name = "RpcResponseError";
  constructor(
    readonly endpoint: string,
    readonly method: string,
    readonly code: number,
    readonly rpcMessage: string,
    readonly data?: unknown,
  ) {
    super(`${endpoint} answered ${method} with error ${code}: ${rpcMessage}`);
  }
}

/** An answer that is not what the method returns (bad JSON, missing fields, wrong block). */
export class MalformedResponseError extends ChainError {
  override name = "MalformedResponseError";
  constructor(
    readonly endpoint: string,
    readonly method: string,
    reason: string,
  ) {
    super(`${endpoint} sent a malformed answer to ${method}: ${reason}`);
  }
}

/** The endpoint serves another chain; the pool excludes it for good. */
export class ChainIdMismatchError extends ChainError {
  override name = "ChainIdMismatchError";
  constructor(
    readonly endpoint: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`${endpoint} serves chain ${actual}, not ${expected}: excluded`);
  }
}

/** Every usable endpoint failed one request. `errors` holds each endpoint's failure. */
export class RpcUnavailableError extends ChainError {
  override name = "RpcUnavailableError";
  constructor(
    readonly method: string,
    readonly errors: ReadonlyArray<{ endpoint: string; error: unknown }>,
  ) {
    super(
      errors.length === 0
        ? `No usable RPC endpoint for ${method} (all excluded)`
        : `Every RPC endpoint failed ${method}`,
      {
        details: errors.map((e) => `${e.endpoint}: ${errorMessage(e.error)}`).join("; "),
        cause: errors.at(-1)?.error,
      },
    );
  }
}

/** The chain disowns every block of the checkpoint ring: no common ancestor to rewind to. */
export class ReorgTooDeepError extends ChainError {
  override name = "ReorgTooDeepError";
  constructor(readonly facts: ReorgTooDeepFacts) {
    super(
      `Reorg deeper than the checkpoint ring: blocks ${facts.oldest.number}..${facts.newest.number} are no longer canonical`,
      { details: "The follower stopped. Check the chain, then restart from an explicit start block." },
    );
  }
}

/**
 * The chain says our last block is canonical, yet its next block names
 * another parent: the endpoint serves an inconsistent chain (or raced a
 * reorg). The follower retries after a pause.
 */
export class InconsistentChainError extends ChainError {
  override name = "InconsistentChainError";
  constructor(
    readonly blockNumber: number,
    readonly parentHash: string,
    readonly expectedParent: string,
  ) {
    super(`Block ${blockNumber} names parent ${parentHash}, but the chain's block ${blockNumber - 1} is ${expectedParent}`);
  }
}

/** The message of anything thrown, without stack, and with any URL in it redacted to scheme://host:port. */
/**
 * The revert data a node returned with an error (`data`, or `data.data` as
 * some clients nest it), looked for along the error's causes: hex only, at
 * most 8 causes deep. "0x" is an empty revert.
 */
export function revertDataOf(error: unknown): `0x${string}` | undefined {
  let e: any = error;
  for (let depth = 0; e && depth < 8; depth++) {
    for (const candidate of [e.data, e.data?.data]) if (typeof candidate === "string" && /^0x[0-9a-fA-F]*$/.test(candidate)) return candidate as `0x${string}`;
    e = e.cause;
  }
  return undefined;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const short = (error as { shortMessage?: unknown }).shortMessage;
    return redactUrls(typeof short === "string" ? short : error.message);
  }
  return redactUrls(String(error));
}

/**
 * A batch answered as a whole with one error (Besu and gateways: a single
 * error object; geth: a one-element array; viem hands either back as that
 * error for every call), so no call of it was served.
 */
export class BatchRefusedError extends ChainError {
  override name = "BatchRefusedError";
  constructor(
    readonly endpoint: string,
    readonly size: number,
    readonly code: number | undefined,
    readonly rpcMessage: string,
  ) {
    super(`${endpoint} refused a batch of ${size} calls${code !== undefined ? ` with error ${code}` : ""}: ${rpcMessage}`);
  }
}

/** No usable endpoint serves `method` (each answered "method not found" or "not enabled"); asked again only after a restart. */
export class MethodUnavailableError extends ChainError {
  override name = "MethodUnavailableError";
  constructor(
    readonly method: string,
    readonly endpoints: readonly string[],
    /** Each endpoint's refusal, cleaned ("code -32604: Method not enabled"). */
    readonly causes: readonly string[] = [],
  ) {
    super(
      `No RPC endpoint serves ${method} (${endpoints.length === 0 ? "none usable" : endpoints.map((e, i) => (causes[i] ? `${e}: ${causes[i]}` : e)).join("; ")})`,
    );
  }
}

/**
 * Every usable endpoint is rate-limited and did not free up within the wait
 * one request may spend: not an outage (the endpoints answer, slower than
 * asked), so the pool does not report itself unavailable.
 */
export class RpcRateLimitedError extends RpcUnavailableError {
  override name = "RpcRateLimitedError";
}

/**
 * What an RPC failure means, which decides what the pool and the follower do:
 *
 * - `range-limit`: ask for less (an `eth_getLogs` block range, a result size): split the range;
 * - `rate-limit`: slow down (HTTP 429, Infura's -32005 "project ID request rate exceeded",
 *   "too many requests"): back off, fail over, the endpoint is `limited`;
 * - `batch-limit`: the batch was refused or is too big: send smaller batches;
 * - `method-unavailable`: the endpoint lacks or disabled the method (-32601, -32604): remembered;
 * - `revert`: the node's verdict on the call itself (execution reverted);
 * - `timeout`, `malformed` (an answer of the wrong shape), `server` (HTTP 5xx, other JSON-RPC
 *   errors), `transport` (no HTTP answer at all).
 */
export type RpcErrorKind =
  | "range-limit"
  | "rate-limit"
  | "batch-limit"
  | "method-unavailable"
  | "revert"
  | "timeout"
  | "malformed"
  | "server"
  | "transport";

export interface RpcErrorClass {
  kind: RpcErrorKind;
  /** HTTP status, when the answer had one other than 200. */
  status?: number;
  /** JSON-RPC error code. */
  code?: number;
  /** The endpoint's own message (untrusted: clean it before logging). */
  message: string;
  /** How long the endpoint asked us to wait (`Retry-After`, Infura's `backoff_seconds`), in ms. */
  retryAfterMs?: number;
}

/** Messages that mean "the batch is too big" or "no batches here". */
const BATCH_LIMIT = /batch/i;
/** Messages that mean "this endpoint does not serve that method". */
const METHOD_UNAVAILABLE = /method[^.]{0,80}(?:not found|does not exist|not available|not supported|unsupported|not enabled|not allowed|disabled)|not enabled|unsupported method|unknown method/i;
/** Messages that mean "ask for less": a block range or a result size. */
const RANGE_LIMIT = /\brange\b|more than \d[\d,]* (?:results|logs|blocks)|response size|result window|too many (?:results|logs|blocks)|block limit|query timeout|logs? (?:matched|returned) (?:by|more)/i;
/** Messages that mean "slow down". */
const RATE_LIMIT = /\brate\b|rate.?limit|too many requests|limit exceeded|exceeded [^.]{0,40}capacity|compute units|throughput|request limit|credits|quota/i;
/** Longest wait an endpoint may ask for that is believed. */
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Classifies an RPC failure by what it means, from HTTP status, JSON-RPC code
 * and the provider's message (Infura, Alchemy, QuickNode, Besu, Geth, Erigon,
 * Nethermind and anvil wordings). Pure. `context.batch`: the request was a
 * batch (an HTTP 400 or 413 then means batches are refused).
 */
export function classifyRpcError(error: unknown, context: { batch?: boolean; nowMs?: number } = {}): RpcErrorClass {
  if (error instanceof BatchRefusedError) return withCode({ kind: "batch-limit", message: error.rpcMessage }, error.code);
  if (error instanceof MethodUnavailableError) return { kind: "method-unavailable", message: error.message };
  if (error instanceof RpcResponseError) return classifyRpc(error.code, error.rpcMessage, error.method, error.data, context);
  if (error instanceof MalformedResponseError) return { kind: "malformed", message: error.message };
  if (isTimeoutError(error)) return { kind: "timeout", message: errorMessage(error) };
  if (error instanceof Error && error.name === "ResponseBodyTooLargeError") return { kind: "range-limit", message: errorMessage(error) };
  const http = httpFacts(error);
  if (http) {
    const { status, code, message, retryAfterMs } = http;
    const base: RpcErrorClass = { kind: "server", message };
    if (status !== undefined) base.status = status;
    if (code !== undefined) base.code = code;
    if (retryAfterMs !== undefined) base.retryAfterMs = retryAfterMs;
    if (status === 429) return { ...base, kind: "rate-limit" };
    if (context.batch && (status === 400 || status === 413 || BATCH_LIMIT.test(message))) return { ...base, kind: "batch-limit" };
    if (status === 413) return { ...base, kind: "range-limit" };
    if (code !== undefined) {
      const byCode = classifyRpc(code, message, "", undefined, context);
      if (byCode.kind !== "server") return { ...base, ...byCode, kind: byCode.kind };
    }
    if (RATE_LIMIT.test(message)) return { ...base, kind: "rate-limit" };
    return base;
  }
  if (error instanceof SyntaxError) return { kind: "malformed", message: errorMessage(error) };
  return { kind: "transport", message: errorMessage(error) };
}

function classifyRpc(code: number, message: string, method: string, data: unknown, context: { batch?: boolean; nowMs?: number }): RpcErrorClass {
  const c = (kind: RpcErrorKind): RpcErrorClass => ({ kind, code, message });
  // The batch first: Besu's "Number of requests exceeds max batch size" also reads as a limit.
  if (BATCH_LIMIT.test(message) && (code === -32005 || code === -32600 || /exceed|too (?:large|big|many)|not supported|size|limit/i.test(message))) return c("batch-limit");
  if (code === -32601 || code === -32604 || METHOD_UNAVAILABLE.test(message)) return c("method-unavailable");
  if (code === 3 || /revert/i.test(message)) return c("revert");
  if (RANGE_LIMIT.test(message)) return c("range-limit");
  if (code === 429 || RATE_LIMIT.test(message)) {
    const out = c("rate-limit");
    const backoff = (data as { backoff_seconds?: unknown } | undefined)?.backoff_seconds;
    if (typeof backoff === "number" && backoff >= 0) out.retryAfterMs = Math.min(MAX_RETRY_AFTER_MS, backoff * 1000);
    return out;
  }
  // A bare -32005 ("limit exceeded", EIP-1474): for eth_getLogs the limit is the range; else the rate.
  if (code === -32005) return c(method === "eth_getLogs" ? "range-limit" : "rate-limit");
  if (code === -32614 && method === "eth_getLogs") return c("range-limit");
  void context;
  return c("server");
}

function withCode(out: RpcErrorClass, code: number | undefined): RpcErrorClass {
  if (code !== undefined) out.code = code;
  return out;
}

/** Status, JSON-RPC code, message and Retry-After of viem's HttpRequestError / RpcRequestError (or anything shaped so). */
function httpFacts(error: unknown): { status?: number; code?: number; message: string; retryAfterMs?: number } | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const x = e as Error & { status?: unknown; code?: unknown; details?: unknown; headers?: unknown };
    if (x.name !== "HttpRequestError" && x.name !== "RpcRequestError") continue;
    const out: { status?: number; code?: number; message: string; retryAfterMs?: number } = {
      message: typeof x.details === "string" ? x.details : x.message,
    };
    if (typeof x.status === "number") out.status = x.status;
    if (typeof x.code === "number") out.code = x.code;
    const headers = x.headers as { get?: (name: string) => string | null } | undefined;
    const retryAfter = typeof headers?.get === "function" ? headers.get("retry-after") : null;
    const ms = retryAfter === null ? undefined : parseRetryAfter(retryAfter);
    if (ms !== undefined) out.retryAfterMs = ms;
    return out;
  }
  return undefined;
}

/** A `Retry-After` header (seconds, or an HTTP date) in milliseconds, at most a minute; undefined when unreadable. */
export function parseRetryAfter(value: string, nowMs: number = Date.now()): number | undefined {
  const v = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(v)) return Math.min(MAX_RETRY_AFTER_MS, Math.round(Number(v) * 1000));
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - nowMs));
}

/** A one-line description of an RPC failure for logs and findings: status, code and the (cleaned, bounded) message. */
export function describeRpcError(error: unknown, context: { batch?: boolean } = {}): string {
  const c = classifyRpcError(error, context);
  const parts: string[] = [c.kind];
  if (c.status !== undefined) parts.push(`HTTP ${c.status}`);
  if (c.code !== undefined) parts.push(`code ${c.code}`);
  return `${parts.join(", ")}: ${cleanText(c.message)}`;
}

/** URLs redacted, control characters out, bounded (untrusted text). */
function cleanText(text: string): string {
  return untrustedText(redactUrls(text), 300);
}

/**
 * True when `error` is an endpoint's refusal of a too-large `eth_getLogs`
 * (a block range or a result size, in any provider's wording), or an answer
 * larger than the pool accepts. A rate limit never counts, even as -32005.
 */
export function isRangeLimitError(error: unknown): boolean {
  return classifyRpcError(error).kind === "range-limit";
}

/** True for a request that ran out of time (viem's TimeoutError, or an abort). */
export function isTimeoutError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === "TimeoutError" || e.name === "AbortError") return true;
  }
  return false;
}

/**
 * True when an endpoint's error is its verdict on the request itself, not a
 * fault of the endpoint: the same request fails everywhere, so the pool does
 * not fail over and the endpoint stays healthy. Range limits and reverts.
 */
export function isAnswerError(error: unknown): boolean {
  if (!(error instanceof RpcResponseError) && !(error instanceof Error && error.name === "ResponseBodyTooLargeError")) return false;
  const kind = classifyRpcError(error).kind;
  return kind === "range-limit" || kind === "revert";
}

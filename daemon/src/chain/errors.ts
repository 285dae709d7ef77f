/**
 * Errors of the chain layer. Each has a short message saying what failed, and
 * `details` / `cause` for the rest, in the manner of viem's errors. Messages
 * never contain an endpoint's URL (it may carry an API key): endpoints are
 * named by their configured name.
 */
import { redactUrls } from "../config/redact.js";
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
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const short = (error as { shortMessage?: unknown }).shortMessage;
    return redactUrls(typeof short === "string" ? short : error.message);
  }
  return redactUrls(String(error));
}

/** Text in an endpoint's error that means "ask for less" (block range or result size). */
const RANGE_LIMIT = /range|too many|more than|limit exceeded|exceeds? (?:the )?(?:max|limit)|too large|response size|result window/i;

/**
 * True when `error` is an endpoint's refusal of a too-large `eth_getLogs`
 * (Infura/Alchemy/geth/Besu/Erigon wordings and code -32005), or an answer
 * larger than the pool accepts.
 */
export function isRangeLimitError(error: unknown): boolean {
  if (error instanceof Error && error.name === "ResponseBodyTooLargeError") return true;
  return error instanceof RpcResponseError && (error.code === -32005 || RANGE_LIMIT.test(error.rpcMessage));
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
  if (isRangeLimitError(error)) return true;
  return error instanceof RpcResponseError && (error.code === 3 || /revert/i.test(error.rpcMessage));
}

/**
 * When to try again. Exponential backoff with jitter, capped, over a long
 * horizon: a page that cannot get through is retried for three days (the
 * longest response SLA, Low's 72 h) before it is declared dead, and the
 * server's own `Retry-After` wins when it sends one.
 */

export interface RetryPolicy {
  /** Delay after the first failed attempt. */
  baseMs: number;
  /** Each further failure multiplies the delay by this. */
  factor: number;
  /** No delay is longer than this (so a channel that comes back is used again within it). */
  maxDelayMs: number;
  /**
   * Fraction of the delay taken off at random (0..1): spreads retries so
   * that many entries failing together do not retry together.
   */
  jitter: number;
  /** Give up (dead) once the next attempt would fall later than createdAt + horizonMs. */
  horizonMs: number;
  /** A server's Retry-After is honoured up to this long (a bogus "retry in a week" is not). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  baseMs: 5_000, // 5 s: a blip (restart, deploy) of the receiver
  factor: 2,
  maxDelayMs: 15 * 60_000, // 15 min: a paging channel that recovers is used again soon
  jitter: 0.5, // "equal jitter": delay in [d/2, d]
  horizonMs: 72 * 3_600_000, // 72 h: the longest response SLA (Low)
  maxRetryAfterMs: 60 * 60_000, // 1 h
});

/**
 * The delay before the next attempt after `attempts` failed ones (≥ 1):
 * min(maxDelayMs, baseMs · factor^(attempts−1)), minus up to `jitter` of it at random.
 */
export function backoffDelay(attempts: number, policy: Readonly<RetryPolicy> = DEFAULT_RETRY_POLICY, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempts - 1);
  const raw = Math.min(policy.maxDelayMs, policy.baseMs * policy.factor ** Math.min(exponent, 60));
  return Math.max(0, Math.round(raw * (1 - policy.jitter * random())));
}

/**
 * Milliseconds to wait from a `Retry-After` value (RFC 9110 §10.2.3: delay
 * seconds, or an HTTP date), or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}

/**
 * Signatures of the generic JSON webhook, so a receiver can tell Guardian's
 * requests from forgeries and refuse replays:
 *
 *     X-Guardian-Id:         <notification id>   (the same on every retry: dedupe on it)
 *     X-Guardian-Event:      incident.<event> (maintenance.<step> for maintenance notices)
 *     X-Guardian-Timestamp:  <unix seconds when this attempt was signed>
 *     X-Guardian-Signature:  sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * The timestamp is part of the signed text, so it cannot be changed without
 * the key; a receiver refuses timestamps further than its tolerance (5 min by
 * default) from its clock, and ids it has already processed. The same scheme
 * as Stripe's and Slack's signing secrets; verify over the raw bytes, before
 * parsing the JSON.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const ID_HEADER = "x-guardian-id";
export const EVENT_HEADER = "x-guardian-event";
export const TIMESTAMP_HEADER = "x-guardian-timestamp";
export const SIGNATURE_HEADER = "x-guardian-signature";
/** How far a timestamp may be from the receiver's clock. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** `sha256=<hex>` over `<timestamp>.<body>`. */
export function signBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex")}`;
}

export interface VerifyParameters {
  secret: string;
  /** The raw request body, exactly as received. */
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  now: Date;
  toleranceSeconds?: number;
}

/**
 * Checks a generic webhook request (for receivers, and Guardian's tests).
 *
 * @example
 * const check = verifySignature({ secret, body, timestamp: req.headers["x-guardian-timestamp"],
 *   signature: req.headers["x-guardian-signature"], now: new Date() });
 * if (!check.ok) return res.writeHead(401).end(check.reason);
 */
export function verifySignature(p: VerifyParameters): { ok: true } | { ok: false; reason: string } {
  if (p.timestamp === undefined || !/^\d{1,12}$/.test(p.timestamp)) return { ok: false, reason: "missing or malformed timestamp" };
  const skew = Math.abs(p.now.getTime() / 1000 - Number(p.timestamp));
  if (skew > (p.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return { ok: false, reason: `timestamp outside the tolerance (${Math.round(skew)} s off)` };
  if (p.signature === undefined || !/^sha256=[0-9a-f]{64}$/.test(p.signature)) return { ok: false, reason: "missing or malformed signature" };
  const expected = Buffer.from(signBody(p.secret, Number(p.timestamp), p.body));
  const given = Buffer.from(p.signature);
  return expected.length === given.length && timingSafeEqual(expected, given) ? { ok: true } : { ok: false, reason: "signature mismatch" };
}

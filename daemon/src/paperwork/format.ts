/** Small text helpers shared by the paperwork renderers. Pure. */
import { markdownText, untrustedText } from "../decode/untrusted-text.js";
import type { Evidence } from "../types.js";

/** What the renderers write wherever the store has no data: a person must supply it. */
export const UNKNOWN = "unknown (fill in)";

/** 2025-03-01T12:00:05.123Z → "2025-03-01 12:00:05 UTC". */
export function utcSeconds(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** 2025-03-01T12:00:05.123Z → "2025-03-01 12:00 UTC". */
export function utcMinutes(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** A duration in words: "45 s", "12 min 5 s", "1 h 12 min", "2 d 3 h". */
export function duration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const sign = ms < 0 ? "-" : "";
  if (s < 60) return `${sign}${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${sign}${m} min${s % 60 ? ` ${s % 60} s` : ""}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${sign}${h} h${m % 60 ? ` ${m % 60} min` : ""}`;
  const d = Math.floor(h / 24);
  return `${sign}${d} d${h % 24 ? ` ${h % 24} h` : ""}`;
}

/**
 * Stored text in markdown: it renders exactly as written. Titles, messages
 * and evidence may hold attacker-written chain text (a revert reason), so no
 * control character, HTML, link, image or emphasis can come out, and URLs
 * are defanged (`hxxps://evil[.]example`).
 */
export function md(text: string): string {
  return markdownText(text);
}

/** `md` for a markdown table cell: one line, pipes escaped. */
export function cell(text: string): string {
  return markdownText(text);
}

/** Stored text as an inline code span: one clean line; a backtick could end the span early, so it becomes a quote. */
export function code(text: string): string {
  return `\`${untrustedText(text, Number.POSITIVE_INFINITY).replace(/`/g, "'")}\``;
}

/** "block 120 (0xabc…), tx 0xdef…, log 3; amount=5, sender=0x…" */
export function formatEvidence(e: Evidence): string {
  const parts = [`block ${e.blockNumber} (${e.blockHash})`];
  if (e.txHash) parts.push(`tx ${e.txHash}`);
  if (e.logIndex !== undefined) parts.push(`log ${e.logIndex}`);
  const values = Object.entries(e.values).map(([k, v]) => `${k}=${String(v)}`);
  return parts.join(", ") + (values.length > 0 ? `; ${values.join(", ")}` : "");
}

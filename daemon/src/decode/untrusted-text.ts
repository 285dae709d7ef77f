/**
 * Text that someone else wrote is data, never markup or terminal control.
 * Pure.
 *
 * Anyone who can get a transaction onto the chain chooses its revert reason
 * (`Error(string)`, an EntryPoint `FailedOp` reason, a custom error's string
 * argument): up to ~2 KB of any Unicode, escape sequences included. This
 * module is the one place that says what such text may hold:
 *
 * - `untrustedText` (at decode): C0/C1 controls, DEL, bidi controls,
 *   zero-width and other invisible characters are removed (line breaks and
 *   tabs become a space), and the result is capped at `UNTRUSTED_TEXT_MAX`
 *   characters with an ellipsis.
 * - `terminalSafe` (at print time, a second wall): whatever reaches the
 *   terminal carries no control character but line breaks and tabs; any
 *   other is shown as a `\uXXXX`
 *   escape (valid inside JSON strings too, so `--json` output keeps its
 *   meaning).
 * - `markdownText` (post-mortem, public notice): markdown and HTML
 *   metacharacters escaped, URLs and host names defanged
 *   (`hxxps://example[.]com`), so no live link or markup comes out.
 * - `untrustedLines`: `untrustedText` for multi-line prose (a public
 *   update an operator wrote over several lines): line breaks of every kind
 *   become `\n`, at most one blank line in a row; everything else as above.
 * - `unsafeCharacter` (operator input): the first character a public text
 *   must not hold, for a clear refusal.
 */

/** The longest chain-sourced string kept, in UTF-16 code units (an ellipsis included). */
export const UNTRUSTED_TEXT_MAX = 256;

/** Marks text that was cut. */
export const ELLIPSIS = "…";

/** Line breaks and tabs of every kind: each becomes one space. */
const BREAKS = "\\t\\n\\v\\f\\r\\u0085\\u2028\\u2029";

/**
 * Never shown: C0 controls (U+0000–U+001F), DEL, C1 controls (U+0080–U+009F);
 * bidi controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069);
 * zero-width and invisible characters (U+200B–U+200D, U+2060–U+2064, U+FEFF,
 * U+180E, U+00AD, U+FFF9–U+FFFB interlinear annotations, U+E0000–U+E007F tags).
 */
const UNSAFE_SOURCE =
  "\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2028\\u2029\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb\\u{e0000}-\\u{e007f}";
const UNSAFE = new RegExp(`[${UNSAFE_SOURCE}]`, "u");
const UNSAFE_ALL = new RegExp(`[${UNSAFE_SOURCE}]`, "gu");
const BREAK_ALL = new RegExp(`[${BREAKS}]`, "gu");

/** True when `text` holds a character `untrustedText` would remove or replace. */
export function hasUnsafeCharacters(text: string): boolean {
  return UNSAFE.test(text);
}

/**
 * The first character a public text must not hold, with its position (in
 * code points) and a name; undefined when there is none. With `lines`, line
 * feeds and carriage returns are allowed (multi-line prose).
 */
export function unsafeCharacter(text: string, options: { lines?: boolean } = {}): { codePoint: string; index: number; name: string } | undefined {
  let index = 0;
  for (const char of text) {
    if (UNSAFE.test(char) && !(options.lines === true && (char === "\n" || char === "\r"))) {
      const cp = char.codePointAt(0) as number;
      return { codePoint: `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`, index, name: characterKind(cp) };
    }
    index++;
  }
  return undefined;
}

function characterKind(cp: number): string {
  if (cp === 0x0a || cp === 0x0d || cp === 0x85 || cp === 0x2028 || cp === 0x2029) return "a line break";
  if (cp === 0x09 || cp === 0x0b || cp === 0x0c) return "a tab or form feed";
  if (cp === 0x1b) return "an escape (terminal control)";
  if (cp <= 0x1f || cp === 0x7f) return "a control character";
  if (cp <= 0x9f) return "a C1 control character";
  if (cp === 0x061c || cp === 0x200e || cp === 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) return "a bidirectional control";
  return "an invisible (zero-width) character";
}

/**
 * Cuts `text` to at most `max` UTF-16 code units, ending with "…" when cut;
 * never splits a surrogate pair.
 */
export function capText(text: string, max: number = UNTRUSTED_TEXT_MAX): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - ELLIPSIS.length);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--; // a high surrogate whose pair would be cut
  return `${text.slice(0, end)}${ELLIPSIS}`;
}

/**
 * A chain-sourced (or otherwise untrusted) string made safe to keep and show:
 * line breaks and tabs become a space, every other control, bidi and
 * invisible character is removed, and the result is capped at `max`
 * characters (ellipsis included). Idempotent.
 *
 * @example
 * untrustedText("AA23 reverted\u001b]0;pwned\u0007\u202e") // "AA23 reverted]0;pwned"
 */
export function untrustedText(raw: string, max: number = UNTRUSTED_TEXT_MAX): string {
  return capText(raw.replace(BREAK_ALL, " ").replace(UNSAFE_ALL, ""), max);
}

/** Every kind of line break, a CR LF pair counting as one. */
const LINE_BREAK_ALL = /\r\n|[\n\v\f\r\u0085\u2028\u2029]/gu;

/**
 * `untrustedText` for multi-line prose: line breaks of every kind become
 * `\n` (spaces around them and more than one blank line in a row dropped),
 * tabs a space, every other control, bidi and invisible character removed;
 * trimmed and capped at `max`. Idempotent.
 *
 * @example
 * untrustedLines("Paused.\r\n\r\n\r\nNo funds moved\u202e") // "Paused.\n\nNo funds moved"
 */
export function untrustedLines(raw: string, max: number = UNTRUSTED_TEXT_MAX): string {
  const lines = raw
    .replace(LINE_BREAK_ALL, "\n")
    .split("\n")
    .map((line) => untrustedText(line, Number.POSITIVE_INFINITY).trim());
  return capText(lines.join("\n").replace(/\n{3,}/g, "\n\n").trim(), max);
}

/**
 * The last wall before a terminal: `text` with `\n` and `\t` kept (the
 * printer's own layout) and every other unsafe character shown as a
 * `\uXXXX` escape (one per UTF-16 unit). Text that reached the printer
 * through `untrustedText` is unchanged; JSON stays valid and means the same.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE_ALL, (char) => (char === "\n" || char === "\t" ? char : escapeUnits(char)));
}

function escapeUnits(char: string): string {
  let out = "";
  for (let i = 0; i < char.length; i++) out += `\\u${char.charCodeAt(i).toString(16).padStart(4, "0")}`;
  return out;
}

/** Host names (at least one dot, a top-level label of 2+ letters): `evil.example`, `www.evil.example`, `a@evil.example`. */
const HOST = /\b(?:[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]\b/gi;
/** A URL scheme followed by `//` or `:` (mailto:, javascript:, data:...). */
const SCHEME = /\b([a-z][a-z0-9+.-]{1,30}):(\/\/)?/gi;
const LINKY_SCHEMES = new Set(["http", "https", "ftp", "ftps", "ws", "wss", "mailto", "javascript", "data", "vbscript", "file", "tel", "sms"]);

/**
 * Defangs what a renderer could turn into a live link: `https://evil.example/x`
 * → `hxxps://evil[.]example/x`, `mailto:` → `mailto[:]`, and dots of bare
 * host names → `[.]`. Plain prose and numbers ("62.5%", "e.g.") are left alone.
 */
export function defangUrls(text: string): string {
  return text
    .replace(SCHEME, (whole, scheme: string, slashes: string | undefined) => {
      const lower = scheme.toLowerCase();
      if (lower === "http" || lower === "https") return `${scheme.replace(/t/gi, "x")}:${slashes ?? ""}`;
      if (slashes !== undefined || LINKY_SCHEMES.has(lower)) return `${scheme}[:]${slashes ?? ""}`;
      return whole;
    })
    .replace(HOST, (host) => host.replace(/\./g, "[.]"));
}

/**
 * Markdown metacharacters: backslash, emphasis, code, link and image brackets
 * (without an unescaped `[`, no `(url)` can become a link), headings, tables,
 * strikethrough. `&`, `<`, `>` become HTML entities (no tag, no `<autolink>`).
 */
const MARKDOWN_SPECIAL = /[\\`*_[\]#|~]/g;
/** A list item or quote marker at the start of the text (it may start a line of the document). */
const LEADING_MARKER = /^(\s*)(?:([-+])|(\d+)([.)]))(?=\s|$)/;

/**
 * Text for a markdown document that renders exactly as written: cleaned
 * (`untrustedText` without a cap unless `max` is given), URLs defanged,
 * `&`, `<`, `>` as HTML entities and the markdown metacharacters that make
 * links, emphasis, code, headings and tables backslash-escaped, as is a list
 * marker at the start. No live link, image, HTML tag or emphasis can come out.
 *
 * @example
 * markdownText("[click](https://evil.example) <img src=x>") // "\\[click\\](hxxps://evil\\[.\\]example) &lt;img src=x&gt;"
 */
export function markdownText(text: string, max: number = Number.MAX_SAFE_INTEGER): string {
  return defangUrls(untrustedText(text, max))
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(MARKDOWN_SPECIAL, (c) => `\\${c}`)
    .replace(LEADING_MARKER, (_, space: string, sign?: string, digits?: string, dot?: string) => (sign ? `${space}\\${sign}` : `${space}${digits}\\${dot}`));
}

/**
 * Scrubbing a channel's secrets out of what a receiver answered, before the
 * answer reaches the outbox (`lastError`) or the log. A receiver may echo
 * the secret in any form: the whole URL, its path, the token alone, JSON-
 * escaped (`https:\/\/...`), URL-encoded (`%2F` or `%2f`), base64. Each secret
 * is taken apart into the pieces that may come back (a URL: itself, its path
 * and query, and each path segment or query value long enough to be a
 * token), and each piece is matched in each of those encodings.
 */

/** Pieces shorter than this are not scrubbed on their own (they would match ordinary words). */
const MIN_PIECE = 8;

/** A URL's parts that may carry a secret; the value itself if it is not a URL. */
export function secretPieces(secret: string): string[] {
  const pieces = new Set<string>([secret]);
  let url: URL | undefined;
  try {
    url = new URL(secret);
  } catch {
    url = undefined;
  }
  if (url !== undefined) {
    const withoutHash = url.href.slice(0, url.href.length - url.hash.length);
    pieces.add(withoutHash);
    pieces.add(withoutHash.replace(/\/$/, ""));
    if (url.pathname.length > 1 || url.search !== "") pieces.add(`${url.host}${url.pathname}${url.search}`);
    if (url.pathname.length > 1) {
      pieces.add(url.pathname + url.search);
      pieces.add(url.pathname);
      for (const segment of url.pathname.split("/")) if (isTokenLike(segment)) pieces.add(segment).add(safeDecode(segment));
    }
    for (const [key, value] of new URLSearchParams(url.search)) if (isTokenLike(value)) pieces.add(value).add(`${key}=${value}`);
    for (const [, value] of new URLSearchParams(url.hash.slice(1))) if (value.length >= MIN_PIECE) pieces.add(value);
    if (url.password) pieces.add(safeDecode(url.password));
    if (url.username && isTokenLike(url.username)) pieces.add(safeDecode(url.username));
  }
  return [...pieces].filter((p) => p.length >= MIN_PIECE || p === secret);
}

/** A path segment or query value that may be a token: long, or shorter with a digit in it ("services" is not, "T0K3N-abc123" is). */
function isTokenLike(part: string): boolean {
  return part.length >= 16 || (part.length >= MIN_PIECE && /\d/.test(part));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Every encoding of `piece` a receiver might echo it in. */
export function encodings(piece: string): { exact: string[]; caseless: string[] } {
  const json = JSON.stringify(piece).slice(1, -1);
  const base64 = Buffer.from(piece, "utf8").toString("base64");
  const exact = [piece, json, json.replace(/\//g, "\\/"), base64, base64.replace(/=+$/, ""), Buffer.from(piece, "utf8").toString("base64url")];
  // Percent-encoding: hex digits in either case, so these match case-insensitively.
  const caseless = [
    encodeURIComponent(piece),
    encodeURI(piece),
    [...Buffer.from(piece, "utf8")].map((b) => `%${b.toString(16).padStart(2, "0")}`).join(""),
    new URLSearchParams({ x: piece }).toString().slice(2),
  ];
  return { exact: [...new Set(exact)], caseless: [...new Set(caseless)].filter((c) => !exact.includes(c)) };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A function that replaces every form of every secret in a text with
 * `[redacted]`. Longer forms are matched first, so a URL is redacted whole
 * rather than around its token.
 *
 * @example
 * const scrub = secretScrubber(["https://hooks.example.com/T0/B0/abc123XYZ"]);
 * scrub("bad token abc123XYZ"); // "bad token [redacted]"
 */
export function secretScrubber(secrets: readonly string[]): (text: string) => string {
  const exact = new Set<string>();
  const caseless = new Set<string>();
  for (const secret of secrets) {
    if (secret === "") continue;
    for (const piece of secretPieces(secret)) {
      const forms = encodings(piece);
      for (const f of forms.exact) exact.add(f);
      for (const f of forms.caseless) caseless.add(f);
    }
  }
  const alternation = (forms: Set<string>) =>
    [...forms]
      .filter((f) => f.length > 0)
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join("|");
  const patterns: RegExp[] = [];
  if (caseless.size) patterns.push(new RegExp(alternation(caseless), "gi"));
  if (exact.size) patterns.push(new RegExp(alternation(exact), "g"));
  return (text) => {
    // Twice: a form can hide inside another encoding's leftovers (e.g. a token beside its redacted URL).
    let out = text;
    for (let pass = 0; pass < 2; pass++) for (const pattern of patterns) out = out.replace(pattern, "[redacted]");
    return out;
  };
}

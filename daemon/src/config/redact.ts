/**
 * URLs in text meant for people (error messages, logs): an RPC or webhook
 * URL often carries an API key in its path or query (Infura's /v3/<key>,
 * Alchemy's /v2/<key>, ?apikey=), or a user and password. Only the scheme,
 * host and port are kept.
 */

/**
 * `url` reduced to scheme, host and port; "/…" marks that a path, query,
 * fragment or user info was removed.
 *
 * @example
 * redactUrl("https://mainnet.infura.io/v3/0123abcd?x=1"); // "https://mainnet.infura.io/…"
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "[URL]";
  }
  const removed = (u.pathname !== "/" && u.pathname !== "") || u.search !== "" || u.hash !== "" || u.username !== "" || u.password !== "";
  return `${u.protocol}//${u.host}${removed ? "/…" : ""}`;
}

const URL_IN_TEXT = /\b(?:https?|wss?|postgres(?:ql)?):\/\/[^\s"'<>`]+/gi;
const TRAILING = /[.,;:!?)\]}]+$/;

/** `text` with every http(s) and ws(s) URL in it redacted (`redactUrl`). */
export function redactUrls(text: string): string {
  return text.replace(URL_IN_TEXT, (match) => {
    const tail = TRAILING.exec(match)?.[0] ?? "";
    return redactUrl(match.slice(0, match.length - tail.length)) + tail;
  });
}

/**
 * A log record's fields with URLs redacted in every string, Error messages
 * and stacks included (for pino's `formatters.log`). Depth-limited; other
 * values pass through.
 */
export function redactLogFields<T extends object>(fields: T): T {
  return redactValue(fields, 0) as T;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === "string") return redactUrls(value);
  if (value === null || typeof value !== "object" || depth > 4) return value;
  if (value instanceof Error) {
    const copy = new Error(redactUrls(value.message));
    copy.name = value.name;
    copy.stack = value.stack === undefined ? undefined : redactUrls(value.stack);
    return copy;
  }
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, depth + 1)]));
}

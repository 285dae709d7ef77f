/**
 * WebSocket new heads: an `eth_subscribe("newHeads")` on one endpoint whose
 * only job is to wake the block follower when a block arrives.
 *
 * A head is untrusted and is never used as data: the follower, once woken,
 * polls over HTTP exactly as it would have on its timer, and the hash checks
 * there decide what is canonical. So a lying, late or silent socket can cost
 * latency, never correctness; HTTP polling stays the fallback, and the
 * follower polls at its usual rate whenever the subscription is not live.
 *
 * Lifecycle: connect → subscribe → live (heads flow) → on close, error or
 * `silenceMs` without a head: reconnect after an exponential backoff with
 * jitter (`reconnectDelayMs`), forever, until `stop()`. A head missed while
 * disconnected does not matter: the follower's poll asks for the next block
 * by number.
 *
 * Uses the WebSocket client built into Node (22+), so no package is needed.
 * The URL may hold a provider key: it is never logged, only `name` is.
 *
 * @example
 * const heads = new NewHeadsSubscription({ url: "ws://127.0.0.1:8545", name: "local", onHead: () => follower.wake() });
 * heads.start();
 * // ...
 * heads.stop();
 */
import { untrustedText } from "../decode/untrusted-text.js";
import type { Hex } from "../types.js";

export type NewHeadsState = "connecting" | "live" | "down" | "stopped";

export interface NewHead {
  number: number;
  hash: Hex;
}

export interface NewHeadsOptions {
  /** ws:// or wss:// URL (may hold a key: never logged). */
  url: string;
  /** The endpoint's name for logs and stats. */
  name: string;
  /** Called for each head notification that parses (a wake-up signal, not data). */
  onHead: (head: NewHead) => void;
  /** Called when the state changes, with the reason for `down`. */
  onState?: (state: NewHeadsState, reason?: string) => void;
  /** First reconnect delay. Default 500 ms. */
  minBackoffMs?: number;
  /** Longest reconnect delay. Default 30 s. */
  maxBackoffMs?: number;
  /** No head for this long while live: the socket is treated as dead and reopened. Default 30 s. */
  silenceMs?: number;
  /** Time allowed for connect + subscribe. Default 10 s. */
  connectTimeoutMs?: number;
  /** WebSocket implementation, for tests. Default: Node's global `WebSocket`. */
  webSocket?: typeof WebSocket;
  /** Randomness for the jitter, for tests. */
  random?: () => number;
}

export interface NewHeadsStats {
  name: string;
  state: NewHeadsState;
  heads: number;
  connects: number;
  lastError?: string;
}

/** Largest message accepted from the socket: a header is ~1 KB; a larger message is dropped unread. */
const MAX_MESSAGE_CHARS = 64 * 1024;

/**
 * The delay before reconnect attempt `attempt` (0-based): `min · 2^attempt`,
 * capped at `max`, with "equal jitter" (half fixed, half random) so that many
 * daemons behind one provider do not reconnect in step.
 */
export function reconnectDelayMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(30, Math.max(0, attempt)));
  return Math.round(base / 2 + (base / 2) * Math.min(1, Math.max(0, random())));
}

/**
 * Parses one socket message. Returns the subscription id for the answer to
 * our subscribe request (`id` = `subscribeId`), a head for a notification of
 * `subscription`, and undefined for anything else (ignored, never thrown:
 * the socket is untrusted).
 */
export function parseNewHeadsMessage(
  raw: unknown,
  subscribeId: number,
  subscription: string | undefined,
): { kind: "subscribed"; id: string } | { kind: "refused"; reason: string } | { kind: "head"; head: NewHead } | undefined {
  if (typeof raw !== "string" || raw.length > MAX_MESSAGE_CHARS) return undefined;
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isObject(msg)) return undefined;
  if (msg.id === subscribeId) {
    if (typeof msg.result === "string" && /^0x[0-9a-fA-F]{1,64}$/.test(msg.result)) return { kind: "subscribed", id: msg.result.toLowerCase() };
    const e = msg.error;
    const reason = isObject(e) ? `${typeof e.code === "number" ? e.code : "?"} ${typeof e.message === "string" ? e.message : ""}` : "no subscription id";
    return { kind: "refused", reason: clean(reason) };
  }
  if (msg.method !== "eth_subscription" || !isObject(msg.params)) return undefined;
  const { subscription: sub, result } = msg.params;
  if (typeof sub !== "string" || subscription === undefined || sub.toLowerCase() !== subscription || !isObject(result)) return undefined;
  const { number, hash } = result;
  if (typeof number !== "string" || !/^0x[0-9a-fA-F]{1,14}$/.test(number)) return undefined;
  if (typeof hash !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(hash)) return undefined;
  return { kind: "head", head: { number: Number.parseInt(number, 16), hash: hash.toLowerCase() as Hex } };
}

export class NewHeadsSubscription {
  private readonly o: Required<Omit<NewHeadsOptions, "onState" | "webSocket" | "random">> & Pick<NewHeadsOptions, "onState">;
  private readonly WS: typeof WebSocket;
  private readonly random: () => number;
  private socket: WebSocket | undefined;
  private state: NewHeadsState = "stopped";
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private subscription: string | undefined;
  private heads = 0;
  private connects = 0;
  private lastError: string | undefined;
  private stopped = true;

  constructor(options: NewHeadsOptions) {
    if (!/^wss?:\/\//i.test(options.url)) throw new Error(`NewHeadsSubscription: url: expected a ws(s) URL for endpoint ${options.name}`);
    this.o = {
      url: options.url,
      name: options.name,
      onHead: options.onHead,
      onState: options.onState,
      minBackoffMs: options.minBackoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      silenceMs: options.silenceMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    };
    const ws = options.webSocket ?? (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
    if (!ws) throw new Error("NewHeadsSubscription: this Node has no WebSocket client (Node 22 or later is needed)");
    this.WS = ws;
    this.random = options.random ?? Math.random;
  }

  /** True while subscribed and hearing heads. */
  live(): boolean {
    return this.state === "live";
  }

  stats(): NewHeadsStats {
    return { name: this.o.name, state: this.state, heads: this.heads, connects: this.connects, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.closeSocket();
    this.setState("stopped");
  }

  // ---------------------------------------------------------------- internals

  private connect(): void {
    if (this.stopped) return;
    this.setState("connecting");
    const subscribeId = 1;
    let socket: WebSocket;
    try {
      socket = new this.WS(this.o.url);
    } catch (error) {
      this.fail(`cannot open: ${errorText(error)}`);
      return;
    }
    this.socket = socket;
    this.subscription = undefined;
    this.arm(this.o.connectTimeoutMs, "no subscription within the connect timeout");
    socket.onopen = () => {
      this.connects++;
      socket.send(JSON.stringify({ jsonrpc: "2.0", id: subscribeId, method: "eth_subscribe", params: ["newHeads"] }));
    };
    socket.onmessage = (event: MessageEvent) => {
      if (this.socket !== socket) return;
      const parsed = parseNewHeadsMessage(event.data, subscribeId, this.subscription);
      if (!parsed) return;
      if (parsed.kind === "refused") {
        this.fail(`eth_subscribe refused: ${parsed.reason}`);
        return;
      }
      if (parsed.kind === "subscribed") {
        this.subscription = parsed.id;
        this.attempt = 0;
        this.lastError = undefined;
        this.setState("live");
        this.arm(this.o.silenceMs, `no head for ${this.o.silenceMs} ms`);
        return;
      }
      this.heads++;
      this.arm(this.o.silenceMs, `no head for ${this.o.silenceMs} ms`);
      try {
        this.o.onHead(parsed.head);
      } catch {
        // a listener's exception must not break the subscription
      }
    };
    socket.onerror = () => {
      if (this.socket === socket) this.fail("socket error");
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket === socket) this.fail(`closed (${event.code})`);
    };
  }

  /** (Re)arms the watchdog: the socket is given up if nothing resets it within `ms`. */
  private arm(ms: number, reason: string): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.fail(reason), ms);
    this.watchdog.unref?.();
  }

  private fail(reason: string): void {
    if (this.stopped) return;
    this.closeSocket();
    this.lastError = reason;
    this.setState("down", reason);
    const delay = reconnectDelayMs(this.attempt++, this.o.minBackoffMs, this.o.maxBackoffMs, this.random);
    this.timer = setTimeout(() => this.connect(), delay);
    this.timer.unref?.();
  }

  /** Stops the timers and closes the socket (its listeners detached first, so its close event is not ours). */
  private closeSocket(): void {
    this.clearTimers();
    const s = this.socket;
    this.socket = undefined;
    this.subscription = undefined;
    if (s) {
      detach(s);
      try {
        s.close();
      } catch {
        // already closing
      }
    }
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.watchdog) clearTimeout(this.watchdog);
    this.timer = undefined;
    this.watchdog = undefined;
  }

  private setState(state: NewHeadsState, reason?: string): void {
    if (state === this.state) return;
    this.state = state;
    try {
      this.o.onState?.(state, reason);
    } catch {
      // listeners log, they do not steer
    }
  }
}

function detach(s: WebSocket): void {
  s.onopen = null;
  s.onmessage = null;
  s.onerror = null;
  s.onclose = null;
}

function errorText(error: unknown): string {
  return clean(error instanceof Error ? error.message : String(error));
}

/** Control characters out, length bounded: the text came from the network. */
function clean(text: string): string {
  return untrustedText(text, 200);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

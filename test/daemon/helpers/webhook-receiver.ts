/**
 * A webhook receiver on 127.0.0.1 (node:http) that fails when told to: an
 * HTTP status (500, 503, 429 with Retry-After), or a hang (never answers).
 * It checks what a real receiver would: the generic webhook's HMAC signature
 * (401 if wrong), each channel's payload shape (400 if wrong), PagerDuty's
 * routing key; and, like a well-behaved receiver, it processes each
 * X-Guardian-Id once (a repeat is answered 2xx and not processed again).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { verifySignature } from "../../../daemon/src/respond/notify/sign.js";

export type Behaviour = "ok" | "hang" | { status: number; retryAfter?: string; body?: string };

export interface ReceivedRequest {
  at: number;
  path: string;
  id: string | undefined;
  headers: IncomingMessage["headers"];
  body: string;
  json: any;
  /** What the receiver answered ("hang": nothing). */
  answer: number | "hang";
  /** Why a check refused it. */
  problem?: string;
}

export interface Receiver {
  port: number;
  url(path: string): string;
  requests: ReceivedRequest[];
  /** Notification ids processed (first 2xx), with the time. */
  processed: Map<string, { at: number; path: string; json: any }>;
  /** Every 2xx answer per id (duplicates on the wire show as > 1). */
  accepted: Map<string, number>;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** HMAC key of the generic channel. */
  secret: string;
  routingKey: string;
  /** Decides how to answer the `nth` request (0-based) on `path`. */
  decide(path: string, nth: number, id: string | undefined): Behaviour;
}

const SHAPES: Record<string, (json: any) => string | undefined> = {
  generic: (j) =>
    typeof j?.id === "string" &&
    typeof j?.type === "string" &&
    ((j.type.startsWith("incident.") && typeof j?.incident?.id === "string") || (j.type.startsWith("maintenance.") && typeof j?.maintenance?.id === "string"))
      ? undefined
      : "generic shape",
  slack: (j) =>
    typeof j?.text === "string" &&
    Array.isArray(j?.blocks) &&
    j.blocks[0]?.type === "header" &&
    j.blocks[0].text.type === "plain_text" &&
    j.blocks[0].text.text.length <= 150 &&
    j.blocks.every((b: any) => ["header", "section", "context", "divider"].includes(b.type))
      ? undefined
      : "slack shape",
  discord: (j) =>
    typeof j?.content === "string" &&
    j.content.length <= 2000 &&
    Array.isArray(j?.embeds) &&
    j.embeds.length === 1 &&
    typeof j.embeds[0].title === "string" &&
    Number.isInteger(j.embeds[0].color) &&
    Array.isArray(j?.allowed_mentions?.parse)
      ? undefined
      : "discord shape",
  pd: (j) =>
    ["trigger", "acknowledge", "resolve"].includes(j?.event_action) &&
    typeof j?.dedup_key === "string" &&
    (j.event_action !== "trigger" ||
      (typeof j?.payload?.summary === "string" && j.payload.summary.length <= 1024 && ["critical", "error", "warning", "info"].includes(j.payload.severity) && typeof j.payload.source === "string"))
      ? undefined
      : "pagerduty shape",
};

export async function startReceiver(options: ReceiverOptions): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const processed = new Map<string, { at: number; path: string; json: any }>();
  const accepted = new Map<string, number>();
  const counters = new Map<string, number>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "/";
      const kind = path.split("/")[1] ?? "";
      const id = req.headers["x-guardian-id"] as string | undefined;
      let json: any;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const record: ReceivedRequest = { at: Date.now(), path, id, headers: req.headers, body, json, answer: "hang" };
      requests.push(record);
      const answer = (status: number, text = "", headers: Record<string, string> = {}) => {
        record.answer = status;
        if (status >= 200 && status < 300 && id !== undefined) {
          accepted.set(id, (accepted.get(id) ?? 0) + 1);
          if (!processed.has(id)) processed.set(id, { at: record.at, path, json });
        }
        res.writeHead(status, headers).end(text);
      };

      // The checks a real receiver makes.
      if (kind === "generic") {
        const check = verifySignature({
          secret: options.secret,
          body,
          timestamp: req.headers["x-guardian-timestamp"] as string | undefined,
          signature: req.headers["x-guardian-signature"] as string | undefined,
          now: new Date(),
        });
        if (!check.ok) {
          record.problem = check.reason;
          return answer(401, check.reason);
        }
      }
      const shape = SHAPES[kind]?.(json);
      if (shape !== undefined || (kind === "pd" && json.routing_key !== options.routingKey)) {
        record.problem = shape ?? "routing key";
        return answer(400, record.problem);
      }

      const nth = counters.get(path) ?? 0;
      counters.set(path, nth + 1);
      const behaviour = options.decide(path, nth, id);
      if (behaviour === "hang") return; // never answered; the client times out
      if (behaviour === "ok") {
        if (kind === "pd") return answer(202, JSON.stringify({ status: "success", message: "Event processed", dedup_key: json.dedup_key }), { "content-type": "application/json" });
        if (kind === "discord") return answer(204);
        return answer(200, "ok");
      }
      answer(behaviour.status, behaviour.body ?? "", behaviour.retryAfter !== undefined ? { "retry-after": behaviour.retryAfter } : {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    processed,
    accepted,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A small seeded PRNG (mulberry32), so a "sometimes failing" receiver fails the same way on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

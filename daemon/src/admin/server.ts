/**
 * The daemon's local admin endpoint: while the daemon holds the store lock,
 * CLI writes come through here instead of touching the store.
 *
 * Security: binds a loopback address only (refused otherwise); every request
 * needs the bearer token (compared in constant time); requests carrying an
 * Origin header (browsers) are refused, so a web page cannot drive it; bodies
 * are JSON, at most 64 KiB.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as z from "zod";
import { isLoopbackHost } from "../config/schema.js";
import { formatIssues } from "../config/issues.js";
import { AmbiguousIncidentIdError, IncidentNotFoundError, InvalidDisclosureError, InvalidTransitionError } from "../incidents/index.js";
import { findStoredIncident, incidentsWithHistory, type GuardianStore } from "../store/store.js";
import type { SlaMinutes } from "../types.js";
import { createStoreIncidentService, type IncidentChange, type RequestableIncidentService } from "./operations.js";
import type { AckRequest, PublishRequest, TriggerRequest, UpdateRequest } from "./protocol.js";

export const MAX_BODY_BYTES = 64 * 1024;

/** pino-compatible. */
export interface AdminLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface StartAdminServerParameters {
  store: GuardianStore;
  /** The bearer token (config.secrets.adminToken or generateAdminToken()). */
  token: string;
  /** Default 127.0.0.1; must be loopback. */
  host?: string;
  /** Default 0: any free port (read the result's `port`). */
  port?: number;
  clock?: () => Date;
  /** config.sla; default the response plan's. */
  sla?: Readonly<SlaMinutes>;
  /** Who may approve a security incident's disclosure (config `disclosureApprovers`). */
  approvers?: ReadonlyArray<{ name: string; role: "securityLead" | "cto" }>;
  logger?: AdminLogger;
  /** Called after each committed write (e.g. to re-publish status or engage the breaker). */
  onChange?: (event: IncidentChange) => void;
}

export interface AdminServer {
  readonly host: string;
  readonly port: number;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** The incident service behind the endpoint (with its onChange): replicas apply queued requests through it. */
  readonly service: RequestableIncidentService;
  /** Stops accepting, waits for requests in flight. */
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Starts the admin endpoint. Publish it with `publishAdminEndpoint` (store
 * module) so the CLI finds it.
 *
 * @example
 * const admin = await startAdminServer({ store, token, host: config.admin.host, port: config.admin.port, sla: config.sla });
 * await publishAdminEndpoint(config.dataDir, { host: admin.host, port: admin.port, pid: process.pid, startedAt }, generated);
 */
export async function startAdminServer(parameters: StartAdminServerParameters): Promise<AdminServer> {
  const host = parameters.host ?? "127.0.0.1";
  if (!isLoopbackHost(host)) throw new Error(`admin endpoint: host must be a loopback address (127.0.0.1 or ::1), got ${JSON.stringify(host)}`);
  if (parameters.token.length < 16) throw new Error("admin endpoint: the token must have at least 16 characters");
  const tokenDigest = sha256(parameters.token);
  const { store, logger } = parameters;
  const service = createStoreIncidentService({
    store,
    ...(parameters.clock ? { clock: parameters.clock } : {}),
    ...(parameters.sla ? { sla: parameters.sla } : {}),
    ...(parameters.onChange ? { onChange: parameters.onChange } : {}),
    ...(parameters.approvers ? { approvers: parameters.approvers } : {}),
  });

  const handle = async (req: IncomingMessage): Promise<{ status: number; body: unknown }> => {
    // 1. Refuse browsers and unauthenticated callers.
    if (req.headers.origin !== undefined) throw new HttpError(403, "Forbidden", "requests from browsers (with an Origin header) are refused");
    const auth = req.headers.authorization ?? "";
    const presented = auth.startsWith("Bearer ") ? auth.slice(7).trim() : "";
    if (!timingSafeEqual(sha256(presented), tokenDigest)) throw new HttpError(401, "Unauthorized", "missing or wrong bearer token");

    // 2. Route.
    const url = new URL(req.url ?? "/", "http://admin.invalid");
    const parts = url.pathname.split("/").filter(Boolean);
    const method = req.method ?? "GET";
    if (parts[0] !== "v1") throw new HttpError(404, "NotFound", `no route ${method} ${url.pathname}`);
    const [, resource, id, action] = parts;

    if (resource === "health" && parts.length === 2 && method === "GET") return { status: 200, body: { ok: true, pid: process.pid } };
    if (resource !== "incidents") throw new HttpError(404, "NotFound", `no route ${method} ${url.pathname}`);

    if (id === undefined) {
      if (method === "GET") return { status: 200, body: { incidents: await incidentsWithHistory(store, ARCHIVED_LISTED) } };
      if (method === "POST") return { status: 201, body: { incident: await service.trigger((await readJson(req)) as TriggerRequest) } };
    } else if (action === undefined && parts.length === 3) {
      if (method === "GET") return { status: 200, body: { incident: (await findStoredIncident(store.read().incidents, store.history, id)).incident } };
    } else if (action === "state" && parts.length === 4) {
      if (method === "POST") return { status: 200, body: { incident: await service.update(id, (await readJson(req)) as UpdateRequest) } };
    } else if (action === "ack" && parts.length === 4) {
      if (method === "POST") return { status: 200, body: await service.acknowledge(id, (await readJson(req)) as AckRequest) };
    } else if (action === "publish" && parts.length === 4) {
      if (method === "POST") return { status: 200, body: { incident: await service.publish(id, (await readJson(req)) as PublishRequest) } };
    } else {
      throw new HttpError(404, "NotFound", `no route ${method} ${url.pathname}`);
    }
    throw new HttpError(405, "MethodNotAllowed", `${method} is not allowed on ${url.pathname}`);
  };

  const server = createServer((req, res) => {
    handle(req).then(
      ({ status, body }) => send(res, status, body),
      (error: unknown) => {
        const { status, name, message } = toHttpError(error);
        if (status >= 500) logger?.warn({ err: error, method: req.method, url: req.url }, "admin request failed");
        send(res, status, { error: { name, message } });
      },
    );
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(parameters.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  logger?.info({ host: address.address, port: address.port }, "admin endpoint listening");

  return {
    host: address.address,
    port: address.port,
    url: `http://${urlHost}:${address.port}`,
    service,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** How many archived incidents the list adds after the hot ones (the newest). */
const ARCHIVED_LISTED = 200;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, "UnsupportedMediaType", "expected Content-Type: application/json");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "PayloadTooLarge", `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (error) {
    throw new HttpError(400, "InvalidRequestError", `body is not valid JSON: ${(error as Error).message}`);
  }
}

function toHttpError(error: unknown): { status: number; name: string; message: string } {
  if (error instanceof HttpError) return { status: error.status, name: error.errorName, message: error.message };
  if (error instanceof z.ZodError)
    return { status: 400, name: "InvalidRequestError", message: `invalid request: ${formatIssues(error.issues).join("; ")}` };
  if (error instanceof IncidentNotFoundError) return { status: 404, name: error.name, message: error.message };
  if (error instanceof AmbiguousIncidentIdError) return { status: 400, name: error.name, message: error.message };
  if (error instanceof InvalidTransitionError) return { status: 409, name: error.name, message: error.message };
  if (error instanceof InvalidDisclosureError) return { status: 409, name: error.name, message: error.message };
  return { status: 500, name: error instanceof Error ? error.name : "Error", message: error instanceof Error ? error.message : String(error) };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...(status === 401 ? { "www-authenticate": 'Bearer realm="guardian-admin"' } : {}),
  });
  res.end(text);
}

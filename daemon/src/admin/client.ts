/**
 * The CLI's client of a running daemon's admin endpoint: the same
 * `IncidentService` as the store-backed one, over HTTP.
 */
import type { Incident } from "../types.js";
import type { AckRequest, AckResult, IncidentService, PublishRequest, TriggerRequest, UpdateRequest } from "./protocol.js";

/** The daemon answered with an error; `status` 400/404/409 are the caller's mistakes. */
export class AdminRequestError extends Error {
  override readonly name = "AdminRequestError";
  readonly status: number;
  /** The error's name on the daemon's side, e.g. "InvalidTransitionError". */
  readonly remoteName: string;

  constructor(status: number, remoteName: string, message: string) {
    super(message);
    this.status = status;
    this.remoteName = remoteName;
  }
}

/** The daemon's admin endpoint did not answer. */
export class AdminUnreachableError extends Error {
  override readonly name = "AdminUnreachableError";
  constructor(url: string, cause: unknown) {
    super(`the running daemon's admin endpoint ${url} did not answer (${cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause)})`, { cause });
  }
}

export interface AdminClientParameters {
  host: string;
  port: number;
  token: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

export interface AdminClient extends IncidentService {
  readonly url: string;
  list(): Promise<Incident[]>;
  get(id: string): Promise<Incident>;
  health(): Promise<{ ok: true; pid: number }>;
}

export function createAdminClient(parameters: AdminClientParameters): AdminClient {
  const host = parameters.host.includes(":") && !parameters.host.startsWith("[") ? `[${parameters.host}]` : parameters.host;
  const url = `http://${host}:${parameters.port}`;
  const timeoutMs = parameters.timeoutMs ?? 10_000;

  const call = async <T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${parameters.token}`,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new AdminUnreachableError(url, error);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AdminRequestError(response.status, "InvalidResponse", `admin endpoint answered ${response.status} with a body that is not JSON`);
    }
    if (!response.ok) {
      const error = (json as { error?: { name?: string; message?: string } }).error;
      throw new AdminRequestError(response.status, error?.name ?? "Error", error?.message ?? `admin endpoint answered ${response.status}`);
    }
    return json as T;
  };

  const path = (id: string) => `/v1/incidents/${encodeURIComponent(id)}`;
  return {
    url,
    trigger: async (request: TriggerRequest) => (await call<{ incident: Incident }>("POST", "/v1/incidents", request)).incident,
    update: async (id: string, request: UpdateRequest) => (await call<{ incident: Incident }>("POST", `${path(id)}/state`, request)).incident,
    acknowledge: (id: string, request: AckRequest) => call<AckResult>("POST", `${path(id)}/ack`, request),
    publish: async (id: string, request: PublishRequest) => (await call<{ incident: Incident }>("POST", `${path(id)}/publish`, request)).incident,
    list: async () => (await call<{ incidents: Incident[] }>("GET", "/v1/incidents")).incidents,
    get: async (id: string) => (await call<{ incident: Incident }>("GET", path(id))).incident,
    health: () => call<{ ok: true; pid: number }>("GET", "/v1/health"),
  };
}

/**
 * A loopback JSON-RPC proxy in front of a node, for fault-injection tests:
 * it forwards requests (single or batch) and, on demand, answers with a
 * JSON-RPC error, an HTTP error, a malformed body, or not at all (a hang). It
 * can impose an `eth_getLogs` block-range limit the way hosted providers do,
 * rewrite results, and it counts requests by method.
 *
 * @example
 * const proxy = await startRpcProxy({ target: node.url, maxLogRange: 50 });
 * proxy.setFault({ kind: "hang" });
 * proxy.setFault({ kind: "pass" });
 * await proxy.close();
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export type ProxyFault =
  | { kind: "pass" }
  /** A JSON-RPC error object for every call (HTTP 200). */
  | { kind: "rpc-error"; code?: number; message?: string }
  /** An HTTP error status with a plain-text body. */
  | { kind: "http-error"; status?: number }
  /** HTTP 200 with a body that is not JSON. */
  | { kind: "malformed" }
  /** HTTP 200 with JSON that is not a JSON-RPC answer (a result of the wrong shape). */
  | { kind: "wrong-shape" }
  /** Never answers (until the proxy closes). */
  | { kind: "hang" };

interface RpcCallBody {
  jsonrpc?: string;
  id?: unknown;
  method: string;
  params?: unknown[];
}

export interface RpcProxyOptions {
  target: string;
  /** eth_getLogs spanning more blocks than this gets error -32005, like Infura's limit. */
  maxLogRange?: number;
  /** Changes a forwarded call's result. */
  rewrite?: (method: string, params: unknown[], result: unknown) => unknown;
}

export interface RpcProxy {
  url: string;
  /** Applies `fault` to requests that contain any of `methods` (all requests when omitted). */
  setFault(fault: ProxyFault, methods?: string[]): void;
  setMaxLogRange(range: number | undefined): void;
  /** Calls seen, by method (batch items counted one by one). */
  readonly counts: Map<string, number>;
  /** HTTP requests seen. */
  readonly requests: { total: number };
  /** eth_getLogs calls refused for their range. */
  readonly rangeErrors: { total: number };
  resetCounts(): void;
  close(): Promise<void>;
}

export async function startRpcProxy(options: RpcProxyOptions): Promise<RpcProxy> {
  let fault: ProxyFault = { kind: "pass" };
  let faultMethods: Set<string> | undefined;
  let maxLogRange = options.maxLogRange;
  const counts = new Map<string, number>();
  const requests = { total: 0 };
  const rangeErrors = { total: 0 };

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    requests.total++;
    let body: RpcCallBody | RpcCallBody[];
    try {
      body = JSON.parse(Buffer.concat(chunks).toString()) as RpcCallBody | RpcCallBody[];
    } catch {
      res.writeHead(400).end("bad json");
      return;
    }
    const calls = Array.isArray(body) ? body : [body];
    for (const c of calls) counts.set(c.method, (counts.get(c.method) ?? 0) + 1);

    const f = fault;
    const faulted = f.kind !== "pass" && (!faultMethods || calls.some((c) => faultMethods?.has(c.method)));
    if (faulted) {
      switch (f.kind) {
        case "hang":
          return; // the socket stays open until the client gives up or the proxy closes
        case "http-error":
          res.writeHead(f.status ?? 503, { "content-type": "text/plain" }).end("upstream unavailable");
          return;
        case "malformed":
          res.writeHead(200, { "content-type": "application/json" }).end('{"jsonrpc":"2.0","id":1,"result":');
          return;
        case "wrong-shape": {
          const answers = calls.map((c) => ({ jsonrpc: "2.0", id: c.id, result: { unexpected: true } }));
          send(res, Array.isArray(body) ? answers : answers[0]);
          return;
        }
        case "rpc-error": {
          const answers = calls.map((c) => ({
            jsonrpc: "2.0",
            id: c.id,
            error: { code: f.code ?? -32000, message: f.message ?? "injected fault" },
          }));
          send(res, Array.isArray(body) ? answers : answers[0]);
          return;
        }
      }
    }

    // Calls this proxy answers itself (range limit), the rest go upstream as one request.
    const local = new Map<number, unknown>();
    calls.forEach((c, i) => {
      if (c.method !== "eth_getLogs" || maxLogRange === undefined) return;
      const filter = (c.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string; blockHash?: string };
      if (filter.blockHash || !filter.fromBlock || !filter.toBlock || !filter.fromBlock.startsWith("0x") || !filter.toBlock.startsWith("0x")) return;
      const span = Number.parseInt(filter.toBlock, 16) - Number.parseInt(filter.fromBlock, 16) + 1;
      if (span > maxLogRange) {
        rangeErrors.total++;
        local.set(i, { jsonrpc: "2.0", id: c.id, error: { code: -32005, message: `query exceeds max block range ${maxLogRange}` } });
      }
    });
    const upstreamCalls = calls.filter((_, i) => !local.has(i));
    let upstream: Array<{ id?: unknown; result?: unknown }> = [];
    if (upstreamCalls.length > 0) {
      try {
        const response = await fetch(options.target, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(upstreamCalls),
        });
        upstream = (await response.json()) as typeof upstream;
      } catch {
        res.writeHead(502).end("upstream failed");
        return;
      }
    }
    const byId = new Map(upstream.map((a) => [JSON.stringify(a.id), a]));
    const answers = calls.map((c, i) => {
      const answer = local.get(i) ?? byId.get(JSON.stringify(c.id));
      if (options.rewrite && answer && typeof answer === "object" && "result" in answer) {
        return { ...answer, result: options.rewrite(c.method, c.params ?? [], (answer as { result: unknown }).result) };
      }
      return answer;
    });
    send(res, Array.isArray(body) ? answers : answers[0]);
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setFault(f, methods) {
      fault = f;
      faultMethods = methods ? new Set(methods) : undefined;
    },
    setMaxLogRange(range) {
      maxLogRange = range;
    },
    counts,
    requests,
    rangeErrors,
    resetCounts() {
      counts.clear();
      requests.total = 0;
      rangeErrors.total = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: http.ServerResponse, body: unknown): void {
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
}

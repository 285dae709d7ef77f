/**
 * Metrics (Prometheus text format, prom-client) and the health endpoint.
 *
 *   GET /metrics  counters and gauges below
 *   GET /healthz  200 when the follower keeps up, 503 with the reason when it
 *                 falls behind the head, stops committing, or halted
 *
 * Endpoint labels are the configured endpoint names, never URLs (a URL may
 * hold an API key).
 */
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { RpcRequestEvent } from "../chain/index.js";
import type { Finding, Incident } from "../types.js";
import { SEVERITIES } from "../types.js";

export class DaemonMetrics {
  readonly registry = new Registry();
  readonly blocks = new Counter({ name: "guardian_blocks_processed_total", help: "Canonical blocks committed", registers: [this.registry] });
  readonly reorgs = new Counter({ name: "guardian_reorgs_total", help: "Reorgs rewound", registers: [this.registry] });
  readonly tip = new Gauge({ name: "guardian_processed_block", help: "Last committed block number", registers: [this.registry] });
  readonly head = new Gauge({ name: "guardian_head_block", help: "Highest head reported by any endpoint", registers: [this.registry] });
  readonly headLag = new Gauge({ name: "guardian_head_lag_blocks", help: "Head minus last committed block", registers: [this.registry] });
  readonly rpcRequests = new Counter({ name: "guardian_rpc_requests_total", help: "JSON-RPC HTTP requests by endpoint, method and outcome", labelNames: ["endpoint", "method", "ok"], registers: [this.registry] });
  readonly rpcLatency = new Histogram({
    name: "guardian_rpc_request_duration_seconds",
    help: "JSON-RPC HTTP request latency by endpoint",
    labelNames: ["endpoint"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly findings = new Counter({ name: "guardian_findings_total", help: "Findings by detector and severity", labelNames: ["detector", "severity"], registers: [this.registry] });
  readonly openIncidents = new Gauge({ name: "guardian_open_incidents", help: "Open incidents by severity", labelNames: ["severity"], registers: [this.registry] });
  readonly pauses = new Counter({ name: "guardian_sentinel_pauses_total", help: "Sentinel pause outcomes", labelNames: ["outcome"], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "guardian_process_" });
  }

  onRequest = (e: RpcRequestEvent) => {
    this.rpcRequests.inc({ endpoint: e.endpoint, method: e.method, ok: String(e.ok) });
    this.rpcLatency.observe({ endpoint: e.endpoint }, e.ms / 1000);
  };

  onFindings(findings: readonly Finding[]) {
    for (const f of findings) this.findings.inc({ detector: f.detector, severity: f.severity });
  }

  setIncidents(incidents: Iterable<Incident>) {
    const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<string, number>;
    for (const i of incidents) if (i.state !== "recovered" && i.state !== "postreview") counts[i.severity]! += 1;
    for (const [severity, n] of Object.entries(counts)) this.openIncidents.set({ severity }, n);
  }
}

export interface HealthReport {
  ok: boolean;
  reason?: string;
  tip?: number;
  head?: number;
  lag?: number;
  lastCommitAgoMs?: number;
}

export interface ObservabilityServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startObservabilityServer(options: {
  host: string;
  port: number;
  metrics: DaemonMetrics;
  health: () => HealthReport;
  beforeScrape?: () => void;
}): Promise<ObservabilityServer> {
  const server: Server = createServer(async (req, res) => {
    try {
      if (req.method === "GET" && req.url === "/metrics") {
        options.beforeScrape?.();
        res.writeHead(200, { "content-type": options.metrics.registry.contentType });
        res.end(await options.metrics.registry.metrics());
      } else if (req.method === "GET" && (req.url === "/healthz" || req.url === "/health")) {
        const h = options.health();
        res.writeHead(h.ok ? 200 : 503, { "content-type": "application/json" });
        res.end(JSON.stringify(h));
      } else {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not found: try /metrics or /healthz\n");
      }
    } catch (err) {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`error: ${(err as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const addr = server.address() as { port: number };
  return {
    host: options.host,
    port: addr.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

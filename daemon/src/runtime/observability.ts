/**
 * Metrics (Prometheus text format, prom-client) and the health endpoint.
 *
 *   GET /metrics  counters and gauges below
 *   GET /healthz  200 when the follower keeps up, 503 with the reason when it
 *                 falls behind the head, stops committing, or halted
 *
 * Endpoint labels are the configured endpoint names, never URLs (a URL may
 * hold an API key); channel labels are channel names ("webhook:oncall").
 *
 * The output passes `promtool check metrics`: prom-client's default metrics
 * keep their standard names (`process_*`, `nodejs_*`, as dashboards and
 * alerts expect them), counters end in `_total` and nothing else does (the
 * three `nodejs_active_*_total` gauges prom-client adds are dropped: the
 * same counts are `nodejs_active_handles`, `nodejs_active_requests` and
 * `nodejs_active_resources` by type).
 */
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { RpcRequestEvent } from "../chain/index.js";
import type { OutboxItem } from "../store/schema.js";
import type { Finding, Incident, ProbeResult } from "../types.js";
import { SEVERITIES } from "../types.js";

/** prom-client default gauges whose names end in `_total` (promtool: "non-counter metrics should not have _total suffix"). */
const NON_COUNTER_TOTALS = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

/** The pause paths Guardian watches (see detectors/pause-ability.ts `pausePaths`). */
export const PAUSE_PATHS = ["sentinel", "safe"] as const;

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
  readonly notifications = new Counter({
    name: "guardian_notification_attempts_total",
    help: "Notification delivery attempts by channel and outcome (delivered, retry, dead)",
    labelNames: ["channel", "outcome"],
    registers: [this.registry],
  });
  readonly outboxPending = new Gauge({ name: "guardian_outbox_pending", help: "Outbox entries waiting to be sent, by kind (notification, sentinel-pause)", labelNames: ["kind"], registers: [this.registry] });
  readonly outboxFailed = new Gauge({ name: "guardian_outbox_failed", help: "Outbox entries given up on (dead), by kind", labelNames: ["kind"], registers: [this.registry] });
  readonly outboxOldestAge = new Gauge({
    name: "guardian_outbox_oldest_pending_age_seconds",
    help: "Age of the oldest pending outbox entry, by kind (0 when none is pending)",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  readonly publicationAge = new Gauge({
    name: "guardian_status_publication_age_seconds",
    help: "Seconds since status.json was last published (since the daemon started, if it has not published yet)",
    registers: [this.registry],
  });
  readonly canPause = new Gauge({
    name: "guardian_can_pause",
    help: "1 if Guardian can pause through this path at the last check (sentinel: key holds the role and gas; safe: the guardian Safe holds the role and can reach its threshold), else 0",
    labelNames: ["path"],
    registers: [this.registry],
  });
  readonly probeOk = new Gauge({
    name: "guardian_probe_ok",
    help: "1 if the journey's last probe through this bundler (or \"node\": simulated on the node) passed, else 0",
    labelNames: ["journey", "via"],
    registers: [this.registry],
  });
  readonly probeLatency = new Gauge({ name: "guardian_probe_latency_seconds", help: "Latency of the journey's last probe through this bundler", labelNames: ["journey", "via"], registers: [this.registry] });
  readonly probeResults = new Counter({ name: "guardian_probe_results_total", help: "Probe results by journey, via and outcome (ok, failed, timeout)", labelNames: ["journey", "via", "outcome"], registers: [this.registry] });
  readonly drillOk = new Gauge({ name: "guardian_drill_ok", help: "1 if this pause path worked in the last scheduled drill on a fork, else 0", labelNames: ["path"], registers: [this.registry] });
  readonly drillLastRun = new Gauge({ name: "guardian_drill_last_run_timestamp_seconds", help: "When the last scheduled drill started (Unix seconds)", registers: [this.registry] });
  readonly drillStepGas = new Gauge({ name: "guardian_drill_step_gas", help: "Gas of each step of the last drill on the fork", labelNames: ["path", "step"], registers: [this.registry] });
  readonly drillDuration = new Gauge({ name: "guardian_drill_duration_seconds", help: "How long the last drill took on the fork", registers: [this.registry] });
  readonly pendingSeen = new Counter({
    name: "guardian_pending_transactions_total",
    help: "Pending transactions to the watched contracts by stage: seen (passed the filter), simulated, flagged (a pre-emptive finding)",
    labelNames: ["stage"],
    registers: [this.registry],
  });
  readonly preemptionOutcomes = new Counter({
    name: "guardian_preemption_outcomes_total",
    help: "Pending findings settled by what their transaction did: preempted (reverted on the pause), missed (succeeded first), landed (succeeded where no pause could stop it), reverted_otherwise, never_landed",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly preemptionFalsePositive = new Gauge({
    name: "guardian_preemption_false_positive_ratio",
    help: "Share of settled pending findings the chain did not confirm (never landed, or reverted for another reason than a pause)",
    registers: [this.registry],
  });
  readonly preemptionBroadcast = new Histogram({
    name: "guardian_preemption_broadcast_seconds",
    help: "From the attack's arrival in the daemon's view of the pool to the first broadcast of the pause that races it",
    buckets: [0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  private readonly settled = new Map<string, number>();
  private readonly startedAt = Date.now();

  /** Counts a settled pending finding and updates the false-positive ratio. */
  onPreemptionOutcome(outcome: "preempted" | "missed" | "landed" | "reverted_otherwise" | "never_landed") {
    this.preemptionOutcomes.inc({ outcome });
    this.settled.set(outcome, (this.settled.get(outcome) ?? 0) + 1);
    const total = [...this.settled.values()].reduce((a, b) => a + b, 0);
    this.preemptionFalsePositive.set(((this.settled.get("never_landed") ?? 0) + (this.settled.get("reverted_otherwise") ?? 0)) / total);
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    for (const name of NON_COUNTER_TOTALS) this.registry.removeSingleMetric(name);
  }

  /** Outbox gauges from the store's outbox. */
  setOutbox(outbox: readonly OutboxItem[], now: Date) {
    const kinds = new Set(["notification", "sentinel-pause", ...outbox.map((i) => i.kind)]);
    for (const kind of kinds) {
      const pending = outbox.filter((i) => i.kind === kind && i.status === "pending");
      const oldest = Math.min(...pending.map((i) => Date.parse(i.createdAt)));
      this.outboxPending.set({ kind }, pending.length);
      this.outboxFailed.set({ kind }, outbox.filter((i) => i.kind === kind && i.status === "failed").length);
      this.outboxOldestAge.set({ kind }, pending.length ? Math.max(0, (now.getTime() - oldest) / 1000) : 0);
    }
  }

  /** Seconds since the last publication (ISO time from the store), or since the daemon started. */
  setPublishedAt(lastPublishedAt: string | undefined, now: Date) {
    const at = lastPublishedAt !== undefined ? Date.parse(lastPublishedAt) : this.startedAt;
    this.publicationAge.set(Math.max(0, (now.getTime() - at) / 1000));
  }

  setCanPause(paths: Readonly<Record<(typeof PAUSE_PATHS)[number], boolean>>) {
    for (const path of PAUSE_PATHS) this.canPause.set({ path }, paths[path] ? 1 : 0);
  }

  /** Gauges from a drill report (drill/run.ts). */
  onDrill(report: { startedAt: string; ms: number; steps: ReadonlyArray<{ path: string; action: string; ok: boolean; gasUsed?: number }> }) {
    this.drillLastRun.set(Date.parse(report.startedAt) / 1000);
    this.drillDuration.set(report.ms / 1000);
    for (const path of new Set(report.steps.map((s) => s.path))) this.drillOk.set({ path }, report.steps.filter((s) => s.path === path).every((s) => s.ok) ? 1 : 0);
    for (const s of report.steps) if (s.gasUsed !== undefined) this.drillStepGas.set({ path: s.path, step: s.action.split(" (")[0]! }, s.gasUsed);
  }

  onNotificationAttempts(attempts: ReadonlyArray<{ channel: string; outcome: string }>) {
    for (const a of attempts) this.notifications.inc({ channel: a.channel, outcome: a.outcome });
  }

  onRequest = (e: RpcRequestEvent) => {
    this.rpcRequests.inc({ endpoint: e.endpoint, method: e.method, ok: String(e.ok) });
    this.rpcLatency.observe({ endpoint: e.endpoint }, e.ms / 1000);
  };

  onProbes(results: readonly ProbeResult[]) {
    for (const r of results) {
      const labels = { journey: r.journey, via: r.via };
      this.probeOk.set(labels, r.outcome === "ok" ? 1 : 0);
      this.probeLatency.set(labels, r.latencyMs / 1000);
      this.probeResults.inc({ ...labels, outcome: r.outcome });
    }
  }

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
  /** Replicas (runtime/replica.ts): whether this one leads, under which term, and who leads otherwise. */
  role?: "leader" | "standby";
  holder?: string;
  term?: number;
  leader?: string | null;
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

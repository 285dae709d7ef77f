/**
 * `guardian run`: the daemon, wired in one place.
 *
 *   config ─► store (lock) ─► RPC pool ─► block follower ─► store sink
 *                                                │             (pipeline → findings → incidents, one write per block)
 *                                                └─► health ─► rpc-health findings
 *   actions ─► circuit breaker (sentinel pause) / notifications
 *   timers  ─► escalation, sentinel heartbeat, release of expired pauses, status publication
 *   servers ─► admin endpoint (CLI writes), /metrics and /healthz
 *
 * Nothing here decides anything: detectors, incidents and the publisher are
 * pure; this module only moves facts and results between them and the world.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import pino, { type Logger } from "pino";
import { createPublicClient, defineChain, getAddress, parseGwei, type Address, type Chain, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { BlockFollower, NewHeadsSubscription, RpcPool, errorMessage, type FollowerEvent, type RpcLimitEvent } from "../chain/index.js";
import { disclosureApprovers, redactLogFields, type GuardianConfig } from "../config/index.js";
import { readDeployment } from "../deploy/deployments.js";
import type { Deployment } from "../deploy/guardian.js";
import type { IncidentAction } from "../incidents/index.js";
import { initialPipelineState, kitWatchConfig, pipelineOverrides, processHealth, type PipelineConfig, type PipelineState } from "../pipeline/index.js";
import { poolRevertLookup } from "./revert-lookup.js";
import { startAdminServer, type AdminServer } from "../admin/index.js";
import { generateAdminToken, openLowdbStore, publishAdminEndpoint, unpublishAdminEndpoint, type GuardianStore } from "../store/index.js";
import { LAYER_ID, LAYERS, type Finding, type Layer } from "../types.js";
import { CircuitBreaker } from "./circuit-breaker.js";
import { roleContacts } from "../incidents/plan-escalation.js";
import { createNotifier } from "../respond/notify/index.js";
import { DaemonMetrics, startObservabilityServer, type HealthReport, type ObservabilityServer } from "./observability.js";
import { StatusPublisher } from "./publisher.js";
import { SentinelDuties } from "./sentinel-duties.js";
import { PauseAbilityWatch, livenessOptions } from "./pause-ability-watch.js";
import { DrillSchedule } from "./drill-schedule.js";
import { createStoreSink, foldFindings } from "./sink.js";
import { ProbeRounds, canaryFor, probeRunnerFor } from "./probe-rounds.js";
import { Preemption } from "./preemption.js";
import { PendingTransactions } from "../chain/pending.js";
import { pendingRelevance } from "../decode/pending.js";

export interface DaemonOptions {
  config: GuardianConfig;
  /** Send nothing on chain: the breaker records what it would send. */
  dryRun?: boolean;
  /** Where status.json and the Statuspage files go. Default <dataDir>/public. */
  publicDir?: string;
  /** Seconds between status publications. Default 30. */
  publishIntervalSeconds?: number;
  /** Runs after each status publication (e.g. rebuild the static site). */
  onPublished?: (statusFile: string) => Promise<void>;
  /** Keep every processed (number, hash) in the store (tests). */
  recordProcessed?: boolean;
  /** Where to start with an empty store: a block, or the deployment's start block (default). */
  startBlock?: number | "head";
  /** Seconds between sentinel heartbeats. Default 600; 0 disables. */
  heartbeatIntervalSeconds?: number;
  /** Seconds between checks of Guardian's own ability to pause. Default 30. */
  pauseAbilityIntervalSeconds?: number;
  logger?: Logger;
  clock?: () => Date;
  /**
   * Replica mode (runtime/replica.ts): this process leads under a lease in a
   * shared store. The store, the metrics and the observability server are the
   * supervisor's (they outlive a term); `mayAct` says whether the lease is
   * still ours, and gates what leaves the process besides store writes
   * (notifications, status files).
   */
  replica?: ReplicaHooks;
}

export interface ReplicaHooks {
  store: GuardianStore;
  metrics: DaemonMetrics;
  observability: ObservabilityServer;
  /** The daemon's health and pre-scrape hook, served by the supervisor's server while this term lasts. */
  serve(health: () => HealthReport, beforeScrape: () => void): void;
  mayAct(): boolean;
  /** How far ahead a notification is claimed before it is sent (DeliverDeps.lease). */
  claimMs: number;
}

export interface RunningDaemon {
  readonly store: GuardianStore;
  readonly follower: BlockFollower;
  readonly breaker: CircuitBreaker;
  readonly admin: AdminServer;
  readonly observability: ObservabilityServer;
  readonly deployment: Deployment;
  readonly logger: Logger;
  /** Pre-emption, when `preempt.enabled`. */
  readonly preemption?: Preemption;
  health(): HealthReport;
  /** Resolves when the follower stops (stop() or a fatal error). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

function chainOf(config: GuardianConfig): Chain {
  const url = config.rpc.endpoints[0]!.http;
  return defineChain({
    id: config.chainId,
    name: config.chainId === 138 ? "Defi Oracle Meta Mainnet" : `chain ${config.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
}

/** The config's RPC endpoints as the pool takes them. */
export function poolEndpoints(config: GuardianConfig) {
  return config.rpc.endpoints.map((e) => ({
    url: e.http,
    name: e.name,
    ...(e.maxBatch !== undefined ? { maxBatch: e.maxBatch } : {}),
    ...(e.maxRequestsPerSecond !== undefined ? { maxRequestsPerSecond: e.maxRequestsPerSecond } : {}),
  }));
}

/** The addresses the follower watches and the decode config of the pipeline. */
export function watchedContracts(d: Deployment) {
  const targets: Record<Address, Layer> = {
    [getAddress(d.guardian.paymaster)]: "entryPoint",
    [getAddress(d.guardian.accountFactory)]: "accountFactory",
    [getAddress(d.kit.DelegationManager)]: "delegation",
  };
  const addresses = [d.guardian.hub, d.guardian.paymaster, d.guardian.accountFactory, d.kit.EntryPoint, d.kit.DelegationManager, d.guardian.safe].map((a) => getAddress(a));
  return { addresses, decode: { hub: getAddress(d.guardian.hub), targets } };
}

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const { config } = options;
  const clock = options.clock ?? (() => new Date());
  // Log fields never carry a whole URL (an RPC or webhook URL may hold a key).
  const logger = options.logger ?? pino({ name: "guardian", base: { pid: process.pid }, formatters: { log: redactLogFields } }, pino.destination(2));
  const log = (msg: string, fields?: Record<string, unknown>, level: "info" | "warn" | "error" = "info") => logger[level](fields ?? {}, msg);
  const deployment = readDeployment(config.deploymentsFile);
  if (deployment.chainId !== config.chainId) {
    throw new Error(`deployments file ${config.deploymentsFile} is for chain ${deployment.chainId}, the config for chain ${config.chainId}`);
  }

  // 1. The store: the lock makes a second daemon on this data directory refuse to start.
  //    A replica's store is its supervisor's (PostgreSQL, under the lease).
  const replica = options.replica;
  const store: GuardianStore =
    replica?.store ??
    (await openLowdbStore({
      dataDir: config.dataDir,
      chainId: config.chainId,
      purpose: "daemon",
      ringSize: config.follower.ringSize,
      ...(options.recordProcessed ? { recordProcessed: true } : {}),
      archiveAfterMs: config.store.archiveAfterHours * 3_600_000,
      logger: { warn: (details, message) => logger.warn(details, message) },
      clock,
    }));
  const metrics = replica?.metrics ?? new DaemonMetrics();
  const cleanups: Array<() => Promise<void>> = replica ? [] : [async () => store.close()];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch((e) => logger.error({ err: (e as Error).message }, "cleanup failed"));
  };

  try {
    // 2. RPC: the pool (failover, health) for the follower; viem clients for reads and the breaker.
    const pool = new RpcPool({
      endpoints: poolEndpoints(config),
      chainId: config.chainId,
      timeoutMs: config.follower.requestTimeoutMs,
      onRequest: metrics.onRequest,
      // A provider's limits, each logged at the level it deserves: a learned batch cap or a missing
      // method once (info), a rate limit as a warning (the daemon slows down and fails over).
      onLimit: (e: RpcLimitEvent) => {
        if (e.kind === "rate-limit") logger.warn({ endpoint: e.endpoint, backoffMs: e.backoffMs, cause: e.cause }, "RPC endpoint rate-limited us: backing off");
        else if (e.kind === "batch-limit") logger.info({ endpoint: e.endpoint, refused: e.refused, maxBatch: e.maxBatch, cause: e.cause }, "RPC endpoint refused a batch: smaller batches");
        else logger.info({ endpoint: e.endpoint, method: e.method, cause: e.cause }, "RPC endpoint lacks a method: not asked again");
      },
    });
    await pool.init();
    const chain = chainOf(config);
    const poolClient = createPublicClient({ chain, transport: pool.transport(), pollingInterval: Math.max(100, config.blockTimeMs / 4) }) as PublicClient;
    const { addresses, decode } = watchedContracts(deployment);
    const sentinelKey = config.secrets.sentinelKey?.reveal() as Hex | undefined;
    const sentinel = sentinelKey ? privateKeyToAccount(sentinelKey) : undefined;
    const pipeline: PipelineConfig = {
      chainId: config.chainId,
      blockTimeMs: config.blockTimeMs,
      decode,
      // The kit's contracts by role, and who may govern them (the running sentinel included).
      kit: kitWatchConfig(deployment, sentinel ? [sentinel.address] : []),
      ...pipelineOverrides(config.detectors),
    };
    const sla = config.sla;
    const foldCtx = () => ({ now: clock(), autoPause: config.autoPause, sla, lastOccurrence: (key: string) => store.history.lastOccurrence(key) });

    // 3. Actions: the circuit breaker and notifications.
    let dispatch: (actions: IncidentAction[]) => void = () => {};
    let preemption: Preemption | undefined;
    const raise = async (findings: Finding[]) => {
      metrics.onFindings(findings);
      const actions = await store.update((draft) => foldFindings(draft, findings, foldCtx()));
      dispatch(actions);
    };
    const breaker = new CircuitBreaker({
      store,
      clients: [poolClient],
      // A pause goes to every endpoint at once, not only the one in front.
      broadcastRaw: async (raw) => {
        const outcomes = await pool.requestEach("eth_sendRawTransaction", [raw]);
        return { accepted: outcomes.filter((o) => o.ok).length, reasons: outcomes.flatMap((o) => (o.ok ? [] : [`${o.endpoint}: ${errorMessage(o.error)}`])) };
      },
      chain,
      hub: getAddress(deployment.guardian.hub),
      ...(sentinel ? { sentinel } : {}),
      ...(options.dryRun ? { dryRun: true } : {}),
      // "Already paused" is read no older than the last processed block.
      knownBlock: () => store.read().chain.ring.at(-1)?.number,
      clock,
      raise,
      log,
      blockTimeMs: config.blockTimeMs,
      lateAfterBlocks: config.pause.lateAfterBlocks,
      maxFee: parseGwei(String(config.pause.maxFeeGwei)),
      onBroadcast: (incidentId) => preemption?.onBroadcast(incidentId),
    });
    // Notifications: planned into the store's outbox, then delivered with retries
    // (a restart resumes from the outbox; the timeline reconciler catches
    // anything an action did not enqueue).
    const notifier = createNotifier({
      store,
      escalation: config.escalation,
      roles: roleContacts(config.roles),
      maintenanceDir: config.dataDir,
      webhooks: config.secrets.webhooks,
      clock,
      log: logger,
      ...(replica ? { lease: { mayAct: replica.mayAct, claimMs: replica.claimMs } } : {}),
    });
    const channels = notifier.checkChannels();
    for (const problem of channels.errors) logger.error({ problem }, "notification channel unusable");
    for (const problem of channels.warnings) logger.warn({ problem }, "notification channel");
    // Overlapping calls share one tick: count each tick's attempts once.
    const counted = new WeakSet<object>();
    const notifyNow = () =>
      void notifier
        .tick()
        .then((report) => {
          if (counted.has(report)) return;
          counted.add(report);
          metrics.onNotificationAttempts(report.attempts);
        })
        .catch((e) => logger.error({ err: (e as Error).message }, "notification tick failed"));
    dispatch = (actions) => {
      const notify = actions.filter((a) => a.type === "notify");
      for (const a of actions) {
        if (a.type === "pause") {
          logger.warn({ incident: a.incidentId, layers: a.layers }, "circuit breaker engaged");
          void breaker
            .handle(a)
            .then((o) => {
              if (o) metrics.pauses.inc({ outcome: o.kind });
              notifyNow();
            })
            .catch((e) => logger.error({ incident: a.incidentId, err: (e as Error).message }, "circuit breaker failed"));
        } else {
          // Never `level`: pino writes its own numeric level under that key, and a parser keeps the last one.
          logger.warn({ incident: a.incidentId, escalationLevel: a.level, contact: config.escalation[a.level].name, severity: a.severity, reason: a.reason }, "notify");
        }
      }
      if (notify.length) {
        void store
          .update((draft) => void notifier.enqueueActions(draft, notify, clock()))
          .then(notifyNow)
          .catch((e) => logger.error({ err: (e as Error).message }, "enqueueing notifications failed"));
      }
    };
    if (!sentinel) logger.warn("no sentinel key (env GUARDIAN_SENTINEL_KEY): Critical incidents will not be auto-paused");

    // 4. The follower and its sink.
    const sink = createStoreSink({
      store,
      pipeline,
      autoPause: config.autoPause,
      sla,
      clock,
      ...(options.recordProcessed ? { recordProcessed: true } : {}),
      onActions: dispatch,
      onFindings: (f) => metrics.onFindings(f),
      revertLookup: poolRevertLookup(pool),
      log,
    });
    // Probes: synthetic user journeys through each bundler (and simulated on the node), every few blocks;
    // the canary, if asked for, creates a real account now and then.
    const canary = config.probes.enabled ? canaryFor(config, deployment, pool) : undefined;
    const probeRounds =
      config.probes.enabled && (config.bundlers.length > 0 || config.probes.simulate !== false)
        ? new ProbeRounds({
            runner: probeRunnerFor(config, deployment, pool),
            ...(canary ? { canary: { run: () => canary.run(), everyMs: Math.round(config.probes.canary!.everyMinutes * 60_000) } } : {}),
            store,
            pipeline,
            everyBlocks: config.probes.everyBlocks,
            raise,
            onResults: (results) => metrics.onProbes(results),
            clock,
            log,
          })
        : undefined;
    if (probeRounds) {
      probeRounds.start();
      cleanups.push(() => probeRounds.stop());
    }
    let healthState: PipelineState = initialPipelineState();
    let healthBusy = false;
    let lastCommitMs = Date.now();
    // WebSocket new heads (first endpoint with `ws`): a wake-up signal only; HTTP polling stays the fallback.
    const wsEndpoint = config.rpc.endpoints.find((e) => e.ws);
    let wakeFollower = () => {};
    const heads = wsEndpoint
      ? new NewHeadsSubscription({
          url: wsEndpoint.ws!,
          name: wsEndpoint.name ?? "ws",
          onHead: () => wakeFollower(),
          onState: (state, reason) => {
            if (state === "down") logger.warn({ endpoint: wsEndpoint.name, reason }, "new-heads subscription down: HTTP polling");
            else logger.info({ endpoint: wsEndpoint.name, state }, "new-heads subscription");
            wakeFollower(); // re-pace the follower's poll
          },
          silenceMs: Math.max(10_000, config.blockTimeMs * 10),
        })
      : undefined;
    const follower = new BlockFollower({
      ...(heads ? { headsLive: () => heads.live() } : {}),
      pool,
      sink,
      addresses,
      blockTimeMs: config.blockTimeMs,
      startBlock: options.startBlock ?? deployment.startBlock,
      ringSize: config.follower.ringSize,
      maxLogRange: config.follower.maxLogRange,
      onEvent: (e: FollowerEvent) => {
        if (e.type === "committed") {
          metrics.blocks.inc(e.to - e.from + 1);
          metrics.tip.set(e.to);
          metrics.head.set(e.head);
          metrics.headLag.set(Math.max(0, e.head - e.to));
          lastCommitMs = Date.now();
          const tip = follower.status().tip;
          if (probeRounds && tip?.number === e.to) probeRounds.onCommitted(e.to, tip.hash, e.head);
          void preemption?.onCommitted(e.to);
        } else if (e.type === "reorg") {
          metrics.reorgs.inc();
          logger.warn({ ancestor: e.facts.ancestor, dropped: e.facts.dropped.length }, "reorg rewound");
        } else if (e.type === "error") {
          logger.error({ err: e.cause }, "follower step failed");
        } else if (e.type === "rate-limited") {
          logger.warn({ err: e.cause }, "every RPC endpoint is rate-limited: waiting");
        } else if (e.type === "rpc-unavailable") {
          logger.error({ err: errorMessage(e.error), details: e.error.details }, "every RPC endpoint failed");
        } else if (e.type === "reorg-too-deep") {
          logger.fatal({ facts: e.facts }, "reorg deeper than the checkpoint ring: follower halted");
        } else {
          logger.debug({ event: e.type }, "follower");
        }
      },
      onHealth: (facts) => {
        // RPC health is judged in memory; only findings reach the store.
        if (healthBusy) return;
        const result = processHealth(facts, healthState, pipeline);
        healthState = result.nextState;
        if (result.findings.length) {
          healthBusy = true;
          void raise(result.findings)
            .catch((e) => logger.error({ err: (e as Error).message }, "storing health findings failed"))
            .finally(() => (healthBusy = false));
        }
      },
    });

    // Pre-emption: pending transactions to the watched contracts, judged before they are mined.
    if (config.preempt.enabled && pipeline.kit) {
      preemption = new Preemption({
        pool,
        store,
        pipeline,
        contracts: pipeline.kit.contracts,
        thresholds: { knownDelegates: config.preempt.knownDelegates, ...(config.preempt.unknownDelegateWei ? { unknownDelegateWei: config.preempt.unknownDelegateWei } : {}) },
        breaker,
        raise,
        settleBlocks: config.preempt.settleBlocks,
        clock,
        metrics: {
          onStage: (stage) => metrics.pendingSeen.inc({ stage }),
          onOutcome: (outcome) => metrics.onPreemptionOutcome(outcome),
          onBroadcastDelay: (seconds) => metrics.preemptionBroadcast.observe(seconds),
        },
        log,
      });
      preemption.resume();
      const judge = preemption;
      const wsFor = config.rpc.endpoints.find((e) => e.ws);
      const pending = new PendingTransactions({
        pool,
        ...(wsFor ? { ws: { url: wsFor.ws!, name: wsFor.name ?? "ws" } } : {}),
        poll: config.preempt.poll,
        pollMs: config.preempt.pollMs,
        wanted: pendingRelevance(pipeline.kit.contracts),
        onPending: (tx) => void judge.onPending(tx),
        onState: (s) => {
          if (s.live) logger.info({ via: s.via }, "pending transactions: live");
          else logger.warn({ via: s.via ?? null, reason: s.reason ?? null }, "pending transactions: no source (pre-emption cannot see the pool)");
        },
        log,
      });
      pending.start();
      cleanups.push(() => pending.stop());
    }

    // 5. The admin endpoint (CLI writes go through it while the daemon runs).
    const generated = config.secrets.adminToken ? undefined : generateAdminToken();
    const token = config.secrets.adminToken?.reveal() ?? generated!;
    const admin = await startAdminServer({
      store,
      token,
      host: config.admin.host,
      port: config.admin.port,
      sla,
      clock,
      approvers: disclosureApprovers(config),
      onChange: (change) => {
        // A person declaring a Critical incident engages the breaker too.
        if (change.type === "triggered" && change.incident.severity === "critical") {
          const layers = change.incident.affected.layers.filter((l) => config.autoPause[l]);
          if (layers.length) dispatch([{ type: "pause", incidentId: change.incident.id, layers }]);
        }
        publisher?.requestPublish();
      },
    });
    cleanups.push(() => admin.close());
    await publishAdminEndpoint(config.dataDir, { host: admin.host, port: admin.port, pid: process.pid, startedAt: clock().toISOString() }, generated);
    cleanups.push(() => unpublishAdminEndpoint(config.dataDir, process.pid));

    // 6. Health and metrics.
    const health = (): HealthReport => {
      const s = follower.status();
      const tip = s.tip?.number;
      const head = s.head;
      const lag = tip !== undefined && head !== undefined ? head - tip : undefined;
      const ago = Date.now() - lastCommitMs;
      const report: HealthReport = { ok: true, ...(tip !== undefined ? { tip } : {}), ...(head !== undefined ? { head } : {}), ...(lag !== undefined ? { lag } : {}), lastCommitAgoMs: ago };
      if (s.halted) return { ...report, ok: false, reason: "follower halted: reorg deeper than the checkpoint ring" };
      if (lag !== undefined && lag > Math.max(10, Math.ceil((config.follower.stallAfterMs / config.blockTimeMs) * 2))) return { ...report, ok: false, reason: `follower ${lag} blocks behind the head` };
      if (ago > config.follower.stallAfterMs * 3 && lag !== 0) return { ...report, ok: false, reason: `no block committed for ${Math.round(ago / 1000)} s` };
      return report;
    };
    const beforeScrape = () => {
      const data = store.read();
      const now = clock();
      metrics.setIncidents(Object.values(data.incidents));
      metrics.setOutbox(data.outbox, now);
      metrics.setPublishedAt(data.publish?.lastPublishedAt, now);
    };
    let observability: ObservabilityServer;
    if (replica) {
      replica.serve(health, beforeScrape);
      observability = replica.observability;
    } else {
      const own = await startObservabilityServer({ host: config.metrics.host, port: config.metrics.port, metrics, health, beforeScrape });
      cleanups.push(() => own.close());
      observability = own;
    }

    // 7. Timers: escalation and notification delivery, sentinel duties, status publication.
    const notifyTimer = setInterval(notifyNow, 5_000);
    cleanups.push(async () => {
      clearInterval(notifyTimer);
      await notifier.tick().catch(() => undefined);
    });

    const duties = new SentinelDuties({
      client: poolClient,
      pool,
      chain,
      hub: getAddress(deployment.guardian.hub),
      ...(sentinel ? { sentinel } : {}),
      heartbeatIntervalSeconds: options.heartbeatIntervalSeconds ?? 600,
      dryRun: !!options.dryRun,
      maxFee: parseGwei(String(config.pause.maxFeeGwei)),
      ...(replica ? { mayAct: replica.mayAct } : {}),
      log,
    });
    duties.start();
    cleanups.push(() => duties.stop());

    const heartbeatEvery = options.heartbeatIntervalSeconds ?? 600;
    const watch = new PauseAbilityWatch({
      store,
      pool,
      deployment,
      ...(sentinel ? { sentinel: sentinel.address } : {}),
      thresholds: {
        heartbeatMaxAgeSeconds: sentinel && heartbeatEvery > 0 && !options.dryRun ? heartbeatEvery * 3 : 0,
        ...((config.detectors["pause-ability"] as object | undefined) ?? {}),
      },
      intervalSeconds: options.pauseAbilityIntervalSeconds ?? 30,
      ...(config.safe.presigned.length ? { presigned: [...config.safe.presigned] } : {}),
      ...(config.safe.liveness ? { liveness: livenessOptions(config) } : {}),
      clock,
      raise,
      onPaths: (paths) => metrics.setCanPause(paths),
      log,
    });
    watch.start();
    cleanups.push(() => watch.stop());

    if (config.drill) {
      const drills = new DrillSchedule({
        forkUrl: config.rpc.endpoints[0]!.http,
        deployment,
        ...(sentinel ? { sentinel: sentinel.address } : {}),
        presigned: [...config.safe.presigned],
        everyHours: config.drill.everyHours,
        store,
        raise,
        onReport: (r) => metrics.onDrill(r),
        clock,
        log,
      });
      drills.start();
      cleanups.push(() => drills.stop());
    }

    const publicDir = options.publicDir ?? path.join(config.dataDir, "public");
    mkdirSync(publicDir, { recursive: true });
    const publisher: StatusPublisher = new StatusPublisher({
      store,
      client: poolClient,
      deployment,
      pool,
      publicDir,
      intervalSeconds: options.publishIntervalSeconds ?? 30,
      ...(config.site.name !== null ? { pageName: config.site.name } : {}),
      pageUrl: config.site.url,
      maintenanceDir: config.dataDir,
      subscribers: config.subscribers,
      webhooks: config.secrets.webhooks,
      ...(options.onPublished ? { onPublished: (file: string) => options.onPublished!(file) } : {}),
      ...(replica ? { mayPublish: replica.mayAct } : {}),
      clock,
      log,
    });
    publisher.start();
    cleanups.push(() => publisher.stop());

    // 8. Go: resume pauses journaled (or owed) before a restart, then follow the chain.
    void breaker.resumePending(config.autoPause).catch((e) => logger.error({ err: (e as Error).message }, "resuming journaled pauses failed"));
    wakeFollower = () => follower.wake();
    heads?.start();
    cleanups.push(async () => heads?.stop());
    const done = follower.run().catch((e) => {
      logger.fatal({ err: (e as Error).message }, "follower stopped");
    });
    cleanups.push(async () => {
      await follower.stop();
      breaker.stop();
      await breaker.idle();
    });
    logger.info(
      { chainId: config.chainId, endpoints: config.rpc.endpoints.map((e) => e.name), admin: admin.url, metrics: `http://${observability.host}:${observability.port}`, dataDir: config.dataDir, sentinel: sentinel?.address ?? null },
      "guardian daemon started",
    );

    let stopped = false;
    return {
      store,
      follower,
      breaker,
      admin,
      observability,
      deployment,
      logger,
      ...(preemption ? { preemption } : {}),
      health,
      done,
      async stop() {
        if (stopped) return;
        stopped = true;
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export { LAYER_ID, LAYERS };

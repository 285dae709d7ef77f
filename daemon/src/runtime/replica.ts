/**
 * A replica: one of N `guardian run` processes on one chain and one shared
 * store (PostgreSQL). One of them leads at a time, under a lease carrying a
 * term (a fencing token); the others stand by and take over when it lapses.
 *
 *     standby ──(lease free or expired: acquire, term+1)──► leader: refresh, startDaemon
 *        ▲                                                      │ renew every block
 *        └────(renewal refused, or not renewed in time)─────────┘ stop the daemon
 *
 * What makes it safe:
 * - Every store write of the leader is conditional on its term (the store
 *   checks the lease in the write's own transaction): a leader that froze
 *   (SIGSTOP, a long GC pause, a partition) and wakes up after losing the
 *   lease writes nothing, whatever it was doing.
 * - What leaves the process besides store writes (notifications, status
 *   files, the sentinel's heartbeats and releases) asks `mayAct()` first: true only while the lease, as this process
 *   last renewed it, has not run out by its own monotonic clock (counted from
 *   when the renewal was SENT, less a fifth of the lease, so it always ends
 *   before the database's). Notifications are also claimed under the term
 *   before they are sent (DeliverDeps.lease).
 * - A sentinel pause is journaled (a fenced write) before it is broadcast,
 *   and a new leader resumes the journal: one pause per incident, the same
 *   signed transaction if it is sent again.
 * - A new leader starts from what the last one committed (`refresh()`), so
 *   the checkpoint carries exactly-once processing across replicas.
 *
 * The standby keeps its store warm (refreshed every few blocks) and polls the
 * lease four times a block, so it takes over within about a block of the
 * lease's expiry plus its own start-up.
 */
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { Gauge } from "prom-client";
import type { Logger } from "pino";
import type { GuardianStore } from "../store/index.js";
import type { LeaseState, PostgresLease } from "../store/postgres/index.js";
import { startDaemon, type DaemonOptions, type RunningDaemon } from "./daemon.js";
import { DaemonMetrics, startObservabilityServer, type HealthReport, type ObservabilityServer } from "./observability.js";

/** A shared store with a lease: the PostgreSQL store opened with `lease`. */
export type LeasedStore = GuardianStore & { readonly lease: PostgresLease; refresh(): Promise<void> };

export type ReplicaRole = "leader" | "standby";

/** Incident requests queued by `guardian incident …` while another process leads (store/postgres/requests.ts). */
export interface RequestSource {
  pending(limit?: number): Promise<Array<{ id: string; op: "trigger" | "update" | "acknowledge" | "publish"; target?: string; body: Record<string, unknown> }>>;
  remove(id: string): Promise<void>;
}

export interface ReplicaOptions extends Omit<DaemonOptions, "replica"> {
  store: LeasedStore;
  logger: Logger;
  /** Queued incident requests the leader applies (once each: StoreData.requests). */
  requests?: RequestSource;
}

export interface RunningReplica {
  readonly holder: string;
  role(): ReplicaRole;
  /** The term this replica leads under; undefined while standing by. */
  term(): number | undefined;
  /** The running daemon while leading. */
  daemon(): RunningDaemon | undefined;
  readonly observability: ObservabilityServer;
  readonly metrics: DaemonMetrics;
  /** Resolves when the replica stops (stop(), or the daemon's follower halting). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** A unique name for this replica: host, pid and a random part (printable, no spaces). */
export function replicaHolder(): string {
  return `${hostname().replace(/[^\x21-\x7e]|\$/g, "_").slice(0, 60)}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** How long the lease lasts and how often a replica looks at it, from the block time. */
export function leaseTiming(blockTimeMs: number, ttlMs?: number): { ttlMs: number; renewMs: number; pollMs: number; refreshMs: number } {
  const ttl = ttlMs ?? Math.max(3_000, 3 * blockTimeMs);
  return {
    ttlMs: ttl,
    renewMs: Math.max(100, Math.min(blockTimeMs, Math.floor(ttl / 3))),
    pollMs: Math.max(50, Math.floor(blockTimeMs / 4)),
    refreshMs: Math.max(1_000, 5 * blockTimeMs),
  };
}

export async function startReplica(options: ReplicaOptions): Promise<RunningReplica> {
  const { store, logger, config } = options;
  const timing = leaseTiming(config.blockTimeMs, store.lease.ttlMs);
  const margin = Math.floor(store.lease.ttlMs / 5);
  const metrics = new DaemonMetrics();
  const leaderGauge = new Gauge({ name: "guardian_replica_leader", help: "1 while this replica leads (holds the lease), 0 while it stands by", registers: [metrics.registry] });
  const termGauge = new Gauge({ name: "guardian_replica_term", help: "The lease's term as this replica last saw it (it leads under it when guardian_replica_leader is 1)", registers: [metrics.registry] });

  let role: ReplicaRole = "standby";
  let term: number | undefined;
  let seen: LeaseState | undefined;
  let validUntil = 0;
  let daemon: RunningDaemon | undefined;
  let daemonHealth: (() => HealthReport) | undefined;
  let daemonScrape: (() => void) | undefined;
  let stopped = false;

  const mayAct = () => role === "leader" && !stopped && performance.now() < validUntil;
  const health = (): HealthReport => {
    const who = { role, holder: store.lease.holder, ...(role === "leader" ? { term } : seen ? { term: seen.term, leader: seen.holder ?? null } : {}) };
    if (role === "leader" && daemonHealth) return { ...daemonHealth(), ...who };
    return { ok: true, ...who };
  };
  const observability = await startObservabilityServer({
    host: config.metrics.host,
    port: config.metrics.port,
    metrics,
    health,
    beforeScrape: () => {
      leaderGauge.set(role === "leader" ? 1 : 0);
      termGauge.set(role === "leader" ? (term ?? 0) : (seen?.term ?? 0));
      if (role === "leader") daemonScrape?.();
    },
  });

  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });

  const stepDown = async (why: string) => {
    const was = term;
    role = "standby";
    term = undefined;
    validUntil = 0;
    const running = daemon;
    daemon = undefined;
    daemonHealth = undefined;
    daemonScrape = undefined;
    logger.warn({ term: was, why }, "replica: stepping down to standby");
    await running?.stop().catch((e) => logger.error({ err: (e as Error).message }, "replica: stopping the daemon failed"));
  };

  let halted: Error | undefined;
  /**
   * Leads under `acquired`: the daemon starts in the background while the
   * loop goes on renewing the lease (a start slower than the lease must not
   * lose it). A start that ends after this term did is stopped at once.
   */
  const lead = (acquired: number, sentAt: number) => {
    validUntil = sentAt + store.lease.ttlMs - margin;
    role = "leader";
    term = acquired;
    logger.info({ term, holder: store.lease.holder }, "replica: leading");
    const hooks = {
      store,
      metrics,
      observability,
      serve: (h: () => HealthReport, scrape: () => void) => {
        if (term !== acquired) return;
        daemonHealth = h;
        daemonScrape = scrape;
      },
      mayAct: () => term === acquired && mayAct(),
      claimMs: store.lease.ttlMs + 10_000,
    };
    const { store: _ignored, logger: _logger, requests: _requests, ...daemonOptions } = options;
    const start = async () => {
      await store.refresh();
      const started = await startDaemon({ ...daemonOptions, logger, replica: hooks });
      if (term !== acquired || stopped) {
        await started.stop().catch((e) => logger.error({ err: (e as Error).message }, "replica: stopping a daemon started too late failed"));
        return;
      }
      daemon = started;
      void started.done.then(() => {
        if (daemon === started && !stopped) {
          halted = new Error("the follower halted (see the log)");
          stopped = true;
          wake?.();
        }
      });
    };
    starting = start().catch(async (error: unknown) => {
      if (term !== acquired) return;
      await stepDown(`could not start: ${(error as Error).message}`);
      await store.lease.release().catch(() => undefined);
    });
  };
  let starting: Promise<void> = Promise.resolve();

  const loop = async () => {
    let lastRefresh = 0;
    while (!stopped) {
      try {
        if (role === "standby") {
          const sentAt = performance.now();
          const acquired = await store.lease.acquire();
          if (acquired !== undefined) {
            lead(acquired, sentAt);
            continue;
          }
          seen = await store.lease.current();
          if (performance.now() - lastRefresh >= timing.refreshMs) {
            await store.refresh();
            lastRefresh = performance.now();
          }
          await sleep(timing.pollMs);
        } else {
          await sleep(timing.renewMs);
          if (stopped || role !== "leader") continue;
          const sentAt = performance.now();
          const renewed = await store.lease.renew().catch((error: unknown) => {
            logger.warn({ err: (error as Error).message }, "replica: lease renewal failed");
            return undefined;
          });
          if (renewed === true) validUntil = sentAt + store.lease.ttlMs - margin;
          else if (renewed === false) await stepDown("the lease was taken or expired");
          else if (performance.now() >= validUntil) await stepDown("the lease could not be renewed in time");
        }
      } catch (error) {
        logger.warn({ err: (error as Error).message }, "replica: lease step failed");
        if (role === "leader" && performance.now() >= validUntil) await stepDown("the lease could not be renewed in time");
        await sleep(timing.pollMs);
      }
    }
  };
  // The leader applies queued incident requests through its daemon's incident service (a Critical trigger engages the breaker).
  const applyRequests = async () => {
    const source = options.requests;
    if (!source) return;
    while (!stopped) {
      await sleep2(timing.pollMs);
      const running = daemon;
      if (role !== "leader" || !running || !mayAct()) continue;
      try {
        for (const request of await source.pending()) {
          if (daemon !== running || !mayAct()) break;
          if (store.read().requests?.[request.id] === undefined) {
            const service = running.admin.service;
            const call = { requestId: request.id };
            const applied =
              request.op === "trigger"
                ? service.trigger(request.body as never, call)
                : request.op === "update"
                  ? service.update(request.target ?? "", request.body as never, call)
                  : request.op === "publish"
                    ? service.publish(request.target ?? "", request.body as never, call)
                    : service.acknowledge(request.target ?? "", request.body as never, call);
            await applied.catch((error: unknown) => logger.info({ request: request.id, op: request.op, err: (error as Error).message }, "replica: queued incident request refused"));
          }
          // Deleted once its outcome is in the store (a refusal is recorded too); a fenced write leaves it for the next leader.
          if (store.read().requests?.[request.id] !== undefined) await source.remove(request.id);
        }
      } catch (error) {
        logger.warn({ err: (error as Error).message }, "replica: reading queued incident requests failed");
      }
    }
  };
  const sleep2 = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const requestsLoop = applyRequests();

  const done = loop().then(async () => {
    await requestsLoop;
    await starting;
    if (role === "leader") {
      await stepDown(halted ? halted.message : "stopping");
      await store.lease.release().catch(() => undefined);
    }
    await observability.close();
    if (halted) logger.fatal({ err: halted.message }, "replica: stopped");
  });

  return {
    holder: store.lease.holder,
    role: () => role,
    term: () => term,
    daemon: () => daemon,
    observability,
    metrics,
    done,
    async stop() {
      stopped = true;
      wake?.();
      await done;
    },
  };
}

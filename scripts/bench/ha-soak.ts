/**
 * The HA soak: N `guardian run --record-processed` replicas (default 3) on
 * one chain and one throwaway PostgreSQL cluster, while the single-daemon
 * soak's weather goes on (kit traffic, RPC faults at three endpoints, reorgs,
 * Critical symptoms), and chaos aimed at the LEADER (found by /healthz role):
 *
 * - SIGKILL (a new replica takes the slot a few seconds later);
 * - SIGSTOP for longer than the lease, then SIGCONT (it must write nothing
 *   and step down: its log says "stepping down");
 * - its database connections cut (pg_terminate_backend on the backends whose
 *   client port is one of its sockets, read from /proc);
 * - a PostgreSQL restart (once).
 *
 * Notifications go to a counting webhook receiver (on-call's channel).
 *
 * Who wrote what: before the replicas start, the soak adds its own audit
 * triggers to the throwaway database (schema soak_audit, never part of
 * Guardian): every row a replica writes to the checkpoint, the processed
 * log, incidents or the outbox records the lease's term and holder as its
 * transaction saw them, the backend's client port and the database's clock.
 * Fenced transactions hold the lease row's lock until they commit, so the
 * audit's order is the commit order. That gives the stale-term check (terms
 * never go backwards; the lease was live; the writing process — its client
 * port, mapped to a pid by sampling /proc — is the holder named in the
 * lease) and the takeover figure (from the old lease's expiry to the first
 * processed block written under a newer term, both on the database's clock).
 *
 * Invariants (checkData in soak.ts, on the database's rows: every canonical
 * block processed exactly once, no incident duplicated, one pause per
 * Critical symptom, at most one per Critical incident), plus: no
 * notification delivered twice, no write from a stale term, every
 * SIGSTOPped leader stepped down.
 */
import { appendFileSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { parseAbi, toHex, type Hex } from "viem";
import { createAdminClient } from "../../daemon/src/admin/client.js";
import { owedPauses } from "../../daemon/src/runtime/circuit-breaker.js";
import { hubIncidentRef } from "../../daemon/src/runtime/circuit-breaker.js";
import { openPostgresStore, type PostgresStore } from "../../daemon/src/store/postgres/index.js";
import type { OutboxItem } from "../../daemon/src/store/index.js";
import type { Incident } from "../../daemon/src/types.js";
import { seeded, startReceiver, type Receiver } from "../../test/daemon/helpers/webhook-receiver.js";
import { startRpcProxy, type RpcProxy } from "../lib/fault-proxy.js";
import { startPostgres, type PostgresCluster } from "../lib/postgres.js";
import {
  ADMIN_TOKEN,
  SENTINEL_COOLDOWN_SECONDS,
  SENTINEL_PAUSE_SECONDS,
  daemonEnv,
  guardianCli,
  sleep,
  spawnDaemon,
  startBenchStack,
  waitUntil,
  writeDaemonConfig,
  type BenchStack,
  type DaemonProcess,
} from "./stack.js";
import { between, checkData, faultWeather, ownableAbi, pauseTopic, trafficWeather, type CheckedData, type Weather, type SoakCheck, type SoakOptions, type SoakReport, type SoakSymptom } from "./soak.js";
import { kitTraffic } from "./traffic.js";

/** One leader loss and who took over. */
export interface Takeover {
  /** What happened to the leader. */
  cause: "sigkill" | "sigstop" | "db-cut" | "pg-restart";
  oldTerm: number;
  newTerm: number;
  leaseMs: number;
  /** From the chaos (kill, stop, cut, restart) to the old lease's expiry (database clock). */
  lossToExpiryMs: number;
  /** From the old lease's expiry to the first processed block the new leader committed (database clock). */
  expiryToFirstCommitMs: number;
  /** Of which: from the expiry to a standby taking the lease (the rest is its start as leader and first block). */
  expiryToAcquireMs: number;
  /** Blocks the node mined in that time. */
  blocks: number;
  /** The first block the new leader committed. */
  firstBlock: number;
}

export interface HaStats {
  replicas: number;
  leaseMs: number;
  replicaStarts: number;
  sigkills: number;
  sigstops: number;
  dbCuts: number;
  /** Backends terminated by the cuts. */
  backendsCut: number;
  pgRestarts: number;
  takeovers: Takeover[];
  /** Terms the lease went through. */
  terms: number;
  auditedWrites: number;
  /** Audited writes whose process was identified by its client port. */
  attributedWrites: number;
  /** Replicas that exited without being told to (restarted by the soak, as a service manager would). */
  ownExits: number;
  /**
   * ids: notifications received; deliveries: 2xx answers; refused: attempts the receiver refused;
   * resentAcrossLoss: ids delivered again after a chaos event at the leader between the two deliveries (sent,
   * then the leader lost before it recorded the delivery: the next leader sends it again, same X-Guardian-Id).
   */
  notifications: { ids: number; deliveries: number; refused: number; resentAcrossLoss: number };
}

const SCHEMA = "guardian";
const HMAC = "ha-soak-hmac-0b7e51a2c9";
const hubPausedAbi = parseAbi(["function isPaused(uint8) view returns (bool)"]);

interface Slot {
  n: number;
  dataDir: string;
  configFile: string;
  proc?: DaemonProcess;
  metricsUrl?: string;
  stopped: boolean;
  /** The soak is over: start nothing more here. */
  closed?: boolean;
  /** Every process this slot ran: pid, its whole log. */
  history: Array<{ pid: number; log: string; /** Where its log stood at each SIGCONT. */ continuedAt: number[]; ready: boolean; /** Exited without being told to (by the soak's signals). */ exitedOnItsOwn?: string }>;
}

/** The database's view for the soak: its own pool, never a replica's. */
function dbClient(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 2, application_name: "guardian ha-soak check", connectionTimeoutMillis: 5_000 });
  pool.on("error", () => undefined); // a restart or a cut drops idle connections: the next query reconnects
  return {
    async q<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
      for (let attempt = 0; ; attempt++) {
        try {
          return (await pool.query<R>(text, values)).rows;
        } catch (error) {
          if (attempt >= 40) throw error;
          await sleep(250); // PostgreSQL restarting
        }
      }
    },
    end: () => pool.end(),
  };
}
type Db = ReturnType<typeof dbClient>;

/** The audit: the soak's own triggers on Guardian's tables (schema `schema`) in the throwaway database. */
export async function installAudit(q: (text: string) => Promise<unknown>, schema: string): Promise<void> {
  await q(`CREATE SCHEMA IF NOT EXISTS soak_audit`);
  await q(`CREATE TABLE IF NOT EXISTS soak_audit.writes (
      seq bigserial PRIMARY KEY, tbl text NOT NULL, op text NOT NULL, term bigint, holder text, live boolean,
      client_port integer, at timestamptz NOT NULL DEFAULT clock_timestamp(), block bigint)`);
  // The lease row as the writing transaction sees it: a fenced transaction has it locked (FOR UPDATE) already.
  await q(`CREATE OR REPLACE FUNCTION soak_audit.record_${schema}() RETURNS trigger LANGUAGE plpgsql AS $f$
    BEGIN
      INSERT INTO soak_audit.writes (tbl, op, term, holder, live, client_port, block)
        SELECT TG_TABLE_NAME, TG_OP, l.term, l.holder, l.expires_at > now(), inet_client_port(),
               CASE WHEN TG_TABLE_NAME = 'processed_log' AND TG_OP = 'INSERT' THEN (to_jsonb(NEW)->>'number')::bigint END
          FROM "${schema}".guardian_lease l WHERE l.id = 1;
      RETURN NULL;
    END $f$`);
  // When each term began (the takeover's first half: how soon a standby took the lease).
  await q(`CREATE TABLE IF NOT EXISTS soak_audit.terms (term bigint NOT NULL, holder text, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  await q(`CREATE OR REPLACE FUNCTION soak_audit.term_${schema}() RETURNS trigger LANGUAGE plpgsql AS $f$
    BEGIN
      IF NEW.term <> OLD.term THEN INSERT INTO soak_audit.terms (term, holder) VALUES (NEW.term, NEW.holder); END IF;
      RETURN NULL;
    END $f$`);
  await q(`CREATE TRIGGER soak_audit_term AFTER UPDATE ON "${schema}".guardian_lease FOR EACH ROW EXECUTE FUNCTION soak_audit.term_${schema}()`);
  for (const table of ["checkpoint", "processed_log", "incidents", "outbox"])
    await q(`CREATE TRIGGER soak_audit AFTER INSERT OR UPDATE OR DELETE ON "${schema}".${table} FOR EACH ROW EXECUTE FUNCTION soak_audit.record_${schema}()`);
}

/** One audited row write. */
export interface AuditedWrite {
  seq: string | number;
  tbl: string;
  term: string | number | null;
  holder: string | null;
  live: boolean | null;
  client_port: number | null;
}

/** The replica's pid in a lease holder's name (host:pid:random, see replicaHolder). */
export const pidOfHolder = (holder: string | null | undefined) => (holder ? Number(holder.split(":").at(-2)) : undefined);

/**
 * Writes from a stale term, in commit order (the audit's): a term lower than one already committed, a write
 * while the lease was free or expired, or a write by a process (its client port, `portOwner`) other than the
 * holder the lease names. Also how many writes could be attributed to a process, and the last term.
 */
export function auditProblems(writes: readonly AuditedWrite[], portOwner: ReadonlyMap<number, number>): { problems: string[]; attributed: number; maxTerm: number } {
  const problems: string[] = [];
  let maxTerm = 0;
  let attributed = 0;
  for (const wr of writes) {
    const term = Number(wr.term);
    if (term < maxTerm) problems.push(`write #${wr.seq} (${wr.tbl}) under term ${term} after term ${maxTerm}`);
    maxTerm = Math.max(maxTerm, term);
    if (!wr.live || !wr.holder) problems.push(`write #${wr.seq} (${wr.tbl}) while the lease was ${wr.holder ? "expired" : "free"}`);
    const owner = wr.client_port === null ? undefined : portOwner.get(wr.client_port);
    if (owner !== undefined) {
      attributed++;
      if (owner !== pidOfHolder(wr.holder)) problems.push(`write #${wr.seq} (${wr.tbl}) by pid ${owner} while ${wr.holder} held term ${term}`);
    }
  }
  return { problems, attributed, maxTerm };
}

/** Local ports of `pid`'s TCP connections to `serverPort` (its sockets in /proc/<pid>/fd, matched in /proc/net/tcp). */
export function clientPortsOf(pid: number, serverPort: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const local = parseInt(f[1]!.split(":")[1]!, 16);
      const remote = parseInt(f[2]!.split(":")[1]!, 16);
      if (remote === serverPort && inodes.has(f[9]!)) ports.push(local);
    }
  }
  return ports;
}

export async function runHaSoak(o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? (() => {});
  const blockIntervalMs = o.blockIntervalMs ?? 400;
  const replicas = o.replicas ?? 3;
  if (!Number.isInteger(replicas) || replicas < 2) throw new Error(`replicas: expected an integer of at least 2, got ${replicas}`);
  const leaseMs = o.leaseMs ?? Math.max(1_500, 3 * blockIntervalMs);
  const started = performance.now();
  const stack = await startBenchStack();
  const proxies: RpcProxy[] = [];
  const slots: Slot[] = [];
  let cluster: PostgresCluster | undefined;
  let receiver: Receiver | undefined;
  let db: Db | undefined;
  let view: PostgresStore | undefined;
  try {
    cluster = await startPostgres();
    const rand = seeded(14);
    // Now and then the receiver fails (a 503 is not a delivery): the outbox retries.
    receiver = await startReceiver({ secret: HMAC, routingKey: "unused", decide: () => (rand() < 0.1 ? { status: 503 } : "ok") });
    db = dbClient(cluster.url);
    // The schema first (as a replica would create it), then the audit triggers, then the replicas.
    view = await openPostgresStore({ url: cluster.url, chainId: stack.deployment.chainId, purpose: "ha-soak view", schema: SCHEMA, recordProcessed: true, poolSize: 2 });
    await installAudit((text) => db!.q(text), SCHEMA);
    return await haSoak({ stack, o, log, blockIntervalMs, replicas, leaseMs, started, proxies, slots, cluster, receiver, db, view, chaosTimes: [] });
  } finally {
    for (const s of slots) {
      s.closed = true;
      if (s.proc) {
        s.proc.child.kill("SIGCONT");
        await s.proc.kill("SIGKILL");
      }
    }
    for (const p of proxies) await p.close();
    await view?.close().catch(() => undefined);
    await db?.end().catch(() => undefined);
    await receiver?.close();
    await cluster?.stop();
    await stack.stop();
  }
}

interface HaCtx {
  stack: BenchStack;
  o: SoakOptions;
  log: (line: string) => void;
  blockIntervalMs: number;
  replicas: number;
  leaseMs: number;
  started: number;
  proxies: RpcProxy[];
  slots: Slot[];
  cluster: PostgresCluster;
  receiver: Receiver;
  db: Db;
  view: PostgresStore;
  chaosTimes: number[];
}

async function haSoak(c: HaCtx): Promise<SoakReport> {
  const { stack, o, log, db, view, cluster, receiver, slots } = c;
  const { client, deployment: d, wallets: w, rpc } = stack;
  const traffic = await kitTraffic(stack, "0x50a5");
  const faultsOn = o.faults ?? true;
  const reorgsOn = o.reorgs ?? true;

  const primary = await startRpcProxy({ target: stack.chain.url, name: "primary" });
  const lagging = await startRpcProxy({ target: stack.chain.url, name: "lagging" });
  const liar = await startRpcProxy({ target: stack.chain.url, name: "liar" });
  c.proxies.push(primary, lagging, liar);
  if (faultsOn) {
    lagging.setHead({ mode: "lag", blocks: 8 });
    liar.setHead({ mode: "lie", offset: 1_000_000 });
  }

  // One config per replica: the same but for its data directory (admin.json, status files).
  const env = (configFile: string) => ({
    ...daemonEnv(configFile),
    GUARDIAN_DATABASE_URL: cluster.url,
    GUARDIAN_WEBHOOK_ONCALL: receiver.url(`/generic/oncall#secret=${HMAC}`),
  });
  for (let n = 0; n < c.replicas; n++) {
    const dataDir = path.join(stack.dir, `data-replica-${n}`);
    const configFile = writeDaemonConfig(stack, `replica-${n}`, { rpcUrls: [primary.url, lagging.url, liar.url], blockTimeMs: 500, dataDir, requestTimeoutMs: 1000 });
    const config = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
    config.store = { kind: "postgres", schema: SCHEMA, leaseMs: c.leaseMs };
    config.escalation = { oncall: { name: "Ona", channel: "webhook:oncall" } };
    await import("node:fs").then((fs) => fs.writeFileSync(configFile, JSON.stringify(config, null, 2)));
    slots.push({ n, dataDir, configFile, stopped: false, history: [] });
  }
  const startBlock = Number(await client.getBlockNumber({ cacheTime: 0 })) + 1;
  const daemonArgs = ["--record-processed", "--start-block", String(startBlock), "--publish-interval", "5", "--heartbeat-interval", "0"];

  const ha: HaStats = {
    replicas: c.replicas,
    leaseMs: c.leaseMs,
    replicaStarts: 0,
    sigkills: 0,
    sigstops: 0,
    dbCuts: 0,
    backendsCut: 0,
    pgRestarts: 0,
    takeovers: [],
    terms: 0,
    auditedWrites: 0,
    attributedWrites: 0,
    ownExits: 0,
    notifications: { ids: 0, deliveries: 0, refused: 0, resentAcrossLoss: 0 },
  };
  const stats: SoakReport["stats"] = {
    seconds: 0,
    blocks: 0,
    daemonStarts: 0,
    sigkills: 0,
    reorgs: 0,
    droppedBlocks: 0,
    symptoms: [],
    faults: {},
    requests: {},
    incidents: 0,
    incidentsBySource: {},
    pauseTxs: 0,
    ha,
  };

  let finalStop = false;
  const startReplica = (slot: Slot): DaemonProcess => {
    const proc = spawnDaemon(stack.dir, env(slot.configFile), daemonArgs);
    const entry: Slot["history"][number] = { pid: proc.pid, log: "", continuedAt: [], ready: false };
    slot.history.push(entry);
    proc.child.stderr!.on("data", (b: Buffer) => {
      entry.log += b.toString();
      if (o.daemonLog) appendFileSync(o.daemonLog, b);
    });
    slot.proc = proc;
    slot.stopped = false;
    slot.metricsUrl = undefined;
    void proc.ready.then((url) => {
      entry.ready = true;
      if (slot.proc === proc) slot.metricsUrl = url;
    }, () => undefined);
    // Like a service manager: a replica that exits on its own (not by the soak's SIGKILL or the final SIGTERM)
    // is noted and started again.
    void proc.exited.then(({ code, signal }) => {
      if (slot.proc !== proc || finalStop || slot.closed) return;
      entry.exitedOnItsOwn = `exit ${code ?? signal}${entry.ready ? "" : " before it was ready"}: ${entry.log.slice(-600)}`;
      ha.ownExits++;
      log(`  replica pid ${proc.pid} exited on its own (${code ?? signal}${entry.ready ? "" : ", before it was ready"}): started again`);
      slot.proc = undefined;
      slot.metricsUrl = undefined;
      setTimeout(() => {
        if (!finalStop && !slot.closed && !slot.proc) startReplica(slot);
      }, 1_000);
    });
    ha.replicaStarts++;
    stats.daemonStarts++;
    return proc;
  };

  // Client port → pid of the replica that had it, sampled while the soak runs (for the audit's writer check).
  const portOwner = new Map<number, number>();
  let sampling = true;
  const sampleLoop = (async () => {
    while (sampling) {
      for (const s of slots) if (s.proc && s.proc.child.exitCode === null) for (const port of clientPortsOf(s.proc.pid, cluster.port)) portOwner.set(port, s.proc.pid);
      await sleep(100);
    }
  })();

  /** The leader by /healthz: the live, running replica saying role "leader" (the highest term if two say so). */
  const findLeader = async (): Promise<{ slot: Slot; term: number } | undefined> => {
    const answers = await Promise.all(
      slots.map(async (slot) => {
        if (!slot.proc || slot.stopped || !slot.metricsUrl || slot.proc.child.exitCode !== null) return undefined;
        try {
          const h = (await (await fetch(`${slot.metricsUrl}/healthz`, { signal: AbortSignal.timeout(1_500) })).json()) as { role?: string; term?: number };
          return h.role === "leader" ? { slot, term: h.term ?? 0 } : undefined;
        } catch {
          return undefined;
        }
      }),
    );
    return answers.filter((a) => a !== undefined).sort((a, b) => b.term - a.term)[0];
  };
  const lease = async () =>
    (await db.q<{ term: string; holder: string | null; expires_ms: string; now_ms: string }>(
      `SELECT term, holder, extract(epoch FROM expires_at) * 1000 AS expires_ms, extract(epoch FROM now()) * 1000 AS now_ms FROM ${SCHEMA}.guardian_lease WHERE id = 1`,
    ))[0]!;

  /**
   * After the leader (under `oldTerm`) was lost: waits for a processed block written under a newer term and
   * measures from the old lease's expiry (database clock), with the blocks the node mined meanwhile.
   */
  const measureTakeover = async (cause: Takeover["cause"], oldTerm: number, lossAtDbMs: number, expiresAtLossMs: number): Promise<Takeover | undefined> => {
    const heads: Array<{ at: number; head: number }> = [];
    let expiresMs = expiresAtLossMs;
    const deadline = performance.now() + 60_000;
    while (performance.now() < deadline) {
      const l = await lease();
      if (Number(l.term) === oldTerm) expiresMs = Number(l.expires_ms);
      heads.push({ at: Number(l.now_ms), head: Number(await client.getBlockNumber({ cacheTime: 0 })) });
      const first = (
        await db.q<{ term: string; block: string; at_ms: string }>(
          `SELECT term, block, extract(epoch FROM at) * 1000 AS at_ms FROM soak_audit.writes WHERE tbl = 'processed_log' AND op = 'INSERT' AND term > $1 ORDER BY seq LIMIT 1`,
          [oldTerm],
        )
      )[0];
      if (first) {
        const commitMs = Number(first.at_ms);
        const acquired = (await db.q<{ at_ms: string }>(`SELECT extract(epoch FROM at) * 1000 AS at_ms FROM soak_audit.terms WHERE term = $1`, [first.term]))[0];
        const headAt = (t: number) => [...heads].reverse().find((h) => h.at <= t)?.head ?? heads[0]!.head;
        return {
          cause,
          oldTerm,
          newTerm: Number(first.term),
          leaseMs: c.leaseMs,
          lossToExpiryMs: Math.round(expiresMs - lossAtDbMs),
          expiryToFirstCommitMs: Math.round(commitMs - expiresMs),
          expiryToAcquireMs: acquired ? Math.round(Number(acquired.at_ms) - expiresMs) : Number.NaN,
          blocks: Math.max(0, headAt(commitMs) - headAt(expiresMs)),
          firstBlock: Number(first.block),
        };
      }
      await sleep(50);
    }
    return undefined;
  };
  const report = (t: Takeover | undefined, what: string) => {
    if (!t) return log(`  ${what}: no new leader committed a block within 60 s`);
    ha.takeovers.push(t);
    log(
      `  ${what}: term ${t.oldTerm} → ${t.newTerm}; lease ${t.leaseMs} ms expired ${t.lossToExpiryMs} ms after the loss; ` +
        `term ${t.newTerm} taken ${t.expiryToAcquireMs} ms after the expiry, its first block (${t.firstBlock}) committed ${t.expiryToFirstCommitMs} ms after the expiry, ${t.blocks} block(s) mined meanwhile`,
    );
  };

  await rpc("evm_setAutomine", [false]);
  await rpc("evm_setIntervalMining", [c.blockIntervalMs]);
  for (const slot of slots) startReplica(slot);
  await Promise.all(slots.map((s) => s.proc!.ready));
  await waitUntil(async () => (await findLeader()) !== undefined, 60_000, "a leader", 200);

  const weather: Weather = { stopping: false, inSymptom: false, outage: false };
  const deadline = performance.now() + o.durationMs;

  // 1. Traffic.
  const trafficLoop = trafficWeather(weather, traffic, client);

  // 2. Faults at the RPC endpoints (as in the single-daemon soak).
  const faultLoop = faultsOn ? faultWeather(weather, { primary, lagging, liar }, stats.faults) : Promise.resolve();

  // 3. Chaos at the leader: SIGKILL, SIGSTOP past the lease, its connections cut, PostgreSQL restarted once.
  const plan: Array<Takeover["cause"]> = ["sigkill", "sigstop", "db-cut", "sigkill", "pg-restart", "sigstop", "db-cut"];
  let chaosFailure: Error | undefined;
  /** When each chaos action began (wall clock, as the receiver stamps requests). */
  const chaosTimes = c.chaosTimes;
  const chaosLoop = (async () => {
    let i = 0;
    await sleep(between(2_000, 3_000));
    while (!weather.stopping) {
      const cause = plan[i % plan.length]!;
      i++;
      if (cause === "pg-restart" && ha.pgRestarts > 0) continue;
      const leader = await findLeader();
      if (!leader) {
        await sleep(500);
        continue;
      }
      const { slot, term } = leader;
      const proc = slot.proc!;
      chaosTimes.push(Date.now());
      const before = await lease();
      const lossAt = Number(before.now_ms);
      // The lease as it stood at the loss (a commit in flight may still extend it: measureTakeover follows it).
      const expiresAtLoss = Number(before.term) === term ? Number(before.expires_ms) : lossAt;
      if (cause === "sigkill") {
        slot.proc = undefined;
        slot.metricsUrl = undefined;
        await proc.kill("SIGKILL");
        ha.sigkills++;
        stats.sigkills++;
        report(await measureTakeover(cause, term, lossAt, expiresAtLoss), `SIGKILL of the leader (pid ${proc.pid})`);
        // A new replica in its place, a little later.
        await sleep(between(500, 2_000));
        if (!weather.stopping && !slot.proc) startReplica(slot);
      } else if (cause === "sigstop") {
        proc.child.kill("SIGSTOP");
        slot.stopped = true;
        ha.sigstops++;
        const takeover = measureTakeover(cause, term, lossAt, expiresAtLoss);
        // Frozen for longer than the lease: past its expiry plus two more lease lengths.
        await sleep(c.leaseMs * 3 + between(0, 1_000));
        report(await takeover, `SIGSTOP of the leader (pid ${proc.pid})`);
        const entry = slot.history.find((h) => h.pid === proc.pid)!;
        entry.continuedAt.push(entry.log.length);
        proc.child.kill("SIGCONT");
        slot.stopped = false;
        log(`  SIGCONT pid ${proc.pid}`);
      } else if (cause === "db-cut") {
        const ports = clientPortsOf(proc.pid, cluster.port);
        const cut = await db.q<{ pid: number }>(
          `SELECT pg_terminate_backend(pid) AS ok, pid FROM pg_stat_activity WHERE client_port = ANY($1::int[]) AND application_name LIKE 'guardian daemon%'`,
          [ports],
        );
        ha.dbCuts++;
        ha.backendsCut += cut.length;
        log(`  cut the leader's database connections (pid ${proc.pid}, term ${term}): ${cut.length} backend(s) terminated`);
      } else {
        await cluster.restart();
        ha.pgRestarts++;
        log(`  PostgreSQL restarted (leader pid ${proc.pid}, term ${term})`);
      }
      // A leadership change the cut or the restart caused is measured too.
      if (cause === "db-cut" || cause === "pg-restart") {
        await sleep(c.leaseMs * 2);
        if (Number((await lease()).term) > term) report(await measureTakeover(cause, term, lossAt, expiresAtLoss), `after the ${cause}`);
      }
      await sleep(between(2_000, 4_000));
    }
  })().catch((error: Error) => {
    chaosFailure = error;
  });

  // 4. The chain script: Critical symptoms (on-chain ownership transfers) and reorgs.
  const store = async () => {
    try {
      await view.refresh();
      return view.read();
    } catch {
      return undefined;
    }
  };
  /** Every incident, hot and archived, straight from the table. */
  const allIncidents = async () => (await db.q<{ body: Incident }>(`SELECT body FROM ${SCHEMA}.incidents`)).map((r) => r.body);
  const unpauseAll = async () => {
    const paused = await Promise.all([0, 1, 2].map((l) => client.readContract({ address: d.guardian.hub, abi: hubPausedAbi, functionName: "isPaused", args: [l] })));
    const layers = [0, 1, 2].filter((_, i) => paused[i]);
    if (layers.length) await stack.safeUnpause(layers);
  };
  /** Closes an incident through the leader's admin endpoint (whichever replica leads when asked). */
  const closeIncident = async (id: string) => {
    for (let attempt = 0; attempt < 120; attempt++) {
      const incident = (await allIncidents()).find((i) => i.id === id);
      if (incident?.state === "postreview") return;
      try {
        const leader = await findLeader();
        if (leader && incident) {
          const info = JSON.parse(readFileSync(path.join(leader.slot.dataDir, "admin.json"), "utf8")) as { host: string; port: number };
          const admin = createAdminClient({ host: info.host, port: info.port, token: ADMIN_TOKEN, timeoutMs: 3_000 });
          if (incident.state !== "recovered") await admin.update(id, { state: "recovered", message: "soak: undone" });
          else await admin.update(id, { state: "postreview" });
        }
      } catch {
        // the leader changed, froze or lost its connections mid-request: ask again
      }
      await sleep(250);
    }
    throw new Error(`could not close incident ${id}`);
  };
  const pausedOnChain = async (id: string) => {
    const logs = await rpc<Array<{ transactionHash: Hex }>>("eth_getLogs", [{ fromBlock: toHex(startBlock), toBlock: "latest", address: d.guardian.hub, topics: [pauseTopic, null, null, hubIncidentRef(id)] }]);
    return logs.length > 0;
  };
  let n = 0;
  // Symptom kinds: on-chain ownership transfers, and Critical incidents triggered with `guardian incident
  // trigger` on the PostgreSQL store (queued for the leader, or written straight under the lease when none leads).
  const kinds = (o.symptoms ?? ["on-chain", "manual"]).filter((k) => k === "on-chain" || k === "manual");
  if (kinds.length === 0) throw new Error("symptoms: expected on-chain and/or manual");
  const cliEnv = env(slots[0]!.configFile);
  const symptom = async () => {
    const k = ++n;
    const kind = kinds[(k - 1) % kinds.length]!;
    weather.inSymptom = true;
    await waitUntil(() => !weather.outage, 10_000, "the outage to end", 100);
    await unpauseAll();
    await rpc("evm_increaseTime", [SENTINEL_PAUSE_SECONDS + SENTINEL_COOLDOWN_SECONDS + 60]);
    const t0 = performance.now();
    let s: SoakSymptom;
    let target: "paymaster" | "accountFactory" | undefined;
    try {
      if (kind === "on-chain") {
        target = (k >> 1) % 2 === 0 ? "paymaster" : "accountFactory";
        const hash = await w.deployer.writeContract({ address: d.guardian[target], abi: ownableAbi, functionName: "transferOwnership", args: [w.stranger.account.address], gas: 100_000n });
        s = { n: k, kind, layer: target === "paymaster" ? "entryPoint" : "accountFactory", ref: hash };
        stats.symptoms.push(s);
        await client.waitForTransactionReceipt({ hash, pollingInterval: 100 });
        await waitUntil(
          async () => {
            const found = (await allIncidents()).find((i) => i.severity === "critical" && i.timeline.some((e) => e.evidence?.txHash === hash));
            if (found) s.incidentId = found.id;
            return !!found;
          },
          60_000,
          `the incident of symptom ${k}`,
          200,
        );
      } else {
        const contract = (["paymaster", "factory", "delegationManager"] as const)[(k >> 1) % 3]!;
        const layer = contract === "paymaster" ? "entryPoint" : contract === "factory" ? "accountFactory" : "delegation";
        const title = `ha soak symptom ${k}`;
        s = { n: k, kind, layer, ref: title };
        stats.symptoms.push(s);
        // The CLI may meet a leader being killed or frozen. A request it queued stays queued and is applied by
        // the next leader, so the soak asks again only when nothing was queued, and never once the title exists.
        for (let attempt = 0; !s.incidentId; attempt++) {
          const existing = (await allIncidents()).find((i) => i.title === title);
          if (existing) {
            s.incidentId = existing.id;
            break;
          }
          if (attempt > 20) throw new Error(`could not trigger symptom ${k}`);
          const r = await guardianCli(stack, cliEnv, ["incident", "trigger", contract, "--severity", "critical", "--title", title]).catch((error: Error) => ({ code: 1, out: "", err: error.message }));
          if (r.code === 0 && /^[0-9a-f-]{36}$/.test(r.out.trim())) s.incidentId = r.out.trim();
          else if (/stays queued/.test(r.err)) {
            await waitUntil(async () => (await allIncidents()).some((i) => i.title === title), 60_000, `queued trigger of symptom ${k} applied`, 250);
          } else {
            log(`  symptom ${k}: guardian incident trigger failed (${r.err.trim().split("\n")[0]?.slice(0, 200)}): again`);
            await sleep(500);
          }
        }
      }
      await waitUntil(() => pausedOnChain(s.incidentId!), 60_000, `the pause of symptom ${k}`, 250);
      s.pausedInMs = performance.now() - t0;
    } catch (error) {
      s = stats.symptoms.find((x) => x.n === k)!;
      if (!s) throw error;
      s.error = (error as Error).message;
      log(`  symptom ${k}: ${s.error}`);
    }
    if (target) {
      const back = await w.stranger.writeContract({ address: d.guardian[target], abi: ownableAbi, functionName: "transferOwnership", args: [w.deployer.account.address], gas: 100_000n });
      await client.waitForTransactionReceipt({ hash: back, pollingInterval: 100 });
    }
    await unpauseAll();
    await rpc("evm_increaseTime", [SENTINEL_PAUSE_SECONDS + SENTINEL_COOLDOWN_SECONDS + 60]);
    if (s.incidentId) await closeIncident(s.incidentId);
    weather.inSymptom = false;
    log(`  symptom ${k} (${kind}, ${s.layer}): ${s.pausedInMs !== undefined ? `paused after ${Math.round(s.pausedInMs)} ms` : "NOT paused"}`);
  };
  const reorg = async () => {
    await rpc("evm_setIntervalMining", [0]);
    try {
      const snapshot = await rpc<Hex>("evm_snapshot");
      const depth = 1 + Math.floor(Math.random() * 4);
      const droppedFirst = Number(await client.getBlockNumber({ cacheTime: 0 })) + 1;
      for (let i = 0; i < depth; i++) await rpc("evm_mine");
      const first = await client.getBlock({ blockNumber: BigInt(droppedFirst) });
      await sleep(between(200, 1500));
      await rpc("evm_revert", [snapshot]);
      await rpc("evm_setNextBlockTimestamp", [toHex(first.timestamp + 1n)]);
      for (let i = 0; i <= depth; i++) await rpc("evm_mine");
      stats.reorgs++;
      stats.droppedBlocks += depth;
    } finally {
      await rpc("evm_setIntervalMining", [c.blockIntervalMs]);
    }
  };

  let failure: unknown;
  try {
    while (performance.now() < deadline) {
      const r = Math.random();
      if (r < 0.5) await symptom();
      else if (r < 0.8 && reorgsOn) await reorg();
      else await sleep(between(500, 1500));
    }
  } catch (error) {
    failure = error;
  }

  // 5. Wind down: chaos, faults and traffic off; every replica running; pauses owed journaled and mined; the
  //    chain stops, the leader catches up, every replica stops on SIGTERM.
  weather.stopping = true;
  await chaosLoop;
  if (chaosFailure) failure ??= chaosFailure;
  await faultLoop;
  await trafficLoop;
  for (const slot of slots) {
    if (slot.stopped) {
      slot.proc?.child.kill("SIGCONT");
      slot.stopped = false;
    }
    if (!slot.proc || slot.proc.child.exitCode !== null) startReplica(slot);
  }
  try {
    await Promise.all(slots.map((s) => s.proc!.ready));
    const pending = async () => {
      const data = await store();
      if (!data) return [{ unreadable: true }];
      const owed = owedPauses(data, { entryPoint: true, accountFactory: true, delegation: true }).map((a) => ({ owed: a.incidentId }));
      return [...owed, ...data.outbox.filter((x) => x.kind === "sentinel-pause" && x.status !== "done")];
    };
    await waitUntil(async () => (await pending()).length === 0, 60_000, "owed pauses journaled and mined", 250).catch(async (error: Error) => {
      failure ??= new Error(`${error.message}: ${JSON.stringify(await pending())}`);
    });
    await rpc("evm_setIntervalMining", [0]);
    await sleep(c.blockIntervalMs);
    const head = Number(await client.getBlockNumber({ cacheTime: 0 }));
    await waitUntil(async () => ((await store())?.chain.ring.at(-1)?.number ?? -1) >= head, 60_000, `the leader at block ${head}`, 200);
    // Notifications still due go out before the end (the outbox drained, nothing pending).
    await waitUntil(async () => ((await store())?.outbox ?? []).every((x) => x.kind === "sentinel-pause" || x.status !== "pending"), 30_000, "the outbox drained", 250).catch(
      (error: Error) => void (failure ??= error),
    );
  } catch (error) {
    failure ??= error;
  } finally {
    finalStop = true;
    sampling = false;
    await sampleLoop;
    const exits = await Promise.all(slots.map(async (s) => ({ pid: s.proc!.pid, exit: await s.proc!.kill("SIGTERM") })));
    for (const { pid, exit } of exits) {
      if (exit.code !== 0) {
        const tail = slots.flatMap((s) => s.history).find((h) => h.pid === pid)?.log.slice(-3000) ?? "";
        failure ??= new Error(`replica pid ${pid} exited with ${exit.code ?? exit.signal} on SIGTERM:\n${tail}`);
      }
    }
    for (const s of slots) s.proc = undefined;
  }
  stats.seconds = (performance.now() - c.started) / 1000;
  for (const [name, p] of [["primary", primary], ["lagging", lagging], ["liar", liar]] as const) {
    stats.requests[name] = p.requests.total;
    stats.requests[`${name}Faulted`] = p.faulted.total;
  }

  const checks = await haCheck(c, startBlock, stats, ha, portOwner);
  if (failure) checks.unshift({ name: "the soak ran to its end", ok: false, detail: (failure as Error).stack ?? String(failure) });
  return { ok: checks.every((x) => x.ok), checks, stats };
}

/** The invariants on the database's rows, the audit, the webhook receiver and the replicas' logs. */
async function haCheck(c: HaCtx, startBlock: number, stats: SoakReport["stats"], ha: HaStats, portOwner: Map<number, number>): Promise<SoakCheck[]> {
  const { db, receiver, slots } = c;
  const checks: SoakCheck[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  // The records, hot and archived, as the invariants of the single-daemon soak read them.
  const incidents = (await db.q<{ body: Incident }>(`SELECT body FROM ${SCHEMA}.incidents`)).map((r) => r.body);
  const outbox = (await db.q<{ body: OutboxItem }>(`SELECT body FROM ${SCHEMA}.outbox ORDER BY seq`)).map((r) => r.body);
  const processedLog = (await db.q<{ number: string; hash: string }>(`SELECT number, hash FROM ${SCHEMA}.processed_log WHERE NOT dropped ORDER BY seq`)).map((r) => ({ number: Number(r.number), hash: r.hash as Hex }));
  const processedCount = Number((await db.q<{ processed_count: string }>(`SELECT processed_count FROM ${SCHEMA}.checkpoint WHERE id = 1`))[0]!.processed_count);
  const data: CheckedData = { incidents: Object.fromEntries(incidents.map((i) => [i.id, i])), outbox, chain: { processedLog, processedCount } };
  checks.push(...(await checkData(c.stack, data, startBlock, stats)));

  // No notification delivered twice: one 2xx per notification id at the receiver, except an id sent again
  // after a chaos event at the leader fell between its two deliveries (the leader sent it and was lost before
  // recording that; HTTP cannot do better than the same X-Guardian-Id again, which a receiver dedupes on).
  // Every notification the outbox marks delivered was received.
  const twice: string[] = [];
  let resent = 0;
  for (const [id, count] of receiver.accepted) {
    if (count < 2) continue;
    const times = receiver.requests.filter((r) => r.id === id && typeof r.answer === "number" && r.answer >= 200 && r.answer < 300).map((r) => r.at).sort((a, b) => a - b);
    const unexplained = times.slice(1).filter((t, i) => !c.chaosTimes.some((x) => x >= times[i]! - 1_000 && x <= t));
    if (unexplained.length) twice.push(`${id} ×${count} (${unexplained.length} without a leader loss in between)`);
    else resent++;
  }
  const sent = outbox.filter((x) => x.kind !== "sentinel-pause" && x.status === "done").map((x) => x.id);
  const lost = sent.filter((id) => !receiver.accepted.has(id));
  ha.notifications = {
    ids: receiver.accepted.size,
    deliveries: [...receiver.accepted.values()].reduce((a, b) => a + b, 0),
    refused: receiver.requests.filter((r) => r.answer !== "hang" && (r.answer < 200 || r.answer >= 300)).length,
    resentAcrossLoss: resent,
  };
  add(
    "no notification delivered twice (but across a leader loss)",
    twice.length === 0 && lost.length === 0 && receiver.accepted.size > 0,
    [...twice.map((t) => `delivered ${t}`), ...lost.map((id) => `${id} marked done, never received`), ...(receiver.accepted.size === 0 ? ["no notification received at all"] : [])].join("; ") ||
      `${ha.notifications.ids} notifications, each delivered once but ${resent} sent again across a leader loss (same X-Guardian-Id); ${ha.notifications.refused} refused attempts retried`,
  );

  // No write from a stale term: in commit order the term never goes back, every write saw a live lease with a
  // holder, and the writing process (by its client port) is the holder the lease names.
  const writes = await db.q<AuditedWrite & pg.QueryResultRow>(`SELECT seq, tbl, term, holder, live, client_port FROM soak_audit.writes ORDER BY seq`);
  ha.auditedWrites = writes.length;
  const { problems: stale, attributed, maxTerm } = auditProblems(writes, portOwner);
  ha.attributedWrites = attributed;
  ha.terms = maxTerm;
  const terms = new Set(writes.map((wr) => Number(wr.term)));
  add(
    "no write from a stale term",
    stale.length === 0 && writes.length > 0,
    stale.slice(0, 10).join("; ") || `${writes.length} audited row writes under ${terms.size} terms (last ${maxTerm}), in commit order never going back; ${ha.attributedWrites} attributed to their process, each the lease's holder`,
  );

  // Every leader that was SIGSTOPped past its lease stepped down when it woke up (and wrote nothing meanwhile: above).
  const wakes = slots.flatMap((s) => s.history).flatMap((h) => h.continuedAt.map((offset) => ({ pid: h.pid, after: h.log.slice(offset) })));
  const notDown = wakes.filter((x) => !x.after.includes("stepping down"));
  add(
    "SIGSTOPped leaders stepped down",
    wakes.length === ha.sigstops && notDown.length === 0,
    notDown.map((x) => `pid ${x.pid} never logged "stepping down" after its SIGCONT`).join("; ") ||
      `${wakes.length} SIGCONTs of frozen leaders (of ${ha.sigstops} SIGSTOPs), each followed by "stepping down" in its log`,
  );

  // No replica died on its own once it was running (one that could not start while PostgreSQL restarted is
  // noted, and restarted like the others).
  const own = slots.flatMap((s) => s.history).filter((h) => h.exitedOnItsOwn !== undefined);
  const crashed = own.filter((h) => h.ready);
  add(
    "no replica died on its own",
    crashed.length === 0,
    crashed.map((h) => `pid ${h.pid}: ${h.exitedOnItsOwn}`).join("; ") || `${own.length} replica(s) exited before they were ready (restarted)${own.length ? `: ${own.map((h) => h.exitedOnItsOwn!.slice(0, 200)).join("; ")}` : ""}`,
  );

  // A takeover after every SIGKILL and SIGSTOP of the leader.
  const lossCount = ha.sigkills + ha.sigstops;
  const measured = ha.takeovers.filter((t) => t.cause === "sigkill" || t.cause === "sigstop").length;
  add("a new leader after every leader loss", measured === lossCount, `${measured} takeovers measured for ${lossCount} SIGKILLs and SIGSTOPs of the leader`);
  return checks;
}

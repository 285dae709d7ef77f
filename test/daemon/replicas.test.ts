/**
 * Replicas on a real PostgreSQL: two `guardian run` processes on one chain
 * and one database. One leads under the lease, the other stands by; a CLI
 * request while one leads is queued and applied by the leader; the leader is
 * frozen (SIGSTOP) past its lease, the standby takes over under the next
 * term, and the frozen one, woken up, writes nothing and steps down; then the
 * leader is SIGKILLed and the other takes over again. Every canonical block
 * is processed exactly once throughout (the database's processed log).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { daemonEnv, guardianCli, spawnDaemon, startBenchStack, waitUntil, writeDaemonConfig, type BenchStack, type DaemonProcess } from "../../scripts/bench/stack.js";
import { startPostgres, type PostgresCluster } from "../../scripts/lib/postgres.js";
import type { Incident } from "../../daemon/src/types.js";

const BLOCK_MS = 500;
const LEASE_MS = 2_000;

interface Health {
  role?: "leader" | "standby";
  term?: number;
  holder?: string;
}

async function health(url: string): Promise<Health | undefined> {
  try {
    return (await (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) })).json()) as Health;
  } catch {
    return undefined; // frozen or gone
  }
}

describe("replicas on PostgreSQL", () => {
  let db: PostgresCluster;
  let stack: BenchStack;
  const replicas: DaemonProcess[] = [];
  /** Replicas whose log said they stepped down (read as it streams: the kept stderr is only its last 20 kB). */
  const steppedDown = new Set<DaemonProcess>();

  beforeAll(async () => {
    db = await startPostgres();
    stack = await startBenchStack();
    await stack.rpc("evm_setIntervalMining", [BLOCK_MS]);
  }, 120_000);

  afterAll(async () => {
    for (const r of replicas) {
      r.child.kill("SIGCONT");
      await r.kill("SIGKILL");
    }
    await stack?.stop();
    await db?.stop();
  });

  it("one leads, the other takes over when it freezes or dies; requests queue; every block once", async () => {
    const file = writeDaemonConfig(stack, "replicas", { rpcUrls: [stack.chain.url], blockTimeMs: BLOCK_MS, dataDir: "unused" });
    const config = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...config, store: { kind: "postgres", leaseMs: LEASE_MS } }));
    const env = { ...daemonEnv(file), GUARDIAN_DATABASE_URL: db.url };
    const start = () => {
      const dataDir = mkdtempSync(path.join(stack.dir, "replica-"));
      const r = spawnDaemon(stack.dir, { ...env, GUARDIAN_DATA_DIR: dataDir }, ["--record-processed", "--heartbeat-interval", "0"]);
      let tail = "";
      r.child.stderr!.on("data", (b: Buffer) => {
        const text = tail + b.toString();
        if (text.includes("stepping down")) steppedDown.add(r);
        tail = text.slice(-32); // a line split between two chunks
      });
      replicas.push(r);
      return r;
    };
    const a = start();
    const b = start();
    const urls = new Map<DaemonProcess, string>([
      [a, await a.ready],
      [b, await b.ready],
    ]);
    const roles = async () => Promise.all([a, b].map(async (r) => ({ r, h: await health(urls.get(r)!) })));
    let leader!: DaemonProcess;
    let standby!: DaemonProcess;
    let term = 0;
    await waitUntil(
      async () => {
        const seen = await roles();
        const l = seen.find((s) => s.h?.role === "leader");
        const s = seen.find((x) => x.h?.role === "standby");
        if (!l || !s) return false;
        [leader, standby, term] = [l.r, s.r, l.h!.term!];
        return true;
      },
      60_000,
      "one leader and one standby",
      200,
    );
    expect(term).toBeGreaterThan(0);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const processed = async () => Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM guardian.processed_log WHERE NOT dropped")).rows[0]!.n);
      await waitUntil(async () => (await processed()) > 3, 60_000, "blocks committed by the leader", 200);

      // A write while a replica leads is queued and applied by the leader (the request id becomes the incident's).
      const trigger = await guardianCli(stack, env, ["incident", "trigger", stack.deployment.guardian.paymaster, "--severity", "low", "--title", "Queued through the leader", "--json"]);
      expect(trigger.err).toBe("");
      expect(trigger.code).toBe(0);
      const queued = JSON.parse(trigger.out) as Incident;
      expect(queued).toMatchObject({ title: "Queued through the leader", severity: "low", source: "manual" });
      const shown = await guardianCli(stack, env, ["incident", "show", queued.id.slice(0, 8), "--json"]);
      expect((JSON.parse(shown.out) as Incident).id).toBe(queued.id);
      expect(Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM guardian.incident_requests")).rows[0]!.n)).toBe(0);

      // Freeze the leader past its lease: the standby takes over under the next term.
      leader.child.kill("SIGSTOP");
      const frozen = leader;
      await waitUntil(async () => (await health(urls.get(standby)!))?.role === "leader", 60_000, "the standby to take over", 200);
      const next = (await health(urls.get(standby)!))!.term!;
      expect(next).toBeGreaterThan(term);
      const before = await processed();
      await waitUntil(async () => (await processed()) >= before + 4, 60_000, "the new leader to commit blocks", 200);
      // Woken up, the old leader writes nothing and steps down.
      frozen.child.kill("SIGCONT");
      await waitUntil(async () => (await health(urls.get(frozen)!))?.role === "standby", 60_000, "the woken leader to step down", 200);
      expect(steppedDown.has(frozen)).toBe(true);
      [leader, standby, term] = [standby, frozen, next];

      // Kill the leader outright: the other takes over again.
      await leader.kill("SIGKILL");
      await waitUntil(async () => (await health(urls.get(standby)!))?.role === "leader", 60_000, "takeover after SIGKILL", 200);
      expect((await health(urls.get(standby)!))!.term!).toBeGreaterThan(term);
      const after = await processed();
      await waitUntil(async () => (await processed()) >= after + 4, 60_000, "blocks after the second takeover", 200);

      // Exactly once: no block processed twice, and no gap, across three terms.
      const dupes = await client.query("SELECT number, hash, count(*) FROM guardian.processed_log WHERE NOT dropped GROUP BY number, hash HAVING count(*) > 1");
      expect(dupes.rows).toEqual([]);
      const numbers = (await client.query<{ number: string }>("SELECT number FROM guardian.processed_log WHERE NOT dropped ORDER BY seq")).rows.map((r) => Number(r.number));
      numbers.forEach((n, i) => {
        if (i > 0) expect(n).toBe(numbers[i - 1]! + 1);
      });
      const metrics = await (await fetch(`${urls.get(standby)!}/metrics`)).text();
      expect(metrics).toMatch(/^guardian_replica_leader 1$/m);
    } finally {
      await client.end();
    }
  }, 300_000);
});

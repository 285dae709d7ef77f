/**
 * The HA soak's stale-term check (scripts/bench/ha-soak.ts), on its own:
 * the audit triggers on a real PostgreSQL cluster record each row write with
 * the lease's term and holder and the writer's client port, and
 * auditProblems flags a term going back, a write without a live lease, and a
 * write by a process other than the holder — so the soak's "no write from a
 * stale term" could fail.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hash, T0 } from "../../daemon/src/incidents/test-builders.js";
import { openPostgresStore } from "../../daemon/src/store/postgres/index.js";
import { auditProblems, clientPortsOf, installAudit, pidOfHolder, type AuditedWrite } from "../../scripts/bench/ha-soak.js";
import { startPostgres, type PostgresCluster } from "../../scripts/lib/postgres.js";
import { freshSchema, until, withDb } from "./helpers.js";

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

const write = (seq: number, term: number, holder: string | null, port: number | null, live = true): AuditedWrite => ({ seq, tbl: "checkpoint", term, holder, live, client_port: port });

describe("HA soak audit", () => {
  it("auditProblems: terms going back, writes without a live lease, writers that are not the holder", () => {
    const owners = new Map([[5001, 100], [5002, 200]]);
    const clean = [write(1, 1, "h:100:a", 5001), write(2, 1, "h:100:a", 5001), write(3, 2, "h:200:b", 5002), write(4, 2, "h:200:b", 9999)];
    expect(auditProblems(clean, owners)).toEqual({ problems: [], attributed: 3, maxTerm: 2 });
    expect(auditProblems([write(1, 2, "h:200:b", 5002), write(2, 1, "h:100:a", 5001)], owners).problems).toEqual(["write #2 (checkpoint) under term 1 after term 2"]);
    expect(auditProblems([write(1, 1, "h:100:a", 5001, false)], owners).problems).toEqual(["write #1 (checkpoint) while the lease was expired"]);
    expect(auditProblems([write(1, 1, null, null, false)], owners).problems).toEqual(["write #1 (checkpoint) while the lease was free"]);
    expect(auditProblems([write(1, 2, "h:200:b", 5001)], owners).problems).toEqual(["write #1 (checkpoint) by pid 100 while h:200:b held term 2"]);
    expect(pidOfHolder("host-1:4242:0a1b2c3d")).toBe(4242);
  });

  it("records each write with the lease's term, holder and the writer's client port; a write past the fence is caught", async () => {
    const schema = freshSchema("audit");
    const a = await openPostgresStore({ url: cluster.url, schema, chainId: 31337, purpose: "test", clock: () => T0, recordProcessed: true, lease: { holder: `test:${process.pid}:aaaa`, ttlMs: 400 } });
    // Another replica's name: a pid that is not ours.
    const b = await openPostgresStore({ url: cluster.url, schema, chainId: 31337, purpose: "test", clock: () => T0, recordProcessed: true, lease: { holder: `test:${process.pid + 1}:bbbb`, ttlMs: 60_000 } });
    // No lease at all: a writer that ignores the fence (what a stale leader would be if fencing failed).
    const rogue = await openPostgresStore({ url: cluster.url, schema, chainId: 31337, purpose: "test", clock: () => T0 });
    try {
      await withDb(cluster.url, (c) => installAudit((text) => c.query(text), schema));
      const block = (n: number) => ({ number: n, hash: hash(n) });

      expect(await a.lease!.acquire()).toBe(1);
      await a.update((d) => {
        d.chain.processedCount += 1;
        d.chain.processedLog!.push(block(1));
      });
      const owners = new Map(clientPortsOf(process.pid, cluster.port).map((port) => [port, process.pid]));
      expect(owners.size).toBeGreaterThan(0);
      await until("a's lease expires by the database's clock", async () => !(await a.lease!.current()).live);
      expect(await b.lease!.acquire()).toBe(2);
      await b.update((d) => void (d.chain.processedCount += 1));

      const read = () => withDb(cluster.url, async (c) => (await c.query(`SELECT seq, tbl, op, term, holder, live, client_port, block FROM soak_audit.writes ORDER BY seq`)).rows as Array<AuditedWrite & { op: string; block: string | null }>);
      let rows = await read();
      expect(rows.map((r) => [r.tbl, r.op, Number(r.term), r.holder, r.live])).toEqual([
        ["checkpoint", "UPDATE", 1, `test:${process.pid}:aaaa`, true],
        ["processed_log", "INSERT", 1, `test:${process.pid}:aaaa`, true],
        ["checkpoint", "UPDATE", 2, `test:${process.pid + 1}:bbbb`, true],
      ]);
      expect(Number(rows[1]!.block)).toBe(1);
      // Each new term is recorded when it is taken.
      const terms = await withDb(cluster.url, async (c) => (await c.query(`SELECT term, holder FROM soak_audit.terms ORDER BY at`)).rows);
      expect(terms.map((t) => [Number(t.term), t.holder])).toEqual([[1, `test:${process.pid}:aaaa`], [2, `test:${process.pid + 1}:bbbb`]]);
      // Our own connections wrote all three: the ones under b's name are flagged (b's pid is not ours) once
      // the ports are known; a's are not.
      const ours = new Map([...clientPortsOf(process.pid, cluster.port), ...owners.keys()].map((port) => [port, process.pid]));
      expect(auditProblems(rows.slice(0, 2), ours).problems).toEqual([]);
      expect(auditProblems(rows, ours).problems).toEqual([`write #${rows[2]!.seq} (checkpoint) by pid ${process.pid} while test:${process.pid + 1}:bbbb held term 2`]);

      // The fenced store of a (term 1, expired) writes nothing; the unfenced one writes, and the audit sees a
      // write whose process is not the holder.
      await expect(a.update((d) => void (d.chain.processedCount += 1))).rejects.toThrow();
      await rogue.refresh();
      await rogue.update((d) => void (d.chain.processedCount += 10));
      rows = await read();
      expect(rows).toHaveLength(4);
      const lastPort = rows[3]!.client_port!;
      expect(auditProblems(rows.slice(3), new Map([[lastPort, process.pid]])).problems).toEqual([
        `write #${rows[3]!.seq} (checkpoint) by pid ${process.pid} while test:${process.pid + 1}:bbbb held term 2`,
      ]);
    } finally {
      await Promise.all([a.close(), b.close(), rogue.close()]);
    }
  });
});

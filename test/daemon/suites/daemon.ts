/**
 * The daemon wired end to end on a real node with the real stack: exactly
 * once through a reorg, a Critical incident triggered from the CLI while the
 * daemon runs goes through its admin endpoint and is contained by the
 * sentinel's pause, all RPC endpoints down becomes an incident, and a second
 * daemon on the same data directory is refused. A suite, run on each node
 * implementation (daemon.test.ts: EDR, daemon.anvil.test.ts: anvil).
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import pino from "pino";
import { parseAbi, type Hex } from "viem";
import { startDaemon, type RunningDaemon } from "../../../daemon/src/runtime/daemon.js";
import { main } from "../../../daemon/src/cli.js";
import { StoreLockedError } from "../../../daemon/src/store/index.js";
import { startRpcProxy, type RpcProxy } from "../helpers/rpc-proxy.js";
import { waitFor } from "../helpers/memory-sink.js";
import { startStack, type NodeKind, type StackEnv } from "../helpers/stack.js";

const silent = process.env.GUARDIAN_TEST_LOG ? pino({ level: "debug" }, pino.destination(process.env.GUARDIAN_TEST_LOG)) : pino({ level: "silent" });

export function daemonSuite(title: string, node: NodeKind): void {
  const hubAbi = parseAbi(["function isPaused(uint8 layer) view returns (bool)"]);
  let s: StackEnv;
  let daemon: RunningDaemon;

  async function chainHashes(from: number, to: number) {
    const out: Array<{ number: number; hash: string }> = [];
    for (let n = from; n <= to; n++) out.push({ number: n, hash: (await s.client.getBlock({ blockNumber: BigInt(n) })).hash });
    return out;
  }

  async function caughtUp(d: RunningDaemon) {
    const head = Number(await s.client.getBlockNumber({ cacheTime: 0 }));
    await waitFor(() => (d.store.read().chain.ring.at(-1)?.number ?? -1) >= head, 20_000, `daemon at block ${head}`);
    return head;
  }

  describe(title, () => {
    beforeAll(async () => {
      s = await startStack({ node });
      daemon = await startDaemon({ config: s.config(), recordProcessed: true, publishIntervalSeconds: 1, heartbeatIntervalSeconds: 0, logger: silent });
    });
    afterAll(async () => {
      await daemon?.stop();
      await s?.chain.stop();
    });

    it("processes every canonical block exactly once through a reorg, and reports the reorg", async () => {
      await s.rpc("evm_mine");
      await caughtUp(daemon);
      const snap = await s.rpc<Hex>("evm_snapshot");
      for (let i = 0; i < 3; i++) await s.rpc("evm_mine");
      const dropped = await caughtUp(daemon);
      const droppedHash = (await s.client.getBlock({ blockNumber: BigInt(dropped) })).hash;
      await s.rpc("evm_revert", [snap]);
      const base = Number((await s.client.getBlock()).timestamp);
      for (let i = 0; i < 4; i++) {
        await s.rpc("evm_setNextBlockTimestamp", [base + 100 + i]);
        await s.rpc("evm_mine");
      }
      const head = await caughtUp(daemon);
      const data = daemon.store.read();
      const log = data.chain.processedLog!;
      const first = log[0]!.number;
      expect(log.map((b) => b.number)).toEqual(Array.from({ length: head - first + 1 }, (_, i) => first + i));
      expect(log).toEqual(await chainHashes(first, head));
      expect(log.some((b) => b.hash === droppedHash)).toBe(false);
      const reorg = Object.values(data.incidents).find((i) => i.source === "chain-reorg");
      expect(reorg, JSON.stringify(Object.values(data.incidents).map((i) => i.key))).toBeDefined();
      expect(reorg!.severity).toBe("high");
    });

    it("a Critical incident triggered from the CLI goes through the daemon and is contained by the sentinel", async () => {
      let out = "";
      let err = "";
      const code = await main(["incident", "trigger", "delegationManager", "--severity", "critical", "--title", "Delegations drained"], {
        stdout: (t) => void (out += t),
        stderr: (t) => void (err += t),
        env: s.env,
        cwd: s.dir,
      });
      expect(code, err).toBe(0);
      const id = out.trim();
      await waitFor(() => daemon.store.read().incidents[id]?.state === "contained", 20_000, "incident contained");
      expect(await s.client.readContract({ address: s.deployment.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [2] })).toBe(true);
      expect(await s.client.readContract({ address: s.deployment.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [0] })).toBe(false);
      const entry = daemon.store.read().incidents[id]!.timeline.find((e) => e.kind === "action" && /sentinel paused delegation/.test(e.message));
      expect(entry?.evidence?.txHash).toMatch(/^0x[0-9a-f]{64}$/);
      const journal = daemon.store.read().outbox.filter((o) => o.kind === "sentinel-pause");
      expect(journal).toHaveLength(1);
      expect(journal[0]!.status).toBe("done");
    });

    it("publishes status.json with the pause and the incident", async () => {
      const file = path.join(s.dir, "data", "public", "status.json");
      const read = () => JSON.parse(readFileSync(file, "utf8"));
      const delegationOf = (status: { components: Array<{ id: string; status: string; evidence: { paused: boolean; pausedBy: string } }> }) => status.components.find((c) => c.id === "delegation")!;
      await waitFor(() => existsSync(file) && delegationOf(read()).evidence.paused === true, 20_000, "status.json shows the pause");
      const status = read();
      const delegation = delegationOf(status);
      expect(delegation.status).toBe("major_outage");
      expect(delegation.evidence.paused).toBe(true);
      expect(delegation.evidence.pausedBy).toBe("sentinel");
      expect(status.incidents.some((i: { title: string }) => i.title === "Delegations drained")).toBe(true);
      expect(readFileSync(file, "utf8")).not.toContain(s.env.GUARDIAN_SENTINEL_KEY!.slice(2));
    });

    it("a second daemon on the same data directory is refused, naming the holder", async () => {
      await expect(startDaemon({ config: s.config(), logger: silent })).rejects.toThrow(StoreLockedError);
      await expect(startDaemon({ config: s.config(), logger: silent })).rejects.toThrow(new RegExp(String(process.pid)));
    });

    it("all endpoints down becomes a Critical incident, and recovers when they are back", async () => {
      const proxy: RpcProxy = await startRpcProxy({ target: s.chain.url });
      const other = await startDaemon({ config: s.config({ rpcUrls: [proxy.url], dataDir: path.join(s.dir, "data-proxy") }), publishIntervalSeconds: 60, heartbeatIntervalSeconds: 0, logger: silent });
      try {
        await caughtUp(other);
        proxy.setFault({ kind: "http-error", status: 503 });
        await waitFor(() => Object.values(other.store.read().incidents).some((i) => i.source === "rpc-health" && i.severity === "critical"), 30_000, "rpc-unavailable incident");
        proxy.setFault({ kind: "pass" });
        await s.rpc("evm_mine");
        await caughtUp(other);
        const unavailable = Object.values(other.store.read().incidents).find((i) => i.source === "rpc-health" && i.severity === "critical")!;
        await waitFor(() => other.store.read().incidents[unavailable.id]!.timeline.some((e) => /ended|recovered|back/i.test(e.message)), 20_000, "recovery noted");
      } finally {
        await other.stop();
        await proxy.close();
      }
    });

    it("sends the sentinel's pause to every endpoint", async () => {
      const a = await startRpcProxy({ target: s.chain.url });
      const b = await startRpcProxy({ target: s.chain.url });
      const other = await startDaemon({ config: s.config({ rpcUrls: [a.url, b.url], dataDir: path.join(s.dir, "data-two") }), publishIntervalSeconds: 60, heartbeatIntervalSeconds: 0, logger: silent });
      try {
        await caughtUp(other);
        const code = await main(["incident", "trigger", "accountFactory", "--severity", "critical", "--title", "Factory compromised"], {
          stdout: () => {},
          stderr: () => {},
          env: { ...s.env, GUARDIAN_CONFIG: "", GUARDIAN_DATA_DIR: path.join(s.dir, "data-two") },
          cwd: s.dir,
        });
        expect(code).toBe(0);
        await waitFor(() => Object.values(other.store.read().incidents).some((i) => i.title === "Factory compromised" && i.state === "contained"), 20_000, "contained");
        const timeline = Object.values(other.store.read().incidents).find((i) => i.title === "Factory compromised")!.timeline.map((e) => e.message);
        expect(a.counts.get("eth_sendRawTransaction") ?? 0, JSON.stringify(timeline)).toBeGreaterThanOrEqual(1);
        expect(b.counts.get("eth_sendRawTransaction") ?? 0, JSON.stringify(timeline)).toBeGreaterThanOrEqual(1);
      } finally {
        await other.stop();
        await a.close();
        await b.close();
      }
    });
  });
}

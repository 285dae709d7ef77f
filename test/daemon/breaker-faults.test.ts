/**
 * The circuit breaker across restarts and RPC faults (all found by the soak
 * test, scripts/bench/soak.ts):
 *
 * - a Critical incident whose pause action was lost still gets its pause:
 *   the daemon died after storing the incident and before journaling the
 *   pause (a block commit or an admin-endpoint trigger), or the incident was
 *   triggered through the CLI while no daemon ran; at start the breaker sends
 *   the pauses such incidents are owed;
 * - "already paused" takes the layer paused both at "latest" and at the
 *   daemon's last processed block: through a lagging endpoint "latest"
 *   showed a pause the guardian had since lifted, and the pause was skipped
 *   (and the last processed block alone is stale while the daemon catches up);
 * - a pause that fails on a transient RPC fault (an answer of the wrong
 *   shape) is tried again instead of being given up at once;
 * - a pause journaled before a crash is resumed to its end: the store's
 *   journal hands out a copy of the entry (the store's snapshot is frozen, and
 *   the sender records the mined hash and its replacements on the entry; it
 *   used to fail with "Cannot add property minedHash, object is not
 *   extensible", leaving the journal pending for good and raising a
 *   PauseNotMined incident although the pause was mined);
 * - a pause while every endpoint is down (HTTP 503) is never given up: the
 *   breaker retries past RpcUnavailableError with backoff, pages the
 *   guardian (circuit-breaker:late) once the pause is `lateAfterBlocks`
 *   late, and pauses as soon as an endpoint answers again (it used to give
 *   up after one RpcUnavailableError and leave the pause to the Safe).
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import pino from "pino";
import path from "node:path";
import { createPublicClient, keccak256, parseAbi, toHex, type PublicClient } from "viem";
import { RpcPool } from "../../daemon/src/chain/index.js";
import { startRpcProxy } from "./helpers/rpc-proxy.js";
import { privateKeyToAccount } from "viem/accounts";
import { main } from "../../daemon/src/cli.js";
import { addTimelineEntry, openIncident, transition } from "../../daemon/src/incidents/index.js";
import { CircuitBreaker, owedPauses, storePauseJournal, symptomBlock } from "../../daemon/src/runtime/circuit-breaker.js";
import { startDaemon, type RunningDaemon } from "../../daemon/src/runtime/daemon.js";
import { emptyStoreData, openLowdbStore, readStoreSnapshot, type StoreData } from "../../daemon/src/store/index.js";
import type { Incident } from "../../daemon/src/types.js";
import { waitFor } from "./helpers/memory-sink.js";
import { devKey, startStack, type StackEnv } from "./helpers/stack.js";

const ALL = { entryPoint: true, accountFactory: true, delegation: true } as const;
const now = new Date("2026-01-01T00:00:00Z");

function critical(key: string, overrides: Partial<Incident> = {}): Incident {
  return { ...openIncident({ key, title: key, severity: "critical", affected: { layers: ["delegation"], contracts: [] }, source: "test", now }), ...overrides };
}

function data(incidents: Incident[], journaled: string[] = []): StoreData {
  const d = emptyStoreData(138, now, false);
  for (const i of incidents) d.incidents[i.id] = i;
  for (const id of journaled) d.outbox.push({ id: `pause:${id}`, kind: "sentinel-pause", createdAt: now.toISOString(), incidentId: id, status: "pending", attempts: 1, payload: {} });
  return d;
}

describe("symptomBlock", () => {
  it("is the first evidence, or after a recurrence the first evidence since the incident recovered", () => {
    const ev = (blockNumber: number) => ({ blockNumber, blockHash: `0x${"11".repeat(32)}` as const, values: {} });
    const entry = (kind: "finding" | "state", state: "detected" | "responding" | "recovered", evidence?: ReturnType<typeof ev>) => ({ id: "x", at: "2026-12-06T00:00:00Z", kind, message: "", public: false, state, ...(evidence ? { evidence } : {}) });
    expect(symptomBlock({ timeline: [entry("finding", "detected", ev(76)), entry("finding", "detected", ev(80))] as never })?.blockNumber).toBe(76);
    const recurred = [entry("finding", "detected", ev(76)), entry("state", "recovered"), entry("finding", "responding", ev(122)), entry("finding", "responding", ev(123))];
    expect(symptomBlock({ timeline: recurred as never })?.blockNumber).toBe(122);
  });
});

describe("owedPauses", () => {
  it("owes a pause to an open Critical incident the breaker never acted on", () => {
    const i = critical("a");
    expect(owedPauses(data([i]), ALL)).toEqual([{ type: "pause", incidentId: i.id, layers: ["delegation"] }]);
    const responding = transition(i, "responding", { now });
    expect(owedPauses(data([responding]), ALL)).toHaveLength(1);
  });

  it("owes nothing once journaled, acted on, contained or closed, below Critical, or with auto-pause off", () => {
    const i = critical("b");
    expect(owedPauses(data([i], [i.id]), ALL)).toEqual([]);
    expect(owedPauses(data([addTimelineEntry(i, { kind: "action", message: "Auto-pause refused" }, now)]), ALL)).toEqual([]);
    expect(owedPauses(data([transition(i, "contained", { now })]), ALL)).toEqual([]);
    expect(owedPauses(data([transition(i, "recovered", { now })]), ALL)).toEqual([]);
    expect(owedPauses(data([critical("c", { severity: "high" })]), ALL)).toEqual([]);
    expect(owedPauses(data([critical("d", { affected: { layers: [], contracts: [] } })]), ALL)).toEqual([]);
    expect(owedPauses(data([i]), { ...ALL, delegation: false })).toEqual([]);
  });
});

describe("a pause owed across a restart", () => {
  let s: StackEnv;
  let daemon: RunningDaemon | undefined;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(async () => {
    await daemon?.stop();
    await s?.chain.stop();
  });

  it("a Critical incident triggered through the CLI while no daemon runs is paused when the daemon starts", async () => {
    let out = "";
    let err = "";
    const code = await main(["incident", "trigger", "delegationManager", "--severity", "critical", "--title", "Delegations drained while the daemon was down"], {
      stdout: (t) => void (out += t),
      stderr: (t) => void (err += t),
      env: s.env,
      cwd: s.dir,
    });
    expect(code, err).toBe(0);
    const id = out.trim();
    daemon = await startDaemon({ config: s.config(), publishIntervalSeconds: 60, heartbeatIntervalSeconds: 0, logger: pino({ level: "silent" }) });
    await waitFor(() => daemon!.store.read().incidents[id]?.state === "contained", 30_000, "incident contained");
    const hubAbi = parseAbi(["function isPaused(uint8 layer) view returns (bool)"]);
    expect(await s.client.readContract({ address: s.deployment.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [2] })).toBe(true);
    const journal = daemon.store.read().outbox.filter((o) => o.kind === "sentinel-pause");
    expect(journal.map((o) => [o.incidentId, o.status])).toEqual([[id, "done"]]);
    // A restart owes nothing more.
    await daemon.stop();
    daemon = await startDaemon({ config: s.config(), publishIntervalSeconds: 60, heartbeatIntervalSeconds: 0, logger: pino({ level: "silent" }) });
    await new Promise((r) => setTimeout(r, 1500));
    const after = (await readStoreSnapshot(s.config().dataDir))!;
    expect(after.outbox.filter((o) => o.kind === "sentinel-pause")).toHaveLength(1);
  });
});

describe("a pause journaled before a crash", () => {
  let s: StackEnv;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(async () => {
    await s?.chain.stop();
  });

  it("the store's journal hands out entries the sender may update", async () => {
    const store = await openLowdbStore({ dataDir: path.join(s.dir, "journal-copy"), chainId: s.deployment.chainId, purpose: "test" });
    try {
      const journal = storePauseJournal(store, () => new Date());
      await journal.put({ incidentKey: "i-1", incidentRef: keccak256(toHex("i-1")), layers: ["delegation"], from: s.deployment.deployer, nonce: 0, gas: "100000", attempts: [] });
      const entry = (await journal.get("i-1"))!;
      entry.minedHash = keccak256(toHex("tx"));
      entry.attempts.push({ hash: keccak256(toHex("tx")), raw: "0x01", maxFeePerGas: "2", maxPriorityFeePerGas: "1", signedAt: new Date().toISOString() });
      await journal.put(entry);
      expect(store.read().outbox[0]!.status).toBe("done");
    } finally {
      await store.close();
    }
  });

  it("a new breaker resumes the signed pause a crashed one journaled and never sent, to the end", async () => {
    const dataDir = path.join(s.dir, "journal-resume");
    const clock = () => new Date();
    const hubAbi = parseAbi(["function isPaused(uint8 layer) view returns (bool)"]);
    const incident = openIncident({ key: "resume", title: "resume", severity: "critical", affected: { layers: ["accountFactory"], contracts: [] }, source: "test", now: clock() });
    const options = (store: Awaited<ReturnType<typeof openLowdbStore>>) => ({
      store,
      clients: [s.client as unknown as PublicClient],
      chain: s.chain.chain,
      hub: s.deployment.guardian.hub,
      sentinel: privateKeyToAccount(devKey("sentinel")),
      clock,
      raise: async () => {},
    });
    // 1. The first breaker signs and journals, then "dies" before broadcasting.
    let store = await openLowdbStore({ dataDir, chainId: s.deployment.chainId, purpose: "test" });
    await store.update((draft) => void (draft.incidents[incident.id] = incident));
    const dying = new CircuitBreaker({ ...options(store), afterJournal: () => new Promise<void>(() => {}) }); // never returns: dead
    void dying.handle({ type: "pause", incidentId: incident.id, layers: ["accountFactory"] });
    await waitFor(() => store.read().outbox.length === 1, 10_000, "the journal entry");
    expect(store.read().outbox.map((o) => o.status)).toEqual(["pending"]);
    expect(await s.client.readContract({ address: s.deployment.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [1] })).toBe(false);
    await store.close();
    // 2. After the restart, the journaled transaction is sent, mined and recorded.
    store = await openLowdbStore({ dataDir, chainId: s.deployment.chainId, purpose: "test" });
    try {
      const breaker = new CircuitBreaker(options(store));
      await breaker.resumePending();
      expect(await s.client.readContract({ address: s.deployment.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [1] })).toBe(true);
      const [item] = store.read().outbox;
      expect(item!.status).toBe("done");
      expect(store.read().incidents[incident.id]!.state).toBe("contained");
      expect(Object.values(store.read().incidents).filter((i) => i.source === "circuit-breaker")).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe("a pause that meets a transient RPC fault", () => {
  let s: StackEnv;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(async () => {
    await s?.chain.stop();
  });

  it("is tried again, not given up", async () => {
    const proxy = await startRpcProxy({ target: s.chain.url });
    const store = await openLowdbStore({ dataDir: path.join(s.dir, "retry"), chainId: s.deployment.chainId, purpose: "test" });
    try {
      const pool = new RpcPool({ endpoints: [{ url: proxy.url, name: "p" }], chainId: s.deployment.chainId, timeoutMs: 1000 });
      await pool.init();
      const client = createPublicClient({ chain: s.chain.chain, transport: pool.transport() }) as PublicClient;
      const incident = openIncident({ key: "retry", title: "retry", severity: "critical", affected: { layers: ["entryPoint"], contracts: [] }, source: "test", now: new Date() });
      await store.update((draft) => void (draft.incidents[incident.id] = incident));
      const raised: unknown[] = [];
      const breaker = new CircuitBreaker({
        store,
        clients: [client],
        chain: s.chain.chain,
        hub: s.deployment.guardian.hub,
        sentinel: privateKeyToAccount(devKey("sentinel")),
        clock: () => new Date(),
        raise: async (f) => void raised.push(...f),
        retryDelayMs: 10,
      });
      // The gas estimate is answered with garbage once (viem cannot read it: the try throws).
      proxy.setFault({ kind: "wrong-shape" }, ["eth_estimateGas"], { count: 1 });
      const outcome = await breaker.handle({ type: "pause", incidentId: incident.id, layers: ["entryPoint"] });
      expect(outcome?.kind).toBe("paused");
      expect(proxy.faulted.total).toBe(1);
      expect(raised).toEqual([]);
      expect(store.read().incidents[incident.id]!.state).toBe("contained");
    } finally {
      await store.close();
      await proxy.close();
    }
  });
});

describe("a pause decided through a lagging endpoint", () => {
  let s: StackEnv;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(async () => {
    await s?.chain.stop();
  });

  async function pauseThenLift(): Promise<{ paused: number; lifted: number }> {
    const { safeCall } = await import("../../daemon/src/deploy/local.js");
    const { encodeFunctionData } = await import("viem");
    const hubWrite = parseAbi(["function pause(uint8[] layers, bytes32 incident)", "function unpause(uint8[] layers, bytes32 incident)"]);
    const zero = `0x${"00".repeat(32)}` as const;
    const safe = async (functionName: "pause" | "unpause") =>
      Number(
        (
          await s.client.waitForTransactionReceipt({
            hash: await safeCall(s.client as never, s.deployment.guardian.safe, s.deployment.guardian.hub, encodeFunctionData({ abi: hubWrite, functionName, args: [[2], zero] }), [s.wallets.owner1, s.wallets.owner2]),
          })
        ).blockNumber,
      );
    const paused = await safe("pause");
    for (let i = 0; i < 3; i++) await s.rpc("evm_mine");
    return { paused, lifted: await safe("unpause") };
  }

  it("is not skipped because the daemon's last processed block is older than the guardian lifting a pause", async () => {
    const { paused } = await pauseThenLift();
    const store = await openLowdbStore({ dataDir: path.join(s.dir, "behind"), chainId: s.deployment.chainId, purpose: "test" });
    try {
      const incident = openIncident({ key: "behind", title: "behind", severity: "critical", affected: { layers: ["delegation"], contracts: [] }, source: "test", now: new Date() });
      await store.update((draft) => void (draft.incidents[incident.id] = incident));
      const breaker = new CircuitBreaker({
        store,
        clients: [s.client as unknown as PublicClient],
        chain: s.chain.chain,
        hub: s.deployment.guardian.hub,
        sentinel: privateKeyToAccount(devKey("sentinel")),
        clock: () => new Date(),
        raise: async () => {},
        knownBlock: () => paused + 1, // the follower is still catching up
      });
      expect((await breaker.handle({ type: "pause", incidentId: incident.id, layers: ["delegation"] }))?.kind).toBe("paused");
    } finally {
      await store.close();
    }
  });

  it("is not skipped because of a pause the guardian has since lifted", async () => {
    const { safeCall } = await import("../../daemon/src/deploy/local.js");
    const { encodeFunctionData } = await import("viem");
    const hubWrite = parseAbi(["function pause(uint8[] layers, bytes32 incident)", "function unpause(uint8[] layers, bytes32 incident)", "function isPaused(uint8 layer) view returns (bool)"]);
    const zero = `0x${"00".repeat(32)}` as const;
    const safe = (functionName: "pause" | "unpause") =>
      safeCall(s.client as never, s.deployment.guardian.safe, s.deployment.guardian.hub, encodeFunctionData({ abi: hubWrite, functionName, args: [[1], zero] }), [s.wallets.owner1, s.wallets.owner2]);
    // The guardian paused the factory layer a while ago and lifted the pause 3 blocks ago.
    await s.client.waitForTransactionReceipt({ hash: await safe("pause") });
    for (let i = 0; i < 10; i++) await s.rpc("evm_mine");
    await s.client.waitForTransactionReceipt({ hash: await safe("unpause") });
    for (let i = 0; i < 2; i++) await s.rpc("evm_mine");
    const tip = Number(await s.client.getBlockNumber({ cacheTime: 0 }));
    expect(await s.client.readContract({ address: s.deployment.guardian.hub, abi: hubWrite, functionName: "isPaused", args: [1] })).toBe(false);

    // The primary endpoint fails every call; the fallback is 8 blocks behind (it still sees the pause).
    const primary = await startRpcProxy({ target: s.chain.url });
    const lagging = await startRpcProxy({ target: s.chain.url });
    const store = await openLowdbStore({ dataDir: path.join(s.dir, "lagging"), chainId: s.deployment.chainId, purpose: "test" });
    try {
      const pool = new RpcPool({ endpoints: [{ url: primary.url, name: "primary" }, { url: lagging.url, name: "lagging" }], chainId: s.deployment.chainId, timeoutMs: 1000 });
      await pool.init();
      primary.setFault({ kind: "http-error", status: 503 });
      lagging.setHead({ mode: "lag", blocks: 8 });
      const client = createPublicClient({ chain: s.chain.chain, transport: pool.transport() }) as PublicClient;
      const incident = openIncident({ key: "lagging", title: "lagging", severity: "critical", affected: { layers: ["accountFactory"], contracts: [] }, source: "test", now: new Date() });
      await store.update((draft) => void (draft.incidents[incident.id] = incident));
      const breaker = new CircuitBreaker({
        store,
        clients: [client],
        chain: s.chain.chain,
        hub: s.deployment.guardian.hub,
        sentinel: privateKeyToAccount(devKey("sentinel")),
        clock: () => new Date(),
        raise: async () => {},
        // The daemon's follower has processed the chain up to here.
        knownBlock: () => tip,
      });
      const outcome = breaker.handle({ type: "pause", incidentId: incident.id, layers: ["accountFactory"] });
      // Blocks keep coming (the lagging endpoint reaches the pause's block 8 blocks later).
      const mining = setInterval(() => void s.rpc("evm_mine").catch(() => undefined), 50);
      try {
        expect((await outcome)?.kind).toBe("paused");
      } finally {
        clearInterval(mining);
      }
      expect(await s.client.readContract({ address: s.deployment.guardian.hub, abi: hubWrite, functionName: "isPaused", args: [1] })).toBe(true);
    } finally {
      await store.close();
      await primary.close();
      await lagging.close();
    }
  });
});

describe("a pause while every endpoint is down", () => {
  let s: StackEnv;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(async () => {
    await s?.chain.stop();
  });

  it("is retried after RpcUnavailableError until it lands, and pages the guardian once it is late", async () => {
    const proxy = await startRpcProxy({ target: s.chain.url });
    const store = await openLowdbStore({ dataDir: path.join(s.dir, "down"), chainId: s.deployment.chainId, purpose: "test" });
    // The follower's tip: the node's head, a block mined every 100 ms.
    let tip = Number(await s.client.getBlockNumber({ cacheTime: 0 }));
    const mining = setInterval(() => void s.rpc("evm_mine").then(async () => (tip = Number(await s.client.getBlockNumber({ cacheTime: 0 })))).catch(() => undefined), 100);
    try {
      const pool = new RpcPool({ endpoints: [{ url: proxy.url, name: "only" }], chainId: s.deployment.chainId, timeoutMs: 1000 });
      await pool.init();
      const client = createPublicClient({ chain: s.chain.chain, transport: pool.transport() }) as PublicClient;
      const incident = openIncident({ key: "down", title: "down", severity: "critical", affected: { layers: ["delegation"], contracts: [] }, source: "test", now: new Date() });
      await store.update((draft) => void (draft.incidents[incident.id] = incident));
      const raised: string[] = [];
      const logged: Array<{ msg: string; level?: string }> = [];
      const breaker = new CircuitBreaker({
        store,
        clients: [client],
        chain: s.chain.chain,
        hub: s.deployment.guardian.hub,
        sentinel: privateKeyToAccount(devKey("sentinel")),
        clock: () => new Date(),
        raise: async (f) => void raised.push(...f.map((x) => x.key)),
        log: (msg, _f, level) => void logged.push({ msg, ...(level ? { level } : {}) }),
        knownBlock: () => tip,
        blockTimeMs: 100,
        lateAfterBlocks: 3,
        retryDelayMs: 50,
        maxRetryDelayMs: 200,
      });
      // Every request fails (HTTP 503) until the tip is 5 blocks on: more than one RpcUnavailableError, then late.
      const downUntil = tip + 5;
      proxy.setFault({ kind: "http-error", status: 503 });
      const outcome = breaker.handle({ type: "pause", incidentId: incident.id, layers: ["delegation"] });
      await waitFor(() => tip >= downUntil && raised.length > 0, 30_000, "the late page");
      proxy.setFault({ kind: "pass" });
      expect((await outcome)?.kind).toBe("paused");
      expect(raised).toEqual([`circuit-breaker:late:${incident.id}`]);
      expect(logged.filter((l) => l.msg.includes("pause attempt failed") && l.level === "error").length).toBeGreaterThan(1);
      expect(store.read().incidents[incident.id]!.state).toBe("contained");
      const hubAbi = parseAbi(["function isPaused(uint8 layer) view returns (bool)"]);
      expect(await s.client.readContract({ address: s.deployment.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [2] })).toBe(true);
    } finally {
      clearInterval(mining);
      await store.close();
      await proxy.close();
    }
  });
});

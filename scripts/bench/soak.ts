/**
 * The soak: `guardian run` as a real process on a real chain for a bounded
 * time, while everything that can go wrong does, then the invariants.
 *
 * During the run, concurrently:
 * - blocks every `blockIntervalMs` (the node's interval mining) with kit
 *   traffic: sponsored user operations through the EntryPoint and the
 *   guarded paymaster, one at a time;
 * - the daemon is SIGKILLed at random moments (while it starts, follows,
 *   commits, pauses) and started again;
 * - faults at its RPC endpoints, three fault proxies in front of the node:
 *   the primary gets JSON-RPC errors, HTTP 503, 429 with Retry-After,
 *   malformed and wrong-shaped answers, late answers (timeouts) and hangs,
 *   at random rates; the second serves a head 8 blocks behind (a lagging
 *   node); the third reports a head a million blocks ahead (a lying one);
 *   now and then all three fail at once (an outage);
 * - one chain script at a time: a Critical symptom (an unauthorized
 *   ownership transfer of the paymaster or the factory, or a Critical
 *   incident triggered through the CLI, which goes through the daemon's
 *   admin endpoint or, while the daemon is down, takes the store's lock),
 *   waited for until its pause is mined, then undone (ownership handed back,
 *   the Safe unpauses, chain time moves past the sentinel cooldown, the
 *   incident is closed); or a reorg (evm_snapshot, 1-4 blocks, evm_revert,
 *   2-5 different blocks); or nothing for a while.
 *
 * Then faults stop, a last daemon catches up, stops on SIGTERM, and the
 * checks run (see `check`): every canonical block processed exactly once,
 * no incident duplicated, every Critical symptom paused exactly once, at
 * most one pause per Critical incident, and the store parses.
 */
import { appendFileSync } from "node:fs";
import path from "node:path";
import { decodeFunctionData, keccak256, parseAbi, toHex, type Address, type Hex } from "viem";
import { hubIncidentRef, owedPauses } from "../../daemon/src/runtime/circuit-breaker.js";
import { readStoreSnapshot, storeDataSchema, type StoreData } from "../../daemon/src/store/index.js";
import type { Layer } from "../../daemon/src/types.js";
import { startRpcProxy, type ProxyFault, type RpcProxy } from "../lib/fault-proxy.js";
import {
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
import { kitTraffic } from "./traffic.js";

export interface SoakOptions {
  /** How long the faults, kills, reorgs and symptoms go on. */
  durationMs: number;
  /** The chain's block interval (interval mining). Default 400. */
  blockIntervalMs?: number;
  /** The daemon lives this long before each SIGKILL (uniform). Default [1500, 5000]. */
  killAfterMs?: [number, number];
  faults?: boolean;
  reorgs?: boolean;
  /** Symptom kinds; default both (on-chain only when the daemon detects it, see `probe`). */
  symptoms?: Array<"on-chain" | "manual">;
  log?: (line: string) => void;
  /** Appends every daemon's log (pino JSON lines on stderr) to this file. */
  daemonLog?: string;
  /** More than 1 (with store "postgres"): the HA soak of scripts/bench/ha-soak.ts, chaos aimed at the leader. */
  replicas?: number;
  /** "lowdb" (default): one daemon, its embedded store; "postgres": replicas on a throwaway PostgreSQL cluster. */
  store?: "lowdb" | "postgres";
  /** HA soak: the replicas' lease (ms). Default 3 block intervals, at least 1,500. */
  leaseMs?: number;
}

export interface SoakCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface SoakSymptom {
  n: number;
  kind: "on-chain" | "manual";
  layer: Layer;
  /** On-chain: the transaction; manual: the title. */
  ref: string;
  incidentId?: string;
  pausedInMs?: number;
  error?: string;
}

export interface SoakReport {
  ok: boolean;
  checks: SoakCheck[];
  stats: {
    seconds: number;
    blocks: number;
    daemonStarts: number;
    sigkills: number;
    reorgs: number;
    droppedBlocks: number;
    symptoms: SoakSymptom[];
    faults: Record<string, number>;
    requests: Record<string, number>;
    incidents: number;
    incidentsBySource: Record<string, number>;
    pauseTxs: number;
    /** HA soak only (scripts/bench/ha-soak.ts). */
    ha?: import("./ha-soak.js").HaStats;
  };
}

/** What the soak's loops share: `stopping` ends them; no outage while a symptom is under way. */
export interface Weather {
  stopping: boolean;
  inSymptom: boolean;
  outage: boolean;
}

/** Kit traffic until the weather stops: one sponsored user operation at a time. */
export async function trafficWeather(weather: Weather, traffic: { sendOp(): Promise<Hex> }, client: { waitForTransactionReceipt(a: { hash: Hex; timeout: number; pollingInterval: number }): Promise<unknown> }): Promise<void> {
  while (!weather.stopping) {
    try {
      const hash = await traffic.sendOp();
      await client.waitForTransactionReceipt({ hash, timeout: 5_000, pollingInterval: 100 });
    } catch {
      // dropped by a reorg (evm_revert), or refused while its nonce was reused: send the next one
    }
    await sleep(between(100, 400));
  }
}

/**
 * Faults at the three endpoints until the weather stops, chosen every 1-2 s:
 * the primary's by weight (PRIMARY_FAULTS), now and then the lagging one's
 * 500s, and in an outage all three failing; then every proxy passes again.
 */
export async function faultWeather(weather: Weather, proxies: { primary: RpcProxy; lagging: RpcProxy; liar: RpcProxy }, counts: Record<string, number>): Promise<void> {
  const { primary, lagging, liar } = proxies;
  while (!weather.stopping) {
    let choice = pick(PRIMARY_FAULTS);
    if (choice.name === "outage" && weather.inSymptom) choice = pick(PRIMARY_FAULTS.filter((f) => f.name !== "outage"));
    counts[choice.name] = (counts[choice.name] ?? 0) + 1;
    primary.setFault(choice.fault, undefined, { probability: choice.probability });
    weather.outage = choice.name === "outage";
    if (weather.outage) {
      lagging.setFault({ kind: "rpc-error", code: -32603, message: "internal error" });
      liar.setFault({ kind: "hang", ms: 2000 });
    } else {
      lagging.setFault(Math.random() < 0.2 ? { kind: "http-error", status: 500 } : { kind: "pass" }, undefined, { probability: 0.3 });
      liar.setFault({ kind: "pass" });
    }
    await sleep(between(1000, 2000));
  }
  weather.outage = false;
  for (const p of [primary, lagging, liar]) {
    p.setFault({ kind: "pass" });
    p.setHead({ mode: "true" });
  }
}

export const ownableAbi = parseAbi(["function transferOwnership(address newOwner)"]);
export const pauseTopic = keccak256(toHex("LayerPaused(uint8,address,uint64,bool,bytes32)"));
export const sentinelPauseAbi = parseAbi(["function sentinelPause(uint8[] layers, bytes32 incident)"]);

/** What the primary endpoint suffers, chosen every 1-2 s, by weight. */
export const PRIMARY_FAULTS: Array<{ weight: number; name: string; fault: ProxyFault; probability: number }> = [
  { weight: 0.2, name: "pass", fault: { kind: "pass" }, probability: 1 },
  { weight: 0.1, name: "rpc-error", fault: { kind: "rpc-error", code: -32000, message: "header not found" }, probability: 0.3 },
  { weight: 0.1, name: "http-503", fault: { kind: "http-error", status: 503 }, probability: 0.3 },
  { weight: 0.1, name: "429", fault: { kind: "rate-limit", retryAfterSeconds: 1 }, probability: 0.5 },
  { weight: 0.08, name: "malformed", fault: { kind: "malformed" }, probability: 0.2 },
  { weight: 0.08, name: "wrong-shape", fault: { kind: "wrong-shape" }, probability: 0.2 },
  { weight: 0.12, name: "timeout", fault: { kind: "delay", ms: 1500 }, probability: 0.3 },
  { weight: 0.07, name: "hang", fault: { kind: "hang", ms: 3000 }, probability: 0.2 },
  // Every endpoint fails at once (only while no symptom is under way: an outage is its own Critical incident).
  { weight: 0.15, name: "outage", fault: { kind: "http-error", status: 502 }, probability: 1 },
];

export function pick<T extends { weight: number }>(items: T[]): T {
  let r = Math.random() * items.reduce((a, i) => a + i.weight, 0);
  for (const item of items) {
    r -= item.weight;
    if (r <= 0) return item;
  }
  return items.at(-1)!;
}

export const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  if (o.store === "postgres" || (o.replicas ?? 1) > 1) {
    if (o.store !== "postgres") throw new Error(`replicas: ${o.replicas} replicas need store "postgres" (the embedded store has one daemon)`);
    const { runHaSoak } = await import("./ha-soak.js");
    return runHaSoak(o);
  }
  const log = o.log ?? (() => {});
  const blockIntervalMs = o.blockIntervalMs ?? 400;
  const [killMin, killMax] = o.killAfterMs ?? [1500, 5000];
  const started = performance.now();
  const stack = await startBenchStack();
  const proxies: RpcProxy[] = [];
  let daemon: DaemonProcess | undefined;
  try {
    return await soak(stack, o, { log, blockIntervalMs, killMin, killMax, started, proxies, setDaemon: (d) => (daemon = d) });
  } finally {
    await daemon?.kill("SIGKILL");
    for (const p of proxies) await p.close();
    await stack.stop();
  }
}

interface Ctx {
  log: (line: string) => void;
  blockIntervalMs: number;
  killMin: number;
  killMax: number;
  started: number;
  proxies: RpcProxy[];
  setDaemon: (d: DaemonProcess | undefined) => void;
}

async function soak(stack: BenchStack, o: SoakOptions, c: Ctx): Promise<SoakReport> {
  const { client, deployment: d, wallets: w, rpc } = stack;
  const { log } = c;
  const traffic = await kitTraffic(stack, "0x50a4");
  const faultsOn = o.faults ?? true;
  const reorgsOn = o.reorgs ?? true;
  const kinds = o.symptoms ?? ["on-chain", "manual"];

  // Endpoints: the primary (random faults), a lagging one, a lying one.
  const primary = await startRpcProxy({ target: stack.chain.url, name: "primary" });
  const lagging = await startRpcProxy({ target: stack.chain.url, name: "lagging" });
  const liar = await startRpcProxy({ target: stack.chain.url, name: "liar" });
  c.proxies.push(primary, lagging, liar);
  if (faultsOn) {
    lagging.setHead({ mode: "lag", blocks: 8 });
    liar.setHead({ mode: "lie", offset: 1_000_000 });
  }

  const dataDir = path.join(stack.dir, "data-soak");
  const configFile = writeDaemonConfig(stack, "soak", {
    rpcUrls: [primary.url, lagging.url, liar.url],
    blockTimeMs: 500,
    dataDir,
    requestTimeoutMs: 1000,
  });
  const env = daemonEnv(configFile);
  const cli = async (args: string[]) => guardianCli(stack, env, args);
  const startBlock = Number(await client.getBlockNumber({ cacheTime: 0 })) + 1;
  const daemonArgs = ["--record-processed", "--start-block", String(startBlock), "--publish-interval", "5", "--heartbeat-interval", "0"];

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
  };
  const store = () => readStoreSnapshot(dataDir).catch(() => undefined);
  let stderrTail = "";
  const startDaemon = () => {
    const proc = spawnDaemon(stack.dir, env, daemonArgs);
    proc.child.stderr!.on("data", (b: Buffer) => {
      stderrTail = (stderrTail + b.toString()).slice(-20_000);
      if (o.daemonLog) appendFileSync(o.daemonLog, b);
    });
    c.setDaemon(proc);
    stats.daemonStarts++;
    return proc;
  };

  await rpc("evm_setAutomine", [false]);
  await rpc("evm_setIntervalMining", [c.blockIntervalMs]);

  // 0. Does the daemon see the on-chain symptom? (It must, once the security detector runs.)
  const symptomKinds: Array<"on-chain" | "manual"> = [];
  const weather: Weather = { stopping: false, inSymptom: false, outage: false };
  const deadline = performance.now() + o.durationMs;

  // 1. Traffic: one sponsored user operation at a time.
  const trafficLoop = trafficWeather(weather, traffic, client);

  // 2. The daemon: SIGKILLed at random moments, started again.
  let killing = true;
  const killLoop = (async () => {
    while (killing) {
      const proc = startDaemon();
      const lifetime = between(c.killMin, c.killMax);
      await Promise.race([sleep(lifetime), proc.exited]);
      await proc.kill("SIGKILL");
      if (!killing) break;
      stats.sigkills++;
      await sleep(between(0, 300));
    }
  })();

  // 3. Faults.
  const faultLoop = faultsOn ? faultWeather(weather, { primary, lagging, liar }, stats.faults) : Promise.resolve();

  // 4. The chain script.
  let n = 0;
  const unpauseAll = async () => {
    const paused = await Promise.all([0, 1, 2].map((l) => client.readContract({ address: d.guardian.hub, abi: parseAbi(["function isPaused(uint8) view returns (bool)"]), functionName: "isPaused", args: [l] })));
    const layers = [0, 1, 2].filter((_, i) => paused[i]);
    if (layers.length) await stack.safeUnpause(layers);
  };
  const closeIncident = async (id: string) => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const incident = (await store())?.incidents[id];
      if (incident?.state === "postreview") return;
      if (incident && incident.state !== "recovered") await cli(["incident", "update", id, "--state", "recovered", "--message", "soak: undone"]);
      else if (incident) await cli(["incident", "update", id, "--state", "postreview"]);
      await sleep(250);
    }
    throw new Error(`could not close incident ${id}`);
  };
  const pausedOnChain = async (id: string) => {
    const logs = await rpc<Array<{ transactionHash: Hex }>>("eth_getLogs", [{ fromBlock: toHex(startBlock), toBlock: "latest", address: d.guardian.hub, topics: [pauseTopic, null, null, hubIncidentRef(id)] }]);
    return logs.length > 0;
  };

  const symptom = async () => {
    const k = ++n;
    const kind = symptomKinds[(k - 1) % symptomKinds.length]!;
    weather.inSymptom = true;
    // A clean start: no outage under way, every layer unpaused (an outage's Critical incident may have
    // paused them), chain time past any sentinel cooldown.
    await waitUntil(() => !weather.outage, 10_000, "the outage to end", 100);
    await unpauseAll();
    await rpc("evm_increaseTime", [SENTINEL_PAUSE_SECONDS + SENTINEL_COOLDOWN_SECONDS + 60]);
    const t0 = performance.now();
    let s: SoakSymptom;
    if (kind === "on-chain") {
      const target = k % 4 < 2 ? "paymaster" : "accountFactory";
      const address = d.guardian[target];
      const hash = await w.deployer.writeContract({ address, abi: ownableAbi, functionName: "transferOwnership", args: [w.stranger.account.address], gas: 100_000n });
      s = { n: k, kind, layer: target === "paymaster" ? "entryPoint" : "accountFactory", ref: hash };
      stats.symptoms.push(s);
      await client.waitForTransactionReceipt({ hash, pollingInterval: 100 });
      await waitUntil(
        async () => {
          const data = await store();
          const found = Object.values(data?.incidents ?? {}).find((i) => i.severity === "critical" && i.timeline.some((e) => e.evidence?.txHash === hash));
          if (found) s.incidentId = found.id;
          return !!found;
        },
        45_000,
        `the incident of symptom ${k}`,
        200,
      );
    } else {
      const contract = (["paymaster", "factory", "delegationManager"] as const)[k % 3]!;
      const layer: Layer = contract === "paymaster" ? "entryPoint" : contract === "factory" ? "accountFactory" : "delegation";
      const title = `soak symptom ${k}`;
      s = { n: k, kind, layer, ref: title };
      stats.symptoms.push(s);
      // The CLI may find the daemon starting (lock held, no admin endpoint yet) or killed mid-request: retry, never twice.
      for (let attempt = 0; !s.incidentId; attempt++) {
        const existing = Object.values((await store())?.incidents ?? {}).find((i) => i.title === title);
        if (existing) {
          s.incidentId = existing.id;
          break;
        }
        if (attempt > 60) throw new Error(`could not trigger symptom ${k}`);
        const r = await cli(["incident", "trigger", contract, "--severity", "critical", "--title", title]);
        if (r.code === 0) s.incidentId = r.out.trim();
        else await sleep(300);
      }
    }
    try {
      await waitUntil(() => pausedOnChain(s.incidentId!), 45_000, `the pause of symptom ${k} (${kind})`, 250);
      s.pausedInMs = performance.now() - t0;
    } catch (error) {
      s.error = (error as Error).message;
      log(`  symptom ${k}: ${s.error}`);
    }
    // Undo: ownership back, the Safe unpauses, time past the cooldown, the incident closed.
    if (kind === "on-chain") {
      const back = await w.stranger.writeContract({ address: d.guardian[s.layer === "entryPoint" ? "paymaster" : "accountFactory"], abi: ownableAbi, functionName: "transferOwnership", args: [w.deployer.account.address], gas: 100_000n });
      await client.waitForTransactionReceipt({ hash: back, pollingInterval: 100 });
    }
    await unpauseAll();
    await rpc("evm_increaseTime", [SENTINEL_PAUSE_SECONDS + SENTINEL_COOLDOWN_SECONDS + 60]);
    await closeIncident(s.incidentId!);
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
      await sleep(between(200, 1500)); // the daemon may or may not have processed them
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
    // The probe: one on-chain symptom while the daemon runs without faults yet.
    if (kinds.includes("manual")) symptomKinds.push("manual");
    if (kinds.includes("on-chain")) {
      symptomKinds.unshift("on-chain");
      try {
        await symptom();
      } catch (error) {
        symptomKinds.shift();
        weather.inSymptom = false;
        const s = stats.symptoms.pop();
        log(`  the daemon raised no incident for an ownership transfer (${(error as Error).message}): on-chain symptoms left out`);
        if (s) {
          await w.stranger.writeContract({ address: d.guardian.paymaster, abi: ownableAbi, functionName: "transferOwnership", args: [w.deployer.account.address], gas: 100_000n }).catch(() => undefined);
        }
      }
    }
    if (symptomKinds.length === 0) throw new Error("no symptom kind left to inject");
    while (performance.now() < deadline) {
      const r = Math.random();
      if (r < 0.5) await symptom();
      else if (r < 0.8 && reorgsOn) await reorg();
      else await sleep(between(500, 1500));
    }
  } catch (error) {
    failure = error;
  }

  // 5. Wind down: faults off, traffic off, a last daemon catches up, SIGTERM.
  weather.stopping = true;
  await faultLoop;
  await trafficLoop;
  killing = false;
  await killLoop;
  const final = startDaemon();
  try {
    await final.ready;
    // Blocks keep coming until every pause owed is journaled and every journaled pause is mined (a pause owed
    // by an incident stored just before a SIGKILL is journaled by this daemon's breaker soon after it starts),
    // then the chain stops and the daemon catches up.
    const pending = async () => {
      const data = await store();
      if (!data) return [];
      const owed = owedPauses(data, { entryPoint: true, accountFactory: true, delegation: true }).map((a) => ({ owed: a.incidentId }));
      return [...owed, ...data.outbox.filter((x) => x.kind === "sentinel-pause" && x.status !== "done")];
    };
    await waitUntil(async () => (await pending()).length === 0, 30_000, "owed pauses journaled and mined", 250).catch(async (error: Error) => {
      failure ??= new Error(`${error.message}: ${JSON.stringify(await pending())}`);
    });
    await rpc("evm_setIntervalMining", [0]);
    await sleep(c.blockIntervalMs);
    const head = Number(await client.getBlockNumber({ cacheTime: 0 }));
    await waitUntil(async () => ((await store())?.chain.ring.at(-1)?.number ?? -1) >= head, 60_000, `the last daemon at block ${head}`, 200);
  } finally {
    const exit = await final.kill("SIGTERM");
    if (exit.code !== 0) failure ??= new Error(`the last daemon exited with ${exit.code ?? exit.signal} on SIGTERM:\n${stderrTail.slice(-3000)}`);
  }
  stats.seconds = (performance.now() - c.started) / 1000;
  for (const [name, p] of [["primary", primary], ["lagging", lagging], ["liar", liar]] as const) {
    stats.requests[name] = p.requests.total;
    stats.requests[`${name}Faulted`] = p.faulted.total;
  }

  const checks = await check(stack, dataDir, startBlock, stats);
  if (failure) checks.unshift({ name: "the soak ran to its end", ok: false, detail: (failure as Error).stack ?? String(failure) });
  return { ok: checks.every((x) => x.ok), checks, stats };
}

/** The invariants, on the node's canonical chain and the daemon's store. */
async function check(stack: BenchStack, dataDir: string, startBlock: number, stats: SoakReport["stats"]): Promise<SoakCheck[]> {
  const checks: SoakCheck[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  // The store parses (and passes its schema).
  let data: Readonly<StoreData> | undefined;
  try {
    data = await readStoreSnapshot(dataDir);
    storeDataSchema.parse(data);
    add("the store parses", !!data, data ? `${Object.keys(data.incidents).length} incidents, ${data.outbox.length} outbox items` : "no store");
  } catch (error) {
    add("the store parses", false, (error as Error).message);
  }
  if (!data) return checks;
  checks.push(...(await checkData(stack, data, startBlock, stats)));
  return checks;
}

/** What the invariants read: the store's records (the PostgreSQL soak passes hot and archived incidents together). */
export type CheckedData = Pick<StoreData, "incidents" | "outbox"> & { chain: Pick<StoreData["chain"], "processedLog" | "processedCount"> };

/** The invariants on `data` against the node's canonical chain from `startBlock`. */
export async function checkData(stack: BenchStack, data: Readonly<CheckedData>, startBlock: number, stats: SoakReport["stats"]): Promise<SoakCheck[]> {
  const { client, deployment: d } = stack;
  const checks: SoakCheck[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  // Every canonical block processed exactly once: the processed log is the node's chain.
  const head = Number(await client.getBlockNumber({ cacheTime: 0 }));
  stats.blocks = head - startBlock + 1;
  const canonical: string[] = [];
  for (let from = startBlock; from <= head; from += 200) {
    const numbers = Array.from({ length: Math.min(200, head - from + 1) }, (_, i) => from + i);
    const body = numbers.map((nb) => ({ jsonrpc: "2.0", id: nb, method: "eth_getBlockByNumber", params: [toHex(nb), false] }));
    const answers = (await (await fetch(stack.chain.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json()) as Array<{ id: number; result: { hash: string } }>;
    for (const a of answers.sort((x, y) => x.id - y.id)) canonical.push(a.result.hash);
  }
  const logged = data.chain.processedLog ?? [];
  const mismatches: string[] = [];
  if (logged.length !== canonical.length) mismatches.push(`${logged.length} blocks processed, the chain has ${canonical.length} (${startBlock}..${head})`);
  logged.forEach((b, i) => {
    if (mismatches.length < 5 && (b.number !== startBlock + i || b.hash !== canonical[i])) mismatches.push(`#${i}: processed ${b.number} ${b.hash.slice(0, 10)}, chain ${startBlock + i} ${canonical[i]?.slice(0, 10)}`);
  });
  if (data.chain.processedCount !== logged.length) mismatches.push(`processedCount ${data.chain.processedCount} != log ${logged.length}`);
  add("every canonical block processed exactly once", mismatches.length === 0, mismatches.join("; ") || `${logged.length} blocks ${startBlock}..${head}, ${stats.reorgs} reorgs (${stats.droppedBlocks} blocks dropped)`);

  // No incident duplicated: one incident per key and occurrence, one incident per symptom.
  const incidents = Object.values(data.incidents);
  stats.incidents = incidents.length;
  for (const i of incidents) stats.incidentsBySource[i.source] = (stats.incidentsBySource[i.source] ?? 0) + 1;
  const byKey = new Map<string, number>();
  for (const i of incidents) byKey.set(`${i.key}#${i.occurrence}`, (byKey.get(`${i.key}#${i.occurrence}`) ?? 0) + 1);
  const dupKeys = [...byKey].filter(([, count]) => count > 1).map(([k]) => k);
  const symptomProblems: string[] = [];
  for (const s of stats.symptoms) {
    const matching =
      s.kind === "manual"
        ? incidents.filter((i) => i.title === s.ref)
        : incidents.filter((i) => i.timeline.some((e) => e.kind === "finding" && e.evidence?.txHash === s.ref));
    if (matching.length !== 1) symptomProblems.push(`symptom ${s.n} (${s.kind}) has ${matching.length} incidents`);
  }
  add("no incident duplicated", dupKeys.length === 0 && symptomProblems.length === 0, [...dupKeys.map((k) => `key ${k} twice`), ...symptomProblems].join("; ") || `${incidents.length} incidents, ${stats.symptoms.length} symptoms, one incident each`);

  // Pauses on chain: every sentinelPause transaction mined since the start, by incident reference.
  const minedByRef = new Map<string, { ok: number; reverted: number }>();
  const sentinels = new Set(d.roles.sentinels.map((a) => a.toLowerCase()));
  for (let from = startBlock; from <= head; from += 200) {
    const numbers = Array.from({ length: Math.min(200, head - from + 1) }, (_, i) => from + i);
    const body = numbers.map((nb) => ({ jsonrpc: "2.0", id: nb, method: "eth_getBlockByNumber", params: [toHex(nb), true] }));
    const answers = (await (await fetch(stack.chain.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json()) as Array<{
      result: { transactions: Array<{ hash: Hex; from: Address; to: Address | null; input: Hex }> };
    }>;
    for (const a of answers) {
      for (const tx of a.result.transactions) {
        if (!sentinels.has(tx.from.toLowerCase()) || tx.to?.toLowerCase() !== d.guardian.hub.toLowerCase()) continue;
        let ref: string;
        try {
          const call = decodeFunctionData({ abi: sentinelPauseAbi, data: tx.input });
          ref = (call.args[1] as string).toLowerCase();
        } catch {
          continue; // not a pause (release, heartbeat)
        }
        const receipt = await client.getTransactionReceipt({ hash: tx.hash });
        const entry = minedByRef.get(ref) ?? { ok: 0, reverted: 0 };
        if (receipt.status === "success") entry.ok++;
        else entry.reverted++;
        minedByRef.set(ref, entry);
        stats.pauseTxs++;
      }
    }
  }
  const journal = new Map<string, Array<(typeof data.outbox)[number]>>();
  for (const item of data.outbox) if (item.kind === "sentinel-pause") journal.set(item.incidentId ?? "", [...(journal.get(item.incidentId ?? "") ?? []), item]);

  // Every Critical symptom paused exactly once.
  const unpaused: string[] = [];
  for (const s of stats.symptoms) {
    if (!s.incidentId) {
      unpaused.push(`symptom ${s.n}: no incident`);
      continue;
    }
    const entries = journal.get(s.incidentId) ?? [];
    const mined = minedByRef.get(hubIncidentRef(s.incidentId).toLowerCase()) ?? { ok: 0, reverted: 0 };
    const entry = entries[0]?.payload as { layers?: Layer[]; minedHash?: string } | undefined;
    if (entries.length !== 1 || entries[0]!.status !== "done" || !entry?.minedHash || !entry.layers?.includes(s.layer)) {
      unpaused.push(`symptom ${s.n} (${s.kind}): ${entries.length} journal entries${entries[0] ? ` (${entries[0].status}, layers ${entry?.layers?.join(",")})` : ""}`);
    }
    if (mined.ok !== 1 || mined.reverted !== 0) unpaused.push(`symptom ${s.n} (${s.kind}): ${mined.ok} pause transactions mined (${mined.reverted} reverted)`);
  }
  add("every Critical symptom paused exactly once", unpaused.length === 0, unpaused.join("; ") || `${stats.symptoms.length} symptoms, one journaled pause and one mined pause transaction each`);

  // At most one pause per Critical incident, whatever raised it; no pause without a Critical incident.
  const overPaused: string[] = [];
  const refs = new Map(incidents.map((i) => [hubIncidentRef(i.id).toLowerCase(), i]));
  for (const [ref, mined] of minedByRef) {
    const incident = refs.get(ref);
    if (!incident) overPaused.push(`pause ${ref.slice(0, 10)} for no known incident`);
    else if (incident.severity !== "critical") overPaused.push(`pause for ${incident.severity} incident ${incident.id}`);
    if (mined.ok + mined.reverted > 1) overPaused.push(`incident ${incident?.id ?? ref}: ${mined.ok + mined.reverted} pause transactions mined`);
  }
  for (const [id, entries] of journal) if (entries.length > 1) overPaused.push(`incident ${id}: ${entries.length} journal entries`);
  add("at most one pause per Critical incident", overPaused.length === 0, overPaused.join("; ") || `${stats.pauseTxs} pause transactions, ${journal.size} journal entries`);

  return checks;
}

/** A summary a person can read. */
export function formatSoakReport(r: SoakReport): string {
  const s = r.stats;
  const kinds = (k: string) => s.symptoms.filter((x) => x.kind === k).length;
  const lines = [
    `soak: ${Math.round(s.seconds)} s, ${s.blocks} blocks, ${s.daemonStarts} daemon starts, ${s.sigkills} SIGKILLs, ${s.reorgs} reorgs (${s.droppedBlocks} blocks dropped)`,
    `symptoms: ${s.symptoms.length} Critical (${kinds("on-chain")} on-chain ownership transfers, ${kinds("manual")} triggered through the CLI); ${s.pauseTxs} pause transactions mined`,
    `faults on the primary endpoint: ${Object.entries(s.faults).map(([k, v]) => `${k} ×${v}`).join(", ") || "none"}; requests answered with a fault: primary ${s.requests.primaryFaulted ?? 0} of ${s.requests.primary ?? 0}, lagging ${s.requests.laggingFaulted ?? 0} of ${s.requests.lagging ?? 0}, lying ${s.requests.liarFaulted ?? 0} of ${s.requests.liar ?? 0}`,
    `incidents: ${s.incidents} (${Object.entries(s.incidentsBySource).map(([k, v]) => `${k} ${v}`).join(", ")})`,
    ...(s.ha ? formatHaStats(s.ha) : []),
    ...r.checks.map((c) => `${c.ok ? "PASS" : "FAIL"}  ${c.name}: ${c.detail}`),
  ];
  return lines.join("\n");
}

/** The HA part of the summary. */
export function formatHaStats(ha: import("./ha-soak.js").HaStats): string[] {
  const lines = [
    `replicas: ${ha.replicas} on PostgreSQL (lease ${ha.leaseMs} ms), ${ha.replicaStarts} starts; at the leader: ${ha.sigkills} SIGKILLs, ${ha.sigstops} SIGSTOPs past the lease, ${ha.dbCuts} connection cuts (${ha.backendsCut} backends), ${ha.pgRestarts} PostgreSQL restart(s); ${ha.terms} terms`,
    `notifications: ${ha.notifications.ids} ids, ${ha.notifications.deliveries} deliveries (${ha.notifications.resentAcrossLoss} ids sent again across a leader loss), ${ha.notifications.refused} attempts refused by the receiver`,
  ];
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const kt = ha.takeovers;
  if (kt.length) {
    const ms = sorted(kt.map((t) => t.expiryToFirstCommitMs));
    const blocks = sorted(kt.map((t) => t.blocks));
    const acquire = sorted(kt.map((t) => t.expiryToAcquireMs));
    lines.push(
      `takeover (old lease's expiry → new leader's first committed block, lease ${ha.leaseMs} ms): ${kt.length} takeovers, ms median ${ms[Math.floor(ms.length / 2)]} max ${ms.at(-1)} (the lease taken after median ${acquire[Math.floor(acquire.length / 2)]} max ${acquire.at(-1)}); blocks median ${blocks[Math.floor(blocks.length / 2)]} max ${blocks.at(-1)}`,
      ...kt.map((t) => `  ${t.cause}: term ${t.oldTerm}→${t.newTerm}, expiry ${t.lossToExpiryMs} ms after the loss, lease taken after ${t.expiryToAcquireMs} ms, first block ${t.firstBlock} committed ${t.expiryToFirstCommitMs} ms (${t.blocks} blocks) after the expiry`),
    );
  }
  return lines;
}

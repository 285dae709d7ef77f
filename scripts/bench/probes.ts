/**
 * The probes' figures (issue 13, "Speed and cost"), on the bench stack with a
 * real Pimlico Alto started against its node:
 *
 * - cost: RPC requests (at a counting proxy in front of the node) and bundler
 *   requests (at a counting proxy in front of Alto) per probe round, for one
 *   bundler without node simulation, one bundler with it, and no bundler
 *   (simulation only). The runner is the daemon's own (probes/runner.ts) on
 *   its own RPC pool, so nothing else the daemon does is counted. A block is
 *   mined between rounds (straight at the node, not through the proxy), as
 *   the daemon runs a round every `everyBlocks` blocks.
 * - detection: the daemon in process (startDaemon) probing through Alto only,
 *   a round every `everyBlocks` blocks; per trial the HybridDeleGator
 *   implementation's code is removed (`hardhat_setCode` to 0x: a broken
 *   factory configuration, every account creation refused with AA13 and
 *   nothing reaching the chain), then restored. Measured: the block of the
 *   first probe round that saw the refusal (the daemon's "probes failed" log
 *   line, which carries the round's block) and the evidence block of the
 *   incident's first probes finding. The baseline is the on-chain
 *   account-creation detector in the same daemon: the run checks that it
 *   raised nothing during the trials and that no transaction reached the
 *   EntryPoint or the factory.
 */
import { Writable } from "node:stream";
import { writeFileSync } from "node:fs";
import path from "node:path";
import pino from "pino";
import type { Address } from "viem";
import { createBundlerClient } from "../../daemon/src/bundler/client.js";
import { RpcPool } from "../../daemon/src/chain/index.js";
import { loadConfig } from "../../daemon/src/config/index.js";
import { ROLE_INDEX } from "../../daemon/src/deploy/local.js";
import { PROBE_DEFAULTS } from "../../daemon/src/detectors/probes.js";
import { ProbeRunner } from "../../daemon/src/probes/runner.js";
import { startDaemon, type RunningDaemon } from "../../daemon/src/runtime/daemon.js";
import { LAYER_ID, type ProbeResult } from "../../daemon/src/types.js";
import { startAlto, type AltoBundler } from "../lib/bundler.js";
import { startRpcProxy, type RpcProxy } from "../lib/fault-proxy.js";
import { Miner } from "./miner.js";
import { daemonEnv, devKey, hubAbi, type BenchStack } from "./stack.js";
import { max, median } from "./stats.js";

export interface ProbesOptions {
  /** Probe rounds per configuration for the request counts. */
  rounds: number;
  /** Break-the-factory trials for blocks to the incident. */
  trials: number;
  /** The daemon's probes.everyBlocks in the detection trials. */
  everyBlocks: number;
  /** Block time of the detection trials (ms). */
  blockMs: number;
  log: (line: string) => void;
}

/** Requests of one configuration per round: medians over the rounds, and the mean split by method. */
export interface ProbeCost {
  config: "bundler" | "bundler+simulation" | "simulation";
  rounds: number;
  /** HTTP requests at the node's proxy per round (a batch is one). */
  rpcRequests: { median: number; max: number; perRound: number[] };
  /** JSON-RPC calls at the node's proxy per round (batch items counted one by one). */
  rpcCallsMedian: number;
  bundlerRequests: { median: number; max: number; perRound: number[] };
  /** Calls per round by method (mean over the rounds). */
  rpcByMethod: Record<string, number>;
  bundlerByMethod: Record<string, number>;
  /** Results other than "ok" over all rounds (a healthy stack: none; else the counts describe failures). */
  notOk: string[];
}

export interface ProbeDetectionTrial {
  /** The head when the implementation's code was removed. */
  breakBlock: number;
  /** The block of the first round that saw account creation refused. */
  firstFailBlock?: number;
  /** The evidence block of the incident's first probes finding. */
  incidentBlock?: number;
  /** incidentBlock - firstFailBlock. */
  blocks?: number;
  aaCode?: string;
  error?: string;
}

export interface ProbesResult {
  alto: { blockTimeMs: number };
  cost: ProbeCost[];
  detection: {
    everyBlocks: number;
    blockMs: number;
    /** Rounds in a row a journey must fail before it is a symptom (the detector's default). */
    failRounds: number;
    trials: ProbeDetectionTrial[];
    blocksMedian: number;
    blocksMax: number;
    /** Findings of the on-chain account-creation detector during the trials (the baseline: expected 0). */
    onChainFindings: number;
    /** Transactions to the EntryPoint or the factory during the trials (expected 0). */
    transactionsToStack: number;
  };
}

const perRound = (counts: Map<string, number>, rounds: number) =>
  Object.fromEntries([...counts.entries()].sort((a, b) => b[1] - a[1]).map(([m, c]) => [m, c / rounds]));

async function measureCost(
  stack: BenchStack,
  config: ProbeCost["config"],
  o: { rounds: number; nodeProxy: RpcProxy; altoProxy: RpcProxy; timeoutMs: number },
): Promise<ProbeCost> {
  const { nodeProxy, altoProxy } = o;
  const pool = new RpcPool({ endpoints: [nodeProxy.url], chainId: stack.deployment.chainId, timeoutMs: o.timeoutMs });
  await pool.init();
  const withBundler = config !== "simulation";
  const runner = new ProbeRunner({
    chainId: stack.deployment.chainId,
    deployment: stack.deployment,
    pool,
    bundlers: withBundler ? [{ name: "alto", client: createBundlerClient({ url: altoProxy.url, timeoutMs: o.timeoutMs }) }] : [],
    sponsorKey: devKey(ROLE_INDEX.sponsor),
    timeoutMs: o.timeoutMs,
    simulate: config !== "bundler",
  });
  const rpc: number[] = [];
  const calls: number[] = [];
  const bundler: number[] = [];
  const rpcMethods = new Map<string, number>();
  const bundlerMethods = new Map<string, number>();
  const notOk: string[] = [];
  const add = (into: Map<string, number>, from: Map<string, number>) => {
    for (const [m, c] of from) into.set(m, (into.get(m) ?? 0) + c);
  };
  for (let i = 0; i < o.rounds; i++) {
    await stack.rpc("evm_mine"); // straight at the node: not counted
    const block = Number(await stack.client.getBlockNumber({ cacheTime: 0 }));
    nodeProxy.resetCounts();
    altoProxy.resetCounts();
    const results: ProbeResult[] = await runner.run({ block });
    rpc.push(nodeProxy.requests.total);
    calls.push([...nodeProxy.counts.values()].reduce((a, b) => a + b, 0));
    bundler.push(altoProxy.requests.total);
    add(rpcMethods, nodeProxy.counts);
    add(bundlerMethods, altoProxy.counts);
    for (const r of results) if (r.outcome !== "ok") notOk.push(`${r.journey} via ${r.via}: ${r.outcome} ${r.aaCode ?? ""} ${r.message ?? ""}`.trim());
  }
  return {
    config,
    rounds: o.rounds,
    rpcRequests: { median: median(rpc), max: max(rpc), perRound: rpc },
    rpcCallsMedian: median(calls),
    bundlerRequests: { median: median(bundler), max: max(bundler), perRound: bundler },
    rpcByMethod: perRound(rpcMethods, o.rounds),
    bundlerByMethod: perRound(bundlerMethods, o.rounds),
    notOk: [...new Set(notOk)],
  };
}

/** The daemon's log lines (pino JSON), kept in memory: "probes failed" carries each failing round's block. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n")) {
        if (!line.trim()) continue;
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not JSON: not ours to read
        }
      }
      if (lines.length > 20_000) lines.splice(0, lines.length - 10_000);
      done();
    },
  });
  return { logger: pino({ level: "info" }, stream), lines };
}

async function waitFor<T>(what: string, pick: () => T | undefined | Promise<T | undefined>, miner: Miner, deadlineBlocks: number): Promise<T> {
  const start = (await miner.waitBlock()).number;
  for (;;) {
    const value = await pick();
    if (value !== undefined) return value;
    const at = (await miner.waitBlock()).number;
    if (at - start > deadlineBlocks) throw new Error(`no ${what} within ${deadlineBlocks} blocks (blocks ${start}..${at})`);
  }
}

export async function runProbes(stack: BenchStack, o: ProbesOptions): Promise<ProbesResult> {
  const timeoutMs = 30_000;
  let alto: AltoBundler | undefined;
  let nodeProxy: RpcProxy | undefined;
  let altoProxy: RpcProxy | undefined;
  let daemon: RunningDaemon | undefined;
  const miner = new Miner(stack.chain.url, o.blockMs);
  const impl = (stack.deployment.kit as unknown as { implementations: Record<string, Address> }).implementations.HybridDeleGatorImpl!;
  const implCode = await stack.client.getCode({ address: impl });
  let broken = false;
  // A layer Guardian paused (an earlier phase's pause left in place) would make every refusal the breaker working.
  for (const [name, layer] of Object.entries(LAYER_ID)) {
    if (await stack.client.readContract({ address: stack.deployment.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [layer] }))
      throw new Error(`the ${name} layer is paused on the bench stack: the probes would see Guardian's own pause, not a symptom`);
  }
  try {
    o.log(`  starting Alto against the node (--safe-mode false, block time ${o.blockMs} ms)`);
    alto = await startAlto({ rpcUrl: stack.chain.url, entryPoint: stack.deployment.kit.EntryPoint, blockTimeMs: o.blockMs });
    nodeProxy = await startRpcProxy({ target: stack.chain.url, name: "probe-node" });
    altoProxy = await startRpcProxy({ target: alto.url, name: "probe-alto" });

    // 1. Requests per round, per configuration.
    const cost: ProbeCost[] = [];
    for (const config of ["bundler", "bundler+simulation", "simulation"] as const) {
      const c = await measureCost(stack, config, { rounds: o.rounds, nodeProxy, altoProxy, timeoutMs });
      o.log(`  ${config}: RPC requests per round median ${c.rpcRequests.median} (max ${c.rpcRequests.max}), bundler requests median ${c.bundlerRequests.median} (max ${c.bundlerRequests.max})${c.notOk.length ? `; NOT ok: ${c.notOk.join("; ")}` : ""}`);
      cost.push(c);
    }

    // 2. Blocks from the first failing probe to the incident: the daemon in process, probing through Alto.
    const dataDir = `data-probes-${Date.now()}`;
    const file = path.join(stack.dir, "probes-bench.json");
    writeFileSync(
      file,
      JSON.stringify({
        preset: "local",
        blockTimeMs: o.blockMs,
        rpc: { endpoints: [{ name: "node", http: stack.chain.url }] },
        deploymentsFile: `deployments/${stack.deployment.chainId}.json`,
        dataDir,
        follower: { requestTimeoutMs: 5000 },
        metrics: { port: 0 },
        // The point is what the probes see: a pause would end the symptom (and the next trial's).
        autoPause: { entryPoint: false, accountFactory: false, delegation: false },
        bundlers: [{ name: "alto" }],
        probes: { everyBlocks: o.everyBlocks, timeoutMs, simulate: false },
      }),
    );
    const config = loadConfig({ file, env: { ...daemonEnv(file), GUARDIAN_BUNDLER_ALTO: alto.url, GUARDIAN_PROBE_SPONSOR_KEY: devKey(ROLE_INDEX.sponsor) }, cwd: stack.dir });
    const failRounds = PROBE_DEFAULTS.failRounds; // the config above leaves the thresholds at their defaults
    const { logger, lines } = capturingLogger();
    await stack.rpc("evm_setAutomine", [false]);
    miner.start();
    daemon = await startDaemon({ config, startBlock: "head", publishIntervalSeconds: 3600, heartbeatIntervalSeconds: 0, pauseAbilityIntervalSeconds: 3600, logger });
    const running = daemon;
    const processed = () => running.store.read().chain.ring.at(-1)?.number ?? 0;
    const deadline = 40 * o.everyBlocks;
    // Warm-up: the daemon follows the head and a few rounds pass.
    const warm = (await miner.waitBlock()).number + 3 * o.everyBlocks;
    await waitFor("the daemon at the head", () => (processed() >= warm ? true : undefined), miner, deadline);

    const failingRound = (from: number, after: number) =>
      lines.find(
        (l) =>
          l.msg === "probes failed" &&
          typeof l.block === "number" &&
          l.block >= from &&
          (l.time as number) >= after &&
          Array.isArray(l.failed) &&
          (l.failed as string[]).some((f) => f.startsWith("account-creation via alto")),
      );
    const incidentOf = (id: string | undefined) => (id ? running.store.read().incidents[id] : undefined);
    const trials: ProbeDetectionTrial[] = [];
    const firstBlock = (await miner.waitBlock()).number;
    for (let t = 0; t < o.trials; t++) {
      const breakBlock = await miner.pausedWhile(async () => {
        await stack.rpc("hardhat_setCode", [impl, "0x"]);
        return Number(await stack.client.getBlockNumber({ cacheTime: 0 }));
      });
      broken = true;
      const brokenAt = Date.now();
      const trial: ProbeDetectionTrial = { breakBlock };
      try {
        const finding = await waitFor(
          "account-creation incident from the probes",
          () =>
            running.store
              .read()
              .findings.find((f) => f.detector === "probes" && f.key === "account-creation:failing" && !f.recovered && (f.evidence?.blockNumber ?? 0) >= breakBlock && incidentOf(f.incidentId)),
          miner,
          deadline,
        );
        const first = failingRound(breakBlock, brokenAt);
        trial.incidentBlock = finding.evidence!.blockNumber;
        trial.aaCode = /AA\d\d/.exec(finding.summary)?.[0];
        if (first) {
          trial.firstFailBlock = first.block as number;
          trial.blocks = trial.incidentBlock - trial.firstFailBlock;
        } else trial.error = "no failing round logged before the incident";
      } catch (error) {
        trial.error = error instanceof Error ? error.message : String(error);
      } finally {
        await miner.pausedWhile(() => stack.rpc("hardhat_setCode", [impl, implCode]));
        broken = false;
      }
      const restored = Number(await stack.client.getBlockNumber({ cacheTime: 0 }));
      o.log(`  trial ${t + 1}: code removed at block ${breakBlock}, first refused round at ${trial.firstFailBlock ?? "-"}, incident's evidence at ${trial.incidentBlock ?? "-"}: ${trial.blocks ?? "-"} blocks${trial.error ? ` (${trial.error})` : ""}`);
      trials.push(trial);
      // Recovered before the next trial (a new streak, a new finding).
      await waitFor(
        "account creation recovered",
        () => running.store.read().findings.find((f) => f.detector === "probes" && f.key === "account-creation:failing" && f.recovered && (f.evidence?.blockNumber ?? 0) >= restored),
        miner,
        deadline,
      ).catch((e: Error) => o.log(`  ${e.message}`));
    }
    const lastBlock = (await miner.waitBlock()).number;
    await miner.stop();

    // The baseline: the on-chain account-creation detector saw nothing, and nothing reached the chain.
    const onChainFindings = running.store
      .read()
      .findings.filter((f) => f.detector === "account-creation" && (f.evidence?.blockNumber ?? 0) >= firstBlock).length;
    const targets = new Set([stack.deployment.kit.EntryPoint, stack.deployment.guardian.accountFactory].map((a) => a.toLowerCase()));
    let transactionsToStack = 0;
    for (let n = firstBlock; n <= lastBlock; n++) {
      const block = await stack.client.getBlock({ blockNumber: BigInt(n), includeTransactions: true });
      for (const tx of block.transactions) if (tx.to && targets.has(tx.to.toLowerCase())) transactionsToStack++;
    }
    const ok = trials.flatMap((t) => (t.blocks !== undefined ? [t.blocks] : []));
    return {
      alto: { blockTimeMs: o.blockMs },
      cost,
      detection: { everyBlocks: o.everyBlocks, blockMs: o.blockMs, failRounds, trials, blocksMedian: median(ok), blocksMax: max(ok), onChainFindings, transactionsToStack },
    };
  } finally {
    await miner.stop().catch(() => undefined);
    if (broken) await stack.rpc("hardhat_setCode", [impl, implCode]).catch(() => undefined);
    await daemon?.stop().catch(() => undefined);
    await stack.rpc("evm_setAutomine", [true]).catch(() => undefined);
    await nodeProxy?.close().catch(() => undefined);
    await altoProxy?.close().catch(() => undefined);
    await alto?.stop().catch(() => undefined);
  }
}

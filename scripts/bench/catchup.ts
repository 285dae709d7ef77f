/**
 * Catch-up after downtime: a stretch of chain with kit traffic is made while
 * nothing follows it, then the daemon starts on a fresh data directory at its
 * first block and follows to its last (startDaemon in this process, straight
 * to the node, the default follower settings). Blocks/s and events/s from the
 * moment the daemon is running until its checkpoint reaches the last block.
 *
 * The chain: most blocks empty, made with batched `evm_mine` (every block
 * real; see hardhat-node.ts on why not `hardhat_mine`); one block in
 * `trafficEvery` holds a sponsored user operation (`handleOps` through the
 * EntryPoint and the guarded paymaster) and a hub heartbeat.
 *
 * With `postgresUrl`, the daemon is a replica on the PostgreSQL store (it
 * leads at once; the clock starts once it leads).
 *
 * With `limits`, the daemon follows through the fault proxy imposing a
 * provider's limits (e.g. a 1,000-block `eth_getLogs` range and a 10-call
 * batch cap): the pool learns the cap, the follower the range.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import pino from "pino";
import { numberToHex } from "viem";
import { loadConfig } from "../../daemon/src/config/index.js";
import { startDaemon, watchedContracts } from "../../daemon/src/runtime/daemon.js";
import { leaseTiming, replicaHolder, startReplica } from "../../daemon/src/runtime/replica.js";
import { openSharedStore } from "../../daemon/src/store/open.js";
import { baselineCatchUp, WATCH_TOPICS } from "./baseline.js";
import { sleep, writeDaemonConfig, type BenchStack } from "./stack.js";
import { kitTraffic } from "./traffic.js";
import { mineBlocks } from "../lib/local-chain.js";
import { startRpcProxy, type ProviderLimits } from "../lib/fault-proxy.js";

export interface KitChain {
  from: number;
  to: number;
  blocks: number;
  trafficBlocks: number;
  /** Logs of the watched contracts in the range. */
  events: number;
  /** Of those, logs the baseline's ABI decodes. */
  baselineEvents: number;
  generateMs: number;
}

/** Makes `blocks` blocks, one in `trafficEvery` with a user operation and a heartbeat. */
export async function generateKitChain(stack: BenchStack, o: { blocks: number; trafficEvery: number; log: (line: string) => void }): Promise<KitChain> {
  const started = performance.now();
  const traffic = await kitTraffic(stack, "0xca7c4");
  await stack.rpc("evm_setAutomine", [false]);
  const from = Number(await stack.client.getBlockNumber({ cacheTime: 0 })) + 1;
  let trafficBlocks = 0;
  try {
    let made = 0;
    while (made < o.blocks) {
      const op = await traffic.sendOp();
      const hb = await traffic.heartbeat();
      await mineBlocks(stack.chain.url, 1);
      made++;
      trafficBlocks++;
      const r = await stack.client.getTransactionReceipt({ hash: op });
      if (r.status !== "success") throw new Error(`catch-up traffic: user operation ${op} reverted`);
      void hb;
      const empty = Math.min(o.trafficEvery - 1, o.blocks - made);
      if (empty > 0) await mineBlocks(stack.chain.url, empty);
      made += empty;
      if (made % 2000 < o.trafficEvery) o.log(`  ${made} / ${o.blocks} blocks`);
    }
  } finally {
    await stack.rpc("evm_setAutomine", [true]);
  }
  const to = from + o.blocks - 1;
  const logs = await stack.rpc<Array<{ topics: string[] }>>("eth_getLogs", [
    { fromBlock: numberToHex(from), toBlock: numberToHex(to), address: watchedContracts(stack.deployment).addresses },
  ]);
  return {
    from,
    to,
    blocks: o.blocks,
    trafficBlocks,
    events: logs.length,
    baselineEvents: logs.filter((l) => WATCH_TOPICS.has(l.topics[0] as `0x${string}`)).length,
    generateMs: performance.now() - started,
  };
}

export interface CatchUpRun {
  /** From the running daemon to its checkpoint at the last block. */
  ms: number;
  /** From startDaemon() called (store, RPC pool, servers) to the running daemon. */
  startMs: number;
  blocksPerS: number;
  eventsPerS: number;
}

export async function runCatchUp(
  stack: BenchStack,
  chain: KitChain,
  o: { runs: number; log: (line: string) => void; limits?: ProviderLimits; postgresUrl?: string },
): Promise<CatchUpRun[]> {
  const runs: CatchUpRun[] = [];
  const tag = o.limits ? "catchup-limited" : o.postgresUrl ? "catchup-pg" : "catchup";
  for (let i = 0; i < o.runs; i++) {
    const dataDir = path.join(stack.dir, `data-${tag}-${i}`);
    mkdirSync(dataDir, { recursive: true });
    // A fresh proxy per run: each daemon learns the limits anew.
    const proxy = o.limits ? await startRpcProxy({ target: stack.chain.url, limits: o.limits }) : undefined;
    const file = writeDaemonConfig(stack, `${tag}-${i}`, { rpcUrls: [proxy?.url ?? stack.chain.url], blockTimeMs: 2000, dataDir, requestTimeoutMs: 3000 });
    if (o.postgresUrl) {
      // The PostgreSQL store, a fresh schema per run; one replica, which leads at once.
      const raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify({ ...raw, store: { kind: "postgres", schema: `catchup_${process.pid}_${i}` } }));
    }
    const config = loadConfig({ file, env: o.postgresUrl ? { GUARDIAN_DATABASE_URL: o.postgresUrl } : {}, cwd: stack.dir });
    const options = { config, startBlock: chain.from, publishIntervalSeconds: 3600, heartbeatIntervalSeconds: 0, logger: pino({ level: "silent" }), dryRun: true };
    const t0 = performance.now();
    let stop: () => Promise<void>;
    let tip: () => number;
    if (o.postgresUrl) {
      const store = await openSharedStore(config, { purpose: "bench", lease: { holder: replicaHolder(), ttlMs: leaseTiming(config.blockTimeMs).ttlMs } });
      const replica = await startReplica({ ...options, store });
      stop = async () => {
        await replica.stop();
        await store.close();
      };
      tip = () => replica.daemon()?.follower.status().tip?.number ?? -1;
      while (replica.daemon() === undefined) await sleep(2);
    } else {
      const daemon = await startDaemon(options);
      stop = () => daemon.stop();
      tip = () => daemon.follower.status().tip?.number ?? -1;
    }
    const t1 = performance.now();
    try {
      while (tip() < chain.to) {
        if (performance.now() - t1 > 300_000) throw new Error("catch-up did not finish within 5 minutes");
        await sleep(2);
      }
      const ms = performance.now() - t1;
      const run = { ms, startMs: t1 - t0, blocksPerS: (chain.blocks / ms) * 1000, eventsPerS: (chain.events / ms) * 1000 };
      runs.push(run);
      const refused = proxy ? ` (refused by the limits: ${proxy.limited.batch} batches, ${proxy.limited.range} eth_getLogs ranges; ${proxy.requests.total} HTTP requests)` : "";
      o.log(`  run ${i + 1}/${o.runs}: ${chain.blocks} blocks in ${Math.round(ms)} ms: ${Math.round(run.blocksPerS)} blocks/s, ${Math.round(run.eventsPerS)} events/s${refused}`);
    } finally {
      await stop();
      await proxy?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return runs;
}

/** The baseline from the same block: watchContractEvent({ fromBlock }) per contract; how many events it hands over. */
export async function runBaselineCatchUp(stack: BenchStack, chain: KitChain) {
  return baselineCatchUp({
    url: stack.chain.url,
    chainId: stack.deployment.chainId,
    addresses: watchedContracts(stack.deployment).addresses,
    fromBlock: chain.from,
    expected: chain.baselineEvents,
    // Two of viem's default polls (4 s each) and a second to spare.
    waitMs: 9_000,
  });
}

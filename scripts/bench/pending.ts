/**
 * Pending-transaction sources (daemon/src/chain/pending.ts): how soon each
 * learns of a transaction, and what it costs in requests.
 *
 * Per source, on a real node with automine off:
 * - latency: from the transaction's `eth_sendRawTransaction` arriving at a
 *   proxy in front of the node (so the node's own acceptance is included)
 *   to `onPending`, both on this process's monotonic clock; each trial sent
 *   at a random moment of the poll interval, a block mined after it (a quiet
 *   chain's pool);
 * - cost: HTTP requests the source makes (at a counting proxy in front of
 *   the node for its pool) per quiet second and per transaction.
 *
 * Sources: EDR's ws-hashes and filter, anvil's ws-full and txpool-content,
 * and Besu's txpool_besuTransactions imitated by the fault proxy in front of
 * anvil (txpool_content disabled there).
 *
 * Standalone: `npx tsx scripts/bench/pending.ts [--trials 20] [--poll-ms 250] [--quiet-seconds 5]`;
 * `runPendingBench` is what a phase of scripts/bench.ts would call.
 */
import { keccak256, defineChain, type Hex } from "viem";
import { PendingTransactions, type PendingVia } from "../../daemon/src/chain/pending.js";
import { RpcPool } from "../../daemon/src/chain/rpc-pool.js";
import { startAnvil } from "../lib/anvil.js";
import { startRpcProxy, type RpcProxyOptions } from "../lib/fault-proxy.js";
import { devClients } from "../lib/local-chain.js";
import type { NodeProcess } from "../lib/node-process.js";
import { startHardhatNode } from "../../test/daemon/helpers/hardhat-node.js";
import { max, median, percentile, round } from "./stats.js";

const CHAIN_ID = 31337;
const WATCHED = "0x00000000000000000000000000000000000000aa" as const;

export interface PendingBenchOptions {
  trials: number;
  pollMs: number;
  quietSeconds: number;
}

export interface PendingSourceFigures {
  node: "edr" | "anvil";
  via: PendingVia;
  pollMs?: number;
  trials: number;
  medianMs: number;
  p90Ms: number;
  maxMs: number;
  requestsPerQuietSecond: number;
  requestsPerTx: number;
}

interface Case {
  node: "edr" | "anvil";
  via: PendingVia;
  ws: boolean;
  proxy?: Partial<RpcProxyOptions>;
}

const CASES: Case[] = [
  { node: "edr", via: "ws-hashes", ws: true },
  { node: "edr", via: "filter", ws: false },
  { node: "anvil", via: "ws-full", ws: true },
  { node: "anvil", via: "txpool-content", ws: false },
  { node: "anvil", via: "txpool-besu", ws: false, proxy: { besuTxpool: true, limits: { disabledMethods: ["txpool_content"] } } },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, check: () => boolean, safetyNetMs = 60_000): Promise<void> {
  const giveUp = performance.now() + safetyNetMs;
  while (!check()) {
    if (performance.now() > giveUp) throw new Error(`pending bench: ${what} not reached within the safety net`);
    await sleep(5);
  }
}

async function runCase(node: NodeProcess, c: Case, o: PendingBenchOptions): Promise<PendingSourceFigures> {
  const arrivals = new Map<Hex, number>();
  const sendProxy = await startRpcProxy({
    target: node.url,
    onCall: (call) => {
      if (call.method === "eth_sendRawTransaction" && typeof call.params[0] === "string") arrivals.set(keccak256(call.params[0] as Hex), call.at);
    },
  });
  const readProxy = await startRpcProxy({ target: node.url, ...c.proxy });
  const pool = new RpcPool({ endpoints: [{ url: readProxy.url, name: "node" }], chainId: CHAIN_ID, timeoutMs: 10_000 });
  await pool.init();
  const seenAt = new Map<Hex, number>();
  let live: PendingVia | undefined;
  const src = new PendingTransactions({
    pool,
    ...(c.ws ? { ws: { url: node.wsUrl, name: c.node } } : {}),
    poll: !c.ws,
    pollMs: o.pollMs,
    wanted: (tx) => tx.to === WATCHED,
    onPending: (tx) => seenAt.set(tx.hash, performance.now()),
    onState: (s) => (live = s.live ? s.via : undefined),
  });
  const chain = defineChain({ id: CHAIN_ID, name: "local", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [sendProxy.url] } } });
  const wallet = devClients(chain, sendProxy.url, 1).wallets[0]!;
  try {
    src.start();
    await waitUntil(`${c.via} live`, () => live === c.via);
    readProxy.resetCounts();
    await sleep(o.quietSeconds * 1000);
    const quiet = readProxy.requests.total / o.quietSeconds;
    readProxy.resetCounts();
    const latencies: number[] = [];
    for (let i = 0; i < o.trials; i++) {
      // At a random moment of the poll interval: the trials must not fall in step with the polls.
      await sleep(Math.random() * o.pollMs);
      const hash = await wallet.sendTransaction({ to: WATCHED, data: "0x5c975abb", gas: 100_000n, account: wallet.account!, chain });
      await waitUntil(`trial ${i} reported`, () => seenAt.has(hash));
      latencies.push(seenAt.get(hash)! - arrivals.get(hash)!);
      await node.mine(1);
    }
    // Requests in the trials less the quiet rate over the same time would be finer; per transaction is what scales.
    const perTx = readProxy.requests.total / o.trials;
    return {
      node: c.node,
      via: c.via,
      ...(c.ws ? {} : { pollMs: o.pollMs }),
      trials: o.trials,
      medianMs: round(median(latencies), 1),
      p90Ms: round(percentile(latencies, 90), 1),
      maxMs: round(max(latencies), 1),
      requestsPerQuietSecond: round(quiet, 2),
      requestsPerTx: round(perTx, 2),
    };
  } finally {
    await src.stop();
    await readProxy.close();
    await sendProxy.close();
  }
}

export async function runPendingBench(o: PendingBenchOptions): Promise<PendingSourceFigures[]> {
  const out: PendingSourceFigures[] = [];
  for (const kind of ["edr", "anvil"] as const) {
    const node = kind === "edr" ? await startHardhatNode({ chainId: CHAIN_ID }) : await startAnvil({ chainId: CHAIN_ID });
    try {
      await node.rpc("evm_setAutomine", [false]);
      for (const c of CASES.filter((x) => x.node === kind)) out.push(await runCase(node, c, o));
    } finally {
      await node.stop();
    }
  }
  return out;
}

export function formatPendingFigures(rows: readonly PendingSourceFigures[]): string {
  const lines = ["source               node   poll ms  median ms  p90 ms  max ms  req/quiet s  req/tx"];
  for (const r of rows) {
    lines.push(
      `${r.via.padEnd(20)} ${r.node.padEnd(6)} ${String(r.pollMs ?? "-").padStart(7)}  ${String(r.medianMs).padStart(9)}  ${String(r.p90Ms).padStart(6)}  ${String(r.maxMs).padStart(6)}  ${String(r.requestsPerQuietSecond).padStart(11)}  ${String(r.requestsPerTx).padStart(6)}`,
    );
  }
  return lines.join("\n");
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!(v > 0)) throw new Error(`--${name}: expected a positive number, got ${process.argv[i + 1]}`);
  return v;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = { trials: option("trials", 20), pollMs: option("poll-ms", 250), quietSeconds: option("quiet-seconds", 5) };
  const rows = await runPendingBench(o);
  console.log(formatPendingFigures(rows));
}

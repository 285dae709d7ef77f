/**
 * The `preempt` phase: can the daemon get its pause mined ahead of an attack
 * that is already in the pool?
 *
 * Per node implementation (Hardhat's EDR, Foundry's anvil) the whole stack is
 * deployed on a fresh node, and the daemon runs as `guardian run` twice, one
 * after the other on the same chain: with pre-emption on
 * (`preempt: { enabled, poll, pollMs: 100 }`), and as the baseline with it off
 * (today's reactive path: the pause follows the drain's block). Its endpoint
 * is a counting proxy (which stamps the pause's first broadcast) plus the
 * node's own WebSocket port (EDR pushes pending hashes, anvil full
 * transactions). Auto-pause covers the delegation layer; the outflow limit is
 * 10 ETH through delegations within 3 blocks.
 *
 * Blocks every 2 s, automine off, mined by the bench (miner.ts). A trial: a
 * victim account holds 20 ETH under a 15 ETH delegation to the attacker's
 * key; at a uniformly random moment of a block interval the attacker's
 * redemption of 12 ETH (2 gwei priority fee, explicit gas) enters the pool
 * through the node's own port. Recorded: when it arrived (the node answered
 * `eth_sendRawTransaction`), when the next block was built (its `evm_mine`
 * sent), when the daemon's pause was first broadcast (at the proxy), which
 * blocks hold each, and the outcome from the receipts: pre-empted (the
 * attack reverted, the pause in the same block before it or earlier), never
 * landed, or missed (the attack moved the value).
 *
 * Between trials: the guardian Safe unpauses, chain time moves past the
 * sentinel cooldown, the incidents are closed through the CLI, the victim is
 * refilled and signs a fresh delegation. The first trial of each run is a
 * warm-up and not counted.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defineChain, encodeFunctionData, keccak256, parseEther, toFunctionSelector, type Address, type Chain, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { writeDeployment } from "../../daemon/src/deploy/deployments.js";
import type { Deployment } from "../../daemon/src/deploy/guardian.js";
import { deployLocalStack, roleWallets, safeCall, type RoleWallets } from "../../daemon/src/deploy/local.js";
import { readStoreSnapshot } from "../../daemon/src/store/index.js";
import { startAnvil } from "../lib/anvil.js";
import { prepareDrain, revertedWith, sendRawTransaction, signDrain, type PreparedDrain } from "../lib/attack.js";
import { startRpcProxy, type RpcProxy } from "../lib/fault-proxy.js";
import { DEV_MNEMONIC, devClients, startLocalChain } from "../lib/local-chain.js";
import { Miner } from "./miner.js";
import { SENTINEL_COOLDOWN_SECONDS, SENTINEL_PAUSE_SECONDS, daemonEnv, guardianCli, hubAbi, scrapeMetrics, sleep, spawnDaemon, waitUntil, type BenchStack } from "./stack.js";
import { median, percentile, max } from "./stats.js";

export const PREEMPT_BLOCK_MS = 2000;
export type PreemptNode = "edr" | "anvil";
export type PreemptMode = "preempt" | "baseline";
export type Outcome = "pre-empted" | "never landed" | "missed" | "reverted otherwise";

/** A dev key no role of the stack uses. */
const ATTACKER = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 15 });
const THIEF: Address = "0x00000000000000000000000000000000000B0075";
const FUND = parseEther("20");
const ALLOWANCE = parseEther("15");
const DRAIN = parseEther("12");
const LIMIT = parseEther("10");
const ATTACK_PRIORITY_FEE = 2_000_000_000n;
const SENTINEL_PAUSE = toFunctionSelector("function sentinelPause(uint8[] layers, bytes32 incident)");
/** Blocks after the attack's first chance to be mined in which the pause may still come (the baseline's reaction). */
const SETTLE_BLOCKS = 4;
/** The outflow detector's window in this phase (its symptom recovers as many blocks after it last held). */
const OUTFLOW_WINDOW_BLOCKS = 3;

export interface PreemptTrial {
  /** The block built first after the attack arrived: its first chance to be mined. */
  nextBlock: number;
  /** From the attack's arrival to the next block's `evm_mine` being sent: how long the daemon had. */
  pendingMs: number;
  /** From the attack's arrival to the daemon's first pause broadcast at the proxy. */
  broadcastMs?: number;
  /** From the attack's block becoming available to the first pause broadcast (the reactive path's reaction; negative when the pause went first). */
  afterAttackBlockMs?: number;
  attackBlock?: number;
  attackStatus?: "success" | "reverted";
  /** The attack's revert came from `EnforcedPause()` (from the node's call trace; absent when it could not tell). */
  enforcedPause?: boolean;
  pauseBlock?: number;
  /** Pause block minus attack block (negative: the pause came first). */
  blocksToPause?: number;
  outcome: Outcome;
  error?: string;
  /** With pre-emption on and the attack not pre-empted: the daemon's log lines of the trial about pending transactions and pauses (at most 20). */
  log?: string[];
}

export interface PreemptRun {
  node: PreemptNode;
  mode: PreemptMode;
  /** False when the daemon refused the pre-emption config (not in this build): no trials. */
  available: boolean;
  note?: string;
  trials: PreemptTrial[];
}

export interface PreemptSummary {
  trials: number;
  outcomes: Record<Outcome, number>;
  preemptedShare: number;
  /** Trials whose attack was pending >= 300 ms before the next block was built. */
  longPending: number;
  preemptedShareLongPending: number;
  broadcastMsMedian: number;
  broadcastMsP95: number;
  afterAttackBlockMsMedian: number;
  blocksToPauseMedian: number;
  blocksToPauseMax: number;
  enforcedPause: number;
}

export function summarize(trials: PreemptTrial[]): PreemptSummary {
  const outcomes: Record<Outcome, number> = { "pre-empted": 0, "never landed": 0, missed: 0, "reverted otherwise": 0 };
  for (const t of trials) outcomes[t.outcome]++;
  const long = trials.filter((t) => t.pendingMs >= 300);
  const ms = trials.flatMap((t) => (t.broadcastMs !== undefined ? [t.broadcastMs] : []));
  const blocks = trials.flatMap((t) => (t.blocksToPause !== undefined ? [t.blocksToPause] : []));
  return {
    trials: trials.length,
    outcomes,
    preemptedShare: trials.length ? outcomes["pre-empted"] / trials.length : Number.NaN,
    longPending: long.length,
    preemptedShareLongPending: long.length ? long.filter((t) => t.outcome === "pre-empted").length / long.length : Number.NaN,
    broadcastMsMedian: median(ms),
    broadcastMsP95: percentile(ms, 95),
    afterAttackBlockMsMedian: median(trials.flatMap((t) => (t.afterAttackBlockMs !== undefined ? [t.afterAttackBlockMs] : []))),
    blocksToPauseMedian: median(blocks),
    blocksToPauseMax: max(blocks),
    enforcedPause: trials.filter((t) => t.enforcedPause).length,
  };
}

interface PreemptStack {
  node: PreemptNode;
  url: string;
  port: number;
  chain: Chain;
  client: ReturnType<typeof devClients>["client"];
  wallets: RoleWallets;
  deployment: Deployment;
  dir: string;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  stop(): Promise<void>;
}

async function startPreemptStack(node: PreemptNode, log: (line: string) => void): Promise<PreemptStack> {
  const started =
    node === "edr"
      ? await startLocalChain()
      : await startAnvil().then((a) => ({
          url: a.url,
          port: a.port,
          chain: defineChain({ id: 31337, name: "anvil-31337", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [a.url] } } }),
          stop: () => a.stop(),
        }));
  try {
    const { client, wallets } = devClients(started.chain, started.url, 10);
    const w = roleWallets(wallets as never);
    const deployment = await deployLocalStack(client as never, w, { sentinelPauseDuration: SENTINEL_PAUSE_SECONDS, sentinelCooldown: SENTINEL_COOLDOWN_SECONDS });
    const dir = mkdtempSync(path.join(tmpdir(), `guardian-preempt-${node}-`));
    writeDeployment(path.join(dir, "deployments"), deployment);
    log(`  ${node}: stack deployed on ${started.url}`);
    return {
      node,
      url: started.url,
      port: started.port,
      chain: started.chain,
      client,
      wallets: w,
      deployment,
      dir,
      rpc: <T>(method: string, params: unknown[] = []) => client.request({ method: method as never, params: params as never }) as Promise<T>,
      async stop() {
        await started.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await started.stop();
    throw error;
  }
}

function writeConfig(s: PreemptStack, mode: PreemptMode, httpUrl: string, dataDir: string): string {
  const file = path.join(s.dir, `${mode}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        preset: "local",
        blockTimeMs: PREEMPT_BLOCK_MS,
        rpc: { endpoints: [{ name: "ep0", http: httpUrl, ws: `ws://127.0.0.1:${s.port}` }] },
        deploymentsFile: `deployments/${s.deployment.chainId}.json`,
        dataDir,
        follower: { requestTimeoutMs: 1000 },
        metrics: { port: 0 },
        autoPause: { entryPoint: false, accountFactory: false, delegation: true },
        detectors: { outflow: { maxDelegatedValueWei: LIMIT.toString(), windowBlocks: OUTFLOW_WINDOW_BLOCKS } },
        ...(mode === "preempt" ? { preempt: { enabled: true, poll: true, pollMs: 100 } } : {}),
      },
      null,
      2,
    ),
  );
  return file;
}

export interface PreemptOptions {
  trials: number;
  nodes: PreemptNode[];
  log: (line: string) => void;
}

/** Both modes on each node; the runs in order node by node (baseline first). */
export async function runPreempt(o: PreemptOptions): Promise<PreemptRun[]> {
  const runs: PreemptRun[] = [];
  for (const node of o.nodes) {
    const s = await startPreemptStack(node, o.log);
    try {
      const drain = await prepareDrain({ client: s.client as never, deployment: s.deployment, funder: s.wallets.deployer, attacker: ATTACKER, fundWei: FUND, allowanceWei: ALLOWANCE });
      for (const mode of ["baseline", "preempt"] as PreemptMode[]) runs.push(await runMode(s, drain, mode, o));
    } finally {
      await s.stop();
    }
  }
  return runs;
}

async function runMode(s: PreemptStack, drain: PreparedDrain, mode: PreemptMode, o: PreemptOptions): Promise<PreemptRun> {
  const { client, deployment: d } = s;
  const sends: Array<{ at: number; hash: Hex }> = [];
  const proxy: RpcProxy = await startRpcProxy({
    target: s.url,
    onCall: (call) => {
      if (call.method === "eth_sendRawTransaction" && typeof call.params[0] === "string") sends.push({ at: call.at, hash: keccak256(call.params[0] as Hex) });
    },
  });
  const dataDir = path.join(s.dir, `data-${mode}`);
  const config = writeConfig(s, mode, proxy.url, dataDir);
  const env = daemonEnv(config);
  const cli = (args: string[]) => guardianCli({ dir: s.dir } as BenchStack, env, args);
  const miner = new Miner(s.url, PREEMPT_BLOCK_MS);
  const run: PreemptRun = { node: s.node, mode, available: true, trials: [] };
  const sentinel = d.roles.sentinels[0]!.toLowerCase();

  await s.rpc("evm_setAutomine", [false]);
  const startHead = Number(await client.getBlockNumber({ cacheTime: 0 }));
  const daemon = spawnDaemon(s.dir, env, ["--start-block", String(startHead), "--heartbeat-interval", "0"]);
  try {
    let trialLog: string[] = [];
    let partial = "";
    daemon.child.stderr!.on("data", (b: Buffer) => {
      const lines = (partial + b.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (trialLog.length < 500 && /pend|paus|preempt|outbid|breaker/i.test(line)) trialLog.push(line.slice(0, 400));
    });
    miner.start();
    let metricsUrl: string;
    try {
      metricsUrl = await daemon.ready;
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      if (mode === "preempt" && /preempt/i.test(text)) {
        run.available = false;
        run.note = "the daemon refused the `preempt` config: pre-emption is not in this build";
        o.log(`  ${s.node} ${mode}: ${run.note}`);
        return run;
      }
      throw error;
    }
    const processed = async () => (await scrapeMetrics(metricsUrl)).get("guardian_processed_block") ?? -1;
    await waitUntil(async () => (await processed()) >= startHead, 30_000, "the daemon following the chain", 200);
    await waitUntil(() => /new-heads subscription/.test(daemon.stderr()), 15_000, "the daemon's newHeads subscription", 200).catch(() =>
      o.log(`  ${s.node} ${mode}: no newHeads subscription logged within 15 s; going on (HTTP polling)`),
    );
    if (mode === "preempt") {
      const live = await waitUntil(() => /pending transactions: live/.test(daemon.stderr()), 15_000, "a live pending-transaction source", 200).then(
        () => true,
        () => false,
      );
      const via = /"via":"([^"]+)"[^\n]*pending transactions: live/.exec(daemon.stderr())?.[1];
      run.note = live ? `pending transactions via ${via ?? "?"}` : "no pending-transaction source went live within 15 s";
      o.log(`  ${s.node} ${mode}: ${run.note}`);
    }
    await miner.waitBlock();

    /** A transaction is the daemon's pause: the sentinel calling sentinelPause on the hub. */
    const isPause = async (hash: Hex) => {
      const tx = await client.getTransaction({ hash }).catch(() => undefined);
      return !!tx && tx.from.toLowerCase() === sentinel && tx.to?.toLowerCase() === d.guardian.hub.toLowerCase() && tx.input.startsWith(SENTINEL_PAUSE);
    };
    const pauseOnChain = async (from: number, to: number) => {
      for (let n = from; n <= to; n++) {
        const block = await client.getBlock({ blockNumber: BigInt(n), includeTransactions: true });
        const tx = block.transactions.find((t) => t.from.toLowerCase() === sentinel && t.to?.toLowerCase() === d.guardian.hub.toLowerCase() && t.input.startsWith(SENTINEL_PAUSE));
        if (tx) return { block: n, index: tx.transactionIndex ?? 0 };
      }
      return undefined;
    };

    for (let i = 0; i <= o.trials; i++) {
      const warmup = i === 0;
      // Signed ahead (the attacker's nonce and fees do not change meanwhile), so that sending is one request.
      const base = (await client.getBlock({ blockTag: "latest" })).baseFeePerGas ?? 1n;
      const signed = await signDrain({
        client: client as never,
        attacker: ATTACKER,
        deployment: d,
        calldata: drain.calldata(THIEF, DRAIN),
        fees: { maxFeePerGas: base * 2n + ATTACK_PRIORITY_FEE, maxPriorityFeePerGas: ATTACK_PRIORITY_FEE },
        gas: 500_000n,
      });
      // A uniformly random moment of the block interval that began when `last` was built.
      const last = await miner.waitBlock();
      const at = (miner.requested.get(last.number) ?? last.at) + Math.random() * PREEMPT_BLOCK_MS;
      if (at > performance.now()) await sleep(at - performance.now());
      const sendsFrom = sends.length;
      trialLog = [];
      await sendRawTransaction(client as never, signed.raw);
      const arrival = performance.now();

      // The first block whose evm_mine was sent after the attack was in the pool.
      let next = await miner.waitBlock();
      while ((miner.requested.get(next.number) ?? 0) < arrival) next = await miner.nextBlock(next.number);
      const trial: PreemptTrial = { nextBlock: next.number, pendingMs: miner.requested.get(next.number)! - arrival, outcome: "never landed" };
      // Until both the attack and a pause are mined, or SETTLE_BLOCKS blocks passed.
      let head = next;
      for (;;) {
        const landed = await client.getTransactionReceipt({ hash: signed.hash }).then(
          () => true,
          () => false,
        );
        if ((landed && (await pauseOnChain(next.number, head.number))) || head.number >= next.number + SETTLE_BLOCKS) break;
        head = await miner.nextBlock(head.number);
      }

      try {
        const receipt = await client.getTransactionReceipt({ hash: signed.hash }).catch(() => undefined);
        if (receipt) {
          trial.attackBlock = Number(receipt.blockNumber);
          trial.attackStatus = receipt.status;
          if (receipt.status === "reverted") trial.enforcedPause = await revertedWith(client as never, signed.hash);
        }
        for (const sent of sends.slice(sendsFrom)) {
          if (!(await isPause(sent.hash))) continue;
          trial.broadcastMs = sent.at - arrival;
          const minedAt = receipt ? miner.mined.get(Number(receipt.blockNumber)) : undefined;
          if (minedAt !== undefined) trial.afterAttackBlockMs = sent.at - minedAt;
          break;
        }
        const pause = await pauseOnChain(next.number, head.number);
        if (pause) trial.pauseBlock = pause.block;
        if (receipt && pause) trial.blocksToPause = pause.block - Number(receipt.blockNumber);
        if (!receipt) trial.outcome = "never landed";
        else if (receipt.status === "success") trial.outcome = "missed";
        else if (pause && (pause.block < Number(receipt.blockNumber) || (pause.block === Number(receipt.blockNumber) && pause.index < receipt.transactionIndex))) trial.outcome = "pre-empted";
        else trial.outcome = "reverted otherwise";
        if (!pause) trial.error = `no pause mined within ${SETTLE_BLOCKS} blocks`;
      } catch (error) {
        trial.error = error instanceof Error ? error.message.split("\n")[0] : String(error);
      }
      if (mode === "preempt" && trial.outcome !== "pre-empted") trial.log = trialLog.slice(0, 20);
      if (!warmup) run.trials.push(trial);
      o.log(
        `  ${s.node} ${mode} trial ${i}/${o.trials}${warmup ? " (warm-up)" : ""}: pending ${Math.round(trial.pendingMs)} ms; ${trial.outcome}` +
          `; attack block ${trial.attackBlock !== undefined ? trial.attackBlock - trial.nextBlock : "-"} (+next), pause block ${trial.pauseBlock !== undefined ? trial.pauseBlock - trial.nextBlock : "-"} (+next)` +
          `; broadcast ${trial.broadcastMs !== undefined ? `${Math.round(trial.broadcastMs)} ms after arrival` : "-"}${trial.error ? `; ${trial.error}` : ""}`,
      );

      // Reset: the attack out of the pool, the Safe unpauses, time past the cooldown, incidents closed, a fresh delegation.
      if (trial.attackBlock === undefined) await s.rpc(s.node === "edr" ? "hardhat_dropTransaction" : "anvil_dropTransaction", [signed.hash]).catch(() => undefined);
      const paused: number[] = [];
      for (const layer of [0, 1, 2]) if (await client.readContract({ address: d.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [layer] })) paused.push(layer);
      if (paused.length) {
        const data = encodeFunctionData({ abi: hubAbi, functionName: "unpause", args: [paused, `0x${"00".repeat(32)}`] });
        const hash = await safeCall(client as never, d.guardian.safe, d.guardian.hub, data, [s.wallets.owner1, s.wallets.owner2]);
        const r = await client.waitForTransactionReceipt({ hash });
        if (r.status !== "success") throw new Error(`Safe unpause reverted (tx ${hash})`);
      }
      await s.rpc("evm_increaseTime", [SENTINEL_PAUSE_SECONDS + SENTINEL_COOLDOWN_SECONDS + 60]);
      await drain.renew();
      // Past the outflow window (3 blocks) and the symptom's recovery (3 more) so that the next drain is a new symptom.
      await miner.nextBlock((trial.attackBlock ?? head.number) + OUTFLOW_WINDOW_BLOCKS * 2 - 1);
      const data = await readStoreSnapshot(dataDir);
      for (const incident of Object.values(data?.incidents ?? {})) {
        if (incident.state === "postreview") continue;
        if (incident.state !== "recovered") await cli(["incident", "update", incident.id, "--state", "recovered", "--message", "bench trial over"]);
        await cli(["incident", "update", incident.id, "--state", "postreview"]);
      }
    }
    return run;
  } finally {
    await daemon.kill("SIGTERM");
    await miner.stop();
    await proxy.close();
    await s.rpc("evm_setAutomine", [true]);
  }
}


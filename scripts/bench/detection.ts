/**
 * Live-chain figures, Guardian and the baseline side by side on the same
 * chain, the same blocks and the same traffic, each behind its own counting
 * proxy:
 *
 * - RPC requests per block in steady state (quiet blocks, then blocks that
 *   each hold one sponsored user operation), and how many blocks the
 *   baseline's `watchBlocks` handed over;
 * - detection-to-pause: a Critical symptom per trial, in the same block for
 *   both: the paymaster's owner key transfers ownership to an unknown account
 *   (Guardian's security detector; its auto-pause covers the EntryPoint
 *   layer) and so does the factory's (the baseline's handler pauses the
 *   AccountFactory layer with its own sentinel key). Blocks from the
 *   symptom's block to the pause's block, and wall time from the symptom
 *   block's availability to the pause's first broadcast reaching the proxy.
 *   If the daemon raises no Critical incident for the on-chain symptom (the
 *   security detector is not wired), Guardian's trials fall back to a Critical
 *   incident triggered through the admin endpoint, measured from the trigger;
 *
 * The daemon runs as `guardian run` with its defaults (status publication
 * every 30 s, the pause-ability watch every 30 s), except the sentinel
 * heartbeat (off: its transactions would be taken for pauses at the proxy).
 * With `ws`, its endpoint also has a WebSocket URL: newHeads wake the
 * follower and HTTP polling slows to a fallback.
 *
 * Blocks: every 2 s (chain 138's block time), mined by the bench (miner.ts).
 * Between trials the guardian Safe unpauses, the new owner hands ownership
 * back, chain time moves past the sentinel cooldown, and the incidents are
 * closed through the CLI (so the next symptom opens a new incident).
 */
import path from "node:path";
import { keccak256, parseAbi, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { watchedContracts } from "../../daemon/src/runtime/daemon.js";
import { readStoreSnapshot } from "../../daemon/src/store/index.js";
import { startRpcProxy, type RpcProxy } from "../lib/fault-proxy.js";
import { startBaseline } from "./baseline.js";
import { Miner } from "./miner.js";
import {
  BASELINE_SENTINEL_INDEX,
  SENTINEL_COOLDOWN_SECONDS,
  SENTINEL_PAUSE_SECONDS,
  daemonEnv,
  devKey,
  guardianCli,
  scrapeMetrics,
  sleep,
  spawnDaemon,
  waitUntil,
  writeDaemonConfig,
  type BenchStack,
} from "./stack.js";
import { kitTraffic } from "./traffic.js";

export const BLOCK_TIME_MS = 2000;
const ownableAbi = parseAbi(["function transferOwnership(address newOwner)"]);

export interface DetectionOptions {
  trials: number;
  /** Quiet blocks, then as many blocks with one user operation each, for requests per block. */
  steadyBlocks: number;
  /**
   * The daemon also subscribes to newHeads over WebSocket (the node's own
   * port, straight, not through the counting proxy: a pushed head is not a
   * request). Default: HTTP polling only.
   */
  ws?: boolean;
  log: (line: string) => void;
}

export interface Trial {
  /** The symptom's block (on-chain) or the block current at the trigger (manual). */
  symptomBlock: number;
  pauseBlock?: number;
  blocks?: number;
  /** From the symptom block's availability (or the trigger) to the first broadcast at the proxy. */
  broadcastMs?: number;
  /** Of broadcastMs: until the follower's first request that got the symptom's block (the poll's wait). */
  seenMs?: number;
  error?: string;
}

export interface DetectionResult {
  mode: "on-chain" | "manual";
  guardian: Trial[];
  baseline: Trial[];
  steady: {
    /** guardian: every HTTP request of the daemon; guardianFollower: the block follower's own (polls, batches, logs, receipts, head survey). */
    quiet: { blocks: number; guardian: number; guardianFollower: number; baseline: number; baselineBlocksSeen: number };
    traffic: { blocks: number; guardian: number; guardianFollower: number; baseline: number; baselineBlocksSeen: number };
    /** Calls by method at each proxy, per window. */
    byMethod: { quiet: { guardian: Record<string, number>; baseline: Record<string, number> }; traffic: { guardian: Record<string, number>; baseline: Record<string, number> } };
  };
  /** The daemon's data directory (its store is reused by the store benchmark). */
  dataDir: string;
}

interface Broadcast {
  at: number;
  hash: Hex;
}

function sendLog(proxyName: string, into: Broadcast[]) {
  return (call: { method: string; params: unknown[]; at: number }) => {
    if (call.method === "eth_sendRawTransaction" && typeof call.params[0] === "string") into.push({ at: call.at, hash: keccak256(call.params[0] as Hex) });
    void proxyName;
  };
}

export async function runDetection(stack: BenchStack, o: DetectionOptions): Promise<DetectionResult> {
  const { client, deployment: d, wallets: w } = stack;
  const traffic = await kitTraffic(stack, "0xde7ec7");
  const miner = new Miner(stack.chain.url, BLOCK_TIME_MS);
  const gSends: Broadcast[] = [];
  const firstAsked = new Map<number, number>();
  const bSends: Broadcast[] = [];
  const follow = { requests: 0 };
  const gProxy: RpcProxy = await startRpcProxy({
    target: stack.chain.url,
    onCall: (call) => {
      sendLog("guardian", gSends)(call);
      // When the follower first asked for each block after it was mined: the poll that found it.
      if (call.method === "eth_getBlockByNumber" && typeof call.params[0] === "string" && call.params[1] === true) {
        const n = Number.parseInt(call.params[0], 16);
        const minedAt = miner.mined.get(n);
        if (minedAt !== undefined && call.at >= minedAt && !firstAsked.has(n)) firstAsked.set(n, call.at);
      }
    },
    onRequest: (methods, batch) => void (isFollowerRequest(methods, batch) && follow.requests++),
  });
  const bProxy: RpcProxy = await startRpcProxy({ target: stack.chain.url, onCall: sendLog("baseline", bSends) });
  const dataDir = path.join(stack.dir, o.ws ? "data-detection-ws" : "data-detection");
  const config = writeDaemonConfig(stack, o.ws ? "detection-ws" : "detection", {
    rpcUrls: [gProxy.url],
    ...(o.ws ? { wsUrl: `ws://127.0.0.1:${stack.chain.port}` } : {}),
    blockTimeMs: BLOCK_TIME_MS,
    dataDir,
    autoPause: { entryPoint: true, accountFactory: false, delegation: false },
  });
  const env = daemonEnv(config);
  let baseline: ReturnType<typeof startBaseline> | undefined;

  await stack.rpc("evm_setAutomine", [false]);
  const startHead = Number(await client.getBlockNumber({ cacheTime: 0 }));
  const daemon = spawnDaemon(stack.dir, env, ["--start-block", String(startHead), "--heartbeat-interval", "0"]);
  try {
    miner.start();
    const metricsUrl = await daemon.ready;
    const processed = async () => (await scrapeMetrics(metricsUrl)).get("guardian_processed_block") ?? -1;
    await waitUntil(async () => (await processed()) >= startHead, 30_000, "the daemon following the chain", 200);
    if (o.ws) await waitUntil(() => /"state":"live"[^\n]*new-heads subscription/.test(daemon.stderr()), 30_000, "the daemon's newHeads subscription", 200);

    const trusted = [d.deployer, d.roles.admin, d.roles.guardian, ...d.roles.sentinels, d.guardian.hub, d.guardian.safe];
    baseline = startBaseline({
      url: bProxy.url,
      chainId: d.chainId,
      addresses: watchedContracts(d).addresses,
      trusted,
      pauseOn: { [d.guardian.accountFactory.toLowerCase()]: 1 },
      hub: d.guardian.hub,
      sentinel: privateKeyToAccount(devKey(BASELINE_SENTINEL_INDEX)),
    });
    await miner.waitBlock();
    await miner.waitBlock();

    // 1. Requests per block in steady state.
    const window = async (blocks: number, withTraffic: boolean) => {
      const start = await miner.waitBlock();
      gProxy.resetCounts();
      bProxy.resetCounts();
      follow.requests = 0;
      const seenBefore = new Set(baseline!.blocks);
      let last = start;
      if (withTraffic) await traffic.sendOp();
      while (last.number < start.number + blocks) {
        last = await miner.waitBlock();
        if (withTraffic && last.number < start.number + blocks) await traffic.sendOp();
      }
      const seen = [...baseline!.blocks].filter((n) => !seenBefore.has(n) && n > start.number && n <= last.number).length;
      return {
        blocks,
        guardian: gProxy.requests.total / blocks,
        guardianFollower: follow.requests / blocks,
        baseline: bProxy.requests.total / blocks,
        baselineBlocksSeen: seen,
        guardianByMethod: Object.fromEntries(gProxy.counts),
        baselineByMethod: Object.fromEntries(bProxy.counts),
      };
    };
    o.log(`steady state: ${o.steadyBlocks} quiet blocks, then ${o.steadyBlocks} blocks with one sponsored user operation each (2 s blocks)`);
    const quiet = await window(o.steadyBlocks, false);
    const busy = await window(o.steadyBlocks, true);

    // 2. Detection to pause.
    const guardianTrials: Trial[] = [];
    const baselineTrials: Trial[] = [];
    let mode: DetectionResult["mode"] = "on-chain";
    const store = () => readStoreSnapshot(dataDir);
    const receiptBlock = async (hashes: Hex[]) => {
      for (const hash of hashes) {
        const r = await client.getTransactionReceipt({ hash }).catch(() => undefined);
        if (r) return Number(r.blockNumber);
      }
      return undefined;
    };

    for (let i = 0; i <= o.trials; i++) {
      const warmup = i === 0;
      // A random phase between the blocks and both pollers (Guardian's 1 s, viem's 4 s): shift the
      // block cadence by up to 4 s, then send the symptom at a random moment within a block interval.
      miner.shift(Math.random() * 4000);
      const before = await miner.waitBlock();
      await sleep(100 + Math.random() * 1700);
      const gFrom = gSends.length;
      const detectionsFrom = baseline.detections.length;
      // Both symptoms in one block: the paymaster's for Guardian, the factory's for the baseline.
      const nonce = await client.getTransactionCount({ address: w.deployer.account.address, blockTag: "pending" });
      const send = (target: Address, to: Address, n: number) =>
        w.deployer.writeContract({ address: target, abi: ownableAbi, functionName: "transferOwnership", args: [to], nonce: n, gas: 100_000n });
      let triggerAt: number | undefined;
      let manualId: string | undefined;
      if (mode === "manual") {
        triggerAt = performance.now();
        const r = await guardianCli(stack, env, ["incident", "trigger", "paymaster", "--severity", "critical", "--title", `Bench trial ${i}`]);
        if (r.code !== 0) throw new Error(`incident trigger failed: ${r.err}`);
        manualId = r.out.trim();
      }
      const hp = mode === "on-chain" ? await send(d.guardian.paymaster, w.stranger.account.address, nonce) : undefined;
      const hf = await send(d.guardian.accountFactory, w.stranger.account.address, hp ? nonce + 1 : nonce);
      const factoryReceipt = await client.waitForTransactionReceipt({ hash: hf });
      const symptomBlock = Number(factoryReceipt.blockNumber);
      const available = miner.mined.get(symptomBlock) ?? performance.now();
      if (hp) {
        const r = await client.waitForTransactionReceipt({ hash: hp });
        if (Number(r.blockNumber) !== symptomBlock) o.log(`  trial ${i}: the two symptoms landed in different blocks`);
      }

      // Guardian: its first broadcast after the symptom, and the block that holds the pause.
      const guardian: Trial = { symptomBlock: mode === "manual" ? before.number : symptomBlock };
      const baselineTrial: Trial = { symptomBlock };
      const deadlineBlock = symptomBlock + 8;
      const settle = async () => {
        for (;;) {
          const head = Number(await client.getBlockNumber({ cacheTime: 0 }));
          if (guardian.pauseBlock === undefined) {
            const sends = gSends.slice(gFrom);
            if (sends.length) {
              guardian.broadcastMs = sends[0]!.at - (triggerAt ?? available);
              const asked = firstAsked.get(symptomBlock);
              if (triggerAt === undefined && asked !== undefined) guardian.seenMs = asked - available;
              guardian.pauseBlock = await receiptBlock(sends.map((s) => s.hash));
            }
          }
          if (baselineTrial.pauseBlock === undefined) {
            const det = baseline!.detections.slice(detectionsFrom).find((x) => x.contract === d.guardian.accountFactory.toLowerCase());
            if (det?.error) baselineTrial.error = det.error;
            if (det?.pauseHash) {
              const sent = bSends.find((s) => s.hash === det.pauseHash);
              baselineTrial.broadcastMs = (sent?.at ?? det.sentAt!) - available;
              baselineTrial.pauseBlock = await receiptBlock([det.pauseHash]);
            }
          }
          if ((guardian.pauseBlock !== undefined && baselineTrial.pauseBlock !== undefined) || head >= deadlineBlock) break;
          if (warmup && mode === "on-chain" && head >= symptomBlock + 3 && guardian.pauseBlock === undefined) {
            const data = await store();
            const seen = Object.values(data?.incidents ?? {}).some((x) => x.source === "security" && x.severity === "critical");
            if (!seen) break;
          }
          await sleep(50);
        }
      };
      await settle();
      if (warmup && mode === "on-chain" && guardian.pauseBlock === undefined && gSends.length === gFrom) {
        mode = "manual";
        o.log("  the daemon raised no Critical incident for the ownership transfer (security detector not wired?): Guardian's trials use a Critical incident triggered through the admin endpoint");
      }
      for (const t of [guardian, baselineTrial]) {
        if (t.pauseBlock !== undefined) t.blocks = t.pauseBlock - t.symptomBlock;
        else t.error ??= "no pause mined within 8 blocks";
      }
      if (!warmup) {
        guardianTrials.push(guardian);
        baselineTrials.push(baselineTrial);
        o.log(
          `  trial ${i}/${o.trials}: Guardian ${guardian.blocks ?? "-"} block(s), ${fmtMs(guardian.broadcastMs)}; baseline ${baselineTrial.blocks ?? "-"} block(s), ${fmtMs(baselineTrial.broadcastMs)}`,
        );
      }

      // Reset: ownership back, the Safe unpauses, time past the cooldown, incidents closed.
      const sn = await client.getTransactionCount({ address: w.stranger.account.address, blockTag: "pending" });
      const back = [
        ...(hp ? [d.guardian.paymaster] : []),
        d.guardian.accountFactory,
      ].map((target, k) => w.stranger.writeContract({ address: target, abi: ownableAbi, functionName: "transferOwnership", args: [w.deployer.account.address], nonce: sn + k, gas: 100_000n }));
      const backHashes = await Promise.all(back);
      await stack.safeUnpause([0, 1]);
      for (const h of backHashes) await client.waitForTransactionReceipt({ hash: h });
      await stack.rpc("evm_increaseTime", [SENTINEL_PAUSE_SECONDS + SENTINEL_COOLDOWN_SECONDS + 60]);
      const data = await store();
      const open = Object.values(data?.incidents ?? {}).filter((x) => (x.source === "security" || x.id === manualId) && x.state !== "postreview");
      for (const incident of open) {
        if (incident.state !== "recovered") await guardianCli(stack, env, ["incident", "update", incident.id, "--state", "recovered", "--message", "bench trial over"]);
        await guardianCli(stack, env, ["incident", "update", incident.id, "--state", "postreview"]);
      }
    }

    return {
      mode,
      guardian: guardianTrials,
      baseline: baselineTrials,
      steady: {
        quiet: { blocks: quiet.blocks, guardian: quiet.guardian, guardianFollower: quiet.guardianFollower, baseline: quiet.baseline, baselineBlocksSeen: quiet.baselineBlocksSeen },
        traffic: { blocks: busy.blocks, guardian: busy.guardian, guardianFollower: busy.guardianFollower, baseline: busy.baseline, baselineBlocksSeen: busy.baselineBlocksSeen },
        byMethod: {
          quiet: { guardian: quiet.guardianByMethod, baseline: quiet.baselineByMethod },
          traffic: { guardian: busy.guardianByMethod, baseline: busy.baselineByMethod },
        },
      },
      dataDir,
    };
  } finally {
    baseline?.stop();
    await daemon.kill("SIGTERM");
    await miner.stop();
    await gProxy.close();
    await bProxy.close();
    await stack.rpc("evm_setAutomine", [true]);
  }
}

/**
 * The block follower's HTTP requests: its poll (a batch of eth_blockNumber and eth_getBlockByNumber), header and
 * receipt batches, eth_getLogs, single receipts and the head survey (a single eth_blockNumber). Everything else is
 * the daemon's periodic reads (status publication, pause-ability watch, sentinel duties).
 */
function isFollowerRequest(methods: string[], batch: boolean): boolean {
  const follower = new Set(["eth_blockNumber", "eth_getBlockByNumber", "eth_getTransactionReceipt", "eth_getLogs"]);
  if (!methods.every((m) => follower.has(m))) return false;
  return batch || methods[0] !== "eth_getBlockByNumber";
}

function fmtMs(ms: number | undefined): string {
  return ms === undefined ? "-" : `${Math.round(ms)} ms`;
}


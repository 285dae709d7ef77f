/**
 * The sentinel's pause: the one action that must not fail.
 *
 *   1. Resume: if the journal already holds this incident's pause, look for
 *      any of its signed attempts on chain, and otherwise keep sending the same
 *      nonce (a crash between signing and sending never spends a second one).
 *   2. Skip the layers that are already paused (idempotent; several daemons
 *      may race, the hub makes the loser's pause a no-op anyway).
 *   3. Simulate `sentinelPause` as the sentinel. A refusal by the contract
 *      (cooldown, missing role) is reported, not retried: the guardian must act.
 *   4. Sign, persist the signed transaction in the journal, then broadcast it
 *      to every endpoint.
 *   5. Each block it is not mined, re-sign the same nonce with fees raised by
 *      a quarter and broadcast again.
 *   6. Once mined, read the hub and confirm every layer is paused.
 */
import {
  type Abi,
  type Address,
  type Chain,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type TransactionReceipt,
  decodeErrorResult,
  encodeFunctionData,
  keccak256,
  parseAbi,
} from "viem";
import { LAYER_ID, type Layer } from "../types.js";

export const hubSentinelAbi = parseAbi([
  "function sentinelPause(uint8[] layers, bytes32 incident)",
  "function isPaused(uint8 layer) view returns (bool)",
  "error GuardianHubSentinelCooldown(uint8 layer, uint64 until)",
  "error GuardianHubNoLayers()",
  "error GuardianHubInvalidLayer(uint8 layer)",
  "error GuardianHubDuplicateLayer(uint8 layer)",
  "error GuardianHubTargetCallFailed(address target, bytes reason)",
  "error GuardianHubTargetStateMismatch(address target, bool expectedPaused)",
  "error GuardianHubLayerNotWired(uint8 layer)",
  "error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)",
]);

export interface PauseAttempt {
  hash: Hex;
  raw: Hex;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
  signedAt: string;
}

/** What the journal keeps of one incident's pause, before anything is broadcast. */
export interface PauseJournalEntry {
  incidentKey: string;
  incidentRef: Hex;
  layers: Layer[];
  from: Address;
  nonce: number;
  gas: string;
  attempts: PauseAttempt[];
  minedHash?: Hex;
  minedBlock?: number;
}

/** Durable storage of pause journal entries (the daemon's store; a file in tests). */
export interface PauseJournal {
  get(incidentKey: string): Promise<PauseJournalEntry | undefined>;
  put(entry: PauseJournalEntry): Promise<void>;
}

export type PauseOutcome =
  | { kind: "already-paused"; layers: Layer[] }
  | { kind: "refused"; layers: Layer[]; error: string; args: readonly unknown[] }
  | { kind: "dry-run"; layers: Layer[]; to: Address; data: Hex }
  | {
      kind: "paused";
      layers: Layer[];
      txHash: Hex;
      blockNumber: number;
      attempts: number;
      firstSignedAt: string;
      confirmed: boolean;
    };

export interface PauseSenderDeps {
  /** One client per RPC endpoint; the first answers reads, all receive the broadcast (unless `broadcastRaw` is given). */
  clients: PublicClient[];
  /** Sends a signed transaction to every endpoint; resolves with how many accepted it. */
  broadcastRaw?: (raw: Hex) => Promise<number>;
  chain: Chain;
  sentinel: LocalAccount;
  hub: Address;
  journal: PauseJournal;
  now?: () => Date;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Resolves when a new block may be there (default: poll the head every 250 ms). */
  nextBlock?: (client: PublicClient, after: bigint) => Promise<bigint>;
  /** Give up after this many blocks without the pause mined (default 30). */
  maxBlocks?: number;
  /** Test hook: runs after the journal write and before any broadcast. */
  afterJournal?: (entry: PauseJournalEntry) => void | Promise<void>;
  /**
   * The newest block known to be canonical (the follower's last processed
   * one). A layer counts as already paused only if it is paused both at
   * "latest" and at this block: either read alone may be stale ("latest"
   * from a lagging endpoint, this block while the follower catches up), and
   * a wrong "already paused" skips the pause (a needless one is a no-op).
   */
  knownBlock?: () => number | undefined;
}

export interface PauseRequest {
  incidentKey: string;
  /** The incident reference the hub records (32 bytes). */
  incidentRef: Hex;
  layers: Layer[];
  dryRun?: boolean;
}

export class PauseNotMinedError extends Error {
  override name = "PauseNotMinedError";
}

const FEE_BUMP_NUM = 5n; // each replacement pays 5/4 of the previous fees
const FEE_BUMP_DEN = 4n; // (nodes demand at least +10% to replace a pending tx)
const MIN_PRIORITY_FEE = 1_000_000_000n; // 1 gwei: a pause must not wait behind tips

async function defaultNextBlock(client: PublicClient, after: bigint): Promise<bigint> {
  for (;;) {
    const n = await client.getBlockNumber({ cacheTime: 0 });
    if (n > after) return n;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function decodeRefusal(err: unknown): { error: string; args: readonly unknown[] } | undefined {
  let e: any = err;
  while (e) {
    if (e.data?.errorName) return { error: e.data.errorName, args: e.data.args ?? [] };
    const raw = typeof e.data === "string" ? e.data : typeof e.raw === "string" ? e.raw : undefined;
    if (raw && raw.length >= 10) {
      try {
        const d = decodeErrorResult({ abi: hubSentinelAbi as Abi, data: raw as Hex });
        return { error: d.errorName, args: d.args ?? [] };
      } catch {}
    }
    e = e.cause;
  }
  return undefined;
}

/** The layers of `layers` the hub reports paused, at `blockNumber` (default latest). */
export async function pausedLayers(client: PublicClient, hub: Address, layers: Layer[], blockNumber?: bigint): Promise<Layer[]> {
  const flags = await Promise.all(
    layers.map((l) => client.readContract({ address: hub, abi: hubSentinelAbi, functionName: "isPaused", args: [LAYER_ID[l]], ...(blockNumber !== undefined ? { blockNumber } : {}) })),
  );
  return layers.filter((_, i) => flags[i]);
}

async function broadcast(deps: PauseSenderDeps, raw: Hex) {
  if (deps.broadcastRaw) {
    const accepted = await deps.broadcastRaw(raw);
    if (!accepted) deps.log?.("pause broadcast accepted by no endpoint");
    return accepted;
  }
  const results = await Promise.allSettled(deps.clients.map((c) => c.request({ method: "eth_sendRawTransaction", params: [raw] })));
  const accepted = results.filter((r) => r.status === "fulfilled").length;
  if (!accepted) {
    const reasons = results.map((r) => (r.status === "rejected" ? String((r.reason as Error).message).split("\n")[0] : "")).join("; ");
    deps.log?.("pause broadcast accepted by no endpoint", { reasons });
  }
  return accepted;
}

async function findMined(deps: PauseSenderDeps, entry: PauseJournalEntry): Promise<TransactionReceipt | undefined> {
  for (const a of [...entry.attempts].reverse()) {
    for (const c of deps.clients) {
      try {
        return await c.getTransactionReceipt({ hash: a.hash });
      } catch {}
    }
  }
  return undefined;
}

async function signAttempt(deps: PauseSenderDeps, entry: PauseJournalEntry, maxFeePerGas: bigint, maxPriorityFeePerGas: bigint): Promise<PauseAttempt> {
  const data = encodeFunctionData({ abi: hubSentinelAbi, functionName: "sentinelPause", args: [entry.layers.map((l) => LAYER_ID[l]), entry.incidentRef] });
  const raw = await deps.sentinel.signTransaction!({
    chainId: deps.chain.id,
    type: "eip1559",
    to: deps.hub,
    data,
    nonce: entry.nonce,
    gas: BigInt(entry.gas),
    maxFeePerGas,
    maxPriorityFeePerGas,
  });
  return {
    hash: keccak256(raw),
    raw,
    maxFeePerGas: maxFeePerGas.toString(),
    maxPriorityFeePerGas: maxPriorityFeePerGas.toString(),
    signedAt: (deps.now?.() ?? new Date()).toISOString(),
  };
}

async function initialFees(client: PublicClient) {
  const block = await client.getBlock({ blockTag: "latest" });
  const base = block.baseFeePerGas ?? 0n;
  let tip = MIN_PRIORITY_FEE;
  try {
    const suggested = await client.estimateMaxPriorityFeePerGas();
    if (suggested > tip) tip = suggested;
  } catch {}
  return { maxFeePerGas: base * 2n + tip, maxPriorityFeePerGas: tip };
}

/** Pauses `layers` through the sentinel key; see the module comment for the steps. */
export async function sendSentinelPause(deps: PauseSenderDeps, req: PauseRequest): Promise<PauseOutcome> {
  const client = deps.clients[0];
  if (!client) throw new Error("sendSentinelPause: no RPC client");
  const log = deps.log ?? (() => {});
  const nextBlock = deps.nextBlock ?? defaultNextBlock;

  // 1. Resume a pause this incident already signed.
  let entry = await deps.journal.get(req.incidentKey);
  if (entry?.minedHash) {
    return finish(deps, entry, await client.getTransactionReceipt({ hash: entry.minedHash }));
  }
  if (entry) {
    const mined = await findMined(deps, entry);
    if (mined) return finish(deps, entry, mined);
    const used = await client.getTransactionCount({ address: entry.from, blockTag: "latest" });
    if (used > entry.nonce) {
      // The nonce went to a transaction of ours we cannot see (or the key is used elsewhere): start afresh.
      log("journaled pause nonce already used; re-evaluating", { nonce: entry.nonce });
      entry = undefined;
    } else {
      log("resuming journaled pause", { nonce: entry.nonce, attempts: entry.attempts.length });
    }
  }

  if (!entry) {
    // 2. Skip what is already paused, at "latest" and at the newest block known to be canonical
    //    (a lagging endpoint's "latest" may still show a pause the guardian has since lifted).
    const known = deps.knownBlock?.();
    const [atLatest, atKnown] = await Promise.all([
      pausedLayers(client, deps.hub, req.layers),
      known === undefined ? undefined : pausedLayers(client, deps.hub, req.layers, BigInt(known)),
    ]);
    const already = atKnown ? atLatest.filter((l) => atKnown.includes(l)) : atLatest;
    const toPause = req.layers.filter((l) => !already.includes(l));
    if (!toPause.length) return { kind: "already-paused", layers: req.layers };

    // 3. Simulate.
    const data = encodeFunctionData({ abi: hubSentinelAbi, functionName: "sentinelPause", args: [toPause.map((l) => LAYER_ID[l]), req.incidentRef] });
    let gas: bigint;
    try {
      gas = await client.estimateGas({ account: deps.sentinel.address, to: deps.hub, data });
    } catch (err) {
      const refusal = decodeRefusal(err);
      if (refusal) return { kind: "refused", layers: toPause, ...refusal };
      throw err;
    }
    if (req.dryRun) return { kind: "dry-run", layers: toPause, to: deps.hub, data };

    // 4. Sign and journal before anything leaves the process.
    const nonce = await client.getTransactionCount({ address: deps.sentinel.address, blockTag: "pending" });
    entry = {
      incidentKey: req.incidentKey,
      incidentRef: req.incidentRef,
      layers: toPause,
      from: deps.sentinel.address,
      nonce,
      gas: ((gas * 13n) / 10n).toString(),
      attempts: [],
    };
    const fees = await initialFees(client);
    entry.attempts.push(await signAttempt(deps, entry, fees.maxFeePerGas, fees.maxPriorityFeePerGas));
    await deps.journal.put(entry);
    await deps.afterJournal?.(entry);
  }

  // 4b/5. Broadcast, then replace each block until mined.
  let last = entry.attempts[entry.attempts.length - 1]!;
  await broadcast(deps, last.raw);
  let head = await client.getBlockNumber({ cacheTime: 0 });
  const maxBlocks = deps.maxBlocks ?? 30;
  for (let waited = 0; waited < maxBlocks; waited++) {
    const minedNow = await findMined(deps, entry);
    if (minedNow) return finish(deps, entry, minedNow);
    head = await nextBlock(client, head);
    const mined = await findMined(deps, entry);
    if (mined) return finish(deps, entry, mined);
    const bumpedTip = (BigInt(last.maxPriorityFeePerGas) * FEE_BUMP_NUM) / FEE_BUMP_DEN;
    const bumpedMax = (BigInt(last.maxFeePerGas) * FEE_BUMP_NUM) / FEE_BUMP_DEN;
    const fresh = await initialFees(client);
    last = await signAttempt(deps, entry, bumpedMax > fresh.maxFeePerGas ? bumpedMax : fresh.maxFeePerGas, bumpedTip);
    entry.attempts.push(last);
    await deps.journal.put(entry);
    log("pause not mined yet; replacing with higher fees", { attempt: entry.attempts.length, maxFeePerGas: last.maxFeePerGas });
    await broadcast(deps, last.raw);
  }
  throw new PauseNotMinedError(`sentinel pause for ${req.incidentKey} not mined after ${maxBlocks} blocks and ${entry.attempts.length} attempts`);
}

// 6. Confirm on chain.
async function finish(deps: PauseSenderDeps, entry: PauseJournalEntry, receipt: TransactionReceipt): Promise<PauseOutcome> {
  const client = deps.clients[0]!;
  entry.minedHash = receipt.transactionHash;
  entry.minedBlock = Number(receipt.blockNumber);
  await deps.journal.put(entry);
  if (receipt.status !== "success") {
    // Replay at the mined block to learn why the contract refused.
    try {
      await client.call({ account: entry.from, to: deps.hub, data: encodeFunctionData({ abi: hubSentinelAbi, functionName: "sentinelPause", args: [entry.layers.map((l) => LAYER_ID[l]), entry.incidentRef] }), blockNumber: receipt.blockNumber - 1n });
    } catch (err) {
      const refusal = decodeRefusal(err);
      if (refusal) return { kind: "refused", layers: entry.layers, ...refusal };
    }
  }
  const paused = await pausedLayers(client, deps.hub, entry.layers, receipt.blockNumber);
  return {
    kind: "paused",
    layers: entry.layers,
    txHash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
    attempts: entry.attempts.length,
    firstSignedAt: entry.attempts[0]!.signedAt,
    confirmed: paused.length === entry.layers.length,
  };
}

/**
 * The sentinel's pause: the one action that must not fail.
 *
 *   1. Resume: if the journal already holds this incident's pause, ask
 *      whether its nonce was spent (one `eth_getTransactionCount`); if so find
 *      which of its signed attempts was mined, and otherwise keep sending the
 *      same nonce (a crash between signing and sending never spends a second one).
 *   2. Skip the layers that are already paused (idempotent; several daemons
 *      may race, the hub makes the loser's pause a no-op anyway).
 *   3. Simulate `sentinelPause` as the sentinel. A refusal by the contract
 *      (cooldown, missing role) is reported, not retried: the guardian must act.
 *   4. Sign with the chain's fee market (respond/fees.ts: type 2 where blocks
 *      carry a base fee, legacy type 0 elsewhere), persist the signed
 *      transaction in the journal, then broadcast it to every endpoint. A
 *      node that refuses type 2 gets the same nonce again as type 0 at once.
 *   5. Each block it is not mined, re-sign the same nonce with fees raised by
 *      a quarter (capped) and broadcast again. "Mined" is learned from the
 *      account's nonce, one request a block; receipts are looked up only once
 *      the nonce has moved, newest attempt first.
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
  parseAbi,
} from "viem";
import { errorMessage } from "../chain/errors.js";
import { untrustedText } from "../decode/untrusted-text.js";
import { LAYER_ID, type Layer } from "../types.js";
import { bumpFees, currentFees, DEFAULT_MAX_FEE, isTxTypeRefusal, signWithFees, type AttackFees, type FeeMarket, type TxFees } from "./fees.js";

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
  /** Absent in journals written before legacy transactions: "eip1559". */
  type?: FeeMarket;
  /** For a legacy attempt both hold its gas price (what it pays per gas, all of it to the producer). */
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
  /** "legacy" once the chain is known to take no type-2 transaction. */
  feeMarket?: FeeMarket;
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
    }
  /** The caller's `shouldStop` said the pause is no longer needed (paused by someone else, a person acted). */
  | { kind: "stopped"; layers: Layer[]; reason: string };

/** Where a log line goes: the daemon maps these to its logger's levels. */
export type LogLevel = "info" | "warn" | "error";
export type PauseLog = (msg: string, fields?: Record<string, unknown>, level?: LogLevel) => void;

/** What a broadcast achieved: endpoints that took the transaction, and each refusal's reason. */
export interface BroadcastResult {
  accepted: number;
  reasons: string[];
}

export interface PauseSenderDeps {
  /** One client per RPC endpoint; the first answers reads, all receive the broadcast (unless `broadcastRaw` is given). */
  clients: PublicClient[];
  /** Sends a signed transaction to every endpoint; resolves with how many accepted it (and why the others refused). */
  broadcastRaw?: (raw: Hex) => Promise<number | BroadcastResult>;
  chain: Chain;
  sentinel: LocalAccount;
  hub: Address;
  journal: PauseJournal;
  now?: () => Date;
  log?: PauseLog;
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
  /** Cap of any fee field, in wei (default 500 gwei; config `pause.maxFeeGwei`). */
  maxFee?: bigint;
  /**
   * Asked once a block while the pause is not mined: a reason to stop (the
   * layers were paused by someone else, a person acted on the incident), or
   * undefined to go on.
   */
  shouldStop?: () => Promise<string | undefined>;
  /**
   * A pending transaction the pause must get ahead of (pre-emption): each
   * signing offers more than it (respond/fees.ts `currentFees` outbid).
   * Asked at each signing, so a higher attack seen later raises the next one.
   */
  outbid?: () => AttackFees | undefined;
  /** Runs after each broadcast of an attempt (pre-emption measures arrival → broadcast). */
  onBroadcast?: (attempt: PauseAttempt, result: BroadcastResult) => void;
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

/** The journaled nonce was spent by a transaction that is none of the journaled attempts. */
export class PauseNonceSpentError extends Error {
  override name = "PauseNonceSpentError";
}

/** A node's answer that means it already holds this transaction (not a refusal). */
const ALREADY_KNOWN = /already known|known transaction|already imported|already in (?:the )?pool|transaction already exists/i;

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

/** A node's refusal as it may be logged: URLs redacted, control characters stripped, bounded. */
function reasonOf(error: unknown): string {
  return untrustedText(errorMessage(error).split("\n")[0] ?? "");
}

async function broadcast(deps: PauseSenderDeps, raw: Hex): Promise<BroadcastResult> {
  let result: BroadcastResult;
  if (deps.broadcastRaw) {
    const r = await deps.broadcastRaw(raw);
    result = typeof r === "number" ? { accepted: r, reasons: [] } : { accepted: r.accepted, reasons: r.reasons.map((t) => untrustedText(t)) };
  } else {
    const results = await Promise.allSettled(deps.clients.map((c) => c.request({ method: "eth_sendRawTransaction", params: [raw] })));
    result = {
      accepted: results.filter((r) => r.status === "fulfilled").length,
      reasons: results.flatMap((r) => (r.status === "rejected" ? [reasonOf(r.reason)] : [])),
    };
  }
  // "Already known" is a node telling us it holds the transaction: accepted.
  const known = result.reasons.filter((r) => ALREADY_KNOWN.test(r)).length;
  return { accepted: result.accepted + known, reasons: result.reasons.filter((r) => !ALREADY_KNOWN.test(r)) };
}

/** The receipt of the newest journaled attempt that was mined, asked newest first. */
async function findReceipt(deps: PauseSenderDeps, entry: PauseJournalEntry): Promise<TransactionReceipt | undefined> {
  for (const a of [...entry.attempts].reverse()) {
    for (const c of deps.clients) {
      try {
        return await c.getTransactionReceipt({ hash: a.hash });
      } catch {}
    }
  }
  return undefined;
}

/**
 * Whether the entry's nonce was spent: one `eth_getTransactionCount` while it
 * is not; then its receipt (the attempt that was mined), or "spent" when the
 * nonce went to a transaction that is none of ours.
 */
async function minedState(deps: PauseSenderDeps, entry: PauseJournalEntry): Promise<TransactionReceipt | "pending" | "spent"> {
  const used = await deps.clients[0]!.getTransactionCount({ address: entry.from, blockTag: "latest" });
  if (used <= entry.nonce) return "pending";
  return (await findReceipt(deps, entry)) ?? "spent";
}

function sameFees(a: TxFees, b: TxFees): boolean {
  if (a.type === "legacy" || b.type === "legacy") return a.type === b.type && (a as { gasPrice: bigint }).gasPrice === (b as { gasPrice: bigint }).gasPrice;
  return a.maxFeePerGas === b.maxFeePerGas && a.maxPriorityFeePerGas === b.maxPriorityFeePerGas;
}

function attemptFees(a: PauseAttempt): TxFees {
  return a.type === "legacy" ? { type: "legacy", gasPrice: BigInt(a.maxFeePerGas) } : { type: "eip1559", maxFeePerGas: BigInt(a.maxFeePerGas), maxPriorityFeePerGas: BigInt(a.maxPriorityFeePerGas) };
}

async function signAttempt(deps: PauseSenderDeps, entry: PauseJournalEntry, fees: TxFees): Promise<PauseAttempt> {
  const data = encodeFunctionData({ abi: hubSentinelAbi, functionName: "sentinelPause", args: [entry.layers.map((l) => LAYER_ID[l]), entry.incidentRef] });
  const { raw, hash } = await signWithFees(deps.sentinel, { chainId: deps.chain.id, to: deps.hub, data, nonce: entry.nonce, gas: BigInt(entry.gas) }, fees);
  return {
    hash,
    raw,
    type: fees.type,
    maxFeePerGas: (fees.type === "legacy" ? fees.gasPrice : fees.maxFeePerGas).toString(),
    maxPriorityFeePerGas: (fees.type === "legacy" ? fees.gasPrice : fees.maxPriorityFeePerGas).toString(),
    signedAt: (deps.now?.() ?? new Date()).toISOString(),
  };
}

/** Pauses `layers` through the sentinel key; see the module comment for the steps. */
export async function sendSentinelPause(deps: PauseSenderDeps, req: PauseRequest): Promise<PauseOutcome> {
  const client = deps.clients[0];
  if (!client) throw new Error("sendSentinelPause: no RPC client");
  const log: PauseLog = deps.log ?? (() => {});
  const nextBlock = deps.nextBlock ?? defaultNextBlock;
  const cap = deps.maxFee ?? DEFAULT_MAX_FEE;
  const feesNow = (entry: Pick<PauseJournalEntry, "feeMarket">) => {
    const outbid = deps.outbid?.();
    return currentFees(client, { cap, ...(entry.feeMarket === "legacy" ? { force: "legacy" as const } : {}), ...(outbid ? { outbid } : {}) });
  };

  // 1. Resume a pause this incident already signed.
  let entry = await deps.journal.get(req.incidentKey);
  if (entry?.minedHash) {
    return finish(deps, entry, await client.getTransactionReceipt({ hash: entry.minedHash }));
  }
  if (entry) {
    const state = await minedState(deps, entry);
    if (typeof state === "object") return finish(deps, entry, state);
    if (state === "spent") {
      // The nonce went to a transaction of ours we cannot see (or the key is used elsewhere): start afresh.
      log("journaled pause nonce already used; re-evaluating", { nonce: entry.nonce }, "warn");
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
    // The nonce and the fees are asked at the same time as the estimate: a pause racing a pending attack has no round trip to spare.
    const nonceAsked = client.getTransactionCount({ address: deps.sentinel.address, blockTag: "pending" });
    const feesAsked = feesNow({});
    nonceAsked.catch(() => undefined);
    feesAsked.catch(() => undefined);
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
    const nonce = await nonceAsked;
    entry = {
      incidentKey: req.incidentKey,
      incidentRef: req.incidentRef,
      layers: toPause,
      from: deps.sentinel.address,
      nonce,
      gas: ((gas * 13n) / 10n).toString(),
      attempts: [],
    };
    entry.attempts.push(await signAttempt(deps, entry, await feesAsked));
    await deps.journal.put(entry);
    await deps.afterJournal?.(entry);
  }

  // 4b/5. Broadcast, then replace each block until mined.
  let last = entry.attempts[entry.attempts.length - 1]!;
  last = await send(last);
  let head = await client.getBlockNumber({ cacheTime: 0 });
  const maxBlocks = deps.maxBlocks ?? 30;
  for (let waited = 0; ; waited++) {
    const state = await minedState(deps, entry);
    if (typeof state === "object") return finish(deps, entry, state);
    if (state === "spent") throw new PauseNonceSpentError(`the sentinel's nonce ${entry.nonce} was spent by a transaction that is not this pause`);
    if (waited === maxBlocks) break;
    if (waited > 0) {
      const stop = await deps.shouldStop?.();
      if (stop) {
        // "Paused on chain" may be this very pause, mined since the last look: record it as mined, not stopped.
        const landed = await minedState(deps, entry);
        if (typeof landed === "object") return finish(deps, entry, landed);
        log("pause no longer needed; not replacing it", { reason: stop });
        return { kind: "stopped", layers: entry.layers, reason: stop };
      }
      last = await replace(last);
    }
    head = await nextBlock(client, head);
  }
  throw new PauseNotMinedError(`sentinel pause for ${req.incidentKey} not mined after ${maxBlocks} blocks and ${entry.attempts.length} attempts`);

  /** Re-signs the same nonce with higher fees (capped) and broadcasts; at the cap, broadcasts the last one again. */
  async function replace(last: PauseAttempt): Promise<PauseAttempt> {
    const entry_ = entry!;
    const prev = attemptFees(last);
    const bumped = bumpFees(prev, await feesNow(entry_), cap);
    if (sameFees(bumped, prev)) {
      // At the cap: the same transaction again (a node that dropped it takes it back).
      log("pause not mined yet; fees at the cap, sending the same transaction again", { attempt: entry_.attempts.length, maxFeePerGas: last.maxFeePerGas }, "warn");
      return send(last);
    }
    const next = await signAttempt(deps, entry_, bumped);
    entry_.attempts.push(next);
    await deps.journal.put(entry_);
    log("pause not mined yet; replacing with higher fees", { attempt: entry_.attempts.length, type: next.type, maxFeePerGas: next.maxFeePerGas }, "warn");
    return send(next);
  }

  /**
   * Broadcasts an attempt; when every endpoint refuses a type-2 transaction
   * as such, the chain takes legacy ones only: the same nonce is signed again
   * as type 0 and sent at once. Returns the attempt that is out there.
   */
  async function send(attempt: PauseAttempt): Promise<PauseAttempt> {
    const e = entry!;
    const result = await broadcast(deps, attempt.raw);
    deps.onBroadcast?.(attempt, result);
    if (result.accepted > 0) return attempt;
    if ((attempt.type ?? "eip1559") === "eip1559" && result.reasons.length > 0 && result.reasons.some(isTxTypeRefusal)) {
      log("a node refused the type-2 pause transaction; sending it as legacy (type 0)", { reasons: result.reasons }, "warn");
      e.feeMarket = "legacy";
      const legacy = await signAttempt(deps, e, await feesNow(e));
      e.attempts.push(legacy);
      await deps.journal.put(e);
      const again = await broadcast(deps, legacy.raw);
      if (again.accepted === 0) log("pause broadcast accepted by no endpoint", { incident: e.incidentKey, nonce: e.nonce, type: "legacy", reasons: again.reasons }, "error");
      return legacy;
    }
    log("pause broadcast accepted by no endpoint", { incident: e.incidentKey, nonce: e.nonce, type: attempt.type ?? "eip1559", reasons: result.reasons }, "error");
    return attempt;
  }
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

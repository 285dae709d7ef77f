/**
 * Pre-emption (issue 17): judge transactions before they are mined, and race
 * the attack with the sentinel's pause.
 *
 *   pending source (chain/pending.ts) ─► filter (decode/pending.ts pendingRelevance)
 *     ─► simulate on "latest": eth_call, and debug_traceCall with the call tracer where the node has it
 *     ─► decodePending ─► processPending (pure, detectors/preempt.ts) ─► findings marked `pending`
 *     ─► breaker.outbid(key, attack's fees), then raise ─► incident ─► pause action ─► circuit breaker
 *   committed blocks ─► judge again what was harmless against the previous block and still waits
 *                    ─► settle each pending finding from its transaction's receipt:
 *     preempted (reverted on a pause) · missed (succeeded) · reverted_otherwise · never_landed
 *
 * A pending finding opens (or joins) the incident its mined twin would: the
 * same key. Its transaction is watched until it lands or `settleBlocks`
 * pass; the outcome is a note on the incident and a metric. A transaction
 * that never lands leaves the incident open: the plan has a person close a
 * Critical incident. After a restart the watches are rebuilt from the hot
 * findings that carry a `pending` mark and no outcome yet.
 */
import { numberToHex, type Hex } from "viem";
import { revertDataOf, type PendingTx, type RpcPool } from "../chain/index.js";
import { decodePending, type CallFrame, type PendingSimulation } from "../decode/pending.js";
import { decodeRevert, isPausedRevert } from "../decode/revert.js";
import type { KitContracts } from "../decode/kit-events.js";
import type { PreemptThresholds } from "../detectors/preempt.js";
import { addTimelineEntry, timelineEntryId } from "../incidents/index.js";
import { processPending, type PipelineConfig, type PipelineState } from "../pipeline/index.js";
import type { AttackFees } from "../respond/fees.js";
import type { PauseJournalEntry } from "../respond/pause-sender.js";
import type { GuardianStore } from "../store/index.js";
import type { Address, Finding } from "../types.js";

/** A pending transaction as the source hands it over (chain/pending.ts); nonce and source optional (tests, restarts). */
export type PendingInput = Pick<PendingTx, "hash" | "from" | "to" | "input" | "value" | "gas" | "gasPrice" | "maxFeePerGas" | "maxPriorityFeePerGas" | "seenAt"> &
  Partial<Pick<PendingTx, "nonce" | "via">>;

/**
 * What became of a pending finding's transaction: reverted on a pause, succeeded before one (missed), succeeded where no
 * pause could stop it (landed: the finding only opened the incident earlier), reverted otherwise, never mined.
 */
export type PreemptionOutcome = "preempted" | "missed" | "landed" | "reverted_otherwise" | "never_landed";

export interface PreemptionOptions {
  pool: RpcPool;
  store: GuardianStore;
  pipeline: PipelineConfig;
  contracts: KitContracts;
  thresholds?: Partial<PreemptThresholds>;
  breaker: { outbid(key: string, fees: AttackFees): void };
  raise: (findings: Finding[]) => Promise<void>;
  /** Blocks after which a pending finding whose transaction has not landed settles as never_landed. */
  settleBlocks: number;
  clock: () => Date;
  metrics?: {
    onStage(stage: "seen" | "simulated" | "flagged"): void;
    onOutcome(outcome: PreemptionOutcome): void;
    onBroadcastDelay(seconds: number): void;
  };
  log?: (msg: string, fields?: Record<string, unknown>, level?: "info" | "warn" | "error") => void;
}

interface Watch {
  hash: Hex;
  incidentId: string;
  key: string;
  fromBlock: number;
  seenAt: number;
  nonce?: number;
  /** False where no pause can stop it (the paymaster owner's withdrawal): success is "landed", not "missed". */
  preemptable: boolean;
  tx: { from: Address; to: Address | null; input: Hex; value: bigint; gas: bigint };
  broadcastAt?: number;
}

const MAX_SEEN = 10_000;
const MAX_WATCHES = 1_000;
/** Pending transactions judged harmless, kept to be judged again after the next commits. */
const MAX_CANDIDATES = 256;
/** How many commits a harmless pending transaction is judged again for. */
const RETRY_BLOCKS = 3;

export class Preemption {
  private readonly seen = new Set<string>();
  private readonly watches = new Map<string, Watch>();
  private readonly candidates = new Map<string, { tx: PendingInput; judgedAt: number; firstJudgedAt: number; delegatedValue: bigint; stale?: boolean }>();
  /** When a pause was first broadcast, by incident (bounded). */
  private readonly broadcasts = new Map<string, number>();
  private settling = false;

  constructor(private readonly o: PreemptionOptions) {}

  /** Rebuilds the watches of pending findings not settled before a restart (hot findings only). */
  resume(): void {
    const data = this.o.store.read();
    for (const f of data.findings) {
      if (!f.pending || !f.incidentId || this.watches.has(f.pending.txHash)) continue;
      const incident = data.incidents[f.incidentId];
      if (!incident || incident.timeline.some((e) => e.id.startsWith(outcomePrefix(incident.id, f.pending!.txHash)))) continue;
      this.seen.add(f.pending.txHash);
      // The input is not kept: a revert is explained by the node's trace of the mined transaction.
      this.watches.set(f.pending.txHash, {
        hash: f.pending.txHash,
        incidentId: f.incidentId,
        key: f.key,
        fromBlock: f.evidence?.blockNumber ?? 0,
        seenAt: Date.parse(f.pending.seenAt),
        preemptable: f.pending.preemptable,
        tx: { from: f.pending.from, to: null, input: "0x", value: 0n, gas: 0n },
      });
    }
  }

  /** How many pending findings wait for their transaction. */
  watching(): number {
    return this.watches.size;
  }

  /** The circuit breaker broadcast a pause for `incidentId`: the arrival → broadcast figure of each attack it races. */
  onBroadcast(incidentId: string): void {
    const now = Date.now();
    // Kept a while: the broadcast may come before the watch of the attack that caused it is recorded.
    if (!this.broadcasts.has(incidentId)) {
      if (this.broadcasts.size >= MAX_WATCHES) this.broadcasts.delete(this.broadcasts.keys().next().value as string);
      this.broadcasts.set(incidentId, now);
    }
    for (const w of this.watches.values()) if (w.incidentId === incidentId) this.broadcastFor(w, now);
  }

  private broadcastFor(w: Watch, at: number): void {
    if (w.broadcastAt !== undefined || at < w.seenAt) return;
    w.broadcastAt = at;
    this.o.metrics?.onBroadcastDelay((at - w.seenAt) / 1000);
    this.o.log?.("pre-emption: pause broadcast", { incident: w.incidentId, attack: w.hash, msSinceArrival: at - w.seenAt });
  }

  /** A pending transaction that passed the filter. Never throws. */
  async onPending(tx: PendingInput): Promise<void> {
    const hash = tx.hash.toLowerCase() as Hex;
    if (this.seen.has(hash)) return;
    this.remember(hash);
    this.o.metrics?.onStage("seen");
    await this.judge(tx);
  }

  /**
   * After each committed block: pending transactions judged harmless against
   * an older block are judged again (a drain's second redemption may arrive
   * before the block holding its first is committed: the window it adds to
   * was not there yet); then the pending findings whose transaction landed
   * (or never will) are settled. Never throws.
   */
  async onCommitted(blockNumber: number): Promise<void> {
    // Judged against an older block: it may be in this one (then the window counts it). Not counted as pending until judged again.
    for (const c of this.candidates.values()) if (c.judgedAt < blockNumber) c.stale = true;
    if (this.settling || (this.watches.size === 0 && this.candidates.size === 0)) return;
    this.settling = true;
    try {
      for (const c of [...this.candidates.values()]) {
        if (!c.stale) continue;
        this.candidates.delete(c.tx.hash.toLowerCase());
        if (blockNumber - c.firstJudgedAt > RETRY_BLOCKS) continue;
        const receipt = await this.o.pool.request<unknown>("eth_getTransactionReceipt", [c.tx.hash]).catch(() => undefined);
        if (receipt === null) await this.judge(c.tx, c.firstJudgedAt);
      }
      for (const w of [...this.watches.values()]) {
        try {
          await this.settle(w, blockNumber);
        } catch (err) {
          this.o.log?.("pre-emption: settling a pending finding failed; trying again next block", { tx: w.hash, err: (err as Error).message }, "warn");
        }
      }
    } finally {
      this.settling = false;
    }
  }

  /** Simulates and judges a pending transaction against the last committed block; acts on a finding. Never throws. */
  private async judge(tx: PendingInput, firstJudgedAt?: number): Promise<void> {
    const hash = tx.hash.toLowerCase() as Hex;
    try {
      const data = this.o.store.read();
      const tip = data.chain.ring.at(-1);
      const state = (data.detectorState as { current?: PipelineState }).current;
      if (!tip || !state) return; // nothing committed yet: no windows to judge against
      const sim = await this.simulate(tx, tip);
      if (!sim) return;
      this.o.metrics?.onStage("simulated");
      const pending = decodePending(tx, sim, this.o.contracts);
      // Other pending redemptions judged harmless one by one: together they may be the drain.
      const others = [...this.candidates.values()].filter((c) => c.tx.hash.toLowerCase() !== hash && !c.stale && c.delegatedValue > 0n);
      const otherValue = others.reduce((sum, c) => sum + c.delegatedValue, 0n);
      const findings = processPending(pending, { seenAt: new Date(tx.seenAt).toISOString(), observedAt: this.o.clock().toISOString() }, state, this.o.pipeline, this.o.thresholds, otherValue);
      if (findings.length === 0) {
        // Harmless against this block; judged again after the next commit while it waits (bounded).
        if (pending.succeeds && (pending.delegatedValue > 0n || pending.events.length > 0) && this.candidates.size < MAX_CANDIDATES) {
          this.candidates.set(hash, { tx, judgedAt: tip.number, firstJudgedAt: firstJudgedAt ?? tip.number, delegatedValue: pending.delegatedValue });
        }
        return;
      }
      this.candidates.delete(hash);
      this.o.metrics?.onStage("flagged");
      // The pause must get ahead of every transaction of the drain: this one, and the pending ones it was judged with.
      const racing = [tx, ...(findings.some((f) => f.evidence?.values.otherPending !== undefined) ? others.map((c) => c.tx) : [])];
      for (const f of findings) if (f.pending?.preemptable) for (const t of racing) this.o.breaker.outbid(f.key, feesOf(t));
      this.o.log?.("pre-emption: pending attack", { tx: hash, from: tx.from, keys: findings.map((f) => f.key), via: tx.via, msSinceArrival: Date.now() - tx.seenAt }, "warn");
      await this.o.raise(findings);
      // The attacker replacing its transaction (same sender and nonce, a higher bid): one attack, watched by its newest hash.
      for (const w of [...this.watches.values()]) {
        if (tx.nonce !== undefined && w.nonce === tx.nonce && w.tx.from.toLowerCase() === tx.from.toLowerCase()) {
          this.watches.delete(w.hash);
          this.o.log?.("pre-emption: the attack was replaced in the pool", { replaced: w.hash, by: hash, incident: w.incidentId }, "warn");
        }
      }
      const after = this.o.store.read();
      for (const f of findings) {
        const incidentId = after.findings.findLast((r) => r.key === f.key && r.pending?.txHash === hash)?.incidentId;
        if (!incidentId || this.watches.size >= MAX_WATCHES) continue;
        const watch: Watch = { hash, incidentId, key: f.key, fromBlock: tip.number, seenAt: tx.seenAt, preemptable: f.pending?.preemptable ?? true, ...(tx.nonce !== undefined ? { nonce: tx.nonce } : {}), tx: { from: tx.from, to: tx.to, input: tx.input, value: tx.value, gas: tx.gas } };
        this.watches.set(hash, watch);
        const sent = this.broadcasts.get(incidentId);
        if (sent !== undefined) this.broadcastFor(watch, sent);
      }
    } catch (err) {
      this.o.log?.("pre-emption: judging a pending transaction failed", { tx: hash, err: (err as Error).message }, "error");
    }
  }

  private remember(hash: string) {
    if (this.seen.size >= MAX_SEEN) this.seen.delete(this.seen.values().next().value as string);
    this.seen.add(hash);
  }

  private async simulate(tx: PendingInput, tip: { number: number; hash: Hex }): Promise<PendingSimulation | undefined> {
    const call = { from: tx.from, ...(tx.to ? { to: tx.to } : {}), data: tx.input, value: numberToHex(tx.value), gas: numberToHex(tx.gas) };
    const [called, traced] = await Promise.allSettled([
      this.o.pool.request<Hex>("eth_call", [call, "latest"]),
      this.o.pool.request<CallFrame>("debug_traceCall", [call, "latest", { tracer: "callTracer", tracerConfig: { withLog: true } }]),
    ]);
    const trace = traced.status === "fulfilled" && traced.value && typeof traced.value === "object" ? traced.value : undefined;
    if (called.status === "fulfilled") return { block: tip, ok: true, ...(trace ? { trace } : {}) };
    const revertData = revertDataOf(called.reason);
    if (revertData === undefined && !trace) {
      this.o.log?.("pre-emption: a pending transaction could not be simulated", { tx: tx.hash, err: (called.reason as Error).message }, "warn");
      return undefined;
    }
    return { block: tip, ok: false, ...(revertData ? { revertData } : {}), ...(trace ? { trace } : {}) };
  }

  private async settle(w: Watch, blockNumber: number): Promise<void> {
    const receipt = await this.o.pool.request<{ status?: string; blockNumber?: string } | null>("eth_getTransactionReceipt", [w.hash]);
    let outcome: PreemptionOutcome | undefined;
    let minedIn: number | undefined;
    if (receipt && typeof receipt.blockNumber === "string") {
      minedIn = Number(BigInt(receipt.blockNumber));
      if (minedIn > blockNumber) return; // ahead of what the daemon has committed: wait for it
      if (receipt.status === "0x1") outcome = w.preemptable ? "missed" : "landed";
      else outcome = (await this.revertedOnPause(w, minedIn)) ? "preempted" : "reverted_otherwise";
    } else if (blockNumber - w.fromBlock >= this.o.settleBlocks) {
      outcome = "never_landed";
    }
    if (!outcome) return;
    this.watches.delete(w.hash);
    this.o.metrics?.onOutcome(outcome);
    const pause = await this.pauseBlock(w.incidentId);
    this.o.log?.(`pre-emption: ${outcome.replace("_", " ")}`, { tx: w.hash, incident: w.incidentId, block: minedIn ?? null, pauseBlock: pause ?? null }, outcome === "missed" ? "error" : "info");
    const message = describeOutcome(outcome, w, minedIn, pause, this.o.settleBlocks);
    const tip = this.o.store.read().chain.ring.at(-1);
    await this.o.store.update((draft) => {
      const incident = draft.incidents[w.incidentId];
      if (!incident) return;
      const evidenceBlock = minedIn !== undefined ? draft.chain.ring.find((b) => b.number === minedIn) : tip;
      draft.incidents[w.incidentId] = addTimelineEntry(
        incident,
        {
          id: `${outcomePrefix(w.incidentId, w.hash)}:${outcome}`,
          kind: "note",
          message,
          public: false,
          ...(evidenceBlock
            ? { evidence: { blockNumber: evidenceBlock.number, blockHash: evidenceBlock.hash, txHash: w.hash, values: { preemption: outcome, ...(pause !== undefined ? { pauseBlock: pause } : {}) } } }
            : {}),
        },
        this.o.clock(),
      );
    });
  }

  /** Whether the mined, reverted transaction reverted on a pause (EnforcedPause, a guarded contract's paused error). */
  private async revertedOnPause(w: Watch, minedIn: number): Promise<boolean> {
    try {
      const trace = await this.o.pool.request<{ output?: string; error?: string }>("debug_traceTransaction", [w.hash, { tracer: "callTracer" }]);
      if (trace?.error && typeof trace.output === "string" && trace.output.startsWith("0x")) return isPausedRevert(decodeRevert(trace.output as Hex));
    } catch {
      // No debug API: replay on the block's state.
    }
    if (w.tx.input === "0x") return false;
    try {
      await this.o.pool.request("eth_call", [{ from: w.tx.from, ...(w.tx.to ? { to: w.tx.to } : {}), data: w.tx.input, value: numberToHex(w.tx.value), gas: numberToHex(w.tx.gas) }, numberToHex(minedIn)]);
      return false;
    } catch (err) {
      const data = revertDataOf(err);
      return data !== undefined && isPausedRevert(decodeRevert(data));
    }
  }

  /**
   * The block the incident's journaled sentinel pause was mined in, if it
   * was: from the journal, or (the breaker records it at its next look) from
   * the receipts of its signed attempts, newest first.
   */
  private async pauseBlock(incidentId: string): Promise<number | undefined> {
    const item = this.o.store.read().outbox.find((o) => o.kind === "sentinel-pause" && o.id === `pause:${incidentId}`);
    const entry = item?.payload as unknown as PauseJournalEntry | undefined;
    if (!entry || entry.minedBlock !== undefined) return entry?.minedBlock;
    for (const attempt of [...entry.attempts].reverse()) {
      const receipt = await this.o.pool.request<{ blockNumber?: string } | null>("eth_getTransactionReceipt", [attempt.hash]).catch(() => null);
      if (receipt && typeof receipt.blockNumber === "string") return Number(BigInt(receipt.blockNumber));
    }
    return undefined;
  }
}

/** A pending transaction's fee fields, for the breaker to outbid. */
function feesOf(tx: PendingInput): AttackFees {
  return {
    ...(tx.gasPrice !== undefined ? { gasPrice: tx.gasPrice } : {}),
    ...(tx.maxFeePerGas !== undefined ? { maxFeePerGas: tx.maxFeePerGas } : {}),
    ...(tx.maxPriorityFeePerGas !== undefined ? { maxPriorityFeePerGas: tx.maxPriorityFeePerGas } : {}),
  };
}

const outcomePrefix = (incidentId: string, txHash: string) => timelineEntryId(incidentId, "preemption", txHash.toLowerCase());

function describeOutcome(outcome: PreemptionOutcome, w: Watch, minedIn: number | undefined, pause: number | undefined, settleBlocks: number): string {
  const pauseText = pause === undefined ? "no sentinel pause of this incident has been mined" : `the sentinel's pause was mined in block ${pause}`;
  switch (outcome) {
    case "preempted":
      return `Pre-empted: the pending transaction ${w.hash} reverted on the pause in block ${minedIn}${pause === minedIn ? ", the same block as the sentinel's pause" : `; ${pauseText}`}. Nothing it would have moved has left.`;
    case "missed": {
      const after = pause === undefined || minedIn === undefined || pause < minedIn ? "" : pause === minedIn ? "; the sentinel's pause landed in the same block, after it" : `; the sentinel's pause followed in block ${pause}`;
      return `Missed: the pending transaction ${w.hash} succeeded in block ${minedIn} before a pause could stop it${after}. What it moved has left; the incident stays Critical.`;
    }
    case "landed":
      return `The pending transaction ${w.hash} was mined in block ${minedIn} as judged. No pause can stop it; the incident was opened while it was still pending.`;
    case "reverted_otherwise":
      return `The pending transaction ${w.hash} reverted in block ${minedIn}, for another reason than a pause: the simulation's judgement was not confirmed (counted as a false positive).`;
    case "never_landed":
      return `The pending transaction ${w.hash} was not mined within ${settleBlocks} blocks (${pauseText}). It may have been dropped or replaced; a person decides whether the incident can be closed.`;
  }
}

/**
 * The circuit breaker: carries out the incident engine's `pause` actions with
 * the sentinel key, and records the outcome on the incident.
 *
 * - The pause journal lives in the store's outbox (`kind: "sentinel-pause"`,
 *   id `pause:<incident id>`), so a crash between signing and sending resumes
 *   with the same signed transaction (see respond/pause-sender.ts).
 * - One pause per incident: a second action for the same incident finds the
 *   journal entry and resumes it instead of sending another.
 * - On success the incident gets a timeline entry with the transaction and the
 *   time to pause (blocks and seconds from the symptom's block) and moves to
 *   Contained. A refusal by the contract (cooldown, missing role) becomes a
 *   Critical finding of its own, with no layers (so it cannot loop into
 *   another pause), that pages the guardian.
 * - It never gives up on an error. While the incident is open and Critical
 *   and its layers are not paused, a pause that fails (every endpoint down,
 *   an answer it cannot use, a transaction not mined) is tried again with
 *   backoff (doubling from `retryDelayMs` up to `maxRetryDelayMs`, with
 *   jitter; an error's `retryAfterMs` when it carries one), each try through
 *   every endpoint. It stops when the layers are paused on chain (by us or
 *   anyone), when a person moves the incident on (contained, recovered, ...),
 *   or when the daemon stops (a restart resumes the journal).
 * - A pause still not made `lateAfterBlocks` blocks after the symptom (or
 *   after the breaker engaged) pages the guardian: a Critical finding
 *   `circuit-breaker:late:<incident>` with no layers.
 */
import type { Chain, Hex, LocalAccount, PublicClient } from "viem";
import { keccak256, toHex } from "viem";
import { addTimelineEntry, canTransition, timelineEntryId, transition, type PauseAction } from "../incidents/index.js";
import { errorMessage } from "../chain/errors.js";
import { untrustedText } from "../decode/untrusted-text.js";
import { pausedLayers, sendSentinelPause, type BroadcastResult, type PauseAttempt, type PauseJournal, type PauseJournalEntry, type PauseLog, type PauseOutcome } from "../respond/pause-sender.js";
import { effectiveTip, type AttackFees } from "../respond/fees.js";
import type { GuardianStore } from "../store/index.js";
import type { OutboxItem, StoreData } from "../store/schema.js";
import type { Address, Finding, Incident, Layer } from "../types.js";

export interface CircuitBreakerOptions {
  store: GuardianStore;
  clients: PublicClient[];
  /** Sends a signed transaction to every RPC endpoint (the pool's requestEach). */
  broadcastRaw?: (raw: Hex) => Promise<number | BroadcastResult>;
  chain: Chain;
  hub: Address;
  /** The sentinel key; without one the breaker only records that it could not act. */
  sentinel?: LocalAccount;
  dryRun?: boolean;
  clock: () => Date;
  /** Findings the breaker raises (refusals): folded into incidents by the caller. */
  raise: (findings: Finding[]) => Promise<void>;
  log?: PauseLog;
  /** Test hook, passed to the sender. */
  afterJournal?: (entry: PauseJournalEntry) => void | Promise<void>;
  /** The newest block known to be canonical (the follower's tip), passed to the sender. */
  knownBlock?: () => number | undefined;
  /** First wait before retrying a pause that failed; doubles each retry. Default 1000 ms. */
  retryDelayMs?: number;
  /** Longest wait between retries. Default 15 s. */
  maxRetryDelayMs?: number;
  /** The chain's block time: how often the breaker looks for a new block. Default 2000 ms. */
  blockTimeMs?: number;
  /** Page the guardian when the pause is this many blocks late (config `pause.lateAfterBlocks`). Default 5. */
  lateAfterBlocks?: number;
  /** Cap of any fee field of the pause, in wei (config `pause.maxFeeGwei`). */
  maxFee?: bigint;
  /** Runs after each broadcast of a pause attempt (pre-emption's arrival → broadcast figure). */
  onBroadcast?: (incidentId: string, attempt: PauseAttempt, result: BroadcastResult) => void;
}

const JOURNAL_KIND = "sentinel-pause";
/** Default of `lateAfterBlocks`: 5 blocks (10 s at 2 s blocks) without the pause pages the guardian. */
export const DEFAULT_LATE_AFTER_BLOCKS = 5;
const DEFAULT_MAX_RETRY_DELAY_MS = 15_000;

/** Timeline entries the breaker writes while it keeps trying: they do not settle the pause (see `owedPauses`). */
const INTERIM_ENTRIES = ["retrying", "late"] as const;

/**
 * The wait before retry `attempt` (1-based): `base` doubled each retry, at
 * most `max`, with ±20% jitter so that several daemons do not retry in step.
 * A `retryAfterMs` on the error (a rate-limited endpoint's Retry-After) is
 * waited at least. Pure but for `random`.
 */
export function retryDelay(attempt: number, base: number, max: number, error?: unknown, random: () => number = Math.random): number {
  const exp = Math.min(max, base * 2 ** Math.min(attempt - 1, 30));
  let wait = Math.round(exp * (0.8 + 0.4 * random()));
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const after = (e as { retryAfterMs?: unknown }).retryAfterMs;
    if (typeof after === "number" && after > wait) wait = Math.min(after, max * 4); // a hostile Retry-After must not stall the pause
  }
  return wait;
}

/** The pause journal as outbox items of the store. */
export function storePauseJournal(store: GuardianStore, clock: () => Date): PauseJournal {
  return {
    async get(incidentKey) {
      const item = store.read().outbox.find((o) => o.kind === JOURNAL_KIND && o.id === `pause:${incidentKey}`);
      // A copy: the store's snapshot is frozen, and the sender updates the entry it resumes.
      return item ? (structuredClone(item.payload) as unknown as PauseJournalEntry) : undefined;
    },
    async put(entry) {
      await store.update((draft) => {
        const id = `pause:${entry.incidentKey}`;
        const item: OutboxItem = {
          id,
          kind: JOURNAL_KIND,
          createdAt: draft.outbox.find((o) => o.id === id)?.createdAt ?? clock().toISOString(),
          incidentId: entry.incidentKey,
          status: entry.minedHash ? "done" : "pending",
          attempts: entry.attempts.length,
          payload: JSON.parse(JSON.stringify(entry)) as Record<string, unknown>,
        };
        const at = draft.outbox.findIndex((o) => o.id === id);
        if (at >= 0) draft.outbox[at] = item;
        else draft.outbox.push(item);
      });
    },
  };
}

/**
 * Pauses owed by open Critical incidents the breaker never acted on: not
 * contained, with auto-pausable layers, no pause journal entry and no
 * circuit-breaker entry on the timeline. The action that should have paused
 * them was lost: the process died after the incident was stored (a block
 * commit, an admin-endpoint trigger) and before the pause was journaled, or
 * the incident was triggered through the CLI while no daemon ran.
 */
export function owedPauses(data: Readonly<StoreData>, autoPause: Readonly<Record<Layer, boolean>>): PauseAction[] {
  const journaled = new Set(data.outbox.filter((o) => o.kind === JOURNAL_KIND).map((o) => o.incidentId));
  return Object.values(data.incidents).flatMap((incident): PauseAction[] => {
    if (incident.severity !== "critical" || (incident.state !== "detected" && incident.state !== "responding")) return [];
    const interim = new Set(INTERIM_ENTRIES.map((k) => timelineEntryId(incident.id, "circuit-breaker", k)));
    if (journaled.has(incident.id) || incident.timeline.some((e) => e.kind === "action" && !interim.has(e.id))) return [];
    const layers = incident.affected.layers.filter((layer) => autoPause[layer]);
    return layers.length > 0 ? [{ type: "pause", incidentId: incident.id, layers }] : [];
  });
}

/** The 32-byte incident reference the hub records: keccak256 of the incident id. */
export function hubIncidentRef(incidentId: string): Hex {
  return keccak256(toHex(incidentId));
}

/**
 * The evidence of the symptom being paused: the incident's first evidence,
 * or, after a recurrence (recovered, then reopened), the first evidence
 * since it recovered: an incident that recovered and came back is paused for
 * the new episode, and its time to pause counts from that.
 */
export function symptomBlock(incident: Pick<Incident, "timeline">) {
  let from = 0;
  incident.timeline.forEach((e, i) => {
    if (e.kind === "state" && e.state === "recovered") from = i + 1;
  });
  return incident.timeline.slice(from).find((e) => e.evidence)?.evidence ?? incident.timeline.find((e) => e.evidence)?.evidence;
}

export class CircuitBreaker {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly inFlight = new Set<string>();
  private readonly journal: PauseJournal;
  private stopped = false;
  private readonly wakers = new Set<() => void>();
  /** Pending attacks to outbid, by incident key (pre-emption): the highest seen, and when (`seq`) it was recorded. */
  private readonly attacks = new Map<string, { fees: AttackFees; seq: number }>();
  private seq = 0;
  /** The incident key of the pause being sent now, and whether a higher attack asks it to be replaced at once. */
  private sending: string | undefined;
  private kicked = false;

  constructor(private readonly o: CircuitBreakerOptions) {
    this.journal = storePauseJournal(o.store, o.clock);
  }

  /** Queues the pause; pauses run one at a time (one sentinel nonce sequence). */
  handle(action: PauseAction): Promise<PauseOutcome | undefined> {
    if (this.inFlight.has(action.incidentId)) return Promise.resolve(undefined);
    this.inFlight.add(action.incidentId);
    const run = this.queue.then(() => this.pause(action)).finally(() => this.inFlight.delete(action.incidentId));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Resumes journaled pauses that were not mined before a restart; with
   * `autoPause`, then sends the pauses still owed (see `owedPauses`).
   */
  async resumePending(autoPause?: Readonly<Record<Layer, boolean>>): Promise<void> {
    const data = this.o.store.read();
    const pending = data.outbox.filter((o) => o.kind === JOURNAL_KIND && o.status === "pending");
    for (const item of pending) {
      const entry = item.payload as unknown as PauseJournalEntry;
      await this.handle({ type: "pause", incidentId: entry.incidentKey, layers: entry.layers });
    }
    if (autoPause) for (const action of owedPauses(data, autoPause)) await this.handle(action);
  }

  /**
   * Makes the pause of the incident with `key` outbid a pending attack
   * (pre-emption): every signing of that pause, the first and each
   * replacement, offers more than the highest attack recorded for the key.
   * Call before the finding is raised, so the first signing sees it.
   */
  outbid(key: string, fees: AttackFees): void {
    const known = this.attacks.get(key);
    // Compared by what each pays above a zero base fee, the larger of the two fields that matter.
    const raised = !known || effectiveTip(fees, 0n) > effectiveTip(known.fees, 0n);
    // Recorded as current either way (`seq`): the pause being sent for an earlier incident of the key must not clear it.
    this.attacks.set(key, { fees: raised ? fees : known.fees, seq: ++this.seq });
    if (raised && this.sending === key) {
      // The attacker raised its bid (or a new attack pays more) while our pause waits in the pool:
      // replace the pause now, not at the next block.
      this.kicked = true;
      for (const wake of this.wakers) wake();
    }
  }

  /** Waits for queued pauses. */
  async idle(): Promise<void> {
    await this.queue;
  }

  /** Ends the retries of pauses in progress (the daemon is stopping; the journal resumes them at the next start). */
  stop(): void {
    this.stopped = true;
    for (const wake of this.wakers) wake();
  }

  /** Waits `ms`, or less if the breaker is stopped. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private get blockTimeMs() {
    return this.o.blockTimeMs ?? 2000;
  }

  /**
   * The sender's wait for the next block: the follower's tip when the daemon
   * gives one (no request), asking the head itself once a block time when
   * the tip does not move.
   */
  private readonly nextBlock = async (client: PublicClient, after: bigint): Promise<bigint> => {
    const step = Math.max(25, Math.floor(this.blockTimeMs / 4));
    let askAt = this.o.knownBlock ? Date.now() + this.blockTimeMs : 0;
    for (;;) {
      if (this.stopped) throw new Error("circuit breaker stopped");
      if (this.kicked) {
        this.kicked = false;
        return after; // no new block: the sender re-signs with the higher outbid (see `outbid`)
      }
      const known = this.o.knownBlock?.();
      if (known !== undefined && BigInt(known) > after) return BigInt(known);
      if (Date.now() >= askAt) {
        const n = await client.getBlockNumber({ cacheTime: 0 });
        if (n > after) return n;
        if (this.o.knownBlock) askAt = Date.now() + this.blockTimeMs;
      }
      await this.sleep(step);
    }
  };

  /**
   * Why the pause is no longer owed, or undefined: the incident was moved on
   * by a person (or closed, or downgraded), or every layer is paused on chain.
   */
  private async settled(action: PauseAction): Promise<{ reason: string; contain: boolean } | undefined> {
    const incident = this.o.store.read().incidents[action.incidentId];
    if (!incident) return { reason: "the incident is gone", contain: false };
    if (incident.state !== "detected" && incident.state !== "responding") return { reason: `the incident is ${incident.state}`, contain: false };
    if (incident.severity !== "critical") return { reason: `the incident is now ${incident.severity}`, contain: false };
    const client = this.o.clients[0];
    if (!client) return undefined;
    try {
      // Paused at "latest" and at the follower's tip, as the sender's "already paused" (a lagging endpoint's "latest" may be stale).
      const known = this.o.knownBlock?.();
      const paused = await pausedLayers(client, this.o.hub, action.layers);
      if (paused.length === action.layers.length) {
        const atKnown = known === undefined ? paused : await pausedLayers(client, this.o.hub, action.layers, BigInt(known));
        if (atKnown.length === action.layers.length) return { reason: `${action.layers.join(", ")} paused on chain`, contain: true };
      }
    } catch {
      // Unreadable now: keep trying to pause.
    }
    return undefined;
  }

  private async note(incidentId: string, entryId: string, message: string, extra?: { contain?: boolean; evidence?: Incident["timeline"][number]["evidence"] }) {
    await this.o.store.update((draft) => {
      let incident = draft.incidents[incidentId];
      if (!incident) return;
      const now = this.o.clock();
      incident = addTimelineEntry(
        incident,
        { id: timelineEntryId(incidentId, "circuit-breaker", entryId), kind: "action", message, public: false, ...(extra?.evidence ? { evidence: extra.evidence } : {}) },
        now,
      );
      if (extra?.contain && canTransition(incident.state, "contained")) {
        incident = transition(incident, "contained", { now, message: "The affected components were paused to protect users while we investigate." });
      }
      draft.incidents[incidentId] = incident;
    });
  }

  private async pause(action: PauseAction): Promise<PauseOutcome | undefined> {
    const log = this.o.log ?? (() => {});
    const incident = this.o.store.read().incidents[action.incidentId];
    if (!incident) return undefined;
    if (!this.o.sentinel) {
      log("circuit breaker: no sentinel key configured; cannot pause", { incident: action.incidentId, layers: action.layers });
      await this.note(action.incidentId, "no-key", `Auto-pause of ${action.layers.join(", ")} was due but no sentinel key is configured (env GUARDIAN_SENTINEL_KEY): the guardian Safe must pause by hand.`);
      return undefined;
    }
    const symptom = symptomBlock(incident);
    const late = this.lateWatch(incident, symptom?.blockNumber);
    this.sending = incident.key;
    this.kicked = false;
    const startSeq = this.seq;
    let outcome: PauseOutcome | undefined;
    let retrying = false;
    for (let attempt = 1; !outcome; attempt++) {
      if (this.stopped) return undefined;
      if (attempt > 1) {
        const done = await this.settled(action);
        // With a journaled pause, the sender decides: it records the pause as mined if it landed meanwhile.
        if (done && !(await this.journal.get(action.incidentId))) {
          outcome = { kind: "stopped", layers: action.layers, reason: done.reason };
          break;
        }
      }
      try {
        outcome = await sendSentinelPause(
          {
            clients: this.o.clients,
            ...(this.o.broadcastRaw ? { broadcastRaw: this.o.broadcastRaw } : {}),
            chain: this.o.chain,
            sentinel: this.o.sentinel,
            hub: this.o.hub,
            journal: this.journal,
            now: this.o.clock,
            log,
            nextBlock: this.nextBlock,
            ...(this.o.maxFee !== undefined ? { maxFee: this.o.maxFee } : {}),
            ...(this.o.afterJournal ? { afterJournal: this.o.afterJournal } : {}),
            ...(this.o.knownBlock ? { knownBlock: this.o.knownBlock } : {}),
            outbid: () => this.attacks.get(incident.key)?.fees,
            ...(this.o.onBroadcast ? { onBroadcast: (attempt: PauseAttempt, result: BroadcastResult) => this.o.onBroadcast!(action.incidentId, attempt, result) } : {}),
            shouldStop: async () => {
              await late();
              return (await this.settled(action))?.reason;
            },
          },
          { incidentKey: action.incidentId, incidentRef: hubIncidentRef(action.incidentId), layers: action.layers, ...(this.o.dryRun ? { dryRun: true } : {}) },
        );
      } catch (err) {
        if (this.stopped) return undefined;
        const reason = untrustedText(errorMessage(err));
        const details = (err as { details?: unknown }).details;
        const wait = retryDelay(attempt, this.o.retryDelayMs ?? 1000, this.o.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS, err);
        log("circuit breaker: pause attempt failed; retrying", { incident: action.incidentId, attempt, error: reason, ...(typeof details === "string" ? { details: untrustedText(details) } : {}), retryInMs: wait }, "error");
        if (!retrying) {
          retrying = true;
          await this.note(action.incidentId, "retrying", `Auto-pause of ${action.layers.join(", ")} hit an error (${reason}); the circuit breaker keeps trying through every endpoint until the layers are paused or a person acts.`);
        }
        await late();
        await this.sleep(wait);
      }
    }
    // The race is over: a later pause of this key starts from the market again, unless an attack came meanwhile
    // (the next incident of the same key, opened while this pause was still being sent, must keep its outbid).
    if ((this.attacks.get(incident.key)?.seq ?? Infinity) <= startSeq) this.attacks.delete(incident.key);
    this.sending = undefined;
    switch (outcome.kind) {
      case "stopped":
        log("circuit breaker: pause no longer owed", { incident: action.incidentId, reason: outcome.reason });
        await this.note(action.incidentId, "stopped", `Auto-pause of ${outcome.layers.join(", ")} stopped: ${outcome.reason}.`, { contain: /paused on chain/.test(outcome.reason) });
        break;
      case "dry-run":
        await this.note(action.incidentId, "dry-run", `Dry run: would send sentinelPause(${outcome.layers.join(", ")}) to ${outcome.to} (data ${outcome.data}).`);
        break;
      case "already-paused":
        await this.note(action.incidentId, "already", `Auto-pause: ${outcome.layers.join(", ")} already paused; nothing sent.`, { contain: true });
        break;
      case "refused":
        await this.note(action.incidentId, `refused-${outcome.error}`, `Auto-pause refused by the GuardianHub: ${outcome.error}(${outcome.args.map(String).join(", ")}). The guardian Safe must act.`);
        await this.o.raise([this.refusalFinding(incident, outcome.error, outcome.args.map(String).join(", "))]);
        break;
      case "paused": {
        const client = this.o.clients[0]!;
        const mined = await client.getBlock({ blockNumber: BigInt(outcome.blockNumber) });
        let delta = "";
        let seconds: number | undefined;
        if (symptom) {
          const from = await client.getBlock({ blockNumber: BigInt(symptom.blockNumber) }).catch(() => undefined);
          const blocks = outcome.blockNumber - symptom.blockNumber;
          seconds = from ? Number(mined.timestamp - from.timestamp) : undefined;
          delta = `, ${blocks} block(s)${seconds !== undefined ? ` and ${seconds} s` : ""} after the symptom's block ${symptom.blockNumber}`;
        }
        await this.note(
          action.incidentId,
          "paused",
          `Circuit breaker: sentinel paused ${outcome.layers.join(", ")} in tx ${outcome.txHash} (block ${outcome.blockNumber}${delta}; ${outcome.attempts} attempt(s))${outcome.confirmed ? "; confirmed on chain" : "; NOT confirmed on chain"}.`,
          {
            contain: outcome.confirmed,
            evidence: {
              blockNumber: outcome.blockNumber,
              blockHash: mined.hash,
              txHash: outcome.txHash,
              values: {
                layers: outcome.layers.join(","),
                symptomBlock: symptom?.blockNumber ?? -1,
                blocksToPause: symptom ? outcome.blockNumber - symptom.blockNumber : -1,
                secondsToPause: seconds ?? -1,
                firstSignedAt: outcome.firstSignedAt,
              },
            },
          },
        );
        log("circuit breaker: paused", { incident: action.incidentId, tx: outcome.txHash, block: outcome.blockNumber, layers: outcome.layers });
        break;
      }
    }
    return outcome;
  }

  /**
   * Returns a check, run at each retry and each block the pause waits: once
   * the pause is `lateAfterBlocks` blocks late (counted from the symptom's
   * block, else from the follower's tip when the breaker engaged; or that many
   * block times when no block can be read), it pages the guardian, once.
   */
  private lateWatch(incident: Incident, symptomBlockNumber: number | undefined): () => Promise<void> {
    const lateAfter = this.o.lateAfterBlocks ?? DEFAULT_LATE_AFTER_BLOCKS;
    const from = symptomBlockNumber ?? this.o.knownBlock?.();
    const since = Date.now();
    let paged = false;
    return async () => {
      if (paged) return;
      const tip = this.o.knownBlock?.();
      const blocks = tip !== undefined && from !== undefined ? tip - from : Math.floor((Date.now() - since) / this.blockTimeMs);
      if (blocks < lateAfter) return;
      paged = true;
      const log = this.o.log ?? (() => {});
      log("circuit breaker: pause is late; paging the guardian", { incident: incident.id, blocks, layers: incident.affected.layers }, "error");
      await this.note(incident.id, "late", `Auto-pause is ${blocks} block(s) late; the guardian was paged. The circuit breaker keeps trying.`);
      await this.o.raise([
        {
          detector: "circuit-breaker",
          key: `circuit-breaker:late:${incident.id}`,
          severity: "critical",
          title: `Auto-pause late for "${incident.title}"`,
          summary: `The sentinel has not paused ${incident.affected.layers.join(", ")} ${blocks} block(s) after the symptom; it keeps trying. The guardian Safe should pause by hand.`,
          layers: [],
          contracts: [this.o.hub],
          observedAt: this.o.clock().toISOString(),
        },
      ]);
    };
  }

  private refusalFinding(incident: Incident, error: string, detail: string): Finding {
    return {
      detector: "circuit-breaker",
      key: `circuit-breaker:refused:${incident.id}`,
      severity: "critical",
      title: `Auto-pause refused for "${incident.title}"`,
      summary: `The sentinel could not pause ${incident.affected.layers.join(", ")}: ${error}${detail ? ` (${detail})` : ""}. The guardian Safe must pause by hand.`,
      layers: [],
      contracts: [this.o.hub],
      observedAt: this.o.clock().toISOString(),
    };
  }
}

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
 */
import type { Chain, Hex, LocalAccount, PublicClient } from "viem";
import { keccak256, toHex } from "viem";
import { RpcUnavailableError } from "../chain/errors.js";
import { addTimelineEntry, canTransition, timelineEntryId, transition, type PauseAction } from "../incidents/index.js";
import { sendSentinelPause, type PauseJournal, type PauseJournalEntry, type PauseOutcome } from "../respond/pause-sender.js";
import type { GuardianStore } from "../store/index.js";
import type { OutboxItem, StoreData } from "../store/schema.js";
import type { Address, Finding, Incident, Layer } from "../types.js";

export interface CircuitBreakerOptions {
  store: GuardianStore;
  clients: PublicClient[];
  /** Sends a signed transaction to every RPC endpoint (the pool's requestEach). */
  broadcastRaw?: (raw: Hex) => Promise<number>;
  chain: Chain;
  hub: Address;
  /** The sentinel key; without one the breaker only records that it could not act. */
  sentinel?: LocalAccount;
  dryRun?: boolean;
  clock: () => Date;
  /** Findings the breaker raises (refusals): folded into incidents by the caller. */
  raise: (findings: Finding[]) => Promise<void>;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Test hook, passed to the sender. */
  afterJournal?: (entry: PauseJournalEntry) => void | Promise<void>;
  /** The newest block known to be canonical (the follower's tip), passed to the sender. */
  knownBlock?: () => number | undefined;
  /** Wait before retrying a pause that failed (times the retry's number). Default 1000 ms. */
  retryDelayMs?: number;
}

const JOURNAL_KIND = "sentinel-pause";
/**
 * Tries of a pause that fails with an error before the guardian is paged:
 * an endpoint answered something the sender cannot use (an answer of the
 * wrong shape). The sender is idempotent (the journal), so a retry resumes
 * what the failed try signed. When no endpoint answered at all the pause
 * fails at once, as before (an outage is its own Critical incident).
 */
const PAUSE_TRIES = 5;

function everyEndpointDown(error: unknown): boolean {
  for (let e = error; e; e = (e as { cause?: unknown }).cause) if (e instanceof RpcUnavailableError) return true;
  return false;
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
    if (journaled.has(incident.id) || incident.timeline.some((e) => e.kind === "action")) return [];
    const layers = incident.affected.layers.filter((layer) => autoPause[layer]);
    return layers.length > 0 ? [{ type: "pause", incidentId: incident.id, layers }] : [];
  });
}

/** The 32-byte incident reference the hub records: keccak256 of the incident id. */
export function hubIncidentRef(incidentId: string): Hex {
  return keccak256(toHex(incidentId));
}

/** The block of the first evidence on the incident: the symptom's block. */
function symptomBlock(incident: Incident) {
  return incident.timeline.find((e) => e.evidence)?.evidence;
}

export class CircuitBreaker {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly inFlight = new Set<string>();
  private readonly journal: PauseJournal;

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

  /** Waits for queued pauses. */
  async idle(): Promise<void> {
    await this.queue;
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
    let outcome: PauseOutcome | undefined;
    for (let attempt = 1; !outcome; attempt++) {
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
            ...(this.o.afterJournal ? { afterJournal: this.o.afterJournal } : {}),
            ...(this.o.knownBlock ? { knownBlock: this.o.knownBlock } : {}),
          },
          { incidentKey: action.incidentId, incidentRef: hubIncidentRef(action.incidentId), layers: action.layers, ...(this.o.dryRun ? { dryRun: true } : {}) },
        );
      } catch (err) {
        if (attempt < PAUSE_TRIES && !everyEndpointDown(err)) {
          log("circuit breaker: pause attempt failed; retrying", { incident: action.incidentId, attempt, error: (err as Error).message });
          await new Promise((r) => setTimeout(r, (this.o.retryDelayMs ?? 1000) * attempt));
          continue;
        }
        log("circuit breaker: pause failed", { incident: action.incidentId, error: (err as Error).message });
        await this.note(action.incidentId, "failed", `Auto-pause of ${action.layers.join(", ")} failed: ${(err as Error).message}. The guardian Safe must pause by hand.`);
        await this.o.raise([this.refusalFinding(incident, "PauseNotMined", (err as Error).message)]);
        return undefined;
      }
    }
    const symptom = symptomBlock(incident);
    switch (outcome.kind) {
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

import { AmbiguousIncidentIdError, IncidentNotFoundError } from "../incidents/errors.js";
import type { FindingRecord, Incident } from "../types.js";
import type { StoreData } from "./schema.js";

/**
 * Guardian's persistent state behind one small interface, so that a shared
 * PostgreSQL store can replace the embedded lowdb one (several daemons, one
 * chain) without touching its users.
 *
 * The state is split by kind of record (checkpoint ring, detector state,
 * incidents, findings, outbox, publisher and notifier records). What a block
 * can touch is HOT and held in memory; what only grows is HISTORY, kept out
 * of the hot state and read on demand:
 *
 * - an incident in post-review (closed for good) is archived once it has not
 *   changed for a while (the store's `archiveAfterMs`), or at once beyond the
 *   newest 20 closed ones: it leaves `read().incidents` and is found
 *   through `history`;
 * - findings that fall off the bounded hot list are archived, not dropped.
 *
 * A commit therefore writes only what the update changed (the PostgreSQL
 * store: the changed rows; the embedded store: the small hot document plus
 * appended history lines), atomically with the checkpoint.
 *
 * - `read()` returns the last committed hot snapshot, deeply frozen: cheap, synchronous.
 * - `update(mutator)` runs `mutator` on a private copy (a draft), checks the
 *   result against the schema and commits it with at most one durable write
 *   (none when nothing changed). If the mutator throws, nothing is written,
 *   the snapshot stays as it was, and the error propagates. Updates run one
 *   at a time in call order. The mutator must be synchronous; its return
 *   value is passed through. `restore` lists archived incidents to put back
 *   into the draft before the mutator runs (they are archived again once
 *   they have been left alone long enough).
 * - `close()` waits for pending updates and releases the store (its lock).
 */
export interface GuardianStore {
  read(): Readonly<StoreData>;
  update<R = void>(mutator: (draft: StoreData) => R, options?: UpdateOptions): Promise<R>;
  readonly history: IncidentHistory;
  close(): Promise<void>;
}

export interface UpdateOptions {
  /** Archived incident ids to bring back into the draft's incidents. */
  restore?: readonly string[];
}

/** Archived incidents (closed, post-review), newest first. Sync parts are answered from memory. */
export interface IncidentHistory {
  /** The highest occurrence of an incident key among archived incidents (correlation numbers recurrences on). */
  lastOccurrence(key: string): number | undefined;
  count(): number;
  /** Archived ids starting with `prefix` (lower case); at most 101 (enough to call a prefix ambiguous). */
  matching(prefix: string): Promise<string[]>;
  /** An archived incident by its full id. */
  get(id: string): Promise<Incident | undefined>;
  /** Archived incidents, newest `createdAt` first; pass `next` as `before` for the following page. */
  list(options: { limit: number; before?: string }): Promise<IncidentPage>;
  /** Archived findings observed in one month ("YYYY-MM"), oldest first. */
  findings(month: string): Promise<FindingRecord[]>;
}

export interface IncidentPage {
  incidents: Incident[];
  next?: string;
}

/** A history with nothing in it (a store that never archived, or none yet). */
export const EMPTY_HISTORY: IncidentHistory = Object.freeze({
  lastOccurrence: () => undefined,
  count: () => 0,
  matching: async () => [],
  get: async () => undefined,
  list: async () => ({ incidents: [] }),
  findings: async () => [],
});

/**
 * An incident by id or unique id prefix (≥ 4 characters, like git), among the
 * hot incidents and the archived ones; `archived` says where it was found.
 * @throws IncidentNotFoundError | AmbiguousIncidentIdError
 */
export async function findStoredIncident(
  hot: Readonly<Record<string, Readonly<Incident>>>,
  history: IncidentHistory,
  idOrPrefix: string,
): Promise<{ incident: Readonly<Incident>; archived: boolean }> {
  const wanted = idOrPrefix.toLowerCase();
  if (Object.hasOwn(hot, wanted)) return { incident: hot[wanted]!, archived: false };
  const exact = await history.get(wanted);
  if (exact) return { incident: exact, archived: true };
  if (wanted.length >= 4) {
    const inHot = Object.keys(hot).filter((id) => id.startsWith(wanted));
    const matches = [...new Set([...inHot, ...(await history.matching(wanted))])];
    if (matches.length > 1) throw new AmbiguousIncidentIdError(idOrPrefix, matches.sort());
    const only = matches[0];
    if (only !== undefined) {
      if (Object.hasOwn(hot, only)) return { incident: hot[only]!, archived: false };
      const incident = await history.get(only);
      if (incident) return { incident, archived: true };
    }
  }
  throw new IncidentNotFoundError(idOrPrefix);
}

/** Hot incidents followed by the newest `limit` archived ones, newest first (CLI lists, admin, publisher). */
export async function incidentsWithHistory(store: Pick<GuardianStore, "read" | "history">, limit: number): Promise<Incident[]> {
  const hot = Object.values(store.read().incidents) as Incident[];
  const { incidents: archived } = await store.history.list({ limit });
  const seen = new Set(hot.map((i) => i.id));
  return [...hot, ...archived.filter((i) => !seen.has(i.id))].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
}

/**
 * The findings of an incident, hot and archived (the months from its opening
 * to its resolution, at most `maxMonths`), oldest first: the evidence a
 * post-mortem cites.
 */
export async function findingsOfIncident(store: Pick<GuardianStore, "read" | "history">, incident: Readonly<Incident>, now: Date, maxMonths = 24): Promise<FindingRecord[]> {
  const months: string[] = [];
  const end = new Date(incident.resolvedAt ?? now.toISOString());
  for (let at = new Date(`${incident.createdAt.slice(0, 7)}-01T00:00:00Z`); at <= end && months.length < maxMonths; at.setUTCMonth(at.getUTCMonth() + 1))
    months.push(at.toISOString().slice(0, 7));
  const archived = (await Promise.all(months.map((m) => store.history.findings(m)))).flat();
  return [...archived, ...store.read().findings].filter((f) => f.incidentId === incident.id);
}

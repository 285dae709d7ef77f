/**
 * What one `store.update` changed, by kind of record: the change set a store
 * that keeps records apart (PostgreSQL: a table per kind) writes in one
 * transaction, instead of rewriting the whole document. Pure.
 *
 * Records are compared as JSON, one by one: the hot state is small (open
 * incidents, the last findings, the ring), so comparing it costs far less
 * than writing it.
 *
 * Findings have no id: a finding is the same record as before when it is
 * the same object the draft was cloned with (`cloneWithOrigins` remembers
 * which draft object came from which position), so edits in place
 * (`f.reorged = true`), appends and drops from the front are told apart
 * without guessing.
 */
import type { BlockId, FindingRecord, Incident } from "../types.js";
import type { OutboxItem, StoreData } from "./schema.js";

/** Top-level keys kept in their own records; every other key of StoreData is a key/value record. */
export const SPLIT_KEYS = ["schemaVersion", "chain", "detectorState", "incidents", "findings", "outbox"] as const;

export interface StoreChanges {
  /** The processed count, when it changed. */
  processedCount?: number;
  /** Ring blocks to write (new, or a number whose hash changed) and block numbers that left the ring. */
  ring: { put: BlockId[]; remove: number[] };
  /** The detector state, when it changed. */
  detectorState?: Record<string, unknown>;
  /** Incidents new or changed in the hot map; ids that left it (archived: kept, never deleted). */
  incidents: { upsert: Incident[]; archive: string[] };
  /**
   * Findings: appended at the end; changed in place (by their index in the
   * previous list); and the previous indices that left the hot list (they
   * stay in history).
   */
  findings: { append: FindingRecord[]; change: Array<{ index: number; finding: FindingRecord }>; drop: number[] };
  /** Outbox items new or changed; ids removed. */
  outbox: { upsert: OutboxItem[]; remove: string[] };
  /** Other top-level keys (publish, notify, meta, ...): set or removed. */
  kv: { put: Array<{ key: string; value: unknown }>; remove: string[] };
  /**
   * chain.processedLog: `enabled` when it appeared or disappeared; entries
   * of the previous log from `dropFrom` on left it (a reorg); `append`
   * follows what is kept.
   */
  processedLog: { enabled?: boolean; dropFrom?: number; append: BlockId[] };
}

/** Where a finding of the next list was in the previous one (index), or undefined for a new finding. */
export type FindingOrigin = (finding: FindingRecord, index: number) => number | undefined;

export interface DiffOptions {
  /** Default: the same object in both lists (see cloneWithOrigins). */
  findingOrigin?: FindingOrigin;
}

/**
 * A private copy of `data` to mutate, and the origin of each of its findings
 * (the draft's finding objects, by identity, map to their index in `data`).
 *
 * @example
 * const { draft, findingOrigin } = cloneWithOrigins(snapshot);
 * mutator(draft);
 * const changes = diffStoreData(snapshot, draft, { findingOrigin });
 */
export function cloneWithOrigins(data: Readonly<StoreData>): { draft: StoreData; findingOrigin: FindingOrigin } {
  const draft = cloneJson(data) as StoreData;
  const origin = new WeakMap<object, number>();
  draft.findings.forEach((f, i) => origin.set(f, i));
  return { draft, findingOrigin: (f) => origin.get(f) };
}

/** Whether `changes` writes nothing. */
export function isEmptyChangeSet(c: StoreChanges): boolean {
  return (
    c.processedCount === undefined &&
    c.ring.put.length === 0 &&
    c.ring.remove.length === 0 &&
    c.detectorState === undefined &&
    c.incidents.upsert.length === 0 &&
    c.incidents.archive.length === 0 &&
    c.findings.append.length === 0 &&
    c.findings.change.length === 0 &&
    c.findings.drop.length === 0 &&
    c.outbox.upsert.length === 0 &&
    c.outbox.remove.length === 0 &&
    c.kv.put.length === 0 &&
    c.kv.remove.length === 0 &&
    c.processedLog.enabled === undefined &&
    c.processedLog.dropFrom === undefined &&
    c.processedLog.append.length === 0
  );
}

/**
 * A deep copy of JSON-shaped data (plain objects, arrays, primitives): what
 * structuredClone gives for such data, several times faster (no cycle
 * tracking, no exotic types). Keys whose value is undefined are kept.
 */
export function cloneJson<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneJson(value[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = cloneJson((value as Record<string, unknown>)[key]);
  return out as T;
}

/**
 * Whether two JSON-shaped values hold the same data, without serialising
 * them: key order does not matter (a record read back from jsonb has its
 * keys reordered, and is still the same record); a key holding undefined
 * counts as absent, as in JSON.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i] ?? null, b[i] ?? null)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let defined = 0;
  for (const k in ra) {
    const va = ra[k];
    if (va === undefined) continue;
    defined++;
    if (!sameJson(va, rb[k])) return false;
  }
  for (const k in rb) if (rb[k] !== undefined) defined--;
  return defined === 0;
}

/**
 * The change set that turns `prev` into `next`.
 *
 * @example
 * diffStoreData(prev, { ...prev, chain: { ...prev.chain, processedCount: prev.chain.processedCount + 1 } });
 * // → { processedCount: n + 1, ring: { put: [], remove: [] }, incidents: { upsert: [], archive: [] }, ... }
 */
export function diffStoreData(prev: Readonly<StoreData>, next: Readonly<StoreData>, options: DiffOptions = {}): StoreChanges {
  return {
    ...(next.chain.processedCount !== prev.chain.processedCount ? { processedCount: next.chain.processedCount } : {}),
    ring: diffRing(prev.chain.ring, next.chain.ring),
    ...(!sameJson(next.detectorState, prev.detectorState) ? { detectorState: next.detectorState } : {}),
    incidents: diffIncidents(prev.incidents, next.incidents),
    findings: diffFindings(prev.findings, next.findings, options.findingOrigin ?? identityOrigin(prev.findings)),
    outbox: diffOutbox(prev.outbox, next.outbox),
    kv: diffKv(prev, next),
    processedLog: diffProcessedLog(prev.chain.processedLog, next.chain.processedLog),
  };
}

function identityOrigin(prev: readonly FindingRecord[]): FindingOrigin {
  const at = new Map<object, number>();
  prev.forEach((f, i) => at.set(f, i));
  return (f) => at.get(f);
}

function diffRing(prev: readonly BlockId[], next: readonly BlockId[]): StoreChanges["ring"] {
  const before = new Map(prev.map((b) => [b.number, b.hash]));
  const after = new Set(next.map((b) => b.number));
  return {
    put: next.filter((b) => before.get(b.number) !== b.hash).map((b) => ({ number: b.number, hash: b.hash })),
    remove: prev.filter((b) => !after.has(b.number)).map((b) => b.number),
  };
}

function diffIncidents(prev: Readonly<Record<string, Incident>>, next: Readonly<Record<string, Incident>>): StoreChanges["incidents"] {
  const upsert: Incident[] = [];
  for (const [id, incident] of Object.entries(next)) {
    const before = Object.hasOwn(prev, id) ? prev[id] : undefined;
    if (before === undefined || !sameJson(before, incident)) upsert.push(incident);
  }
  return { upsert, archive: Object.keys(prev).filter((id) => !Object.hasOwn(next, id)) };
}

function diffFindings(prev: readonly FindingRecord[], next: readonly FindingRecord[], originOf: FindingOrigin): StoreChanges["findings"] {
  const kept = new Set<number>();
  const append: FindingRecord[] = [];
  const change: Array<{ index: number; finding: FindingRecord }> = [];
  next.forEach((finding, i) => {
    const origin = originOf(finding, i);
    // A finding seen twice in the list (the same object pushed again) is a new record the second time.
    if (origin === undefined || origin < 0 || origin >= prev.length || kept.has(origin)) {
      append.push(finding);
      return;
    }
    kept.add(origin);
    const before = prev[origin]!;
    if (!sameJson(before, finding)) change.push({ index: origin, finding });
  });
  const drop: number[] = [];
  for (let i = 0; i < prev.length; i++) if (!kept.has(i)) drop.push(i);
  return { append, change, drop };
}

function diffOutbox(prev: readonly OutboxItem[], next: readonly OutboxItem[]): StoreChanges["outbox"] {
  const before = new Map(prev.map((item) => [item.id, item]));
  const ids = new Set(next.map((item) => item.id));
  return {
    upsert: next.filter((item) => {
      const old = before.get(item.id);
      return old === undefined || !sameJson(old, item);
    }),
    remove: prev.filter((item) => !ids.has(item.id)).map((item) => item.id),
  };
}

function diffKv(prev: Readonly<StoreData>, next: Readonly<StoreData>): StoreChanges["kv"] {
  const split = new Set<string>(SPLIT_KEYS);
  const keys = new Set([...Object.keys(prev), ...Object.keys(next)].filter((k) => !split.has(k)));
  const put: Array<{ key: string; value: unknown }> = [];
  const remove: string[] = [];
  const p = prev as unknown as Record<string, unknown>;
  const n = next as unknown as Record<string, unknown>;
  for (const key of [...keys].sort()) {
    const before = p[key];
    const after = n[key];
    if (after === undefined) {
      if (before !== undefined) remove.push(key);
    } else if (before === undefined || !sameJson(before, after)) put.push({ key, value: after });
  }
  return { put, remove };
}

function diffProcessedLog(prev: readonly BlockId[] | undefined, next: readonly BlockId[] | undefined): StoreChanges["processedLog"] {
  const enabled = (prev !== undefined) !== (next !== undefined) ? next !== undefined : undefined;
  const before = prev ?? [];
  const after = next ?? [];
  let common = 0;
  while (common < before.length && common < after.length && before[common]!.number === after[common]!.number && before[common]!.hash === after[common]!.hash) common++;
  return {
    ...(enabled !== undefined ? { enabled } : {}),
    ...(common < before.length ? { dropFrom: common } : {}),
    append: after.slice(common).map((b) => ({ number: b.number, hash: b.hash })),
  };
}

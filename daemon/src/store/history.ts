/**
 * The embedded store's history: closed incidents and old findings, moved out
 * of the hot document (store.json) so that a block's write stays small however
 * long Guardian has run.
 *
 *     <dataDir>/history/incidents-YYYY-MM.jsonl   one archived incident per line, by the month it was opened
 *     <dataDir>/history/findings-YYYY-MM.jsonl    findings that fell off the hot list, by the month observed
 *
 * Files are append-only: a line is written, fsynced, and never changed. An
 * incident archived twice (a crash between the append and the hot write, or
 * one restored, changed and archived again) has several lines; the last one
 * wins. The hot document always wins over history for the same id.
 *
 * Opening scans the incident files once and keeps an index in memory (id →
 * file, byte offset, length; key → highest occurrence); a read fetches just
 * the lines it needs. A last line without its newline is a torn append (the
 * process died mid-write): readers skip it (with a warning), and the writer
 * cuts it off before its next append. Any other line that does not parse is corruption:
 * StoreCorruptError, and nothing is written.
 */
import { open, readdir, readFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { formatIssues } from "../config/issues.js";
import type { FindingRecord, Incident } from "../types.js";
import { StoreCorruptError, StoreIoError } from "./errors.js";
import { syncDirectory } from "./durable-adapter.js";
import { findingRecordSchema, incidentSchema } from "./schema.js";
import type { IncidentHistory, IncidentPage } from "./store.js";

export const HISTORY_DIR = "history";
const INCIDENT_FILE = /^incidents-(\d{4})-(\d{2})\.jsonl$/;
const SCAN_CHUNK = 1 << 20;

interface IndexEntry {
  file: string;
  offset: number;
  length: number;
  createdAt: string;
  key: string;
  occurrence: number;
}

/** History of one data directory. `append*` are for the store's writer (holding the lock); reads work for anyone. */
export class FileHistory implements IncidentHistory {
  readonly dir: string;
  readonly #index = new Map<string, IndexEntry>();
  readonly #occurrences = new Map<string, number>();
  /** Ids newest first (createdAt desc, id asc); rebuilt lazily after a change. */
  #order: string[] | undefined;
  #dirExists = false;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Scans `<dataDir>/history` (absent = empty). */
  static async open(dataDir: string, options: { warn?: (msg: string, fields?: Record<string, unknown>) => void } = {}): Promise<FileHistory> {
    const history = new FileHistory(path.join(dataDir, HISTORY_DIR));
    let names: string[];
    try {
      names = await readdir(history.dir);
      history.#dirExists = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return history;
      throw new StoreIoError(history.dir, `read the history directory ${history.dir}`, error);
    }
    for (const name of names.filter((n) => INCIDENT_FILE.test(n)).sort()) await history.#scan(path.join(history.dir, name), options.warn);
    return history;
  }

  /** Indexes one file, reading it in chunks (history can be hundreds of MB). */
  async #scan(file: string, warn?: (msg: string, fields?: Record<string, unknown>) => void) {
    let handle;
    try {
      handle = await open(file, "r");
    } catch (error) {
      throw new StoreIoError(file, `read ${file}`, error);
    }
    try {
      const chunk = Buffer.alloc(SCAN_CHUNK);
      let carry = Buffer.alloc(0);
      let base = 0; // file offset of carry[0]
      let line = 0;
      for (;;) {
        const { bytesRead } = await handle.read(chunk, 0, SCAN_CHUNK, null);
        if (bytesRead === 0) break;
        const bytes = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
        let from = 0;
        for (let end = bytes.indexOf(10, from); end !== -1; end = bytes.indexOf(10, from)) {
          line += 1;
          if (end > from) this.#indexLine(file, line, base + from, bytes.subarray(from, end).toString("utf8"));
          from = end + 1;
        }
        carry = Buffer.from(bytes.subarray(from));
        base += from;
      }
      // A last line without its newline: an append interrupted by a crash.
      if (carry.length > 0) warn?.("history: skipping an incomplete last line (an append interrupted by a crash)", { file, line: line + 1 });
    } catch (error) {
      if (error instanceof StoreCorruptError) throw error;
      throw new StoreIoError(file, `read ${file}`, error);
    } finally {
      await handle.close();
    }
  }

  #indexLine(file: string, line: number, offset: number, text: string) {
    let parsed: Partial<Incident>;
    try {
      parsed = JSON.parse(text) as Partial<Incident>;
    } catch (error) {
      throw new StoreCorruptError(file, [`line ${line}: not JSON (${(error as Error).message})`]);
    }
    if (typeof parsed.id !== "string" || typeof parsed.key !== "string" || typeof parsed.createdAt !== "string" || typeof parsed.occurrence !== "number")
      throw new StoreCorruptError(file, [`line ${line}: expected an incident with id, key, occurrence and createdAt`]);
    this.#remember({ file, offset, length: Buffer.byteLength(text), createdAt: parsed.createdAt, key: parsed.key, occurrence: parsed.occurrence }, parsed.id);
  }

  #remember(entry: IndexEntry, id: string) {
    this.#index.set(id, entry);
    if ((this.#occurrences.get(entry.key) ?? 0) < entry.occurrence) this.#occurrences.set(entry.key, entry.occurrence);
    this.#order = undefined;
  }

  /** Forgets ids that are (back) in the hot document: the hot copy wins. */
  forget(ids: Iterable<string>) {
    for (const id of ids) if (this.#index.delete(id)) this.#order = undefined;
  }

  lastOccurrence(key: string): number | undefined {
    return this.#occurrences.get(key);
  }

  count(): number {
    return this.#index.size;
  }

  has(id: string): boolean {
    return this.#index.has(id);
  }

  async get(id: string): Promise<Incident | undefined> {
    return this.#index.has(id) ? this.#read(id) : undefined;
  }

  async matching(prefix: string): Promise<string[]> {
    const wanted = prefix.toLowerCase();
    return [...this.#index.keys()].filter((id) => id.startsWith(wanted)).slice(0, 101);
  }

  async list(options: { limit: number; before?: string }): Promise<IncidentPage> {
    const order = this.#sorted();
    let start = 0;
    if (options.before !== undefined) {
      const at = order.indexOf(options.before);
      start = at === -1 ? order.length : at + 1;
    }
    const ids = order.slice(start, start + Math.max(0, options.limit));
    const incidents = await Promise.all(ids.map((id) => this.#read(id)));
    const last = ids.at(-1);
    return { incidents, ...(start + ids.length < order.length && last !== undefined ? { next: last } : {}) };
  }

  /** Appends incidents (the store's writer only), durably; the index follows. */
  async appendIncidents(incidents: readonly Incident[]): Promise<void> {
    const byFile = new Map<string, Incident[]>();
    for (const incident of incidents) {
      const file = path.join(this.dir, `incidents-${incident.createdAt.slice(0, 7)}.jsonl`);
      byFile.set(file, [...(byFile.get(file) ?? []), incident]);
    }
    for (const [file, list] of byFile) {
      const lines = list.map((incident) => `${JSON.stringify(incident)}\n`);
      const offsets = await this.#append(file, lines);
      list.forEach((incident, i) =>
        this.#remember({ file, offset: offsets[i]!, length: Buffer.byteLength(lines[i]!) - 1, createdAt: incident.createdAt, key: incident.key, occurrence: incident.occurrence }, incident.id),
      );
    }
  }

  /** Appends findings that left the hot list (the store's writer only), durably. */
  async appendFindings(findings: readonly FindingRecord[]): Promise<void> {
    const byFile = new Map<string, string[]>();
    for (const finding of findings) {
      const file = path.join(this.dir, `findings-${finding.observedAt.slice(0, 7)}.jsonl`);
      byFile.set(file, [...(byFile.get(file) ?? []), `${JSON.stringify(finding)}\n`]);
    }
    for (const [file, lines] of byFile) await this.#append(file, lines);
  }

  /** Archived findings of one month ("YYYY-MM"), oldest first; a torn last line is skipped. */
  async findings(month: string): Promise<FindingRecord[]> {
    if (!/^\d{4}-\d{2}$/.test(month)) throw new TypeError(`history.findings: expected a month as YYYY-MM, got ${JSON.stringify(month)}`);
    const file = path.join(this.dir, `findings-${month}.jsonl`);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new StoreIoError(file, `read ${file}`, error);
    }
    const lines = text.split("\n");
    lines.pop(); // after the last newline: empty, or a torn append
    return lines.filter((l) => l.length > 0).map((l, i) => parseLine(file, i + 1, l, findingRecordSchema));
  }

  async #append(file: string, lines: readonly string[]): Promise<number[]> {
    if (!this.#dirExists) {
      await mkdir(this.dir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
        throw new StoreIoError(this.dir, `create the history directory ${this.dir}`, error);
      });
      await syncDirectory(path.dirname(this.dir));
      this.#dirExists = true;
    }
    let handle;
    try {
      handle = await open(file, "a+", 0o600);
    } catch (error) {
      throw new StoreIoError(file, `open ${file} to append`, error);
    }
    try {
      let { size } = await handle.stat();
      if (size > 0 && (await lastByte(handle, size)) !== 10) {
        // A torn append (the process died mid-line): cut the fragment off, so the file stays whole lines.
        const bytes = await readFile(file);
        size = bytes.lastIndexOf(10) + 1;
        await handle.truncate(size);
      }
      let offset = size;
      const offsets = lines.map((line) => {
        const at = offset;
        offset += Buffer.byteLength(line);
        return at;
      });
      await handle.writeFile(lines.join(""), "utf8");
      await handle.sync();
      if (size === 0) await syncDirectory(this.dir);
      return offsets;
    } catch (error) {
      throw new StoreIoError(file, `append to ${file}`, error);
    } finally {
      await handle.close();
    }
  }

  #sorted(): string[] {
    this.#order ??= [...this.#index.entries()]
      .sort(([a, x], [b, y]) => y.createdAt.localeCompare(x.createdAt) || a.localeCompare(b))
      .map(([id]) => id);
    return this.#order;
  }

  async #read(id: string): Promise<Incident> {
    const entry = this.#index.get(id)!;
    const handle = await open(entry.file, "r").catch((error: unknown) => {
      throw new StoreIoError(entry.file, `read ${entry.file}`, error);
    });
    try {
      const buffer = Buffer.alloc(entry.length);
      await handle.read(buffer, 0, entry.length, entry.offset);
      return parseLine(entry.file, undefined, buffer.toString("utf8"), incidentSchema);
    } finally {
      await handle.close();
    }
  }
}

async function lastByte(handle: import("node:fs/promises").FileHandle, size: number): Promise<number> {
  const one = Buffer.alloc(1);
  await handle.read(one, 0, 1, size - 1);
  return one[0]!;
}

function parseLine<T>(file: string, line: number | undefined, text: string, schema: import("zod").ZodType<T>): T {
  const where = line === undefined ? "a line" : `line ${line}`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StoreCorruptError(file, [`${where}: not JSON (${(error as Error).message})`]);
  }
  const checked = schema.safeParse(value, { reportInput: true });
  if (!checked.success) throw new StoreCorruptError(file, formatIssues(checked.error.issues).map((p) => `${where}: ${p}`));
  return checked.data;
}

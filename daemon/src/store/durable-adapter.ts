/**
 * Guardian's lowdb adapter: a JSON file that survives crashes and power loss,
 * and that is never overwritten when it cannot be read.
 *
 * Write (lowdb's own adapter renames without fsync, so a power cut can leave
 * an empty file behind the rename):
 *   1. write the whole document to `.<name>.tmp` in the same directory;
 *   2. fsync the temp file (its bytes are on disk);
 *   3. rename it over the file (atomic on POSIX: readers see old or new);
 *   4. fsync the directory (the rename itself is on disk).
 *
 * Read: a missing file is `null` (lowdb keeps its default data); a file that
 * does not parse, has no schemaVersion, or fails the schema throws
 * `StoreCorruptError`; a newer schemaVersion throws `StoreVersionError`. An
 * older one is migrated in memory (the caller writes it back). The file is
 * never written, renamed or deleted by a read.
 *
 * One writer at a time is the caller's job (see lock.ts).
 */
import * as fsp from "node:fs/promises";
import path from "node:path";
import type { Adapter } from "lowdb";
import type * as z from "zod";
import { formatIssues } from "../config/issues.js";
import { StoreCorruptError, StoreIoError, StoreVersionError } from "./errors.js";
import type { Migration } from "./migrations.js";

/** The file operations the adapter uses; tests pass a recording wrapper. */
export interface DurableFs {
  readFile(file: string, encoding: "utf8"): Promise<string>;
  open(file: string, flags: string, mode?: number): Promise<DurableFileHandle>;
  rename(from: string, to: string): Promise<void>;
}

export interface DurableFileHandle {
  writeFile(data: string, encoding: "utf8"): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export const nodeFs: DurableFs = {
  readFile: (file, encoding) => fsp.readFile(file, encoding),
  open: (file, flags, mode) => fsp.open(file, flags, mode),
  rename: (from, to) => fsp.rename(from, to),
};

export interface DurableJsonFileOptions<T> {
  schema: z.ZodType<T>;
  /** The schema version this code writes. */
  version: number;
  /** migrations[n]: version n → n+1. */
  migrations?: Readonly<Record<number, Migration>>;
  /** File mode of new files; default 0o600 (the store holds internal incident data). */
  mode?: number;
  fs?: DurableFs;
}

/**
 * A lowdb `Adapter` over one JSON file with durable writes.
 *
 * @example
 * const db = new Low(new DurableJsonFile("/var/lib/guardian/store.json", { schema, version: 1 }), initial);
 * await db.read();
 */
export class DurableJsonFile<T> implements Adapter<T> {
  readonly file: string;
  readonly #tempFile: string;
  readonly #options: DurableJsonFileOptions<T>;
  readonly #fs: DurableFs;
  /** Whether the last read found the file. */
  found = false;
  /** The version the last read migrated from, if it migrated. */
  migratedFrom: number | undefined;

  constructor(file: string, options: DurableJsonFileOptions<T>) {
    this.file = path.resolve(file);
    this.#tempFile = path.join(path.dirname(this.file), `.${path.basename(this.file)}.tmp`);
    this.#options = options;
    this.#fs = options.fs ?? nodeFs;
  }

  async read(): Promise<T | null> {
    this.migratedFrom = undefined;
    this.found = false;
    let text: string;
    try {
      text = await this.#fs.readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new StoreIoError(this.file, `read ${this.file}`, error);
    }
    this.found = true;
    return this.parse(text);
  }

  /** Parses and validates a document's text (migrating it if older). */
  parse(text: string): T {
    const { version, migrations = {}, schema } = this.#options;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new StoreCorruptError(this.file, [`not valid JSON: ${(error as Error).message}`], { cause: error });
    }
    if (raw === null || typeof raw !== "object" || Array.isArray(raw))
      throw new StoreCorruptError(this.file, ["expected a JSON object at the top level"]);
    let doc = raw as Record<string, unknown>;
    const found = doc.schemaVersion;
    if (typeof found !== "number" || !Number.isInteger(found) || found < 0)
      throw new StoreCorruptError(this.file, [`schemaVersion: expected a non-negative integer, got ${JSON.stringify(found) ?? "nothing"}`]);
    if (found > version) throw new StoreVersionError(this.file, found, version);
    for (let v = found; v < version; v++) {
      const migrate = migrations[v];
      if (!migrate)
        throw new StoreVersionError(this.file, found, version, `store file ${this.file} has schemaVersion ${found} and no migration leads from version ${v} to ${v + 1}.`);
      doc = migrate(doc);
    }
    if (found < version) this.migratedFrom = found;
    const result = schema.safeParse(doc, { reportInput: true });
    if (!result.success) throw new StoreCorruptError(this.file, formatIssues(result.error.issues));
    return result.data;
  }

  /** Serializes and writes durably (steps 1-4 above). */
  async write(data: T): Promise<void> {
    await this.writeText(`${JSON.stringify(data)}\n`);
  }

  async writeText(text: string): Promise<void> {
    await writeFileDurably(this.file, text, { mode: this.#options.mode ?? 0o600, fs: this.#fs, tempFile: this.#tempFile });
  }
}

/**
 * Replaces `file` with `text` durably and atomically: temp file in the same
 * directory ('w' truncates a leftover from a crash), fsync, rename, fsync the
 * directory. `mode` applies to the new file (default 0o600). On failure
 * (disk full, ...) the temp file is removed, `file` is left as it was, and
 * the error (StoreIoError) names the path.
 */
export async function writeFileDurably(
  file: string,
  text: string,
  options: { mode?: number; fs?: DurableFs; tempFile?: string } = {},
): Promise<void> {
  const fs = options.fs ?? nodeFs;
  const tempFile = options.tempFile ?? path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  // 1-2. The temp file, synced.
  try {
    const handle = await fs.open(tempFile, "w", options.mode ?? 0o600);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await fsp.rm(tempFile, { force: true }).catch(() => undefined);
    throw new StoreIoError(file, `write ${file} (its temp file ${path.basename(tempFile)}; ${file} is unchanged)`, error);
  }
  // 3. Atomic replace.
  try {
    await fs.rename(tempFile, file);
  } catch (error) {
    await fsp.rm(tempFile, { force: true }).catch(() => undefined);
    throw new StoreIoError(file, `replace ${file} (renaming ${path.basename(tempFile)} over it)`, error);
  }
  // 4. Make the rename durable.
  try {
    await syncDirectory(path.dirname(file), fs);
  } catch (error) {
    throw new StoreIoError(path.dirname(file), `fsync the directory ${path.dirname(file)} after replacing ${path.basename(file)}`, error);
  }
}

/** fsync a directory; platforms that cannot (EISDIR/EINVAL/EPERM, e.g. Windows) are tolerated. */
export async function syncDirectory(dir: string, fs: DurableFs = nodeFs): Promise<void> {
  let handle: DurableFileHandle | undefined;
  try {
    handle = await fs.open(dir, "r");
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM" && code !== "ENOTSUP") throw error;
  } finally {
    await handle?.close();
  }
}

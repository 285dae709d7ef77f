import type { LockInfo } from "./lock.js";

/**
 * The store file does not parse or does not match the schema. Guardian never
 * overwrites, renames or deletes such a file: a person decides.
 */
export class StoreCorruptError extends Error {
  override readonly name = "StoreCorruptError";
  readonly file: string;
  readonly problems: readonly string[];

  constructor(file: string, problems: readonly string[], options: { cause?: unknown } = {}) {
    super(
      `store file ${file} is corrupt:\n${problems.map((p) => `  - ${p}`).join("\n")}\n` +
        "Guardian left it untouched. Restore it from a backup, or move it aside to start with an empty store " +
        "(open incidents and the block checkpoint would be lost).",
      options,
    );
    this.file = file;
    this.problems = Object.freeze([...problems]);
  }
}

/** The store file was written by a newer Guardian, or no migration leads from its version to this one's. */
export class StoreVersionError extends Error {
  override readonly name = "StoreVersionError";
  readonly file: string;
  readonly found: number;
  readonly supported: number;

  constructor(file: string, found: number, supported: number, reason?: string) {
    super(
      reason ??
        `store file ${file} has schemaVersion ${found}, but this Guardian knows versions up to ${supported}: ` +
          "upgrade Guardian (a data directory is never downgraded).",
    );
    this.file = file;
    this.found = found;
    this.supported = supported;
  }
}

/** Another process holds the data directory's lock. */
export class StoreLockedError extends Error {
  override readonly name = "StoreLockedError";
  readonly lockFile: string;
  /** Undefined when the lock file could not be read (being written, or damaged). */
  readonly holder: LockInfo | undefined;

  constructor(lockFile: string, holder: LockInfo | undefined, hint?: string) {
    const who = holder
      ? `pid ${holder.pid} (${holder.purpose}) on host ${holder.hostname} since ${holder.startedAt}`
      : "a process whose lock file is unreadable";
    super(`data directory is locked by ${who}; lock file ${lockFile}.${hint ? ` ${hint}` : ""}`);
    this.lockFile = lockFile;
    this.holder = holder;
  }
}

/**
 * A file operation in the data directory failed (disk full, permissions, a
 * directory where a file should be, ...). The message names the path and
 * the system's error code, never only "EISDIR: illegal operation".
 */
export class StoreIoError extends Error {
  override readonly name = "StoreIoError";
  /** ENOSPC, EACCES, EISDIR, ... when the system gave one. */
  readonly code: string | undefined;

  constructor(
    /** The file or directory concerned. */
    readonly path: string,
    /** What was being done, naming the path, e.g. `write the store file /var/lib/guardian/store.json`. */
    readonly action: string,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException | null)?.code;
    const reason = cause instanceof Error ? cause.message : String(cause);
    const hint = IO_HINTS[code ?? ""];
    super(`cannot ${action}: ${reason}${hint ? ` (${hint})` : ""}`, { cause });
    this.code = typeof code === "string" ? code : undefined;
  }
}

const IO_HINTS: Readonly<Record<string, string>> = {
  ENOSPC: "the disk is full: free some space, then start again",
  EDQUOT: "the disk quota is exhausted",
  EROFS: "the file system is read-only",
  EACCES: "permission denied: run as the data directory's owner",
  EPERM: "operation not permitted: run as the data directory's owner",
  EISDIR: "it is a directory, not a file",
  ENOTDIR: "a part of the path is a file, not a directory",
};

/** The store was created for another chain. */
export class StoreChainMismatchError extends Error {
  override readonly name = "StoreChainMismatchError";

  constructor(
    readonly file: string,
    readonly expected: number,
    readonly found: number,
  ) {
    super(`store file ${file} belongs to chain ${found}, but the config is for chain ${expected}: use a separate data directory per chain.`);
  }
}

export class StoreClosedError extends Error {
  override readonly name = "StoreClosedError";
  constructor() {
    super("the store is closed");
  }
}

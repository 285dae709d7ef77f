import { redactUrl } from "../../config/redact.js";

/** The lease as the database holds it (see lease.ts). */
export interface LeaseState {
  /** Undefined when nobody holds it (never taken, or released). */
  holder: string | undefined;
  /** The fencing term: grows by one each time the lease changes hands or is taken again after expiring. */
  term: number;
  /** ISO-8601, by the database's clock. */
  expiresAt: string;
  /** Whether it had not yet expired when read (by the database's clock). */
  live: boolean;
}

/**
 * A write refused because this store does not hold the lease under its term
 * any more (another replica took it, or it expired while this one was
 * frozen). Nothing of the update was written; the replica should stop
 * acting as leader, `refresh()` and try to acquire the lease again.
 */
export class StoreFencedError extends Error {
  override readonly name = "StoreFencedError";

  constructor(
    /** Who this store writes as, and the term it held (undefined: it never acquired the lease). */
    readonly holder: string,
    readonly term: number | undefined,
    /** The lease as found in the database (undefined when not read). */
    readonly current: LeaseState | undefined,
  ) {
    const held = term === undefined ? "does not hold the lease" : `held term ${term}`;
    const now = current
      ? current.holder === undefined
        ? `the lease is free (term ${current.term})`
        : `the lease is ${current.live ? "held" : "expired"}: ${current.holder}, term ${current.term}, until ${current.expiresAt}`
      : "the lease was not read";
    super(`write refused (fenced): ${holder} ${held}; ${now}. Nothing was written.`);
  }
}

/**
 * A PostgreSQL operation failed (connection refused, authentication,
 * a query error). The message names what was being done and where, with
 * the database URL reduced to scheme, host and port (it may carry a password).
 */
export class PostgresStoreError extends Error {
  override readonly name = "PostgresStoreError";
  /** PostgreSQL's SQLSTATE (e.g. 28P01 bad password, 57P01 terminated by the administrator) or a system code (ECONNREFUSED). */
  readonly code: string | undefined;

  constructor(action: string, url: string, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`cannot ${action} (PostgreSQL at ${redactUrl(url)}): ${redactSecret(reason, url)}`);
    this.code = typeof code === "string" ? code : undefined;
  }
}

/** `text` without the database URL or its password, should a driver message quote them. */
export function redactSecret(text: string, url: string): string {
  let out = text.split(url).join(redactUrl(url));
  try {
    const password = decodeURIComponent(new URL(url).password);
    if (password.length >= 3) out = out.split(password).join("***");
  } catch {
    /* not a URL: nothing more to hide */
  }
  return out;
}

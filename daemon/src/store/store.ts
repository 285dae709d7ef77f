import type { StoreData } from "./schema.js";

/**
 * Guardian's persistent state behind one small interface, so that a shared
 * PostgreSQL store can replace the embedded lowdb one (several daemons, one
 * chain) without touching its users.
 *
 * - `read()` returns the last committed snapshot, deeply frozen: cheap, synchronous.
 * - `update(mutator)` runs `mutator` on a private copy (a draft), checks the
 *   result against the schema and commits it with at most one durable write
 *   (none when nothing changed). If the mutator throws, nothing is written,
 *   the snapshot stays as it was, and the error propagates. Updates run one
 *   at a time in call order. The mutator must be synchronous; its return
 *   value is passed through.
 * - `close()` waits for pending updates and releases the store (its lock).
 */
export interface GuardianStore {
  read(): Readonly<StoreData>;
  update<R = void>(mutator: (draft: StoreData) => R): Promise<R>;
  close(): Promise<void>;
}

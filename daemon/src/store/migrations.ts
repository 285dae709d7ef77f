/**
 * Store migrations: MIGRATIONS[n] turns a version-n document into version
 * n+1 (and sets its schemaVersion). The store keeps a copy of the file as it
 * was (store.v<n>.json.bak) before writing the migrated one.
 *
 * 1 → 2: the document's shape is unchanged; what changed is where closed
 * incidents live. Version 1 kept every incident in store.json (and dropped
 * findings beyond the bound); version 2 moves post-review incidents and old
 * findings to history/ (history.ts). The move itself happens when the store
 * opens the migrated document, through the same rule as every commit.
 */
export type Migration = (data: Record<string, unknown>) => Record<string, unknown>;

export const MIGRATIONS: Readonly<Record<number, Migration>> = Object.freeze({
  1: (v1) => ({ ...v1, schemaVersion: 2 }),
});

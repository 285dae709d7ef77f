/**
 * Store migrations: MIGRATIONS[n] turns a version-n document into version
 * n+1 (and sets its schemaVersion). Version 1 is the first; when version 2
 * comes, add `1: (v1) => ({ ...v1, schemaVersion: 2, … })` and a test.
 */
export type Migration = (data: Record<string, unknown>) => Record<string, unknown>;

export const MIGRATIONS: Readonly<Record<number, Migration>> = Object.freeze({});

/**
 * What leaves the hot state (pure, shared by both stores): incidents closed
 * for good (post-review) and untouched for `afterMs`, and the findings beyond
 * the hot list's bound. The caller archives what these return, in the same
 * commit that removes it from the hot state.
 */
import type { FindingRecord, Incident } from "../types.js";
import type { StoreData } from "./schema.js";

/** Default: a closed incident stays hot for a day (post-mortem work), then moves to history. */
export const DEFAULT_ARCHIVE_AFTER_MS = 24 * 60 * 60 * 1000;

/** Removes from `draft.incidents` the post-review incidents last updated at least `afterMs` before `now`; returns them. */
export function takeArchivableIncidents(draft: StoreData, now: Date, afterMs: number): Incident[] {
  const cutoff = now.getTime() - afterMs;
  const taken: Incident[] = [];
  for (const [id, incident] of Object.entries(draft.incidents)) {
    if (incident.state !== "postreview" || Date.parse(incident.updatedAt) > cutoff) continue;
    taken.push(incident);
    delete draft.incidents[id];
  }
  return taken;
}

/** Keeps the newest `limit` findings in `draft.findings`; returns the older ones, oldest first. */
export function takeOverflowFindings(draft: StoreData, limit: number): FindingRecord[] {
  return draft.findings.length > limit ? draft.findings.splice(0, draft.findings.length - limit) : [];
}

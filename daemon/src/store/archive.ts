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

/** At most this many post-review incidents stay hot, however many closed within `afterMs` (a burst must not grow every commit). */
export const DEFAULT_MAX_CLOSED_HOT = 20;

/**
 * Removes from `draft.incidents` the post-review incidents last updated at
 * least `afterMs` before `now`, and beyond the newest `maxClosedHot` of them
 * (by last update); returns them, oldest update first.
 */
export function takeArchivableIncidents(draft: StoreData, now: Date, afterMs: number, maxClosedHot = DEFAULT_MAX_CLOSED_HOT): Incident[] {
  const cutoff = now.getTime() - afterMs;
  const closed = Object.values(draft.incidents)
    .filter((incident) => incident.state === "postreview")
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id));
  const taken = closed.filter((incident, rank) => rank >= maxClosedHot || Date.parse(incident.updatedAt) <= cutoff).reverse();
  for (const incident of taken) delete draft.incidents[incident.id];
  return taken;
}

/** Keeps the newest `limit` findings in `draft.findings`; returns the older ones, oldest first. */
export function takeOverflowFindings(draft: StoreData, limit: number): FindingRecord[] {
  return draft.findings.length > limit ? draft.findings.splice(0, draft.findings.length - limit) : [];
}

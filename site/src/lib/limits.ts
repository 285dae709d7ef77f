/**
 * How much one page shows, so that every page stays within the 50 KB budget
 * (site/budget.ts) however many incidents the published window holds;
 * test/site/budget.test.ts builds the heaviest case the publisher allows.
 */

/** Incidents on one history page (about 0.7 KB each as a title card). */
export const HISTORY_PAGE_SIZE = 25;

/** Active incidents the index shows with their updates; any more are listed as title cards. */
export const INDEX_FULL_INCIDENTS = 5;

/** Active incidents the index lists at all; the rest are a link to the history (unresolved ones come first there). */
export const INDEX_MAX_ACTIVE = 10;

/** Updates an incident card on the index shows, newest first; its own page has them all. */
export const INDEX_UPDATES_PER_INCIDENT = 3;

/**
 * Paperwork: the post-incident review draft and the public notification,
 * rendered from the store's incident records. Pure (no I/O); the commands in
 * commands/paperwork.ts read the store and write the files.
 */
export { renderPostmortem, LAYER_STOPS, type PostmortemParameters } from "./postmortem.js";
export {
  buildPublicNotice,
  nextUpdateAt,
  renderPublicNotice,
  publicNoticeSchema,
  NOTICE_FORMATS,
  STATUS_LABEL,
  UPDATE_CADENCE_MINUTES,
  type NoticeFormat,
  type PublicNotice,
} from "./public-notice.js";
export {
  AFFECTED_ACCOUNT_KEYS,
  AFFECTED_ACCOUNT_LIST_KEYS,
  countAffectedAccounts,
  firstSymptomEvidence,
  incidentEvidence,
  PAUSE_ACTION,
  pauseEntries,
  pausedLayers,
  pauseTimelineEntry,
  type AffectedAccounts,
  type PauseEntryFacts,
} from "./evidence.js";
export { UNKNOWN } from "./format.js";

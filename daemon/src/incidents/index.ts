/**
 * Incidents: pure functions from findings and incidents to new incidents and
 * actions. No I/O; time is always an argument.
 */
export * from "./actions.js";
export { correlateFinding, DEFAULT_COOLDOWN_MS, type CorrelateContext, type CorrelateResult } from "./correlate.js";
export { AmbiguousIncidentIdError, InvalidDisclosureError, InvalidTransitionError, IncidentNotFoundError } from "./errors.js";
export { findIncident } from "./find.js";
export { escalateDue, escalationDueAt, type EscalateDueResult } from "./escalation.js";
export { incidentIdFromKey, manualIncidentKey, nameUuid, timelineEntryId } from "./ids.js";
export {
  acknowledge,
  addTimelineEntry,
  canTransition,
  DEFAULT_SLA,
  isOpen,
  openIncident,
  PUBLIC_STATUS_OF,
  SEVERITY_RANK,
  transition,
  TRANSITIONS,
  type NewTimelineEntry,
  type OpenIncidentParameters,
  type TransitionOptions,
} from "./lifecycle.js";
export { toPublic } from "./public.js";
export { LAYER_PUBLIC_NAME, ownPauseIncident, ownPauseMessage, pauseRefOf, recordOwnPause } from "./own-pause.js";
export { approveDisclosure, componentWords, incidentClass, isDisclosed, publicFace, type ApproveDisclosure, type IncidentClass, type PublicFace } from "./public-face.js";

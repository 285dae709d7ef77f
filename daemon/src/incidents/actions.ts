import type { EscalationLevel, Layer, Severity } from "../types.js";

/** Page the contact of `level` (config.escalation[level]) about the incident. */
export interface NotifyAction {
  type: "notify";
  incidentId: string;
  level: EscalationLevel;
  severity: Severity;
  /** cleared: the condition ended and the incident resolved itself. */
  reason: "opened" | "recurred" | "severity-raised" | "escalated" | "cleared";
}

/** Engage the circuit breaker: sentinel-pause these layers (already filtered by config.autoPause). */
export interface PauseAction {
  type: "pause";
  incidentId: string;
  layers: Layer[];
}

/** What the pure incident functions ask the respond layer to do. */
export type IncidentAction = NotifyAction | PauseAction;

/**
 * Words, icons and times for the pages. Every status is shown as text plus a
 * shape (never colour alone): the icon ids name symbols of the sprite in
 * components/IconSprite.astro.
 */
import type { ComponentStatus, Impact, Indicator, IncidentStatus, MaintenanceStatus, Pauser } from "../../../daemon/src/publish/schema.js";

export type Icon = "ok" | "degraded" | "partial" | "major" | "maintenance" | "unknown" | "info";

export const COMPONENT_STATUS: Readonly<Record<ComponentStatus, { label: string; icon: Icon; tone: string }>> = {
  operational: { label: "Operational", icon: "ok", tone: "ok" },
  degraded_performance: { label: "Degraded performance", icon: "degraded", tone: "degraded" },
  partial_outage: { label: "Partial outage", icon: "partial", tone: "partial" },
  major_outage: { label: "Major outage", icon: "major", tone: "major" },
  under_maintenance: { label: "Under maintenance", icon: "maintenance", tone: "maintenance" },
};

export const INDICATOR: Readonly<Record<Indicator, { icon: Icon; tone: string }>> = {
  none: { icon: "ok", tone: "ok" },
  maintenance: { icon: "maintenance", tone: "maintenance" },
  minor: { icon: "degraded", tone: "degraded" },
  major: { icon: "partial", tone: "partial" },
  critical: { icon: "major", tone: "major" },
};

export const INCIDENT_STATUS: Readonly<Record<IncidentStatus, { label: string; icon: Icon; tone: string }>> = {
  investigating: { label: "Investigating", icon: "major", tone: "major" },
  identified: { label: "Identified", icon: "partial", tone: "partial" },
  monitoring: { label: "Monitoring", icon: "info", tone: "maintenance" },
  resolved: { label: "Resolved", icon: "ok", tone: "ok" },
};

export const MAINTENANCE_STATUS: Readonly<Record<MaintenanceStatus, { label: string; icon: Icon; tone: string }>> = {
  scheduled: { label: "Scheduled", icon: "info", tone: "maintenance" },
  in_progress: { label: "In progress", icon: "maintenance", tone: "maintenance" },
  verifying: { label: "Verifying", icon: "maintenance", tone: "maintenance" },
  completed: { label: "Completed", icon: "ok", tone: "ok" },
};

export const IMPACT: Readonly<Record<Impact, string>> = {
  none: "No impact",
  minor: "Minor impact",
  major: "Major impact",
  critical: "Critical impact",
};

export const PAUSER: Readonly<Record<Pauser, string>> = {
  guardian: "the guardian multisig",
  sentinel: "Guardian's sentinel (automatic circuit breaker)",
  foreign: "an account outside Guardian",
};

/** "2025-06-01 14:03:07 UTC" (seconds: they matter for "data as of"). */
export function utc(iso: string, seconds = false): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, seconds ? 19 : 16)} UTC`;
}

/** "June 2025" of an ISO time, in UTC. */
export function utcMonth(iso: string): string {
  return new Date(iso).toLocaleString("en-GB", { month: "long", year: "numeric", timeZone: "UTC" });
}

/** A path under the site's base ("/" or e.g. "/status/"). */
export function href(path: string): string {
  const base = import.meta.env.BASE_URL.endsWith("/") ? import.meta.env.BASE_URL : `${import.meta.env.BASE_URL}/`;
  return `${base}${path.replace(/^\//, "")}`;
}

/** Uptime level of a day, for the bar's class and height. */
export function uptimeLevel(upRatio: number | null): "none" | "full" | "high" | "mid" | "low" {
  if (upRatio === null) return "none";
  if (upRatio >= 1) return "full";
  if (upRatio >= 0.99) return "high";
  if (upRatio >= 0.9) return "mid";
  return "low";
}

/** "99.95 %" / "no data". */
export function percent(value: number | null): string {
  return value === null ? "no data" : `${value.toFixed(2)} %`;
}

/** "45 seconds", "3 minutes", "2 hours". */
export function duration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} seconds`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} minutes`;
  return `${Math.round(seconds / 3600)} hours`;
}

/**
 * Status → shields.io endpoint badges (https://shields.io/badges/endpoint-badge):
 * one JSON per component and one for the whole page. Pure.
 *
 * A badge is a static file like the rest: it cannot expire by itself. It
 * carries `cacheSeconds` so shields refetches it, and whoever embeds it should
 * link it to the page (which does turn to "status unknown" when stale).
 */
import type { ComponentId, ComponentStatus, Indicator, Status } from "./schema.js";

export interface ShieldsEndpointBadge {
  schemaVersion: 1;
  label: string;
  message: string;
  color: string;
  cacheSeconds?: number;
}

const STATUS_MESSAGE: Readonly<Record<ComponentStatus, string>> = {
  operational: "operational",
  degraded_performance: "degraded performance",
  partial_outage: "partial outage",
  major_outage: "major outage",
  under_maintenance: "under maintenance",
};

const STATUS_COLOR: Readonly<Record<ComponentStatus, string>> = {
  operational: "brightgreen",
  degraded_performance: "yellow",
  partial_outage: "orange",
  major_outage: "red",
  under_maintenance: "blue",
};

const INDICATOR_COLOR: Readonly<Record<Indicator, string>> = { none: "brightgreen", maintenance: "blue", minor: "yellow", major: "orange", critical: "red" };

/** shields.io refuses to cache endpoint badges for less than 300 s. */
const SHIELDS_MIN_CACHE_SECONDS = 300;

export function badgePath(id: ComponentId | "overall"): string {
  return `badge/${id}.json`;
}

export function badges(status: Status): Map<string, ShieldsEndpointBadge> {
  const cacheSeconds = Math.max(SHIELDS_MIN_CACHE_SECONDS, status.expectedIntervalSeconds);
  const out = new Map<string, ShieldsEndpointBadge>();
  out.set(badgePath("overall"), {
    schemaVersion: 1,
    label: "status",
    message: status.overall.description.toLowerCase(),
    color: INDICATOR_COLOR[status.overall.indicator],
    cacheSeconds,
  });
  for (const component of status.components) {
    const evidence = component.evidence;
    const paused = evidence.kind === "layer" && evidence.paused === true;
    out.set(badgePath(component.id), {
      schemaVersion: 1,
      label: component.name,
      message: paused ? `paused${evidence.pausedBy ? ` by ${evidence.pausedBy}` : ""}` : STATUS_MESSAGE[component.status],
      color: STATUS_COLOR[component.status],
      cacheSeconds,
    });
  }
  return out;
}

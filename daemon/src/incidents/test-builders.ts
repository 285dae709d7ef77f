/** Test-data builders for incidents and findings (used by tests only). */
import type { Evidence, Finding, Incident } from "../types.js";
import { openIncident, type OpenIncidentParameters } from "./lifecycle.js";

export const T0 = new Date("2025-03-01T12:00:00.000Z");
export const at = (minutes: number, base: Date = T0) => new Date(base.getTime() + minutes * 60_000);
export const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as const;
export const addr = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as const;

export function evidence(n: number, values: Evidence["values"] = {}): Evidence {
  return { blockNumber: n, blockHash: hash(n), txHash: hash(1000 + n), logIndex: 0, values };
}

export function anIncident(overrides: Partial<OpenIncidentParameters> = {}): Incident {
  return openIncident({
    key: "pause-changed:entryPoint",
    title: "Paymaster paused outside Guardian",
    severity: "high",
    affected: { layers: ["entryPoint"], contracts: [addr(1)] },
    source: "pause-changed",
    now: T0,
    ...overrides,
  });
}

export function aFinding(overrides: Partial<Finding> = {}): Finding {
  return {
    detector: "pause-changed",
    key: "pause-changed:entryPoint",
    severity: "high",
    title: "Paymaster paused outside Guardian",
    summary: "Paused() by 0x…01 which is not the hub",
    layers: ["entryPoint"],
    contracts: [addr(1)],
    evidence: evidence(10),
    observedAt: T0.toISOString(),
    ...overrides,
  };
}

/** Deep-freezes a value so a test fails if a pure function mutates its input. */
export function frozen<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const child of Object.values(value)) frozen(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * pause-changed: reports every change of a layer's or a target's pause state.
 *
 * - The hub paused a layer (guardian or sentinel), confirmed or extended a
 *   sentinel pause, or unpaused: a finding for the record (the incident the
 *   pause was made for gets the same key when the hub event names it).
 * - A target emitted `Paused`/`Unpaused` without a hub event for its layer in
 *   the same transaction, or on behalf of someone other than the hub: the
 *   pause state changed outside Guardian (a compromised or careless owner
 *   key): "foreign pause" / "foreign unpause", High by default.
 */
import type { Address, BlockRef, DecodedEvent, Finding, Hex, Layer, Severity } from "../types.js";
import type { Detector } from "./detector.js";

export const PAUSE_CHANGED = "pause-changed";

export interface PauseChangedThresholds {
  guardianPause: Severity;
  sentinelPause: Severity;
  /** Confirmations and extensions of a sentinel pause. */
  pauseUpdate: Severity;
  unpause: Severity;
  foreignPause: Severity;
  foreignUnpause: Severity;
}

export const PAUSE_CHANGED_DEFAULTS: PauseChangedThresholds = {
  guardianPause: "medium",
  sentinelPause: "medium",
  pauseUpdate: "low",
  unpause: "low",
  foreignPause: "high",
  foreignUnpause: "high",
};

export interface PauseChangedFacts {
  block: BlockRef;
  /** Decoded events of this block. */
  events: readonly DecodedEvent[];
  /** The GuardianHub; without one every target pause is foreign. */
  hub?: Address;
  observedAt: string;
}

export interface PauseChangedState {
  /** Last known pause state of each target that changed, by address. */
  targets: Record<string, { paused: boolean; byGuardian: boolean; blockNumber: number }>;
}

export const initialPauseChangedState = (): PauseChangedState => ({ targets: {} });

const ZERO32 = `0x${"0".repeat(64)}`;
/** The hub's `until` for an indefinite guardian pause: type(uint64).max. */
const INDEFINITE = (2n ** 64n - 1n).toString();

export const pauseChanged: Detector<PauseChangedFacts, PauseChangedState, PauseChangedThresholds> = (facts, state, thresholds) => {
  const findings: Finding[] = [];
  const targets = { ...state.targets };
  const hub = facts.hub?.toLowerCase();
  const hubEventsByTx = new Map<Hex, DecodedEvent[]>();
  for (const e of facts.events) {
    if (e.kind.startsWith("hub.")) hubEventsByTx.set(e.at.txHash, [...(hubEventsByTx.get(e.at.txHash) ?? []), e]);
  }

  for (const e of facts.events) {
    const base = {
      detector: PAUSE_CHANGED,
      observedAt: facts.observedAt,
      evidence: { blockNumber: e.at.blockNumber, blockHash: e.at.blockHash, txHash: e.at.txHash, logIndex: e.at.logIndex, values: {} },
    };
    switch (e.kind) {
      case "hub.layerPaused": {
        const name = layerName(e.layerId, e.layer);
        const who = e.bySentinel ? "sentinel" : "guardian";
        const until = e.until === INDEFINITE ? "until the guardian unpauses it" : `until ${isoSeconds(e.until)}`;
        findings.push({
          ...base,
          key: pauseKey(name, e.incident, e.at.txHash),
          severity: e.bySentinel ? thresholds.sentinelPause : thresholds.guardianPause,
          title: `${name} layer paused by the ${who}`,
          summary: `GuardianHub paused the ${name} layer ${until}; ${who} ${e.by}${incidentText(e.incident)}.`,
          layers: e.layer ? [e.layer] : [],
          contracts: [e.hub],
          evidence: { ...base.evidence, values: { layer: e.layerId, by: e.by, until: e.until, bySentinel: e.bySentinel, incident: e.incident } },
        });
        break;
      }
      case "hub.sentinelPauseConfirmed":
      case "hub.sentinelPauseExtended": {
        const name = layerName(e.layerId, e.layer);
        const confirmed = e.kind === "hub.sentinelPauseConfirmed";
        findings.push({
          ...base,
          key: pauseKey(name, e.incident, e.at.txHash),
          severity: thresholds.pauseUpdate,
          title: confirmed ? `${name} layer's sentinel pause confirmed` : `${name} layer's sentinel pause extended`,
          summary: confirmed
            ? `The guardian ${e.by} made the sentinel pause of the ${name} layer indefinite${incidentText(e.incident)}.`
            : `The guardian ${e.by} extended the sentinel pause of the ${name} layer until ${isoSeconds(e.until)}${incidentText(e.incident)}.`,
          layers: e.layer ? [e.layer] : [],
          contracts: [e.hub],
          evidence: {
            ...base.evidence,
            values: { layer: e.layerId, by: e.by, incident: e.incident, ...(e.kind === "hub.sentinelPauseExtended" ? { until: e.until } : {}) },
          },
        });
        break;
      }
      case "hub.layerUnpaused": {
        const name = layerName(e.layerId, e.layer);
        findings.push({
          ...base,
          key: pauseKey(name, e.incident, e.at.txHash),
          severity: thresholds.unpause,
          title: e.expired ? `${name} layer's expired sentinel pause released` : `${name} layer unpaused by the guardian`,
          summary: e.expired
            ? `The sentinel pause of the ${name} layer lapsed and ${e.by} released it${incidentText(e.incident)}.`
            : `The guardian ${e.by} unpaused the ${name} layer${incidentText(e.incident)}.`,
          layers: e.layer ? [e.layer] : [],
          contracts: [e.hub],
          evidence: { ...base.evidence, values: { layer: e.layerId, by: e.by, incident: e.incident, expired: e.expired } },
          recovered: true,
        });
        break;
      }
      case "target.paused":
      case "target.unpaused": {
        const pausing = e.kind === "target.paused";
        const companion = (hubEventsByTx.get(e.at.txHash) ?? []).some(
          (h) =>
            (pausing ? h.kind === "hub.layerPaused" || h.kind === "hub.sentinelPauseConfirmed" : h.kind === "hub.layerUnpaused") &&
            (e.layer === undefined || !("layer" in h) || h.layer === undefined || h.layer === e.layer),
        );
        const byGuardian = hub !== undefined && e.account === hub && companion;
        targets[e.target] = { paused: pausing, byGuardian, blockNumber: e.at.blockNumber };
        if (byGuardian) break; // the hub's own event is the record
        const name = e.layer ? `${e.layer} layer's target` : "target";
        const verb = pausing ? "paused" : "unpaused";
        findings.push({
          ...base,
          key: `${PAUSE_CHANGED}:foreign-${pausing ? "pause" : "unpause"}:${e.target}:${e.at.txHash}`,
          severity: pausing ? thresholds.foreignPause : thresholds.foreignUnpause,
          title: `${capitalize(name)} ${e.target} ${verb} outside Guardian`,
          summary:
            `${e.target} emitted ${pausing ? "Paused" : "Unpaused"}(${e.account}) ` +
            (hub === undefined
              ? "and no GuardianHub is configured"
              : e.account !== hub
                ? `on behalf of ${e.account}, not the GuardianHub`
                : "without a GuardianHub event in the same transaction") +
            `: its pause state was changed by hand or by a key Guardian does not hold. Check who controls ${e.target}.`,
          layers: e.layer ? [e.layer] : [],
          contracts: [e.target],
          evidence: { ...base.evidence, values: { target: e.target, account: e.account, paused: pausing } },
        });
        break;
      }
      case "hub.sentinelHeartbeat":
        break;
    }
  }
  return { findings, nextState: { targets } };
};

function layerName(id: number, layer: Layer | undefined): string {
  return layer ?? `layer-${id}`;
}

/** A pause and its release share the key when the hub events carry the same incident reference. */
function pauseKey(layer: string, incident: Hex, txHash: Hex): string {
  return `${PAUSE_CHANGED}:layer:${layer}:${incident.toLowerCase() === ZERO32 ? txHash : incident.toLowerCase()}`;
}

function incidentText(incident: Hex): string {
  return incident.toLowerCase() === ZERO32 ? "" : ` (incident ${incident})`;
}

function isoSeconds(seconds: string): string {
  const ms = Number(seconds) * 1000;
  return Number.isFinite(ms) && ms < 8.64e15 ? new Date(ms).toISOString() : `${seconds} (unix seconds)`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

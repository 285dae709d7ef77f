/**
 * Raw logs → typed facts (types.ts `DecodedEvent`). Pure.
 *
 * Only logs of the configured addresses are decoded, and each address only
 * with its own ABI: a hub event is believed only when the hub emitted it, so
 * a contract that imitates `LayerPaused` cannot pass for Guardian.
 * Logs that match no known event are skipped.
 */
import { decodeEventLog, toEventSelector, type AbiEvent } from "viem";
import { LAYERS, type Address, type ChainLog, type DecodedEvent, type Hex, type Layer, type LogPosition } from "../types.js";
import { guardianHubEventsAbi, pausableEventsAbi } from "./abis.js";

export interface DecodeConfig {
  /** The GuardianHub, when deployed. */
  hub?: Address;
  /** Pausable targets (DelegationManager, guarded paymaster and factory) and the layer each belongs to. */
  targets: Readonly<Record<Address, Layer | undefined>>;
}

const hubSelectors = new Set<Hex>(guardianHubEventsAbi.map((e) => toEventSelector(e as AbiEvent)));
const pausableSelectors = new Set<Hex>(pausableEventsAbi.map((e) => toEventSelector(e as AbiEvent)));

/** Decodes the hub's and the targets' events among `logs`, in the order given. */
export function decodeLogs(logs: readonly ChainLog[], config: DecodeConfig): DecodedEvent[] {
  const hub = config.hub?.toLowerCase();
  const targets = new Map<string, Layer | undefined>(
    Object.entries(config.targets).map(([address, layer]) => [address.toLowerCase(), layer]),
  );
  const events: DecodedEvent[] = [];
  for (const log of logs) {
    const address = log.address.toLowerCase() as Address;
    const topic0 = log.topics[0]?.toLowerCase() as Hex | undefined;
    if (!topic0) continue;
    if (address === hub && hubSelectors.has(topic0)) {
      const event = decodeHubLog(log, address);
      if (event) events.push(event);
    } else if (targets.has(address) && pausableSelectors.has(topic0)) {
      const event = decodeTargetLog(log, address, targets.get(address));
      if (event) events.push(event);
    }
  }
  return events;
}

function position(log: ChainLog): LogPosition {
  return {
    blockNumber: Number(log.blockNumber),
    blockHash: log.blockHash.toLowerCase() as Hex,
    txHash: log.transactionHash.toLowerCase() as Hex,
    logIndex: log.logIndex,
  };
}

function layerOf(id: number): Layer | undefined {
  return LAYERS[id];
}

function lower(address: string): Address {
  return address.toLowerCase() as Address;
}

function decodeHubLog(log: ChainLog, hub: Address): DecodedEvent | undefined {
  let decoded;
  try {
    decoded = decodeEventLog({ abi: guardianHubEventsAbi, data: log.data, topics: log.topics as [Hex, ...Hex[]], strict: true });
  } catch {
    return undefined; // same selector, different shape: not the hub's event
  }
  const at = position(log);
  switch (decoded.eventName) {
    case "LayerPaused": {
      const a = decoded.args;
      return withLayer({ kind: "hub.layerPaused", hub, layerId: a.layer, by: lower(a.by), until: a.until.toString(), bySentinel: a.bySentinel, incident: a.incident, at });
    }
    case "LayerUnpaused": {
      const a = decoded.args;
      return withLayer({ kind: "hub.layerUnpaused", hub, layerId: a.layer, by: lower(a.by), incident: a.incident, expired: a.expired, at });
    }
    case "SentinelPauseConfirmed": {
      const a = decoded.args;
      return withLayer({ kind: "hub.sentinelPauseConfirmed", hub, layerId: a.layer, by: lower(a.by), incident: a.incident, at });
    }
    case "SentinelPauseExtended": {
      const a = decoded.args;
      return withLayer({ kind: "hub.sentinelPauseExtended", hub, layerId: a.layer, by: lower(a.by), until: a.until.toString(), incident: a.incident, at });
    }
    case "SentinelHeartbeat":
      return { kind: "hub.sentinelHeartbeat", hub, sentinel: lower(decoded.args.sentinel), sentAt: decoded.args.at.toString(), at };
  }
}

/** Adds `layer` when the id is one this daemon knows. */
function withLayer<const E extends { layerId: number }>(event: E): E & { layer?: Layer } {
  const layer = layerOf(event.layerId);
  return layer === undefined ? event : { ...event, layer };
}

function decodeTargetLog(log: ChainLog, target: Address, layer: Layer | undefined): DecodedEvent | undefined {
  let decoded;
  try {
    decoded = decodeEventLog({ abi: pausableEventsAbi, data: log.data, topics: log.topics as [Hex, ...Hex[]], strict: true });
  } catch {
    return undefined;
  }
  const base = { target, account: lower(decoded.args.account), at: position(log), ...(layer ? { layer } : {}) };
  return decoded.eventName === "Paused" ? { kind: "target.paused", ...base } : { kind: "target.unpaused", ...base };
}

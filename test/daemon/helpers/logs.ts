/**
 * Builders of GuardianHub and Pausable logs, as the follower hands them to
 * decode/ and the detectors: for unit tests.
 */
import { encodeAbiParameters, encodeEventTopics } from "viem";
import { guardianHubEventsAbi, pausableEventsAbi } from "../../../daemon/src/decode/abis.js";
import type { Address, ChainLog, Hex } from "../../../daemon/src/types.js";

export const HUB: Address = "0x1111111111111111111111111111111111111111";
export const DM: Address = "0x2222222222222222222222222222222222222222";
export const PAYMASTER: Address = "0x3333333333333333333333333333333333333333";
export const GUARDIAN: Address = "0x4444444444444444444444444444444444444444";
export const INCIDENT: Hex = `0x${"ab".repeat(32)}`;
export const TX: Hex = `0x${"cd".repeat(32)}`;
export const BLOCK: Hex = `0x${"ef".repeat(32)}`;

export const SENTINEL: Address = "0x5555555555555555555555555555555555555555";

/** A log as the follower hands it over. */
export function makeLog(address: Address, topics: Hex[], data: Hex, logIndex = 0, txHash: Hex = TX): ChainLog {
  return {
    address,
    topics: topics as [Hex, ...Hex[]],
    data,
    blockNumber: 10n,
    blockHash: BLOCK,
    transactionHash: txHash,
    transactionIndex: 0,
    logIndex,
    removed: false,
  };
}

export function layerPausedLog(opts: { layer: number; by: Address; until: bigint; bySentinel: boolean; incident?: Hex; hub?: Address; logIndex?: number; txHash?: Hex }): ChainLog {
  const topics = encodeEventTopics({
    abi: guardianHubEventsAbi,
    eventName: "LayerPaused",
    args: { layer: opts.layer, by: opts.by, incident: opts.incident ?? INCIDENT },
  }) as Hex[];
  const data = encodeAbiParameters([{ type: "uint64" }, { type: "bool" }], [opts.until, opts.bySentinel]);
  return makeLog(opts.hub ?? HUB, topics, data, opts.logIndex, opts.txHash);
}

export function layerUnpausedLog(opts: { layer: number; by: Address; expired: boolean; incident?: Hex; logIndex?: number; txHash?: Hex }): ChainLog {
  const topics = encodeEventTopics({
    abi: guardianHubEventsAbi,
    eventName: "LayerUnpaused",
    args: { layer: opts.layer, by: opts.by, incident: opts.incident ?? INCIDENT },
  }) as Hex[];
  return makeLog(HUB, topics, encodeAbiParameters([{ type: "bool" }], [opts.expired]), opts.logIndex, opts.txHash);
}

export function pausableLog(target: Address, event: "Paused" | "Unpaused", account: Address, logIndex = 1, txHash: Hex = TX): ChainLog {
  const topics = encodeEventTopics({ abi: pausableEventsAbi, eventName: event }) as Hex[];
  return makeLog(target, topics, encodeAbiParameters([{ type: "address" }], [account]), logIndex, txHash);
}

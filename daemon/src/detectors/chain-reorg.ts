/**
 * chain-reorg: a reorg the follower rewound, or one deeper than its
 * checkpoint ring (it stopped). On a chain with instant finality (chain 138,
 * QBFT) a reorg should never happen, so any reorg is reported: High by
 * default, Critical when too deep to rewind. Stateless; the key is derived
 * from the first replaced block, so re-observing the same reorg (after a
 * restart) never opens a second incident.
 */
import { LAYERS, type Finding, type ReorgFacts, type ReorgTooDeepFacts, type Severity } from "../types.js";
import type { Detector } from "./detector.js";

export const CHAIN_REORG = "chain-reorg";

export interface ChainReorgThresholds {
  reorg: Severity;
  tooDeep: Severity;
  /** Reorgs this deep or shallower are not reported (0: report every reorg, right for instant-finality chains). */
  ignoreDepth: number;
}

export const CHAIN_REORG_DEFAULTS: ChainReorgThresholds = { reorg: "high", tooDeep: "critical", ignoreDepth: 0 };

export type ChainReorgState = Record<string, never>;

export const chainReorg: Detector<ReorgFacts | ReorgTooDeepFacts, ChainReorgState, ChainReorgThresholds> = (facts, state, t) => {
  const findings: Finding[] = [];
  if (facts.kind === "reorg-too-deep") {
    findings.push({
      detector: CHAIN_REORG,
      key: `${CHAIN_REORG}:too-deep:${facts.chainId}:${facts.oldest.number}:${facts.oldest.hash}`,
      severity: t.tooDeep,
      title: "Reorg deeper than the checkpoint ring",
      summary:
        `Chain ${facts.chainId} no longer contains any of the blocks #${facts.oldest.number}..#${facts.newest.number} the daemon processed, ` +
        "so no common ancestor is known. Monitoring stopped rather than guess: check the chain and the RPC endpoints, then restart from an explicit start block.",
      layers: [...LAYERS],
      contracts: [],
      evidence: {
        blockNumber: facts.newest.number,
        blockHash: facts.newest.hash,
        values: { oldest: facts.oldest.number, oldestHash: facts.oldest.hash, newest: facts.newest.number },
      },
      observedAt: facts.observedAt,
    });
    return { findings, nextState: state };
  }
  const depth = facts.dropped.length;
  const first = facts.dropped[0];
  const last = facts.dropped.at(-1);
  if (!first || !last || depth <= t.ignoreDepth) return { findings, nextState: state };
  findings.push({
    detector: CHAIN_REORG,
    key: `${CHAIN_REORG}:${facts.chainId}:${first.number}:${first.hash}`,
    severity: t.reorg,
    title: `Chain reorganised: ${depth} block${depth === 1 ? "" : "s"} replaced`,
    summary:
      `Blocks #${first.number}..#${last.number} of chain ${facts.chainId} were replaced after #${facts.ancestor.number}. ` +
      "What they produced was retracted and the new blocks processed. On an instant-finality chain this should not happen: check the validators and the RPC endpoints.",
    layers: [],
    contracts: [],
    evidence: {
      blockNumber: facts.ancestor.number,
      blockHash: facts.ancestor.hash,
      values: { depth, firstDropped: first.number, firstDroppedHash: first.hash, lastDropped: last.number },
    },
    observedAt: facts.observedAt,
  });
  return { findings, nextState: state };
};

/**
 * rpc-health: the daemon's own eyes. From the RPC pool's and the follower's
 * state (RpcHealthFacts) it reports, each as a condition that starts (a
 * finding) and ends (a finding with `recovered: true`, same key):
 *
 * - rpc-unavailable: every endpoint fails (Critical: the daemon is blind);
 * - chain-stalled: no new head for stallFactor × blockTime;
 * - follower-stuck: the chain advances but the follower commits nothing;
 * - chain-id mismatch: an endpoint serves another chain (it is excluded);
 * - endpoint-down: an endpoint failed maxConsecutiveErrors requests in a row;
 * - latency: an endpoint's average latency is above maxLatencyMs;
 * - head-lag: an endpoint is more than maxHeadLagBlocks behind the best one.
 *
 * While every endpoint fails, conditions that need an answer to be judged
 * (stall, lag, single endpoints) keep their previous state instead of
 * flapping or multiplying; the outage itself is reported once it lasted
 * `unavailableAfterMs`. A condition reported once is not reported again until it ends.
 */
import { untrustedText } from "../decode/untrusted-text.js";
import { LAYERS, type EndpointHealth, type Finding, type Layer, type RpcHealthFacts, type Severity } from "../types.js";
import type { Detector } from "./detector.js";

export const RPC_HEALTH = "rpc-health";

export interface RpcHealthThresholds {
  blockTimeMs: number;
  /** No new head for this many block times = stalled. */
  stallFactor: number;
  maxLatencyMs: number;
  maxConsecutiveErrors: number;
  maxHeadLagBlocks: number;
  /** Every endpoint must fail for this long before the daemon calls itself blind. */
  unavailableAfterMs: number;
  severity: {
    unavailable: Severity;
    stalled: Severity;
    followerStuck: Severity;
    chainIdMismatch: Severity;
    endpointDown: Severity;
    latency: Severity;
    headLag: Severity;
  };
}

/** Defaults for a chain with `blockTimeMs` blocks (chain 138: 2000). */
export function rpcHealthDefaults(blockTimeMs: number): RpcHealthThresholds {
  return {
    blockTimeMs,
    stallFactor: 3,
    maxLatencyMs: 2_000,
    maxConsecutiveErrors: 3,
    maxHeadLagBlocks: 5,
    unavailableAfterMs: blockTimeMs,
    severity: {
      unavailable: "critical",
      stalled: "high",
      followerStuck: "high",
      chainIdMismatch: "high",
      endpointDown: "medium",
      latency: "medium",
      headLag: "medium",
    },
  };
}

export interface RpcHealthState {
  /** Conditions reported and not yet ended, by finding key. */
  active: Record<string, { since: string; severity: Severity; layers: Layer[]; recoveredTitle: string }>;
}

export const initialRpcHealthState = (): RpcHealthState => ({ active: {} });

interface Condition {
  key: string;
  severity: Severity;
  title: string;
  recoveredTitle: string;
  summary: string;
  layers: Layer[];
}

export const rpcHealth: Detector<RpcHealthFacts, RpcHealthState, RpcHealthThresholds> = (facts, state, t) => {
  const chain = facts.chainId;
  const now = facts.nowMs;
  const conditions = new Map<string, Condition>();
  const add = (c: Condition) => conditions.set(c.key, c);
  /** Keys whose state is kept as it was (they cannot be judged now). */
  const frozen = new Set<string>();

  // Every endpoint failing is one condition, not N: while it lasts (even
  // before it counts as an outage) the others are not judged.
  const failingAll = facts.unavailableSinceMs !== undefined;
  const blind = failingAll && now - (facts.unavailableSinceMs as number) >= t.unavailableAfterMs;
  if (blind) {
    const since = new Date(facts.unavailableSinceMs as number).toISOString();
    add({
      key: `${RPC_HEALTH}:unavailable:${chain}`,
      severity: t.severity.unavailable,
      title: "RPC unavailable: every endpoint fails",
      recoveredTitle: "RPC available again",
      summary: `Every RPC endpoint of chain ${chain} has failed since ${since} (${describeEndpoints(facts.endpoints)}). The daemon cannot see the chain: no detection and no automatic pause until one answers.`,
      // No layers: the daemon being blind is not the stack failing, and a pause sent
      // once an endpoint answers again would pause a healthy stack.
      layers: [],
    });
  }

  const stallMs = t.stallFactor * t.blockTimeMs;
  const stalledKey = `${RPC_HEALTH}:chain-stalled:${chain}`;
  const stuckKey = `${RPC_HEALTH}:follower-stuck:${chain}`;
  if (failingAll) {
    frozen.add(stalledKey);
    frozen.add(stuckKey);
  } else {
    if (facts.head && now - facts.head.advancedAtMs > stallMs) {
      add({
        key: stalledKey,
        severity: t.severity.stalled,
        title: "Chain stalled: no new block",
        recoveredTitle: "Chain makes blocks again",
        summary: `Chain ${chain} has made no block since #${facts.head.number} ${seconds(now - facts.head.advancedAtMs)} ago (more than ${t.stallFactor} × ${t.blockTimeMs} ms block time). Transactions, account creation and delegations cannot complete.`,
        layers: [...LAYERS],
      });
    }
    const cause = facts.stepFailure
      ? ` The failing step${facts.stepFailure.endpoints.length > 0 ? ` (${facts.stepFailure.endpoints.map((e) => untrustedText(e, 80)).join(", ")})` : ""} since ${new Date(facts.stepFailure.sinceMs).toISOString()}: ${untrustedText(facts.stepFailure.cause, 600)}.`
      : " Check the daemon's log for the failing step.";
    if (
      facts.head &&
      facts.processed &&
      facts.head.number > facts.processed.number &&
      now - facts.processed.advancedAtMs > stallMs
    ) {
      add({
        key: stuckKey,
        severity: t.severity.followerStuck,
        title: "Monitoring stuck: blocks are not processed",
        recoveredTitle: "Monitoring processes blocks again",
        summary: `The chain is at #${facts.head.number} but the daemon's last processed block is #${facts.processed.number}, unchanged for ${seconds(now - facts.processed.advancedAtMs)}. Detection is behind.${cause}`,
        layers: [],
      });
    } else if (!facts.processed && facts.startedAtMs !== undefined && now - facts.startedAtMs > stallMs) {
      // A start-up stall: not one block processed since the daemon started.
      add({
        key: stuckKey,
        severity: t.severity.followerStuck,
        title: "Monitoring stuck: no block processed since start",
        recoveredTitle: "Monitoring processes blocks again",
        summary: `The daemon started ${seconds(now - facts.startedAtMs)} ago and has processed no block of chain ${chain}${facts.head ? ` (the chain is at #${facts.head.number})` : ""}. Nothing is detected until it does.${cause}`,
        layers: [],
      });
    }
  }

  for (const ep of facts.endpoints) {
    const id = `${chain}:${ep.name}`;
    if (ep.status === "excluded" && ep.chainId !== undefined && ep.chainId !== chain) {
      add({
        key: `${RPC_HEALTH}:chain-id:${id}`,
        severity: t.severity.chainIdMismatch,
        title: `RPC endpoint ${ep.name} serves the wrong chain`,
        recoveredTitle: `RPC endpoint ${ep.name} serves the right chain again`,
        summary: `Endpoint ${ep.name} reports chain id ${ep.chainId}, not ${chain}: it is excluded. A misconfigured or hijacked endpoint; fix the configuration.`,
        layers: [],
      });
      continue;
    }
    const keys = {
      down: `${RPC_HEALTH}:endpoint-down:${id}`,
      latency: `${RPC_HEALTH}:latency:${id}`,
      lag: `${RPC_HEALTH}:head-lag:${id}`,
    };
    if (failingAll) {
      for (const k of Object.values(keys)) frozen.add(k);
      continue;
    }
    if (ep.consecutiveErrors >= t.maxConsecutiveErrors) {
      add({
        key: keys.down,
        severity: t.severity.endpointDown,
        title: `RPC endpoint ${ep.name} failing`,
        recoveredTitle: `RPC endpoint ${ep.name} answers again`,
        summary: `Endpoint ${ep.name} failed its last ${ep.consecutiveErrors} requests (${ep.lastError !== undefined ? untrustedText(ep.lastError) : "no detail"}). Requests go to the other endpoints; redundancy is reduced.`,
        layers: [],
      });
    }
    if (ep.avgLatencyMs !== undefined && ep.avgLatencyMs > t.maxLatencyMs && ep.consecutiveErrors === 0) {
      add({
        key: keys.latency,
        severity: t.severity.latency,
        title: `RPC endpoint ${ep.name} slow`,
        recoveredTitle: `RPC endpoint ${ep.name} fast again`,
        summary: `Endpoint ${ep.name} answers in ${ep.avgLatencyMs} ms on average (threshold ${t.maxLatencyMs} ms). Detection and the circuit breaker react later.`,
        layers: [],
      });
    }
    if (ep.headLag !== undefined && ep.headLag > t.maxHeadLagBlocks) {
      add({
        key: keys.lag,
        severity: t.severity.headLag,
        title: `RPC endpoint ${ep.name} behind the chain`,
        recoveredTitle: `RPC endpoint ${ep.name} caught up`,
        summary: `Endpoint ${ep.name} is ${ep.headLag} blocks behind the best endpoint (head #${ep.head ?? "?"}; threshold ${t.maxHeadLagBlocks}). Endpoints disagree about the chain; the lagging one is used only as a fallback.`,
        layers: [],
      });
    }
  }

  // Starts and ends.
  const findings: Finding[] = [];
  const active: RpcHealthState["active"] = {};
  for (const c of conditions.values()) {
    const previous = state.active[c.key];
    active[c.key] = previous ?? { since: facts.observedAt, severity: c.severity, layers: c.layers, recoveredTitle: c.recoveredTitle };
    if (!previous) {
      findings.push({ detector: RPC_HEALTH, key: c.key, severity: c.severity, title: c.title, summary: c.summary, layers: c.layers, contracts: [], observedAt: facts.observedAt });
    }
  }
  for (const [key, previous] of Object.entries(state.active)) {
    if (conditions.has(key)) continue;
    if (frozen.has(key)) {
      active[key] = previous;
      continue;
    }
    findings.push({
      detector: RPC_HEALTH,
      key,
      severity: previous.severity,
      title: previous.recoveredTitle,
      summary: `${previous.recoveredTitle}: the condition reported at ${previous.since} ended at ${facts.observedAt}.`,
      layers: previous.layers,
      contracts: [],
      observedAt: facts.observedAt,
      recovered: true,
    });
  }
  return { findings, nextState: { active } };
};

function describeEndpoints(endpoints: readonly EndpointHealth[]): string {
  return endpoints.map((e) => `${e.name}: ${e.status === "excluded" ? "excluded" : (e.lastError !== undefined ? untrustedText(e.lastError) : e.status)}`).join("; ");
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

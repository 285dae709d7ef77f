/**
 * pause-ability: Guardian's own ability to act is an objective it watches.
 * From periodic reads of the hub, the sentinel and the guardian Safe
 * (PauseAbilityFacts) it reports, each as a condition that starts (a finding)
 * and ends (`recovered: true`, same key), before it bites:
 *
 * - sentinel-role: the sentinel key lost SENTINEL_ROLE: no auto-pause (High);
 * - sentinel-gas: the sentinel cannot pay for a pause (High);
 * - heartbeat: the sentinel's last heartbeat on the hub is too old (Medium);
 * - guardian-role: the guardian Safe no longer holds GUARDIAN_ROLE (Critical:
 *   a change to who controls pausing is a security-critical change);
 * - delegation-owner: the hub no longer owns the DelegationManager, so the
 *   delegation layer cannot be paused (Critical);
 * - safe-config: the Safe's owners or threshold changed since first seen (High);
 * - presigned: pre-signed pauses are configured but none can be fired now —
 *   all consumed (the highest pre-signed nonce is below the Safe's nonce), none
 *   for the current nonce, or not signed by a threshold of current owners (High);
 * - presigned-config: the Safe's owners or threshold differ from those the
 *   remaining pre-signed pauses were signed under (High);
 * - signer:<owner>: an owner has not proven control of their key (a signed
 *   Safe transaction, approveHash, or an attestation) within
 *   `safe.liveness.maxAgeDays` (Medium); signer-quorum: the owners who have
 *   are fewer than the threshold: the Safe may not be able to pause (High);
 * - expiry:<layer>: a sentinel pause ends soon and the guardian has not
 *   confirmed it: when it ends, anyone may release the layer — the daemon's
 *   sentinel duties do so at once — and the layer goes live again (High). "Soon" scales with the
 *   hub's configured pause duration: the last `expiryWarnFraction` of it,
 *   at most `expiryWarnSeconds` (a 600 s pause warns in its last 150 s, a
 *   1 h pause in its last 15 min), so a short pause does not raise "ends
 *   soon" the moment it starts.
 *
 * None of these findings names layers, so none can trigger another pause.
 */
import type { Address, Finding, Layer, Severity } from "../types.js";
import type { Detector } from "./detector.js";

export const PAUSE_ABILITY = "pause-ability";

export interface PauseAbilityFacts {
  observedAt: string;
  /** Seconds since the epoch, from the block the facts were read at. */
  chainTime: number;
  block: { number: number; hash: `0x${string}` };
  hub: Address;
  sentinel?: { address: Address; hasRole: boolean; balanceWei: string; lastHeartbeat: number };
  guardian: { safe: Address; hasRole: boolean; owners: Address[]; threshold: number };
  delegationOwner?: { owner: Address; expected: Address };
  layers: Partial<Record<Layer, { paused: boolean; bySentinel: boolean; pausedUntil: number }>>;
  /** The hub's `sentinelPauseDuration()` (seconds); without it the warning uses `expiryWarnSeconds` alone. */
  sentinelPauseDuration?: number;
  /** Pre-signed pauses (respond/presign.ts), when configured: how they stand against the Safe's nonce and configuration. */
  presigned?: PresignedFacts;
  /** Signer liveness (respond/signer-liveness.ts), when configured: each current owner's latest proof. */
  signers?: SignerFacts;
}

export interface SignerFacts {
  /** A proof older than this (seconds of chain time) does not count. */
  maxAgeSeconds: number;
  owners: Array<{ owner: Address; lastProof?: { time: number; block: number; source: string } }>;
}

export interface PresignedFacts {
  /** Where the files are read from (for the message). */
  source: string;
  safeNonce: number;
  /** Highest nonce among the files; undefined when there are none. */
  highestNonce?: number;
  /** Nonces ≥ the Safe's nonce whose file holds a threshold of current owners' signatures. */
  validNonces: number[];
  /** One of them is the Safe's current nonce: a pause can be fired now. */
  readyNow: boolean;
  /** Remaining nonces whose files were signed under other owners or another threshold. */
  configChanged: number[];
  /** The files could not be read. */
  error?: string;
}

export interface PauseAbilityThresholds {
  /** Wei the sentinel needs to send a pause with room for fee bumps. */
  minSentinelBalanceWei: string;
  /** A heartbeat older than this is stale (0 = heartbeats not expected). */
  heartbeatMaxAgeSeconds: number;
  /** Warn when a sentinel pause ends within this many seconds at most... */
  expiryWarnSeconds: number;
  /** ...and within this share (0..1) of the configured pause duration. */
  expiryWarnFraction: number;
}

export const PAUSE_ABILITY_DEFAULTS: PauseAbilityThresholds = {
  minSentinelBalanceWei: (5n * 10n ** 16n).toString(), // 0.05 ETH
  heartbeatMaxAgeSeconds: 1800, // three default heartbeat intervals
  expiryWarnSeconds: 900, // 15 min: the Critical response SLA
  expiryWarnFraction: 0.25, // the last quarter: 150 s of the shortest pause the hub allows (600 s), 15 min of the default hour
};

/** Seconds before a sentinel pause's end from which it is reported as ending soon. */
export function expiryWarnWindow(t: PauseAbilityThresholds, pauseDuration: number | undefined): number {
  if (pauseDuration === undefined || !(pauseDuration > 0)) return t.expiryWarnSeconds;
  return Math.min(t.expiryWarnSeconds, Math.floor(pauseDuration * t.expiryWarnFraction));
}

export interface PauseAbilityState {
  /** Conditions currently reported, by key. */
  active: string[];
  /** The Safe's owners and threshold when first seen: the baseline for safe-config. */
  safeBaseline?: { owners: string[]; threshold: number };
}

export function initialPauseAbilityState(): PauseAbilityState {
  return { active: [] };
}

/**
 * Whether each pause path works, from the same facts: the sentinel (a key is
 * configured, holds SENTINEL_ROLE and can pay for a pause) and the guardian
 * Safe (holds GUARDIAN_ROLE, and its threshold can be reached by its owners).
 */
export function pausePaths(facts: PauseAbilityFacts, t: Pick<PauseAbilityThresholds, "minSentinelBalanceWei">): { sentinel: boolean; safe: boolean } {
  const s = facts.sentinel;
  const g = facts.guardian;
  return {
    sentinel: s !== undefined && s.hasRole && BigInt(s.balanceWei) >= BigInt(t.minSentinelBalanceWei),
    safe: g.hasRole && g.threshold > 0 && g.owners.length >= g.threshold,
  };
}

interface Condition {
  key: string;
  on: boolean;
  severity: Severity;
  title: string;
  summary: string;
  contracts: Address[];
  values?: Record<string, string | number | boolean>;
}

export const pauseAbility: Detector<PauseAbilityFacts, PauseAbilityState, PauseAbilityThresholds> = (facts, state, t) => {
  const conditions: Condition[] = [];
  const s = facts.sentinel;
  if (s) {
    conditions.push({
      key: `${PAUSE_ABILITY}:sentinel-role`,
      on: !s.hasRole,
      severity: "high",
      title: "The sentinel key lost its role: no automatic pause",
      summary: `${s.address} no longer holds SENTINEL_ROLE on the hub ${facts.hub}: a Critical incident cannot be paused automatically; only the guardian Safe can pause.`,
      contracts: [facts.hub],
      values: { sentinel: s.address },
    });
    conditions.push({
      key: `${PAUSE_ABILITY}:sentinel-gas`,
      on: BigInt(s.balanceWei) < BigInt(t.minSentinelBalanceWei),
      severity: "high",
      title: "The sentinel cannot pay for a pause",
      summary: `The sentinel ${s.address} holds ${s.balanceWei} wei, below ${t.minSentinelBalanceWei}: fund it, or an automatic pause may not be mined.`,
      contracts: [],
      values: { balanceWei: s.balanceWei, minimumWei: t.minSentinelBalanceWei },
    });
    if (t.heartbeatMaxAgeSeconds > 0) {
      const age = facts.chainTime - s.lastHeartbeat;
      conditions.push({
        key: `${PAUSE_ABILITY}:heartbeat`,
        on: age > t.heartbeatMaxAgeSeconds,
        severity: "medium",
        title: "The sentinel's heartbeat is stale",
        summary: `The sentinel's last heartbeat on the hub is ${age} s old (more than ${t.heartbeatMaxAgeSeconds} s): watchers cannot tell the circuit breaker is alive.`,
        contracts: [facts.hub],
        values: { lastHeartbeat: s.lastHeartbeat, ageSeconds: age },
      });
    }
  }
  conditions.push({
    key: `${PAUSE_ABILITY}:guardian-role`,
    on: !facts.guardian.hasRole,
    severity: "critical",
    title: "The guardian Safe lost GUARDIAN_ROLE",
    summary: `The Safe ${facts.guardian.safe} no longer holds GUARDIAN_ROLE on the hub ${facts.hub}: nobody known can unpause or confirm pauses.`,
    contracts: [facts.hub, facts.guardian.safe],
  });
  if (facts.delegationOwner) {
    const d = facts.delegationOwner;
    conditions.push({
      key: `${PAUSE_ABILITY}:delegation-owner`,
      on: d.owner.toLowerCase() !== d.expected.toLowerCase(),
      severity: "critical",
      title: "The hub no longer owns the DelegationManager",
      summary: `The DelegationManager is owned by ${d.owner}, not the hub ${d.expected}: the delegation layer cannot be paused.`,
      contracts: [d.expected],
      values: { owner: d.owner },
    });
  }
  const owners = facts.guardian.owners.map((o) => o.toLowerCase()).sort();
  const baseline = state.safeBaseline ?? { owners, threshold: facts.guardian.threshold };
  const safeChanged = baseline.owners.join(",") !== owners.join(",") || baseline.threshold !== facts.guardian.threshold;
  conditions.push({
    key: `${PAUSE_ABILITY}:safe-config`,
    on: safeChanged,
    severity: "high",
    title: "The guardian Safe's owners or threshold changed",
    summary: `The guardian Safe ${facts.guardian.safe} is now ${facts.guardian.threshold}-of-${owners.length} (${owners.join(", ")}); it was ${baseline.threshold}-of-${baseline.owners.length}. Confirm the change was intended.`,
    contracts: [facts.guardian.safe],
    values: { threshold: facts.guardian.threshold, owners: owners.length },
  });
  const pre = facts.presigned;
  if (pre) {
    const why = pre.error
      ? `the pre-signed pauses in ${pre.source} cannot be read (${pre.error})`
      : pre.highestNonce === undefined
        ? `there are no pre-signed pauses for this Safe in ${pre.source}`
        : pre.highestNonce < pre.safeNonce
          ? `every pre-signed pause is consumed: the highest pre-signed nonce ${pre.highestNonce} is below the Safe's nonce ${pre.safeNonce}`
          : `none is signed by a threshold of current owners for the Safe's current nonce ${pre.safeNonce} (valid: ${pre.validNonces.join(", ") || "none"})`;
    conditions.push({
      key: `${PAUSE_ABILITY}:presigned`,
      on: !pre.readyNow,
      severity: "high",
      title: "No pre-signed pause can be fired",
      summary: `No pre-signed Safe pause is usable now: ${why}. Pausing through the Safe needs its signers again; run guardian safe presign and have the files signed.`,
      contracts: [facts.guardian.safe],
      values: { safeNonce: pre.safeNonce, highestNonce: pre.highestNonce ?? -1, validNonces: pre.validNonces.length },
    });
    conditions.push({
      key: `${PAUSE_ABILITY}:presigned-config`,
      on: pre.configChanged.length > 0,
      severity: "high",
      title: "The Safe changed since the pauses were pre-signed",
      summary: `The guardian Safe's owners or threshold are not those the pre-signed pauses for nonces ${pre.configChanged.join(", ")} were signed under: their signatures may no longer reach the threshold. Pre-sign them again.`,
      contracts: [facts.guardian.safe],
      values: { nonces: pre.configChanged.join(",") },
    });
  }
  const sig = facts.signers;
  if (sig) {
    const days = (sec: number) => Math.round((sec / 86_400) * 10) / 10;
    const alive = sig.owners.filter((o) => o.lastProof && facts.chainTime - o.lastProof.time <= sig.maxAgeSeconds);
    const current = new Set<string>();
    for (const o of sig.owners) {
      const key = `${PAUSE_ABILITY}:signer:${o.owner.toLowerCase()}`;
      current.add(key);
      const last = o.lastProof;
      conditions.push({
        key,
        on: !alive.includes(o),
        severity: "medium",
        title: `A guardian Safe owner has not proven their key lately`,
        summary: last
          ? `Owner ${o.owner} last proved control of their key ${days(facts.chainTime - last.time)} days ago (${last.source}, block ${last.block}), more than ${days(sig.maxAgeSeconds)} days: ask them to run guardian safe attest.`
          : `Owner ${o.owner} has not proven control of their key within ${days(sig.maxAgeSeconds)} days (no signed Safe transaction, approveHash or attestation seen): ask them to run guardian safe attest.`,
        contracts: [facts.guardian.safe],
        values: { owner: o.owner, lastProof: last?.time ?? 0 },
      });
    }
    // Owners removed from the Safe: their open condition ends.
    for (const key of state.active) if (key.startsWith(`${PAUSE_ABILITY}:signer:`) && !current.has(key)) {
      conditions.push({ key, on: false, severity: "medium", title: "A guardian Safe owner has not proven their key lately", summary: "", contracts: [facts.guardian.safe] });
    }
    conditions.push({
      key: `${PAUSE_ABILITY}:signer-quorum`,
      on: alive.length < facts.guardian.threshold,
      severity: "high",
      title: "Fewer live signers than the Safe's threshold",
      summary: `Only ${alive.length} of the guardian Safe's ${sig.owners.length} owners proved control of their key within ${days(sig.maxAgeSeconds)} days, below its threshold of ${facts.guardian.threshold}: a pause through the Safe may not gather enough signatures.`,
      contracts: [facts.guardian.safe],
      values: { alive: alive.length, threshold: facts.guardian.threshold },
    });
  }
  const warnWithin = expiryWarnWindow(t, facts.sentinelPauseDuration);
  for (const [layer, l] of Object.entries(facts.layers) as Array<[Layer, NonNullable<PauseAbilityFacts["layers"][Layer]>]>) {
    const left = l.pausedUntil - facts.chainTime;
    conditions.push({
      key: `${PAUSE_ABILITY}:expiry:${layer}`,
      on: l.paused && l.bySentinel && left <= warnWithin,
      severity: "high",
      title: `The sentinel's pause of the ${layer} layer ends soon`,
      summary: `The ${layer} layer was paused by the sentinel; that pause ends in ${Math.max(0, left)} s and the layer goes live again (anyone may release it then) unless the guardian Safe confirms the pause (guardian safe propose confirm ${layer}).`,
      contracts: [facts.hub],
      values: { pausedUntil: l.pausedUntil, secondsLeft: left, warnWithinSeconds: warnWithin },
    });
  }

  const active = new Set(state.active);
  const findings: Finding[] = [];
  for (const c of conditions) {
    const was = active.has(c.key);
    if (c.on === was) continue;
    if (c.on) active.add(c.key);
    else active.delete(c.key);
    findings.push({
      detector: PAUSE_ABILITY,
      key: c.key,
      severity: c.severity,
      title: c.title,
      summary: c.on ? c.summary : `Resolved: ${c.title.charAt(0).toLowerCase()}${c.title.slice(1)} no longer holds.`,
      layers: [],
      contracts: c.contracts,
      evidence: { blockNumber: facts.block.number, blockHash: facts.block.hash, values: c.values ?? {} },
      observedAt: facts.observedAt,
      ...(c.on ? {} : { recovered: true }),
    });
  }
  return { findings, nextState: { active: [...active].sort(), safeBaseline: baseline } };
};

import { describe, it, expect } from "vitest";
import { initialPauseAbilityState, pauseAbility, pausePaths, PAUSE_ABILITY_DEFAULTS, type PauseAbilityFacts } from "./pause-ability.js";

const HUB = "0x1111111111111111111111111111111111111111" as const;
const SAFE = "0x2222222222222222222222222222222222222222" as const;
const SENTINEL = "0x3333333333333333333333333333333333333333" as const;
const A = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" as const;
const B = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" as const;

function facts(over: Partial<PauseAbilityFacts> = {}): PauseAbilityFacts {
  return {
    observedAt: "2026-11-22T12:00:00.000Z",
    chainTime: 10_000,
    block: { number: 7, hash: `0x${"11".repeat(32)}` },
    hub: HUB,
    sentinel: { address: SENTINEL, hasRole: true, balanceWei: (10n ** 18n).toString(), lastHeartbeat: 9_900 },
    guardian: { safe: SAFE, hasRole: true, owners: [A, B], threshold: 2 },
    delegationOwner: { owner: HUB, expected: HUB },
    layers: { delegation: { paused: false, bySentinel: false, pausedUntil: 0 } },
    ...over,
  };
}

describe("pause-ability", () => {
  it("a healthy setup reports nothing", () => {
    const { findings } = pauseAbility(facts(), initialPauseAbilityState(), PAUSE_ABILITY_DEFAULTS);
    expect(findings).toEqual([]);
  });

  it("reports each condition once when it starts and once when it ends", () => {
    const bad = facts({
      sentinel: { address: SENTINEL, hasRole: false, balanceWei: "1", lastHeartbeat: 0 },
      guardian: { safe: SAFE, hasRole: false, owners: [A, B], threshold: 2 },
      delegationOwner: { owner: A, expected: HUB },
    });
    const first = pauseAbility(bad, initialPauseAbilityState(), PAUSE_ABILITY_DEFAULTS);
    expect(first.findings.map((f) => [f.key, f.severity])).toEqual([
      ["pause-ability:sentinel-role", "high"],
      ["pause-ability:sentinel-gas", "high"],
      ["pause-ability:heartbeat", "medium"],
      ["pause-ability:guardian-role", "critical"],
      ["pause-ability:delegation-owner", "critical"],
    ]);
    expect(first.findings.every((f) => f.layers.length === 0)).toBe(true);
    expect(pauseAbility(bad, first.nextState, PAUSE_ABILITY_DEFAULTS).findings).toEqual([]);
    const healed = pauseAbility(facts(), first.nextState, PAUSE_ABILITY_DEFAULTS);
    expect(healed.findings).toHaveLength(5);
    expect(healed.findings.every((f) => f.recovered === true)).toBe(true);
  });

  it("warns before a sentinel pause ends, at the threshold and not before", () => {
    const at = (left: number) => facts({ layers: { delegation: { paused: true, bySentinel: true, pausedUntil: 10_000 + left } } });
    expect(pauseAbility(at(901), initialPauseAbilityState(), PAUSE_ABILITY_DEFAULTS).findings).toEqual([]);
    const warn = pauseAbility(at(900), initialPauseAbilityState(), PAUSE_ABILITY_DEFAULTS).findings;
    expect(warn.map((f) => f.key)).toEqual(["pause-ability:expiry:delegation"]);
    const guardianPause = facts({ layers: { delegation: { paused: true, bySentinel: false, pausedUntil: Number.MAX_SAFE_INTEGER } } });
    expect(pauseAbility(guardianPause, initialPauseAbilityState(), PAUSE_ABILITY_DEFAULTS).findings).toEqual([]);
  });

  it("scales the warning with the hub's pause duration: a fresh 600 s pause is not ending soon", () => {
    const at = (left: number, sentinelPauseDuration: number) =>
      facts({ sentinelPauseDuration, layers: { delegation: { paused: true, bySentinel: true, pausedUntil: 10_000 + left } } });
    const run = (f: PauseAbilityFacts) => pauseAbility(f, initialPauseAbilityState(), PAUSE_ABILITY_DEFAULTS).findings.map((x) => x.key);
    expect(run(at(600, 600))).toEqual([]);
    expect(run(at(151, 600))).toEqual([]);
    expect(run(at(150, 600))).toEqual(["pause-ability:expiry:delegation"]);
    // An hour: the last 15 minutes, as before; a week: still at most expiryWarnSeconds.
    expect(run(at(901, 3600))).toEqual([]);
    expect(run(at(900, 3600))).toEqual(["pause-ability:expiry:delegation"]);
    expect(run(at(901, 7 * 86_400))).toEqual([]);
  });

  it("remembers the Safe's first configuration and reports a change", () => {
    const first = pauseAbility(facts(), initialPauseAbilityState(), PAUSE_ABILITY_DEFAULTS);
    const changed = pauseAbility(facts({ guardian: { safe: SAFE, hasRole: true, owners: [A, B], threshold: 1 } }), first.nextState, PAUSE_ABILITY_DEFAULTS);
    expect(changed.findings.map((f) => f.key)).toEqual(["pause-ability:safe-config"]);
    expect(changed.findings[0]!.summary).toMatch(/now 1-of-2.*was 2-of-2/);
  });

  it("does not expect heartbeats when told not to", () => {
    const noBeat = facts({ sentinel: { address: SENTINEL, hasRole: true, balanceWei: (10n ** 18n).toString(), lastHeartbeat: 0 } });
    expect(pauseAbility(noBeat, initialPauseAbilityState(), { ...PAUSE_ABILITY_DEFAULTS, heartbeatMaxAgeSeconds: 0 }).findings).toEqual([]);
  });

  it("pausePaths: the sentinel needs a key with the role and gas; the Safe needs the role and a reachable threshold", () => {
    const t = PAUSE_ABILITY_DEFAULTS;
    expect(pausePaths(facts(), t)).toEqual({ sentinel: true, safe: true });
    const { sentinel: _none, ...withoutSentinel } = facts();
    expect(pausePaths(withoutSentinel, t).sentinel).toBe(false);
    expect(pausePaths(facts({ sentinel: { address: SENTINEL, hasRole: false, balanceWei: (10n ** 18n).toString(), lastHeartbeat: 0 } }), t).sentinel).toBe(false);
    expect(pausePaths(facts({ sentinel: { address: SENTINEL, hasRole: true, balanceWei: "1", lastHeartbeat: 0 } }), t).sentinel).toBe(false);
    expect(pausePaths(facts({ sentinel: { address: SENTINEL, hasRole: true, balanceWei: t.minSentinelBalanceWei, lastHeartbeat: 0 } }), t).sentinel).toBe(true);
    expect(pausePaths(facts({ guardian: { safe: SAFE, hasRole: false, owners: [A, B], threshold: 2 } }), t).safe).toBe(false);
    expect(pausePaths(facts({ guardian: { safe: SAFE, hasRole: true, owners: [A], threshold: 2 } }), t).safe).toBe(false);
    expect(pausePaths(facts({ guardian: { safe: SAFE, hasRole: true, owners: [A, B], threshold: 0 } }), t).safe).toBe(false);
  });

  it("pre-signed pauses: nothing while one is usable at the Safe's nonce; consumed or a changed Safe each report", () => {
    const pre = { source: "/p", safeNonce: 4, highestNonce: 5, validNonces: [4, 5], readyNow: true, configChanged: [] };
    expect(pauseAbility(facts({ presigned: pre }), initialPauseAbilityState(), PAUSE_ABILITY_DEFAULTS).findings).toEqual([]);
    const consumed = pauseAbility(facts({ presigned: { ...pre, safeNonce: 6, validNonces: [], readyNow: false } }), initialPauseAbilityState(), PAUSE_ABILITY_DEFAULTS);
    expect(consumed.findings.map((f) => [f.key, f.severity, f.layers])).toEqual([["pause-ability:presigned", "high", []]]);
    expect(consumed.findings[0]!.summary).toContain("the highest pre-signed nonce 5 is below the Safe's nonce 6");
    const gap = pauseAbility(facts({ presigned: { ...pre, safeNonce: 3, validNonces: [4, 5], readyNow: false } }), initialPauseAbilityState(), PAUSE_ABILITY_DEFAULTS);
    expect(gap.findings[0]!.summary).toContain("for the Safe's current nonce 3 (valid: 4, 5)");
    const changed = pauseAbility(facts({ presigned: { ...pre, configChanged: [4, 5] } }), initialPauseAbilityState(), PAUSE_ABILITY_DEFAULTS);
    expect(changed.findings.map((f) => f.key)).toEqual(["pause-ability:presigned-config"]);
    expect(changed.findings[0]!.summary).toContain("for nonces 4, 5 were signed under");
    // Without pre-signed pauses configured there is nothing to say about them.
    expect(pauseAbility(facts(), initialPauseAbilityState(), PAUSE_ABILITY_DEFAULTS).findings).toEqual([]);
  });

  it("signer liveness: a stale owner is Medium, fewer live owners than the threshold High; a removed owner's condition ends", () => {
    const signers = (aTime?: number, bTime?: number) => ({
      maxAgeSeconds: 1000,
      owners: [
        { owner: A, ...(aTime !== undefined ? { lastProof: { time: aTime, block: 1, source: "executed" } } : {}) },
        { owner: B, ...(bTime !== undefined ? { lastProof: { time: bTime, block: 2, source: "attestation" } } : {}) },
      ],
    });
    const ok = pauseAbility(facts({ signers: signers(9_500, 9_000) }), initialPauseAbilityState(), PAUSE_ABILITY_DEFAULTS);
    expect(ok.findings).toEqual([]);
    const staleB = pauseAbility(facts({ signers: signers(9_500, 8_999) }), ok.nextState, PAUSE_ABILITY_DEFAULTS);
    expect(staleB.findings.map((f) => [f.key, f.severity])).toEqual([
      [`pause-ability:signer:${B}`, "medium"],
      ["pause-ability:signer-quorum", "high"],
    ]);
    expect(staleB.findings[0]!.summary).toContain("last proved control of their key 0 days ago (attestation, block 2)");
    // B is removed and the threshold lowered to 1: B's condition and the quorum end.
    const removed = pauseAbility(
      facts({ guardian: { safe: SAFE, hasRole: true, owners: [A], threshold: 1 }, signers: { maxAgeSeconds: 1000, owners: [{ owner: A, lastProof: { time: 9_500, block: 1, source: "executed" } }] } }),
      staleB.nextState,
      PAUSE_ABILITY_DEFAULTS,
    );
    expect(removed.findings.filter((f) => f.key.startsWith("pause-ability:signer")).map((f) => [f.key, f.recovered])).toEqual([
      [`pause-ability:signer:${B}`, true],
      ["pause-ability:signer-quorum", true],
    ]);
  });
});

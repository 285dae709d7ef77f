import { describe, expect, it } from "vitest";
import type { Finding, ProbeResult, ProbeRound } from "../types.js";
import { ACCOUNT_CREATION_KEY } from "./account-creation.js";
import { DELEGATION_KEY } from "./delegation.js";
import { PROBE_DEFAULTS, initialProbesState, probeCauseLayer, probes, type ProbesState } from "./probes.js";
import type { LayerPauses } from "./symptom.js";

const HASH = `0x${"ab".repeat(32)}` as const;
const ok = (journey: ProbeResult["journey"], via = "alto", latencyMs = 100): ProbeResult => ({ journey, via, outcome: "ok", latencyMs });
const refused = (journey: ProbeResult["journey"], aaCode?: string, error?: string, via = "alto"): ProbeResult => ({
  journey,
  via,
  outcome: "failed",
  latencyMs: 120,
  causeKind: "stack",
  ...(aaCode ? { aaCode } : {}),
  ...(error ? { error } : {}),
  message: `${aaCode ?? ""} refused`,
});
const unreachable = (via = "alto"): ProbeResult => ({ journey: "bundler", via, outcome: "failed", latencyMs: 5, causeKind: "service", message: "connect ECONNREFUSED" });

/** Runs rounds every 5 blocks from block 100; returns every finding and the last state. */
function run(rounds: ProbeResult[][], pauses: LayerPauses = {}, start: ProbesState = initialProbesState()) {
  let state = start;
  const all: Array<Finding & { round: number }> = [];
  rounds.forEach((results, i) => {
    const round: ProbeRound = { chainId: 138, block: 100 + 5 * i, blockHash: HASH, observedAt: new Date(Date.UTC(2026, 11, 6, 12, 0, 10 * i)).toISOString(), results };
    const out = probes({ round, pauses }, state, PROBE_DEFAULTS);
    state = out.nextState;
    all.push(...out.findings.map((f) => ({ ...f, round: i })));
  });
  return { findings: all, state };
}

describe("probes detector", () => {
  it("healthy rounds raise nothing", () => {
    const rounds = Array.from({ length: 30 }, () => [ok("bundler"), ok("account-creation"), ok("sponsored-operation"), ok("delegation-redemption")]);
    expect(run(rounds).findings).toEqual([]);
  });

  it("account creation refused (AA13) twice in a row: High under the on-chain detector's key, the factory's layer; Critical after 10 blocks; recovers", () => {
    const bad = [ok("bundler"), refused("account-creation", "AA13", "Create2EmptyBytecode")];
    const good = [ok("bundler"), ok("account-creation")];
    const { findings } = run([good, bad, bad, bad, bad, good, good]);
    expect(findings.map((f) => [f.round, f.key, f.severity, f.recovered ?? false])).toEqual([
      [2, ACCOUNT_CREATION_KEY, "high", false],
      [3, ACCOUNT_CREATION_KEY, "critical", false], // blocks 105..115: failing for 10 blocks
      [6, ACCOUNT_CREATION_KEY, "critical", true],
    ]);
    expect(findings[0]!.layers).toEqual(["accountFactory"]);
    expect(findings[0]!.summary).toContain("AA13 Create2EmptyBytecode");
    expect(findings[0]!.summary).toContain("via alto");
    expect(findings[1]!.title).toBe("Users cannot create accounts");
  });

  it("a cause that is no guarded contract's (AA23, the account's validation) carries no layers", () => {
    const bad = [refused("sponsored-operation", "AA23")];
    const { findings } = run([bad, bad, bad, bad]);
    expect(findings[0]!.layers).toEqual([]);
    expect(findings.at(-1)!.severity).toBe("critical");
    expect(findings.at(-1)!.layers).toEqual([]);
    expect(findings[0]!.summary).toMatch(/nothing is paused/);
  });

  it("Guardian's own pause is the breaker working: no symptom; a pause made outside Guardian is one", () => {
    const paused = [refused("account-creation", "AA13", "GuardedAccountFactoryPaused")];
    expect(run([paused, paused, paused, paused], { accountFactory: "guardian" }).findings).toEqual([]);
    // AA13 with no inner reason while Guardian paused the factory: also the breaker.
    const bare = [refused("account-creation", "AA13")];
    expect(run([bare, bare, bare], { accountFactory: "guardian" }).findings).toEqual([]);
    // No pause seen at all: the contract's own paused error proves a pause the daemon missed: not counted.
    expect(run([paused, paused, paused]).findings).toEqual([]);
    // Paused outside Guardian: users are refused, and it is a symptom.
    const foreign = run([paused, paused], { accountFactory: "foreign" }).findings;
    expect(foreign.map((f) => f.key)).toEqual([ACCOUNT_CREATION_KEY]);
    // A redemption refused with EnforcedPause while Guardian paused delegations.
    const redemption = [refused("delegation-redemption", undefined, "EnforcedPause")];
    expect(run([redemption, redemption], { delegation: "guardian" }).findings).toEqual([]);
    expect(run([redemption, redemption], { delegation: "foreign" }).findings.map((f) => [f.key, f.layers])).toEqual([[DELEGATION_KEY, ["delegation"]]]);
  });

  it("a cause is counted by the journey that owns it: the factory refusing every probe is one incident, account creation's", () => {
    const round = [refused("account-creation", "AA13"), refused("sponsored-operation", "AA13"), refused("delegation-redemption", "AA13")];
    expect(run([round, round]).findings.map((f) => f.key)).toEqual([ACCOUNT_CREATION_KEY]);
    const paymaster = [ok("account-creation"), refused("sponsored-operation", "AA33", "GuardedPaymasterPaused"), refused("delegation-redemption", "AA33", "GuardedPaymasterPaused")];
    expect(run([paymaster, paymaster], { entryPoint: "foreign" }).findings.map((f) => [f.key, f.layers])).toEqual([["user-operations:failing", ["entryPoint"]]]);
  });

  it("a dead bundler is one High incident with no layers; its journeys do not count; it resolves by itself", () => {
    const dead = [unreachable(), { ...refused("account-creation"), causeKind: "service" as const }, { journey: "sponsored-operation" as const, via: "alto", outcome: "timeout" as const, latencyMs: 10_000 }];
    const back = [ok("bundler"), ok("account-creation"), ok("sponsored-operation")];
    const { findings } = run([back, dead, dead, dead, dead, back, back]);
    expect(findings.map((f) => [f.round, f.key, f.severity, f.layers, f.recovered ?? false])).toEqual([
      [2, "probes:bundler:alto", "high", [], false],
      [6, "probes:bundler:alto", "high", [], true],
    ]);
  });

  it("another bundler's refusal still counts while one bundler is down", () => {
    const round = [unreachable("alto"), ok("bundler", "other"), refused("account-creation", "AA14", undefined, "other")];
    const { findings } = run([round, round]);
    expect(findings.map((f) => f.key).sort()).toEqual([ACCOUNT_CREATION_KEY, "probes:bundler:alto"]);
  });

  it("latency far above its rolling median for two rounds: Medium performance degradation; back to normal: recovered", () => {
    const fast = Array.from({ length: 6 }, () => [ok("account-creation", "alto", 200)]);
    const slow = [ok("account-creation", "alto", 4_000)];
    const { findings, state } = run([...fast, slow, slow, ...fast.slice(0, 2)]);
    expect(findings.map((f) => [f.round, f.key, f.severity, f.recovered ?? false])).toEqual([
      [7, "probes:latency:account-creation:alto", "medium", false],
      [9, "probes:latency:account-creation:alto", "medium", true],
    ]);
    // Slow samples never enter the baseline.
    expect(state.latency["account-creation@alto"]!.samples.every((ms) => ms === 200)).toBe(true);
    // Slow but under the floor (a fast bundler's jitter): nothing.
    expect(run([...fast, [ok("account-creation", "alto", 1_500)], [ok("account-creation", "alto", 1_500)]]).findings).toEqual([]);
  });

  it("the canary included more than canarySlowBlocks blocks after sending: Medium slow account creation; fast again: recovered", () => {
    const canary = (blocks: number): ProbeResult => ({ journey: "account-creation", via: "canary:alto", outcome: "ok", latencyMs: blocks * 2000, blocks });
    const { findings } = run([[canary(1)], [canary(9)], [canary(8)], [canary(2)]]);
    expect(findings.map((f) => [f.round, f.key, f.severity, f.recovered ?? false])).toEqual([
      [1, "probes:slow-creation:canary:alto", "medium", false],
      [3, "probes:slow-creation:canary:alto", "medium", true],
    ]);
    expect(findings[0]!.summary).toMatch(/included 9 blocks/);
  });

  it("attacker-written text is cleaned and bounded in the finding", () => {
    const evil = { ...refused("account-creation", "AA13"), message: `\u001b]52;c;ZXZpbA==\u0007fake \u202e${"x".repeat(5000)}` };
    const { findings } = run([[evil], [evil]]);
    expect(findings[0]!.summary).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(findings[0]!.summary.length).toBeLessThan(900);
  });

  it("the state stays small: bounded latency samples", () => {
    const rounds = Array.from({ length: 200 }, () => [ok("bundler"), ok("account-creation", "alto", 150)]);
    const { state } = run(rounds);
    expect(state.latency["account-creation@alto"]!.samples.length).toBe(PROBE_DEFAULTS.latencySamples);
    expect(JSON.stringify(state).length).toBeLessThan(1_000);
  });
});

describe("probeCauseLayer", () => {
  it("names the guarded contract a refusal points at", () => {
    expect(probeCauseLayer("account-creation", { aaCode: "AA13" })).toEqual({ layer: "accountFactory", pausedError: false });
    expect(probeCauseLayer("account-creation", { aaCode: "AA13", error: "GuardedAccountFactoryPaused" })).toEqual({ layer: "accountFactory", pausedError: true });
    expect(probeCauseLayer("sponsored-operation", { aaCode: "AA33", error: "GuardedPaymasterPaused" })).toEqual({ layer: "entryPoint", pausedError: true });
    expect(probeCauseLayer("sponsored-operation", { aaCode: "AA31" })).toEqual({ layer: "entryPoint", pausedError: false });
    expect(probeCauseLayer("delegation-redemption", { error: "EnforcedPause" })).toEqual({ layer: "delegation", pausedError: true });
    expect(probeCauseLayer("delegation-redemption", { error: "InvalidDelegate" })).toEqual({ layer: "delegation", pausedError: false });
    expect(probeCauseLayer("sponsored-operation", { aaCode: "AA23" })).toBeUndefined();
    expect(probeCauseLayer("account-creation", {})).toBeUndefined();
  });
});

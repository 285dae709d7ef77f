import { describe, expect, it } from "vitest";
import type { Hex } from "viem";
import { K, TRUSTED, pos } from "../../../test/daemon/helpers/kit-facts.js";
import type { PendingKit } from "../decode/pending.js";
import type { KitEvent } from "../decode/kit-events.js";
import { OUTFLOW_DEFAULTS, initialOutflowState, type OutflowState } from "./outflow.js";
import { PREEMPT_DEFAULTS, preempt, type PreemptFacts } from "./preempt.js";

const ETH = 10n ** 18n;
const TX = `0x${"ab".repeat(32)}` as Hex;
const pending = (over: Partial<PendingKit> = {}): PendingKit => ({
  txHash: TX,
  from: K.stranger,
  to: K.dm,
  succeeds: true,
  traced: true,
  events: [],
  redemptions: [],
  delegatedValue: 0n,
  block: { number: 100, hash: `0x${"cd".repeat(32)}` },
  ...over,
});
const drain = (value: bigint, redeemer = K.stranger): Partial<PendingKit> => ({ delegatedValue: value, redemptions: [{ redeemer, requests: [], value }] });
const facts = (p: PendingKit, outflow: OutflowState = initialOutflowState(), over: Partial<PreemptFacts> = {}): PreemptFacts => ({
  pending: p,
  seenAt: "2026-12-07T00:00:00.000Z",
  observedAt: "2026-12-07T00:00:00.100Z",
  outflow,
  outflowThresholds: OUTFLOW_DEFAULTS,
  pauses: {},
  paymaster: K.paymaster,
  delegationManager: K.dm,
  trusted: TRUSTED,
  ...over,
});
const known = { ...PREEMPT_DEFAULTS, knownDelegates: [K.stranger] };

describe("preempt: value through delegations", () => {
  it("a pending drain above the outflow limit: Critical, marked pending and pre-emptable, under the mined detector's key", () => {
    const [f, ...rest] = preempt(facts(pending(drain(12n * ETH))), known);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      detector: "preempt",
      key: `outflow:delegations:${K.dm}`,
      severity: "critical",
      layers: ["delegation"],
      contracts: [K.dm],
      pending: { txHash: TX, from: K.stranger, seenAt: "2026-12-07T00:00:00.000Z", preemptable: true },
      evidence: { blockNumber: 100, txHash: TX, values: { pending: true, value: (12n * ETH).toString(), windowValue: (12n * ETH).toString() } },
    });
  });

  it("counts what the window already holds, as the mined detector would after the block", () => {
    const window: OutflowState = { ...initialOutflowState(), delegated: [{ n: 95, wei: (8n * ETH).toString() }, { n: 1, wei: (50n * ETH).toString() }] };
    expect(preempt(facts(pending(drain(3n * ETH)), window), known)).toHaveLength(1); // 8 + 3 ≥ 10 (block 1 is outside the window)
    expect(preempt(facts(pending(drain(1n * ETH)), window), known)).toEqual([]); // 9 < 10
  });

  it("a large redemption by an unknown delegate, below the limit: Critical; by a known delegate nothing", () => {
    expect(preempt(facts(pending(drain(6n * ETH))), PREEMPT_DEFAULTS)[0]?.evidence?.values.unknownDelegate).toBe(K.stranger);
    expect(preempt(facts(pending(drain(6n * ETH))), known)).toEqual([]);
    expect(preempt(facts(pending(drain(4n * ETH))), PREEMPT_DEFAULTS)).toEqual([]); // under 5 ETH
  });

  it("nothing when the simulation reverts or the layer is already paused", () => {
    expect(preempt(facts(pending({ ...drain(12n * ETH), succeeds: false })), known)).toEqual([]);
    expect(preempt(facts(pending(drain(12n * ETH)), undefined, { pauses: { delegation: "guardian" } }), known)).toEqual([]);
  });
});

describe("preempt: the paymaster's deposit", () => {
  const withdrawn = (to: `0x${string}`, amount: bigint): KitEvent => ({ kind: "ep.withdrawn", account: K.paymaster, withdrawAddress: to, amount: amount.toString(), at: pos(101) });
  const sponsored = (cost: bigint): KitEvent => ({ kind: "ep.userOperation", userOpHash: TX, sender: K.alice, paymaster: K.paymaster, nonce: "0", success: true, actualGasCost: cost.toString(), actualGasUsed: "1", at: pos(101) });
  const deposit: OutflowState = { ...initialOutflowState(), deposit: (10n * ETH).toString() };

  it("a withdrawal to an untrusted account opens the incident early, not pre-emptable (no pause stops it)", () => {
    const [f] = preempt(facts(pending({ events: [withdrawn(K.stranger, ETH)] }), deposit), known);
    expect(f).toMatchObject({ key: `outflow:paymaster-deposit:${K.paymaster}`, severity: "critical", layers: ["entryPoint"], pending: { preemptable: false } });
    expect(preempt(facts(pending({ events: [withdrawn(K.deployer, ETH)] }), deposit), known)).toEqual([]); // a trusted owner's planned withdrawal
  });

  it("sponsored gas that would take the window to the drain fraction: pre-emptable", () => {
    expect(preempt(facts(pending({ events: [sponsored(6n * ETH)] }), deposit), known)[0]).toMatchObject({ title: "Pending operations would drain the paymaster", pending: { preemptable: true } });
    expect(preempt(facts(pending({ events: [sponsored(ETH)] }), deposit), known)).toEqual([]);
    expect(preempt(facts(pending({ events: [sponsored(6n * ETH)] }), deposit, { pauses: { entryPoint: "guardian" } }), known)).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { encodeAbiParameters, encodeEventTopics, encodeFunctionData, encodePacked, parseAbi, type Hex } from "viem";
import { K, KIT_CONTRACTS } from "../../../test/daemon/helpers/kit-facts.js";
import { delegationManagerEventsAbi, entryPointEventsAbi } from "./kit-abis.js";
import { decodePending, pendingRelevance, type CallFrame, type PendingSimulation, type PendingTxFacts } from "./pending.js";

const ETH = 10n ** 18n;
const TX = `0x${"ab".repeat(32)}` as Hex;
const BLOCK = { number: 41, hash: `0x${"cd".repeat(32)}` as Hex };
const victim = `0x${"0c".repeat(20)}` as const;
const thief = `0x${"ee".repeat(20)}` as const;

const dmAbi = parseAbi(["function redeemDelegations(bytes[] permissionContexts, bytes32[] modes, bytes[] executionCallDatas)"]);
const delegationTuple = [
  {
    type: "tuple[]",
    components: [
      { name: "delegate", type: "address" },
      { name: "delegator", type: "address" },
      { name: "authority", type: "bytes32" },
      { name: "caveats", type: "tuple[]", components: [{ name: "enforcer", type: "address" }, { name: "terms", type: "bytes" }, { name: "args", type: "bytes" }] },
      { name: "salt", type: "uint256" },
      { name: "signature", type: "bytes" },
    ],
  },
] as const;
const delegation = { delegate: K.delegate, delegator: victim, authority: `0x${"ff".repeat(32)}` as Hex, caveats: [], salt: 1n, signature: "0x" as Hex };
/** A redemption moving `value` from the victim to the thief (ERC-7579 single execution). */
const redeem = (value: bigint) =>
  encodeFunctionData({
    abi: dmAbi,
    functionName: "redeemDelegations",
    args: [[encodeAbiParameters(delegationTuple, [[delegation]])], [`0x${"00".repeat(32)}`], [encodePacked(["address", "uint256", "bytes"], [thief, value, "0x"])]],
  });
const redeemedLog = () => ({
  address: K.dm,
  topics: encodeEventTopics({ abi: delegationManagerEventsAbi, eventName: "RedeemedDelegation", args: { rootDelegator: victim, redeemer: K.delegate } }) as string[],
  data: encodeAbiParameters([{ type: "tuple", components: delegationTuple[0].components }], [delegation]),
});

const direct = (value: bigint): PendingTxFacts => ({ hash: TX, from: K.delegate, to: K.dm, input: redeem(value), value: 0n });
/** The call tracer's view of a redemption: DM → victim account → thief (value), with the DM's event. */
const trace = (value: bigint, revertInner = false): CallFrame => ({
  type: "CALL",
  from: K.delegate,
  to: K.dm,
  input: redeem(value),
  logs: [redeemedLog()],
  calls: [{ type: "CALL", from: K.dm, to: victim, value: "0x0", calls: [{ type: "CALL", from: victim, to: thief, value: `0x${value.toString(16)}`, ...(revertInner ? { error: "execution reverted" } : {}) }] }],
});
const sim = (over: Partial<PendingSimulation> = {}): PendingSimulation => ({ block: BLOCK, ok: true, ...over });

describe("pendingRelevance", () => {
  const wanted = pendingRelevance(KIT_CONTRACTS);
  it("lets through transactions to watched contracts, and those carrying the DelegationManager or a redemption in their input", () => {
    expect(wanted({ to: K.dm, input: "0x" })).toBe(true);
    expect(wanted({ to: K.entryPoint.toUpperCase().replace("0X", "0x") as never, input: "0x" })).toBe(true);
    expect(wanted({ to: K.alice, input: `0x1234${K.dm.slice(2)}` })).toBe(true);
    expect(wanted({ to: K.alice, input: redeem(1n) })).toBe(true); // an account's own redeemDelegations, or a batch carrying one
    expect(wanted({ to: K.alice, input: "0xa9059cbb" })).toBe(false);
    expect(wanted({ to: null, input: "0x6080" })).toBe(false);
  });
});

describe("decodePending", () => {
  it("with a trace: the redemption, the DM's event and the value leaving the delegator", () => {
    const p = decodePending(direct(12n * ETH), sim({ trace: trace(12n * ETH) }), KIT_CONTRACTS);
    expect(p).toMatchObject({ succeeds: true, traced: true, delegatedValue: 12n * ETH, block: BLOCK });
    expect(p.redemptions).toEqual([{ redeemer: K.delegate, requests: [expect.objectContaining({ rootDelegator: victim, delegate: K.delegate, value: (12n * ETH).toString() })], value: 12n * ETH }]);
    expect(p.events.map((e) => e.kind)).toEqual(["dm.redeemed"]);
  });

  it("value of a reverted frame does not count; a redemption inside another contract's call is found", () => {
    expect(decodePending(direct(12n * ETH), sim({ trace: trace(12n * ETH, true) }), KIT_CONTRACTS).delegatedValue).toBe(0n);
    const viaAccount: CallFrame = { type: "CALL", from: K.bob, to: K.entryPoint, calls: [{ type: "CALL", from: K.alice, to: K.dm, input: redeem(3n * ETH), logs: [redeemedLog()], calls: trace(3n * ETH).calls! }] };
    const p = decodePending({ hash: TX, from: K.bob, to: K.entryPoint, input: "0x", value: 0n }, sim({ trace: viaAccount }), KIT_CONTRACTS);
    expect(p.redemptions.map((r) => r.redeemer)).toEqual([K.alice]);
    expect(p.delegatedValue).toBe(3n * ETH);
  });

  it("without a trace: a direct redemption is read from its input; a bundle's value stays unknown", () => {
    expect(decodePending(direct(5n * ETH), sim(), KIT_CONTRACTS)).toMatchObject({ traced: false, delegatedValue: 5n * ETH, events: [] });
    expect(decodePending({ hash: TX, from: K.bob, to: K.entryPoint, input: "0x1234", value: 0n }, sim(), KIT_CONTRACTS).delegatedValue).toBe(0n);
  });

  it("a reverting simulation does nothing and says why", () => {
    const paused = "0xd93c0665" as Hex; // EnforcedPause()
    const p = decodePending(direct(12n * ETH), sim({ ok: false, revertData: paused }), KIT_CONTRACTS);
    expect(p).toMatchObject({ succeeds: false, delegatedValue: 0n, redemptions: [], revert: { kind: "custom", name: "EnforcedPause" } });
  });

  it("malformed trace parts are skipped, and the walk is bounded", () => {
    const junk = { type: "CALL", from: 7, to: K.dm, logs: [{ address: "nope", topics: ["0x1"], data: 5 }, null], calls: [null, "x"] } as unknown as CallFrame;
    expect(decodePending(direct(1n), sim({ trace: junk }), KIT_CONTRACTS)).toMatchObject({ events: [], redemptions: [], delegatedValue: 0n });
    let deep: CallFrame = { type: "CALL", from: victim, to: thief, value: "0x1" };
    for (let i = 0; i < 5_000; i++) deep = { type: "CALL", from: K.bob, to: K.alice, calls: [deep] };
    const withEvent: CallFrame = { ...trace(0n), calls: [deep] };
    expect(decodePending(direct(0n), sim({ trace: withEvent }), KIT_CONTRACTS).delegatedValue).toBe(0n); // beyond the depth bound
  });

  it("the paymaster's withdrawal in the trace's logs is decoded like a mined one", () => {
    const withdrawn = {
      address: K.entryPoint,
      topics: encodeEventTopics({ abi: entryPointEventsAbi, eventName: "Withdrawn", args: { account: K.paymaster } }) as string[],
      data: encodeAbiParameters([{ type: "address" }, { type: "uint256" }], [K.stranger, 4n * ETH]),
    };
    const p = decodePending({ hash: TX, from: K.deployer, to: K.paymaster, input: "0x", value: 0n }, sim({ trace: { type: "CALL", from: K.deployer, to: K.paymaster, calls: [{ type: "CALL", from: K.paymaster, to: K.entryPoint, logs: [withdrawn] }] } }), KIT_CONTRACTS);
    expect(p.events).toEqual([expect.objectContaining({ kind: "ep.withdrawn", account: K.paymaster, withdrawAddress: K.stranger, amount: (4n * ETH).toString() })]);
  });
});

import { describe, expect, test } from "vitest";
import { K, bundle, kitBlock, op, redeemedEvent, redemption, runDetector } from "../../../test/daemon/helpers/kit-facts.js";
import type { KitBlock } from "../decode/kit-block.js";
import type { DecodedRevert } from "../decode/revert.js";
import { DELEGATION_DEFAULTS as T, delegation, initialDelegationState, type DelegationFacts } from "./delegation.js";
import type { LayerPauses } from "./symptom.js";

const facts = (kit: KitBlock, pauses: LayerPauses = {}): DelegationFacts => ({ kit, pauses, delegationManager: K.dm });
const run = (blocks: DelegationFacts[], thresholds = T) => runDetector(delegation, blocks, initialDelegationState(), thresholds);
const expired: DecodedRevert = { kind: "error", message: "TimestampEnforcer:expired-delegation" };
const disabled: DecodedRevert = { kind: "custom", name: "CannotUseADisabledDelegation", args: {} };
const paused: DecodedRevert = { kind: "custom", name: "EnforcedPause", args: {} };
const redeemed = (n: number) => {
  const r = redemption();
  return kitBlock(n, { redemptions: [r], events: [redeemedEvent(n, r.txHash)] });
};
const refused = (n: number, revert?: DecodedRevert) =>
  kitBlock(n, { redemptions: [redemption({ status: "reverted", revertKnown: revert !== undefined, ...(revert ? { revert } : {}) })] });

describe("delegation", () => {
  test("successful redemptions raise nothing", () => {
    expect(run(Array.from({ length: 30 }, (_, i) => facts(redeemed(i + 1)))).findings).toEqual([]);
  });

  test("redemptions refused for their cause against successful ones: High", () => {
    const { findings } = run([facts(redeemed(1)), facts(refused(2, expired)), facts(refused(3, disabled))]);
    expect(findings).toMatchObject([
      {
        block: 3,
        key: "delegation:failing",
        severity: "high",
        title: "Delegation redemptions failing",
        layers: ["delegation"],
        contracts: [K.dm],
        evidence: { values: { failures: 2, redemptions: 1, causes: "disabled ×1, expired ×1" } },
      },
    ]);
  });

  test("each cause is named; no revert data is 'unknown'", () => {
    const causes: Array<DecodedRevert | undefined> = [
      { kind: "custom", name: "InvalidDelegate", args: {} },
      { kind: "custom", name: "InvalidERC1271Signature", args: {} },
      { kind: "error", message: "NativeTokenTransferAmountEnforcer:allowance-exceeded" },
      undefined,
    ];
    const { findings } = run(causes.map((c, i) => facts(refused(i + 1, c))));
    expect(findings.at(-1)?.evidence?.values.causes).toBe("enforcer ×1, invalid-delegate ×1, invalid-signature ×1, unknown ×1");
  });

  test("'paused' while Guardian paused the delegation layer is expected; after a foreign pause it counts", () => {
    const blocks = [1, 2, 3].map((n) => refused(n, paused));
    expect(run(blocks.map((b) => facts(b, { delegation: "guardian" }))).findings).toEqual([]);
    expect(run(blocks.map((b) => facts(b))).findings).toEqual([]);
    expect(run(blocks.map((b) => facts(b, { delegation: "foreign" }))).findings[0]?.evidence?.values.causes).toBe("paused ×2");
  });

  test("a smart account redeeming through a user operation: the op's revert is the refusal", () => {
    const viaOp = (n: number) => kitBlock(n, { bundles: [bundle([op({ status: "reverted", revert: disabled, logIndex: 4 })])] });
    const otherRevert = (n: number) => kitBlock(n, { bundles: [bundle([op({ status: "reverted", revert: { kind: "error", message: "no funds" } })])] });
    expect(run([facts(viaOp(1)), facts(viaOp(2))]).findings[0]?.evidence).toMatchObject({ logIndex: 4, values: { causes: "disabled ×2" } });
    expect(run([facts(otherRevert(1)), facts(otherRevert(2))]).findings).toEqual([]);
  });

  test("only operations that called the DelegationManager count: a direct enforcer call reverting with its message is no redemption", () => {
    const enforcer = "0x00000000000000000000000000000000000e4f0c" as const;
    const call = (n: number, calls: { targets: `0x${string}`[]; redeems: boolean } | undefined, revert: DecodedRevert) =>
      facts(kitBlock(n, { bundles: [bundle([op({ status: "reverted", revert, ...(calls ? { calls } : {}) })])] }));
    const direct = (n: number) => call(n, { targets: [enforcer], redeems: false }, expired);
    expect(run([direct(1), direct(2), direct(3)]).findings).toEqual([]);
    // Through the DelegationManager (a target of the account's execute, or the account's own redeemDelegations): counted.
    const viaManager = (n: number) => call(n, { targets: [K.dm], redeems: false }, expired);
    const viaAccount = (n: number) => call(n, { targets: [], redeems: true }, expired);
    expect(run([viaManager(1), viaAccount(2)]).findings[0]?.evidence?.values.causes).toBe("expired ×2");
    // Calls unknown: the manager's own errors count, a bare enforcer message does not.
    expect(run([call(1, undefined, expired), call(2, undefined, expired)]).findings).toEqual([]);
    expect(run([call(1, undefined, disabled), call(2, undefined, disabled)]).findings[0]?.evidence?.values.causes).toBe("disabled ×2");
  });

  test("RedeemedDelegation of one chain counts once per transaction", () => {
    const r = redemption();
    const chain = kitBlock(1, { redemptions: [r], events: [redeemedEvent(1, r.txHash), redeemedEvent(1, r.txHash)] });
    const { findings } = run([facts(chain), facts(refused(2, expired)), facts(refused(3, expired))], { ...T, maxFailureRate: 0.6 });
    expect(findings[0]?.evidence?.values).toMatchObject({ failures: 2, redemptions: 1 });
  });

  test("recovers clearBlocks after the rate last held", () => {
    const blocks = [facts(refused(1, expired)), facts(refused(2, expired)), ...Array.from({ length: 30 }, (_, i) => facts(redeemed(i + 3)))];
    const recovered = run(blocks).findings.filter((f) => f.recovered);
    // 2 failures against k-2 successes: at least 50% up to block 4.
    expect(recovered.map((f) => f.block)).toEqual([4 + T.clearBlocks]);
  });
});

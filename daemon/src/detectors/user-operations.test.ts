import { describe, expect, test } from "vitest";
import { K, bundle, kitBlock, op, refusedCreation, runDetector } from "../../../test/daemon/helpers/kit-facts.js";
import type { KitBlock } from "../decode/kit-block.js";
import type { DecodedRevert } from "../decode/revert.js";
import type { LayerPauses } from "./symptom.js";
import { USER_OPERATIONS_DEFAULTS as T, initialUserOperationsState, userOperations, type UserOperationsFacts } from "./user-operations.js";

const facts = (kit: KitBlock, pauses: LayerPauses = {}): UserOperationsFacts => ({ kit, pauses, entryPoint: K.entryPoint, paymaster: K.paymaster });
const run = (blocks: UserOperationsFacts[], thresholds = T) => runDetector(userOperations, blocks, initialUserOperationsState(), thresholds);
const healthy = (n: number, ops = 2) => kitBlock(n, { bundles: [bundle(Array.from({ length: ops }, () => op()))] });
const unauthorized: DecodedRevert = { kind: "custom", name: "AccessControlUnauthorizedAccount", args: {} };
const reverting = (n: number) => kitBlock(n, { bundles: [bundle([op({ status: "reverted", revert: unauthorized, logIndex: 3 })])] });
const refused = (n: number, reason: string, inner?: DecodedRevert) => {
  const code = reason.slice(0, 4) as `AA${number}`;
  const revert: DecodedRevert = { kind: "failed-op", opIndex: 0, reason, code, ...(inner ? { inner } : {}) };
  return kitBlock(n, { bundles: [bundle([op({ status: "refused", code, revert })], { status: "reverted", revertKnown: true, revert })] });
};

describe("user-operations", () => {
  test("healthy operations raise nothing", () => {
    expect(run(Array.from({ length: 40 }, (_, i) => facts(healthy(i + 1)))).findings).toEqual([]);
  });

  test("operations reverting in the account (success=false): High once the rate passes the threshold", () => {
    const { findings } = run([facts(healthy(1)), facts(reverting(2)), facts(reverting(3))]);
    expect(findings).toMatchObject([
      {
        block: 3,
        key: "user-operations:failing",
        severity: "high",
        layers: ["entryPoint"],
        contracts: [K.entryPoint, K.paymaster],
        evidence: { values: { failures: 2, operations: 4, failureRate: 0.5, causes: "reverted AccessControlUnauthorizedAccount ×2" }, logIndex: 3 },
      },
    ]);
  });

  test("refused ops (AA2x/AA3x), postOp reverts and bundles reverted without data are failures", () => {
    const postOp = kitBlock(3, { bundles: [bundle([op({ status: "reverted", postOpReverted: true, revert: { kind: "empty" } })])] });
    const unknown = kitBlock(4, { bundles: [bundle([op({ status: "unknown" }), op({ status: "unknown" })], { status: "reverted" })] });
    const { findings } = run([facts(refused(1, "AA25 invalid account nonce")), facts(refused(2, "AA33 reverted", { kind: "error", message: "x" })), facts(postOp), facts(unknown)]);
    expect(findings.at(-1)?.evidence?.values).toMatchObject({
      failures: 4, // one per bundle of unknown cause
      causes: 'AA25 ×1, AA33 → "x" ×1, bundle reverted (no revert data) ×1, postOp (no reason) ×1',
    });
  });

  test("creation failures (AA1x) and ops not included in a refused bundle are account-creation's or nobody's", () => {
    const notIncluded = kitBlock(2, { bundles: [bundle([op({ status: "not-included" }), op({ status: "not-included" })], { status: "reverted" })] });
    expect(run([facts(kitBlock(1, { bundles: [refusedCreation("AA13 initCode failed or OOG")] })), facts(notIncluded), facts(kitBlock(3, { bundles: [refusedCreation("AA14 x")] }))]).findings).toEqual([]);
  });

  test("a paymaster paused by Guardian is the breaker working; paused outside Guardian it is a symptom", () => {
    const blocks = (n: number) => refused(n, "AA33 reverted", { kind: "custom", name: "GuardedPaymasterPaused", args: {} });
    expect(run([1, 2, 3].map((n) => facts(blocks(n), { entryPoint: "guardian" }))).findings).toEqual([]);
    expect(run([1, 2, 3].map((n) => facts(blocks(n)))).findings).toEqual([]);
    expect(run([1, 2, 3].map((n) => facts(blocks(n), { entryPoint: "foreign" }))).findings.length).toBeGreaterThan(0);
  });

  test("repeats on each failing block, then recovers clearBlocks blocks after the rate last held", () => {
    const blocks = [...[1, 2, 3, 4].map((n) => facts(reverting(n))), ...Array.from({ length: 40 }, (_, i) => facts(healthy(i + 5, 1)))];
    const { findings } = run(blocks);
    // 4 failures against k-4 successes: at least 25% up to block 16.
    expect(findings.map((f) => [f.block, f.recovered ?? false])).toEqual([
      [2, false],
      [3, false],
      [4, false],
      [16 + T.clearBlocks, true],
    ]);
    expect(findings.at(-1)).toMatchObject({ key: "user-operations:failing", severity: "high", title: "User operations succeed again" });
  });

  test("thresholds are honoured", () => {
    const blocks = [facts(healthy(1, 10)), facts(reverting(2)), facts(reverting(3))]; // 2 of 12 = 16.7%
    expect(run(blocks).findings).toEqual([]);
    expect(run(blocks, { ...T, maxFailureRate: 0.1 }).findings).toHaveLength(1);
    expect(run(blocks, { ...T, maxFailureRate: 0.1, severity: "medium" }).findings[0]?.severity).toBe("medium");
  });
});

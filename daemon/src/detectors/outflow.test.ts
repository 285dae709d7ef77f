import { describe, expect, test } from "vitest";
import { K, TRUSTED, hash, kitBlock, pos, redemption, runDetector } from "../../../test/daemon/helpers/kit-facts.js";
import type { KitEvent } from "../decode/kit-events.js";
import { OUTFLOW_DEFAULTS as T, initialOutflowState, outflow, type OutflowFacts } from "./outflow.js";

const ETH = 10n ** 18n;
const facts = (n: number, parts: Parameters<typeof kitBlock>[1]): OutflowFacts => ({ kit: kitBlock(n, parts), paymaster: K.paymaster, delegationManager: K.dm, trusted: TRUSTED });
const run = (blocks: OutflowFacts[], thresholds = T) => runDetector(outflow, blocks, initialOutflowState(), thresholds);
const deposited = (n: number, total: bigint): KitEvent => ({ kind: "ep.deposited", account: K.paymaster, totalDeposit: total.toString(), at: pos(n) });
const withdrawn = (n: number, amount: bigint, to: `0x${string}` = K.deployer): KitEvent => ({ kind: "ep.withdrawn", account: K.paymaster, withdrawAddress: to, amount: amount.toString(), at: pos(n, hash(n, 6), 2) });
const sponsored = (n: number, cost: bigint, i = 0): KitEvent => ({
  kind: "ep.userOperation",
  userOpHash: hash(n, 9),
  sender: K.alice,
  paymaster: K.paymaster,
  nonce: String(i),
  success: true,
  actualGasCost: cost.toString(),
  actualGasUsed: "100000",
  at: pos(n, hash(n, 7), i),
});

describe("outflow: the paymaster's deposit", () => {
  test("the owner withdrawing most of the deposit: Critical, funds at risk", () => {
    const { findings, state } = run([facts(1, { events: [deposited(1, 10n * ETH)] }), facts(2, { events: [withdrawn(2, 9n * ETH)] })]);
    expect(findings).toMatchObject([
      {
        key: `outflow:paymaster-deposit:${K.paymaster}`,
        severity: "critical",
        title: "Paymaster deposit withdrawn: funds at risk",
        layers: ["entryPoint"],
        contracts: [K.paymaster],
        evidence: { txHash: hash(2, 6), logIndex: 2, values: { amount: (9n * ETH).toString(), deposit: ETH.toString(), drainFraction: 0.9 } },
      },
    ]);
    expect(state.deposit).toBe(ETH.toString());
  });

  test("a small planned withdrawal by a trusted owner is Medium; to an unknown account Critical whatever the amount", () => {
    expect(run([facts(1, { events: [deposited(1, 10n * ETH)] }), facts(2, { events: [withdrawn(2, ETH)] })]).findings[0]).toMatchObject({ severity: "medium", title: "Paymaster deposit withdrawal" });
    expect(run([facts(1, { events: [deposited(1, 10n * ETH)] }), facts(2, { events: [withdrawn(2, 1n, K.stranger)] })]).findings[0]?.severity).toBe("critical");
  });

  test("a withdrawal while the deposit's size is unknown is Critical", () => {
    expect(run([facts(1, { events: [withdrawn(1, 1n)] })]).findings[0]?.summary).toContain("size is unknown");
  });

  test("sponsored gas draining half the deposit within the window: Critical, then recovered", () => {
    const blocks = [facts(1, { events: [deposited(1, 10n * ETH)] }), ...Array.from({ length: 6 }, (_, i) => facts(i + 2, { events: [sponsored(i + 2, ETH)] }))];
    const quiet = Array.from({ length: 2 * T.windowBlocks + 10 }, (_, i) => facts(i + 8, {}));
    const { findings } = run([...blocks, ...quiet]);
    const first = findings.find((f) => !f.recovered);
    expect(first).toMatchObject({ block: 6, severity: "critical", title: "Paymaster deposit draining fast" }); // 5 of 10 ETH by block 6
    expect(findings.filter((f) => f.recovered)).toHaveLength(1);
  });

  test("everyday sponsoring is no outflow", () => {
    const blocks = [facts(1, { events: [deposited(1, ETH)] }), ...Array.from({ length: 300 }, (_, i) => facts(i + 2, { events: [sponsored(i + 2, 10n ** 14n)] }))];
    const { findings, state } = run(blocks);
    expect(findings).toEqual([]);
    expect(state.depositOut.length).toBeLessThanOrEqual(T.windowBlocks);
  });
});

describe("outflow: value through delegations", () => {
  test("more than the limit within the window: Critical on the delegation layer", () => {
    const r = (n: number, value: bigint) => facts(n, { redemptions: [redemption({ value: value.toString() })] });
    const { findings } = run([r(1, 6n * ETH), r(2, ETH), r(3, 6n * ETH)]);
    expect(findings).toMatchObject([
      { block: 3, key: `outflow:delegations:${K.dm}`, severity: "critical", layers: ["delegation"], evidence: { values: { windowValue: (13n * ETH).toString(), largestValue: (6n * ETH).toString() } } },
    ]);
  });

  test("reverted redemptions move nothing; values spread beyond the window do not add up", () => {
    expect(run([facts(1, { redemptions: [redemption({ value: (20n * ETH).toString(), status: "reverted" })] })]).findings).toEqual([]);
    const spread = Array.from({ length: 5 }, (_, i) => facts(1 + i * T.windowBlocks, { redemptions: [redemption({ value: (6n * ETH).toString() })] }));
    expect(run(spread).findings).toEqual([]);
  });
});

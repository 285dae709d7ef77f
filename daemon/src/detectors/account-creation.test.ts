import { describe, expect, test } from "vitest";
import { K, bundle, creation, factoryCall, kitBlock, op, refusedCreation, runDetector } from "../../../test/daemon/helpers/kit-facts.js";
import type { KitBlock } from "../decode/kit-block.js";
import { ACCOUNT_CREATION_DEFAULTS as T, accountCreation, initialAccountCreationState, type AccountCreationFacts } from "./account-creation.js";
import type { LayerPauses } from "./symptom.js";

const facts = (kit: KitBlock, pauses: LayerPauses = {}): AccountCreationFacts => ({ kit, pauses, factory: K.factory, entryPoint: K.entryPoint });
const ok = (n: number) => {
  const c = creation(n, `0x${n.toString(16).padStart(40, "a")}`);
  return kitBlock(n, { bundles: [c.bundle], events: c.events });
};
const failing = (n: number, reason = "AA14 initCode must return sender") => kitBlock(n, { bundles: [refusedCreation(reason)] });
const run = (blocks: AccountCreationFacts[], thresholds = T) => runDetector(accountCreation, blocks, initialAccountCreationState(), thresholds);

describe("account-creation", () => {
  test("healthy creations raise nothing", () => {
    expect(run(Array.from({ length: 50 }, (_, i) => facts(ok(i + 1)))).findings).toEqual([]);
  });

  test("a failure rate over the threshold is High: key, layers, cause and evidence", () => {
    const { findings } = run([facts(ok(1)), facts(failing(2)), facts(ok(3)), facts(failing(4))]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      block: 4,
      detector: "account-creation",
      key: "account-creation:failing",
      severity: "high",
      title: "Account creation failing",
      layers: ["accountFactory"],
      contracts: [K.factory, K.entryPoint],
      evidence: { blockNumber: 4, values: { failures: 2, creations: 2, failureRate: 0.5, causes: "AA14 ×2" } },
    });
    expect(findings[0]?.evidence?.txHash).toMatch(/^0x/);
  });

  test("below the rate, or below minFailures, nothing", () => {
    expect(run([facts(ok(1)), facts(ok(2)), facts(failing(3)), facts(ok(4)), facts(failing(5))]).findings).toEqual([]); // 2 of 5 = 40%
    expect(run([facts(failing(1))]).findings).toEqual([]);
  });

  test("every creation failing for unavailableBlocks blocks: Critical, same key (the incident rises)", () => {
    const blocks = Array.from({ length: 12 }, (_, i) => facts(failing(i + 1)));
    const { findings } = run(blocks);
    expect(findings.map((f) => [f.block, f.severity])).toEqual([
      [2, "high"], [3, "high"], [4, "high"], [5, "high"], [6, "high"], [7, "high"], [8, "high"], [9, "high"],
      [10, "critical"], [11, "critical"], [12, "critical"],
    ]);
    expect(new Set(findings.map((f) => f.key))).toEqual(new Set(["account-creation:failing"]));
    expect(findings[8]).toMatchObject({ title: "Users cannot create accounts" });
    expect(findings[8]?.summary).toContain("for 10 blocks (since #1, 10 failures, no success)");
  });

  test("one success breaks the run: no Critical", () => {
    const blocks = Array.from({ length: 12 }, (_, i) => facts(i === 6 ? ok(i + 1) : failing(i + 1)));
    expect(run(blocks).findings.map((f) => f.severity)).not.toContain("critical");
  });

  test("recovered after clearBlocks blocks without the symptom, with the same key and severity", () => {
    const blocks = [facts(failing(1)), facts(failing(2)), ...Array.from({ length: 25 }, (_, i) => facts(ok(i + 3)))];
    const { findings, state } = run(blocks);
    const recovered = findings.filter((f) => f.recovered);
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatchObject({ key: "account-creation:failing", severity: "high", title: "Account creation works again" });
    // The rate last held at block 4 (2 of 4 = 50%); it clears clearBlocks later.
    expect(recovered[0]?.block).toBe(4 + T.clearBlocks);
    expect(state.active).toBeUndefined();
  });

  test("while Guardian pauses the factory, AA13 and the factory's paused error are the breaker working", () => {
    const paused = (n: number) =>
      kitBlock(n, {
        bundles: [refusedCreation("AA13 initCode failed or OOG")],
        factoryCalls: [factoryCall({ revertKnown: true, revert: { kind: "custom", name: "GuardedAccountFactoryPaused", args: {} } })],
      });
    const blocks = Array.from({ length: 12 }, (_, i) => paused(i + 1));
    expect(run(blocks.map((k) => facts(k, { accountFactory: "guardian" }))).findings).toEqual([]);
    // A pause made outside Guardian is a symptom.
    expect(run(blocks.map((k) => facts(k, { accountFactory: "foreign" }))).findings.at(-1)).toMatchObject({ severity: "critical" });
    // No pause seen: AA13 counts (it has many causes), the contract's own "paused" error does not.
    expect(run(blocks.map((k) => facts(k))).findings.at(-1)?.evidence?.values.causes).toBe("AA13 ×12");
  });

  test("while Guardian pauses its factory, AA13 through another factory (the kit's SimpleFactory) still counts", () => {
    const through = (n: number, factory: `0x${string}`) => {
      const b = refusedCreation("AA13 initCode failed or OOG");
      b.ops[0]!.factory = factory;
      return facts(kitBlock(n, { bundles: [b] }), { accountFactory: "guardian" });
    };
    const other = "0x00000000000000000000000000000000005f5f5f" as const;
    expect(run(Array.from({ length: 4 }, (_, i) => through(i + 1, K.factory))).findings).toEqual([]);
    const { findings } = run(Array.from({ length: 4 }, (_, i) => through(i + 1, other)));
    expect(findings[0]).toMatchObject({ key: "account-creation:failing", severity: "high" });
    expect(findings.at(-1)?.evidence?.values.causes).toBe("AA13 ×4");
  });

  test("failures without revert data, creations executed without AccountDeployed, reverted factory calls", () => {
    const unknown = kitBlock(1, { bundles: [bundle([op({ creates: true, status: "unknown" })], { status: "reverted" })] });
    const notDeployed = kitBlock(2, { bundles: [bundle([op({ creates: true, deployed: false, status: "succeeded" })])] });
    const factory = kitBlock(3, { factoryCalls: [factoryCall({ revertKnown: true, revert: { kind: "custom", name: "GuardedAccountFactoryEmptyContract", args: {} } })] });
    const { findings } = run([facts(unknown), facts(notDeployed), facts(factory)]);
    expect(findings.at(-1)?.evidence?.values.causes).toBe("bundle reverted (no revert data) ×1, factory GuardedAccountFactoryEmptyContract ×1, not deployed ×1");
  });

  test("refusals of creating ops by the account or the paymaster (AA2x, AA3x) are not creation failures", () => {
    const blocks = Array.from({ length: 5 }, (_, i) => facts(failing(i + 1, "AA33 reverted")));
    expect(run(blocks).findings).toEqual([]);
    // AA20: the account was never deployed.
    const aa20 = Array.from({ length: 3 }, (_, i) => facts(kitBlock(i + 1, { bundles: [refusedCreation("AA20 account not deployed")] })));
    expect(run(aa20).findings[0]?.evidence?.values.causes).toBe("AA20 ×2");
  });

  test("the state stays bounded and JSON", () => {
    const blocks = Array.from({ length: 500 }, (_, i) => facts(i % 3 === 0 ? failing(i + 1) : ok(i + 1)));
    const { state } = run(blocks);
    expect(state.samples.length).toBeLessThanOrEqual(T.windowBlocks);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  test("deterministic: the same blocks give the same findings", () => {
    const blocks = Array.from({ length: 12 }, (_, i) => facts(failing(i + 1)));
    expect(run(blocks)).toEqual(run(blocks));
  });
});

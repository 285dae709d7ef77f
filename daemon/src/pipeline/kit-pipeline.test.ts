import { encodeFunctionData, type Hex } from "viem";
import { entryPoint07Abi, toPackedUserOperation } from "viem/account-abstraction";
import { describe, expect, test } from "vitest";
import { layerPausedLog, pausableLog } from "../../../test/daemon/helpers/logs.js";
import { K, KIT_CONTRACTS, TRUSTED, blockFacts, errorData, eventLog, hash, receipt, transaction } from "../../../test/daemon/helpers/kit-facts.js";
import { entryPointErrorsAbi, entryPointEventsAbi } from "../decode/kit-abis.js";
import type { BlockFacts, Finding } from "../types.js";
import { withRevertData, revertedTransactions } from "./enrich.js";
import { kitWatchConfig } from "./kit-config.js";
import { initialPipelineState, layerPauses, pipelineOverrides, processBlock, type PipelineConfig, type PipelineState } from "./pipeline.js";

const config: PipelineConfig = {
  chainId: 31337,
  blockTimeMs: 2_000,
  decode: { hub: K.hub, targets: { [K.factory]: "accountFactory", [K.paymaster]: "entryPoint", [K.dm]: "delegation" } },
  kit: { contracts: KIT_CONTRACTS, trusted: TRUSTED },
};

/** A block with one bundle creating an account, refused by the EntryPoint. */
function refusedCreationBlock(n: number): { facts: BlockFacts; tx: Hex } {
  const tx = hash(n, 8);
  const op = toPackedUserOperation({
    sender: K.alice,
    nonce: 0n,
    factory: K.factory,
    factoryData: "0x01",
    callData: "0x",
    callGasLimit: 1n,
    verificationGasLimit: 1n,
    preVerificationGas: 1n,
    maxFeePerGas: 1n,
    maxPriorityFeePerGas: 1n,
    signature: "0x",
  });
  const input = encodeFunctionData({ abi: entryPoint07Abi, functionName: "handleOps", args: [[op], K.deployer] });
  return {
    facts: blockFacts(n, { txs: [{ tx: transaction({ hash: tx, to: K.entryPoint, input, block: n }), receipt: receipt({ hash: tx, to: K.entryPoint, status: "reverted", block: n }) }] }),
    tx,
  };
}

function runBlocks(blocks: BlockFacts[], cfg = config, state: PipelineState = initialPipelineState()) {
  const findings: Finding[] = [];
  for (const b of blocks) {
    const r = processBlock(b, state, cfg);
    findings.push(...r.findings);
    state = JSON.parse(JSON.stringify(r.nextState)) as PipelineState;
  }
  return { findings, state };
}

const AA13 = errorData(entryPointErrorsAbi, "FailedOp", [0n, "AA13 initCode failed or OOG"]);

describe("processBlock with the kit detectors", () => {
  test("reverted bundles explained by their revert data become an account-creation finding", () => {
    const blocks = [1, 2].map((n) => {
      const { facts, tx } = refusedCreationBlock(n);
      return { ...facts, revertData: { [tx]: AA13 } };
    });
    const { findings, state } = runBlocks(blocks);
    expect(findings).toMatchObject([{ detector: "account-creation", key: "account-creation:failing", severity: "high", evidence: { values: { causes: "AA13 ×2" } } }]);
    expect(state.accountCreation?.samples).toHaveLength(2);
  });

  test("without revert data the failures still count, cause unknown", () => {
    const { findings } = runBlocks([1, 2].map((n) => refusedCreationBlock(n).facts));
    expect(findings[0]?.evidence?.values.causes).toBe("bundle reverted (no revert data) ×2");
  });

  test("AA13 while Guardian has the factory paused is the circuit breaker, not a symptom", () => {
    const pause = blockFacts(1, { logs: [layerPausedLog({ layer: 1, by: K.sentinel, until: 1n, bySentinel: true, hub: K.hub }), pausableLog(K.factory, "Paused", K.hub, 1)] });
    const failing = [2, 3, 4].map((n) => {
      const { facts, tx } = refusedCreationBlock(n);
      return { ...facts, revertData: { [tx]: AA13 } };
    });
    const { findings, state } = runBlocks([pause, ...failing]);
    expect(findings.map((f) => f.detector)).toEqual(["pause-changed"]);
    expect(layerPauses(state.pauseChanged, config)).toEqual({ accountFactory: "guardian" });
  });

  test("a target paused outside Guardian makes its layer's refusals count", () => {
    const state = initialPipelineState();
    state.pauseChanged.targets[K.factory] = { paused: true, byGuardian: false, blockNumber: 1 };
    state.pauseChanged.targets[K.dm] = { paused: false, byGuardian: true, blockNumber: 1 };
    expect(layerPauses(state.pauseChanged, config)).toEqual({ accountFactory: "foreign" });
  });

  test("threshold overrides replace single fields and single severities", () => {
    const blocks = [1, 2].map((n) => refusedCreationBlock(n).facts);
    const { findings } = runBlocks(blocks, { ...config, accountCreation: { severity: { degraded: "medium" } } });
    expect(findings[0]?.severity).toBe("medium");
    expect(runBlocks(blocks, { ...config, accountCreation: { minFailures: 3, maxFailureRate: undefined } }).findings).toEqual([]);
  });

  test("a state persisted before the kit detectors existed still loads", () => {
    const old = { pauseChanged: { targets: {} }, rpcHealth: { active: {} } } as PipelineState;
    const { findings, state } = runBlocks([1, 2].map((n) => refusedCreationBlock(n).facts), config, old);
    expect(findings).toHaveLength(1);
    expect(Object.keys(state).sort()).toEqual(["accountCreation", "delegation", "gasSpike", "outflow", "pauseChanged", "rpcHealth", "userOperations"]);
  });

  test("without kit configuration only the base fee is judged", () => {
    const noKit: PipelineConfig = { chainId: 1, blockTimeMs: 2_000, decode: { targets: {} } };
    const blocks = [...Array.from({ length: 20 }, (_, i) => blockFacts(i + 1, { baseFee: 2_000_000_000n })), blockFacts(21, { baseFee: 20_000_000_000n })];
    const { findings, state } = runBlocks(blocks, noKit);
    expect(findings.map((f) => [f.key, f.severity])).toEqual([["gas-spike:base-fee", "high"]]);
    expect(state.accountCreation).toEqual(initialPipelineState().accountCreation);
  });

  test("security and outflow findings come through, alongside pause-changed's", () => {
    const log = eventLog(K.entryPoint, entryPointEventsAbi, "Withdrawn", { account: K.paymaster, withdrawAddress: K.stranger, amount: 5n }, { block: 1 });
    const { findings } = runBlocks([blockFacts(1, { logs: [log] })]);
    expect(findings).toMatchObject([{ key: `outflow:paymaster-deposit:${K.paymaster}`, severity: "critical" }]);
  });
});

describe("revert data enrichment", () => {
  test("looks up each reverted transaction; a failing lookup leaves it out", async () => {
    const a = refusedCreationBlock(1);
    const b = refusedCreationBlock(2);
    const facts: BlockFacts = { ...a.facts, transactions: [...a.facts.transactions, ...b.facts.transactions], receipts: [...a.facts.receipts, ...b.facts.receipts] };
    expect(revertedTransactions(facts).map((t) => t.hash)).toEqual([a.tx, b.tx]);
    const enriched = await withRevertData(facts, async (tx) => {
      if (tx.hash === b.tx) throw new Error("endpoint down");
      return AA13;
    });
    expect(enriched.revertData).toEqual({ [a.tx]: AA13 });
  });

  test("a block without reverted transactions is returned as it is, without lookups", async () => {
    const facts = blockFacts(1);
    expect(await withRevertData(facts, async () => { throw new Error("not called"); })).toBe(facts);
  });
});

describe("wiring helpers", () => {
  test("kitWatchConfig: contracts by role, trusted accounts, the hub owns the DelegationManager", () => {
    const d = {
      deployer: "0x00000000000000000000000000000000000000D0" as const,
      kit: { EntryPoint: K.entryPoint, DelegationManager: K.dm },
      guardian: { hub: K.hub, paymaster: K.paymaster, accountFactory: K.factory, safe: K.safe },
      roles: { admin: "0x00000000000000000000000000000000000000d0" as const, guardian: K.safe, sentinels: [K.sentinel] },
    };
    expect(kitWatchConfig(d)).toEqual({
      contracts: KIT_CONTRACTS,
      trusted: [K.deployer, K.safe, K.sentinel, K.hub],
      expectedOwners: { [K.dm]: [K.hub] },
      // Later roles win: the admin is the deployer here, the guardian the Safe.
      trustedNames: { [K.deployer]: "the deployer", [K.safe]: "the guardian Safe", [K.sentinel]: "a sentinel", [K.hub]: "the GuardianHub" },
    });
  });

  test("pipelineOverrides maps the config file's detector names", () => {
    expect(pipelineOverrides({ "account-creation": { minFailures: 3 }, "gas-spike": { mediumRatio: 2 }, "rpc-health": { maxLatencyMs: 1 }, custom: { x: 1 }, outflow: undefined })).toEqual({
      accountCreation: { minFailures: 3 },
      gasSpike: { mediumRatio: 2 },
      rpcHealth: { maxLatencyMs: 1 },
    });
  });
});

/**
 * Detector accuracy on the real kit, each case one an independent traffic
 * generator found: a congestion run of full blocks from a floor-level base
 * fee; a user operation calling a caveat enforcer directly (not a
 * delegation); AA13 through the kit's own SimpleFactory while Guardian's
 * factory is paused; the kit's factory refusing empty bytecode
 * (`Create2EmptyBytecode`); the DelegationManager handed to the deployer (a
 * trusted account). Real node (Hardhat's EDR), real contracts, the real block
 * follower, the pipeline and the incidents module. One node for the file;
 * each test starts from the deployment's snapshot.
 */
import { encodeFunctionData, parseAbi, type Address, type Hex } from "viem";
import { entryPoint07Abi, toPackedUserOperation } from "viem/account-abstraction";
import { Implementation, toMetaMaskSmartAccount, type MetaMaskSmartAccount } from "@metamask/smart-accounts-kit";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { guardianArtifact } from "../../daemon/src/deploy/artifacts.js";
import { safeCall } from "../../daemon/src/deploy/local.js";
import { GAS_SPIKE_DEFAULTS } from "../../daemon/src/detectors/gas-spike.js";
import { LAYER_ID, type Finding } from "../../daemon/src/types.js";
import { healthyTraffic, runScenario, sendMined, type ScenarioContext } from "../../scripts/lib/scenarios.js";
import { buildUserOp, handleOps, smartAccount } from "../../scripts/lib/traffic.js";
import { MonitorSink, follow, keysOf, startKitChain, traceRevertLookup, type KitChain } from "./helpers/kit-monitor.js";

let kit: KitChain;
let snapshot: Hex;

beforeAll(async () => {
  kit = await startKitChain();
  snapshot = await kit.node.rpc<Hex>("evm_snapshot");
});

afterAll(async () => {
  await kit?.stop();
});

async function fresh(): Promise<ScenarioContext> {
  await kit.node.rpc("evm_revert", [snapshot]);
  snapshot = await kit.node.rpc<Hex>("evm_snapshot");
  return { ...kit.ctx };
}

const salt = (): Hex => `0x${randomBytes(32).toString("hex")}`;
const head = async () => kit.node.blockNumber();
const raisedKeys = (findings: readonly Finding[]) => [...new Set(findings.filter((f) => !f.recovered).map((f) => f.key))].sort();

/** Follows from `from` to the head with a fresh monitor. */
async function watch(from: number) {
  const sink = new MonitorSink(kit.pipeline, traceRevertLookup(kit.node));
  await follow(kit, sink, from, await head());
  return sink;
}

/** A deployed, sponsored HybridDeleGator of the `user` dev account (created through Guardian's factory). */
async function deployedAccount(ctx: ScenarioContext): Promise<MetaMaskSmartAccount> {
  const { client, deployment: d, wallets: w } = ctx;
  const account = await smartAccount(client, d, w.user, salt());
  const op = await buildUserOp(client, d, account, { calls: [{ to: w.stranger.account.address, value: 0n }], sponsor: w.sponsor });
  const receipt = await handleOps(client, d, w.bundler, [op]);
  expect(receipt.status).toBe("success");
  return account;
}

/** `count` sponsored operations from `account`, each making `call`, one per block. */
async function sponsoredCalls(ctx: ScenarioContext, account: MetaMaskSmartAccount, call: { to: Address; data: Hex }, count: number) {
  for (let i = 0; i < count; i++) {
    const op = await buildUserOp(ctx.client, ctx.deployment, account, { calls: [call], sponsor: ctx.wallets.sponsor });
    const receipt = await handleOps(ctx.client, ctx.deployment, ctx.wallets.bundler, [op]);
    expect(receipt.status).toBe("success"); // the bundle is mined; the op's call reverts
  }
}

describe("detector accuracy on the real kit", () => {
  test("ten 99%-full blocks from a floor-level base fee: congestion is flagged, and resolved within clearBlocks once the chain calms down", async () => {
    const ctx = await fresh();
    const { client } = ctx;
    const scenario = await runScenario(ctx, "congestion", { blocks: 10, fullness: 0.99 });
    const congested = [...new Set(scenario.txs.filter((t) => t.what.startsWith("filler")).map((t) => t.blockNumber))];
    expect(congested).toHaveLength(10);
    const blocks = await Promise.all([congested[0]! - 1, ...congested].map((n) => client.getBlock({ blockNumber: BigInt(n) })));
    for (const b of blocks.slice(1)) expect(Number(b.gasUsed) / Number(b.gasLimit)).toBeGreaterThan(0.98);
    // From the idle floor, the fee alone says little: ten full blocks raise it about ×3 (to a few tens of wei).
    const floorFee = blocks[0]!.baseFeePerGas!;
    expect(floorFee).toBeLessThanOrEqual(7n);
    expect(Number(blocks.at(-1)!.baseFeePerGas!) / Number(floorFee)).toBeLessThan(GAS_SPIKE_DEFAULTS.mediumRatio + 1);

    const sink = await watch(scenario.fromBlock);
    expect(raisedKeys(sink.findings)).toEqual(scenario.expected.map((e) => e.key));
    const raised = sink.findings.filter((f) => f.key === "gas-spike:congestion" && !f.recovered);
    expect(raised[0]).toMatchObject({ severity: "high", title: "Chain congested: blocks are full" });
    expect(raised[0]!.evidence!.blockNumber).toBeLessThanOrEqual(congested[GAS_SPIKE_DEFAULTS.fullnessWindowBlocks - 1]!);
    const recovered = sink.findings.filter((f) => f.key === "gas-spike:congestion" && f.recovered);
    expect(recovered).toHaveLength(1);
    const lastCongested = congested.at(-1)!;
    expect(recovered[0]!.evidence!.blockNumber).toBeGreaterThan(lastCongested);
    expect(recovered[0]!.evidence!.blockNumber).toBeLessThanOrEqual(lastCongested + GAS_SPIKE_DEFAULTS.clearBlocks);
    expect(sink.incidents.find((i) => i.key === "gas-spike:congestion")?.state).toBe("recovered");
  });

  test("a user operation calling a caveat enforcer directly, reverting with its message, is the operations' failure, not a delegation failure", async () => {
    const ctx = await fresh();
    await healthyTraffic(ctx, { rounds: 3 });
    const start = (await head()) + 1;
    const account = await deployedAccount(ctx);
    const enforcer = ctx.deployment.kit.caveatEnforcers.TimestampEnforcer as Address;
    expect(enforcer).toBeDefined();
    // getTermsInfo("0x") reverts with Error("TimestampEnforcer:invalid-terms-length").
    const data = encodeFunctionData({ abi: parseAbi(["function getTermsInfo(bytes terms) pure returns (uint128, uint128)"]), functionName: "getTermsInfo", args: ["0x"] });
    await sponsoredCalls(ctx, account, { to: enforcer, data }, 3);
    const sink = await watch(start);
    expect(raisedKeys(sink.findings), keysOf(sink.findings).join("\n")).toEqual(["user-operations:failing"]);
    expect(sink.findings.filter((f) => f.key === "user-operations:failing").at(-1)?.evidence?.values.causes).toMatch(/TimestampEnforcer:invalid-terms-length.* ×3/);
  });

  test("while Guardian's factory is paused, AA13 through the kit's own (unpaused) SimpleFactory still opens an incident", async () => {
    const ctx = await fresh();
    const { client, deployment: d, wallets: w } = ctx;
    const start = (await head()) + 1;
    const hubAbi = guardianArtifact("GuardianHub").abi;
    const pause = encodeFunctionData({ abi: hubAbi, functionName: "pause", args: [[LAYER_ID.accountFactory], `0x${"01".repeat(32)}`] });
    await safeCall(kit.client as never, d.guardian.safe, d.guardian.hub, pause, [kit.roles.owner1, kit.roles.owner2]);
    for (let i = 0; i < 4; i++) {
      // The kit's environment as it is: SimpleFactory is the kit's, which Guardian does not pause.
      const account = await toMetaMaskSmartAccount({
        client: client as never,
        implementation: Implementation.Hybrid,
        deployParams: [w.user.account.address, [], [], []],
        deploySalt: salt(),
        signer: { walletClient: w.user as never },
        environment: d.kit as never,
      });
      const op = await buildUserOp(client, d, account, { calls: [{ to: w.stranger.account.address }], sponsor: w.sponsor, verificationGasLimit: 60_000n });
      expect(op.factory?.toLowerCase()).toBe(d.kit.SimpleFactory.toLowerCase());
      const data = encodeFunctionData({ abi: entryPoint07Abi, functionName: "handleOps", args: [[toPackedUserOperation(op)], w.bundler.account.address] });
      const receipt = await sendMined(client, w.bundler, { to: d.kit.EntryPoint, data, gas: 3_000_000n });
      expect(receipt.status).toBe("reverted");
    }
    const sink = await watch(start);
    expect(raisedKeys(sink.findings).filter((k) => !k.startsWith("pause-changed:"))).toEqual(["account-creation:failing"]);
    expect(sink.findings.filter((f) => f.key === "account-creation:failing").at(-1)?.evidence?.values.causes).toBe("AA13 ×4");
    expect(sink.incidents.find((i) => i.key === "account-creation:failing")).toMatchObject({ severity: "high", state: "detected" });
  });

  test("an empty-bytecode CREATE2 through the kit's SimpleFactory is decoded by name: Create2EmptyBytecode", async () => {
    const ctx = await fresh();
    await healthyTraffic(ctx, { rounds: 2 });
    const start = (await head()) + 1;
    const account = await deployedAccount(ctx);
    const data = encodeFunctionData({ abi: parseAbi(["function deploy(bytes bytecode, bytes32 salt)"]), functionName: "deploy", args: ["0x", salt()] });
    await sponsoredCalls(ctx, account, { to: ctx.deployment.kit.SimpleFactory, data }, 3);
    const sink = await watch(start);
    expect(raisedKeys(sink.findings)).toEqual(["user-operations:failing"]);
    const causes = sink.findings.filter((f) => f.key === "user-operations:failing").at(-1)?.evidence?.values.causes;
    expect(causes).toBe("reverted Create2EmptyBytecode ×3");
  });

  test("the DelegationManager handed back to the deployer (trusted in Guardian's deployment) is not described as going to an unknown account", async () => {
    const ctx = await fresh();
    const { client, deployment: d, wallets: w } = ctx;
    const start = (await head()) + 1;
    const hubAbi = guardianArtifact("GuardianHub").abi;
    const send = async (hash: Hex) => expect((await client.waitForTransactionReceipt({ hash })).status).toBe("success");
    // The documented hand-back: unwire the layer, transfer, accept.
    await send(await w.deployer.writeContract({ address: d.guardian.hub, abi: hubAbi, functionName: "setLayerTargets", args: [LAYER_ID.delegation, []] } as never));
    await send(await w.deployer.writeContract({ address: d.guardian.hub, abi: hubAbi, functionName: "transferTargetOwnership", args: [d.kit.DelegationManager, w.deployer.account.address] } as never));
    await send(await w.deployer.writeContract({ address: d.kit.DelegationManager, abi: parseAbi(["function acceptOwnership()"]), functionName: "acceptOwnership" }));
    const sink = await watch(start);
    const dm = d.kit.DelegationManager.toLowerCase();
    const ownership = sink.findings.filter((f) => f.key === `security:ownership:${dm}`);
    expect(ownership.map((f) => f.title)).toEqual([
      "Ownership transfer of the DelegationManager started to a trusted account other than its expected owner",
      "Ownership of the DelegationManager moved to a trusted account other than its expected owner",
    ]);
    expect(ownership.at(-1)?.summary).toContain(`${w.deployer.account.address.toLowerCase()} (the deployer)`);
    for (const f of sink.findings) expect(`${f.title} ${f.summary}`).not.toMatch(/unknown account/);
    expect(raisedKeys(sink.findings)).toEqual([`security:ownership:${dm}`, `security:wiring:${d.guardian.hub.toLowerCase()}`]);
  });
});

/**
 * Each symptom of the kit, produced by the scenario traffic generator on the
 * real stack (EntryPoint v0.7, DelegationManager, Guardian's factory and
 * paymaster) on a `hardhat node`, seen by the real block follower, judged by
 * the pipeline and folded into incidents: the expected finding and incident,
 * with the response plan's severity, and nothing else. Healthy traffic from
 * the deployment on raises nothing. One node for the file; each test starts
 * from the deployment's snapshot.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { encodeFunctionData, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { guardianArtifact } from "../../daemon/src/deploy/artifacts.js";
import { writeDeployment } from "../../daemon/src/deploy/deployments.js";
import { safeCall } from "../../daemon/src/deploy/local.js";
import { LAYER_ID, type Finding, type Incident } from "../../daemon/src/types.js";
import { healthyTraffic, runScenario, type ScenarioContext, type ScenarioName, type ScenarioResult } from "../../scripts/lib/scenarios.js";
import { main as scenarioCli } from "../../scripts/scenario.js";
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

/** Back to the freshly deployed stack, with a context of its own (scenario actors are per context). */
async function fresh(): Promise<ScenarioContext> {
  await kit.node.rpc("evm_revert", [snapshot]);
  snapshot = await kit.node.rpc<Hex>("evm_snapshot");
  return { ...kit.ctx };
}

/** Healthy traffic first (the detectors' baselines), then the scenario; the monitor follows from `from`. */
async function observe(name: ScenarioName, options: Record<string, unknown> = {}, from?: "deployment") {
  const ctx = await fresh();
  const start = from === "deployment" ? kit.deployment.startBlock : (await kit.node.blockNumber()) + 1;
  await healthyTraffic(ctx, { rounds: 5 });
  const scenario = await runScenario(ctx, name, options);
  const sink = new MonitorSink(kit.pipeline, traceRevertLookup(kit.node));
  await follow(kit, sink, start, scenario.toBlock);
  return { scenario, sink };
}

/** The scenario's expected findings, each with its incident at the expected severity, and no other symptom. */
function expectExactly(scenario: ScenarioResult, sink: MonitorSink): Incident[] {
  const raised = new Set(sink.findings.filter((f) => !f.recovered).map((f) => f.key));
  expect([...raised].sort(), keysOf(sink.findings).join("\n")).toEqual(scenario.expected.map((e) => e.key).sort());
  const incidents: Incident[] = [];
  for (const e of scenario.expected) {
    const matching = sink.incidents.filter((i) => i.key === e.key);
    expect(matching, e.key).toHaveLength(1);
    const incident = matching[0] as Incident;
    expect(incident).toMatchObject({ severity: e.severity, source: e.detector, state: "detected" });
    expect(incident.affected.layers.length, `${e.key} names its layers`).toBeGreaterThan(0);
    incidents.push(incident);
  }
  return incidents;
}

const findingsOf = (sink: MonitorSink, key: string): Finding[] => sink.findings.filter((f) => f.key === key);

describe("the kit's symptoms on a real chain", () => {
  test("healthy traffic from the deployment on (~100 blocks: creations, sponsored operations, redemptions) raises nothing", async () => {
    const ctx = await fresh();
    const healthy = await healthyTraffic(ctx, { rounds: 16 });
    const sink = new MonitorSink(kit.pipeline, traceRevertLookup(kit.node));
    await follow(kit, sink, kit.deployment.startBlock, healthy.toBlock);
    expect(sink.committed.length).toBeGreaterThanOrEqual(50);
    expect(healthy.txs.length).toBeGreaterThanOrEqual(48);
    expect(keysOf(sink.findings)).toEqual([]);
    expect(sink.incidents).toEqual([]);
    // The detectors' state stays small: it is persisted with every block.
    expect(JSON.stringify(sink.state).length).toBeLessThan(20_000);
  });

  test("account creation failing in every block (AA14): High, rising to Critical — users cannot create accounts", async () => {
    const { scenario, sink } = await observe("account-creation-failing", { cause: "wrong-factory-data", blocks: 12 });
    expect(scenario.txs.filter((t) => t.status === "reverted")).toHaveLength(12);
    const [incident] = expectExactly(scenario, sink);
    expect(incident).toMatchObject({ title: "Account creation failing", affected: { layers: ["accountFactory"] } });
    expect(incident?.timeline.some((e) => e.kind === "severity" && /raised from high to critical/.test(e.message))).toBe(true);
    const last = findingsOf(sink, "account-creation:failing").at(-1);
    expect(last).toMatchObject({ severity: "critical", title: "Users cannot create accounts" });
    expect(last?.evidence?.values.causes).toMatch(/^AA14 ×\d+$/);
    expect(scenario.txs.map((t) => t.hash)).toContain(last?.evidence?.txHash);
  });

  test.each([
    ["initcode-oog", /AA13 ×/],
    ["factory-revert", /factory GuardedAccountFactoryEmptyContract ×/],
  ] as const)("account creation failing (%s) is decoded to its cause", async (cause, expected) => {
    const { scenario, sink } = await observe("account-creation-failing", { cause, blocks: 12 });
    expectExactly(scenario, sink);
    expect(findingsOf(sink, "account-creation:failing").at(-1)?.evidence?.values.causes).toMatch(expected);
  });

  test("while the guardian Safe pauses the factory, failing creations are the breaker working, not a symptom", async () => {
    const ctx = await fresh();
    const start = (await kit.node.blockNumber()) + 1;
    const hubAbi = guardianArtifact("GuardianHub").abi;
    const pause = encodeFunctionData({ abi: hubAbi, functionName: "pause", args: [[LAYER_ID.accountFactory], `0x${"01".repeat(32)}`] });
    await safeCall(kit.client as never, kit.deployment.guardian.safe, kit.deployment.guardian.hub, pause, [kit.roles.owner1, kit.roles.owner2]);
    const scenario = await runScenario(ctx, "account-creation-failing", { cause: "initcode-oog", blocks: 12 });
    const sink = new MonitorSink(kit.pipeline, traceRevertLookup(kit.node));
    await follow(kit, sink, start, scenario.toBlock);
    expect(keysOf(sink.findings)).toEqual([expect.stringMatching(/^pause-changed:layer:accountFactory:.* medium$/)]);
  });

  test("user operations reverting inside the account: High", async () => {
    const { scenario, sink } = await observe("user-ops-reverting", { ops: 4 });
    expectExactly(scenario, sink);
    expect(findingsOf(sink, "user-operations:failing").at(-1)?.evidence?.values.causes).toBe("reverted AccessControlUnauthorizedAccount ×4");
  });

  test("gas-heavy operations and a base-fee spike: High, against rolling baselines", async () => {
    const { scenario, sink } = await observe("gas-spike", { factor: 20, heavyOps: 3 });
    expectExactly(scenario, sink);
    const fee = findingsOf(sink, "gas-spike:base-fee")[0];
    expect(Number(fee?.evidence?.values.ratio)).toBeGreaterThanOrEqual(10);
  });

  test.each([
    ["expired", "expired ×6"],
    ["disabled", "disabled ×6"],
    ["invalid-signature", "invalid-signature ×6"],
  ] as const)("delegation redemptions failing (%s): High, with the decoded cause", async (cause, causes) => {
    const { scenario, sink } = await observe("delegation-failing", { cause, attempts: 6 });
    expectExactly(scenario, sink);
    expect(findingsOf(sink, "delegation:failing").at(-1)?.evidence?.values.causes).toBe(causes);
  });

  test("the paymaster's owner hands it to an unknown account: Critical, security breach, its layer", async () => {
    const { scenario, sink } = await observe("ownership-transfer");
    const [incident] = expectExactly(scenario, sink);
    expect(incident?.affected).toEqual({ layers: ["entryPoint"], contracts: [kit.deployment.guardian.paymaster.toLowerCase()] });
  });

  test("the hub's admin grants GUARDIAN_ROLE to an unknown account: Critical", async () => {
    const { scenario, sink } = await observe("role-granted");
    const [incident] = expectExactly(scenario, sink);
    expect(incident?.affected.layers).toEqual(["entryPoint", "accountFactory", "delegation"]);
  });

  test("the paymaster's deposit withdrawn (90%, tracked from the deployment's Deposited): Critical, funds at risk", async () => {
    const { scenario, sink } = await observe("deposit-withdrawn", { fraction: 0.9 }, "deployment");
    expectExactly(scenario, sink);
    const finding = findingsOf(sink, scenario.expected[0]!.key)[0];
    expect(finding?.summary).toMatch(/9\d(\.\d)?% of the deposit left/);
    expect(Number(finding?.evidence?.values.drainFraction)).toBeGreaterThan(0.85);
  });

  test("value drained through a delegation: Critical", async () => {
    const { scenario, sink } = await observe("delegation-drain");
    expectExactly(scenario, sink);
  });

  test("scripts/scenario.ts runs a scenario against a node and prints what to expect", async () => {
    await fresh();
    const dir = mkdtempSync(path.join(tmpdir(), "guardian-scenario-"));
    const file = writeDeployment(dir, kit.deployment);
    let out = "";
    const code = await scenarioCli(["role-granted", "--rpc", kit.node.url, "--deployments", file, "--set", "role=GUARDIAN"], (s) => (out += s));
    expect(code).toBe(0);
    expect(out).toContain("scenario role-granted");
    expect(out).toContain(`critical security:roles:${kit.deployment.guardian.hub.toLowerCase()}`);
    expect(await scenarioCli(["no-such", "--rpc", kit.node.url, "--deployments", file], () => {})).toBe(2);
  });
});

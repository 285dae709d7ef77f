/**
 * The daemon's scheduled drill (runtime/drill-schedule.ts) against a real
 * node: a working drill raises nothing and sets the guardian_drill_* gauges;
 * after the sentinel's role is revoked on the chain, the next drill opens a
 * High "drill:sentinel" incident with the failing step as evidence; granting
 * the role back resolves it.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import path from "node:path";
import { encodeFunctionData, keccak256, parseAbi, toHex } from "viem";
import { DrillSchedule } from "../../daemon/src/runtime/drill-schedule.js";
import { DaemonMetrics } from "../../daemon/src/runtime/observability.js";
import { foldFindings } from "../../daemon/src/runtime/sink.js";
import { openLowdbStore, type LowdbStore } from "../../daemon/src/store/index.js";
import { safeCall } from "../../daemon/src/deploy/local.js";
import { startStack, type StackEnv } from "./helpers/stack.js";

let s: StackEnv;
let store: LowdbStore;
let drills: DrillSchedule;
const metrics = new DaemonMetrics();
const hubAbi = parseAbi(["function revokeRole(bytes32 role, address account)", "function grantRole(bytes32 role, address account)"]);
const SENTINEL_ROLE = keccak256(toHex("SENTINEL_ROLE"));
const openKeys = () => Object.values(store.read().incidents).filter((i) => i.state !== "recovered" && i.state !== "postreview").map((i) => i.key).sort();
const gauge = async (name: string) => (await metrics.registry.metrics()).split("\n").filter((l) => l.startsWith(name));

beforeAll(async () => {
  s = await startStack();
  store = await openLowdbStore({ dataDir: path.join(s.dir, "drill-data"), chainId: s.deployment.chainId, purpose: "test" });
  drills = new DrillSchedule({
    forkUrl: s.chain.url,
    deployment: s.deployment,
    sentinel: s.wallets.sentinel.account.address,
    everyHours: 24,
    store,
    raise: async (findings) => {
      await store.update((d) => void foldFindings(d, findings, { now: new Date(), autoPause: { entryPoint: true, accountFactory: true, delegation: true } }));
    },
    onReport: (r) => metrics.onDrill(r),
    clock: () => new Date(),
  });
});
afterAll(async () => {
  await drills?.stop();
  await store?.close();
  await s?.chain.stop();
});

describe("scheduled drills", () => {
  it("a working drill raises nothing and sets the gauges", async () => {
    const { report, findings } = await drills.runOnce();
    expect(report.ok).toBe(true);
    expect(findings).toEqual([]);
    expect(await gauge("guardian_drill_ok")).toEqual(['guardian_drill_ok{path="sentinel"} 1', 'guardian_drill_ok{path="safe"} 1']);
    expect((await gauge("guardian_drill_step_gas")).some((l) => /path="safe",step="Safe pause all layers"} \d{5,}/.test(l))).toBe(true);
  });

  it("a revoked sentinel role opens a High incident from the next drill; granting it back resolves it", async () => {
    const sentinel = s.wallets.sentinel.account.address;
    const byGuardian = (fn: "revokeRole" | "grantRole") =>
      safeCall(s.client as any, s.deployment.guardian.safe, s.deployment.guardian.hub, encodeFunctionData({ abi: hubAbi, functionName: fn, args: [SENTINEL_ROLE, sentinel] }), [s.wallets.owner1, s.wallets.owner2]);
    await byGuardian("revokeRole");
    const failed = await drills.runOnce();
    expect(failed.findings.map((f) => [f.key, f.severity, f.layers])).toEqual([["drill:sentinel", "high", []]]);
    expect(failed.findings[0]!.summary).toMatch(/step "sentinelPause entryPoint" did not work: reverted: AccessControlUnauthorizedAccount/);
    expect(failed.findings[0]!.evidence!.blockNumber).toBe(failed.report.forkBlock);
    expect(openKeys()).toContain("drill:sentinel");
    expect(await gauge("guardian_drill_ok")).toContain('guardian_drill_ok{path="sentinel"} 0');

    await byGuardian("grantRole");
    const back = await drills.runOnce();
    expect(back.findings.map((f) => [f.key, f.recovered])).toEqual([["drill:sentinel", true]]);
    expect(openKeys()).not.toContain("drill:sentinel");
  });
});

/**
 * `guardian drill` against a real node (Hardhat's EDR as "the chain"), forked
 * by anvil on loopback: the sentinel and the Safe pause and unpause there,
 * every guarded path refuses with its pause error, and the chain itself
 * stays as it was. A revoked sentinel role fails the drill (exit 1) with the
 * hub's error; a pre-signed pause is what the Safe fires when given.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { encodeFunctionData, getAddress, keccak256, parseAbi, toHex } from "viem";
import { main } from "../../daemon/src/cli.js";
import { safeCall } from "../../daemon/src/deploy/local.js";
import { createPresignedPauses, presignFileName } from "../../daemon/src/respond/presign.js";
import { addSignature, txOf, writeProposal } from "../../daemon/src/respond/safe-proposal.js";
import { signSafeTx } from "../../daemon/src/respond/safe.js";
import type { DrillReport } from "../../daemon/src/drill/run.js";
import { startStack, type StackEnv } from "./helpers/stack.js";

let s: StackEnv;
const hubAbi = parseAbi(["function isPaused(uint8 layer) view returns (bool)", "function revokeRole(bytes32 role, address account)"]);
const safeNonceAbi = parseAbi(["function nonce() view returns (uint256)"]);

async function drill(args: string[] = []) {
  let out = "";
  let err = "";
  const code = await main(["--config", s.configFile, "drill", "--json", ...args], {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    env: s.env,
    cwd: s.dir,
  });
  return { code, err, report: out ? (JSON.parse(out) as DrillReport) : undefined };
}
const liveState = async () => ({
  block: await s.client.getBlockNumber({ cacheTime: 0 }), // viem caches the block number for its polling interval
  nonce: await s.client.readContract({ address: s.deployment.guardian.safe, abi: safeNonceAbi, functionName: "nonce" }),
  paused: await Promise.all([0, 1, 2].map((l) => s.client.readContract({ address: s.deployment.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [l] }))),
});

beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s?.chain.stop();
});

describe("guardian drill", () => {
  it("every path pauses and releases on the fork; guarded paths refuse; the chain itself is untouched", async () => {
    const before = await liveState();
    const r = await drill();
    expect(r.code, r.err).toBe(0);
    const report = r.report!;
    expect(report.ok).toBe(true);
    expect(report.forkBlock).toBe(Number(before.block));
    expect(report.steps.map((x) => [x.path, x.action.split(" (")[0], x.ok])).toEqual([
      ["sentinel", "sentinelPause entryPoint", true],
      ["sentinel", "sentinelPause accountFactory", true],
      ["sentinel", "sentinelPause delegation", true],
      ["sentinel", "releaseExpired", true],
      ["safe", "Safe pause all layers", true],
      ["safe", "Safe unpause all layers", true],
    ]);
    const refusals = report.steps[4]!.guarded.map((g) => [g.layer, g.refused, g.result]);
    expect(refusals).toEqual([
      ["entryPoint", true, "GuardedPaymasterPaused()"],
      ["accountFactory", true, "GuardedAccountFactoryPaused()"],
      ["delegation", true, "EnforcedPause()"],
    ]);
    expect(report.steps[5]!.guarded.every((g) => !g.refused)).toBe(true);
    for (const st of report.steps) {
      expect(st.gasUsed).toBeGreaterThan(20_000);
      expect(st.block).toBeGreaterThan(report.forkBlock);
    }
    expect(await liveState()).toEqual(before);
  });

  it("a revoked sentinel role fails the drill with the hub's error; the Safe fires a pre-signed pause when given one", async () => {
    const sentinel = s.wallets.sentinel.account.address;
    await safeCall(s.client as any, s.deployment.guardian.safe, s.deployment.guardian.hub, encodeFunctionData({ abi: hubAbi, functionName: "revokeRole", args: [keccak256(toHex("SENTINEL_ROLE")), sentinel] }), [s.wallets.owner1, s.wallets.owner2]);
    const dir = path.join(s.dir, "presigned");
    mkdirSync(dir, { recursive: true });
    const [p0] = await createPresignedPauses(s.client as any, { safe: getAddress(s.deployment.guardian.safe), hub: getAddress(s.deployment.guardian.hub), count: 1 });
    let p = p0!;
    for (const w of [s.wallets.owner2, s.wallets.owner3]) p = addSignature(p, await signSafeTx(w, getAddress(p.safe), p.chainId, txOf(p)));
    writeProposal(path.join(dir, presignFileName(p.tx.nonce)), p);

    const before = await liveState();
    const r = await drill(["--presigned", dir, "--out", "drill.json"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("the drill found a pause path that does not work");
    const report = r.report!;
    const sentinelSteps = report.steps.filter((x) => x.path === "sentinel");
    expect(sentinelSteps).toHaveLength(3); // nothing paused, nothing to release
    for (const st of sentinelSteps) {
      expect(st.ok).toBe(false);
      expect(st.error).toMatch(/AccessControlUnauthorizedAccount/);
    }
    const safePause = report.steps.find((x) => x.path === "safe" && x.action.startsWith("Safe pause"))!;
    expect(safePause.action).toContain(`pre-signed file, nonce ${p.tx.nonce}`);
    expect(safePause.ok).toBe(true);
    expect(await liveState()).toEqual(before);

    // readiness shows the last drill per path.
    let out = "";
    await main(["--config", s.configFile, "readiness", "--drill-report", "drill.json"], { stdout: (t) => void (out += t), stderr: () => {}, env: s.env, cwd: s.dir });
    expect(out).toMatch(/last drill \d+ min ago: FAILED \(sentinelPause entryPoint: reverted: AccessControlUnauthorizedAccount/);
    expect(out).toMatch(/Safe quorum[\s\S]*last drill \d+ min ago: worked/);
  });
});

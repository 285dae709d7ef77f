/**
 * `guardian deploy --rpc URL` against a real node on a non-default port: the
 * chain id is read from the node, the dev accounts play every role on a
 * loopback node, the deployments file is written, and the URL never appears
 * whole in the output.
 */
import { describe, it, expect, afterAll } from "vitest";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startLocalChain, type LocalChain } from "../../scripts/lib/local-chain.js";
import { runDeploy } from "../../daemon/src/commands/deploy.js";

let chain: LocalChain | undefined;
afterAll(async () => {
  await chain?.stop();
});

describe("guardian deploy --rpc", () => {
  it("deploys on a node at any port, with the chain id read from it", async () => {
    chain = await startLocalChain({ chainId: 138 });
    expect(chain.port).not.toBe(8545);
    const cwd = mkdtempSync(path.join(tmpdir(), "guardian-deploy-rpc-"));
    const lines: string[] = [];
    const url = `${chain.url}/?apikey=secret123`;
    const d = await runDeploy({ rpc: url }, (l) => void lines.push(l), cwd, {});
    expect(d.chainId).toBe(138);
    expect(existsSync(path.join(cwd, "deployments", "138.json"))).toBe(true);
    expect(lines.join("\n")).not.toContain("secret123");
    await expect(runDeploy({ rpc: url, safe: d.guardian.safe, sentinel: d.roles.sentinels[0] }, () => {}, cwd, {})).rejects.toThrow(/GUARDIAN_DEPLOYER_KEY/);
    await expect(runDeploy({ rpc: url, network: "local" }, () => {}, cwd, {})).rejects.toThrow(/exactly one/);
  }, 180_000);
});

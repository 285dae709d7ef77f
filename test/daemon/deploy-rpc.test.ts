/**
 * `guardian deploy --rpc URL` against a real node on a non-default port: the
 * chain id is read from the node, the dev accounts play every role on a
 * loopback node, the deployments file is written, and the URL never appears
 * whole in the output. With an existing guardian Safe the deployer key comes
 * from env GUARDIAN_DEPLOYER_KEY or, as `--network` keys do, from Hardhat's
 * keystore (a development keystore in a throwaway config directory, the CLI
 * in a child process outside CI: Hardhat never reads a keystore in CI).
 */
import { describe, it, expect, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { DEV_MNEMONIC, startLocalChain, type LocalChain } from "../../scripts/lib/local-chain.js";
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

    // An existing Safe: the deployer key from env deploys a new hub and layers (the kit is reused).
    const key = toHex(mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 0 }).getHdKey().privateKey!);
    const withEnv: string[] = [];
    const d2 = await runDeploy({ rpc: url, safe: d.guardian.safe, sentinel: d.roles.sentinels[0] }, (l) => void withEnv.push(l), cwd, { GUARDIAN_DEPLOYER_KEY: key });
    expect(d2.guardian.hub).not.toBe(d.guardian.hub);
    expect(d2.kit.EntryPoint).toBe(d.kit.EntryPoint);
    expect(withEnv.join("\n")).toMatch(/guardian Safe must still make these calls/);
    expect(withEnv.join("\n")).not.toContain(key.slice(2));

    // The same key from Hardhat's keystore, through the CLI.
    const config = mkdtempSync(path.join(tmpdir(), "guardian-keystore-"));
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: config };
    delete env.CI;
    delete env.GUARDIAN_DEPLOYER_KEY;
    const root = path.resolve(import.meta.dirname, "../..");
    const set = spawnSync(process.execPath, [path.join(root, "node_modules/hardhat/dist/src/cli.js"), "keystore", "set", "--dev", "GUARDIAN_DEPLOYER_KEY"], { cwd: root, env, input: `${key}\n`, encoding: "utf8", timeout: 60_000 });
    expect(set.status, set.stdout + set.stderr).toBe(0);
    const out = path.join(config, "deployments");
    mkdirSync(out);
    copyFileSync(path.join(cwd, "deployments", "138.json"), path.join(out, "138.json"));
    const cli = spawnSync(process.execPath, [path.join(root, "bin/guardian.mjs"), "deploy", "--rpc", url, "--safe", d.guardian.safe, "--sentinel", d.roles.sentinels[0]!, "--out", out], { cwd: root, env, encoding: "utf8", timeout: 120_000 });
    expect(cli.status, cli.stdout + cli.stderr).toBe(0);
    const d3 = JSON.parse(readFileSync(path.join(out, "138.json"), "utf8")) as typeof d;
    expect(d3.guardian.hub).not.toBe(d2.guardian.hub);
    expect(d3.deployer.toLowerCase()).toBe(mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 0 }).address.toLowerCase());
    expect(cli.stdout + cli.stderr).not.toContain("secret123");
    expect(cli.stdout + cli.stderr).not.toContain(key.slice(2));
  }, 300_000);
});

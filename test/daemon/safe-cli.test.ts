/**
 * `guardian safe propose|sign|status|exec` against a real 2-of-3 Safe on a
 * `hardhat node`: one signature is refused at exec naming who may still sign,
 * two pause the layer; a tampered proposal and a stale nonce are refused.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { startLocalChain, devClients, DEV_MNEMONIC, type LocalChain } from "../../scripts/lib/local-chain.js";
import { deployLocalStack, roleWallets, ROLE_INDEX } from "../../daemon/src/deploy/local.js";
import { writeDeployment } from "../../daemon/src/deploy/deployments.js";
import { guardianArtifact } from "../../daemon/src/deploy/artifacts.js";
import type { Deployment } from "../../daemon/src/deploy/guardian.js";
import { main } from "../../daemon/src/cli.js";
import { LAYER_ID } from "../../daemon/src/types.js";

const keyOf = (i: number) => toHex(mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!);
let chain: LocalChain;
let d: Deployment;
let dir: string;
let client: ReturnType<typeof devClients>["client"];
const hubAbi = guardianArtifact("GuardianHub").abi;

async function cli(args: string[], env: Record<string, string> = {}) {
  let out = "";
  let err = "";
  const code = await main(["--config", path.join(dir, "guardian.json"), ...args], {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    env: { GUARDIAN_DATA_DIR: path.join(dir, "data"), ...env },
    cwd: dir,
  });
  return { code, out, err };
}

beforeAll(async () => {
  chain = await startLocalChain();
  const c = devClients(chain.chain, chain.url);
  client = c.client;
  d = await deployLocalStack(c.client as any, roleWallets(c.wallets as any));
  dir = mkdtempSync(path.join(tmpdir(), "guardian-safe-cli-"));
  writeDeployment(path.join(dir, "deployments"), d);
  writeFileSync(
    path.join(dir, "guardian.json"),
    JSON.stringify({ preset: "local", rpc: { endpoints: [{ name: "node", http: chain.url }] }, deploymentsFile: `deployments/${d.chainId}.json` }),
  );
});
afterAll(async () => {
  await chain?.stop();
});

describe("guardian safe", () => {
  it("below threshold is refused naming who may still sign; two signatures pause the layer", async () => {
    const proposed = await cli(["safe", "propose", "pause", "delegation", "factory", "--incident", "INC-7", "--out", "p1.json"]);
    expect(proposed.code, proposed.err).toBe(0);
    expect(proposed.out).toMatch(/safeTxHash 0x[0-9a-f]{64}/);
    const file = path.join(dir, "p1.json");

    const one = await cli(["safe", "sign", file], { GUARDIAN_SAFE_SIGNER_KEY: keyOf(ROLE_INDEX.owner1) });
    expect(one.code, one.err).toBe(0);
    expect(one.out).toMatch(/1 of 2 required/);

    const early = await cli(["safe", "exec", file], { GUARDIAN_EXECUTOR_KEY: keyOf(ROLE_INDEX.bundler) });
    expect(early.code).toBe(2);
    expect(early.err).toMatch(/below threshold: 1 of 2 required signatures/);
    expect(early.err).toContain(mnemonicToAccount(DEV_MNEMONIC, { addressIndex: ROLE_INDEX.owner2 }).address);
    expect(await client.readContract({ address: d.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [LAYER_ID.delegation] })).toBe(false);

    const two = await cli(["safe", "sign", file], { GUARDIAN_SAFE_SIGNER_KEY: keyOf(ROLE_INDEX.owner3) });
    expect(two.out).toMatch(/ready to execute/);
    const run = await cli(["safe", "exec", file], { GUARDIAN_EXECUTOR_KEY: keyOf(ROLE_INDEX.bundler) });
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/confirmed on chain: accountFactory, delegation paused/);
    for (const l of [LAYER_ID.delegation, LAYER_ID.accountFactory]) {
      expect(await client.readContract({ address: d.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [l] })).toBe(true);
    }

    // The same proposal again: its nonce is spent.
    const stale = await cli(["safe", "exec", file], { GUARDIAN_EXECUTOR_KEY: keyOf(ROLE_INDEX.bundler) });
    expect(stale.code).toBe(2);
    expect(stale.err).toMatch(/stale proposal/);
  });

  it("a tampered proposal is refused before anyone signs it", async () => {
    const proposed = await cli(["safe", "propose", "unpause", "all", "--out", "p2.json"]);
    expect(proposed.code, proposed.err).toBe(0);
    const file = path.join(dir, "p2.json");
    const p = JSON.parse(readFileSync(file, "utf8"));
    p.tx.to = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: ROLE_INDEX.stranger }).address;
    writeFileSync(file, JSON.stringify(p));
    const signed = await cli(["safe", "sign", file], { GUARDIAN_SAFE_SIGNER_KEY: keyOf(ROLE_INDEX.owner1) });
    expect(signed.code).toBe(2);
    expect(signed.err).toMatch(/proposal was modified/);
  });

  it("a key that is not an owner cannot sign, and bad arguments exit 2", async () => {
    await cli(["safe", "propose", "unpause", "delegation", "--out", "p3.json"]);
    const stranger = await cli(["safe", "sign", path.join(dir, "p3.json")], { GUARDIAN_SAFE_SIGNER_KEY: keyOf(ROLE_INDEX.stranger) });
    expect(stranger.code).toBe(2);
    expect(stranger.err).toMatch(/is not an owner/);
    const bad = await cli(["safe", "propose", "pause", "everything"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/<layers>.*expected one of entryPoint, accountFactory, delegation or all/);
    const nokey = await cli(["safe", "sign", path.join(dir, "p3.json")]);
    expect(nokey.code).toBe(2);
    expect(nokey.err).toMatch(/GUARDIAN_SAFE_SIGNER_KEY/);
  });
});

/**
 * `guardian safe propose|sign|status|exec` against a real 2-of-3 Safe on a
 * `hardhat node`: one signature is refused at exec naming who may still sign,
 * two pause the layer; a tampered proposal and a stale nonce are refused; a
 * confirm executed after the sentinel pause was released still ends paused.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { getAddress, toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { startLocalChain, devClients, DEV_MNEMONIC, type LocalChain } from "../../scripts/lib/local-chain.js";
import { deployLocalStack, roleWallets, ROLE_INDEX } from "../../daemon/src/deploy/local.js";
import { writeDeployment } from "../../daemon/src/deploy/deployments.js";
import { guardianArtifact } from "../../daemon/src/deploy/artifacts.js";
import type { Deployment } from "../../daemon/src/deploy/guardian.js";
import { createProposal, writeProposal } from "../../daemon/src/respond/safe-proposal.js";
import { main } from "../../daemon/src/cli.js";
import { LAYER_ID } from "../../daemon/src/types.js";

const keyOf = (i: number) => toHex(mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!);
let chain: LocalChain;
let d: Deployment;
let dir: string;
let client: ReturnType<typeof devClients>["client"];
let wallets: ReturnType<typeof devClients>["wallets"];
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
  wallets = c.wallets;
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

    // The same proposal again: it ran, and status says by which transaction.
    const txHash = /executed: tx (0x[0-9a-f]{64})/.exec(run.out)![1]!;
    const again = await cli(["safe", "exec", file], { GUARDIAN_EXECUTOR_KEY: keyOf(ROLE_INDEX.bundler) });
    expect(again.code).toBe(2);
    expect(again.err).toContain(`already executed: tx ${txHash}`);
    const status = await cli(["safe", "status", file]);
    expect(status.code, status.err).toBe(0);
    expect(status.out).toMatch(new RegExp(`EXECUTED in tx ${txHash} \\(block \\d+\\)`));
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

  it("a confirm executed after the sentinel pause expired and was released still leaves the layer paused", async () => {
    const hub = d.guardian.hub;
    const ENTRY_POINT = LAYER_ID.entryPoint;
    const layerState = () => client.readContract({ address: hub, abi: hubAbi, functionName: "layerState", args: [ENTRY_POINT] }) as Promise<{ paused: boolean; bySentinel: boolean; pausedUntil: bigint }>;
    const sentinel = wallets[ROLE_INDEX.sentinel]!;
    await client.waitForTransactionReceipt({
      hash: await sentinel.writeContract({ address: hub, abi: hubAbi, functionName: "sentinelPause", args: [[ENTRY_POINT], `0x${"11".repeat(32)}`] }),
    });
    const paused = await layerState();
    expect(paused.paused && paused.bySentinel).toBe(true);

    // The signers confirm while the sentinel pause holds...
    const proposed = await cli(["safe", "propose", "confirm", "entrypoint", "--incident", "INC-9", "--out", "confirm.json"]);
    expect(proposed.code, proposed.err).toBe(0);
    expect(proposed.out).toMatch(/confirm \(pause indefinitely, even if the sentinel pause expires or is released first\) entryPoint/);
    expect(proposed.out).toMatch(/now: entryPoint: sentinel pause$/m);
    const file = path.join(dir, "confirm.json");
    expect(JSON.parse(readFileSync(file, "utf8")).action).toBe("pause");
    // ...and a confirmPause proposal for the same nonce, as older versions wrote it, gets both signatures.
    const old = await createProposal(client as any, { safe: getAddress(d.guardian.safe), hub: getAddress(hub), action: "confirmPause", layers: ["entryPoint"], incident: "INC-9" });
    const oldFile = path.join(dir, "confirm-old.json");
    writeProposal(oldFile, old);
    for (const owner of [ROLE_INDEX.owner1, ROLE_INDEX.owner2]) {
      expect((await cli(["safe", "sign", oldFile], { GUARDIAN_SAFE_SIGNER_KEY: keyOf(owner) })).code).toBe(0);
    }
    expect((await cli(["safe", "sign", file], { GUARDIAN_SAFE_SIGNER_KEY: keyOf(ROLE_INDEX.owner1) })).code).toBe(0);

    // The pause expires and anyone releases it before the Safe executes: the layer is live.
    await client.request({ method: "evm_setNextBlockTimestamp" as any, params: [Number(paused.pausedUntil)] as any });
    await client.waitForTransactionReceipt({
      hash: await wallets[ROLE_INDEX.stranger]!.writeContract({ address: hub, abi: hubAbi, functionName: "releaseExpired", args: [[ENTRY_POINT]] }),
    });
    expect((await layerState()).paused).toBe(false);

    // The confirmPause proposal would revert on chain: refused before signing and before executing, nothing sent.
    const nonce = await client.readContract({ address: d.guardian.safe, abi: [{ type: "function", name: "nonce", inputs: [], outputs: [{ type: "uint256" }], stateMutability: "view" }], functionName: "nonce" });
    const lateSign = await cli(["safe", "sign", oldFile], { GUARDIAN_SAFE_SIGNER_KEY: keyOf(ROLE_INDEX.owner3) });
    expect(lateSign.code).toBe(2);
    expect(lateSign.err).toMatch(/confirmPause, but the sentinel pause of entryPoint \(now: not paused\) has ended/);
    expect(lateSign.err).toContain("guardian safe propose confirm entryPoint");
    const lateExec = await cli(["safe", "exec", oldFile], { GUARDIAN_EXECUTOR_KEY: keyOf(ROLE_INDEX.bundler) });
    expect(lateExec.code).toBe(2);
    expect(lateExec.err).toMatch(/has ended: on chain it would revert/);
    expect(await client.readContract({ address: d.guardian.safe, abi: [{ type: "function", name: "nonce", inputs: [], outputs: [{ type: "uint256" }], stateMutability: "view" }], functionName: "nonce" })).toBe(nonce);

    // The confirm proposal is signed and executed late all the same: the layer ends paused, indefinitely.
    expect((await cli(["safe", "sign", file], { GUARDIAN_SAFE_SIGNER_KEY: keyOf(ROLE_INDEX.owner3) })).code).toBe(0);
    const run = await cli(["safe", "exec", file], { GUARDIAN_EXECUTOR_KEY: keyOf(ROLE_INDEX.bundler) });
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/confirmed on chain: entryPoint paused/);
    const after = await layerState();
    expect(after.paused).toBe(true);
    expect(after.bySentinel).toBe(false);
    expect(after.pausedUntil).toBe(2n ** 64n - 1n);
  });

  it("status tells pending from superseded: another transaction that took the nonce is named", async () => {
    expect((await cli(["safe", "propose", "unpause", "delegation", "--out", "a.json"])).code).toBe(0);
    expect((await cli(["safe", "propose", "pause", "delegation", "--incident", "INC-11", "--out", "b.json"])).code).toBe(0);
    const a = path.join(dir, "a.json");
    const b = path.join(dir, "b.json");
    const pa = JSON.parse(readFileSync(a, "utf8"));
    const pb = JSON.parse(readFileSync(b, "utf8"));
    expect(pa.tx.nonce).toBe(pb.tx.nonce);

    const pending = await cli(["safe", "status", a]);
    expect(pending.code, pending.err).toBe(0);
    expect(pending.out).toMatch(/signatures: 0 of 2 required \(none\)/);
    expect(pending.out).toMatch(/may still sign: /);
    expect(pending.out).toMatch(/not executable yet/);

    for (const owner of [ROLE_INDEX.owner2, ROLE_INDEX.owner3]) {
      expect((await cli(["safe", "sign", b], { GUARDIAN_SAFE_SIGNER_KEY: keyOf(owner) })).code).toBe(0);
    }
    const run = await cli(["safe", "exec", b], { GUARDIAN_EXECUTOR_KEY: keyOf(ROLE_INDEX.bundler) });
    expect(run.code, run.err).toBe(0);
    const txHash = /executed: tx (0x[0-9a-f]{64})/.exec(run.out)![1]!;

    // A file from before proposedAtBlock existed: the search starts at block 0, before the Safe had code.
    const { proposedAtBlock: _dropped, ...older } = pa;
    writeFileSync(a, JSON.stringify(older));
    const superseded = await cli(["safe", "status", a, "--json"]);
    expect(superseded.code, superseded.err).toBe(0);
    const json = JSON.parse(superseded.out);
    expect(json.outcome).toMatchObject({ state: "superseded", by: { safeTxHash: pb.safeTxHash, transactionHash: txHash, success: true } });
    const text = await cli(["safe", "status", a]);
    expect(text.out).toContain(`SUPERSEDED: another Safe transaction (safeTxHash ${pb.safeTxHash}) used nonce ${pa.tx.nonce} in tx ${txHash}`);
    const late = await cli(["safe", "sign", a], { GUARDIAN_SAFE_SIGNER_KEY: keyOf(ROLE_INDEX.owner1) });
    expect(late.code).toBe(2);
    expect(late.err).toContain(`stale proposal: nonce ${pa.tx.nonce} of Safe ${pa.safe} was used by another transaction (tx ${txHash}`);
  });

  it("pre-signed pauses: signed ahead for the next nonces, one consumed by another transaction, the next fired by a stranger's key", async () => {
    const nonceNow = async () => client.readContract({ address: d.guardian.safe, abi: [{ type: "function", name: "nonce", inputs: [], outputs: [{ type: "uint256" }], stateMutability: "view" }], functionName: "nonce" });
    const n0 = await nonceNow();
    const made = await cli(["safe", "presign", "--nonces", "2", "--out-dir", "presigned"]);
    expect(made.code, made.err).toBe(0);
    expect(made.out).toContain(`nonce ${n0}: presigned-pause-`);
    expect(made.out).toContain(`nonce ${n0 + 1n}: presigned-pause-`);
    const files = [n0, n0 + 1n].map((n) => path.join(dir, "presigned", `presigned-pause-${String(n).padStart(6, "0")}.json`));
    for (const f of files) expect(JSON.parse(readFileSync(f, "utf8")).presigned).toEqual({ owners: expect.any(Array), threshold: 2 });
    // Each signer signs every file in one go.
    for (const owner of [ROLE_INDEX.owner1, ROLE_INDEX.owner3]) {
      const signed = await cli(["safe", "sign", ...files], { GUARDIAN_SAFE_SIGNER_KEY: keyOf(owner) });
      expect(signed.code, signed.err).toBe(0);
      expect(signed.out.match(/: signed by /g)).toHaveLength(2);
    }
    const two = await cli(["safe", "sign", ...files, "--signature", `0x${"00".repeat(65)}`]);
    expect(two.code).toBe(2);
    expect(two.err).toContain("--signature: give one proposal file with it, got 2");

    // An ordinary Safe transaction takes nonce n0: its pre-signed pause is consumed.
    await cli(["safe", "propose", "unpause", "delegation", "--out", "u.json"]);
    for (const owner of [ROLE_INDEX.owner1, ROLE_INDEX.owner2]) await cli(["safe", "sign", path.join(dir, "u.json")], { GUARDIAN_SAFE_SIGNER_KEY: keyOf(owner) });
    expect((await cli(["safe", "exec", path.join(dir, "u.json")], { GUARDIAN_EXECUTOR_KEY: keyOf(ROLE_INDEX.bundler) })).code).toBe(0);
    expect(await client.readContract({ address: d.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [LAYER_ID.delegation] })).toBe(false);

    // Any funded key fires the next one: every layer paused, no signer reached.
    const fired = await cli(["safe", "fire", "presigned"], { GUARDIAN_EXECUTOR_KEY: keyOf(ROLE_INDEX.stranger) });
    expect(fired.code, fired.err).toBe(0);
    expect(fired.out).toContain(`(nonce ${n0 + 1n})`);
    expect(fired.out).toMatch(/confirmed on chain: entryPoint, accountFactory, delegation paused/);
    expect(fired.out).toMatch(/pre-signed pauses left: none/);
    for (const l of Object.values(LAYER_ID)) expect(await client.readContract({ address: d.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [l] })).toBe(true);

    const again = await cli(["safe", "fire", "presigned"], { GUARDIAN_EXECUTOR_KEY: keyOf(ROLE_INDEX.stranger) });
    expect(again.code).toBe(2);
    expect(again.err).toContain(`no pre-signed pause for the Safe's current nonce ${n0 + 2n}: the files cover nonces ${n0}, ${n0 + 1n} (all consumed)`);
  });
});

/**
 * Signer liveness on a real node with the real guardian Safe: the owners who
 * signed the deployment's Safe transaction count as alive, the one who did
 * not is reported until `guardian safe attest`; a forged attestation is
 * refused; two days later every owner is stale and the quorum is paged; an
 * approveHash and a fresh attestation restore it.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { keccak256, parseAbi, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { attestationMessage } from "../../daemon/src/respond/signer-liveness.js";
import { PauseAbilityWatch } from "../../daemon/src/runtime/pause-ability-watch.js";
import { RpcPool } from "../../daemon/src/chain/index.js";
import { foldFindings } from "../../daemon/src/runtime/sink.js";
import { openLowdbStore, type LowdbStore } from "../../daemon/src/store/index.js";
import { main } from "../../daemon/src/cli.js";
import { startStack, devKey, type StackEnv } from "./helpers/stack.js";

let s: StackEnv;
let store: LowdbStore;
let watch: PauseAbilityWatch;
let attDir: string;
const logged: string[] = [];

async function commitTip() {
  const b = await s.client.getBlock();
  await store.update((d) => {
    d.chain.ring = [{ number: Number(b.number), hash: b.hash }];
  });
}
const signerKey = (role: "owner1" | "owner2" | "owner3") => `pause-ability:signer:${s.wallets[role].account.address.toLowerCase()}`;
const changes = (findings: { key: string; recovered?: boolean }[]) => findings.map((f) => `${f.recovered ? "-" : "+"}${f.key}`).sort();

async function attest(role: "owner1" | "owner2" | "owner3", file: string) {
  let err = "";
  const code = await main(["--config", s.configFile, "safe", "attest", "--out", file], {
    stdout: () => {},
    stderr: (t) => void (err += t),
    env: { ...s.env, GUARDIAN_SAFE_SIGNER_KEY: devKey(role) },
    cwd: s.dir,
  });
  expect(code, err).toBe(0);
}

beforeAll(async () => {
  s = await startStack();
  attDir = path.join(s.dir, "attestations");
  mkdirSync(attDir);
  const pool = new RpcPool({ endpoints: [s.chain.url], chainId: s.deployment.chainId, timeoutMs: 5000 });
  store = await openLowdbStore({ dataDir: path.join(s.dir, "sl-data"), chainId: s.deployment.chainId, purpose: "test" });
  watch = new PauseAbilityWatch({
    store,
    pool,
    deployment: s.deployment,
    sentinel: s.wallets.sentinel.account.address,
    thresholds: { heartbeatMaxAgeSeconds: 0 },
    intervalSeconds: 3600,
    // maxLogRange 3: the scan goes in many small eth_getLogs chunks.
    liveness: { maxAgeDays: 1, attestations: [attDir], lookbackBlocks: 10_000, maxLogRange: 3 },
    clock: () => new Date(),
    log: (msg, fields) => void logged.push(`${msg} ${JSON.stringify(fields ?? {})}`),
    raise: async (findings) => {
      await store.update((d) => void foldFindings(d, findings, { now: new Date(), autoPause: { entryPoint: true, accountFactory: true, delegation: true } }));
    },
  });
});
afterAll(async () => {
  await store?.close();
  await s?.chain.stop();
});

describe("signer liveness", () => {
  it("owners who signed a Safe transaction are alive; the third is reported until they attest", async () => {
    await commitTip();
    const first = await watch.check();
    expect(changes(first)).toEqual([`+${signerKey("owner3")}`]);
    expect(first[0]!.severity).toBe("medium");
    expect(first[0]!.summary).toContain("no signed Safe transaction, approveHash or attestation seen");

    await attest("owner3", path.join(attDir, "owner3.json"));
    await commitTip();
    expect(changes(await watch.check())).toEqual([`-${signerKey("owner3")}`]);
  });

  it("a forged attestation is refused and counts for nothing", async () => {
    const good = JSON.parse(readFileSync(path.join(attDir, "owner3.json"), "utf8"));
    writeFileSync(path.join(attDir, "forged.json"), JSON.stringify({ ...good, signer: s.wallets.owner1.account.address }));
    // Properly signed, but about a block this chain does not have (made on a fork, or invented ahead of time).
    const fork = { safe: good.safe, chainId: good.chainId, blockNumber: good.blockNumber, blockHash: `0x${"ab".repeat(32)}` as const };
    const signature = await privateKeyToAccount(devKey("owner2")).signMessage({ message: attestationMessage(fork) });
    writeFileSync(path.join(attDir, "other-chain.json"), JSON.stringify({ ...good, ...fork, signer: s.wallets.owner2.account.address, signature }));
    await commitTip();
    expect(await watch.check()).toEqual([]);
    expect(logged.join("\n")).toMatch(/attestation refused.*forged\.json: signature does not recover to/);
    expect(logged.join("\n")).toMatch(/attestation refused.*other-chain\.json: block \d+ is not 0xabab/);
  });

  it("two days later every owner is stale and the quorum is paged; approveHash and a fresh attestation restore it", async () => {
    await s.rpc("evm_increaseTime", [2 * 86_400]);
    await s.rpc("evm_mine", []);
    await commitTip();
    const stale = await watch.check();
    expect(changes(stale)).toEqual([`+${signerKey("owner1")}`, `+${signerKey("owner2")}`, `+${signerKey("owner3")}`, "+pause-ability:signer-quorum"].sort());
    const quorum = stale.find((f) => f.key === "pause-ability:signer-quorum")!;
    expect(quorum.severity).toBe("high");
    expect(quorum.summary).toContain("Only 0 of the guardian Safe's 3 owners proved control of their key within 1 days, below its threshold of 2");

    const hash = await s.wallets.owner2.writeContract({ address: s.deployment.guardian.safe, abi: parseAbi(["function approveHash(bytes32 hashToApprove)"]), functionName: "approveHash", args: [keccak256(toHex("liveness"))] });
    await s.client.waitForTransactionReceipt({ hash });
    await attest("owner3", path.join(attDir, "owner3-again.json"));
    await commitTip();
    expect(changes(await watch.check())).toEqual([`-${signerKey("owner2")}`, `-${signerKey("owner3")}`, "-pause-ability:signer-quorum"].sort());
  });
});

/**
 * `guardian readiness` on a real node with the real stack: each pause path
 * reflects what happens on chain — a sentinel without a heartbeat, then
 * alive; an empty sentinel balance; a revoked sentinel role; a pre-signed
 * pause ready, then consumed; and exit 1 once no path is left.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { encodeFunctionData, getAddress, keccak256, parseAbi, toHex } from "viem";
import { startLocalChain, devClients, type LocalChain } from "../../scripts/lib/local-chain.js";
import { deployLocalStack, roleWallets, safeCall, type RoleWallets } from "../../daemon/src/deploy/local.js";
import { writeDeployment } from "../../daemon/src/deploy/deployments.js";
import type { Deployment } from "../../daemon/src/deploy/guardian.js";
import { createPresignedPauses, presignFileName } from "../../daemon/src/respond/presign.js";
import { addSignature, txOf, writeProposal } from "../../daemon/src/respond/safe-proposal.js";
import { signSafeTx } from "../../daemon/src/respond/safe.js";
import { main } from "../../daemon/src/cli.js";

let chain: LocalChain;
let d: Deployment;
let dir: string;
let w: RoleWallets;
let client: ReturnType<typeof devClients>["client"];
const hubAbi = parseAbi([
  "function heartbeat()",
  "function revokeRole(bytes32 role, address account)",
  "function renounceRole(bytes32 role, address callerConfirmation)",
  "function unpause(uint8[] layers, bytes32 incident)",
]);

async function cli(args: string[]) {
  let out = "";
  let err = "";
  const code = await main(["--config", path.join(dir, "guardian.json"), ...args], {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    env: { GUARDIAN_DATA_DIR: path.join(dir, "data") },
    cwd: dir,
  });
  return { code, out, err };
}
const pathOf = async (name: string) => {
  const r = await cli(["readiness", "--json", "--presigned", "presigned"]);
  const json = JSON.parse(r.out);
  return { code: r.code, ...json.paths.find((p: { path: string }) => p.path === name) } as { code: number; ready: boolean; details: string[] };
};
const safeDoes = (to: `0x${string}`, data: `0x${string}`) => safeCall(client as any, d.guardian.safe, to, data, [w.owner1, w.owner2]);

beforeAll(async () => {
  chain = await startLocalChain();
  const c = devClients(chain.chain, chain.url);
  client = c.client;
  w = roleWallets(c.wallets as any);
  d = await deployLocalStack(c.client as any, w);
  dir = mkdtempSync(path.join(tmpdir(), "guardian-readiness-"));
  mkdirSync(path.join(dir, "presigned"));
  writeDeployment(path.join(dir, "deployments"), d);
  writeFileSync(
    path.join(dir, "guardian.json"),
    JSON.stringify({
      preset: "local",
      rpc: { endpoints: [{ name: "node", http: chain.url }] },
      deploymentsFile: `deployments/${d.chainId}.json`,
      safe: { liveness: { maxAgeDays: 1, attestations: ["attestations"] } },
    }),
  );
});
afterAll(async () => {
  await chain?.stop();
});

describe("guardian readiness", () => {
  it("sentinel: not ready without a heartbeat, ready once it beats; then an empty balance and a revoked role each show", async () => {
    const first = await cli(["readiness"]);
    expect(first.code, first.err).toBe(0); // the Safe quorum is a path
    expect(first.out).toMatch(/^sentinel\s+NOT READY$/m);
    expect(first.out).toContain("no heartbeat ever");
    expect(first.out).toMatch(/^Safe quorum\s+READY$/m);
    expect(first.out).toContain("2-of-3 owners");
    // owner1 and owner2 signed the deployment's Safe transaction.
    expect(first.out).toContain(`live signers: 2 of 3 proved their key within 1 days (${getAddress(w.owner1.account.address)}, ${getAddress(w.owner2.account.address)})`);
    expect(first.out).toMatch(/^pre-signed Safe pause\s+NOT READY$/m);

    await client.waitForTransactionReceipt({ hash: await w.sentinel.writeContract({ address: d.guardian.hub, abi: hubAbi, functionName: "heartbeat" }) });
    const alive = await pathOf("sentinel");
    expect(alive.ready).toBe(true);
    expect(alive.details.join("\n")).toMatch(/holds SENTINEL_ROLE[\s\S]*covers 3 pauses[\s\S]*last heartbeat \d+ s ago/);

    const sentinel = w.sentinel.account.address;
    const balance = await client.getBalance({ address: sentinel });
    await client.request({ method: "hardhat_setBalance" as any, params: [sentinel, "0x0"] as any });
    const broke = await pathOf("sentinel");
    expect(broke.ready).toBe(false);
    expect(broke.details.join("\n")).toMatch(/balance 0 ETH does NOT cover 3 pauses/);
    await client.request({ method: "hardhat_setBalance" as any, params: [sentinel, toHex(balance)] as any });
    expect((await pathOf("sentinel")).ready).toBe(true);

    await safeDoes(d.guardian.hub, encodeFunctionData({ abi: hubAbi, functionName: "revokeRole", args: [keccak256(toHex("SENTINEL_ROLE")), sentinel] }));
    const revoked = await pathOf("sentinel");
    expect(revoked.ready).toBe(false);
    expect(revoked.details[0]).toBe(`${getAddress(sentinel)} does NOT hold SENTINEL_ROLE`);
  });

  it("pre-signed: ready at the Safe's nonce, not once it is consumed; with no path left, exit 1", async () => {
    const [p0] = await createPresignedPauses(client as any, { safe: getAddress(d.guardian.safe), hub: getAddress(d.guardian.hub), count: 1 });
    let p = p0!;
    for (const o of [w.owner1, w.owner3]) p = addSignature(p, await signSafeTx(o, getAddress(p.safe), p.chainId, txOf(p)));
    writeProposal(path.join(dir, "presigned", presignFileName(p.tx.nonce)), p);
    const ready = await pathOf("presigned");
    expect(ready.ready).toBe(true);
    expect(ready.details).toContain(`valid pre-signed nonces: ${p.tx.nonce}`);

    await safeDoes(d.guardian.hub, encodeFunctionData({ abi: hubAbi, functionName: "unpause", args: [[2], keccak256(toHex("x"))] }));
    const consumed = await pathOf("presigned");
    expect(consumed.ready).toBe(false);
    expect(consumed.details.join("\n")).toContain(`all consumed: the highest pre-signed nonce ${p.tx.nonce} is below the Safe's nonce ${BigInt(p.tx.nonce) + 1n}`);

    // The Safe gives up GUARDIAN_ROLE: no path is left.
    await safeDoes(d.guardian.hub, encodeFunctionData({ abi: hubAbi, functionName: "renounceRole", args: [keccak256(toHex("GUARDIAN_ROLE")), d.guardian.safe] }));
    const none = await cli(["readiness", "--presigned", "presigned"]);
    expect(none.code).toBe(1);
    expect(none.out).toMatch(/^Safe quorum\s+NOT READY$/m);
    expect(none.out).toContain("can pause now: NO path is ready");
    expect(none.err).toContain("no pause path is ready");
  });
});

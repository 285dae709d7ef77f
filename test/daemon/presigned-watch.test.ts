/**
 * The pause-ability watch keeps an eye on pre-signed pauses, on a real node
 * with the real guardian Safe: consuming every pre-signed nonce opens
 * "No pre-signed pause can be fired", pre-signing again clears it, and an
 * owner added to the Safe after signing opens "The Safe changed since the
 * pauses were pre-signed".
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { encodeFunctionData, getAddress, keccak256, parseAbi, toHex, type Address } from "viem";
import { PauseAbilityWatch } from "../../daemon/src/runtime/pause-ability-watch.js";
import { RpcPool } from "../../daemon/src/chain/index.js";
import { foldFindings } from "../../daemon/src/runtime/sink.js";
import { openLowdbStore, type LowdbStore } from "../../daemon/src/store/index.js";
import { safeCall } from "../../daemon/src/deploy/local.js";
import { createPresignedPauses, presignFileName } from "../../daemon/src/respond/presign.js";
import { addSignature, txOf, writeProposal } from "../../daemon/src/respond/safe-proposal.js";
import { signSafeTx } from "../../daemon/src/respond/safe.js";
import { startStack, type StackEnv } from "./helpers/stack.js";

let s: StackEnv;
let store: LowdbStore;
let watch: PauseAbilityWatch;
let dir: string;

async function commitTip() {
  const b = await s.client.getBlock();
  await store.update((d) => {
    d.chain.ring = [{ number: Number(b.number), hash: b.hash }];
  });
}
const openKeys = () =>
  Object.values(store.read().incidents)
    .filter((i) => i.state !== "recovered" && i.state !== "postreview")
    .map((i) => i.key)
    .filter((k) => k.includes("presigned"))
    .sort();

/** Pre-signs `count` pauses from the Safe's nonce, signed by owner1 and owner3. */
async function presign(count: number) {
  const proposals = await createPresignedPauses(s.client as any, { safe: getAddress(s.deployment.guardian.safe), hub: getAddress(s.deployment.guardian.hub), count });
  for (let p of proposals) {
    for (const w of [s.wallets.owner1, s.wallets.owner3]) p = addSignature(p, await signSafeTx(w, getAddress(p.safe), p.chainId, txOf(p)));
    writeProposal(path.join(dir, presignFileName(p.tx.nonce)), p);
  }
}
/** Any Safe transaction: it uses the Safe's current nonce. */
const consumeNonce = () =>
  safeCall(s.client as any, s.deployment.guardian.safe, s.deployment.guardian.hub, encodeFunctionData({ abi: parseAbi(["function unpause(uint8[] layers, bytes32 incident)"]), functionName: "unpause", args: [[2], keccak256(toHex("x"))] }), [s.wallets.owner1, s.wallets.owner2]);

beforeAll(async () => {
  s = await startStack();
  dir = path.join(s.dir, "presigned");
  mkdirSync(dir);
  const pool = new RpcPool({ endpoints: [s.chain.url], chainId: s.deployment.chainId, timeoutMs: 5000 });
  store = await openLowdbStore({ dataDir: path.join(s.dir, "pw-data"), chainId: s.deployment.chainId, purpose: "test" });
  watch = new PauseAbilityWatch({
    store,
    pool,
    deployment: s.deployment,
    sentinel: s.wallets.sentinel.account.address,
    thresholds: { heartbeatMaxAgeSeconds: 0 },
    intervalSeconds: 3600,
    presigned: [dir],
    clock: () => new Date(),
    raise: async (findings) => {
      await store.update((d) => void foldFindings(d, findings, { now: new Date(), autoPause: { entryPoint: true, accountFactory: true, delegation: true } }));
    },
  });
});
afterAll(async () => {
  await store?.close();
  await s?.chain.stop();
});

describe("pause-ability watch: pre-signed pauses", () => {
  it("none pre-signed yet: a finding; two signed: it clears", async () => {
    await commitTip();
    const none = await watch.check();
    expect(none.map((f) => f.key)).toEqual(["pause-ability:presigned"]);
    expect(none[0]!.summary).toContain("there are no pre-signed pauses for this Safe");
    await presign(2);
    await commitTip();
    const cleared = await watch.check();
    expect(cleared.map((f) => [f.key, f.recovered])).toEqual([["pause-ability:presigned", true]]);
  });

  it("one nonce consumed leaves the next one; both consumed pages with the nonces", async () => {
    const nonce = Number(await s.client.readContract({ address: s.deployment.guardian.safe, abi: parseAbi(["function nonce() view returns (uint256)"]), functionName: "nonce" }));
    await consumeNonce();
    await commitTip();
    expect(await watch.check()).toEqual([]);
    expect(openKeys()).toEqual([]);
    await consumeNonce();
    await commitTip();
    const f = await watch.check();
    expect(f.map((x) => x.key)).toEqual(["pause-ability:presigned"]);
    expect(f[0]!.severity).toBe("high");
    expect(f[0]!.summary).toContain(`the highest pre-signed nonce ${nonce + 1} is below the Safe's nonce ${nonce + 2}`);
    expect(openKeys()).toEqual(["pause-ability:presigned"]);
  });

  it("an owner added after signing: the remaining pre-signed pause is flagged", async () => {
    await presign(2);
    await commitTip();
    expect((await watch.check()).map((x) => [x.key, x.recovered])).toEqual([["pause-ability:presigned", true]]);
    const newOwner = s.wallets.stranger.account.address as Address;
    await safeCall(
      s.client as any,
      s.deployment.guardian.safe,
      s.deployment.guardian.safe,
      encodeFunctionData({ abi: parseAbi(["function addOwnerWithThreshold(address owner, uint256 _threshold)"]), functionName: "addOwnerWithThreshold", args: [newOwner, 2n] }),
      [s.wallets.owner1, s.wallets.owner2],
    );
    await commitTip();
    const f = await watch.check();
    const keys = f.map((x) => x.key);
    expect(keys).toContain("pause-ability:presigned-config");
    expect(keys).not.toContain("pause-ability:presigned"); // owner1 and owner3 still reach the threshold of 2
    expect(f.find((x) => x.key === "pause-ability:presigned-config")!.summary).toMatch(/signed under: their signatures may no longer reach the threshold/);
  });
});

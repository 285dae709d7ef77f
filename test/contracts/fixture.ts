/**
 * One deployment of the whole stack on Hardhat's in-process chain, shared by
 * the integration tests through `loadFixture` (each test starts from the same
 * snapshot): the real kit, Guardian's contracts, and a real 2-of-3 Safe as the
 * guardian, which grants the sentinel role itself.
 */
import { network } from "hardhat";
import { type Address, type Hex, getAddress, parseEther } from "viem";
import { deployGuardian, ROLES } from "../../daemon/src/deploy/guardian.js";
import { guardianArtifact } from "../../daemon/src/deploy/artifacts.js";
import { buildSafeTx, execSafeTx, signSafeTx } from "../../daemon/src/respond/safe.js";

export const conn = await network.getOrCreate();
export const { viem, networkHelpers, provider } = conn;
export const client = await viem.getPublicClient();
const wallets = await viem.getWalletClients();
export const [deployer, sentinel, sponsor, bundler, user, delegate, owner1, owner2, owner3, stranger] = wallets as [
  (typeof wallets)[0], (typeof wallets)[0], (typeof wallets)[0], (typeof wallets)[0], (typeof wallets)[0],
  (typeof wallets)[0], (typeof wallets)[0], (typeof wallets)[0], (typeof wallets)[0], (typeof wallets)[0],
];
export const hubAbi = guardianArtifact("GuardianHub").abi;
export const paymasterAbi = guardianArtifact("GuardedPaymaster").abi;
export const factoryAbi = guardianArtifact("GuardedAccountFactory").abi;

export const SENTINEL_PAUSE = 3600;
export const SENTINEL_COOLDOWN = 6 * 3600;

async function deployStack() {
  const { deployment, pendingSafeCalls } = await deployGuardian({
    client: client as any,
    deployer: deployer as any,
    safeOwners: [owner1.account.address, owner2.account.address, owner3.account.address],
    safeThreshold: 2,
    sentinel: sentinel.account.address,
    sponsorSigner: sponsor.account.address,
    sentinelPauseDuration: SENTINEL_PAUSE,
    sentinelCooldown: SENTINEL_COOLDOWN,
  });
  for (const call of pendingSafeCalls) await safeCall(deployment.guardian.safe, call.to, call.data, [owner1, owner2]);
  return deployment;
}

/** The guardian Safe makes a call, signed by the given owners and sent by the first. */
export async function safeCall(safe: Address, to: Address, data: Hex, signers: (typeof wallets)[number][]) {
  const tx = await buildSafeTx(client as any, safe, { to, data });
  const sigs = [];
  for (const s of signers) sigs.push(await signSafeTx(s as any, safe, client.chain.id, tx));
  return execSafeTx(signers[0] as any, client as any, safe, tx, sigs);
}

export async function stack() {
  return networkHelpers.loadFixture(deployStack);
}

export { ROLES, parseEther, getAddress };

/**
 * One deployment of the whole stack on Hardhat's in-process chain, shared by
 * the integration tests through `loadFixture` (each test starts from the same
 * snapshot): the real kit, Guardian's contracts, and a real 2-of-3 Safe as the
 * guardian, which grants the sentinel role itself.
 */
import { network } from "hardhat";
import { type Address, type Hex, getAddress, parseEther } from "viem";
import { ROLES } from "../../daemon/src/deploy/guardian.js";
import { deployLocalStack, roleWallets, safeCall as stackSafeCall } from "../../daemon/src/deploy/local.js";
import { guardianArtifact } from "../../daemon/src/deploy/artifacts.js";

export const conn = await network.getOrCreate();
export const { viem, networkHelpers, provider } = conn;
export const client = await viem.getPublicClient();
const wallets = await viem.getWalletClients();
type W = (typeof wallets)[0];
export const [deployer, sentinel, sponsor, bundler, user, delegate, owner1, owner2, owner3, stranger] = wallets as [W, W, W, W, W, W, W, W, W, W];
export const hubAbi = guardianArtifact("GuardianHub").abi;
export const paymasterAbi = guardianArtifact("GuardedPaymaster").abi;
export const factoryAbi = guardianArtifact("GuardedAccountFactory").abi;

export const SENTINEL_PAUSE = 3600;
export const SENTINEL_COOLDOWN = 6 * 3600;

const roles = roleWallets(wallets as any);

async function deployStack() {
  return deployLocalStack(client as any, roles, { sentinelPauseDuration: SENTINEL_PAUSE, sentinelCooldown: SENTINEL_COOLDOWN });
}

/** The guardian Safe makes a call, signed by the given owners and sent by the first. */
export async function safeCall(safe: Address, to: Address, data: Hex, signers: (typeof wallets)[number][]) {
  return stackSafeCall(client as any, safe, to, data, signers as any);
}

export async function stack() {
  return networkHelpers.loadFixture(deployStack);
}

export { ROLES, parseEther, getAddress };

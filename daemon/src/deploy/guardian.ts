/**
 * Deploys Guardian next to the Smart Accounts Kit and wires it:
 *
 *   1. the kit's environment (EntryPoint v0.7, factory, DelegationManager, ...),
 *      unless the given one is already on chain;
 *   2. the GuardianHub (admin = deployer while wiring, guardian = the Safe);
 *   3. the guarded EntryPoint layer (a verifying paymaster, funded and staked)
 *      and the guarded AccountFactory layer (staked: it reads its own pause
 *      flag during validation, which ERC-7562 allows staked factories only);
 *   4. the DelegationManager's ownership handed to the hub (two-step);
 *   5. each layer wired to its targets;
 *   6. governance handed to the final admin when one is given.
 *
 * Granting the sentinel role is the guardian's (the Safe's) power, not the
 * deployer's: the result lists that call for the Safe to make.
 */
process.env.DO_NOT_TRACK ??= "1"; // the kit's analytics must stay off on offline machines

import {
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
  encodeFunctionData,
  getAddress,
  keccak256,
  parseAbi,
  toHex,
  zeroAddress,
} from "viem";
import { deploySmartAccountsEnvironment } from "@metamask/smart-accounts-kit/utils";
import type { SmartAccountsEnvironment } from "@metamask/smart-accounts-kit";
import { guardianArtifact, safeArtifact } from "./artifacts.js";
import { safeAbi } from "../respond/safe.js";
import { LAYER_ID } from "../types.js";

type Wallet = WalletClient<Transport, Chain, Account>;

export const ROLES = {
  DEFAULT_ADMIN: `0x${"00".repeat(32)}` as Hex,
  GUARDIAN: keccak256(toHex("GUARDIAN_ROLE")),
  SENTINEL: keccak256(toHex("SENTINEL_ROLE")),
};

const ownableAbi = parseAbi([
  "function owner() view returns (address)",
  "function pendingOwner() view returns (address)",
  "function transferOwnership(address newOwner)",
]);
const entryPointStakeAbi = parseAbi(["function depositTo(address account) payable"]);

/** What `deployments/<chainId>.json` holds. */
export interface Deployment {
  chainId: number;
  deployedAt: string;
  deployer: Address;
  startBlock: number;
  kit: SmartAccountsEnvironment;
  guardian: {
    hub: Address;
    paymaster: Address;
    accountFactory: Address;
    safe: Address;
  };
  roles: { admin: Address; guardian: Address; sentinels: Address[] };
  params: { sentinelPauseDuration: number; sentinelCooldown: number; sponsorSigner: Address };
}

/** A call the guardian Safe still has to make. */
export interface PendingSafeCall {
  description: string;
  to: Address;
  data: Hex;
}

export interface DeployGuardianParams {
  client: PublicClient;
  deployer: Wallet;
  /** An existing guardian Safe; or deploy one with `safeOwners` (local chains). */
  guardianSafe?: Address;
  safeOwners?: Address[];
  safeThreshold?: number;
  sentinel: Address;
  sponsorSigner: Address;
  /** Governance after wiring; the deployer keeps it when omitted. */
  finalAdmin?: Address;
  sentinelPauseDuration?: number;
  sentinelCooldown?: number;
  /** ETH the paymaster deposits at the EntryPoint to sponsor operations. */
  paymasterDeposit?: bigint;
  /** Stake of the paymaster and of the factory, and its unstake delay. */
  stake?: bigint;
  unstakeDelaySec?: number;
  /** A kit environment already deployed on this chain (reused when its code is there). */
  kit?: SmartAccountsEnvironment;
  log?: (line: string) => void;
}

export interface DeployGuardianResult {
  deployment: Deployment;
  pendingSafeCalls: PendingSafeCall[];
}

async function mined(client: PublicClient, hash: Hex, what: string) {
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${what} reverted (tx ${hash})`);
  return receipt;
}

async function deploy(client: PublicClient, wallet: Wallet, art: { abi: any; bytecode: Hex }, args: unknown[], what: string) {
  const hash = await wallet.deployContract({ abi: art.abi, bytecode: art.bytecode, args });
  const receipt = await mined(client, hash, `deploying ${what}`);
  if (!receipt.contractAddress) throw new Error(`deploying ${what}: no contract address in receipt ${hash}`);
  return getAddress(receipt.contractAddress);
}

async function hasCode(client: PublicClient, address: Address | undefined) {
  if (!address) return false;
  const code = await client.getCode({ address });
  return !!code && code !== "0x";
}

/** Deploys a Safe v1.4.1 (singleton, proxy factory, fallback handler, proxy). For local chains. */
export async function deploySafe(client: PublicClient, wallet: Wallet, owners: Address[], threshold: number): Promise<Address> {
  const singleton = await deploy(client, wallet, safeArtifact("SafeL2"), [], "SafeL2 singleton");
  const factory = await deploy(client, wallet, safeArtifact("SafeProxyFactory"), [], "SafeProxyFactory");
  const handler = await deploy(client, wallet, safeArtifact("CompatibilityFallbackHandler"), [], "fallback handler");
  const initializer = encodeFunctionData({
    abi: safeAbi,
    functionName: "setup",
    args: [owners, BigInt(threshold), zeroAddress, "0x", handler, zeroAddress, 0n, zeroAddress],
  });
  const factoryAbi = safeArtifact("SafeProxyFactory").abi;
  const { request, result } = await client.simulateContract({
    account: wallet.account,
    address: factory,
    abi: factoryAbi,
    functionName: "createProxyWithNonce",
    args: [singleton, initializer, BigInt(Date.now())],
  });
  await mined(client, await wallet.writeContract(request as any), "creating the Safe proxy");
  return getAddress(result as Address);
}

export async function deployGuardian(p: DeployGuardianParams): Promise<DeployGuardianResult> {
  const { client, deployer } = p;
  const log = p.log ?? (() => {});
  const chain = deployer.chain;
  const me = deployer.account.address;
  const write = async (address: Address, abi: any, functionName: string, args: unknown[], what: string, value?: bigint) => {
    const hash = await deployer.writeContract({ address, abi, functionName, args, value } as any);
    return mined(client, hash, what);
  };
  const startBlock = Number(await client.getBlockNumber());

  // 1. The kit.
  let kit = p.kit;
  if (kit && (await hasCode(client, kit.EntryPoint)) && (await hasCode(client, kit.DelegationManager))) {
    log(`kit environment found on chain ${chain.id}: EntryPoint ${kit.EntryPoint}`);
  } else {
    log("deploying the Smart Accounts Kit environment");
    kit = await deploySmartAccountsEnvironment(deployer as any, client as any, chain);
  }

  // The guardian Safe.
  let safe = p.guardianSafe;
  if (!safe) {
    if (!p.safeOwners?.length) throw new Error("deploy: give an existing guardian Safe or its owners to create one");
    safe = await deploySafe(client, deployer, p.safeOwners, p.safeThreshold ?? 2);
    log(`guardian Safe ${safe} (${p.safeThreshold ?? 2}-of-${p.safeOwners.length})`);
  } else if (!(await hasCode(client, safe))) {
    throw new Error(`deploy: guardian Safe ${safe} has no code on chain ${chain.id}`);
  }

  // 2. The hub.
  const duration = p.sentinelPauseDuration ?? 3600;
  const cooldown = p.sentinelCooldown ?? 6 * 3600;
  const hubArt = guardianArtifact("GuardianHub");
  const hub = await deploy(client, deployer, hubArt, [me, safe, BigInt(duration), BigInt(cooldown)], "GuardianHub");
  log(`GuardianHub ${hub}`);

  // 3. Guarded layers.
  const pmArt = guardianArtifact("GuardedPaymaster");
  const paymaster = await deploy(client, deployer, pmArt, [kit.EntryPoint, hub, p.sponsorSigner, me], "GuardedPaymaster");
  const facArt = guardianArtifact("GuardedAccountFactory");
  const accountFactory = await deploy(client, deployer, facArt, [hub, me], "GuardedAccountFactory");
  const stake = p.stake ?? 10n ** 17n;
  const delay = p.unstakeDelaySec ?? 86400;
  await write(paymaster, pmArt.abi, "addStake", [delay], "staking the paymaster", stake);
  await write(accountFactory, facArt.abi, "addStake", [kit.EntryPoint, delay], "staking the factory", stake);
  const deposit = p.paymasterDeposit ?? 10n ** 18n;
  if (deposit > 0n) await write(kit.EntryPoint, entryPointStakeAbi, "depositTo", [paymaster], "funding the paymaster", deposit);
  log(`GuardedPaymaster ${paymaster}, GuardedAccountFactory ${accountFactory}`);

  // 4. The DelegationManager's ownership, two-step.
  const dmOwner = getAddress(await client.readContract({ address: kit.DelegationManager, abi: ownableAbi, functionName: "owner" }));
  const pendingSafeCalls: PendingSafeCall[] = [];
  if (dmOwner === getAddress(me)) {
    await write(kit.DelegationManager, ownableAbi, "transferOwnership", [hub], "offering the DelegationManager to the hub");
    await write(hub, hubArt.abi, "acceptTargetOwnership", [kit.DelegationManager], "hub accepting the DelegationManager");
  } else if (dmOwner !== hub) {
    log(`the DelegationManager is owned by ${dmOwner}: it must call transferOwnership(${hub}), then the admin hub.acceptTargetOwnership`);
  }

  // 5. Layers.
  await write(hub, hubArt.abi, "setLayerTargets", [LAYER_ID.entryPoint, [paymaster]], "wiring the EntryPoint layer");
  await write(hub, hubArt.abi, "setLayerTargets", [LAYER_ID.accountFactory, [accountFactory]], "wiring the AccountFactory layer");
  await write(hub, hubArt.abi, "setLayerTargets", [LAYER_ID.delegation, [kit.DelegationManager]], "wiring the Delegation layer");

  // 6. Governance.
  let admin = getAddress(me);
  if (p.finalAdmin && getAddress(p.finalAdmin) !== admin) {
    await write(hub, hubArt.abi, "grantRole", [ROLES.DEFAULT_ADMIN, p.finalAdmin], "granting admin");
    await write(hub, hubArt.abi, "renounceRole", [ROLES.DEFAULT_ADMIN, me], "deployer renouncing admin");
    admin = getAddress(p.finalAdmin);
  }

  pendingSafeCalls.push({
    description: `grant SENTINEL_ROLE to ${p.sentinel}`,
    to: hub,
    data: encodeFunctionData({ abi: hubArt.abi, functionName: "grantRole", args: [ROLES.SENTINEL, p.sentinel] }),
  });

  const deployment: Deployment = {
    chainId: chain.id,
    deployedAt: new Date().toISOString(),
    deployer: getAddress(me),
    startBlock,
    kit,
    guardian: { hub, paymaster, accountFactory, safe },
    roles: { admin, guardian: safe, sentinels: [] },
    params: { sentinelPauseDuration: duration, sentinelCooldown: cooldown, sponsorSigner: getAddress(p.sponsorSigner) },
  };
  return { deployment, pendingSafeCalls };
}

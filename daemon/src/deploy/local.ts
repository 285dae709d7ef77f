/**
 * The whole stack on a local chain, as `guardian deploy --network local`, the
 * demo, the gas report and the tests use it: the kit, Guardian's contracts and a 2-of-3 guardian Safe that grants
 * the sentinel role itself. Roles are given to fixed dev accounts so that
 * every tool agrees on who is who.
 */
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import { deployGuardian, type Deployment } from "./guardian.js";
import { buildSafeTx, execSafeTx, signSafeTx } from "../respond/safe.js";

export type Wallet = WalletClient<Transport, Chain, Account>;

/** Dev-account indexes of each role on a local chain. */
export const ROLE_INDEX = { deployer: 0, sentinel: 1, sponsor: 2, bundler: 3, user: 4, delegate: 5, owner1: 6, owner2: 7, owner3: 8, stranger: 9 } as const;
export type RoleName = keyof typeof ROLE_INDEX;
export type RoleWallets = Record<RoleName, Wallet>;

export function roleWallets(wallets: readonly Wallet[]): RoleWallets {
  const out = {} as RoleWallets;
  for (const [name, i] of Object.entries(ROLE_INDEX)) {
    const w = wallets[i];
    if (!w) throw new Error(`need at least ${Object.keys(ROLE_INDEX).length} dev accounts, got ${wallets.length}`);
    out[name as RoleName] = w;
  }
  return out;
}

/** The guardian Safe makes a call, signed by the given owners and sent by the first of them. */
export async function safeCall(client: PublicClient, safe: Address, to: Address, data: Hex, signers: Wallet[]): Promise<Hex> {
  const tx = await buildSafeTx(client, safe, { to, data });
  const sigs = [];
  for (const s of signers) sigs.push(await signSafeTx(s, safe, client.chain!.id, tx));
  return execSafeTx(signers[0]!, client, safe, tx, sigs);
}

export interface LocalStackOptions {
  sentinelPauseDuration?: number;
  sentinelCooldown?: number;
  /** A kit environment already on this chain, reused when its code is there. */
  kit?: Deployment["kit"];
  log?: (line: string) => void;
}

export async function deployLocalStack(client: PublicClient, w: RoleWallets, opts: LocalStackOptions = {}): Promise<Deployment> {
  const { deployment, pendingSafeCalls } = await deployGuardian({
    client,
    deployer: w.deployer,
    safeOwners: [w.owner1.account.address, w.owner2.account.address, w.owner3.account.address],
    safeThreshold: 2,
    sentinel: w.sentinel.account.address,
    sponsorSigner: w.sponsor.account.address,
    sentinelPauseDuration: opts.sentinelPauseDuration ?? 3600,
    sentinelCooldown: opts.sentinelCooldown ?? 6 * 3600,
    kit: opts.kit,
    log: opts.log,
  });
  for (const call of pendingSafeCalls) {
    await safeCall(client, deployment.guardian.safe, call.to, call.data, [w.owner1, w.owner2]);
    opts.log?.(`guardian Safe: ${call.description}`);
  }
  deployment.roles.sentinels = [w.sentinel.account.address];
  return deployment;
}

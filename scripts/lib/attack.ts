/**
 * A delegation drain as an attacker sends it, for the pre-emption tests and
 * the `preempt` bench phase: a funded smart account (the victim) has signed a
 * too-generous native-transfer delegation to the attacker's key, and the
 * attacker redeems it through the DelegationManager with one transaction it
 * signs itself (explicit gas, nonce and fees), so that the transaction can be
 * put into the pool of a node that does not mine on its own and raced.
 *
 * Setup (`prepareDrain`) needs automine on (it waits for receipts); the signed
 * drain (`signDrain`) needs nothing from the node but the attacker's nonce
 * (`blockTag: "pending"`), so it works with automine off. Works on Hardhat's
 * EDR and on anvil.
 *
 * @example
 * const drain = await prepareDrain({ client, deployment, funder: w.deployer, attacker, fundWei: parseEther("20"), allowanceWei: parseEther("15") });
 * await rpc("evm_setAutomine", [false]);
 * const { raw, hash } = await signDrain({ client, attacker, deployment, calldata: drain.calldata(thief, parseEther("12")),
 *   fees: { maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n }, gas: 500_000n });
 * await sendRawTransaction(client, raw);
 */
import { randomBytes } from "node:crypto";
import {
  type Account,
  type Address,
  type Chain,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type Transport,
  type WalletClient,
  createWalletClient,
  custom,
  keccak256,
  toFunctionSelector,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createDelegation, ScopeType, type Delegation, type MetaMaskSmartAccount, type Implementation } from "@metamask/smart-accounts-kit";
import type { Deployment } from "../../daemon/src/deploy/guardian.js";
import { guardedEnvironment, redeemCalldata, smartAccount } from "./traffic.js";

type Wallet = WalletClient<Transport, Chain, Account>;

/** Gas the attacker's account keeps for its transactions (a redemption costs about 0.15 M gas). */
const ATTACKER_GAS_MONEY = 10n ** 18n;

export interface PrepareDrainOptions {
  client: PublicClient;
  deployment: Deployment;
  /** Pays for the victim account's creation, its balance and the attacker's gas money. */
  funder: Wallet;
  /** The delegate that will redeem: a key no other role of the stack uses. */
  attacker: LocalAccount;
  /** What the victim account holds after setup (wei). */
  fundWei: bigint;
  /** The delegation's native-transfer allowance (wei). */
  allowanceWei: bigint;
}

export interface PreparedDrain {
  /** The victim: a HybridDeleGator smart account created through Guardian's factory. */
  delegator: Address;
  /** The current signed delegation from the victim to the attacker (replaced by `renew`). */
  delegation: Delegation;
  /** `redeemDelegations` calldata moving `value` wei from the victim to `to` under the current delegation. */
  calldata(to: Address, value: bigint): Hex;
  /**
   * Signs a fresh delegation (a new salt, so a new allowance counter) to the
   * same attacker, and tops the victim's balance back up to `fundWei` when
   * an earlier drain took it. Needs automine on (or a miner) for the top-up.
   */
  renew(opts?: { allowanceWei?: bigint; refill?: boolean }): Promise<Delegation>;
}

async function mined(client: PublicClient, hash: Hex, what: string): Promise<void> {
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`attack setup: ${what} reverted (tx ${hash})`);
}

/**
 * Creates the victim account (a direct call to Guardian's factory, as anyone
 * may make), funds it with `fundWei`, gives the attacker gas money when it has
 * less than 1 ETH (anvil funds only 10 dev accounts), and signs the victim's
 * delegation to the attacker allowing `allowanceWei` of native transfers.
 */
export async function prepareDrain(opts: PrepareDrainOptions): Promise<PreparedDrain> {
  const { client, deployment: d, funder, attacker, fundWei } = opts;
  const owner = privateKeyToAccount(generatePrivateKey());
  const ownerWallet = createWalletClient({ account: owner, chain: client.chain, transport: custom({ request: (args) => client.request(args as never) }) });
  const account = await smartAccount(client, d, ownerWallet as unknown as Wallet, `0x${randomBytes(32).toString("hex")}`);
  const { factory, factoryData } = (await account.getFactoryArgs()) as { factory?: Address; factoryData?: Hex };
  if (!factory || !factoryData) throw new Error("attack setup: the kit gave no factory arguments for a new account");
  await mined(client, await funder.sendTransaction({ to: factory, data: factoryData, gas: 2_000_000n }), `creating the victim account ${account.address}`);
  if (!(await client.getCode({ address: account.address }))?.slice(2).length) throw new Error(`attack setup: no code at the victim account ${account.address} after its creation`);
  await mined(client, await funder.sendTransaction({ to: account.address, value: fundWei }), "funding the victim account");
  if ((await client.getBalance({ address: attacker.address })) < ATTACKER_GAS_MONEY) {
    await mined(client, await funder.sendTransaction({ to: attacker.address, value: ATTACKER_GAS_MONEY }), "the attacker's gas money");
  }

  const sign = (allowanceWei: bigint) => delegateWithSalt(d, account, attacker.address, allowanceWei);
  let allowance = opts.allowanceWei;
  const prepared: PreparedDrain = {
    delegator: account.address,
    delegation: await sign(allowance),
    calldata: (to, value) => redeemCalldata(prepared.delegation, to, value),
    async renew(o = {}) {
      allowance = o.allowanceWei ?? allowance;
      if (o.refill ?? true) {
        const balance = await client.getBalance({ address: account.address });
        if (balance < fundWei) await mined(client, await funder.sendTransaction({ to: account.address, value: fundWei - balance }), "refilling the victim account");
      }
      prepared.delegation = await sign(allowance);
      return prepared.delegation;
    },
  };
  return prepared;
}

async function delegateWithSalt(d: Deployment, from: MetaMaskSmartAccount<Implementation.Hybrid>, delegate: Address, maxAmount: bigint): Promise<Delegation> {
  const delegation = createDelegation({
    environment: guardedEnvironment(d),
    from: from.address,
    to: delegate,
    scope: { type: ScopeType.NativeTokenTransferAmount, maxAmount },
    salt: `0x${randomBytes(16).toString("hex")}`,
  });
  return { ...delegation, signature: await from.signDelegation({ delegation }) };
}

export type DrainFees = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | { gasPrice: bigint };

export interface SignDrainOptions {
  client: PublicClient;
  /** Default: the client's chain. */
  chain?: Chain;
  attacker: LocalAccount;
  deployment: Deployment;
  calldata: Hex;
  fees: DrainFees;
  /** Explicit, so that nothing is estimated (a drain racing a pause may revert). Default 500,000. */
  gas?: bigint;
  /** Default: the attacker's pending transaction count. */
  nonce?: number;
}

/** Signs the redemption as the attacker (EIP-1559, or legacy with `gasPrice`); the hash is the signed bytes'. */
export async function signDrain(opts: SignDrainOptions): Promise<{ raw: Hex; hash: Hex }> {
  const chain = opts.chain ?? opts.client.chain;
  if (!chain) throw new Error("signDrain: no chain (pass `chain`, or a client that has one)");
  const nonce = opts.nonce ?? (await opts.client.getTransactionCount({ address: opts.attacker.address, blockTag: "pending" }));
  const base = { chainId: chain.id, to: opts.deployment.kit.DelegationManager, data: opts.calldata, value: 0n, gas: opts.gas ?? 500_000n, nonce };
  const raw =
    "gasPrice" in opts.fees
      ? await opts.attacker.signTransaction({ ...base, type: "legacy", gasPrice: opts.fees.gasPrice })
      : await opts.attacker.signTransaction({ ...base, type: "eip1559", maxFeePerGas: opts.fees.maxFeePerGas, maxPriorityFeePerGas: opts.fees.maxPriorityFeePerGas });
  return { raw, hash: keccak256(raw) };
}

/**
 * `eth_sendRawTransaction`; resolves with the hash the node answered. With
 * automine on, a node that mines a reverting transaction at once may answer
 * with the revert: pass `tolerateRevert` to get the hash anyway.
 */
export async function sendRawTransaction(client: PublicClient, raw: Hex, o: { tolerateRevert?: boolean } = {}): Promise<Hex> {
  try {
    return (await client.request({ method: "eth_sendRawTransaction", params: [raw] })) as Hex;
  } catch (error) {
    if (o.tolerateRevert && /revert|VM Exception/i.test(String(error))) return keccak256(raw);
    throw error;
  }
}

/** The 4-byte selector of OpenZeppelin Pausable's `EnforcedPause()`, what a redemption reverts with while the DelegationManager is paused. */
export const ENFORCED_PAUSE_SELECTOR = toFunctionSelector("error EnforcedPause()");

/**
 * Whether a mined, reverted transaction reverted with the custom error
 * `selector` (default `EnforcedPause()`), from the node's call trace
 * (`debug_traceTransaction` with the call tracer: EDR and anvil have it;
 * receipts carry no revert data). `undefined` when the node cannot tell.
 */
export async function revertedWith(client: PublicClient, hash: Hex, selector: Hex = ENFORCED_PAUSE_SELECTOR): Promise<boolean | undefined> {
  let trace: unknown;
  try {
    trace = await client.request({ method: "debug_traceTransaction" as never, params: [hash, { tracer: "callTracer" }] as never });
  } catch {
    return undefined;
  }
  const top = trace as { output?: string; error?: string } | null;
  if (!top || typeof top !== "object") return undefined;
  // The outermost frame's output is the revert data the transaction ended with.
  if (typeof top.output === "string" && top.output.length >= 10) return top.output.slice(0, 10).toLowerCase() === selector.toLowerCase();
  return false;
}

/**
 * Scenario traffic on the real Smart Accounts Kit: healthy traffic (accounts
 * created through Guardian's factory, sponsored user operations, delegation
 * redemptions) and each symptom Guardian's detectors must recognise, injected
 * on demand. Every scenario returns what it did (transactions, blocks) and
 * the findings a monitor should raise, so tests and the demo can check them.
 *
 * For local chains (Hardhat's dev accounts, `hardhat_*` methods): the roles
 * are the dev accounts of daemon/src/deploy/local.ts (`ROLE_INDEX`).
 * Transactions that must fail are sent with an explicit gas limit so that
 * they are mined (a wallet's gas estimate would refuse them), which is how a
 * careless bundler or dapp puts them on chain.
 *
 * @example
 * const ctx = { client, wallets: roleWallets(wallets), deployment };
 * await healthyTraffic(ctx, { rounds: 5 });
 * const r = await runScenario(ctx, "account-creation-failing", { blocks: 12 });
 * // r.expected: [{ detector: "account-creation", key: "account-creation:failing", severity: "critical" }]
 */
process.env.DO_NOT_TRACK ??= "1";

import { randomBytes } from "node:crypto";
import {
  type Address,
  type Hex,
  type PublicClient,
  encodeFunctionData,
  keccak256,
  numberToHex,
  parseAbi,
  parseEther,
} from "viem";
import { entryPoint07Abi, toPackedUserOperation } from "viem/account-abstraction";
import { createDelegation, ScopeType, contracts as kitContracts, type Delegation, type MetaMaskSmartAccount } from "@metamask/smart-accounts-kit";
import type { Deployment } from "../../daemon/src/deploy/guardian.js";
import { ROLES } from "../../daemon/src/deploy/guardian.js";
import type { RoleWallets, Wallet } from "../../daemon/src/deploy/local.js";
import { ACCOUNT_CREATION_DEFAULTS, ACCOUNT_CREATION_KEY } from "../../daemon/src/detectors/account-creation.js";
import { DELEGATION_KEY } from "../../daemon/src/detectors/delegation.js";
import { GAS_SPIKE_BASE_FEE_KEY, GAS_SPIKE_CONGESTION_KEY, GAS_SPIKE_DEFAULTS, GAS_SPIKE_PER_OP_KEY } from "../../daemon/src/detectors/gas-spike.js";
import { OUTFLOW, OUTFLOW_DEFAULTS } from "../../daemon/src/detectors/outflow.js";
import { SECURITY } from "../../daemon/src/detectors/security.js";
import { USER_OPERATIONS_KEY } from "../../daemon/src/detectors/user-operations.js";
import type { Severity } from "../../daemon/src/types.js";
import { buildUserOp, delegateNative, guardedEnvironment, handleOps, redeemCalldata, smartAccount } from "./traffic.js";

export interface ScenarioContext {
  client: PublicClient;
  wallets: RoleWallets;
  deployment: Deployment;
  log?: (line: string) => void;
}

export interface ScenarioTx {
  hash: Hex;
  blockNumber: number;
  status: "success" | "reverted";
  /** What the transaction was for, e.g. "create account 0x… (AA14: wrong factoryData)". */
  what: string;
}

/** A finding the detectors should raise for a scenario (with their default thresholds). */
export interface ExpectedFinding {
  detector: string;
  key: string;
  severity: Severity;
}

export interface ScenarioResult {
  name: ScenarioName | "healthy";
  summary: string;
  txs: ScenarioTx[];
  /** The first and last block the scenario made. */
  fromBlock: number;
  toBlock: number;
  expected: ExpectedFinding[];
}

// ---------------------------------------------------------------------------
// Actors: smart accounts that exist, a delegation to the delegate EOA.

interface Actors {
  /** Deployed, funded accounts owned by the `user` dev account. */
  accounts: MetaMaskSmartAccount[];
  /** accounts[0] → delegate: native transfers up to 1 ETH. */
  delegation: Delegation;
  /** Calls that burn gas (for gas-heavy operations and blocks). */
  burner?: Address;
}

const actors = new WeakMap<ScenarioContext, Actors>();
const lower = (a: string) => a.toLowerCase() as Address;

/** A fresh CREATE2 salt, so that scenarios can run any number of times on one chain. */
function salt(): Hex {
  return `0x${randomBytes(32).toString("hex")}`;
}

async function headNumber(client: PublicClient): Promise<number> {
  return Number(await client.getBlockNumber({ cacheTime: 0 }));
}

/**
 * Sends a transaction that is mined even when it reverts: signed locally with
 * an explicit gas limit, its hash computed from the signed bytes, the
 * node's complaint about the revert ignored, the receipt fetched.
 */
export async function sendMined(client: PublicClient, wallet: Wallet, tx: { to: Address; data: Hex; gas: bigint; value?: bigint }) {
  const request = await wallet.prepareTransactionRequest({ to: tx.to, data: tx.data, gas: tx.gas, ...(tx.value ? { value: tx.value } : {}) } as never);
  const signed = await wallet.signTransaction(request as never);
  const hash = keccak256(signed);
  try {
    await client.request({ method: "eth_sendRawTransaction", params: [signed] });
  } catch (error) {
    // Automine mines a reverting transaction, then reports the revert: the receipt tells.
    if (!/revert|VM Exception/i.test(String(error))) throw error;
  }
  return client.waitForTransactionReceipt({ hash });
}

function record(txs: ScenarioTx[], receipt: { transactionHash: Hex; blockNumber: bigint; status: "success" | "reverted" }, what: string): ScenarioTx {
  const tx: ScenarioTx = { hash: receipt.transactionHash, blockNumber: Number(receipt.blockNumber), status: receipt.status, what };
  txs.push(tx);
  return tx;
}

/** Creates a smart account through the guarded factory with a sponsored operation; returns it deployed. */
async function createAccount(ctx: ScenarioContext, txs: ScenarioTx[]): Promise<MetaMaskSmartAccount> {
  const { client, deployment: d, wallets: w } = ctx;
  const account = await smartAccount(client, d, w.user, salt());
  const op = await buildUserOp(client, d, account, { calls: [{ to: w.stranger.account.address, value: 0n }], sponsor: w.sponsor });
  const receipt = await handleOps(client, d, w.bundler, [op]);
  record(txs, receipt, `create account ${account.address} (sponsored)`);
  if (receipt.status !== "success") throw new Error(`scenario setup: creating account ${account.address} failed (tx ${receipt.transactionHash})`);
  return account;
}

async function fund(ctx: ScenarioContext, to: Address, value: bigint): Promise<void> {
  const hash = await ctx.wallets.deployer.sendTransaction({ to, value });
  await ctx.client.waitForTransactionReceipt({ hash });
}

/** The accounts and delegation the scenarios share, made once per context. */
async function prepare(ctx: ScenarioContext, txs: ScenarioTx[]): Promise<Actors> {
  const existing = actors.get(ctx);
  if (existing) return existing;
  const account = await createAccount(ctx, txs);
  await fund(ctx, account.address, parseEther("5"));
  const delegation = await delegateNative(ctx.deployment, account, ctx.wallets.delegate.account.address, parseEther("1"));
  const made: Actors = { accounts: [account], delegation };
  actors.set(ctx, made);
  return made;
}

function result(name: ScenarioResult["name"], summary: string, txs: ScenarioTx[], fromBlock: number, toBlock: number, expected: ExpectedFinding[]): ScenarioResult {
  return { name, summary, txs, fromBlock, toBlock, expected };
}

// ---------------------------------------------------------------------------
// Healthy traffic.

export interface HealthyOptions {
  /** Rounds of (create an account, a sponsored operation, a redemption): three blocks each under automine. */
  rounds?: number;
}

/** Normal use of the stack: no detector should raise anything. */
export async function healthyTraffic(ctx: ScenarioContext, options: HealthyOptions = {}): Promise<ScenarioResult> {
  const { client, deployment: d, wallets: w } = ctx;
  const txs: ScenarioTx[] = [];
  const fromBlock = (await headNumber(client)) + 1;
  const { accounts, delegation } = await prepare(ctx, txs);
  const rounds = options.rounds ?? 5;
  for (let i = 0; i < rounds; i++) {
    const created = await createAccount(ctx, txs);
    accounts.push(created);
    const sender = accounts[i % accounts.length] as MetaMaskSmartAccount;
    const op = await buildUserOp(client, d, sender, { calls: [{ to: w.stranger.account.address, value: 0n }], sponsor: w.sponsor });
    record(txs, await handleOps(client, d, w.bundler, [op]), `sponsored operation from ${sender.address}`);
    const hash = await w.delegate.sendTransaction({ to: d.kit.DelegationManager, data: redeemCalldata(delegation, w.stranger.account.address, parseEther("0.001")) });
    record(txs, await client.waitForTransactionReceipt({ hash }), `delegation redeemed by ${w.delegate.account.address}`);
  }
  const failed = txs.filter((t) => t.status !== "success");
  if (failed.length > 0) throw new Error(`healthy traffic: ${failed.length} transactions failed: ${failed.map((t) => `${t.what} ${t.hash}`).join("; ")}`);
  ctx.log?.(`healthy traffic: ${rounds} rounds, ${txs.length} transactions`);
  return result("healthy", `${rounds} account creations, ${rounds} sponsored operations, ${rounds} delegation redemptions`, txs, fromBlock, await headNumber(client), []);
}

// ---------------------------------------------------------------------------
// Symptoms.

export interface AccountCreationFailingOptions {
  /** Blocks with a failing creation (one each). Default 12: enough for "users cannot create accounts" (Critical). */
  blocks?: number;
  /**
   * wrong-factory-data: initCode deploys another account than the sender ("AA14 initCode must return sender");
   * initcode-oog: too little verification gas for the factory ("AA13 initCode failed or OOG");
   * factory-revert: a direct `deploy` of empty bytecode (GuardedAccountFactoryEmptyContract).
   */
  cause?: "wrong-factory-data" | "initcode-oog" | "factory-revert";
}

/** Account creation fails in every block: users cannot create accounts. */
export async function accountCreationFailing(ctx: ScenarioContext, options: AccountCreationFailingOptions = {}): Promise<ScenarioResult> {
  const { client, deployment: d, wallets: w } = ctx;
  const blocks = options.blocks ?? 12;
  const cause = options.cause ?? "wrong-factory-data";
  const txs: ScenarioTx[] = [];
  const fromBlock = (await headNumber(client)) + 1;
  for (let i = 0; i < blocks; i++) {
    if (cause === "factory-revert") {
      const data = encodeFunctionData({ abi: parseAbi(["function deploy(bytes bytecode, bytes32 salt)"]), functionName: "deploy", args: ["0x", salt()] });
      record(txs, await sendMined(client, w.stranger, { to: d.guardian.accountFactory, data, gas: 300_000n }), "factory deploy of empty bytecode");
      continue;
    }
    const account = await smartAccount(client, d, w.user, salt());
    const other = await smartAccount(client, d, w.user, salt());
    const op = await buildUserOp(client, d, account, {
      calls: [{ to: w.stranger.account.address }],
      sponsor: w.sponsor,
      ...(cause === "wrong-factory-data" ? { factoryArgs: (await other.getFactoryArgs()) as { factory: Address; factoryData: Hex } } : { verificationGasLimit: 60_000n }),
    });
    const data = encodeFunctionData({ abi: entryPoint07Abi, functionName: "handleOps", args: [[toPackedUserOperation(op)], w.bundler.account.address] });
    record(txs, await sendMined(client, w.bundler, { to: d.kit.EntryPoint, data, gas: 3_000_000n }), `create account ${account.address} (${cause})`);
  }
  const t = ACCOUNT_CREATION_DEFAULTS;
  const critical = blocks >= t.unavailableBlocks && blocks >= t.unavailableMinFailures;
  ctx.log?.(`account creation failing: ${blocks} blocks (${cause})`);
  return result("account-creation-failing", `${blocks} failed account creations, one per block (${cause})`, txs, fromBlock, await headNumber(client), [
    { detector: "account-creation", key: ACCOUNT_CREATION_KEY, severity: critical ? t.severity.unavailable : t.severity.degraded },
  ]);
}

export interface UserOpsRevertingOptions {
  /** Sponsored operations whose call reverts. Default 4. */
  ops?: number;
}

/** Sponsored operations whose call reverts inside the account: `UserOperationEvent(success=false)` with a revert reason. */
export async function userOpsReverting(ctx: ScenarioContext, options: UserOpsRevertingOptions = {}): Promise<ScenarioResult> {
  const { client, deployment: d, wallets: w } = ctx;
  const txs: ScenarioTx[] = [];
  const fromBlock = (await headNumber(client)) + 1;
  const { accounts } = await prepare(ctx, txs);
  const sender = accounts[0] as MetaMaskSmartAccount;
  // The hub's heartbeat is for sentinels only: an account calling it reverts with AccessControlUnauthorizedAccount.
  const heartbeat = encodeFunctionData({ abi: parseAbi(["function heartbeat()"]), functionName: "heartbeat" });
  for (let i = 0; i < (options.ops ?? 4); i++) {
    const op = await buildUserOp(client, d, sender, { calls: [{ to: d.guardian.hub, data: heartbeat }], sponsor: w.sponsor });
    record(txs, await handleOps(client, d, w.bundler, [op]), `sponsored operation calling hub.heartbeat() from ${sender.address} (reverts)`);
  }
  ctx.log?.(`user operations reverting: ${options.ops ?? 4}`);
  return result("user-ops-reverting", `${options.ops ?? 4} sponsored operations whose call reverts`, txs, fromBlock, await headNumber(client), [
    { detector: "user-operations", key: USER_OPERATIONS_KEY, severity: "high" },
  ]);
}

/** Runtime: `while (gasleft() > 10000) {}` — JUMPDEST GAS PUSH2 0x2710 LT PUSH1 0 JUMPI STOP. */
const BURNER_RUNTIME = "5b5a6127101060005700";
/** Creation code: CODECOPY the 10-byte runtime from offset 12 and RETURN it. */
const BURNER_CREATION: Hex = `0x600a600c600039600a6000f3${BURNER_RUNTIME}`;

async function burner(ctx: ScenarioContext, txs: ScenarioTx[]): Promise<Address> {
  const a = await prepare(ctx, txs);
  if (a.burner) return a.burner;
  const hash = await ctx.wallets.deployer.sendTransaction({ data: BURNER_CREATION, to: null } as never);
  const receipt = await ctx.client.waitForTransactionReceipt({ hash });
  if (!receipt.contractAddress) throw new Error("scenario setup: the gas burner was not deployed");
  a.burner = receipt.contractAddress;
  return a.burner;
}

export interface GasSpikeOptions {
  /** The base fee becomes `factor` × the highest base fee of the last 20 blocks, or of the detector's floor if higher (`hardhat_setNextBlockBaseFeePerGas`). Default 20. */
  factor?: number;
  /** Blocks mined after the raise (the fee decays 12.5 % per empty block). Default 3. */
  holdBlocks?: number;
  /** Gas-heavy sponsored operations (each burning ~`heavyOpGas`) before the fee spike. Default 3. */
  heavyOps?: number;
  heavyOpGas?: bigint;
}

/**
 * Operations and blocks become expensive: gas-heavy user operations, then a
 * base-fee spike. (Filling blocks instead raises the fee by at most 12.5 % a
 * block: a ramp a rolling baseline follows, and slow to produce on Hardhat,
 * whose 16.7M per-transaction cap needs several transactions per block.)
 */
export async function gasSpike(ctx: ScenarioContext, options: GasSpikeOptions = {}): Promise<ScenarioResult> {
  const { client, deployment: d, wallets: w } = ctx;
  const txs: ScenarioTx[] = [];
  const fromBlock = (await headNumber(client)) + 1;
  const { accounts } = await prepare(ctx, txs);
  const burn = await burner(ctx, txs);
  const expected: ExpectedFinding[] = [];

  // 1. Gas-heavy sponsored operations: each burns its whole call gas.
  const heavyOps = options.heavyOps ?? 3;
  for (let i = 0; i < heavyOps; i++) {
    const sender = accounts[i % accounts.length] as MetaMaskSmartAccount;
    const op = await buildUserOp(client, d, sender, { calls: [{ to: burn, data: "0x01" }], sponsor: w.sponsor, callGasLimit: options.heavyOpGas ?? 3_000_000n });
    record(txs, await handleOps(client, d, w.bundler, [op]), `gas-heavy sponsored operation from ${sender.address}`);
  }
  if (heavyOps > 0) expected.push({ detector: "gas-spike", key: GAS_SPIKE_PER_OP_KEY, severity: GAS_SPIKE_DEFAULTS.severity.high });

  // 2. The base fee.
  const factor = options.factor ?? 20;
  const hold = options.holdBlocks ?? 3;
  const head = await client.getBlockNumber({ cacheTime: 0 });
  let recent = 1n;
  for (let n = head; n > head - 20n && n >= 0n; n--) {
    const fee = (await client.getBlock({ blockNumber: n })).baseFeePerGas ?? 0n;
    if (fee > recent) recent = fee;
  }
  // Ratios count against at least the detector's floor: a spike is `factor` × max(recent high, floor).
  const floor = BigInt(GAS_SPIKE_DEFAULTS.minBaseFeeWei);
  const target = (recent > floor ? recent : floor) * BigInt(factor);
  await client.request({ method: "hardhat_setNextBlockBaseFeePerGas" as never, params: [numberToHex(target)] as never });
  for (let i = 0; i < hold; i++) await client.request({ method: "evm_mine" as never, params: [] as never });
  ctx.log?.(`base fee set to ${target} wei (${factor}× the recent high of ${recent})`);
  expected.push({
    detector: "gas-spike",
    key: GAS_SPIKE_BASE_FEE_KEY,
    severity: factor >= GAS_SPIKE_DEFAULTS.highRatio ? GAS_SPIKE_DEFAULTS.severity.high : GAS_SPIKE_DEFAULTS.severity.medium,
  });
  return result("gas-spike", `${heavyOps} gas-heavy operations, then the base fee raised ${factor}× for ${hold} blocks`, txs, fromBlock, await headNumber(client), expected);
}

export interface CongestionOptions {
  /** Blocks filled to `fullness` in a row. Default 10. */
  blocks?: number;
  /** Share of each block's gas limit used. Default 0.99. */
  fullness?: number;
  /** Set the base fee to its idle floor (7 wei) first, as after hours of empty blocks. Default true. */
  fromFloor?: boolean;
  /** Empty blocks mined after the run, so the chain is seen calming down. Default clearBlocks + 5. */
  calmBlocks?: number;
}

/**
 * The chain becomes congested: `blocks` blocks in a row `fullness` full, from
 * a floor-level base fee. Automine is switched off while each block is
 * filled with several transactions (Hardhat 3 caps one at 16,777,216 gas)
 * to a contract whose code is `INVALID`, which consumes all the gas it is
 * given at once, then switched back on. The fee alone barely moves (×2.4 over
 * ten blocks from 7 wei): block fullness is the signal.
 */
export async function congestion(ctx: ScenarioContext, options: CongestionOptions = {}): Promise<ScenarioResult> {
  const { client, wallets: w } = ctx;
  const txs: ScenarioTx[] = [];
  const rpc = (method: string, params: unknown[] = []) => client.request({ method: method as never, params: params as never });
  const fromBlock = (await headNumber(client)) + 1;
  const sink = await w.deployer.sendTransaction({ data: "0x60fe60005360016000f3", to: null } as never);
  const sinkReceipt = await client.waitForTransactionReceipt({ hash: sink });
  const gasSink = sinkReceipt.contractAddress;
  if (!gasSink) throw new Error("scenario setup: the gas sink was not deployed");
  if (options.fromFloor ?? true) {
    await rpc("hardhat_setNextBlockBaseFeePerGas", [numberToHex(7)]);
    for (let i = 0; i < 3; i++) await rpc("evm_mine");
  }
  const gasLimit = (await client.getBlock({ blockTag: "latest" })).gasLimit;
  const fullness = options.fullness ?? 0.99;
  const target = (gasLimit * BigInt(Math.round(fullness * 10_000))) / 10_000n;
  const perTxCap = 16_000_000n;
  const senders = [w.deployer, w.stranger, w.owner3, w.user, w.delegate, w.owner1, w.owner2, w.sponsor];
  const count = Number(target / perTxCap + 1n);
  if (count > senders.length) throw new Error(`scenario congestion: a ${gasLimit}-gas block needs ${count} transactions, more than ${senders.length} senders`);
  const gasEach = target / BigInt(count);
  const blocks = options.blocks ?? 10;
  await rpc("evm_setAutomine", [false]);
  try {
    for (let b = 0; b < blocks; b++) {
      const fee = (await client.getBlock({ blockTag: "latest" })).baseFeePerGas ?? 0n;
      // Explicit nonces: a "pending" nonce query makes the node execute its pending block.
      const from = senders.slice(0, count);
      const nonces = await Promise.all(from.map((s) => client.getTransactionCount({ address: s.account.address, blockTag: "latest" })));
      const hashes: Hex[] = [];
      for (const [i, s] of from.entries()) {
        hashes.push(await s.sendTransaction({ to: gasSink, data: "0x01", gas: gasEach, nonce: nonces[i], maxFeePerGas: fee * 2n + 10n, maxPriorityFeePerGas: 1n, type: "eip1559" } as never));
      }
      await rpc("evm_mine");
      for (const hash of hashes) record(txs, await client.waitForTransactionReceipt({ hash }), `filler transaction (${gasEach} gas)`);
    }
  } finally {
    await rpc("evm_setAutomine", [true]);
  }
  const calm = options.calmBlocks ?? GAS_SPIKE_DEFAULTS.clearBlocks + 5;
  for (let i = 0; i < calm; i++) await rpc("evm_mine");
  ctx.log?.(`congestion: ${blocks} blocks ${Math.round(fullness * 100)}% full, then ${calm} empty blocks`);
  return result("congestion", `${blocks} blocks ${Math.round(fullness * 1000) / 10}% full (${count} transactions each), then ${calm} empty blocks`, txs, fromBlock, await headNumber(client), [
    { detector: "gas-spike", key: GAS_SPIKE_CONGESTION_KEY, severity: fullness >= GAS_SPIKE_DEFAULTS.severeFullness ? GAS_SPIKE_DEFAULTS.severity.high : GAS_SPIKE_DEFAULTS.severity.medium },
  ]);
}

export interface DelegationFailingOptions {
  /** expired: a TimestampEnforcer caveat in the past; disabled: the delegator disabled it; invalid-signature: a tampered signature. */
  cause?: "expired" | "disabled" | "invalid-signature";
  /** Redemptions attempted. Default 6. */
  attempts?: number;
}

/** Delegates try to redeem delegations that cannot be redeemed. */
export async function delegationFailing(ctx: ScenarioContext, options: DelegationFailingOptions = {}): Promise<ScenarioResult> {
  const { client, deployment: d, wallets: w } = ctx;
  const txs: ScenarioTx[] = [];
  const fromBlock = (await headNumber(client)) + 1;
  const { accounts } = await prepare(ctx, txs);
  const delegator = accounts[0] as MetaMaskSmartAccount;
  const cause = options.cause ?? "expired";
  let delegation: Delegation;
  if (cause === "expired") {
    const now = Number((await client.getBlock()).timestamp);
    const unsigned = createDelegation({
      environment: guardedEnvironment(d),
      from: delegator.address,
      to: w.delegate.account.address,
      scope: { type: ScopeType.NativeTokenTransferAmount, maxAmount: parseEther("1") },
      caveats: [{ type: "timestamp", afterThreshold: 0, beforeThreshold: now - 60 }],
    } as never);
    delegation = { ...unsigned, signature: await delegator.signDelegation({ delegation: unsigned }) };
  } else {
    delegation = await delegateNative(d, delegator, w.delegate.account.address, parseEther("1"));
    if (cause === "invalid-signature") {
      const sig = delegation.signature;
      delegation = { ...delegation, signature: `${sig.slice(0, -6)}${sig.slice(-6, -2) === "0000" ? "1111" : "0000"}${sig.slice(-2)}` as Hex };
    } else {
      const disable = kitContracts.DelegationManager.encode.disableDelegation({ delegation });
      const op = await buildUserOp(client, d, delegator, { calls: [{ to: d.kit.DelegationManager, data: disable }], sponsor: w.sponsor });
      record(txs, await handleOps(client, d, w.bundler, [op]), `delegator ${delegator.address} disables its delegation`);
    }
  }
  for (let i = 0; i < (options.attempts ?? 6); i++) {
    const data = redeemCalldata(delegation, w.stranger.account.address, parseEther("0.001"));
    record(txs, await sendMined(client, w.delegate, { to: d.kit.DelegationManager, data, gas: 1_000_000n }), `redeem a delegation (${cause})`);
  }
  ctx.log?.(`delegation failing: ${options.attempts ?? 6} redemptions (${cause})`);
  return result("delegation-failing", `${options.attempts ?? 6} redemptions of a delegation that is ${cause}`, txs, fromBlock, await headNumber(client), [
    { detector: "delegation", key: DELEGATION_KEY, severity: "high" },
  ]);
}

const ownableAbi = parseAbi(["function transferOwnership(address newOwner)"]);

export interface OwnershipTransferOptions {
  /** Which Ownable contract's owner (the deployer) gives it away. Default the paymaster. */
  target?: "paymaster" | "accountFactory";
  /** The new owner. Default the `stranger` dev account. */
  to?: Address;
}

/** The paymaster's (or factory's) owner transfers ownership to an unknown account: a takeover. */
export async function ownershipTransfer(ctx: ScenarioContext, options: OwnershipTransferOptions = {}): Promise<ScenarioResult> {
  const { client, deployment: d, wallets: w } = ctx;
  const txs: ScenarioTx[] = [];
  const fromBlock = (await headNumber(client)) + 1;
  const target = d.guardian[options.target ?? "paymaster"];
  const to = options.to ?? w.stranger.account.address;
  const hash = await w.deployer.writeContract({ address: target, abi: ownableAbi, functionName: "transferOwnership", args: [to] });
  record(txs, await client.waitForTransactionReceipt({ hash }), `${options.target ?? "paymaster"} ownership transferred to ${to}`);
  ctx.log?.(`ownership of ${target} transferred to ${to}`);
  return result("ownership-transfer", `the ${options.target ?? "paymaster"}'s owner transferred ownership to ${to}`, txs, fromBlock, await headNumber(client), [
    { detector: SECURITY, key: `${SECURITY}:ownership:${lower(target)}`, severity: "critical" },
  ]);
}

export interface RoleGrantedOptions {
  role?: "GUARDIAN" | "DEFAULT_ADMIN";
  to?: Address;
}

/** The hub's admin grants a powerful role to an unknown account. */
export async function roleGranted(ctx: ScenarioContext, options: RoleGrantedOptions = {}): Promise<ScenarioResult> {
  const { client, deployment: d, wallets: w } = ctx;
  const txs: ScenarioTx[] = [];
  const fromBlock = (await headNumber(client)) + 1;
  const role = options.role ?? "GUARDIAN";
  const to = options.to ?? w.stranger.account.address;
  const abi = parseAbi(["function grantRole(bytes32 role, address account)"]);
  const hash = await w.deployer.writeContract({ address: d.guardian.hub, abi, functionName: "grantRole", args: [ROLES[role], to] });
  record(txs, await client.waitForTransactionReceipt({ hash }), `${role}_ROLE granted to ${to}`);
  ctx.log?.(`hub: ${role}_ROLE granted to ${to}`);
  return result("role-granted", `the hub's admin granted ${role}_ROLE to ${to}`, txs, fromBlock, await headNumber(client), [
    { detector: SECURITY, key: `${SECURITY}:roles:${lower(d.guardian.hub)}`, severity: "critical" },
  ]);
}

export interface DepositWithdrawnOptions {
  /** Share of the deposit withdrawn. Default 0.9. */
  fraction?: number;
  /** Where it goes. Default the owner (the deployer) itself. */
  to?: Address;
}

/** The paymaster's owner withdraws most of its EntryPoint deposit: sponsoring is about to stop, funds at risk. */
export async function depositWithdrawn(ctx: ScenarioContext, options: DepositWithdrawnOptions = {}): Promise<ScenarioResult> {
  const { client, deployment: d, wallets: w } = ctx;
  const txs: ScenarioTx[] = [];
  const fromBlock = (await headNumber(client)) + 1;
  const deposit = await client.readContract({ address: d.kit.EntryPoint, abi: entryPoint07Abi, functionName: "balanceOf", args: [d.guardian.paymaster] });
  const amount = (deposit * BigInt(Math.round((options.fraction ?? 0.9) * 1000))) / 1000n;
  const to = options.to ?? w.deployer.account.address;
  const abi = parseAbi(["function withdrawTo(address withdrawAddress, uint256 amount)"]);
  const hash = await w.deployer.writeContract({ address: d.guardian.paymaster, abi, functionName: "withdrawTo", args: [to, amount] });
  record(txs, await client.waitForTransactionReceipt({ hash }), `paymaster deposit withdrawn: ${amount} wei to ${to}`);
  ctx.log?.(`paymaster deposit: ${amount} of ${deposit} wei withdrawn to ${to}`);
  return result("deposit-withdrawn", `${amount} of the paymaster's ${deposit} wei deposit withdrawn to ${to}`, txs, fromBlock, await headNumber(client), [
    { detector: OUTFLOW, key: `${OUTFLOW}:paymaster-deposit:${lower(d.guardian.paymaster)}`, severity: OUTFLOW_DEFAULTS.severity.drain },
  ]);
}

export interface DelegationDrainOptions {
  /** Value per redemption (wei). Default 6 ETH. */
  value?: bigint;
  redemptions?: number;
}

/** A delegate moves a delegator's funds out through a too-generous delegation, beyond the outflow limit. */
export async function delegationDrain(ctx: ScenarioContext, options: DelegationDrainOptions = {}): Promise<ScenarioResult> {
  const { client, deployment: d, wallets: w } = ctx;
  const txs: ScenarioTx[] = [];
  const fromBlock = (await headNumber(client)) + 1;
  const victim = await createAccount(ctx, txs);
  const value = options.value ?? parseEther("6");
  const count = options.redemptions ?? 2;
  await fund(ctx, victim.address, value * BigInt(count) + parseEther("1"));
  const delegation = await delegateNative(d, victim, w.delegate.account.address, value * BigInt(count));
  for (let i = 0; i < count; i++) {
    const hash = await w.delegate.sendTransaction({ to: d.kit.DelegationManager, data: redeemCalldata(delegation, w.stranger.account.address, value) });
    record(txs, await client.waitForTransactionReceipt({ hash }), `delegation redeemed: ${value} wei from ${victim.address}`);
  }
  ctx.log?.(`delegation drain: ${count} × ${value} wei from ${victim.address}`);
  return result("delegation-drain", `${count} redemptions of ${value} wei each from ${victim.address}`, txs, fromBlock, await headNumber(client), [
    { detector: OUTFLOW, key: `${OUTFLOW}:delegations:${lower(d.kit.DelegationManager)}`, severity: OUTFLOW_DEFAULTS.severity.delegated },
  ]);
}

// ---------------------------------------------------------------------------

export const SCENARIOS = {
  "account-creation-failing": accountCreationFailing,
  "user-ops-reverting": userOpsReverting,
  "gas-spike": gasSpike,
  congestion,
  "delegation-failing": delegationFailing,
  "ownership-transfer": ownershipTransfer,
  "role-granted": roleGranted,
  "deposit-withdrawn": depositWithdrawn,
  "delegation-drain": delegationDrain,
} as const;

export type ScenarioName = keyof typeof SCENARIOS;
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];

/** Runs the named scenario (or "healthy") with its options. */
export async function runScenario(ctx: ScenarioContext, name: ScenarioName | "healthy", options: Record<string, unknown> = {}): Promise<ScenarioResult> {
  if (name === "healthy") return healthyTraffic(ctx, options as HealthyOptions);
  const scenario = SCENARIOS[name] as (ctx: ScenarioContext, options: Record<string, unknown>) => Promise<ScenarioResult>;
  if (!scenario) throw new Error(`unknown scenario "${name}": expected one of healthy, ${SCENARIO_NAMES.join(", ")}`);
  return scenario(ctx, options);
}

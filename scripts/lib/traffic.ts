/**
 * Kit traffic for tests, the demo and scenarios: smart accounts created
 * through Guardian's factory, sponsored user operations sent through
 * `EntryPoint.handleOps` by an EOA acting as the bundler, and delegation
 * redemptions. Everything here is what real users of the stack do on chain.
 */
process.env.DO_NOT_TRACK ??= "1";

import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
  concat,
  decodeErrorResult,
  encodeAbiParameters,
  parseAbi,
} from "viem";
import { toPackedUserOperation, entryPoint07Abi, type UserOperation } from "viem/account-abstraction";
import {
  Implementation,
  toMetaMaskSmartAccount,
  createDelegation,
  contracts,
  ExecutionMode,
  ScopeType,
  type MetaMaskSmartAccount,
  type Delegation,
} from "@metamask/smart-accounts-kit";
import type { Deployment } from "../../daemon/src/deploy/guardian.js";
import { toRpcUserOp } from "../../daemon/src/probes/runner.js";

type Wallet = WalletClient<Transport, Chain, Account>;

const paymasterHashAbi = parseAbi([
  "struct PackedUserOperation { address sender; uint256 nonce; bytes initCode; bytes callData; bytes32 accountGasLimits; uint256 preVerificationGas; bytes32 gasFees; bytes paymasterAndData; bytes signature; }",
  "function getHash(PackedUserOperation userOp, uint48 validUntil, uint48 validAfter) view returns (bytes32)",
]);

/** The kit's environment with Guardian's factory in place of SimpleFactory. */
export function guardedEnvironment(d: Deployment) {
  return { ...d.kit, SimpleFactory: d.guardian.accountFactory };
}

/** A HybridDeleGator account owned by `owner`, counterfactual until its first operation. */
export async function smartAccount(client: PublicClient, d: Deployment, owner: Wallet, salt: Hex): Promise<MetaMaskSmartAccount<Implementation.Hybrid>> {
  return toMetaMaskSmartAccount({
    client: client as any,
    implementation: Implementation.Hybrid,
    deployParams: [owner.account.address, [], [], []],
    deploySalt: salt,
    signer: { walletClient: owner as any },
    environment: guardedEnvironment(d),
  });
}

export interface SendOpOptions {
  calls: Array<{ to: Address; value?: bigint; data?: Hex }>;
  /** Sponsor through Guardian's paymaster, signed by this key. */
  sponsor?: Wallet;
  /** Force the gas limits (a symptom scenario may want an op that runs out of gas). */
  callGasLimit?: bigint;
  verificationGasLimit?: bigint;
  /** Gas limits from a bundler's `eth_estimateUserOperationGas`, as a wallet uses them (the sponsor signs over them). */
  preVerificationGas?: bigint;
  paymasterVerificationGasLimit?: bigint;
  paymasterPostOpGasLimit?: bigint;
  /** Replace the account's own factory and factoryData (a scenario may want initCode that fails). */
  factoryArgs?: { factory: Address; factoryData: Hex };
}

/** Builds, sponsors and signs one user operation (nonce key 0, sequential). */
export async function buildUserOp(client: PublicClient, d: Deployment, account: MetaMaskSmartAccount, opts: SendOpOptions) {
  const deployed = !!(await client.getCode({ address: account.address }))?.slice(2).length;
  const nonce = await client.readContract({ address: d.kit.EntryPoint, abi: entryPoint07Abi, functionName: "getNonce", args: [account.address, 0n] });
  const factoryArgs = opts.factoryArgs ?? (deployed ? {} : await account.getFactoryArgs());
  const block = await client.getBlock();
  const baseFee = block.baseFeePerGas ?? 1n;
  const op: UserOperation<"0.7"> = {
    sender: account.address,
    nonce,
    ...(factoryArgs as { factory?: Address; factoryData?: Hex }),
    callData: await account.encodeCalls(opts.calls.map((c) => ({ to: c.to, value: c.value ?? 0n, data: c.data ?? "0x" }))),
    callGasLimit: opts.callGasLimit ?? 300_000n,
    verificationGasLimit: opts.verificationGasLimit ?? (deployed ? 200_000n : 1_000_000n),
    preVerificationGas: opts.preVerificationGas ?? 60_000n,
    maxFeePerGas: baseFee * 2n + 1_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
    signature: "0x",
  };
  if (opts.sponsor) {
    op.paymaster = d.guardian.paymaster;
    op.paymasterVerificationGasLimit = opts.paymasterVerificationGasLimit ?? 150_000n;
    op.paymasterPostOpGasLimit = opts.paymasterPostOpGasLimit ?? 50_000n;
    const validUntil = 0; // no expiry
    const validAfter = 0;
    const window = encodeAbiParameters([{ type: "uint48" }, { type: "uint48" }], [validUntil, validAfter]);
    op.paymasterData = concat([window, `0x${"00".repeat(65)}`]);
    const hash = await client.readContract({
      address: d.guardian.paymaster,
      abi: paymasterHashAbi,
      functionName: "getHash",
      args: [toPackedUserOperation(op) as any, validUntil, validAfter],
    });
    const sig = await opts.sponsor.signMessage({ message: { raw: hash } });
    op.paymasterData = concat([window, sig]);
  }
  op.signature = await account.signUserOperation({ ...op, chainId: client.chain!.id } as any);
  return op;
}

/** What a wallet needs of a bundler (daemon/src/bundler/client.ts is one). */
export interface WalletBundler {
  estimateUserOperationGas(op: Record<string, unknown>, entryPoint: string): Promise<{ ok: true; value: Record<string, unknown> } | { ok: false; error: unknown }>;
  sendUserOperation(op: Record<string, unknown>, entryPoint: string): Promise<{ ok: true; value: string } | { ok: false; error: unknown }>;
}

/** A bundler refused an operation (estimate or send): what it said, as the wallet got it. */
export class BundlerRefusedError extends Error {
  constructor(
    readonly stage: "estimate" | "send",
    readonly refusal: unknown,
  ) {
    super(`the bundler refused the operation at ${stage}: ${JSON.stringify(refusal)}`);
  }
}

/**
 * As a wallet does it: estimate through the bundler, then sponsor and sign
 * the operation over the estimated limits. Throws BundlerRefusedError when
 * the estimate is refused.
 */
export async function estimatedUserOp(client: PublicClient, d: Deployment, bundler: Pick<WalletBundler, "estimateUserOperationGas">, account: MetaMaskSmartAccount, opts: SendOpOptions) {
  const draft = await buildUserOp(client, d, account, opts);
  const estimate = await bundler.estimateUserOperationGas(toRpcUserOp(draft), d.kit.EntryPoint);
  if (!estimate.ok) throw new BundlerRefusedError("estimate", estimate.error);
  const g = estimate.value as Record<string, Hex | undefined>;
  return buildUserOp(client, d, account, {
    ...opts,
    preVerificationGas: BigInt(g.preVerificationGas!),
    verificationGasLimit: BigInt(g.verificationGasLimit!),
    callGasLimit: BigInt(g.callGasLimit!),
    ...(g.paymasterVerificationGasLimit ? { paymasterVerificationGasLimit: BigInt(g.paymasterVerificationGasLimit) } : {}),
    ...(g.paymasterPostOpGasLimit ? { paymasterPostOpGasLimit: BigInt(g.paymasterPostOpGasLimit) } : {}),
  });
}

/**
 * Estimates, signs and sends an operation through the bundler
 * (`eth_sendUserOperation`), as a wallet does. Returns the user operation
 * hash; throws BundlerRefusedError when refused.
 */
export async function sendThroughBundler(client: PublicClient, d: Deployment, bundler: WalletBundler, account: MetaMaskSmartAccount, opts: SendOpOptions): Promise<Hex> {
  const op = await estimatedUserOp(client, d, bundler, account, opts);
  const sent = await bundler.sendUserOperation(toRpcUserOp(op), d.kit.EntryPoint);
  if (!sent.ok) throw new BundlerRefusedError("send", sent.error);
  return sent.value as Hex;
}

/**
 * Sends operations the way a bundler does: one `handleOps` transaction from an
 * EOA. With `gas` given, the transaction is mined even when it reverts (viem
 * would otherwise refuse at gas estimation) and the receipt is returned.
 */
export async function handleOps(client: PublicClient, d: Deployment, bundler: Wallet, ops: UserOperation<"0.7">[], gas?: bigint) {
  const hash = await bundler.writeContract({
    address: d.kit.EntryPoint,
    abi: entryPoint07Abi,
    functionName: "handleOps",
    args: [ops.map((o) => toPackedUserOperation(o)), bundler.account.address],
    ...(gas ? { gas } : {}),
  });
  return client.waitForTransactionReceipt({ hash });
}

/** A signed delegation from a smart account to `delegate`, allowing native transfers up to `maxAmount`. */
export async function delegateNative(d: Deployment, from: MetaMaskSmartAccount, delegate: Address, maxAmount: bigint): Promise<Delegation> {
  const delegation = createDelegation({
    environment: guardedEnvironment(d),
    from: from.address,
    to: delegate,
    scope: { type: ScopeType.NativeTokenTransferAmount, maxAmount },
  });
  const signature = await from.signDelegation({ delegation });
  return { ...delegation, signature };
}

/** Calldata of `DelegationManager.redeemDelegations` for one native transfer under `delegation`. */
export function redeemCalldata(delegation: Delegation, to: Address, value: bigint): Hex {
  return contracts.DelegationManager.encode.redeemDelegations({
    delegations: [[delegation]],
    modes: [ExecutionMode.SingleDefault],
    executions: [[{ target: to, value, callData: "0x" }]],
  });
}

export interface Refusal {
  /** The outer error, e.g. FailedOp, FailedOpWithRevert, EnforcedPause. */
  error: string;
  /** The EntryPoint's reason string (AA13, AA33, ...), when there is one. */
  reason?: string;
  /** The inner revert of FailedOpWithRevert, decoded with the given ABIs. */
  inner?: string;
}

function findErrorData(err: unknown): { errorName?: string; args?: readonly unknown[]; raw?: Hex } | undefined {
  let e: any = err;
  while (e) {
    if (e.data?.errorName) return { errorName: e.data.errorName, args: e.data.args };
    if (typeof e.data === "string" && e.data.length >= 10) return { raw: e.data };
    if (typeof e.raw === "string" && e.raw.length >= 10) return { raw: e.raw };
    e = e.cause;
  }
  return undefined;
}

function decodeWith(abis: readonly Abi[], data: Hex): string | undefined {
  for (const abi of abis) {
    try {
      return decodeErrorResult({ abi, data }).errorName;
    } catch {}
  }
  return undefined;
}

/** Simulates handleOps; `undefined` when it would succeed, else what the EntryPoint refused with. */
export async function simulateHandleOps(client: PublicClient, d: Deployment, bundler: Wallet, ops: UserOperation<"0.7">[], innerAbis: readonly Abi[] = []): Promise<Refusal | undefined> {
  try {
    await client.simulateContract({
      account: bundler.account,
      address: d.kit.EntryPoint,
      abi: entryPoint07Abi,
      functionName: "handleOps",
      args: [ops.map((o) => toPackedUserOperation(o)), bundler.account.address],
    });
    return undefined;
  } catch (err) {
    const found = findErrorData(err);
    if (!found?.errorName) throw err;
    const [, reason, inner] = (found.args ?? []) as [bigint, string, Hex?];
    return { error: found.errorName, reason, inner: inner && inner.length >= 10 ? decodeWith(innerAbis, inner) : undefined };
  }
}

/** Simulates a call; `undefined` when it would succeed, else the custom error it reverts with. */
export async function simulateCall(client: PublicClient, from: Address, to: Address, data: Hex, abis: readonly Abi[]): Promise<Refusal | undefined> {
  try {
    await client.call({ account: from, to, data });
    return undefined;
  } catch (err) {
    const found = findErrorData(err);
    const name = found?.errorName ?? (found?.raw ? decodeWith(abis, found.raw) : undefined);
    if (!name) throw err;
    return { error: name };
  }
}

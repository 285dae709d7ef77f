/**
 * The guardian Safe: building, hashing, signing and executing Safe
 * transactions (Safe v1.4.1) with viem. Signers compare the `safeTxHash` this
 * module computes with the one their own device shows before they sign.
 */
import {
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
  getAddress,
  hashTypedData,
  parseAbi,
  zeroAddress,
} from "viem";
import { encodeSafeSignatureEntries, safeTxPreimage, signatureOwner } from "./safe-signatures.js";

export const safeAbi = parseAbi([
  "function nonce() view returns (uint256)",
  "function getThreshold() view returns (uint256)",
  "function getOwners() view returns (address[])",
  "function isOwner(address owner) view returns (bool)",
  "function getTransactionHash(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, uint256 _nonce) view returns (bytes32)",
  "function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures) payable returns (bool success)",
  "function setup(address[] _owners, uint256 _threshold, address to, bytes data, address fallbackHandler, address paymentToken, uint256 payment, address paymentReceiver)",
  "event ExecutionSuccess(bytes32 indexed txHash, uint256 payment)",
  "event ExecutionFailure(bytes32 indexed txHash, uint256 payment)",
]);

/** A Safe transaction: a plain call (operation 0) with no gas refund. */
export interface SafeTx {
  to: Address;
  value: bigint;
  data: Hex;
  operation: 0 | 1;
  safeTxGas: bigint;
  baseGas: bigint;
  gasPrice: bigint;
  gasToken: Address;
  refundReceiver: Address;
  nonce: bigint;
}

export interface SafeSignature {
  signer: Address;
  signature: Hex;
}

const SAFE_TX_TYPES = {
  SafeTx: [
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "data", type: "bytes" },
    { name: "operation", type: "uint8" },
    { name: "safeTxGas", type: "uint256" },
    { name: "baseGas", type: "uint256" },
    { name: "gasPrice", type: "uint256" },
    { name: "gasToken", type: "address" },
    { name: "refundReceiver", type: "address" },
    { name: "nonce", type: "uint256" },
  ],
} as const;

/** EIP-712 typed data of a Safe transaction, as a signer's wallet shows it. */
export function safeTxTypedData(safe: Address, chainId: number, tx: SafeTx) {
  return {
    domain: { chainId, verifyingContract: safe },
    types: SAFE_TX_TYPES,
    primaryType: "SafeTx" as const,
    message: tx,
  };
}

/** The safeTxHash signers compare: computed locally, no RPC. */
export function safeTxHash(safe: Address, chainId: number, tx: SafeTx): Hex {
  return hashTypedData(safeTxTypedData(safe, chainId, tx));
}

/** The bytes Safe hands a contract owner's `isValidSignature` (their keccak is the safeTxHash). */
export function safeTxPreimageOf(safe: Address, chainId: number, tx: SafeTx): Hex {
  return safeTxPreimage(safeTxTypedData(safe, chainId, tx) as any);
}

/** A plain call from the Safe at its current nonce (reads `nonce()`), or at the nonce given. */
export async function buildSafeTx(
  client: PublicClient,
  safe: Address,
  call: { to: Address; data: Hex; value?: bigint; nonce?: bigint },
): Promise<SafeTx> {
  const nonce = call.nonce ?? (await client.readContract({ address: safe, abi: safeAbi, functionName: "nonce" }));
  return {
    to: call.to,
    value: call.value ?? 0n,
    data: call.data,
    operation: 0,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: zeroAddress,
    refundReceiver: zeroAddress,
    nonce,
  };
}

/** Signs a Safe transaction with EIP-712 (v = 27/28, as execTransaction expects). */
export async function signSafeTx(
  signer: Account | WalletClient<Transport, Chain | undefined, Account>,
  safe: Address,
  chainId: number,
  tx: SafeTx,
): Promise<SafeSignature> {
  const typed = safeTxTypedData(safe, chainId, tx);
  const account = "account" in signer ? signer.account : signer;
  let signature: Hex;
  if ("signTypedData" in signer && "account" in signer) {
    signature = await signer.signTypedData({ account: signer.account, ...typed });
  } else if (account.signTypedData) {
    signature = await account.signTypedData(typed);
  } else {
    throw new Error(`signer ${account.address} cannot sign typed data`);
  }
  return { signer: getAddress(account.address), signature };
}

/**
 * Who a signature speaks for, without RPC: recovered for EIP-712 (v 27/28)
 * and eth_sign (v 31/32), the owner named in `r` for a contract signature
 * (v 0) or an approved hash (v 1). Throws SafeSignatureError when malformed.
 */
export async function recoverSafeSigner(safe: Address, chainId: number, tx: SafeTx, signature: Hex): Promise<Address> {
  return (await signatureOwner(signature, safeTxHash(safe, chainId, tx))).owner;
}

/** Concatenates signatures ordered by signer address, contract signatures' data after the static parts, as Safe's checkSignatures requires. */
export function encodeSafeSignatures(signatures: SafeSignature[]): Hex {
  return encodeSafeSignatureEntries(signatures.map((s) => ({ owner: s.signer, signature: s.signature })));
}

export interface SafeState {
  nonce: bigint;
  threshold: bigint;
  owners: Address[];
}

export async function readSafeState(client: PublicClient, safe: Address): Promise<SafeState> {
  const [nonce, threshold, owners] = await Promise.all([
    client.readContract({ address: safe, abi: safeAbi, functionName: "nonce" }),
    client.readContract({ address: safe, abi: safeAbi, functionName: "getThreshold" }),
    client.readContract({ address: safe, abi: safeAbi, functionName: "getOwners" }),
  ]);
  return { nonce, threshold, owners: [...owners] };
}

function execArgs(tx: SafeTx, signatures: SafeSignature[]) {
  return [
    tx.to,
    tx.value,
    tx.data,
    tx.operation,
    tx.safeTxGas,
    tx.baseGas,
    tx.gasPrice,
    tx.gasToken,
    tx.refundReceiver,
    encodeSafeSignatures(signatures),
  ] as const;
}

/**
 * Simulates, then executes a Safe transaction. The simulation surfaces Safe's
 * own errors (GS020 = not enough signatures, GS026 = invalid owner) and the
 * inner call's revert before anything is sent.
 */
export async function execSafeTx(
  wallet: WalletClient<Transport, Chain | undefined, Account>,
  client: PublicClient,
  safe: Address,
  tx: SafeTx,
  signatures: SafeSignature[],
): Promise<Hex> {
  const { request } = await client.simulateContract({
    account: wallet.account,
    address: safe,
    abi: safeAbi,
    functionName: "execTransaction",
    args: execArgs(tx, signatures),
  });
  const hash = await wallet.writeContract(request);
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`Safe transaction ${hash} reverted`);
  return hash;
}

/** Encodes execTransaction without sending (for tests that need a mined revert). */
export { execArgs as safeExecArgs };

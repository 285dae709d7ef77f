/**
 * Fees for the sentinel's own transactions (the pause, the heartbeat, the
 * release of expired pauses), on any fee market. The one place that decides
 * a transaction's type and price.
 *
 * - EIP-1559 when the latest block carries `baseFeePerGas`: max fee = twice
 *   the base fee plus the tip; tip = the node's `eth_maxPriorityFeePerGas`,
 *   never below 1 gwei (a pause must not wait behind tips).
 * - Legacy (type 0, `gasPrice`) when the block has no base fee (a pre-London
 *   chain, e.g. Besu's QBFT example genesis) or when a node refused a type-2
 *   transaction: `eth_gasPrice`, never below the same floor.
 * - A method the node lacks (`eth_maxPriorityFeePerGas`, `eth_gasPrice`;
 *   `eth_feeHistory` is never asked) falls back to the floor.
 * - Outbidding (pre-emption): given a pending attack's fee fields, the
 *   offer is raised so that its effective priority fee (what the block
 *   producer earns per gas, the order of a fee-priority mempool) is 5/4 of
 *   the attack's plus 1 gwei, with the max fee to carry it; on a legacy
 *   chain the same of its gas price. Capped like everything else: an attack
 *   paying above the cap is not outbid (and the incident says so later).
 * - A replacement pays 5/4 of the previous fees (nodes demand at least +10%
 *   to replace a pending transaction), or the market's fresh price if that is
 *   higher, and never more than the cap (`pause.maxFeeGwei`).
 */
import { keccak256, type Address, type Chain, type Hex, type LocalAccount, type PublicClient } from "viem";

/** A transaction's fee fields, as decimal strings of wei (the journal's JSON form). */
export type TxFees =
  | { type: "eip1559"; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
  | { type: "legacy"; gasPrice: bigint };

export type FeeMarket = TxFees["type"];

/** 1 gwei: the lowest tip (or legacy gas price) the sentinel offers. */
export const MIN_PRIORITY_FEE = 1_000_000_000n;
/** Default cap of any fee field: 500 gwei. A pause costs ~250k gas, so at most ~0.125 ETH. */
export const DEFAULT_MAX_FEE = 500n * 1_000_000_000n;
const BUMP_NUM = 5n;
const BUMP_DEN = 4n;

const TYPE_REFUSED = /eip-?1559|fee params|transaction type|tx ?type|typed transaction|not supported by the current hardfork|london/i;

/**
 * True when a node's refusal of a raw transaction says it does not take
 * EIP-1559 (type 2) transactions: geth "transaction type not supported",
 * anvil "EIP-1559 style fee params ... not supported by the current
 * hardfork", Besu "Transaction type ... is invalid".
 */
export function isTxTypeRefusal(message: string): boolean {
  return TYPE_REFUSED.test(message);
}

/** The fee market of the chain, from the latest block: EIP-1559 when it carries a base fee. */
export async function feeMarket(client: PublicClient): Promise<{ market: FeeMarket; baseFee: bigint }> {
  const block = await client.request({ method: "eth_getBlockByNumber", params: ["latest", false] });
  const base = (block as { baseFeePerGas?: Hex | null } | null)?.baseFeePerGas;
  return typeof base === "string" ? { market: "eip1559", baseFee: BigInt(base) } : { market: "legacy", baseFee: 0n };
}

async function optionalQuantity(client: PublicClient, method: "eth_maxPriorityFeePerGas" | "eth_gasPrice"): Promise<bigint | undefined> {
  try {
    const v = await client.request({ method } as never);
    return typeof v === "string" ? BigInt(v) : undefined;
  } catch {
    return undefined; // a node without the method: the floor holds
  }
}

function capped(v: bigint, cap: bigint) {
  return v > cap ? cap : v;
}

/** A pending transaction's fee fields, as the node reports them (either market). */
export interface AttackFees {
  gasPrice?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);

/**
 * What a transaction with `fees` pays the block producer per gas over
 * `baseFee` (its place in a fee-priority mempool). Pure.
 */
export function effectiveTip(fees: AttackFees, baseFee: bigint): bigint {
  if (fees.maxFeePerGas !== undefined && fees.maxPriorityFeePerGas !== undefined) {
    const room = fees.maxFeePerGas - baseFee;
    return max(0n, room < fees.maxPriorityFeePerGas ? room : fees.maxPriorityFeePerGas);
  }
  return max(0n, (fees.gasPrice ?? 0n) - baseFee);
}

/** The lowest offer that outbids `attack`: 5/4 of it plus 1 gwei. Pure. */
export function outbidding(value: bigint): bigint {
  return (value * BUMP_NUM) / BUMP_DEN + MIN_PRIORITY_FEE;
}

/**
 * Fees for a transaction now. `force: "legacy"` when the chain is known to
 * refuse type 2; `outbid`: a pending transaction to get ahead of. Uses
 * eth_getBlockByNumber, then eth_maxPriorityFeePerGas or eth_gasPrice
 * (either may be missing).
 */
export async function currentFees(client: PublicClient, options: { force?: FeeMarket; cap?: bigint; outbid?: AttackFees } = {}): Promise<TxFees> {
  const cap = options.cap ?? DEFAULT_MAX_FEE;
  const { market, baseFee } = options.force === "legacy" ? { market: "legacy" as const, baseFee: 0n } : await feeMarket(client);
  const attack = options.outbid;
  if (market === "legacy") {
    let price = max((await optionalQuantity(client, "eth_gasPrice")) ?? 0n, MIN_PRIORITY_FEE);
    if (attack) price = max(price, outbidding(attack.gasPrice ?? attack.maxFeePerGas ?? 0n));
    return { type: "legacy", gasPrice: capped(price, cap) };
  }
  const suggested = (await optionalQuantity(client, "eth_maxPriorityFeePerGas")) ?? 0n;
  let tip = max(suggested, MIN_PRIORITY_FEE);
  if (attack) tip = max(tip, outbidding(effectiveTip(attack, baseFee)));
  tip = capped(tip, cap);
  return { type: "eip1559", maxFeePerGas: capped(baseFee * 2n + tip, cap), maxPriorityFeePerGas: tip };
}

/**
 * The fees of a replacement: each field 5/4 of the previous one, or the fresh
 * market price when higher, capped. Pure. A change of market (type 2 refused)
 * takes the fresh fees as they are.
 */
export function bumpFees(previous: TxFees, fresh: TxFees, cap: bigint = DEFAULT_MAX_FEE): TxFees {
  const bump = (a: bigint, b: bigint) => capped((a * BUMP_NUM) / BUMP_DEN > b ? (a * BUMP_NUM) / BUMP_DEN : b, cap);
  if (previous.type !== fresh.type) return fresh;
  if (previous.type === "legacy" && fresh.type === "legacy") return { type: "legacy", gasPrice: bump(previous.gasPrice, fresh.gasPrice) };
  if (previous.type === "eip1559" && fresh.type === "eip1559") {
    const tip = bump(previous.maxPriorityFeePerGas, fresh.maxPriorityFeePerGas);
    const max = bump(previous.maxFeePerGas, fresh.maxFeePerGas);
    return { type: "eip1559", maxFeePerGas: max < tip ? tip : max, maxPriorityFeePerGas: tip };
  }
  return fresh;
}

/** The highest price per gas `fees` may pay (for logs). */
export function feeCeiling(fees: TxFees): bigint {
  return fees.type === "legacy" ? fees.gasPrice : fees.maxFeePerGas;
}

/** Signs a transaction with `fees`; returns the raw transaction and its hash. */
export async function signWithFees(
  account: LocalAccount,
  tx: { chainId: number; to: Address; data: Hex; nonce: number; gas: bigint },
  fees: TxFees,
): Promise<{ raw: Hex; hash: Hex }> {
  const raw =
    fees.type === "legacy"
      ? await account.signTransaction!({ ...tx, type: "legacy", gasPrice: fees.gasPrice })
      : await account.signTransaction!({ ...tx, type: "eip1559", maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas });
  return { raw, hash: keccak256(raw) };
}

export interface SendWithFeesParams {
  client: PublicClient;
  chain: Chain;
  account: LocalAccount;
  to: Address;
  data: Hex;
  /** Cap of any fee field (default 500 gwei). */
  cap?: bigint;
}

/**
 * Sends one transaction of the sentinel with `currentFees` (legacy where the
 * chain has no base fee) and waits for its receipt; a node that refuses type 2
 * gets the same transaction as type 0. For the sentinel's routine duties; the
 * pause has its own journaled loop (pause-sender.ts).
 */
export async function sendWithFees(p: SendWithFeesParams) {
  const gas = await p.client.estimateGas({ account: p.account.address, to: p.to, data: p.data });
  const nonce = await p.client.getTransactionCount({ address: p.account.address, blockTag: "pending" });
  const tx = { chainId: p.chain.id, to: p.to, data: p.data, nonce, gas: (gas * 13n) / 10n };
  let fees = await currentFees(p.client, p.cap === undefined ? {} : { cap: p.cap });
  let signed = await signWithFees(p.account, tx, fees);
  try {
    await p.client.request({ method: "eth_sendRawTransaction", params: [signed.raw] });
  } catch (error) {
    if (fees.type !== "eip1559" || !isTxTypeRefusal(String((error as Error).message))) throw error;
    fees = await currentFees(p.client, { force: "legacy", ...(p.cap === undefined ? {} : { cap: p.cap }) });
    signed = await signWithFees(p.account, tx, fees);
    await p.client.request({ method: "eth_sendRawTransaction", params: [signed.raw] });
  }
  return p.client.waitForTransactionReceipt({ hash: signed.hash });
}

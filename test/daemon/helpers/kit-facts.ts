/**
 * Test-data builders for the kit's decoders and detectors: raw logs,
 * transactions and receipts as the follower hands them over (encoded with
 * the real ABIs), and decoded `KitBlock`s for the detectors' unit tests.
 */
import { encodeAbiParameters, encodeErrorResult, encodeEventTopics, type Abi, type AbiEvent } from "viem";
import type { BundleFacts, FactoryCallFacts, KitBlock, OpOutcome, RedemptionFacts } from "../../../daemon/src/decode/kit-block.js";
import type { KitEvent } from "../../../daemon/src/decode/kit-events.js";
import type { Detector } from "../../../daemon/src/detectors/detector.js";
import type { Address, BlockFacts, BlockHeaderFacts, ChainLog, ChainReceipt, ChainTransaction, Finding, Hex, LogPosition } from "../../../daemon/src/types.js";

export const hash = (n: number, salt = 0): Hex => `0x${(n + salt * 1_000_000).toString(16).padStart(64, "0")}`;
export const addr = (n: number): Address => `0x${n.toString(16).padStart(40, "0")}`;

/** Role addresses used across the kit tests. */
export const K = {
  entryPoint: addr(0xe9),
  factory: addr(0xfac),
  dm: addr(0xde1),
  paymaster: addr(0x9a1),
  hub: addr(0x40b),
  safe: addr(0x5afe),
  deployer: addr(0xd0),
  sentinel: addr(0x5e),
  stranger: addr(0xbad),
  delegate: addr(0xde),
  alice: addr(0xa11ce),
  bob: addr(0xb0b),
} as const;

export const KIT_CONTRACTS = { entryPoint: K.entryPoint, accountFactory: K.factory, delegationManager: K.dm, paymaster: K.paymaster, hub: K.hub };
export const TRUSTED = [K.deployer, K.safe, K.sentinel, K.hub];

export const T0 = 1_700_000_000;
export const observedAt = (n: number) => new Date((T0 + n * 2) * 1000).toISOString();

export function header(n: number, baseFee?: bigint): BlockHeaderFacts {
  return {
    number: n,
    hash: hash(n),
    parentHash: hash(n - 1),
    timestamp: T0 + n * 2,
    gasUsed: "0",
    gasLimit: "60000000",
    transactionCount: 0,
    ...(baseFee !== undefined ? { baseFeePerGas: baseFee.toString() } : {}),
  };
}

// ---------------------------------------------------------------------------
// Raw chain data.

/** A log of `address` for `eventName` of `abi`, with indexed args in topics and the rest ABI-encoded in data. */
export function eventLog(address: Address, abi: Abi, eventName: string, args: Record<string, unknown>, at: { block?: number; tx?: Hex; logIndex?: number } = {}): ChainLog {
  const event = abi.find((e) => e.type === "event" && e.name === eventName) as AbiEvent;
  const topics = encodeEventTopics({ abi: [event], eventName, args: args as never }) as Hex[];
  const nonIndexed = event.inputs.filter((i) => !i.indexed);
  const data = encodeAbiParameters(nonIndexed, nonIndexed.map((i) => args[i.name as string]) as never);
  const n = at.block ?? 10;
  return {
    address,
    topics: topics as [Hex, ...Hex[]],
    data,
    blockNumber: BigInt(n),
    blockHash: hash(n),
    transactionHash: at.tx ?? hash(n, 7),
    transactionIndex: 0,
    logIndex: at.logIndex ?? 0,
    removed: false,
  };
}

export function errorData(abi: Abi, errorName: string, args: readonly unknown[] = []): Hex {
  return encodeErrorResult({ abi, errorName, args } as never);
}

export function transaction(opts: { hash: Hex; to: Address; from?: Address; input: Hex; block?: number }): ChainTransaction {
  const n = opts.block ?? 10;
  return {
    hash: opts.hash,
    to: opts.to,
    from: opts.from ?? K.deployer,
    input: opts.input,
    blockNumber: BigInt(n),
    blockHash: hash(n),
    transactionIndex: 0,
    nonce: 0,
    value: 0n,
    gas: 1_000_000n,
    type: "eip1559",
    maxFeePerGas: 1n,
    maxPriorityFeePerGas: 1n,
    chainId: 31337,
    accessList: [],
    r: "0x1",
    s: "0x1",
    v: 0n,
    yParity: 0,
    typeHex: "0x2",
  } as unknown as ChainTransaction;
}

export function receipt(opts: { hash: Hex; to: Address; status: "success" | "reverted"; gasUsed?: bigint; block?: number; from?: Address }): ChainReceipt {
  const n = opts.block ?? 10;
  return {
    transactionHash: opts.hash,
    blockHash: hash(n),
    blockNumber: BigInt(n),
    transactionIndex: 0,
    from: opts.from ?? K.deployer,
    to: opts.to,
    status: opts.status,
    gasUsed: opts.gasUsed ?? 100_000n,
    cumulativeGasUsed: opts.gasUsed ?? 100_000n,
    effectiveGasPrice: 1n,
    logs: [],
    logsBloom: "0x",
    contractAddress: null,
    type: "eip1559",
  } as unknown as ChainReceipt;
}

export function blockFacts(n: number, parts: { logs?: ChainLog[]; txs?: Array<{ tx: ChainTransaction; receipt: ChainReceipt }>; baseFee?: bigint } = {}): BlockFacts {
  return {
    block: header(n, parts.baseFee),
    logs: parts.logs ?? [],
    transactions: (parts.txs ?? []).map((t) => t.tx),
    receipts: (parts.txs ?? []).map((t) => t.receipt),
    observedAt: observedAt(n),
  };
}

// ---------------------------------------------------------------------------
// Decoded views, for the detectors.

export function pos(n: number, tx: Hex = hash(n, 7), logIndex = 0): LogPosition {
  return { blockNumber: n, blockHash: hash(n), txHash: tx, logIndex };
}

export function kitBlock(n: number, parts: Partial<Omit<KitBlock, "block" | "observedAt">> & { baseFee?: bigint } = {}): KitBlock {
  const { baseFee, ...rest } = parts;
  return { block: header(n, baseFee), observedAt: observedAt(n), events: [], bundles: [], redemptions: [], factoryCalls: [], ...rest };
}

let opSeq = 0;
export function op(overrides: Partial<OpOutcome> = {}): OpOutcome {
  opSeq++;
  return { txHash: hash(opSeq, 3), sender: addr(0x1000 + opSeq), nonce: "0", creates: false, deployed: false, status: "succeeded", actualGasUsed: "100000", actualGasCost: "1000", ...overrides };
}

export function bundle(ops: OpOutcome[], overrides: Partial<BundleFacts> = {}): BundleFacts {
  return { txHash: ops[0]?.txHash ?? hash(0, 3), status: "success", ops, revertKnown: false, ...overrides };
}

/** An executed creation: its op and the AccountDeployed event. */
export function creation(n: number, sender: Address, overrides: Partial<OpOutcome> = {}): { bundle: BundleFacts; events: KitEvent[] } {
  const o = op({ sender, creates: true, deployed: true, actualGasUsed: "300000", ...overrides });
  return {
    bundle: bundle([o]),
    events: [{ kind: "ep.accountDeployed", userOpHash: hash(n, 9), sender, factory: K.factory, paymaster: K.paymaster, at: pos(n, o.txHash) }],
  };
}

/** A bundle the EntryPoint refused because of its only op (a creation), with the given AA reason. */
export function refusedCreation(reason: string): BundleFacts {
  const code = reason.slice(0, 4) as `AA${number}`;
  const o = op({ creates: true, status: "refused", code, revert: { kind: "failed-op", opIndex: 0, reason, code } });
  return bundle([o], { status: "reverted", revertKnown: true, revert: o.revert! });
}

export function redemption(overrides: Partial<RedemptionFacts> = {}): RedemptionFacts {
  opSeq++;
  return { txHash: hash(opSeq, 4), redeemer: K.delegate, status: "success", requests: [], value: "0", revertKnown: false, ...overrides };
}

export function redeemedEvent(n: number, tx: Hex, root: Address = K.alice): KitEvent {
  return { kind: "dm.redeemed", rootDelegator: root, redeemer: K.delegate, delegator: root, delegate: K.delegate, at: pos(n, tx) };
}

export function factoryCall(overrides: Partial<FactoryCallFacts> = {}): FactoryCallFacts {
  opSeq++;
  return { txHash: hash(opSeq, 5), from: K.stranger, status: "reverted", revertKnown: false, ...overrides };
}

/** Runs a detector over blocks in order; returns every finding (with its block) and the last state. */
export function runDetector<F extends { kit?: KitBlock; block?: BlockHeaderFacts }, S, T>(
  detector: Detector<F, S, T>,
  facts: readonly F[],
  state: S,
  thresholds: T,
): { findings: Array<Finding & { block: number }>; state: S } {
  const findings: Array<Finding & { block: number }> = [];
  let current = state;
  for (const f of facts) {
    const { findings: out, nextState } = detector(f, current, thresholds);
    const n = f.kit?.block.number ?? f.block?.number ?? -1;
    for (const x of out) findings.push({ ...x, block: n });
    current = JSON.parse(JSON.stringify(nextState)) as S; // persisted between blocks
  }
  return { findings, state: current };
}

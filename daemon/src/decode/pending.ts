/**
 * A pending transaction and its simulation → what it would do to the kit.
 * Pure. The pre-emptive detectors (detectors/preempt.ts) read this view, as
 * the block detectors read `KitBlock`.
 *
 * - `pendingRelevance`: the cheap filter every pending transaction meets
 *   first. A transaction goes on to simulation when it is sent to a watched
 *   contract, or when its input carries the DelegationManager's address or
 *   the `redeemDelegations` selector (a redemption made by a smart account,
 *   inside a bundle or a batch). Everything else costs nothing more.
 * - `decodePending`: the simulation is an `eth_call` on the latest state
 *   (would it succeed, and with which revert) and, where the node has it, a
 *   `debug_traceCall` with the call tracer and its logs. From the trace come
 *   the kit's events the transaction would emit (decoded with the same
 *   decoders as mined logs, from frames that do not revert), the
 *   redemptions made anywhere in the call tree, and the native value that
 *   would leave delegators' accounts. Without a trace, only a redemption
 *   sent straight to the DelegationManager is understood, from its input.
 *
 * Everything here comes from a stranger's transaction and the node's answer:
 * frames are walked to a bounded depth and count, logs are capped, and
 * malformed parts are skipped, never trusted.
 */
import { toFunctionSelector } from "viem";
import type { Address, ChainLog, Hex } from "../types.js";
import { decodeRedemptions, type RedemptionRequest } from "./calls.js";
import { decodeKitLogs, type KitContracts, type KitEvent } from "./kit-events.js";
import { decodeRevert, type DecodedRevert } from "./revert.js";

export const REDEEM_DELEGATIONS_SELECTOR: Hex = toFunctionSelector("function redeemDelegations(bytes[],bytes32[],bytes[])");

/** The fields of a pending transaction the decoder reads (chain/pending.ts gives more). */
export interface PendingTxFacts {
  hash: Hex;
  from: Address;
  to: Address | null;
  input: Hex;
  value: bigint;
}

/** A call frame of geth's call tracer (`debug_traceCall`, `{tracer: "callTracer", tracerConfig: {withLog: true}}`). */
export interface CallFrame {
  type?: string;
  from?: string;
  to?: string;
  value?: string;
  input?: string;
  output?: string;
  error?: string;
  calls?: CallFrame[];
  logs?: Array<{ address?: string; topics?: string[]; data?: string }>;
}

/** What the node said the transaction would do on the latest state. */
export interface PendingSimulation {
  /** The block whose state it ran on. */
  block: { number: number; hash: Hex };
  /** The `eth_call` succeeded. */
  ok: boolean;
  /** Its revert data, when it reverted and the node gave some. */
  revertData?: Hex;
  /** The call tracer's frame, where the node has `debug_traceCall`. */
  trace?: CallFrame;
}

/** One redemption the transaction would make. */
export interface PendingRedemption {
  /** Who calls the DelegationManager (the EOA, or a smart account inside a bundle). */
  redeemer: Address;
  requests: RedemptionRequest[];
  /** Native value the redemption's executions move (wei). */
  value: bigint;
}

/** A pending transaction as the pre-emptive detectors see it. */
export interface PendingKit {
  txHash: Hex;
  from: Address;
  to: Address | null;
  /** The simulation succeeded (an outer revert means nothing would happen). */
  succeeds: boolean;
  revert?: DecodedRevert;
  /** The trace was available: events and value are exact, not read from the input alone. */
  traced: boolean;
  /** The kit's events it would emit (only from frames that do not revert). */
  events: KitEvent[];
  redemptions: PendingRedemption[];
  /** Native value that would leave delegators' accounts through delegations (wei). */
  delegatedValue: bigint;
  /** The simulated-on block. */
  block: { number: number; hash: Hex };
}

const MAX_FRAMES = 2_000;
const MAX_DEPTH = 64;
const MAX_LOGS = 500;

const lower = (a: string) => a.toLowerCase() as Address;
const isHex = (v: unknown): v is Hex => typeof v === "string" && /^0x[0-9a-fA-F]*$/.test(v);
const isAddress = (v: unknown): v is Address => typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v);

/** The filter a pending transaction meets before anything is asked about it. */
export function pendingRelevance(contracts: KitContracts): (tx: { to: Address | null; input: Hex }) => boolean {
  const watched = new Set(Object.values(contracts).filter((a): a is Address => !!a).map(lower));
  const dm = contracts.delegationManager?.toLowerCase().slice(2);
  const selector = REDEEM_DELEGATIONS_SELECTOR.slice(2);
  return (tx) => {
    if (tx.to && watched.has(lower(tx.to))) return true;
    const input = tx.input.toLowerCase();
    return (dm !== undefined && input.includes(dm)) || input.includes(selector);
  };
}

function quantity(v: unknown): bigint {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{1,64}$/.test(v)) return 0n;
  return BigInt(v);
}

/** Walks the frames that do not revert, depth-first in call order, bounded. */
function* liveFrames(root: CallFrame): Generator<{ frame: CallFrame; depth: number }> {
  let count = 0;
  const stack: Array<{ frame: CallFrame; depth: number }> = [{ frame: root, depth: 0 }];
  while (stack.length > 0 && count < MAX_FRAMES) {
    const { frame, depth } = stack.pop()!;
    if (!frame || typeof frame !== "object" || frame.error !== undefined) continue; // a reverted frame undoes its subtree
    count++;
    yield { frame, depth };
    if (depth < MAX_DEPTH && Array.isArray(frame.calls)) for (let i = frame.calls.length - 1; i >= 0; i--) stack.push({ frame: frame.calls[i]!, depth: depth + 1 });
  }
}

/** The trace's logs as the block decoders take them (positions are the pending transaction's, block "pending"). */
function traceLogs(root: CallFrame, tx: PendingTxFacts, block: { number: number; hash: Hex }): ChainLog[] {
  const logs: ChainLog[] = [];
  for (const { frame } of liveFrames(root)) {
    for (const l of Array.isArray(frame.logs) ? frame.logs : []) {
      if (logs.length >= MAX_LOGS) return logs;
      if (!isAddress(l?.address) || !Array.isArray(l.topics) || !l.topics.every(isHex) || !isHex(l.data)) continue;
      logs.push({
        address: l.address,
        topics: l.topics as [Hex, ...Hex[]],
        data: l.data,
        blockNumber: BigInt(block.number + 1),
        blockHash: block.hash,
        transactionHash: tx.hash,
        transactionIndex: 0,
        logIndex: logs.length,
        removed: false,
      } as ChainLog);
    }
  }
  return logs;
}

/** Builds the detectors' view of a pending transaction from its simulation. */
export function decodePending(tx: PendingTxFacts, sim: PendingSimulation, contracts: KitContracts): PendingKit {
  const dm = contracts.delegationManager?.toLowerCase();
  const redemptions: PendingRedemption[] = [];
  let delegatedValue = 0n;
  let events: KitEvent[] = [];
  const redemption = (redeemer: string, input: unknown): void => {
    if (!isHex(input)) return;
    const requests = decodeRedemptions(input);
    if (!requests) return;
    redemptions.push({ redeemer: lower(redeemer), requests, value: requests.reduce((s, r) => s + BigInt(r.value), 0n) });
  };

  if (sim.trace && sim.ok) {
    events = decodeKitLogs(traceLogs(sim.trace, tx, sim.block), contracts);
    // Redemptions anywhere in the tree: a call to the DelegationManager's redeemDelegations that did not revert.
    for (const { frame } of liveFrames(sim.trace)) {
      if (dm && typeof frame.to === "string" && frame.to.toLowerCase() === dm && typeof frame.from === "string") redemption(frame.from, frame.input);
    }
    // Value leaving the redeemed delegators' accounts: their own value-bearing calls below a redemption.
    const delegators = new Set(events.flatMap((e) => (e.kind === "dm.redeemed" ? [e.rootDelegator, e.delegator] : [])));
    for (const { frame } of liveFrames(sim.trace)) {
      if (typeof frame.from === "string" && delegators.has(lower(frame.from)) && (frame.type ?? "CALL").toUpperCase() === "CALL") delegatedValue += quantity(frame.value);
    }
  } else if (sim.ok) {
    // No trace: only what the input says, for a redemption sent straight to the DelegationManager
    // (what a bundle's operations would move is not in its input).
    if (dm && tx.to?.toLowerCase() === dm) redemption(tx.from, tx.input);
    delegatedValue = redemptions.reduce((s, r) => s + r.value, 0n);
  }
  const revert = !sim.ok && sim.revertData ? decodeRevert(sim.revertData) : undefined;
  return {
    txHash: lower(tx.hash) as Hex,
    from: lower(tx.from),
    to: tx.to ? lower(tx.to) : null,
    succeeds: sim.ok,
    ...(revert ? { revert } : {}),
    traced: !!sim.trace,
    events,
    redemptions,
    delegatedValue,
    block: sim.block,
  };
}

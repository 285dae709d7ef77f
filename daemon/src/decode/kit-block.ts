/**
 * One block's facts → what happened on the kit, per bundle, operation,
 * redemption and factory call. Pure. The kit's detectors read this view
 * instead of raw logs and receipts:
 *
 * - bundles: `handleOps` transactions to the EntryPoint (from their input and
 *   receipt), with each operation's outcome from `UserOperationEvent`,
 *   `AccountDeployed`, `UserOperationRevertReason` and `PostOpRevertReason`
 *   (matched by sender and nonce). A reverted bundle emits nothing: its
 *   revert data (when the wiring fetched it) names the refused operation
 *   (`FailedOp(opIndex, "AA..")`). Operations executed through a bundle the
 *   daemon did not see as a transaction (a bundler contract calling the
 *   EntryPoint) are rebuilt from the events alone.
 * - redemptions: `redeemDelegations` transactions to the DelegationManager,
 *   with the value they move and, when reverted, why.
 * - factory calls: direct `deploy` transactions to the guarded factory.
 */
import type { Address, BlockFacts, BlockHeaderFacts, ChainReceipt, ChainTransaction, Hex } from "../types.js";
import { decodeBundle, decodeRedemptions, isFactoryDeploy, type AccountCalls, type RedemptionRequest } from "./calls.js";
import { decodeKitLogs, type KitContracts, type KitEvent } from "./kit-events.js";
import { decodeRevert, type AaCode, type DecodedRevert } from "./revert.js";

/** What became of one user operation. */
export type OpStatus =
  /** Executed, `success == true`. */
  | "succeeded"
  /** Executed (the bundle was mined and paid for it) but its call or postOp reverted: `success == false`. */
  | "reverted"
  /** The EntryPoint refused the whole bundle because of this operation (`FailedOp` names it). */
  | "refused"
  /** In a bundle refused because of another operation: not executed. */
  | "not-included"
  /** In a reverted bundle whose revert data is unknown (not fetched, or not an EntryPoint refusal). */
  | "unknown";

export interface OpOutcome {
  txHash: Hex;
  /** Index in the bundle (the EntryPoint's `opIndex`); undefined when rebuilt from events. */
  index?: number;
  sender: Address;
  nonce: string;
  /** The operation asked the EntryPoint to create its account (initCode, or an `AccountDeployed` was seen). */
  creates: boolean;
  /** `AccountDeployed` was emitted for it. */
  deployed: boolean;
  /** The factory its initCode names (from the bundle's input; lowercase). */
  factory?: Address;
  paymaster?: Address;
  /** What its callData calls (from the bundle's input); absent when unknown (rebuilt from events, or an unknown account call shape). */
  calls?: AccountCalls;
  status: OpStatus;
  userOpHash?: Hex;
  actualGasUsed?: string;
  actualGasCost?: string;
  /** The refusal (`FailedOp…`), the execution's revert (`UserOperationRevertReason`) or the postOp's. */
  revert?: DecodedRevert;
  code?: AaCode;
  postOpReverted?: boolean;
  /** Where it shows on chain (first event of the op, else the transaction). */
  logIndex?: number;
}

export interface BundleFacts {
  txHash: Hex;
  from?: Address;
  status: "success" | "reverted";
  gasUsed?: string;
  ops: OpOutcome[];
  /** The bundle's own revert, when reverted and the revert data was fetched. */
  revert?: DecodedRevert;
  revertKnown: boolean;
}

export interface RedemptionFacts {
  txHash: Hex;
  redeemer: Address;
  status: "success" | "reverted";
  requests: RedemptionRequest[];
  /** Native value the executions move (wei, decimal). */
  value: string;
  revert?: DecodedRevert;
  revertKnown: boolean;
}

export interface FactoryCallFacts {
  txHash: Hex;
  from: Address;
  status: "success" | "reverted";
  revert?: DecodedRevert;
  revertKnown: boolean;
}

export interface KitBlock {
  block: BlockHeaderFacts;
  observedAt: string;
  events: KitEvent[];
  bundles: BundleFacts[];
  redemptions: RedemptionFacts[];
  factoryCalls: FactoryCallFacts[];
}

/** Revert data of reverted transactions, by transaction hash (any case). */
export type RevertDataByTx = Readonly<Record<string, Hex>>;

/** Builds the kit view of a block. `revertData` holds what the wiring fetched for its reverted transactions. */
export function decodeKitBlock(facts: BlockFacts, contracts: KitContracts, revertData: RevertDataByTx = {}): KitBlock {
  const events = decodeKitLogs(facts.logs, contracts);
  const reverts = new Map(Object.entries(revertData).map(([k, v]) => [k.toLowerCase(), v]));
  const entryPoint = contracts.entryPoint?.toLowerCase();
  const dm = contracts.delegationManager?.toLowerCase();
  const factory = contracts.accountFactory?.toLowerCase();

  const eventsByTx = new Map<Hex, KitEvent[]>();
  for (const e of events) eventsByTx.set(e.at.txHash, [...(eventsByTx.get(e.at.txHash) ?? []), e]);

  const bundles: BundleFacts[] = [];
  const redemptions: RedemptionFacts[] = [];
  const factoryCalls: FactoryCallFacts[] = [];
  const seenBundles = new Set<Hex>();

  facts.transactions.forEach((tx, i) => {
    const receipt = facts.receipts[i];
    if (!receipt || receipt.transactionHash.toLowerCase() !== tx.hash.toLowerCase()) return;
    const to = tx.to?.toLowerCase();
    const txHash = tx.hash.toLowerCase() as Hex;
    const status = receipt.status;
    const data = reverts.get(txHash);
    const revert = status === "reverted" && data !== undefined ? decodeRevert(data) : undefined;
    const revertFields = { revertKnown: revert !== undefined, ...(revert ? { revert } : {}) };
    if (to === entryPoint) {
      const ops = decodeBundle(tx.input);
      if (!ops) return; // deposits, stake, withdrawals: their events are enough
      seenBundles.add(txHash);
      bundles.push(bundleFacts(tx, receipt, ops, eventsByTx.get(txHash) ?? [], revert));
    } else if (to === dm) {
      const requests = decodeRedemptions(tx.input);
      if (!requests) return;
      redemptions.push({
        txHash,
        redeemer: tx.from.toLowerCase() as Address,
        status,
        requests,
        value: requests.reduce((s, r) => s + BigInt(r.value), 0n).toString(),
        ...revertFields,
      });
    } else if (to === factory && isFactoryDeploy(tx.input)) {
      factoryCalls.push({ txHash, from: tx.from.toLowerCase() as Address, status, ...revertFields });
    }
  });

  // Operations of bundles that reached the EntryPoint through another contract.
  for (const [txHash, txEvents] of eventsByTx) {
    if (seenBundles.has(txHash) || !txEvents.some((e) => e.kind === "ep.userOperation")) continue;
    bundles.push(bundleFacts(undefined, undefined, undefined, txEvents, undefined, txHash));
  }

  return { block: facts.block, observedAt: facts.observedAt, events, bundles, redemptions, factoryCalls };
}

const opKey = (sender: string, nonce: string) => `${sender.toLowerCase()}:${nonce}`;

function bundleFacts(
  tx: ChainTransaction | undefined,
  receipt: ChainReceipt | undefined,
  calldataOps: ReturnType<typeof decodeBundle>,
  events: readonly KitEvent[],
  revert: DecodedRevert | undefined,
  txHashFromEvents?: Hex,
): BundleFacts {
  const txHash = (tx?.hash.toLowerCase() ?? txHashFromEvents) as Hex;
  const status = receipt?.status ?? "success";
  const executed = new Map<string, Extract<KitEvent, { kind: "ep.userOperation" }>>();
  const deployed = new Set<Address>();
  const execReverts = new Map<string, Extract<KitEvent, { kind: "ep.userOperationRevertReason" }>>();
  const postOpReverts = new Map<string, Extract<KitEvent, { kind: "ep.postOpRevertReason" }>>();
  for (const e of events) {
    if (e.kind === "ep.userOperation") executed.set(opKey(e.sender, e.nonce), e);
    else if (e.kind === "ep.accountDeployed") deployed.add(e.sender);
    else if (e.kind === "ep.userOperationRevertReason") execReverts.set(opKey(e.sender, e.nonce), e);
    else if (e.kind === "ep.postOpRevertReason") postOpReverts.set(opKey(e.sender, e.nonce), e);
  }

  const fromCalldata = calldataOps ?? [...executed.values()].map((e) => ({ sender: e.sender, nonce: e.nonce, creates: deployed.has(e.sender), paymaster: e.paymaster }));
  const refusedIndex = revert?.kind === "failed-op" ? revert.opIndex : undefined;
  const ops: OpOutcome[] = fromCalldata.map((op, index) => {
    const out: OpOutcome = {
      txHash,
      ...(calldataOps ? { index } : {}),
      sender: op.sender,
      nonce: op.nonce,
      creates: op.creates || deployed.has(op.sender),
      deployed: deployed.has(op.sender),
      status: "unknown",
      ...(op.paymaster && !/^0x0{40}$/.test(op.paymaster) ? { paymaster: op.paymaster } : {}),
      ...("factory" in op && op.factory ? { factory: op.factory } : {}),
      ...("calls" in op && op.calls ? { calls: op.calls } : {}),
    };
    if (status === "reverted") {
      if (refusedIndex === undefined) {
        if (revert) out.revert = revert;
      } else if (refusedIndex === index) {
        out.status = "refused";
        out.revert = revert as DecodedRevert;
        if (revert?.kind === "failed-op" && revert.code) out.code = revert.code;
      } else {
        out.status = "not-included";
      }
      return out;
    }
    const event = executed.get(opKey(op.sender, op.nonce));
    if (!event) return out; // in the input but not executed: cannot happen on a v0.7 EntryPoint
    out.status = event.success ? "succeeded" : "reverted";
    out.userOpHash = event.userOpHash;
    out.actualGasUsed = event.actualGasUsed;
    out.actualGasCost = event.actualGasCost;
    out.logIndex = event.at.logIndex;
    const postOp = postOpReverts.get(opKey(op.sender, op.nonce));
    const exec = execReverts.get(opKey(op.sender, op.nonce));
    if (postOp) {
      out.postOpReverted = true;
      out.revert = decodeRevert(postOp.revertReason);
    } else if (exec) {
      out.revert = decodeRevert(exec.revertReason);
    } else if (!event.success) {
      out.revert = { kind: "empty" };
    }
    return out;
  });
  return {
    txHash,
    ...(tx ? { from: tx.from.toLowerCase() as Address } : {}),
    status,
    ...(receipt ? { gasUsed: receipt.gasUsed.toString() } : {}),
    ops,
    revertKnown: revert !== undefined,
    ...(revert ? { revert } : {}),
  };
}

/**
 * Safe proposal files: what `guardian safe propose` writes, `safe sign`
 * extends and `safe exec` executes. A proposal carries the Safe transaction,
 * its decoded call in words, and the safeTxHash signers compare on their own
 * devices. Every step re-derives the hash from the transaction itself, so a
 * file edited after proposing is refused rather than signed.
 *
 * "Confirm" (keep a sentinel pause) is proposed as the hub's `pause`, which
 * confirms a sentinel pause and pauses a layer whose sentinel pause was
 * released meanwhile alike: whenever the Safe gets to execute it, the layer
 * ends paused. A `confirmPause` proposal (older files) reverts once the
 * sentinel pause has ended, so `sign` and `exec` refuse it then.
 */
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { z } from "zod";
import {
  type Address,
  type Hex,
  type PublicClient,
  decodeFunctionData,
  encodeFunctionData,
  getAddress,
  isAddress,
  isHex,
  keccak256,
  toHex,
  parseAbi,
} from "viem";
import { type SafeSignature, type SafeTx, buildSafeTx, readSafeState, safeAbi, safeTxHash, safeTxPreimageOf } from "./safe.js";
import { type SafeSignatureKind, approvedHashEntry, checkSafeSignature, safeSignatureAbi, signatureOwner } from "./safe-signatures.js";
import { LAYERS, LAYER_ID, type Layer } from "../types.js";

/** The hub functions a proposal may call, as their ABI. */
export const hubGuardianAbi = parseAbi([
  "function pause(uint8[] layers, bytes32 incident)",
  "function unpause(uint8[] layers, bytes32 incident)",
  "function confirmPause(uint8[] layers, bytes32 incident)",
]);

const hubLayerStateAbi = parseAbi([
  "struct LayerState { bool paused; bool bySentinel; uint64 pausedUntil; uint64 sentinelCooldownUntil; bytes32 incident; }",
  "function layerState(uint8 layer) view returns (LayerState)",
]);

const hexString = z.string().refine((v) => isHex(v), "expected 0x-prefixed hex");
const addr = z.string().refine((v) => isAddress(v), "expected a 0x-prefixed 20-byte address");
const uintString = z.string().regex(/^\d+$/, "expected a decimal integer string");

export const proposalSchema = z.object({
  kind: z.literal("guardian-safe-proposal"),
  version: z.literal(1),
  chainId: z.number().int().positive(),
  safe: addr,
  description: z.string(),
  action: z.enum(["pause", "unpause", "confirmPause"]),
  layers: z.array(z.enum(LAYERS)).min(1),
  incident: hexString,
  tx: z.object({
    to: addr,
    value: uintString,
    data: hexString,
    operation: z.union([z.literal(0), z.literal(1)]),
    safeTxGas: uintString,
    baseGas: uintString,
    gasPrice: uintString,
    gasToken: addr,
    refundReceiver: addr,
    nonce: uintString,
  }),
  safeTxHash: hexString,
  createdAt: z.string(),
  /** The block the proposal was made at: where the search for its execution starts. */
  proposedAtBlock: uintString.optional(),
  /** A pre-signed pause: the Safe's owners and threshold when it was made (signatures are only good while they hold). */
  presigned: z.object({ owners: z.array(addr), threshold: z.number().int().positive() }).optional(),
  signatures: z.array(z.object({ signer: addr, signature: hexString })),
});
export type Proposal = z.infer<typeof proposalSchema>;

/** A proposal that must not be signed or executed as it is; the CLI exits with 2. */
export class ProposalError extends Error {
  override name = "ProposalError";
  readonly exitCode = 2;
}

export function txOf(p: Proposal): SafeTx {
  const t = p.tx;
  return {
    to: getAddress(t.to),
    value: BigInt(t.value),
    data: t.data as Hex,
    operation: t.operation,
    safeTxGas: BigInt(t.safeTxGas),
    baseGas: BigInt(t.baseGas),
    gasPrice: BigInt(t.gasPrice),
    gasToken: getAddress(t.gasToken),
    refundReceiver: getAddress(t.refundReceiver),
    nonce: BigInt(t.nonce),
  };
}

/** A 32-byte incident reference from free text (an incident id) or a 0x-hash as is. */
export function incidentRef(text: string | undefined): Hex {
  if (!text) return `0x${"00".repeat(32)}`;
  if (/^0x[0-9a-fA-F]{64}$/.test(text)) return text as Hex;
  return keccak256(toHex(text));
}

export async function createProposal(
  client: PublicClient,
  args: {
    safe: Address;
    hub: Address;
    action: Proposal["action"];
    layers: Layer[];
    incident?: string;
    now?: Date;
    /** What the signers are asked to do, in words (default: the action). */
    verb?: string;
    /** The Safe nonce to propose at (default: the Safe's current nonce). */
    nonce?: bigint;
  },
): Promise<Proposal> {
  const ids = args.layers.map((l) => LAYER_ID[l]);
  const incident = incidentRef(args.incident);
  const data = encodeFunctionData({ abi: hubGuardianAbi, functionName: args.action, args: [ids, incident] });
  const tx = await buildSafeTx(client, args.safe, { to: args.hub, data, nonce: args.nonce });
  const proposedAtBlock = await client.getBlockNumber({ cacheTime: 0 });
  const chainId = client.chain?.id ?? (await client.getChainId());
  const words = `${args.verb ?? args.action} ${args.layers.join(", ")}${args.incident ? ` for incident ${args.incident}` : ""}`;
  return {
    kind: "guardian-safe-proposal",
    version: 1,
    chainId,
    safe: getAddress(args.safe),
    description: `GuardianHub ${args.hub}: ${words} (Safe nonce ${tx.nonce})`,
    action: args.action,
    layers: args.layers,
    incident,
    tx: {
      to: tx.to,
      value: tx.value.toString(),
      data: tx.data,
      operation: tx.operation,
      safeTxGas: tx.safeTxGas.toString(),
      baseGas: tx.baseGas.toString(),
      gasPrice: tx.gasPrice.toString(),
      gasToken: tx.gasToken,
      refundReceiver: tx.refundReceiver,
      nonce: tx.nonce.toString(),
    },
    safeTxHash: safeTxHash(args.safe, chainId, tx),
    createdAt: (args.now ?? new Date()).toISOString(),
    proposedAtBlock: proposedAtBlock.toString(),
    signatures: [],
  };
}

/**
 * Checks that the file says what its transaction does: the hash matches the
 * transaction, the call decodes to the stated action and layers, and every
 * signature recovers to the signer it names.
 */
export async function verifyProposalIntegrity(p: Proposal): Promise<void> {
  const tx = txOf(p);
  const hash = safeTxHash(getAddress(p.safe), p.chainId, tx);
  if (hash !== p.safeTxHash) {
    throw new ProposalError(`proposal was modified: its transaction hashes to ${hash}, but the file says safeTxHash ${p.safeTxHash}`);
  }
  let decoded;
  try {
    decoded = decodeFunctionData({ abi: hubGuardianAbi, data: tx.data });
  } catch {
    throw new ProposalError("proposal data is not a GuardianHub pause, unpause or confirmPause call");
  }
  const layers = (decoded.args[0] as readonly number[]).map((id) => LAYERS[id]);
  if (decoded.functionName !== p.action || layers.join(",") !== p.layers.join(",") || decoded.args[1] !== p.incident) {
    throw new ProposalError(`proposal data calls ${decoded.functionName}(${layers.join(", ")}) but the file says ${p.action}(${p.layers.join(", ")})`);
  }
  for (const [i, s] of p.signatures.entries()) {
    let who: Address;
    let kind: SafeSignatureKind;
    try {
      const r = await signatureOwner(s.signature as Hex, hash);
      who = r.owner;
      kind = r.parsed.kind;
    } catch (e) {
      throw new ProposalError(`signature ${i + 1} (said to be from ${s.signer}) is unusable: ${(e as Error).message}`);
    }
    if (getAddress(who) !== getAddress(s.signer)) {
      throw new ProposalError(
        kind === "eip712" || kind === "eth_sign"
          ? `signature ${i + 1} (${kind}) said to be from ${s.signer} recovers to ${who}: it was made for another transaction or by another key`
          : `signature ${i + 1} (${kind}) said to be from ${s.signer} names ${who} as its owner`,
      );
    }
  }
}

/** One owner's signature in a proposal (or an approval read on chain), checked like the Safe does. */
export interface CheckedSignature {
  owner: Address;
  kind: SafeSignatureKind;
  signature: Hex;
  /** Found on chain (`approveHash`), not in the file. */
  onChain?: boolean;
}

/**
 * Checks every signature of a proposal as Safe's checkNSignatures would at
 * the latest block, and adds the owners who approved the safeTxHash on chain
 * (`approveHash`) without a file entry. `executor` (the account that will
 * send execTransaction) counts as approving if it is an owner who asks to.
 */
export async function checkProposalSignatures(client: PublicClient, p: Proposal, owners: Address[], opts: { executor?: Address } = {}) {
  const safe = getAddress(p.safe);
  const tx = txOf(p);
  const preimage = safeTxPreimageOf(safe, p.chainId, tx);
  const hash = p.safeTxHash as Hex;
  const valid: CheckedSignature[] = [];
  const invalid: { signer: Address; kind?: SafeSignatureKind; reason: string }[] = [];
  for (const s of p.signatures) {
    const signer = getAddress(s.signer);
    const r = await checkSafeSignature(client, { safe, safeTxHash: hash, preimage, signature: s.signature as Hex, executor: opts.executor });
    if (!r.ok) invalid.push({ signer, kind: r.kind, reason: r.reason });
    else if (getAddress(r.owner) !== signer) invalid.push({ signer, kind: r.kind, reason: `made by ${r.owner}, not ${signer}` });
    else valid.push({ owner: signer, kind: r.kind, signature: s.signature as Hex });
  }
  const listed = new Set(p.signatures.map((s) => getAddress(s.signer)));
  const unlisted = owners.filter((o) => !listed.has(o));
  const approvals = await Promise.all(
    unlisted.map((o) => client.readContract({ address: safe, abi: safeSignatureAbi, functionName: "approvedHashes", args: [o, hash] })),
  );
  unlisted.forEach((o, i) => {
    if (approvals[i] !== 0n) valid.push({ owner: o, kind: "approved-hash", signature: approvedHashEntry(o), onChain: true });
  });
  return { valid, invalid };
}

/** Throws a ProposalError naming each signature that Safe would refuse, and why. */
export function assertSignaturesValid(invalid: { signer: Address; kind?: SafeSignatureKind; reason: string }[]) {
  if (invalid.length === 0) return;
  throw new ProposalError(
    [`${invalid.length === 1 ? "a signature is" : `${invalid.length} signatures are`} not valid for this Safe transaction:`, ...invalid.map((x) => `  ${x.signer}${x.kind ? ` (${x.kind})` : ""}: ${x.reason}`)].join("\n"),
  );
}

const executionEvents = parseAbi(["event ExecutionSuccess(bytes32 indexed txHash, uint256 payment)", "event ExecutionFailure(bytes32 indexed txHash, uint256 payment)"]);

/** The transaction that used a Safe nonce. */
export interface NonceExecution {
  /** The safeTxHash executed at that nonce. */
  safeTxHash: Hex;
  transactionHash: Hex;
  blockNumber: bigint;
  /** ExecutionSuccess (true) or ExecutionFailure (false, the inner call failed but the nonce was used). */
  success: boolean;
}

/**
 * Finds which Safe transaction used `nonce`: bisects the blocks for the first
 * one where the Safe's `nonce()` is past it (historical `eth_call`s, about
 * log2 of the range), then takes that block's ExecutionSuccess/Failure logs
 * of the Safe in order: the k-th is nonce (nonce before the block + k).
 * Undefined while the nonce is unused, or when the logs do not show it (the
 * Safe executed through another contract's call in a way the count misses);
 * a node without the history fails the reads and the error is thrown.
 */
export async function findNonceExecution(client: PublicClient, safe: Address, nonce: bigint, fromBlock = 0n): Promise<NonceExecution | undefined> {
  const latest = await client.getBlockNumber({ cacheTime: 0 });
  const nonceAt = async (blockNumber: bigint) => {
    try {
      return await client.readContract({ address: safe, abi: safeAbi, functionName: "nonce", blockNumber });
    } catch (e) {
      // No code there yet (before the Safe existed) reads as nonce 0; any other failure is not a nonce.
      for (let c: any = e, depth = 0; c && depth < 6; c = c.cause, depth++) if (c.name === "ContractFunctionZeroDataError") return 0n;
      throw e;
    }
  };
  if ((await nonceAt(latest)) <= nonce) return undefined;
  let lo = fromBlock > latest ? 0n : fromBlock;
  if (lo > 0n && (await nonceAt(lo)) > nonce) lo = 0n;
  let hi = latest;
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    if ((await nonceAt(mid)) > nonce) hi = mid;
    else lo = mid + 1n;
  }
  const before = hi > 0n ? await nonceAt(hi - 1n) : 0n;
  const logs = await client.getLogs({ address: safe, events: executionEvents, fromBlock: hi, toBlock: hi });
  const log = logs[Number(nonce - before)];
  if (!log || nonce < before) return undefined;
  return { safeTxHash: log.args.txHash as Hex, transactionHash: log.transactionHash!, blockNumber: log.blockNumber!, success: log.eventName === "ExecutionSuccess" };
}

/** Where a proposal stands: run (by this or another transaction at its nonce), waiting for its turn, or open. */
export type ProposalOutcome =
  | { state: "executed"; transactionHash: Hex; blockNumber: bigint; success: boolean }
  /** Another transaction used the nonce; `by` when the logs name it. */
  | { state: "superseded"; by?: NonceExecution }
  | { state: "waiting" }
  | { state: "pending" };

/**
 * What the Safe on chain says about a proposal: which signatures hold (each
 * checked like the Safe does, plus on-chain approvals), who may still sign,
 * whether it is executable, and once its nonce is used, by which transaction.
 */
export async function proposalStatus(client: PublicClient, p: Proposal, opts: { executor?: Address } = {}) {
  const safe = getAddress(p.safe);
  const state = await readSafeState(client, safe);
  const owners = state.owners.map((o) => getAddress(o));
  const { valid, invalid } = await checkProposalSignatures(client, p, owners, opts);
  const ownerSigs = valid.filter((v) => owners.includes(v.owner));
  const signed = ownerSigs.map((v) => v.owner);
  const nonce = BigInt(p.tx.nonce);
  let outcome: ProposalOutcome = state.nonce < nonce ? { state: "waiting" } : { state: "pending" };
  if (state.nonce > nonce) {
    const ran = await findNonceExecution(client, safe, nonce, p.proposedAtBlock ? BigInt(p.proposedAtBlock) : 0n);
    outcome =
      ran && ran.safeTxHash.toLowerCase() === p.safeTxHash.toLowerCase()
        ? { state: "executed", transactionHash: ran.transactionHash, blockNumber: ran.blockNumber, success: ran.success }
        : { state: "superseded", by: ran };
  }
  return {
    threshold: Number(state.threshold),
    owners,
    signed,
    signatures: ownerSigs,
    invalid,
    foreign: valid.filter((v) => !owners.includes(v.owner)).map((v) => v.owner),
    missing: owners.filter((o) => !signed.includes(o)),
    stale: state.nonce > nonce,
    future: state.nonce < nonce,
    currentNonce: state.nonce,
    outcome,
    executable: invalid.length === 0 && signed.length >= Number(state.threshold) && state.nonce === nonce,
  };
}
export type ProposalStatus = Awaited<ReturnType<typeof proposalStatus>>;

/** How one layer stands on the hub, in words, for signers deciding on a confirm. */
export type LayerStanding = "not paused" | "guardian pause" | "sentinel pause" | "sentinel pause, expired (not released yet)";

export async function layerStandings(client: PublicClient, hub: Address, layers: Layer[]): Promise<Record<Layer, LayerStanding>> {
  const out = {} as Record<Layer, LayerStanding>;
  const block = await client.getBlock();
  for (const layer of layers) {
    const s = await client.readContract({ address: hub, abi: hubLayerStateAbi, functionName: "layerState", args: [LAYER_ID[layer]], blockNumber: block.number });
    out[layer] = !s.paused
      ? "not paused"
      : !s.bySentinel
        ? "guardian pause"
        : block.timestamp >= s.pausedUntil
          ? "sentinel pause, expired (not released yet)"
          : "sentinel pause";
  }
  return out;
}

/**
 * Refuses a `confirmPause` proposal whose sentinel pause has ended: on chain
 * it would revert and the layer would stay live while the signers believe
 * they kept it paused. Other actions pass.
 */
export async function assertConfirmStillApplies(client: PublicClient, p: Proposal): Promise<void> {
  if (p.action !== "confirmPause") return;
  const standings = await layerStandings(client, getAddress(p.tx.to), p.layers);
  const ended = p.layers.filter((l) => !standings[l].startsWith("sentinel pause"));
  if (ended.length === 0) return;
  throw new ProposalError(
    [
      `this proposal calls confirmPause, but the sentinel pause of ${ended.map((l) => `${l} (now: ${standings[l]})`).join(", ")} has ended: on chain it would revert and leave the layer as it is.`,
      `To keep ${p.layers.join(", ")} paused, propose again: \`guardian safe propose confirm ${p.layers.join(" ")}\` proposes the hub's pause, which keeps the layers paused whether or not the sentinel pause was released.`,
    ].join("\n"),
  );
}

/** Adds (or replaces) one owner's signature; the proposal's other signers keep theirs. */
export function addSignature(p: Proposal, sig: SafeSignature): Proposal {
  const others = p.signatures.filter((s) => getAddress(s.signer as Address) !== getAddress(sig.signer));
  return { ...p, signatures: [...others, { signer: getAddress(sig.signer), signature: sig.signature }] };
}

export function readProposal(file: string): Proposal {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ProposalError(`${file}: not a readable JSON proposal (${(e as Error).message})`);
  }
  const parsed = proposalSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new ProposalError(`${file}: not a Guardian Safe proposal: ${problems}`);
  }
  return parsed.data;
}

export function writeProposal(file: string, p: Proposal) {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(p, null, 2) + "\n");
  renameSync(tmp, file);
}

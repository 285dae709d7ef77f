/**
 * Signer liveness: when each owner of the guardian Safe last proved they can
 * still sign. A pause through the Safe needs a threshold of owners who still
 * hold their keys; nobody learns that a key was lost until it is needed,
 * unless proofs are collected. Three count:
 *
 * - an executed Safe transaction the owner signed: the ExecutionSuccess /
 *   ExecutionFailure log names the safeTxHash, the `execTransaction` calldata
 *   (direct calls to the Safe) holds the signatures; EIP-712 and eth_sign
 *   signatures are recovered, an approved-hash entry counts for the account
 *   that sent the transaction (contract signatures are not counted: the
 *   Safe checks only the first `threshold` entries, so an extra one proves
 *   nothing);
 * - an `ApproveHash` event (the owner sent `approveHash` themselves);
 * - a liveness attestation (`guardian safe attest`): the owner signs a
 *   message naming the Safe, the chain and a recent block's hash, so it
 *   cannot be made in advance; it dates from that block.
 *
 * Reads go through a plain JSON-RPC function, so the daemon's pool and the
 * CLI's client both serve.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import {
  type Address,
  type Hex,
  decodeFunctionData,
  getAddress,
  hexToBigInt,
  isAddress,
  isHex,
  numberToHex,
  recoverMessageAddress,
  toEventSelector,
} from "viem";
import { safeAbi } from "./safe.js";
import { signatureOwner, splitSafeSignatures } from "./safe-signatures.js";

/** One JSON-RPC request. */
export type Rpc = (method: string, params: unknown[]) => Promise<unknown>;

export interface LivenessProof {
  owner: Address;
  block: number;
  /** Chain time (seconds) of that block. */
  time: number;
  source: "executed" | "approveHash" | "attestation";
  /** The transaction, or the attested block's hash. */
  ref: Hex;
}

const SUCCESS = toEventSelector("ExecutionSuccess(bytes32,uint256)");
const FAILURE = toEventSelector("ExecutionFailure(bytes32,uint256)");
const APPROVE = toEventSelector("ApproveHash(bytes32,address)");

interface RawLog {
  topics: Hex[];
  blockNumber: Hex;
  transactionHash: Hex;
}

async function blockTime(rpc: Rpc, cache: Map<number, number>, block: number): Promise<number> {
  const hit = cache.get(block);
  if (hit !== undefined) return hit;
  const b = (await rpc("eth_getBlockByNumber", [numberToHex(block), false])) as { timestamp: Hex } | null;
  if (!b) throw new Error(`block ${block} not found`);
  const t = Number(hexToBigInt(b.timestamp));
  cache.set(block, t);
  return t;
}

/**
 * Proofs in the Safe's logs between two blocks (inclusive), in chunks of at
 * most `maxRange` blocks per `eth_getLogs`.
 */
export async function scanSafeProofs(rpc: Rpc, safe: Address, fromBlock: number, toBlock: number, maxRange = 2_000): Promise<LivenessProof[]> {
  const out: LivenessProof[] = [];
  const times = new Map<number, number>();
  for (let from = Math.max(0, fromBlock); from <= toBlock; from += maxRange) {
    const to = Math.min(toBlock, from + maxRange - 1);
    const logs = (await rpc("eth_getLogs", [{ address: safe, fromBlock: numberToHex(from), toBlock: numberToHex(to), topics: [[SUCCESS, FAILURE, APPROVE]] }])) as RawLog[];
    for (const log of logs) {
      const block = Number(hexToBigInt(log.blockNumber));
      const topic = log.topics[0]?.toLowerCase();
      if (topic === APPROVE && log.topics[2]) {
        out.push({ owner: getAddress(`0x${log.topics[2].slice(26)}`), block, time: await blockTime(rpc, times, block), source: "approveHash", ref: log.transactionHash });
        continue;
      }
      if ((topic !== SUCCESS && topic !== FAILURE) || !log.topics[1]) continue;
      const tx = (await rpc("eth_getTransactionByHash", [log.transactionHash])) as { to: Hex | null; from: Hex; input: Hex } | null;
      if (!tx?.to || getAddress(tx.to) !== getAddress(safe)) continue; // through another contract: calldata not ours to read
      let signatures: Hex;
      try {
        const decoded = decodeFunctionData({ abi: safeAbi, data: tx.input });
        if (decoded.functionName !== "execTransaction") continue;
        signatures = decoded.args[9] as Hex;
      } catch {
        continue;
      }
      let entries: Hex[];
      try {
        entries = splitSafeSignatures(signatures);
      } catch {
        continue;
      }
      const time = await blockTime(rpc, times, block);
      for (const entry of entries) {
        try {
          const { owner, parsed } = await signatureOwner(entry, log.topics[1]);
          const counts = parsed.kind === "eip712" || parsed.kind === "eth_sign" || (parsed.kind === "approved-hash" && getAddress(tx.from) === owner);
          if (counts) out.push({ owner, block, time, source: "executed", ref: log.transactionHash });
        } catch {
          // malformed entry: proves nothing
        }
      }
    }
  }
  return out;
}

/** The message an owner signs to attest liveness: it names a recent block, so it cannot be prepared in advance. */
export function attestationMessage(a: { safe: Address; chainId: number; blockNumber: number; blockHash: Hex }): string {
  return [
    "Guardian signer liveness",
    `I still control this key as an owner of Safe ${getAddress(a.safe)} on chain ${a.chainId}.`,
    `Block ${a.blockNumber} ${a.blockHash}`,
  ].join("\n");
}

const addr = z.string().refine((v) => isAddress(v), "expected a 0x-prefixed 20-byte address");
export const attestationSchema = z.object({
  kind: z.literal("guardian-safe-attestation"),
  version: z.literal(1),
  safe: addr,
  chainId: z.number().int().positive(),
  blockNumber: z.number().int().nonnegative(),
  blockHash: z.string().refine((v) => isHex(v) && v.length === 66, "expected a 32-byte block hash"),
  signer: addr,
  signature: z.string().refine((v) => isHex(v), "expected 0x-prefixed hex"),
});
export type Attestation = z.infer<typeof attestationSchema>;

/**
 * Proofs from attestation files (or directories of them) for this Safe and
 * chain: each signature must recover to its signer, and its block hash must
 * be the chain's at that height (else it is skipped, with the reason).
 */
export async function readAttestations(rpc: Rpc, paths: string[], safe: Address, chainId: number): Promise<{ proofs: LivenessProof[]; rejected: string[] }> {
  const files: string[] = [];
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      continue; // nothing there yet
    }
    if (isDir) files.push(...readdirSync(p).filter((f) => f.endsWith(".json")).map((f) => path.join(p, f)));
    else files.push(p);
  }
  const proofs: LivenessProof[] = [];
  const rejected: string[] = [];
  for (const file of files) {
    let a: Attestation;
    try {
      const parsed = attestationSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
      if (!parsed.success) continue; // not an attestation
      a = parsed.data;
    } catch {
      continue;
    }
    if (getAddress(a.safe) !== getAddress(safe) || a.chainId !== chainId) continue;
    const signer = await recoverMessageAddress({ message: attestationMessage({ safe: getAddress(a.safe), chainId: a.chainId, blockNumber: a.blockNumber, blockHash: a.blockHash as Hex }), signature: a.signature as Hex }).catch(() => undefined);
    if (!signer || getAddress(signer) !== getAddress(a.signer)) {
      rejected.push(`${file}: signature does not recover to ${a.signer}`);
      continue;
    }
    const b = (await rpc("eth_getBlockByNumber", [numberToHex(a.blockNumber), false])) as { hash: Hex; timestamp: Hex } | null;
    if (!b || b.hash.toLowerCase() !== a.blockHash.toLowerCase()) {
      rejected.push(`${file}: block ${a.blockNumber} is not ${a.blockHash} on this chain`);
      continue;
    }
    proofs.push({ owner: getAddress(a.signer), block: a.blockNumber, time: Number(hexToBigInt(b.timestamp)), source: "attestation", ref: a.blockHash as Hex });
  }
  return { proofs, rejected };
}

/** Each owner's latest proof (pure). */
export function latestProofs(proofs: LivenessProof[]): Map<Address, LivenessProof> {
  const out = new Map<Address, LivenessProof>();
  for (const p of proofs) {
    const prev = out.get(p.owner);
    if (!prev || p.time > prev.time || (p.time === prev.time && p.block > prev.block)) out.set(p.owner, p);
  }
  return out;
}

/**
 * Keeps proofs between checks: the first call scans the last `lookbackBlocks`,
 * later ones only the blocks since; attestations are re-read every time.
 */
export class LivenessTracker {
  private scannedTo: number | undefined;
  private proofs: LivenessProof[] = [];

  constructor(private readonly o: { safe: Address; chainId: number; attestations: string[]; lookbackBlocks: number; maxLogRange?: number }) {}

  async update(rpc: Rpc, tip: number): Promise<{ latest: Map<Address, LivenessProof>; rejected: string[] }> {
    const from = this.scannedTo === undefined ? Math.max(0, tip - this.o.lookbackBlocks) : this.scannedTo + 1;
    if (from <= tip) {
      this.proofs.push(...(await scanSafeProofs(rpc, this.o.safe, from, tip, this.o.maxLogRange)));
      this.scannedTo = tip;
    }
    // Keep only each owner's latest on-chain proof: memory stays bounded by the number of owners.
    this.proofs = [...latestProofs(this.proofs).values()];
    const { proofs: attested, rejected } = await readAttestations(rpc, this.o.attestations, this.o.safe, this.o.chainId);
    return { latest: latestProofs([...this.proofs, ...attested]), rejected };
  }
}

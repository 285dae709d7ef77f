/**
 * Pre-signed pauses: "pause all layers" proposals for the guardian Safe's
 * next K nonces, signed ahead of time by a threshold of owners and kept
 * offline, so that on the day anyone with a funded key executes one at once
 * (`guardian safe fire`) without reaching a signer.
 *
 * A Safe transaction is bound to its nonce: the file for nonce N is usable
 * only while the Safe's nonce is N. Each other Safe transaction consumes the
 * file of its nonce and makes the next one current; once the Safe's nonce
 * passes the highest pre-signed nonce, none is left. The signatures also
 * only hold while their signers are owners and meet the threshold, so each
 * file records the owners and threshold it was signed under.
 *
 * Executing one pauses every layer indefinitely (the hub's `pause`, as the
 * guardian): whoever holds a signed file can do that. Keep the signed files
 * where only the people who may pause can reach them.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { type Address, type Hex, type PublicClient, getAddress } from "viem";
import { createProposal, proposalSchema, ProposalError, type Proposal } from "./safe-proposal.js";
import { readSafeState } from "./safe.js";
import { signatureOwner } from "./safe-signatures.js";
import { LAYERS } from "../types.js";

/** The incident reference pre-signed pauses carry on chain (no incident exists when they are signed). */
export const PRESIGNED_INCIDENT = "guardian-presigned-pause";

/** A file name that sorts by nonce. */
export function presignFileName(nonce: bigint | string): string {
  return `presigned-pause-${String(nonce).padStart(6, "0")}.json`;
}

/** Proposals to pause every layer at the Safe's next `count` nonces, each recording the owners and threshold of now. */
export async function createPresignedPauses(client: PublicClient, args: { safe: Address; hub: Address; count: number; now?: Date }): Promise<Proposal[]> {
  const state = await readSafeState(client, args.safe);
  const out: Proposal[] = [];
  for (let i = 0; i < args.count; i++) {
    const nonce = state.nonce + BigInt(i);
    const p = await createProposal(client, {
      safe: args.safe,
      hub: args.hub,
      action: "pause",
      layers: [...LAYERS],
      incident: PRESIGNED_INCIDENT,
      verb: "pre-signed pause of",
      nonce,
      now: args.now,
    });
    out.push({ ...p, presigned: { owners: state.owners.map((o) => getAddress(o)), threshold: Number(state.threshold) } });
  }
  return out;
}

/** What the pause-ability watch and `readiness` need of one pre-signed file (no RPC, signatures read locally). */
export interface PresignedSummary {
  file: string;
  nonce: number;
  /** Owners whose signature is in the file (recovered for ECDSA, named for the other kinds). */
  signers: Address[];
  /** The owners and threshold when it was made. */
  owners: Address[];
  threshold: number;
}

/**
 * Reads the pre-signed pauses among `files` (or the `.json` files of a
 * directory) for this Safe and chain; other files are skipped, a file that
 * is not JSON or a Guardian proposal is an error naming it.
 */
export function readPresigned(paths: string[], safe: Address, chainId: number): { proposals: Array<{ file: string; proposal: Proposal }>; skipped: string[] } {
  const files: string[] = [];
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      throw new ProposalError(`${p}: cannot read it (${(e as Error).message.split("\n")[0]})`);
    }
    if (isDir) files.push(...readdirSync(p).filter((f) => f.endsWith(".json")).sort().map((f) => path.join(p, f)));
    else files.push(p);
  }
  const proposals: Array<{ file: string; proposal: Proposal }> = [];
  const skipped: string[] = [];
  for (const file of files) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new ProposalError(`${file}: not a readable JSON file (${(e as Error).message.split("\n")[0]})`);
    }
    const parsed = proposalSchema.safeParse(json);
    if (!parsed.success || !parsed.data.presigned || getAddress(parsed.data.safe) !== getAddress(safe) || parsed.data.chainId !== chainId) {
      skipped.push(file);
      continue;
    }
    proposals.push({ file, proposal: parsed.data });
  }
  return { proposals, skipped };
}

export async function summarizePresigned(entries: Array<{ file: string; proposal: Proposal }>): Promise<PresignedSummary[]> {
  const out: PresignedSummary[] = [];
  for (const { file, proposal } of entries) {
    const signers: Address[] = [];
    for (const s of proposal.signatures) {
      try {
        const { owner } = await signatureOwner(s.signature as Hex, proposal.safeTxHash as Hex);
        if (getAddress(owner) === getAddress(s.signer) && !signers.includes(owner)) signers.push(owner);
      } catch {
        // unusable signature: not counted
      }
    }
    out.push({ file, nonce: Number(proposal.tx.nonce), signers, owners: proposal.presigned!.owners.map((o) => getAddress(o)), threshold: proposal.presigned!.threshold });
  }
  return out.sort((a, b) => a.nonce - b.nonce);
}

/** How the pre-signed pauses stand against the Safe now (pure). */
export function presignedStanding(files: PresignedSummary[], safe: { nonce: number; owners: Address[]; threshold: number }) {
  const owners = safe.owners.map((o) => getAddress(o));
  const signedEnough = (f: PresignedSummary) => f.signers.filter((s) => owners.includes(s)).length >= safe.threshold;
  const remaining = files.filter((f) => f.nonce >= safe.nonce);
  const usable = remaining.filter(signedEnough);
  const sameConfig = (f: PresignedSummary) => f.threshold === safe.threshold && [...f.owners].sort().join(",") === [...owners].sort().join(",");
  return {
    highestNonce: files.length ? Math.max(...files.map((f) => f.nonce)) : undefined,
    /** Signed files at nonces the Safe has not reached or is at. */
    validNonces: usable.map((f) => f.nonce),
    /** A signed file for the Safe's current nonce: a pause can be fired now. */
    readyNow: usable.some((f) => f.nonce === safe.nonce),
    /** Remaining files signed under other owners or another threshold. */
    configChanged: remaining.filter((f) => !sameConfig(f)).map((f) => f.nonce),
    /** Remaining files without a threshold of current owners' signatures. */
    underSigned: remaining.filter((f) => !signedEnough(f)).map((f) => f.nonce),
  };
}

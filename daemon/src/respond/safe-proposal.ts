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
import { type SafeSignature, type SafeTx, buildSafeTx, readSafeState, recoverSafeSigner, safeTxHash } from "./safe.js";
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
  },
): Promise<Proposal> {
  const ids = args.layers.map((l) => LAYER_ID[l]);
  const incident = incidentRef(args.incident);
  const data = encodeFunctionData({ abi: hubGuardianAbi, functionName: args.action, args: [ids, incident] });
  const tx = await buildSafeTx(client, args.safe, { to: args.hub, data });
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
  for (const s of p.signatures) {
    const who = await recoverSafeSigner(getAddress(p.safe), p.chainId, tx, s.signature as Hex);
    if (getAddress(who) !== getAddress(s.signer)) {
      throw new ProposalError(`signature said to be from ${s.signer} was made by ${who}`);
    }
  }
}

/** What the Safe on chain says about a proposal: who may still sign, whether it is executable. */
export async function proposalStatus(client: PublicClient, p: Proposal) {
  const state = await readSafeState(client, getAddress(p.safe));
  const owners = state.owners.map((o) => getAddress(o));
  const signed = p.signatures.map((s) => getAddress(s.signer as Address));
  const validSigners = signed.filter((s) => owners.includes(s));
  const nonce = BigInt(p.tx.nonce);
  return {
    threshold: Number(state.threshold),
    owners,
    signed: validSigners,
    foreign: signed.filter((s) => !owners.includes(s)),
    missing: owners.filter((o) => !signed.includes(o)),
    stale: state.nonce > nonce,
    future: state.nonce < nonce,
    currentNonce: state.nonce,
    executable: validSigners.length >= Number(state.threshold) && state.nonce === nonce,
  };
}

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

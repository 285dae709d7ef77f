/**
 * A pause drill on a fork (drill/fork.ts): every pause path exercised for
 * real, on a copy of the chain, without touching it.
 *
 * 1. The sentinel pauses each layer, one transaction per layer, as the
 *    daemon's circuit breaker would; each guarded path of that layer is
 *    called and must refuse with its pause error.
 * 2. Time moves past the sentinel pause's end and it is released
 *    (`releaseExpired`); the guarded paths must no longer refuse for a pause.
 * 3. The guardian Safe pauses every layer: with a pre-signed pause for the
 *    fork's Safe nonce when one is given (`guardian safe fire` on the fork),
 *    else with its owners impersonated (the first `threshold` owners approve
 *    the hash, as `approveHash` or as the sender). Every path must refuse.
 * 4. The Safe unpauses; the paths must no longer refuse for a pause.
 *
 * Each step records its block, gas, time and the refusals seen. A step that
 * fails (a revoked role, an empty balance, too few owners) is reported with
 * its decoded error and the drill goes on where it can.
 */
import {
  type Address,
  type Hex,
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeFunctionData,
  getAddress,
  http,
  parseAbi,
  parseEther,
  zeroAddress,
  zeroHash,
} from "viem";
import { revertDataOf } from "../chain/errors.js";
import { decodeRevert, describeRevert, isPausedRevert } from "../decode/revert.js";
import { untrustedText } from "../decode/untrusted-text.js";
import type { Deployment } from "../deploy/guardian.js";
import { createProposal, checkProposalSignatures, txOf, type Proposal } from "../respond/safe-proposal.js";
import { approvedHashEntry } from "../respond/safe-signatures.js";
import { readSafeState, safeAbi, safeExecArgs, type SafeSignature } from "../respond/safe.js";
import { LAYER_ID, LAYERS, type Layer } from "../types.js";

const hubAbi = parseAbi([
  "function sentinelPause(uint8[] layers, bytes32 incident)",
  "function releaseExpired(uint8[] layers)",
  "function isPaused(uint8 layer) view returns (bool)",
  "function sentinelPauseDuration() view returns (uint64)",
]);
const guardedAbi = parseAbi([
  "struct PackedUserOperation { address sender; uint256 nonce; bytes initCode; bytes callData; bytes32 accountGasLimits; uint256 preVerificationGas; bytes32 gasFees; bytes paymasterAndData; bytes signature; }",
  "function validatePaymasterUserOp(PackedUserOperation userOp, bytes32 userOpHash, uint256 maxCost) returns (bytes context, uint256 validationData)",
  "function deploy(bytes bytecode, bytes32 salt) returns (address)",
  "function redeemDelegations(bytes[] permissionContexts, bytes32[] modes, bytes[] executionCallDatas)",
]);

/** The incident reference drills write on the fork. */
export const DRILL_INCIDENT = "guardian-drill";

export interface GuardedCall {
  layer: Layer;
  /** Which contract and function, in words. */
  call: string;
  /** Refused with a pause error (GuardedPaymasterPaused, GuardedAccountFactoryPaused, EnforcedPause). */
  refused: boolean;
  /** What the call did: its decoded revert, or "succeeded". */
  result: string;
}

export interface DrillStep {
  path: "sentinel" | "safe";
  action: string;
  layers: Layer[];
  ok: boolean;
  block?: number;
  gasUsed?: number;
  /** Wall time of the step on the fork, milliseconds (measured, for the report). */
  ms: number;
  transactionHash?: Hex;
  error?: string;
  /** The guarded paths checked after the step: refusing after a pause, not after a release. */
  guarded: GuardedCall[];
}

export interface DrillReport {
  chainId: number;
  forkBlock: number;
  /** The forked block's hash: which chain the drill ran on. */
  forkBlockHash: Hex;
  startedAt: string;
  ms: number;
  ok: boolean;
  steps: DrillStep[];
}

/** A failed call or transaction in words: its decoded revert, else the node's message (untrusted text either way). */
function errorText(e: unknown): string {
  const data = revertDataOf(e);
  if (data && data !== "0x") return describeRevert(decodeRevert(data));
  return untrustedText(((e as { shortMessage?: string }).shortMessage ?? (e as Error).message ?? String(e)).split("\n")[0]!, 200);
}

export async function runDrill(forkUrl: string, d: Deployment, opts: { sentinel?: Address; presigned?: Proposal[]; now?: () => Date } = {}): Promise<DrillReport> {
  const now = opts.now ?? (() => new Date());
  const started = now();
  const t0 = Date.now();
  const transport = http(forkUrl, { retryCount: 0, timeout: 60_000 });
  const probe = createPublicClient({ transport });
  const chainId = await probe.getChainId();
  const chain = defineChain({ id: chainId, name: `fork-${chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [forkUrl] } } });
  const client = createPublicClient({ chain, transport, pollingInterval: 50 });
  const wallet = createWalletClient({ chain, transport });
  const hub = getAddress(d.guardian.hub);
  const safe = getAddress(d.guardian.safe);
  const head = await client.getBlock();
  const forkBlock = Number(head.number);
  const steps: DrillStep[] = [];

  const guarded = async (layers: Layer[]): Promise<GuardedCall[]> => {
    const out: GuardedCall[] = [];
    for (const layer of layers) {
      const calls: Array<{ call: string; to: Address; data: Hex; from?: Address }> = [];
      if (layer === "entryPoint") {
        const op = { sender: zeroAddress, nonce: 0n, initCode: "0x" as Hex, callData: "0x" as Hex, accountGasLimits: zeroHash, preVerificationGas: 0n, gasFees: zeroHash, paymasterAndData: "0x" as Hex, signature: "0x" as Hex };
        calls.push({ call: "paymaster validatePaymasterUserOp", to: d.guardian.paymaster, from: d.kit.EntryPoint, data: encodeFunctionData({ abi: guardedAbi, functionName: "validatePaymasterUserOp", args: [op, zeroHash, 0n] }) });
      } else if (layer === "accountFactory") {
        calls.push({ call: "account factory deploy", to: d.guardian.accountFactory, data: encodeFunctionData({ abi: guardedAbi, functionName: "deploy", args: ["0x", zeroHash] }) });
      } else {
        calls.push({ call: "DelegationManager redeemDelegations", to: d.kit.DelegationManager, data: encodeFunctionData({ abi: guardedAbi, functionName: "redeemDelegations", args: [[], [], []] }) });
      }
      for (const c of calls) {
        try {
          await client.call({ to: c.to, data: c.data, ...(c.from ? { account: c.from } : {}) });
          out.push({ layer, call: c.call, refused: false, result: "succeeded" });
        } catch (e) {
          const data = revertDataOf(e);
          const decoded = decodeRevert(data && data !== "0x" ? data : undefined);
          out.push({ layer, call: c.call, refused: isPausedRevert(decoded), result: data ? describeRevert(decoded) : errorText(e) });
        }
      }
    }
    return out;
  };

  /** Sends one transaction on the fork and records it as a step; `expectPaused` says what the guarded paths must do afterwards. */
  const step = async (s: { path: DrillStep["path"]; action: string; layers: Layer[]; from: Address; to: Address; data: Hex; expectPaused: boolean }) => {
    const t = Date.now();
    const out: DrillStep = { path: s.path, action: s.action, layers: s.layers, ok: false, ms: 0, guarded: [] };
    try {
      const hash = await wallet.sendTransaction({ account: s.from, to: s.to, data: s.data, chain });
      const receipt = await client.waitForTransactionReceipt({ hash });
      out.transactionHash = hash;
      out.block = Number(receipt.blockNumber);
      out.gasUsed = Number(receipt.gasUsed);
      if (receipt.status !== "success") {
        // Receipts carry no reason: replay the call on the block before.
        out.error = "reverted";
        try {
          await client.call({ account: s.from, to: s.to, data: s.data, blockNumber: receipt.blockNumber - 1n });
        } catch (e) {
          out.error = `reverted: ${errorText(e)}`;
        }
      }
    } catch (e) {
      out.error = errorText(e);
    }
    out.ms = Date.now() - t;
    out.guarded = await guarded(s.layers);
    const states = await Promise.all(s.layers.map((l) => client.readContract({ address: hub, abi: hubAbi, functionName: "isPaused", args: [LAYER_ID[l]] })));
    const stateOk = states.every((p) => p === s.expectPaused);
    const pathsOk = out.guarded.every((g) => g.refused === s.expectPaused);
    out.ok = !out.error && stateOk && pathsOk;
    if (!out.error && !stateOk) out.error = `on the fork, ${s.layers.filter((_, i) => states[i] !== s.expectPaused).join(", ")} ${s.expectPaused ? "not paused" : "still paused"}`;
    else if (!out.error && !pathsOk) out.error = `guarded paths ${s.expectPaused ? "not refusing" : "still refusing"}: ${out.guarded.filter((g) => g.refused !== s.expectPaused).map((g) => `${g.call} (${g.result})`).join(", ")}`;
    steps.push(out);
    return out;
  };

  // 1-2. The sentinel: each layer, then the release once the pause has ended.
  if (opts.sentinel) {
    const sentinel = getAddress(opts.sentinel);
    const incident = `0x${Buffer.from(DRILL_INCIDENT.padEnd(32, "\0")).toString("hex")}` as Hex;
    const paused: Layer[] = [];
    for (const layer of LAYERS) {
      const s = await step({ path: "sentinel", action: `sentinelPause ${layer}`, layers: [layer], from: sentinel, to: hub, data: encodeFunctionData({ abi: hubAbi, functionName: "sentinelPause", args: [[LAYER_ID[layer]], incident] }), expectPaused: true });
      if (s.ok) paused.push(layer);
    }
    if (paused.length) {
      const duration = await client.readContract({ address: hub, abi: hubAbi, functionName: "sentinelPauseDuration" });
      await client.request({ method: "evm_increaseTime" as never, params: [Number(duration) + 1] as never });
      await client.request({ method: "evm_mine" as never, params: [] as never });
      await step({ path: "sentinel", action: "releaseExpired (the pause ended)", layers: paused, from: sentinel, to: hub, data: encodeFunctionData({ abi: hubAbi, functionName: "releaseExpired", args: [paused.map((l) => LAYER_ID[l])] }), expectPaused: false });
    }
  } else {
    steps.push({ path: "sentinel", action: "sentinelPause", layers: [...LAYERS], ok: false, ms: 0, error: "no sentinel known (env GUARDIAN_SENTINEL_KEY, or deployment roles.sentinels)", guarded: [] });
  }

  // 3-4. The Safe: pause every layer, then unpause.
  const state = await readSafeState(client as any, safe);
  const owners = state.owners.map((o) => getAddress(o));
  const threshold = Number(state.threshold);
  const signers = owners.slice(0, threshold);
  const executor = signers[0] ?? getAddress(d.deployer);
  for (const who of new Set([executor, ...signers])) {
    if ((await client.getBalance({ address: who })) < parseEther("1")) {
      await client.request({ method: "anvil_setBalance" as never, params: [who, `0x${parseEther("10").toString(16)}`] as never });
    }
  }
  const safeStep = async (action: "pause" | "unpause") => {
    const fired = action === "pause" ? opts.presigned?.find((p) => BigInt(p.tx.nonce) === state.nonce + 0n && p.chainId === chainId) : undefined;
    let proposal: Proposal;
    let sigs: SafeSignature[];
    let how: string;
    if (fired) {
      const { valid } = await checkProposalSignatures(client as any, fired, owners);
      proposal = fired;
      sigs = valid.map((v) => ({ signer: v.owner, signature: v.signature }));
      how = `pre-signed file, nonce ${fired.tx.nonce}`;
    } else {
      proposal = await createProposal(client as any, { safe, hub, action, layers: [...LAYERS], incident: DRILL_INCIDENT });
      // The executor's own entry needs no approval (it sends the transaction); the others approve the hash on the fork.
      for (const o of signers.slice(1)) {
        const hash = await wallet.sendTransaction({ account: o, to: safe, data: encodeFunctionData({ abi: parseAbi(["function approveHash(bytes32)"]), functionName: "approveHash", args: [proposal.safeTxHash as Hex] }), chain });
        await client.waitForTransactionReceipt({ hash });
      }
      sigs = signers.map((o) => ({ signer: o, signature: approvedHashEntry(o) }));
      how = `owners ${signers.join(", ")} impersonated`;
    }
    const data = encodeFunctionData({ abi: safeAbi, functionName: "execTransaction", args: safeExecArgs(txOf(proposal), sigs) });
    return step({ path: "safe", action: `Safe ${action} all layers (${how})`, layers: [...LAYERS], from: executor, to: safe, data, expectPaused: action === "pause" });
  };
  if (threshold > 0 && owners.length >= threshold) {
    await safeStep("pause");
    const nonceAfter = await client.readContract({ address: safe, abi: safeAbi, functionName: "nonce" });
    state.nonce = nonceAfter;
    await safeStep("unpause");
  } else {
    steps.push({ path: "safe", action: "Safe pause", layers: [...LAYERS], ok: false, ms: 0, error: `the Safe has ${owners.length} owners for a threshold of ${threshold}`, guarded: [] });
  }

  return { chainId, forkBlock, forkBlockHash: head.hash!, startedAt: started.toISOString(), ms: Date.now() - t0, ok: steps.every((s) => s.ok), steps };
}

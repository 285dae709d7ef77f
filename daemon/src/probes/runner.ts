/**
 * Probes: synthetic user journeys, simulated and never sent. Users of the
 * kit never call `handleOps`: their wallet asks a bundler to estimate and
 * send a user operation, and a failing one is refused there, before anything
 * reaches the chain. A probe asks the same questions a wallet asks:
 *
 * - account creation: a counterfactual HybridDeleGator of a probe key
 *   through Guardian's factory, with a fresh salt each round, unsponsored
 *   at zero fees (nothing to pay, so only the stack can refuse it);
 * - a sponsored operation: the same with paymaster data signed by the probe
 *   sponsor key (GUARDIAN_PROBE_SPONSOR_KEY, a key Guardian's paymaster
 *   accepts) at the chain's current fees, as a wallet would send it;
 * - a delegation redemption: a probe account redeeming through the
 *   DelegationManager (self-authorized, an empty delegation chain: it
 *   exercises the DelegationManager's pause and the account's
 *   `executeFromExecutor`, not a user's caveats);
 * - the bundler itself: it answers and serves our EntryPoint.
 *
 * Each journey goes through every configured bundler
 * (`eth_estimateUserOperationGas`: the bundler simulates validation and
 * execution) and, with `simulate`, on the node: `handleOps` by `eth_call`
 * (validation: the factory's and the paymaster's guards, AA codes) and the
 * DelegationManager's `paused()` (an `eth_call` of `handleOps` cannot see an
 * execution failure). Nothing is signed that could be sent for value: the
 * probe key owns accounts that are never deployed and never funded.
 *
 * Results are facts for the pure probes detector (detectors/probes.ts).
 * Never throws: a failure is a result.
 */
import {
  concat,
  createPublicClient,
  defineChain,

  encodeAbiParameters,
  encodeFunctionData,
  keccak256,
  numberToHex,
  parseAbi,
  toHex,
  zeroAddress,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { entryPoint07Abi, toPackedUserOperation, type UserOperation } from "viem/account-abstraction";
import { generatePrivateKey, privateKeyToAccount, type LocalAccount } from "viem/accounts";
import { Implementation, contracts, toMetaMaskSmartAccount, ExecutionMode } from "@metamask/smart-accounts-kit";
import { revertDataOf, type RpcPool } from "../chain/index.js";
import type { BundlerClient, BundlerFailure } from "../bundler/client.js";
import { decodeRevert, describeRevert, type DecodedRevert } from "../decode/revert.js";
import { untrustedText } from "../decode/untrusted-text.js";
import type { ProbeJourney, ProbeResult } from "../types.js";

/** The contracts a probe needs (deployments/<chainId>.json). */
export interface ProbeDeployment {
  /** The kit's environment (the kit's own shape: its implementations and enforcers too). */
  kit: { EntryPoint: Address; DelegationManager: Address };
  guardian: { accountFactory: Address; paymaster: Address };
}

export interface ProbeRunnerOptions {
  chainId: number;
  deployment: ProbeDeployment;
  pool: Pick<RpcPool, "request" | "batch" | "transport">;
  bundlers: ReadonlyArray<{ name: string; client: BundlerClient }>;
  /** Signs the sponsored probe's paymaster data; without it the sponsored journey is not probed. */
  sponsorKey?: Hex;
  /** A probe not answered within this is "timed out". */
  timeoutMs: number;
  /** Also simulate on the node. */
  simulate: boolean;
  /** The probe accounts' owner (default: a fresh random key per runner; never funded). */
  ownerKey?: Hex;
}

type UserJourney = Exclude<ProbeJourney, "bundler">;

const paymasterHashAbi = parseAbi([
  "struct PackedUserOperation { address sender; uint256 nonce; bytes initCode; bytes callData; bytes32 accountGasLimits; uint256 preVerificationGas; bytes32 gasFees; bytes paymasterAndData; bytes signature; }",
  "function getHash(PackedUserOperation userOp, uint48 validUntil, uint48 validAfter) view returns (bytes32)",
]);
const pausableAbi = parseAbi(["function paused() view returns (bool)"]);
/** Where a node simulation's `handleOps` is sent from: an address nobody holds a key for. */
const SIMULATION_FROM: Address = "0x000000000000000000000000000000000000dEaD";

/** The error codes of a bundler refusal that say the bundler or the request is at fault, not the stack. */
const SERVICE_CODES = new Set([-32502, -32504, -32602, -32600, -32601, -32603, -32000, 0]);

export class ProbeRunner {
  private readonly owner;
  private readonly client: PublicClient;
  private round = 0;

  constructor(private readonly o: ProbeRunnerOptions) {
    this.owner = privateKeyToAccount(o.ownerKey ?? generatePrivateKey());
    this.client = poolClient(o.chainId, o.pool);
  }

  /** One round at block `at`: every journey through every bundler (and on the node). */
  async run(at: { block: number }): Promise<ProbeResult[]> {
    this.round++;
    const results: ProbeResult[] = [];
    const bundlerUp = new Set<string>();
    await Promise.all(
      this.o.bundlers.map(async (b) => {
        const r = await this.checkBundler(b);
        if (r.outcome === "ok") bundlerUp.add(b.name);
        results.push(r);
      }),
    );
    const journeys: UserJourney[] = ["account-creation", ...(this.o.sponsorKey ? (["sponsored-operation"] as const) : []), "delegation-redemption"];
    const built: Array<{ journey: UserJourney; op: UserOperation<"0.7"> }> = [];
    for (const journey of journeys) {
      let op: UserOperation<"0.7">;
      try {
        op = await this.withTimeout(this.buildOp(journey, at.block), `building the ${journey} probe`);
      } catch (error) {
        // The node did not answer what building needs: the probe could not run (a service problem, not the stack's).
        results.push({ journey, via: "node", outcome: isTimeout(error) ? "timeout" : "failed", latencyMs: 0, causeKind: "service", message: clean(error) });
        continue;
      }
      built.push({ journey, op });
      await Promise.all(this.o.bundlers.filter((b) => bundlerUp.has(b.name)).map(async (b) => results.push(await this.viaBundler(journey, op, b))));
    }
    if (this.o.simulate && built.length) results.push(...(await this.onNode(built, at.block)));
    return results;
  }

  /**
   * Every journey simulated on the node in one JSON-RPC batch (the request
   * budget: one request a round while all pass). When a call in it reverts
   * the pool refuses the whole batch: each journey is then simulated on its
   * own, so each gets its own cause.
   */
  private async onNode(built: Array<{ journey: UserJourney; op: UserOperation<"0.7"> }>, block: number): Promise<ProbeResult[]> {
    const started = performance.now();
    const tag = numberToHex(block);
    const calls = [
      { method: "eth_call", params: [{ to: this.o.deployment.kit.DelegationManager, data: encodeFunctionData({ abi: pausableAbi, functionName: "paused" }) }, tag] },
      ...built.map(({ op }) => ({ method: "eth_call", params: [this.handleOpsCall(op), tag] })),
    ];
    try {
      const [paused] = await this.withTimeout(this.o.pool.batch<Hex>(calls), "the probes' simulation");
      const latencyMs = performance.now() - started;
      const delegationPaused = typeof paused === "string" && /^0x[0-9a-fA-F]+$/.test(paused) && BigInt(paused) !== 0n;
      return built.map(({ journey }) =>
        journey === "delegation-redemption" && delegationPaused
          ? { journey, via: "node", outcome: "failed" as const, latencyMs, causeKind: "stack" as const, error: "EnforcedPause", message: "the DelegationManager is paused" }
          : { journey, via: "node", outcome: "ok" as const, latencyMs },
      );
    } catch {
      return Promise.all(built.map(({ journey, op }) => this.viaNode(journey, op, block)));
    }
  }

  /** The `eth_call` of `handleOps([op])` from an address nobody holds a key for. */
  private handleOpsCall(op: UserOperation<"0.7">) {
    const data = encodeFunctionData({ abi: entryPoint07Abi, functionName: "handleOps", args: [[toPackedUserOperation(op)], SIMULATION_FROM] });
    return { from: SIMULATION_FROM, to: this.o.deployment.kit.EntryPoint, data, gas: numberToHex(10_000_000n) };
  }

  /** The bundler answers and serves our EntryPoint (its chain is checked once it answers). */
  private async checkBundler(b: { name: string; client: BundlerClient }): Promise<ProbeResult> {
    const base = { journey: "bundler" as const, via: b.name };
    const eps = await b.client.supportedEntryPoints();
    if (!eps.ok) return { ...base, ...failure(eps.error), latencyMs: eps.latencyMs, causeKind: "service" };
    if (!eps.value.some((a) => a.toLowerCase() === this.o.deployment.kit.EntryPoint.toLowerCase()))
      return { ...base, outcome: "failed", latencyMs: eps.latencyMs, causeKind: "service", message: `does not serve EntryPoint ${this.o.deployment.kit.EntryPoint}` };
    if (this.round === 1 || this.round % 20 === 0) {
      const id = await b.client.chainId();
      if (!id.ok) return { ...base, ...failure(id.error), latencyMs: eps.latencyMs + id.latencyMs, causeKind: "service" };
      if (BigInt(id.value) !== BigInt(this.o.chainId)) return { ...base, outcome: "failed", latencyMs: eps.latencyMs, causeKind: "service", message: `serves chain ${BigInt(id.value)}, not ${this.o.chainId}` };
    }
    return { ...base, outcome: "ok", latencyMs: eps.latencyMs };
  }

  private async viaBundler(journey: UserJourney, op: UserOperation<"0.7">, b: { name: string; client: BundlerClient }): Promise<ProbeResult> {
    const r = await b.client.estimateUserOperationGas(toRpcUserOp(op), this.o.deployment.kit.EntryPoint);
    if (r.ok) return { journey, via: b.name, outcome: "ok", latencyMs: r.latencyMs };
    return { journey, via: b.name, latencyMs: r.latencyMs, ...failure(r.error) };
  }

  private async viaNode(journey: UserJourney, op: UserOperation<"0.7">, block: number): Promise<ProbeResult> {
    const started = performance.now();
    const base = { journey, via: "node" };
    const latency = () => performance.now() - started;
    try {
      const tag = numberToHex(block);
      if (journey === "delegation-redemption") {
        const paused = await this.withTimeout(
          this.o.pool.request<Hex>("eth_call", [{ to: this.o.deployment.kit.DelegationManager, data: encodeFunctionData({ abi: pausableAbi, functionName: "paused" }) }, tag]),
          "DelegationManager.paused()",
        );
        if (BigInt(paused) !== 0n) return { ...base, outcome: "failed", latencyMs: latency(), causeKind: "stack", error: "EnforcedPause", message: "the DelegationManager is paused" };
      }
      await this.withTimeout(this.o.pool.request("eth_call", [this.handleOpsCall(op), tag]), "handleOps simulation");
      return { ...base, outcome: "ok", latencyMs: latency() };
    } catch (error) {
      if (isTimeout(error)) return { ...base, outcome: "timeout", latencyMs: latency(), causeKind: "service", message: clean(error) };
      const data = revertDataOf(error);
      if (data === undefined || data.length < 10) return { ...base, outcome: "failed", latencyMs: latency(), causeKind: "service", message: clean(error) };
      return { ...base, outcome: "failed", latencyMs: latency(), causeKind: "stack", ...describeDecoded(decodeRevert(data)) };
    }
  }

  /** The probe operation of `journey` at `block`: a fresh counterfactual account, signed by the probe key. */
  private async buildOp(journey: UserJourney, block: number): Promise<UserOperation<"0.7">> {
    const d = this.o.deployment;
    const salt = keccak256(concat([toHex(journey), numberToHex(block, { size: 32 }), numberToHex(this.round, { size: 8 })]));
    const calls =
      journey === "delegation-redemption"
        ? [{ to: d.kit.DelegationManager, value: 0n, data: contracts.DelegationManager.encode.redeemDelegations({ delegations: [[]], modes: [ExecutionMode.SingleDefault], executions: [[{ target: zeroAddress, value: 0n, callData: "0x" }]] }) }]
        : [{ to: zeroAddress, value: 0n, data: "0x" as Hex }];
    const sponsored = journey === "sponsored-operation";
    return creationOp({
      client: this.client,
      chainId: this.o.chainId,
      deployment: d,
      owner: this.owner,
      salt,
      calls,
      fees: sponsored ? await walletFees(this.client) : { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n },
      ...(sponsored && this.o.sponsorKey ? { sponsorKey: this.o.sponsorKey } : {}),
    });
  }

  private withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ProbeTimeout(`${what}: no answer within ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }
}

/** Gas limits of a user operation (defaults: generous limits for a simulation). */
export interface OpGas {
  callGasLimit: bigint;
  verificationGasLimit: bigint;
  preVerificationGas: bigint;
}

/**
 * A signed user operation creating a fresh counterfactual HybridDeleGator of
 * `owner` (salt `salt`) through Guardian's factory and making `calls`;
 * sponsored by Guardian's paymaster when `sponsorKey` is given.
 */
export async function creationOp(o: {
  client: PublicClient;
  chainId: number;
  deployment: ProbeDeployment;
  owner: LocalAccount;
  salt: Hex;
  calls: Array<{ to: Address; value: bigint; data: Hex }>;
  fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };
  gas?: OpGas;
  sponsorKey?: Hex;
}): Promise<UserOperation<"0.7">> {
  const d = o.deployment;
  const kitAccount = await toMetaMaskSmartAccount({
    client: o.client as never,
    implementation: Implementation.Hybrid,
    deployParams: [o.owner.address, [], [], []],
    deploySalt: o.salt,
    signer: { account: o.owner },
    environment: { ...d.kit, SimpleFactory: d.guardian.accountFactory } as never,
  });
  // The account is counterfactual by construction (a fresh salt), so the kit need not ask the
  // node whether it is deployed (one eth_getCode per operation saved).
  const account = { ...kitAccount, isDeployed: async () => false };
  const { factory, factoryData } = (await account.getFactoryArgs()) as { factory: Address; factoryData: Hex };
  const op: UserOperation<"0.7"> = {
    sender: account.address,
    nonce: 0n,
    factory,
    factoryData,
    callData: await account.encodeCalls(o.calls),
    ...(o.gas ?? { callGasLimit: 300_000n, verificationGasLimit: 1_500_000n, preVerificationGas: 100_000n }),
    ...o.fees,
    signature: "0x",
  };
  if (o.sponsorKey) {
    const sponsor = privateKeyToAccount(o.sponsorKey);
    op.paymaster = d.guardian.paymaster;
    op.paymasterVerificationGasLimit = 200_000n;
    op.paymasterPostOpGasLimit = 100_000n;
    const window = encodeAbiParameters([{ type: "uint48" }, { type: "uint48" }], [0, 0]);
    op.paymasterData = concat([window, `0x${"00".repeat(65)}`]);
    const hash = await o.client.readContract({ address: d.guardian.paymaster, abi: paymasterHashAbi, functionName: "getHash", args: [toPackedUserOperation(op) as never, 0, 0] });
    op.paymasterData = concat([window, await sponsor.signMessage({ message: { raw: hash } })]);
  }
  op.signature = await account.signUserOperation({ ...op, chainId: o.chainId } as never);
  return op;
}

/** What a wallet would offer now: twice the base fee plus 1 gwei, or the gas price on a chain without EIP-1559. */
export async function walletFees(client: PublicClient): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
  const block = await client.getBlock({ blockTag: "latest" });
  if (block.baseFeePerGas === null || block.baseFeePerGas === undefined) {
    const price = await client.getGasPrice();
    return { maxFeePerGas: price, maxPriorityFeePerGas: price };
  }
  const tip = 1_000_000_000n;
  return { maxFeePerGas: block.baseFeePerGas * 2n + tip, maxPriorityFeePerGas: tip };
}

/** A viem client over the pool, for chain `chainId`. */
export function poolClient(chainId: number, pool: Pick<RpcPool, "transport">): PublicClient {
  const chain = defineChain({ id: chainId, name: `chain-${chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [] } } });
  return createPublicClient({ chain, transport: pool.transport() }) as PublicClient;
}

class ProbeTimeout extends Error {}
const isTimeout = (e: unknown) => e instanceof ProbeTimeout;
const clean = (e: unknown) => untrustedText(e instanceof Error ? e.message : String(e), 200);

/** A bundler failure as a probe result's outcome and cause. */
export function failure(e: BundlerFailure): Pick<ProbeResult, "outcome" | "causeKind" | "aaCode" | "error" | "message"> {
  if (e.kind === "timeout") return { outcome: "timeout", causeKind: "service", message: e.message };
  if (e.kind !== "refused") return { outcome: "failed", causeKind: "service", message: e.message };
  const stack = e.aa !== undefined || e.revert !== undefined || !SERVICE_CODES.has(e.rpcCode);
  return {
    outcome: "failed",
    causeKind: stack ? "stack" : "service",
    ...(e.aa ? { aaCode: e.aa } : {}),
    ...(e.revert ? describeDecoded(e.revert) : {}),
    message: e.message,
  };
}

/** The AA code and the innermost named error of a decoded revert. */
function describeDecoded(r: DecodedRevert): Pick<ProbeResult, "aaCode" | "error" | "message"> {
  const out: Pick<ProbeResult, "aaCode" | "error" | "message"> = { message: untrustedText(describeRevert(r), 200) };
  let cur: DecodedRevert | undefined = r;
  while (cur) {
    if (cur.kind === "failed-op") {
      if (cur.code) out.aaCode = cur.code;
      cur = cur.inner;
    } else {
      if (cur.kind === "custom") out.error = untrustedText(cur.name, 64);
      break;
    }
  }
  return out;
}

/** A v0.7 user operation as ERC-4337 RPC methods take it (quantities as hex). */
export function toRpcUserOp(op: UserOperation<"0.7">): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(op)) if (v !== undefined) out[k] = typeof v === "bigint" ? numberToHex(v) : v;
  return out;
}


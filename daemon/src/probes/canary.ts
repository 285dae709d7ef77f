/**
 * The canary (`probes.canary`, off by default): what the probes cannot see
 * because they never send — how long a real account creation takes to be
 * included. Every `everyMinutes` it creates a real smart account through the
 * first bundler, as a wallet does: a fresh counterfactual account of the
 * canary key (env GUARDIAN_CANARY_KEY, a funded EOA), estimated by the
 * bundler, sponsored by Guardian's paymaster when the probe sponsor key is
 * set (else prefunded by the canary key with what the estimate can cost),
 * then signed and sent (`eth_sendUserOperation`); the receipt is awaited by
 * `eth_getUserOperationReceipt` for at most `timeoutBlocks` blocks.
 *
 * Its result is an account-creation probe result through `canary:<bundler>`
 * with the inclusion time (ms) and blocks: the probes detector reads a slow
 * one as "slow account creation", a refused, reverted or lost one as account
 * creation failing. It costs real gas each run (README states how much).
 */
import { concat, keccak256, numberToHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { BundlerClient } from "../bundler/client.js";
import type { RpcPool } from "../chain/index.js";
import type { ProbeResult } from "../types.js";
import { creationOp, failure, poolClient, toRpcUserOp, walletFees, type ProbeDeployment } from "./runner.js";

export interface CanaryOptions {
  chainId: number;
  deployment: ProbeDeployment;
  pool: Pick<RpcPool, "request" | "transport">;
  bundler: { name: string; client: BundlerClient };
  /** The funded canary key: owns the canary accounts and pays for them. */
  key: Hex;
  /**
   * With the probe sponsor key, Guardian's paymaster sponsors the creation,
   * as it does for users: nothing is prefunded, the paymaster pays what the
   * creation costs. Without it the canary key prefunds each account.
   */
  sponsorKey?: Hex;
  /** Blocks to wait for inclusion before the creation counts as lost. */
  timeoutBlocks: number;
  /** How often to ask for the receipt (ms); a fraction of the block time. */
  pollMs: number;
}

export interface CanaryResult extends ProbeResult {
  /** What the creation cost, in wei (the operation's actualGasCost), and its gas (actualGasUsed). */
  costWei?: string;
  gasUsed?: string;
}

export class Canary {
  private readonly owner;
  private readonly client;
  private runs = 0;

  constructor(private readonly o: CanaryOptions) {
    this.owner = privateKeyToAccount(o.key);
    this.client = poolClient(o.chainId, o.pool);
  }

  /** One real account creation through the bundler. Never throws: a failure is a result. */
  async run(): Promise<CanaryResult> {
    this.runs++;
    const base = { journey: "account-creation" as const, via: `canary:${this.o.bundler.name}` };
    const started = performance.now();
    const latencyMs = () => performance.now() - started;
    try {
      const d = this.o.deployment;
      const salt = keccak256(concat([this.owner.address, numberToHex(Date.now(), { size: 8 }), numberToHex(this.runs, { size: 8 })]));
      const calls = [{ to: this.owner.address, value: 0n, data: "0x" as Hex }];
      const fees = await walletFees(this.client);
      // Estimated at zero fees: the account holds nothing yet, and its prefund is paid after the estimate.
      const sponsor = this.o.sponsorKey ? { sponsorKey: this.o.sponsorKey } : {};
      const draft = await creationOp({ client: this.client, chainId: this.o.chainId, deployment: d, owner: this.owner, salt, calls, fees: { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }, ...sponsor });
      const estimate = await this.o.bundler.client.estimateUserOperationGas(toRpcUserOp(draft), d.kit.EntryPoint);
      if (!estimate.ok) return { ...base, latencyMs: latencyMs(), ...failure(estimate.error) };
      const gas = {
        callGasLimit: BigInt(estimate.value.callGasLimit),
        verificationGasLimit: BigInt(estimate.value.verificationGasLimit),
        preVerificationGas: BigInt(estimate.value.preVerificationGas),
      };
      const op = await creationOp({ client: this.client, chainId: this.o.chainId, deployment: d, owner: this.owner, salt, calls, fees, gas, ...sponsor });
      // Unsponsored, the account pays its own way: prefund what the operation may cost at most.
      if (!this.o.sponsorKey) await this.fund(op.sender, (gas.callGasLimit + gas.verificationGasLimit + gas.preVerificationGas) * fees.maxFeePerGas);
      const sentAt = performance.now();
      const fromBlock = await this.blockNumber();
      const sent = await this.o.bundler.client.sendUserOperation(toRpcUserOp(op), d.kit.EntryPoint);
      if (!sent.ok) return { ...base, latencyMs: latencyMs(), ...failure(sent.error) };
      for (;;) {
        const r = await this.o.bundler.client.getUserOperationReceipt(sent.value);
        if (r.ok && r.value) {
          const blocks = Number(BigInt(r.value.receipt.blockNumber)) - fromBlock;
          const used = (r.value as { actualGasUsed?: unknown }).actualGasUsed;
          const cost = {
            ...(r.value.actualGasCost !== undefined ? { costWei: BigInt(r.value.actualGasCost).toString() } : {}),
            ...(typeof used === "string" && /^0x[0-9a-fA-F]{1,64}$/.test(used) ? { gasUsed: BigInt(used).toString() } : {}),
          };
          if (r.value.success) return { ...base, outcome: "ok", latencyMs: performance.now() - sentAt, blocks, ...cost };
          return { ...base, outcome: "failed", causeKind: "stack", latencyMs: performance.now() - sentAt, blocks, message: "included, but the creation reverted", ...cost };
        }
        const at = await this.blockNumber();
        if (at - fromBlock > this.o.timeoutBlocks) {
          return { ...base, outcome: "timeout", causeKind: "service", latencyMs: performance.now() - sentAt, message: `not included within ${this.o.timeoutBlocks} blocks of sending` };
        }
        await new Promise((resolve) => setTimeout(resolve, this.o.pollMs));
      }
    } catch (error) {
      return { ...base, outcome: "failed", causeKind: "service", latencyMs: latencyMs(), message: error instanceof Error ? error.message.slice(0, 200) : String(error).slice(0, 200) };
    }
  }

  private async blockNumber(): Promise<number> {
    return Number(BigInt(await this.o.pool.request<string>("eth_blockNumber", [])));
  }

  /** Sends `wei` from the canary key to `to` and waits until it is mined. */
  private async fund(to: Hex, wei: bigint): Promise<void> {
    const [nonce, fees] = await Promise.all([this.client.getTransactionCount({ address: this.owner.address, blockTag: "pending" }), walletFees(this.client)]);
    const legacy = fees.maxFeePerGas === fees.maxPriorityFeePerGas;
    const raw = await this.owner.signTransaction(
      legacy
        ? { chainId: this.o.chainId, type: "legacy", to, value: wei, nonce, gas: 21_000n, gasPrice: fees.maxFeePerGas }
        : { chainId: this.o.chainId, type: "eip1559", to, value: wei, nonce, gas: 21_000n, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas },
    );
    const hash = await this.o.pool.request<Hex>("eth_sendRawTransaction", [raw]);
    const from = await this.blockNumber();
    for (;;) {
      const receipt = await this.o.pool.request<{ status: string } | null>("eth_getTransactionReceipt", [hash]);
      if (receipt) {
        if (receipt.status !== "0x1") throw new Error(`funding the canary account reverted (tx ${hash})`);
        return;
      }
      if ((await this.blockNumber()) - from > this.o.timeoutBlocks) throw new Error(`funding the canary account was not mined within ${this.o.timeoutBlocks} blocks (tx ${hash})`);
      await new Promise((resolve) => setTimeout(resolve, this.o.pollMs));
    }
  }
}

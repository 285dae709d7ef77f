/**
 * The sentinel's routine: a heartbeat on the hub every interval (so watchers
 * can tell the pauser is alive), and the release of sentinel pauses whose
 * bound has passed (anyone may release them; the daemon does it itself so an
 * expired pause never lingers). Failures are logged and retried next tick.
 * Transactions are priced by respond/fees.ts, as the pause is: legacy on a
 * chain without a base fee, type 2 elsewhere.
 */
import { encodeFunctionData, parseAbi, type Address, type Chain, type Hex, type LocalAccount, type PublicClient } from "viem";
import { sendWithFees } from "../respond/fees.js";
import { LAYER_ID, LAYERS } from "../types.js";
import { readBatch, type BatchTransport } from "./batch-read.js";

const hubDutiesAbi = parseAbi([
  "function heartbeat()",
  "function sentinelPauseExpired(uint8 layer) view returns (bool)",
  "function releaseExpired(uint8[] layers)",
]);

export interface SentinelDutiesOptions {
  client: PublicClient;
  /** When given, the expiry checks go out as one JSON-RPC batch (else one eth_call per layer through `client`). */
  pool?: BatchTransport;
  chain: Chain;
  hub: Address;
  sentinel?: LocalAccount;
  heartbeatIntervalSeconds: number;
  /** How often expired pauses are looked for. Default 15 s. */
  releaseCheckSeconds?: number;
  dryRun: boolean;
  /** Cap of any fee field, in wei (config `pause.maxFeeGwei`). */
  maxFee?: bigint;
  /**
   * Replicas: a duty runs only while this replica leads (the sentinel key's
   * nonces are the pauses' too; a leader that woke up after losing the lease
   * must not spend one).
   */
  mayAct?: () => boolean;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export class SentinelDuties {
  private timers: NodeJS.Timeout[] = [];
  private busy: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: SentinelDutiesOptions) {}

  start() {
    if (!this.o.sentinel || this.o.dryRun) return;
    if (this.o.heartbeatIntervalSeconds > 0) {
      this.run(() => this.heartbeat());
      this.timers.push(setInterval(() => this.run(() => this.heartbeat()), this.o.heartbeatIntervalSeconds * 1000));
    }
    this.timers.push(setInterval(() => this.run(() => this.releaseExpired()), (this.o.releaseCheckSeconds ?? 15) * 1000));
  }

  async stop() {
    for (const t of this.timers) clearInterval(t);
    await this.busy;
  }

  private run(task: () => Promise<unknown>) {
    this.busy = this.busy.then(() => (this.o.mayAct && !this.o.mayAct() ? undefined : task())).catch((e) => this.o.log?.("sentinel duty failed", { err: (e as Error).message.split("\n")[0] }));
  }

  private async send(data: Hex) {
    const { client, chain, sentinel, hub, maxFee } = this.o;
    const receipt = await sendWithFees({ client, chain, account: sentinel!, to: hub, data, ...(maxFee !== undefined ? { cap: maxFee } : {}) });
    return receipt.transactionHash;
  }

  async heartbeat() {
    const hash = await this.send(encodeFunctionData({ abi: hubDutiesAbi, functionName: "heartbeat", args: [] }));
    this.o.log?.("sentinel heartbeat", { tx: hash });
  }

  /** Releases every layer whose sentinel pause has expired; returns the layers released. */
  async releaseExpired() {
    const flags = this.o.pool
      ? await readBatch(this.o.pool, "latest", LAYERS.map((l) => ({ call: { address: this.o.hub, abi: hubDutiesAbi, functionName: "sentinelPauseExpired", args: [LAYER_ID[l]] } })))
      : await Promise.all(LAYERS.map((l) => this.o.client.readContract({ address: this.o.hub, abi: hubDutiesAbi, functionName: "sentinelPauseExpired", args: [LAYER_ID[l]] })));
    const expired = LAYERS.filter((_, i) => flags[i]);
    if (!expired.length) return [];
    const hash = await this.send(encodeFunctionData({ abi: hubDutiesAbi, functionName: "releaseExpired", args: [expired.map((l) => LAYER_ID[l])] }));
    this.o.log?.("released expired sentinel pauses", { layers: expired, tx: hash });
    return expired;
  }
}

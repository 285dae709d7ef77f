/**
 * Probe rounds at run time: every `everyBlocks` committed blocks, once the
 * follower is at the head, the probe runner tries every user journey
 * (probes/runner.ts); the round is judged by the pure probes detector with
 * the layer pauses pause-changed last saw (the store's detector state), and
 * its findings go to the store like rpc-health's. One round at a time: a
 * round that outlasts its blocks (a slow bundler) delays the next, it does
 * not pile up. The probes' streaks live in memory, like RPC health: after a
 * restart the symptom is simply seen again.
 */
import type { Hex } from "viem";
import { createBundlerClient } from "../bundler/client.js";
import { ConfigError, missingBundlerUrls, type GuardianConfig } from "../config/index.js";
import { processProbes, type PipelineConfig, type PipelineState } from "../pipeline/index.js";
import { ProbeRunner, type ProbeDeployment, type ProbeRunnerOptions } from "../probes/runner.js";
import type { GuardianStore } from "../store/index.js";
import type { Finding, ProbeResult, ProbeRound } from "../types.js";

export interface ProbeRoundsOptions {
  runner: Pick<ProbeRunner, "run">;
  store: Pick<GuardianStore, "read">;
  pipeline: PipelineConfig;
  everyBlocks: number;
  raise: (findings: Finding[]) => Promise<void>;
  onResults?: (results: readonly ProbeResult[], round: ProbeRound) => void;
  clock: () => Date;
  log: (msg: string, fields?: Record<string, unknown>, level?: "info" | "warn" | "error") => void;
}

export class ProbeRounds {
  private lastBlock: number | undefined;
  private busy: Promise<void> | undefined;
  private state: PipelineState["probes"];
  private stopped = false;

  constructor(private readonly o: ProbeRoundsOptions) {}

  /** The follower committed up to block `to` (hash `hash`) with the head at `head`. */
  onCommitted(to: number, hash: Hex, head: number): void {
    if (this.stopped || this.busy) return;
    if (head - to > 1) return; // catching up: the chain of an hour ago says nothing of users now
    if (this.lastBlock !== undefined && to - this.lastBlock < this.o.everyBlocks) return;
    this.lastBlock = to;
    this.busy = this.round(to, hash)
      .catch((e) => this.o.log("probe round failed", { err: (e as Error).message }, "error"))
      .finally(() => (this.busy = undefined));
  }

  /** Waits for a round in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.busy;
  }

  private async round(block: number, blockHash: Hex): Promise<void> {
    const results = await this.o.runner.run({ block });
    const round: ProbeRound = { chainId: this.o.pipeline.chainId, block, blockHash, observedAt: this.o.clock().toISOString(), results };
    this.o.onResults?.(results, round);
    const failed = results.filter((r) => r.outcome !== "ok");
    if (failed.length) this.o.log("probes failed", { block, failed: failed.map((r) => `${r.journey} via ${r.via}: ${r.outcome}${r.aaCode ? ` ${r.aaCode}` : ""}${r.error ? ` ${r.error}` : ""}`) }, "warn");
    const stored = this.o.store.read().detectorState as { current?: PipelineState } | undefined;
    const base = stored?.current;
    if (!base) return; // no block processed yet: nothing to judge pauses against
    const result = processProbes(round, { ...base, ...(this.state ? { probes: this.state } : {}) }, this.o.pipeline);
    this.state = result.nextState.probes;
    if (result.findings.length) await this.o.raise(result.findings);
  }
}

/** The probe runner the config describes: its bundlers (URLs from env), the sponsor key, timeouts. */
export function probeRunnerFor(config: GuardianConfig, deployment: ProbeDeployment, pool: ProbeRunnerOptions["pool"], o: { simulate?: boolean } = {}): ProbeRunner {
  const missing = missingBundlerUrls(config);
  if (missing.length) throw new ConfigError(missing, config.source.file ? { file: config.source.file } : {});
  return new ProbeRunner({
    chainId: config.chainId,
    deployment,
    pool,
    bundlers: config.bundlers.map((b) => ({ name: b.name, client: createBundlerClient({ url: b.url!.reveal(), timeoutMs: config.probes.timeoutMs }) })),
    ...(config.secrets.probeSponsorKey ? { sponsorKey: config.secrets.probeSponsorKey.reveal() } : {}),
    timeoutMs: config.probes.timeoutMs,
    simulate: o.simulate ?? config.probes.simulate,
  });
}

/**
 * Probe rounds at run time: every `everyBlocks` committed blocks, once the
 * follower is at the head, the probe runner tries every user journey
 * (probes/runner.ts); the round is judged by the pure probes detector with
 * the layer pauses pause-changed last saw (the store's detector state), and
 * its findings go to the store like rpc-health's. One round at a time: a
 * round that outlasts its blocks (a slow bundler) delays the next, it does
 * not pile up. The canary, if configured, runs on its own timer and is
 * judged the same way, never interleaved with a round. The probes' streaks
 * live in memory, like RPC health: after a restart the symptom is simply
 * seen again.
 */
import type { Hex } from "viem";
import { createBundlerClient } from "../bundler/client.js";
import { ConfigError, missingBundlerUrls, type GuardianConfig } from "../config/index.js";
import { processProbes, type PipelineConfig, type PipelineState } from "../pipeline/index.js";
import { Canary, type CanaryOptions } from "../probes/canary.js";
import { ProbeRunner, type ProbeDeployment, type ProbeRunnerOptions } from "../probes/runner.js";
import type { GuardianStore } from "../store/index.js";
import type { Finding, ProbeResult, ProbeRound } from "../types.js";

export interface ProbeRoundsOptions {
  runner: Pick<ProbeRunner, "run">;
  /** The canary (a real creation) and how often it runs; judged like a round of its own. */
  canary?: { run(): Promise<ProbeResult & { costWei?: string; gasUsed?: string }>; everyMs: number };
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
  private canaryTimer: NodeJS.Timeout | undefined;
  private canaryBusy: Promise<void> | undefined;
  /** Judging is one at a time: a canary result and a round never interleave their streaks. */
  private judging: Promise<void> = Promise.resolve();

  constructor(private readonly o: ProbeRoundsOptions) {}

  /** Starts the canary's timer (rounds follow the blocks: `onCommitted`). */
  start(): void {
    const canary = this.o.canary;
    if (!canary || this.canaryTimer) return;
    this.canaryTimer = setInterval(() => {
      if (this.stopped || this.canaryBusy) return;
      this.canaryBusy = (async () => {
        const result = await canary.run();
        const tip = this.o.store.read().chain.ring.at(-1);
        if (!tip) return;
        const { costWei, gasUsed, message } = result;
        this.o.log(`canary: ${result.outcome}`, { via: result.via, blocks: result.blocks, ms: Math.round(result.latencyMs), ...(costWei ? { costWei } : {}), ...(gasUsed ? { gasUsed } : {}), ...(message ? { cause: message } : {}) }, result.outcome === "ok" ? "info" : "warn");
        await this.judge([result], tip.number, tip.hash);
      })()
        .catch((e) => this.o.log("canary failed", { err: (e as Error).message }, "error"))
        .finally(() => (this.canaryBusy = undefined));
    }, canary.everyMs);
    this.canaryTimer.unref?.();
  }

  /** The follower committed up to block `to` (hash `hash`) with the head at `head`. */
  onCommitted(to: number, hash: Hex, head: number): void {
    if (this.stopped || this.busy) return;
    // Far behind (catching up after downtime): a round now would be judged against pauses of an hour ago.
    // A few blocks behind (a busy host) still probes: users see the chain as it is now either way.
    if (head - to > Math.max(2, this.o.everyBlocks)) return;
    if (this.lastBlock !== undefined && to - this.lastBlock < this.o.everyBlocks) return;
    this.lastBlock = to;
    this.busy = this.round(to, hash)
      .catch((e) => this.o.log("probe round failed", { err: (e as Error).message }, "error"))
      .finally(() => (this.busy = undefined));
  }

  /** Waits for a round in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.canaryTimer) clearInterval(this.canaryTimer);
    await Promise.all([this.busy, this.canaryBusy]);
  }

  private async round(block: number, blockHash: Hex): Promise<void> {
    const results = await this.o.runner.run({ block });
    const failed = results.filter((r) => r.outcome !== "ok");
    if (failed.length) this.o.log("probes failed", { block, failed: failed.map((r) => `${r.journey} via ${r.via}: ${r.outcome}${r.aaCode ? ` ${r.aaCode}` : ""}${r.error ? ` ${r.error}` : ""}`) }, "warn");
    await this.judge(results, block, blockHash);
  }

  /** Judges results taken at `block` with the layer pauses pause-changed saw; stores the findings. */
  private judge(results: ProbeResult[], block: number, blockHash: Hex): Promise<void> {
    const run = async () => {
      const round: ProbeRound = { chainId: this.o.pipeline.chainId, block, blockHash, observedAt: this.o.clock().toISOString(), results };
      this.o.onResults?.(results, round);
      const stored = this.o.store.read().detectorState as { current?: PipelineState } | undefined;
      const base = stored?.current;
      if (!base) return; // no block processed yet: nothing to judge pauses against
      const result = processProbes(round, { ...base, ...(this.state ? { probes: this.state } : {}) }, this.o.pipeline);
      this.state = result.nextState.probes;
      if (result.findings.length) await this.o.raise(result.findings);
    };
    this.judging = this.judging.then(run, run);
    return this.judging;
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
    simulate: o.simulate ?? config.probes.simulate ?? config.bundlers.length === 0,
  });
}

/**
 * The canary the config asks for (`probes.canary`), through the first
 * bundler with the key in env GUARDIAN_CANARY_KEY; undefined when the config
 * asks for none. A canary asked for without its key or a bundler is refused.
 */
export function canaryFor(config: GuardianConfig, deployment: ProbeDeployment, pool: CanaryOptions["pool"]): Canary | undefined {
  const c = config.probes.canary;
  if (!c) return undefined;
  const problems = [
    ...(config.secrets.canaryKey ? [] : ["probes.canary: expected the funded canary key in env GUARDIAN_CANARY_KEY"]),
    ...(config.bundlers.length ? [] : ["probes.canary: expected a bundler in `bundlers` (the canary creates its account through the first one)"]),
    ...missingBundlerUrls(config),
  ];
  if (problems.length) throw new ConfigError(problems, config.source.file ? { file: config.source.file } : {});
  const b = config.bundlers[0]!;
  return new Canary({
    chainId: config.chainId,
    deployment,
    pool,
    bundler: { name: b.name, client: createBundlerClient({ url: b.url!.reveal(), timeoutMs: config.probes.timeoutMs }) },
    key: config.secrets.canaryKey!.reveal(),
    ...(config.secrets.probeSponsorKey ? { sponsorKey: config.secrets.probeSponsorKey.reveal() } : {}),
    timeoutBlocks: c.timeoutBlocks,
    pollMs: Math.max(100, Math.floor(config.blockTimeMs / 2)),
  });
}

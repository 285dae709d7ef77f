/**
 * Scheduled pause drills (config `drill.everyHours`): every so often the
 * daemon forks the chain on loopback and runs `guardian drill` there
 * (drill/run.ts), so a pause path that stopped working is found before an
 * incident needs it. Each report becomes metrics (`guardian_drill_*`) and,
 * through the pure drill detector, findings: a failed path opens a High
 * incident with the failing step as evidence, a later working drill resolves
 * it. The detector's state is kept in the store, like the pause-ability
 * watch's. Nothing is ever sent to the chain itself.
 */
import type { Address } from "viem";
import type { Deployment } from "../deploy/guardian.js";
import { startFork } from "../drill/fork.js";
import { runDrill, type DrillReport } from "../drill/run.js";
import { drillFindings, type DrillState } from "../detectors/drill.js";
import { readPresigned } from "../respond/presign.js";
import type { GuardianStore } from "../store/index.js";
import type { Finding } from "../types.js";

const STATE_KEY = "drill";

export interface DrillScheduleOptions {
  /** The node to fork (a secret when it carries an API key: never logged). */
  forkUrl: string;
  deployment: Deployment;
  sentinel?: Address;
  /** Pre-signed pause files the Safe step fires when one fits the fork's nonce. */
  presigned?: string[];
  everyHours: number;
  store: GuardianStore;
  raise: (findings: Finding[]) => Promise<void>;
  onReport?: (report: DrillReport) => void;
  clock: () => Date;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export class DrillSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly o: DrillScheduleOptions) {}

  /** A drill every `everyHours`; the first one an interval after start (not at boot, when the daemon is busiest). */
  start() {
    this.timer = setInterval(() => this.tick(), Math.round(this.o.everyHours * 3_600_000));
  }

  async stop() {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private tick() {
    if (this.stopped) return;
    this.running = this.running
      .then(async () => void (await this.runOnce()))
      .catch((e) => this.o.log?.("drill failed to run", { err: (e as Error).message.split("\n")[0]!.replaceAll(this.o.forkUrl, "<fork url>") }));
  }

  /** One drill now: fork, run, stop the fork; findings raised, metrics reported. */
  async runOnce(): Promise<{ report: DrillReport; findings: Finding[] }> {
    const presigned = this.o.presigned?.length ? readPresigned(this.o.presigned, this.o.deployment.guardian.safe, this.o.deployment.chainId).proposals.map((x) => x.proposal) : undefined;
    const fork = await startFork(this.o.forkUrl);
    let report: DrillReport;
    try {
      report = await runDrill(fork.url, this.o.deployment, { ...(this.o.sentinel ? { sentinel: this.o.sentinel } : {}), ...(presigned ? { presigned } : {}), now: this.o.clock });
    } finally {
      await fork.stop();
    }
    this.o.onReport?.(report);
    this.o.log?.("drill done", { ok: report.ok, forkBlock: report.forkBlock, ms: report.ms, failed: report.steps.filter((s) => !s.ok).map((s) => s.action) });
    const data = this.o.store.read();
    const state = ((data.detectorState as Record<string, unknown>)[STATE_KEY] as DrillState | undefined) ?? { failing: [] };
    const { findings, nextState } = drillFindings(report, state);
    if (JSON.stringify(nextState) !== JSON.stringify(state)) {
      await this.o.store.update((draft) => {
        (draft.detectorState as Record<string, unknown>)[STATE_KEY] = nextState;
      });
    }
    if (findings.length) await this.o.raise(findings);
    return { report, findings };
  }
}

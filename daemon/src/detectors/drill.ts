/**
 * drill: the result of a scheduled pause drill (drill/run.ts) as findings.
 * A path whose drill failed is a condition (High) that ends when a later
 * drill of that path works: `drill:sentinel`, `drill:safe`. The evidence
 * holds the failing step, its error and the fork's block. Like the
 * pause-ability findings, none names layers: a failed drill never pauses.
 */
import type { Finding } from "../types.js";

export const DRILL = "drill";

/** What the detector reads of a drill report (a subset of drill/run.ts's DrillReport). */
export interface DrillFacts {
  startedAt: string;
  forkBlock: number;
  forkBlockHash: `0x${string}`;
  steps: Array<{ path: "sentinel" | "safe"; action: string; ok: boolean; error?: string; block?: number }>;
}

export interface DrillState {
  /** Paths whose last drill failed. */
  failing: string[];
}

export function drillFindings(r: DrillFacts, state: DrillState): { findings: Finding[]; nextState: DrillState } {
  const findings: Finding[] = [];
  const failing = new Set(state.failing);
  for (const path of ["sentinel", "safe"] as const) {
    const steps = r.steps.filter((s) => s.path === path);
    if (!steps.length) continue;
    const failed = steps.find((s) => !s.ok);
    const was = failing.has(path);
    if (!!failed === was) continue;
    const title = `The ${path === "sentinel" ? "sentinel" : "guardian Safe"} pause path failed its drill`;
    if (failed) failing.add(path);
    else failing.delete(path);
    findings.push({
      detector: DRILL,
      key: `${DRILL}:${path}`,
      severity: "high",
      title,
      summary: failed
        ? `On a fork of the chain at block ${r.forkBlock}, the drill's step "${failed.action}" did not work: ${failed.error ?? "see the drill report"}. This path may not pause in an incident.`
        : `Resolved: the ${path} pause path worked in the drill at block ${r.forkBlock}.`,
      layers: [],
      contracts: [],
      evidence: { blockNumber: r.forkBlock, blockHash: r.forkBlockHash, values: { step: failed?.action ?? "all", error: failed?.error ?? "", drillAt: r.startedAt } },
      observedAt: r.startedAt,
      ...(failed ? {} : { recovered: true }),
    });
  }
  return { findings, nextState: { failing: [...failing].sort() } };
}

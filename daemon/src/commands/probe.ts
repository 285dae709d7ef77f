/**
 * `guardian probe [--json]`: the probes once, now — the on-call engineer's
 * first question, "is it us or them?". Every user journey through every
 * configured bundler and on the node (without bundlers, or with
 * `probes.simulate`); one line per
 * result (or JSON), with the decoded cause of each refusal. Exit 0 when all
 * passed, 1 when any failed or timed out, 2 on bad usage or config.
 * Nothing is sent: probes are simulations.
 */
import type { Command } from "commander";
import * as z from "zod";
import { RpcPool } from "../chain/index.js";
import { readDeployment } from "../deploy/deployments.js";
import { poolEndpoints } from "../runtime/daemon.js";
import { probeRunnerFor } from "../runtime/probe-rounds.js";
import type { ProbeResult } from "../types.js";
import { parseArgs } from "./args.js";
import type { CliContext } from "./context.js";

const probeOptions = z.object({ json: z.boolean().default(false) });

export class ProbeFailedError extends Error {
  readonly exitCode = 1;
}

export function registerProbe(program: Command, ctx: CliContext): void {
  program
    .command("probe")
    .description("run every user journey once through each bundler (and simulated on the node); nothing is sent. Exit 1 if any failed")
    .option("--json", "print the results as JSON")
    .action(async (options: Record<string, unknown>) => {
      const args = parseArgs(probeOptions, options, { json: "--json" });
      const config = ctx.config();
      const deployment = readDeployment(config.deploymentsFile);
      const pool = new RpcPool({ endpoints: poolEndpoints(config), chainId: config.chainId, timeoutMs: config.follower.requestTimeoutMs });
      await pool.init();
      // Without a bundler the node is the only way to probe.
      const runner = probeRunnerFor(config, deployment, pool, { simulate: config.probes.simulate === true || config.bundlers.length === 0 });
      const block = await pool.request<string>("eth_blockNumber", []);
      const results = await runner.run({ block: Number(BigInt(block)) });
      if (args.json) ctx.stdout(JSON.stringify({ chainId: config.chainId, block: Number(BigInt(block)), results }, null, 2) + "\n");
      else ctx.stdout(describeResults(results, config.secrets.probeSponsorKey !== undefined).join("\n") + "\n");
      const failed = results.filter((r) => r.outcome !== "ok");
      if (failed.length) throw new ProbeFailedError(`${failed.length} of ${results.length} probes failed`);
    });
}

/** One line per result: journey, via, outcome, latency, cause. */
export function describeResults(results: readonly ProbeResult[], sponsored: boolean): string[] {
  const lines = results.map((r) => {
    const cause = [r.aaCode, r.error].filter(Boolean).join(" ");
    const why = r.outcome === "ok" ? "" : `  ${r.causeKind === "service" ? "(the bundler or node, not the stack) " : ""}${cause}${cause && r.message ? ": " : ""}${r.message ?? ""}`;
    return `${r.outcome === "ok" ? "ok  " : r.outcome === "timeout" ? "TIME" : "FAIL"}  ${r.journey.padEnd(21)} via ${r.via.padEnd(12)} ${String(Math.round(r.latencyMs)).padStart(6)} ms${why}`;
  });
  if (!sponsored) lines.push("(sponsored-operation not probed: set env GUARDIAN_PROBE_SPONSOR_KEY to a key the paymaster accepts)");
  return lines;
}

/**
 * `guardian drill [--fork-url URL] [--block N] [--presigned PATH...] [--json] [--out FILE]`:
 * starts a fork of the configured chain on loopback (anvil, drill/fork.ts),
 * exercises every pause path there (drill/run.ts) and prints the blocks, gas
 * and time of each, with the guarded paths refusing. Nothing is sent to the
 * live chain. Exit 0 when every step worked, 1 otherwise.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import * as z from "zod";
import { getAddress, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { CliContext } from "./context.js";
import { ArgumentError } from "./errors.js";
import { parseArgs } from "./args.js";
import { readDeployment } from "../deploy/deployments.js";
import { startFork } from "../drill/fork.js";
import { runDrill, type DrillReport } from "../drill/run.js";
import { readPresigned } from "../respond/presign.js";

const drillSchema = z.object({
  forkUrl: z.url({ error: "expected an http(s) URL" }).optional(),
  block: z.coerce.number({ error: "expected a block number" }).int("expected a whole block number").nonnegative("expected a block number ≥ 0").optional(),
  presigned: z.array(z.string().min(1)).optional(),
  json: z.boolean().optional(),
  out: z.string().min(1).optional(),
});

class DrillFailedError extends Error {
  override name = "DrillFailedError";
  readonly exitCode = 1;
}

function render(r: DrillReport): string {
  const lines = [`drill on a fork of chain ${r.chainId} at block ${r.forkBlock} (nothing sent to the chain itself):`];
  for (const s of r.steps) {
    lines.push(
      `${s.ok ? "ok  " : "FAIL"} ${s.path.padEnd(8)} ${s.action}${s.block !== undefined ? `: block ${s.block}, ${s.gasUsed} gas, ${s.ms} ms` : ""}${s.error ? ` — ${s.error}` : ""}`,
    );
    for (const g of s.guarded) lines.push(`       ${g.layer}: ${g.call} → ${g.refused ? "refused: " : ""}${g.result}`);
  }
  lines.push(r.ok ? `every path worked (${r.ms} ms)` : "some paths did NOT work: see FAIL above");
  return lines.join("\n") + "\n";
}

export function registerDrill(program: Command, ctx: CliContext): void {
  program
    .command("drill")
    .description("pause drill on a local fork of the chain: the sentinel and the Safe pause, the guarded paths refuse, release and unpause (nothing is sent to the chain itself; exit 1 if a path failed)")
    .option("--fork-url <url>", "the node to fork (default: the config's first RPC endpoint)")
    .option("--block <n>", "fork at this block (default: the latest)")
    .option("--presigned <paths...>", "pre-signed pause files: the Safe pauses with the one for the fork's nonce (default: config safe.presigned, else impersonated owners)")
    .option("--json", "print the report as JSON")
    .option("--out <file>", "also write the JSON report to a file")
    .action(async (options: Record<string, unknown>) => {
      const args = parseArgs(drillSchema, options, { forkUrl: "--fork-url", block: "--block", presigned: "--presigned", out: "--out" });
      const config = ctx.config();
      const deployment = readDeployment(config.deploymentsFile);
      if (deployment.chainId !== config.chainId) {
        throw new ArgumentError([`deployments file ${config.deploymentsFile} is for chain ${deployment.chainId}, the config for chain ${config.chainId}`]);
      }
      const key = config.secrets.sentinelKey?.reveal() as Hex | undefined;
      const sentinel: Address | undefined = key ? privateKeyToAccount(key).address : deployment.roles.sentinels[0] ? getAddress(deployment.roles.sentinels[0]) : undefined;
      const presignedPaths = args.presigned?.length ? args.presigned.map((p) => path.resolve(ctx.cwd, p)) : [...config.safe.presigned];
      const presigned = presignedPaths.length ? readPresigned(presignedPaths, getAddress(deployment.guardian.safe), config.chainId).proposals.map((x) => x.proposal) : undefined;
      const fork = await startFork(args.forkUrl ?? config.rpc.endpoints[0]!.http, args.block !== undefined ? { blockNumber: args.block } : {});
      let report: DrillReport;
      try {
        report = await runDrill(fork.url, deployment, { ...(sentinel ? { sentinel } : {}), ...(presigned ? { presigned } : {}), now: ctx.clock });
      } finally {
        await fork.stop();
      }
      if (args.out) writeFileSync(path.resolve(ctx.cwd, args.out), JSON.stringify(report, null, 2) + "\n");
      ctx.stdout(args.json ? JSON.stringify(report, null, 2) + "\n" : render(report));
      if (!report.ok) throw new DrillFailedError("the drill found a pause path that does not work");
    });
}

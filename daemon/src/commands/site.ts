/**
 * `guardian site build`: the static status site from the published JSON
 * (default: the status.json the daemon writes into <dataDir>/public).
 */
import path from "node:path";
import { existsSync } from "node:fs";
import type { Command } from "commander";
import * as z from "zod";
import type { CliContext } from "./context.js";
import { parseArgs } from "./args.js";
import { ArgumentError } from "./errors.js";

const buildSchema = z.object({ status: z.string().min(1).optional(), out: z.string().min(1).default("site/dist"), force: z.boolean().default(false) });

export function registerSite(program: Command, ctx: CliContext): void {
  const site = program.command("site").description("the public status site");
  site
    .command("build")
    .description("build the static site from status.json")
    .option("--status <file>", "status.json to build from (default <dataDir>/public/status.json)")
    .option("--out <dir>", "output directory (replaced: must be empty, new or a previous build)", "site/dist")
    .option("--force", "replace --out even if it holds something other than a previous build")
    .action(async (options: Record<string, unknown>) => {
      const args = parseArgs(buildSchema, options, { status: "--status", out: "--out", force: "--force" });
      const statusFile = args.status ? path.resolve(ctx.cwd, args.status) : path.join(ctx.config().dataDir, "public", "status.json");
      if (!existsSync(statusFile)) {
        throw new ArgumentError([`--status: ${statusFile} does not exist (the daemon writes it while running; or pass --status FILE)`]);
      }
      const { buildSite, outDirProblem } = await import("../../../site/build.js");
      const outDir = path.resolve(ctx.cwd, args.out);
      const problem = outDirProblem(outDir, args.force);
      if (problem !== undefined) throw new ArgumentError([`--out: ${problem}${args.force ? "" : ", or pass --force to replace it"}`]);
      const result = await buildSite({ statusFile, outDir, force: args.force });
      ctx.stdout(`status site built in ${Math.round(result.durationMs)} ms: ${result.outDir}\nopen ${result.indexUrl}\n`);
    });
}

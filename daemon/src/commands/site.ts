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

const buildSchema = z.object({ status: z.string().min(1).optional(), out: z.string().min(1).default("site/dist") });

export function registerSite(program: Command, ctx: CliContext): void {
  const site = program.command("site").description("the public status site");
  site
    .command("build")
    .description("build the static site from status.json")
    .option("--status <file>", "status.json to build from (default <dataDir>/public/status.json)")
    .option("--out <dir>", "output directory", "site/dist")
    .action(async (options: Record<string, unknown>) => {
      const args = parseArgs(buildSchema, options, { status: "--status", out: "--out" });
      const statusFile = args.status ? path.resolve(ctx.cwd, args.status) : path.join(ctx.config().dataDir, "public", "status.json");
      if (!existsSync(statusFile)) {
        throw new ArgumentError([`--status: ${statusFile} does not exist (the daemon writes it while running; or pass --status FILE)`]);
      }
      const { buildSite } = await import("../../../site/build.js");
      const result = await buildSite({ statusFile, outDir: path.resolve(ctx.cwd, args.out) });
      ctx.stdout(`status site built in ${Math.round(result.durationMs)} ms: ${result.outDir}\nopen ${result.indexUrl}\n`);
    });
}

/**
 * `guardian postmortem <id> [--out FILE] [--force]` and
 * `guardian notify <id> [--format text|markdown|json] [--out FILE] [--force]`.
 *
 * Both read the store file directly (no lock: writes replace it atomically,
 * as for `incident show`), render (paperwork/), and print to stdout or write
 * FILE. A FILE that exists is not overwritten without --force: a post-mortem
 * draft is edited by people, and a second run must not erase their work.
 * `notify` renders from `toPublic(incident)` only.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import * as z from "zod";
import { IncidentNotFoundError, isDisclosed, toPublic } from "../incidents/index.js";
import { NOTICE_FORMATS, renderPostmortem, renderPublicNotice } from "../paperwork/index.js";
import { findStoredIncident, findingsOfIncident } from "../store/index.js";
import { findInDataDir, withStoreView } from "./incident.js";
import { parseArgs } from "./args.js";
import type { CliContext } from "./context.js";
import { ArgumentError } from "./errors.js";

const idArg = z
  .string()
  .regex(/^[0-9a-fA-F-]{4,36}$/, { error: "expected an incident id (a UUID, or a unique prefix of at least 4 characters)" });
const outArg = z.string().trim().min(1, { error: "expected a file path" });

export const postmortemArgsSchema = z.object({ id: idArg, out: outArg.optional(), force: z.boolean().default(false) });
export type PostmortemArgs = z.output<typeof postmortemArgsSchema>;
const postmortemNames = { id: "<id>", out: "--out", force: "--force" };

export const notifyArgsSchema = z.object({
  id: idArg,
  format: z.enum(NOTICE_FORMATS).default("text"),
  out: outArg.optional(),
  force: z.boolean().default(false),
});
export type NotifyArgs = z.output<typeof notifyArgsSchema>;
const notifyNames = { id: "<id>", format: "--format", out: "--out", force: "--force" };

export function registerPaperwork(program: Command, ctx: CliContext): void {
  program
    .command("postmortem")
    .description("write a post-incident review draft (markdown) prefilled from the incident's record and evidence")
    .argument("<id>", "incident id or a unique prefix")
    .option("--out <file>", "write to this file instead of stdout")
    .option("--force", "overwrite --out if it exists")
    .action((id: string, options: Record<string, unknown>) => postmortemCommand(ctx, { id, ...options }));

  program
    .command("notify")
    .description("render the public notification of an incident (public fields only)")
    .argument("<id>", "incident id or a unique prefix")
    .option("--format <format>", NOTICE_FORMATS.join(" | "))
    .option("--out <file>", "write to this file instead of stdout")
    .option("--force", "overwrite --out if it exists")
    .action((id: string, options: Record<string, unknown>) => notifyCommand(ctx, { id, ...options }));
}

export async function postmortemCommand(ctx: CliContext, raw: unknown): Promise<void> {
  const args = parseArgs(postmortemArgsSchema, raw, postmortemNames);
  const config = ctx.config();
  const { incident, findings } = await withStoreView(config, async (view) => {
    if (view === undefined) throw new IncidentNotFoundError(args.id);
    const { incident } = await findStoredIncident(view.read().incidents, view.history, args.id);
    return { incident, findings: await findingsOfIncident(view, incident, ctx.clock()) };
  });
  const markdown = renderPostmortem(incident, { now: ctx.clock(), findings, chainId: config.chainId, sla: config.sla });
  await emit(ctx, markdown, args);
}

export async function notifyCommand(ctx: CliContext, raw: unknown): Promise<void> {
  const args = parseArgs(notifyArgsSchema, raw, notifyNames);
  const config = ctx.config();
  const incident = await findInDataDir(config, args.id);
  if (!isDisclosed(incident))
    throw new ArgumentError([
      `<id>: incident ${incident.id} is a security incident whose disclosure has not been approved: a Security Lead or CTO approves it first (guardian incident publish ${incident.id} --by NAME)`,
    ]);
  await emit(ctx, renderPublicNotice(toPublic(incident), { now: ctx.clock(), format: args.format }), args);
}

/** Prints `text`, or writes it to `--out` (relative to cwd) and prints the path. */
async function emit(ctx: CliContext, text: string, args: { out?: string | undefined; force: boolean }): Promise<void> {
  if (args.out === undefined) {
    ctx.stdout(text);
    return;
  }
  const file = path.resolve(ctx.cwd, args.out);
  await mkdir(path.dirname(file), { recursive: true });
  try {
    await writeFile(file, text, { encoding: "utf8", flag: args.force ? "w" : "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST")
      throw new ArgumentError([`--out: ${file} already exists (add --force to overwrite it)`]);
    throw error;
  }
  ctx.stdout(`${file}\n`);
}

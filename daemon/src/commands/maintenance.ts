/**
 * `guardian maintenance schedule|start|complete|list`: announced maintenance
 * windows, published on the status page (Statuspage's scheduled
 * maintenances; components "under maintenance" while one is in progress).
 * Everything typed here is public, so it is refused if it holds control, bidi
 * or zero-width characters. The running daemon picks changes up at its next
 * publication.
 */
import { userInfo } from "node:os";
import type { Command } from "commander";
import * as z from "zod";
import { operatorText } from "../admin/protocol.js";
import { updateMaintenances, readMaintenances } from "../maintenance/file.js";
import { MAINTENANCE_COMPONENTS, MaintenanceError, scheduleMaintenance, transitionMaintenance, type Maintenance, type MaintenanceState } from "../maintenance/model.js";
import { parseArgs } from "./args.js";
import type { CliContext } from "./context.js";
import { ArgumentError } from "./errors.js";

/** An ISO-8601 time with its zone (Z or ±hh:mm): a maintenance window is announced to people everywhere. */
const time = z
  .string()
  .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/, { error: "expected an ISO-8601 time with its zone, e.g. 2026-12-07T10:00Z" })
  .transform((v) => new Date(v))
  .refine((d) => !Number.isNaN(d.getTime()), { error: "expected a real date and time" });
const person = operatorText(z.string().trim().min(1).max(100));
const message = operatorText(z.string().trim().min(1).max(2000), { lines: true });
const idArg = z.string().regex(/^[0-9a-fA-F-]{4,36}$/, { error: "expected a maintenance id (a UUID, or a unique prefix of at least 4 characters)" });

export const scheduleArgsSchema = z.object({
  components: z.array(z.enum(MAINTENANCE_COMPONENTS)).min(1, { error: "expected at least one component" }),
  from: time,
  until: time,
  title: operatorText(z.string().trim().min(1).max(200)),
  message: message.optional(),
  by: person.optional(),
  json: z.boolean().default(false),
});
const scheduleNames = { components: "--components", from: "--from", until: "--until", title: "--title", message: "--message", by: "--by", json: "--json" };

const moveArgsSchema = z.object({ id: idArg, message: message.optional(), by: person.optional(), json: z.boolean().default(false) });
const moveNames = { id: "<id>", message: "--message", by: "--by", json: "--json" };

export function registerMaintenance(program: Command, ctx: CliContext): void {
  const m = program.command("maintenance").description("announce, start and complete scheduled maintenance (public)");
  m.command("schedule")
    .description("announce a maintenance window; prints its id")
    .option("--components <component...>", `affected components (${MAINTENANCE_COMPONENTS.join(", ")})`)
    .option("--from <time>", "start of the window, ISO-8601 with zone (e.g. 2026-12-07T10:00Z)")
    .option("--until <time>", "end of the window, ISO-8601 with zone")
    .option("--title <text>", "public title")
    .option("--message <text>", "public announcement")
    .option("--by <name>", "who schedules it; default the OS user")
    .option("--json", "print the maintenance as JSON")
    .action((options: Record<string, unknown>) => scheduleCommand(ctx, options));
  for (const [name, to, what] of [
    ["start", "in_progress", "the work begins: its components show as under maintenance"],
    ["verify", "verifying", "the work is done and being verified"],
    ["complete", "completed", "the work is over"],
  ] as const) {
    m.command(name)
      .description(what)
      .argument("<id>", "maintenance id or a unique prefix")
      .option("--message <text>", "public update")
      .option("--by <name>", "who; default the OS user")
      .option("--json", "print the maintenance as JSON")
      .action((id: string, options: Record<string, unknown>) => moveCommand(ctx, to, { id, ...options }));
  }
  m.command("list")
    .description("every maintenance, latest window first")
    .option("--json", "print JSON")
    .action((options: Record<string, unknown>) => listCommand(ctx, options));
}

export async function scheduleCommand(ctx: CliContext, raw: unknown): Promise<void> {
  const args = parseArgs(scheduleArgsSchema, raw, scheduleNames);
  if (args.until.getTime() <= args.from.getTime()) throw new ArgumentError(["--until: expected a time after --from"]);
  const config = ctx.config();
  const maintenance = await updateMaintenances(
    config.dataDir,
    (list) => {
      const m = scheduleMaintenance({
        title: args.title,
        components: args.components,
        from: args.from,
        until: args.until,
        by: args.by ?? currentUser(),
        now: ctx.clock(),
        ...(args.message !== undefined ? { message: args.message } : {}),
      });
      const existing = list.find((x) => x.id === m.id);
      if (existing) return existing;
      list.push(m);
      return m;
    },
    { lockWaitMs: ctx.lockWaitMs ?? 3000 },
  );
  ctx.stdout(args.json ? `${JSON.stringify(maintenance, null, 2)}\n` : `${maintenance.id}\n`);
}

async function moveCommand(ctx: CliContext, to: MaintenanceState, raw: unknown): Promise<void> {
  const args = parseArgs(moveArgsSchema, raw, moveNames);
  const config = ctx.config();
  const maintenance = await updateMaintenances(
    config.dataDir,
    (list) => {
      const i = findIndex(list, args.id);
      const next = transitionMaintenance(list[i]!, to, { now: ctx.clock(), by: args.by ?? currentUser(), ...(args.message !== undefined ? { message: args.message } : {}) });
      list[i] = next;
      return next;
    },
    { lockWaitMs: ctx.lockWaitMs ?? 3000 },
  ).catch((error: unknown) => {
    if (error instanceof MaintenanceError) throw new ArgumentError([`<id>: ${error.message}`]);
    throw error;
  });
  ctx.stdout(args.json ? `${JSON.stringify(maintenance, null, 2)}\n` : `maintenance ${maintenance.id}: ${maintenance.status.replace("_", " ")}\n`);
}

async function listCommand(ctx: CliContext, raw: unknown): Promise<void> {
  const args = parseArgs(z.object({ json: z.boolean().default(false) }), raw, { json: "--json" });
  const list = readMaintenances(ctx.config().dataDir).sort((a, b) => b.scheduledFor.localeCompare(a.scheduledFor));
  if (args.json) {
    ctx.stdout(`${JSON.stringify(list, null, 2)}\n`);
    return;
  }
  const utc = (iso: string) => `${iso.slice(0, 16).replace("T", " ")}Z`;
  const rows = list.map((m) => `${m.id.slice(0, 8)}  ${m.status.padEnd(11)}  ${utc(m.scheduledFor)}  ${utc(m.scheduledUntil)}  ${m.components.join(",").padEnd(30)}  ${m.title}`);
  ctx.stdout(`${["ID        STATUS       FROM (UTC)         UNTIL (UTC)        COMPONENTS                      TITLE", ...rows].join("\n")}\n`);
}

function findIndex(list: readonly Maintenance[], idOrPrefix: string): number {
  const lower = idOrPrefix.toLowerCase();
  const matches = list.map((m, i) => [m, i] as const).filter(([m]) => m.id === lower || m.id.startsWith(lower));
  if (matches.length === 0) throw new ArgumentError([`<id>: no maintenance with id ${idOrPrefix} (see \`guardian maintenance list\`)`]);
  if (matches.length > 1) throw new ArgumentError([`<id>: ${idOrPrefix} matches ${matches.length} maintenances: give more characters`]);
  return matches[0]![1];
}

function currentUser(): string {
  try {
    return userInfo().username || "operator";
  } catch {
    return "operator";
  }
}

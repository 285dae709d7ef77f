/**
 * `guardian`: sets up the command parser and maps errors to exit codes. The
 * only module that calls process.exit; every command throws to the one catch
 * in `main`.
 *
 * Exit codes: 0 success; 2 usage (bad arguments or options, invalid config,
 * unknown incident, refused state transition); 1 anything else (store
 * locked or corrupt, daemon unreachable, chain errors).
 */
import { pathToFileURL } from "node:url";
import { Command, CommanderError } from "commander";
import * as z from "zod";
import { AdminRequestError } from "./admin/client.js";
import { ConfigError, loadConfig, readProcessEnv, redactUrls, type GuardianConfig } from "./config/index.js";
import { terminalSafe } from "./decode/untrusted-text.js";
import { AmbiguousIncidentIdError, IncidentNotFoundError, InvalidDisclosureError, InvalidTransitionError } from "./incidents/index.js";
import { ArgumentError } from "./commands/errors.js";
import type { CliContext, CliIo } from "./commands/context.js";
import { parseArgs } from "./commands/args.js";
import { registerIncident } from "./commands/incident.js";
import { registerRun } from "./commands/run.js";
import { registerDeploy } from "./commands/deploy.js";
import { registerSafe } from "./commands/safe.js";
import { registerSite } from "./commands/site.js";
import { registerPaperwork } from "./commands/paperwork.js";
import { registerProbe } from "./commands/probe.js";
import { registerReadiness } from "./commands/readiness.js";
import { registerDrill } from "./commands/drill.js";
import { registerMaintenance } from "./commands/maintenance.js";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const globalOptionsSchema = z.object({
  config: z.string().min(1).optional(),
  dataDir: z.string().min(1).optional(),
});

/** The parser with every command registered; output goes through `ctx`. */
export function createProgram(ctx: CliContext): Command {
  const program = new Command("guardian")
    .description("Guardian: monitoring, incidents and circuit breaker for an ERC-4337 smart-account stack")
    .option("--config <file>", "config file (JSON); default env GUARDIAN_CONFIG, else the local preset")
    .option("--data-dir <dir>", "data directory; overrides env GUARDIAN_DATA_DIR and the config file")
    .exitOverride()
    .showHelpAfterError("(add --help for usage)")
    .configureOutput({ writeOut: (text) => ctx.stdout(text), writeErr: (text) => ctx.stderr(text) });
  registerIncident(program, ctx);
  registerRun(program, ctx);
  registerDeploy(program, ctx);
  registerSafe(program, ctx);
  registerSite(program, ctx);
  registerPaperwork(program, ctx);
  registerProbe(program, ctx);
  registerReadiness(program, ctx);
  registerDrill(program, ctx);
  registerMaintenance(program, ctx);
  return program;
}

/**
 * Runs the CLI on `argv` (the user's arguments, without node and script) and
 * returns the exit code. Never exits the process.
 *
 * @example
 * const code = await main(["incident", "list", "--json"], { env: {}, cwd: dir });
 */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  let program: Command | undefined;
  let config: GuardianConfig | undefined;
  const out = io.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = io.stderr ?? ((text: string) => void process.stderr.write(text));
  const base: CliIo = {
    // The last wall: nothing printed carries a control character (chain text is cleaned at decode and at format time too).
    stdout: (text) => out(terminalSafe(text)),
    stderr: (text) => err(terminalSafe(text)),
    env: io.env ?? {},
    cwd: io.cwd ?? process.cwd(),
    clock: io.clock ?? (() => new Date()),
    ...(io.lockWaitMs !== undefined ? { lockWaitMs: io.lockWaitMs } : {}),
  };
  const ctx: CliContext = {
    ...base,
    config() {
      if (config) return config;
      const globals = parseArgs(globalOptionsSchema, program?.opts() ?? {}, { config: "--config", dataDir: "--data-dir" });
      config = loadConfig({
        env: base.env,
        cwd: base.cwd,
        ...(globals.config !== undefined ? { file: globals.config } : {}),
        ...(globals.dataDir !== undefined ? { overrides: { dataDir: globals.dataDir } } : {}),
      });
      return config;
    },
  };
  program = createProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return EXIT_OK;
  } catch (error) {
    return report(error, ctx);
  }
}

/**
 * Prints the error (once) and picks the exit code. URLs are printed as
 * scheme://host:port only (`redactUrls`): viem's errors, for one, carry the
 * whole RPC URL, and its path or query may hold an API key.
 */
function report(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help).
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT_OK;
    return EXIT_USAGE;
  }
  if (
    error instanceof ArgumentError ||
    error instanceof ConfigError ||
    error instanceof InvalidTransitionError ||
    error instanceof InvalidDisclosureError ||
    error instanceof IncidentNotFoundError ||
    error instanceof AmbiguousIncidentIdError
  ) {
    io.stderr(`error: ${redactUrls(error.message)}\n`);
    return EXIT_USAGE;
  }
  if (error instanceof AdminRequestError) {
    io.stderr(`error: ${redactUrls(error.message)}\n`);
    return error.status === 400 || error.status === 404 || error.status === 409 ? EXIT_USAGE : EXIT_FAILURE;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`error: ${redactUrls(message)}\n`);
  if (io.env.GUARDIAN_DEBUG && error instanceof Error && error.stack) io.stderr(`${redactUrls(error.stack)}\n`);
  // Commands of other modules may carry their own exit code (e.g. DeployUsageError: 2).
  const code = (error as { exitCode?: unknown } | null)?.exitCode;
  return code === EXIT_USAGE ? EXIT_USAGE : EXIT_FAILURE;
}

/** The process entry (bin/guardian.mjs): runs `main`, flushes output, exits. */
export async function cliEntry(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  const code = await main(argv, {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: readProcessEnv(),
    cwd: process.cwd(),
  });
  // Pipes are asynchronous: wait until what was written has been handed to the OS.
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write("", () => resolve()))));
  process.exit(code);
}

// `tsx daemon/src/cli.ts ...` runs it directly.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await cliEntry();

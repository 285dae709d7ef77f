/**
 * `guardian run [--config FILE]`: the daemon. Runs until SIGINT or SIGTERM,
 * then stops cleanly (finishes the block being committed, waits for a pause
 * being sent, releases the store lock).
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import * as z from "zod";
import type { CliContext } from "./context.js";
import { parseArgs } from "./args.js";
import { ArgumentError } from "./errors.js";

const runSchema = z.object({
  dryRun: z.boolean().optional(),
  publishInterval: z.coerce.number().int().min(1, "expected whole seconds ≥ 1").default(30),
  siteOut: z.string().min(1).optional(),
  startBlock: z.coerce.number().int().min(0, "expected a block number").optional(),
  heartbeatInterval: z.coerce.number().int().min(0, "expected whole seconds (0 = off)").default(600),
  recordProcessed: z.boolean().optional(),
});

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command("run")
    .description("run the daemon: follow the chain, detect, open incidents, pause, publish status")
    .option("--dry-run", "send nothing on chain; the circuit breaker records what it would send")
    .option("--publish-interval <seconds>", "seconds between status publications", "30")
    .option("--site-out <dir>", "rebuild the static status site into this directory at every publication")
    .option("--start-block <n>", "with an empty store, start here (default: the deployment's block)")
    .option("--heartbeat-interval <seconds>", "seconds between sentinel heartbeats (0 = off)", "600")
    .option("--record-processed", "keep every processed block in the store (for audits and tests)")
    .action(async (options: Record<string, unknown>) => {
      const args = parseArgs(runSchema, options, {
        publishInterval: "--publish-interval",
        siteOut: "--site-out",
        startBlock: "--start-block",
        heartbeatInterval: "--heartbeat-interval",
      });
      const config = ctx.config();
      const siteOut = args.siteOut ? path.resolve(ctx.cwd, args.siteOut) : undefined;
      if (siteOut !== undefined) {
        // Every publication replaces the directory: refuse one that holds anything else, before starting.
        const { outDirProblem } = await import("../../../site/build.js");
        const problem = outDirProblem(siteOut);
        if (problem !== undefined)
          throw new ArgumentError([`--site-out: ${problem}, or take it over once with \`guardian site build --out ${siteOut} --force\``]);
      }
      // Signals are caught before anything starts: a SIGTERM or Ctrl-C during
      // start-up still stops the daemon cleanly once it is up.
      let stopRequested = false;
      let wake: (() => void) | undefined;
      const onSignal = () => {
        stopRequested = true;
        wake?.();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        const onPublished = siteOut
          ? async (statusFile: string) => {
              const { buildSite } = await import("../../../site/build.js");
              await buildSite({ statusFile, outDir: siteOut });
            }
          : undefined;
        const daemonOptions = {
          config,
          ...(args.dryRun ? { dryRun: true } : {}),
          publishIntervalSeconds: args.publishInterval,
          heartbeatIntervalSeconds: args.heartbeatInterval,
          ...(args.startBlock !== undefined ? { startBlock: args.startBlock } : {}),
          ...(args.recordProcessed ? { recordProcessed: true } : {}),
          ...(onPublished ? { onPublished } : {}),
        };
        const waitForStop = async (done: Promise<void>) => {
          if (!stopRequested)
            await new Promise<void>((resolve) => {
              wake = resolve;
              void done.then(() => resolve());
            });
        };
        if (config.store.kind === "postgres") {
          // Replicas: one shared store; this process leads under the lease or stands by.
          const [{ startReplica, replicaHolder, leaseTiming }, { openSharedStore }, { default: pino }, { redactLogFields }] = await Promise.all([
            import("../runtime/replica.js"),
            import("../store/open.js"),
            import("pino"),
            import("../config/redact.js"),
          ]);
          const logger = pino({ name: "guardian", base: { pid: process.pid }, formatters: { log: redactLogFields } }, pino.destination(2));
          // The data directory holds this replica's admin.json and status files; with the embedded store the store
          // creates it, here nothing else would (a leader that cannot publish its admin endpoint steps down at once).
          await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
          const store = await openSharedStore(config, {
            purpose: "daemon",
            lease: { holder: replicaHolder(), ttlMs: leaseTiming(config.blockTimeMs, config.store.leaseMs).ttlMs },
            ...(args.recordProcessed ? { recordProcessed: true } : {}),
            logger: { warn: (details, message) => logger.warn(details, message) },
          });
          const { RequestQueue } = await import("../store/postgres/index.js");
          const requests = new RequestQueue(config.secrets.databaseUrl!.reveal(), config.store.schema, "daemon requests");
          try {
            const replica = await startReplica({ ...daemonOptions, store, logger, requests });
            ctx.stdout(`guardian: replica ${replica.holder} on chain ${config.chainId} (PostgreSQL store, lease ${store.lease.ttlMs} ms); metrics http://${replica.observability.host}:${replica.observability.port}/metrics\n`);
            await waitForStop(replica.done);
            await replica.stop();
          } finally {
            await requests.close();
            await store.close();
          }
          return;
        }
        const { startDaemon } = await import("../runtime/daemon.js");
        const daemon = await startDaemon(daemonOptions);
        ctx.stdout(`guardian: following chain ${config.chainId}; admin ${daemon.admin.url}; metrics http://${daemon.observability.host}:${daemon.observability.port}/metrics\n`);
        await waitForStop(daemon.done);
        await daemon.stop();
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}

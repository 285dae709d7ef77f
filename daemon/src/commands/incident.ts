/**
 * `guardian incident trigger|update|ack|publish|list|show`.
 *
 * Writes go to the running daemon's admin endpoint when a daemon holds the
 * data directory (its lock is held by a live process that published
 * admin.json); otherwise the command takes the store lock itself. Reads
 * (list, show) read the store file directly: it is replaced atomically.
 * Arguments are checked before anything is read or written.
 */
import { userInfo } from "node:os";
import type { Command } from "commander";
import { getAddress } from "viem";
import * as z from "zod";
import { createAdminClient } from "../admin/client.js";
import { createStoreIncidentService } from "../admin/operations.js";
import { operatorText, type IncidentService } from "../admin/protocol.js";
import {
  ADMIN_TOKEN_ENV,
  addressProblem,
  canonicalDeploymentName,
  DEPLOYMENT_NAMES,
  disclosureApprovers,
  LAYERS_OF,
  loadDeployments,
  type GuardianConfig,
} from "../config/index.js";
import { IncidentNotFoundError, isOpen } from "../incidents/index.js";
import { findRunningDaemon, findStoredIncident, incidentsWithHistory, openLowdbStore, readAdminToken, readStoreSnapshot, readStoreView, type StoreView } from "../store/index.js";
import { INCIDENT_STATES, LAYERS, SEVERITIES, type Address, type Incident, type Layer } from "../types.js";
import { parseArgs } from "./args.js";
import type { CliContext } from "./context.js";
import { ArgumentError } from "./errors.js";
import { formatIncident, formatIncidentList } from "./format.js";

/** How long a CLI write waits for another CLI write's lock before giving up. */
const CLI_LOCK_WAIT_MS = 3_000;

const idArg = z
  .string()
  .regex(/^[0-9a-fA-F-]{4,36}$/, { error: "expected an incident id (a UUID, or a unique prefix of at least 4 characters)" });
const person = operatorText(z.string().trim().min(1).max(100));
const message = operatorText(z.string().trim().min(1).max(2000), { lines: true });

export const triggerArgsSchema = z.object({
  contract: z.string().trim().min(1, { error: "expected an address or a deployment name" }),
  severity: z.enum(SEVERITIES),
  title: operatorText(z.string().trim().min(1).max(200)).optional(),
  layer: z.array(z.enum(LAYERS)).optional(),
  message: message.optional(),
  by: person.optional(),
  json: z.boolean().default(false),
});
export type TriggerArgs = z.output<typeof triggerArgsSchema>;
const triggerNames = { contract: "<contract>", severity: "--severity", title: "--title", layer: "--layer", message: "--message", by: "--by", json: "--json" };

export const updateArgsSchema = z.object({
  id: idArg,
  state: z.enum(INCIDENT_STATES),
  message: message.optional(),
  private: z.boolean().default(false),
  by: person.optional(),
  json: z.boolean().default(false),
});
export type UpdateArgs = z.output<typeof updateArgsSchema>;
const updateNames = { id: "<id>", state: "--state", message: "--message", private: "--private", by: "--by", json: "--json" };

export const ackArgsSchema = z.object({ id: idArg, by: person.optional(), json: z.boolean().default(false) });
export type AckArgs = z.output<typeof ackArgsSchema>;
const ackNames = { id: "<id>", by: "--by", json: "--json" };

export const publishArgsSchema = z.object({ id: idArg, by: person, message: message.optional(), json: z.boolean().default(false) });
export type PublishArgs = z.output<typeof publishArgsSchema>;
const publishNames = { id: "<id>", by: "--by", message: "--message", json: "--json" };

export const listArgsSchema = z.object({
  json: z.boolean().default(false),
  open: z.boolean().default(false),
  limit: z.coerce.number().int().min(1, "expected a number of incidents ≥ 1").default(100),
});
export type ListArgs = z.output<typeof listArgsSchema>;

export const showArgsSchema = z.object({ id: idArg, json: z.boolean().default(false) });
export type ShowArgs = z.output<typeof showArgsSchema>;

export function registerIncident(program: Command, ctx: CliContext): void {
  const incident = program.command("incident").description("trigger, update, acknowledge and inspect incidents");

  incident
    .command("trigger")
    .description("open an incident by hand; prints its id")
    .argument("<contract>", `an address or a deployment name (${DEPLOYMENT_NAMES.join(", ")}; alias factory)`)
    .option("--severity <level>", `one of ${SEVERITIES.join(", ")}`)
    .option("--title <text>", "short title (public); default derived from the contract")
    .option("--layer <layer...>", `affected layers (${LAYERS.join(", ")}); default those of the contract`)
    .option("--message <text>", "public opening message; default the title")
    .option("--by <name>", "who triggers it; default the OS user")
    .option("--json", "print the incident as JSON")
    .action((contract: string, options: Record<string, unknown>) => triggerCommand(ctx, { contract, ...options }));

  incident
    .command("update")
    .description("move an incident to another state")
    .argument("<id>", "incident id or a unique prefix")
    .option("--state <state>", INCIDENT_STATES.join(" | "))
    .option("--message <text>", "the update's message (public unless --private)")
    .option("--private", "keep this update off the status page")
    .option("--by <name>", "who makes the change; default the OS user")
    .option("--json", "print the incident as JSON")
    .action((id: string, options: Record<string, unknown>) => updateCommand(ctx, { id, ...options }));

  incident
    .command("ack")
    .description("acknowledge an incident (stops its escalation)")
    .argument("<id>", "incident id or a unique prefix")
    .option("--by <name>", "who acknowledges; default the OS user")
    .option("--json", "print the incident as JSON")
    .action((id: string, options: Record<string, unknown>) => ackCommand(ctx, { id, ...options }));

  incident
    .command("publish")
    .description("approve the public disclosure of a security incident (Security Lead or CTO only, as configured in roles)")
    .argument("<id>", "incident id or a unique prefix")
    .requiredOption("--by <name>", "the approver: a configured Security Lead or CTO (or backup)")
    .option("--message <text>", "a public statement published with it")
    .option("--json", "print the incident as JSON")
    .action((id: string, options: Record<string, unknown>) => publishCommand(ctx, { id, ...options }));

  incident
    .command("list")
    .description("list incidents, newest first")
    .option("--open", "only open incidents (detected, responding, contained)")
    .option("--limit <n>", "at most this many, newest first (closed incidents come from history)", "100")
    .option("--json", "print JSON")
    .action((options: Record<string, unknown>) => listCommand(ctx, options));

  incident
    .command("show")
    .description("an incident with its timeline (UTC)")
    .argument("<id>", "incident id or a unique prefix")
    .option("--json", "print JSON")
    .action((id: string, options: Record<string, unknown>) => showCommand(ctx, { id, ...options }));
}

export async function triggerCommand(ctx: CliContext, raw: unknown): Promise<void> {
  const args = parseArgs(triggerArgsSchema, raw, triggerNames);
  const config = ctx.config();
  const target = resolveContract(args.contract, config);
  const title = args.title ?? `Manual report: ${target.name ?? target.address}`;
  const incident = await withIncidentService(ctx, config, "cli incident trigger", (service) =>
    service.trigger({
      title,
      severity: args.severity,
      layers: args.layer ?? target.layers,
      contracts: [target.address],
      by: args.by ?? currentUser(),
      ...(args.message !== undefined ? { message: args.message } : {}),
    }),
  );
  ctx.stdout(args.json ? `${JSON.stringify(incident, null, 2)}\n` : `${incident.id}\n`);
}

export async function updateCommand(ctx: CliContext, raw: unknown): Promise<void> {
  const args = parseArgs(updateArgsSchema, raw, updateNames);
  const config = ctx.config();
  const id = await existingIncidentId(config, args.id);
  const incident = await withIncidentService(ctx, config, "cli incident update", (service) =>
    service.update(id, {
      state: args.state,
      by: args.by ?? currentUser(),
      ...(args.message !== undefined ? { message: args.message } : {}),
      ...(args.private ? { private: true } : {}),
    }),
  );
  ctx.stdout(args.json ? `${JSON.stringify(incident, null, 2)}\n` : `incident ${incident.id}: ${incident.state} (public: ${incident.publicStatus})\n`);
}

export async function ackCommand(ctx: CliContext, raw: unknown): Promise<void> {
  const args = parseArgs(ackArgsSchema, raw, ackNames);
  const config = ctx.config();
  const id = await existingIncidentId(config, args.id);
  const result = await withIncidentService(ctx, config, "cli incident ack", (service) => service.acknowledge(id, { by: args.by ?? currentUser() }));
  const { incident } = result;
  if (args.json) ctx.stdout(`${JSON.stringify(incident, null, 2)}\n`);
  else if (result.alreadyAcknowledged)
    ctx.stdout(`incident ${incident.id} was already acknowledged by ${incident.acknowledgedBy ?? "?"} at ${incident.acknowledgedAt ?? "?"}\n`);
  else ctx.stdout(`incident ${incident.id} acknowledged by ${incident.acknowledgedBy ?? "?"}\n`);
}

export async function publishCommand(ctx: CliContext, raw: unknown): Promise<void> {
  const args = parseArgs(publishArgsSchema, raw, publishNames);
  const config = ctx.config();
  const approvers = disclosureApprovers(config);
  // Checked here too, so that a refusal needs no daemon and no lock.
  if (!approvers.some((a) => a.name.trim().toLowerCase() === args.by.trim().toLowerCase()))
    throw new ArgumentError([
      approvers.length === 0
        ? "--by: no Security Lead or CTO is configured (config roles.securityLead, roles.cto): nobody may approve a disclosure"
        : `--by: ${JSON.stringify(args.by)} is not a configured Security Lead or CTO (expected one of: ${approvers.map((a) => a.name).join(", ")})`,
    ]);
  const id = await existingIncidentId(config, args.id);
  const incident = await withIncidentService(ctx, config, "cli incident publish", (service) =>
    service.publish(id, { by: args.by, ...(args.message !== undefined ? { message: args.message } : {}) }),
  );
  ctx.stdout(
    args.json
      ? `${JSON.stringify(incident, null, 2)}\n`
      : `incident ${incident.id}: disclosure approved by ${incident.disclosure?.by ?? "?"} (${incident.disclosure?.role === "cto" ? "CTO" : "Security Lead"}) at ${incident.disclosure?.at ?? "?"}; it appears on the status page at the next publication\n`,
  );
}

export async function listCommand(ctx: CliContext, raw: unknown): Promise<void> {
  const args = parseArgs(listArgsSchema, raw, { json: "--json", open: "--open", limit: "--limit" });
  const config = ctx.config();
  const { incidents, total } = await withStoreView(config, async (view) => {
    // Open incidents are always hot; closed ones may be archived (history).
    const hot = Object.values(view?.read().incidents ?? {});
    const all = view === undefined || args.open ? hot : await incidentsWithHistory(view, args.limit);
    const matching = all.filter((i) => !args.open || isOpen(i)).sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
    return { incidents: matching.slice(0, args.limit), total: view === undefined || args.open ? matching.length : hot.length + view.history.count() };
  });
  const more = total - incidents.length;
  if (args.json) ctx.stdout(`${JSON.stringify(incidents, null, 2)}\n`);
  else ctx.stdout(formatIncidentList(incidents) + (more > 0 ? `(${more} older not shown: --limit ${args.limit + more})\n` : ""));
}

export async function showCommand(ctx: CliContext, raw: unknown): Promise<void> {
  const args = parseArgs(showArgsSchema, raw, { id: "<id>", json: "--json" });
  const config = ctx.config();
  const incident = await findInDataDir(config, args.id);
  ctx.stdout(args.json ? `${JSON.stringify(incident, null, 2)}\n` : formatIncident(incident, ctx.clock()));
}

/** The full id of an existing incident (so that a typo never creates a store or takes a lock). */
async function existingIncidentId(config: GuardianConfig, idOrPrefix: string): Promise<string> {
  return (await findInDataDir(config, idOrPrefix)).id;
}

/** An incident of the configured store, hot or archived (the embedded store is read without its lock). */
export async function findInDataDir(config: GuardianConfig, idOrPrefix: string): Promise<Readonly<Incident>> {
  return withStoreView(config, async (view) => {
    if (view === undefined) throw new IncidentNotFoundError(idOrPrefix);
    return (await findStoredIncident(view.read().incidents, view.history, idOrPrefix)).incident;
  });
}

/** Runs `fn` on a read-only view of the configured store (undefined: the embedded store does not exist yet). */
export async function withStoreView<R>(config: GuardianConfig, fn: (view: StoreView | undefined) => Promise<R>): Promise<R> {
  if (config.store.kind === "postgres") {
    const { withSharedView } = await import("./shared-store.js");
    return withSharedView(config, fn);
  }
  return fn(await readStoreView(config.dataDir, { chainId: config.chainId }));
}

interface ResolvedContract {
  address: Address;
  name?: string;
  layers: Layer[];
}

/** `<contract>`: an address, or a deployment name looked up in config.deploymentsFile. */
export function resolveContract(value: string, config: GuardianConfig): ResolvedContract {
  const deployments = loadDeployments(config.deploymentsFile);
  if (/^0x[0-9a-fA-F]{40}$/.test(value)) {
    const problem = addressProblem(value);
    if (problem !== undefined) throw new ArgumentError([`<contract>: ${problem}, got ${value}`]);
    const address = getAddress(value.toLowerCase());
    const known = Object.entries(deployments ?? {}).find(([, a]) => a.toLowerCase() === address.toLowerCase());
    if (!known) return { address, layers: [] };
    const name = known[0] as keyof typeof LAYERS_OF;
    return { address, name, layers: [...LAYERS_OF[name]] };
  }
  const name = canonicalDeploymentName(value);
  if (name === undefined)
    throw new ArgumentError([
      `<contract>: expected an address (0x + 40 hex digits) or a deployment name (${DEPLOYMENT_NAMES.join(", ")}), got ${JSON.stringify(value)}`,
    ]);
  if (deployments === undefined)
    throw new ArgumentError([
      `<contract>: ${JSON.stringify(value)} is a deployment name, but the deployments file ${config.deploymentsFile} does not exist (run \`guardian deploy\`, or give the address)`,
    ]);
  const address = deployments[name];
  if (address === undefined)
    throw new ArgumentError([`<contract>: the deployments file ${config.deploymentsFile} has no ${name} address`]);
  return { address: getAddress(address.toLowerCase()), name, layers: [...LAYERS_OF[name]] };
}

/**
 * Runs `fn` with the incident writer for this data directory: the running
 * daemon's admin endpoint if there is one, else the store itself (lock taken,
 * released afterwards).
 */
export async function withIncidentService<R>(
  ctx: CliContext,
  config: GuardianConfig,
  purpose: string,
  fn: (service: IncidentService) => Promise<R>,
): Promise<R> {
  if (config.store.kind === "postgres") {
    const { withSharedIncidentService } = await import("./shared-store.js");
    return withSharedIncidentService(ctx, config, purpose, fn);
  }
  const running = await findRunningDaemon(config.dataDir);
  if (running) {
    // The daemon holds the store it opened; refuse it if it is another chain's.
    await readStoreSnapshot(config.dataDir, { chainId: config.chainId });
    const token = running.endpoint.tokenFile ? await readAdminToken(config.dataDir) : config.secrets.adminToken?.reveal();
    if (token === undefined)
      throw new Error(
        running.endpoint.tokenFile
          ? `the daemon (pid ${running.lock.pid}) is running, but its token file in ${config.dataDir} cannot be read: run this as the daemon's user`
          : `the daemon (pid ${running.lock.pid}) is running with env ${ADMIN_TOKEN_ENV}: set it for this command too`,
      );
    return fn(createAdminClient({ host: running.endpoint.host, port: running.endpoint.port, token }));
  }
  const store = await openLowdbStore({
    dataDir: config.dataDir,
    chainId: config.chainId,
    purpose,
    ringSize: config.follower.ringSize,
    lockWaitMs: ctx.lockWaitMs ?? CLI_LOCK_WAIT_MS,
    archiveAfterMs: config.store.archiveAfterHours * 3_600_000,
    clock: ctx.clock,
    logger: { warn: (_details, text) => ctx.stderr(`warning: ${text}\n`) },
  });
  try {
    return await fn(createStoreIncidentService({ store, clock: ctx.clock, sla: config.sla, approvers: disclosureApprovers(config) }));
  } finally {
    await store.close();
  }
}

function currentUser(): string {
  try {
    return userInfo().username || "operator";
  } catch {
    return "operator";
  }
}


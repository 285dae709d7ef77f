/**
 * Loads Guardian's config: preset < file < environment < command-line overrides.
 *
 * - The file is JSON, validated by `configFileSchema` (strict). Without a file
 *   (no `file`, no env GUARDIAN_CONFIG) the `local` preset is used as is.
 * - Relative paths in the file resolve against the file's directory; paths
 *   from the environment or overrides against `cwd`.
 * - `dataDir`: override > env GUARDIAN_DATA_DIR > file > `<cwd>/.guardian`.
 * - `deploymentsFile`: file > `<cwd>/deployments/<chainId>.json`.
 * - Secrets only from the environment (secrets.ts); a file that holds one is refused.
 *
 * Every problem is collected and reported at once in a `ConfigError`.
 * This module and secrets.ts are the only readers of env and config files.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Address, Layer, Severity, EscalationLevel } from "../types.js";
import { ConfigError } from "./errors.js";
import { formatIssues } from "./issues.js";
import { PRESETS } from "./presets.js";
import { configFileSchema, isPrivateHost, PRESET_NAMES, type PresetName } from "./schema.js";
import type { Secret } from "./secret.js";
import { bundlerEnvName, DATABASE_URL_ENV, findSecretsInFile, readSecrets, webhookEnvName, type Secrets } from "./secrets.js";

export const CONFIG_ENV = "GUARDIAN_CONFIG";
export const DATA_DIR_ENV = "GUARDIAN_DATA_DIR";
export const DEFAULT_DATA_DIR = ".guardian";

export type Env = Readonly<Record<string, string | undefined>>;

export interface RpcEndpointConfig {
  readonly name: string;
  readonly http: string;
  readonly ws?: string;
  /** Most calls per JSON-RPC batch (1: none); default learned. */
  readonly maxBatch?: number;
  /** Client-side pacing, HTTP requests a second. */
  readonly maxRequestsPerSecond?: number;
}

export interface Contact {
  readonly name: string;
  /** "log" or "webhook:<name>" (URL in `secrets.webhooks[name]`). */
  readonly channel: string;
}

/** The loaded config: validated, paths absolute, frozen all the way down. */
export interface GuardianConfig {
  /** Where it came from, for logs. */
  readonly source: { readonly file?: string; readonly preset?: PresetName };
  readonly chainId: number;
  readonly rpc: { readonly endpoints: readonly RpcEndpointConfig[] };
  readonly blockTimeMs: number;
  /** Absolute path of deployments/<chainId>.json (it may not exist yet). */
  readonly deploymentsFile: string;
  /** Absolute path of the data directory (created by the store when opened). */
  readonly dataDir: string;
  readonly follower: {
    readonly confirmations: number;
    readonly ringSize: number;
    readonly maxLogRange: number;
    readonly stallFactor: number;
    readonly requestTimeoutMs: number;
    /** stallFactor × blockTimeMs: no new block for this long is a finding. */
    readonly stallAfterMs: number;
  };
  /**
   * Threshold overrides by detector name, over each detector's own defaults.
   * "rpc-health" (always has stallFactor = follower.stallFactor) and
   * "pause-changed" are always present and checked at load; others are passed as they are.
   */
  readonly detectors: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Response SLA in minutes by severity. */
  readonly sla: Readonly<Record<Severity, number>>;
  readonly escalation: Readonly<Record<EscalationLevel, Contact>>;
  /** Always a loopback host. Port 0 = any free port (published in <dataDir>/admin.json). */
  readonly admin: { readonly host: string; readonly port: number };
  readonly metrics: { readonly host: string; readonly port: number };
  /** Whether a Critical incident may sentinel-pause each layer. */
  readonly autoPause: Readonly<Record<Layer, boolean>>;
  /** The sentinel pause: when a late pause pages the guardian, and the most it pays per gas. */
  readonly pause: { readonly lateAfterBlocks: number; readonly maxFeeGwei: number };
  /**
   * Bundlers the probes go through, each with its URL (from env; a secret: it
   * may carry a key). A URL missing from env is not a config error for every
   * command (`incident list` needs no bundler): what probes refuses to start
   * without it (`missingBundlerUrls`).
   */
  readonly bundlers: ReadonlyArray<{ readonly name: string; readonly url?: Secret }>;
  /** Probe rounds: how often, how long a probe may take, whether to simulate on the node too. */
  readonly probes: {
    readonly enabled: boolean;
    readonly everyBlocks: number;
    readonly timeoutMs: number;
    /** Simulate on the node too; default (undefined): only when no bundler is configured. */
    readonly simulate?: boolean;
    /** A real creation every `everyMinutes` (key: env GUARDIAN_CANARY_KEY); absent: no canary. */
    readonly canary?: { readonly everyMinutes: number; readonly timeoutBlocks: number };
  };
  /** The store: which one, the replicas' lease, and when closed incidents move to history. */
  readonly store: { readonly kind: "lowdb" | "postgres"; readonly schema: string; readonly leaseMs?: number; readonly archiveAfterHours: number };
  /** Pre-signed pause files or directories (absolute paths) the pause-ability watch and `readiness` check. */
  readonly safe: {
    readonly presigned: readonly string[];
    /** Signer liveness; attestation paths absolute. Absent: not watched. */
    readonly liveness?: { readonly maxAgeDays: number; readonly attestations: readonly string[] };
  };
  /** Scheduled pause drills; absent: none. */
  readonly drill?: { readonly everyHours: number };
  /** Pre-emption: pending transactions judged before they are mined (off unless enabled). */
  readonly preempt: {
    readonly enabled: boolean;
    readonly poll: boolean;
    readonly pollMs: number;
    readonly settleBlocks: number;
    readonly unknownDelegateWei?: string;
    readonly knownDelegates: readonly Address[];
  };
  /** The response plan's roles (absent roles: nobody holds them; then no security incident can be approved for disclosure). */
  readonly roles: {
    readonly onCall?: { readonly primary: Contact; readonly secondary?: Contact };
    readonly securityLead?: { readonly primary: Contact; readonly backup?: Contact };
    readonly cto?: { readonly primary: Contact; readonly backup?: Contact };
  };
  /** Webhooks that receive public status events (URLs in `secrets.webhooks`). */
  readonly subscribers: ReadonlyArray<{ readonly channel: string; readonly components?: readonly string[]; readonly allowPrivateAddress: boolean }>;
  /** The public status site's URL and name; null where the file sets none (links relative, name from the chain id). */
  readonly site: { readonly url: string | null; readonly name: string | null };
  readonly secrets: Secrets;
}

export interface LoadConfigParameters {
  /** Config file; default env GUARDIAN_CONFIG; none → the `local` preset. Relative to `cwd`. */
  file?: string;
  env: Env;
  cwd: string;
  /** Command-line overrides; they win over everything. */
  overrides?: { dataDir?: string };
}

/**
 * Loads and validates the config.
 *
 * @throws ConfigError listing every problem (file unreadable, not JSON,
 *   secrets in it, schema violations, malformed secret env variables).
 *
 * @example
 * const config = loadConfig({ file: "guardian.json", env: readProcessEnv(), cwd: process.cwd() });
 * config.follower.stallAfterMs; // 6000 on chain 138
 */
export function loadConfig(parameters: LoadConfigParameters): GuardianConfig {
  const { env, cwd, overrides = {} } = parameters;
  const fileArg = parameters.file ?? (env[CONFIG_ENV] || undefined);
  const file = fileArg === undefined ? undefined : path.resolve(cwd, fileArg);

  // 1. Read the file (or start from the local preset).
  let raw: Record<string, unknown> = { preset: "local" };
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : String(error);
      throw new ConfigError([`cannot read the file: ${why}`], { file, cause: error });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ConfigError([`not valid JSON: ${(error as Error).message}`], { file, cause: error });
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new ConfigError(["expected a JSON object at the top level"], { file });
    raw = parsed as Record<string, unknown>;
  }

  const problems: string[] = [];

  // 2. Refuse secrets in the file; drop the offending keys so the schema does not report them again.
  const secretProblems = findSecretsInFile(raw);
  problems.push(...secretProblems);
  const secretPaths = new Set(secretProblems.map((p) => p.slice(0, p.indexOf(": "))));

  // 3. Merge defaults < preset < file, then validate.
  const presetName = raw.preset;
  let preset: Record<string, unknown> = {};
  if (typeof presetName === "string" && (PRESET_NAMES as readonly string[]).includes(presetName))
    preset = PRESETS[presetName as PresetName] as Record<string, unknown>;
  const merged = deepMerge(preset, raw);
  const result = configFileSchema.safeParse(merged, { reportInput: true });
  if (!result.success) {
    for (const line of formatIssues(result.error.issues)) {
      const at = line.slice(0, line.indexOf(": "));
      if (secretPaths.has(at)) continue;
      problems.push(
        at === "rpc.endpoints" && presetName === "chain138" ? `${line} (the chain138 preset leaves the RPC endpoints to the operator)` : line,
      );
    }
  }

  // 4. Secrets from the environment.
  const secrets = readSecrets(env, problems);
  if (result.success && result.data.store.kind === "postgres" && secrets.databaseUrl === undefined)
    problems.push(`store.kind: "postgres" needs the database URL in env ${DATABASE_URL_ENV} (it carries a password: never in the file)`);

  // 4b. Subscribers' webhooks: not on a private address unless allowed. (A URL missing from env is
  // not an error for every command: the daemon's delivery keeps the events and says so.)
  if (result.success) {
    result.data.subscribers.forEach((sub, i) => {
      const name = sub.channel.slice("webhook:".length);
      const url = secrets.webhooks[name]?.reveal();
      if (url === undefined) return;
      let host: string;
      try {
        host = new URL(url).hostname;
      } catch {
        return; // readSecrets has reported the malformed URL
      }
      if (!sub.allowPrivateAddress && isPrivateHost(host))
        problems.push(
          `subscribers[${i}].channel: the URL in env ${webhookEnvName(name)} points at a loopback or private address (${host}); a subscriber is public: set allowPrivateAddress: true if this is meant`,
        );
    });
  }

  if (problems.length > 0 || !result.success) throw new ConfigError(problems, { file });
  const data = result.data;

  // 5. Resolve paths: file paths against the file's directory, env/overrides against cwd.
  const base = file === undefined ? cwd : path.dirname(file);
  const dataDir =
    overrides.dataDir !== undefined
      ? path.resolve(cwd, overrides.dataDir)
      : env[DATA_DIR_ENV]
        ? path.resolve(cwd, env[DATA_DIR_ENV])
        : data.dataDir !== undefined
          ? path.resolve(base, data.dataDir)
          : path.resolve(cwd, DEFAULT_DATA_DIR);
  const deploymentsFile =
    data.deploymentsFile !== undefined
      ? path.resolve(base, data.deploymentsFile)
      : path.resolve(cwd, "deployments", `${data.chainId}.json`);

  const config: GuardianConfig = {
    source: { ...(file !== undefined ? { file } : {}), ...(data.preset !== undefined ? { preset: data.preset } : {}) },
    chainId: data.chainId,
    rpc: { endpoints: data.rpc.endpoints },
    blockTimeMs: data.blockTimeMs,
    deploymentsFile,
    dataDir,
    follower: { ...data.follower, stallAfterMs: Math.round(data.follower.stallFactor * data.blockTimeMs) },
    detectors: {
      ...(data.detectors as Record<string, Record<string, unknown>>),
      "rpc-health": { ...data.detectors["rpc-health"], stallFactor: data.follower.stallFactor },
    },
    sla: data.sla,
    escalation: data.escalation,
    admin: data.admin,
    metrics: data.metrics,
    autoPause: data.autoPause,
    pause: data.pause,
    bundlers: data.bundlers.map((b) => ({ name: b.name, ...(secrets.bundlers[b.name] ? { url: secrets.bundlers[b.name] as Secret } : {}) })),
    probes: data.probes,
    store: data.store,
    safe: {
      presigned: data.safe.presigned.map((p) => path.resolve(base, p)),
      ...(data.safe.liveness ? { liveness: { maxAgeDays: data.safe.liveness.maxAgeDays, attestations: data.safe.liveness.attestations.map((p) => path.resolve(base, p)) } } : {}),
    },
    ...(data.drill ? { drill: { everyHours: data.drill.everyHours } } : {}),
    preempt: { ...data.preempt, knownDelegates: data.preempt.knownDelegates.map((a) => a.toLowerCase() as Address) },
    site: { url: data.site.url ?? null, name: data.site.name ?? null },
    roles: data.roles,
    subscribers: data.subscribers,
    secrets,
  };
  return deepFreeze(config);
}

/** Who may approve a security incident's public disclosure: the Security Lead, the CTO and their backups, by name. */
export function disclosureApprovers(config: Pick<GuardianConfig, "roles">): Array<{ name: string; role: "securityLead" | "cto" }> {
  const out: Array<{ name: string; role: "securityLead" | "cto" }> = [];
  for (const role of ["securityLead", "cto"] as const) {
    const r = config.roles[role];
    if (!r) continue;
    out.push({ name: r.primary.name, role });
    if (r.backup) out.push({ name: r.backup.name, role });
  }
  return out;
}

/** Problems for each configured bundler whose URL is not in env (for what runs probes: `guardian run`, `guardian probe`). */
export function missingBundlerUrls(config: Pick<GuardianConfig, "bundlers">): string[] {
  return config.bundlers
    .filter((b) => b.url === undefined)
    .map((b) => `bundlers: "${b.name}": expected its URL in env ${bundlerEnvName(b.name)} (bundler URLs may carry API keys: never in the file)`);
}

/** A frozen copy of `process.env`: the one place the daemon reads it (cli.ts passes it on). */
export function readProcessEnv(): Env {
  return Object.freeze({ ...process.env });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/** Objects merge key by key; arrays and other values in `over` replace. */
function deepMerge(under: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...under };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (isPlainObject(value) || Array.isArray(value)) {
    for (const child of Object.values(value as object)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

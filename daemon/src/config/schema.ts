/**
 * The config file's schema. The file is strict (unknown keys are refused, so
 * a typo never silently falls back to a default); every field except
 * `chainId`, `rpc` and `blockTimeMs` has a default, and those three come from
 * a preset when the file names one (see presets.ts).
 *
 * Secrets are never part of the file: see secrets.ts.
 */
import { getAddress } from "viem";
import * as z from "zod";

/**
 * Why `value` is not an address Guardian accepts, or undefined. Accepted: 0x
 * and 40 hex digits, either all one case (no checksum: EIP-55's "not
 * checksummed" forms) or mixed case with a valid EIP-55 checksum. A mixed-case
 * address whose checksum fails is refused: it is almost always a mistyped or
 * truncated copy of a real one.
 */
export function addressProblem(value: string): string | undefined {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) return "expected an address (0x + 40 hex digits)";
  const digits = value.slice(2);
  if (digits === digits.toLowerCase() || digits === digits.toUpperCase()) return undefined;
  if (getAddress(value.toLowerCase()) === value) return undefined;
  return "expected an address with a valid EIP-55 checksum: this mixed-case address fails it (a mistyped character?); check it, or write it all in lowercase";
}

/** An address (see `addressProblem`), as typed. */
export const addressSchema = z.string({ error: "expected an address (0x + 40 hex digits)" }).check((ctx) => {
  const problem = addressProblem(ctx.value);
  if (problem !== undefined) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
});

/** 127.0.0.0/8 or ::1: the admin endpoint must not be reachable from other hosts. */
export function isLoopbackHost(host: string): boolean {
  if (host === "::1" || host === "[::1]") return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m !== null && m.slice(1).every((octet) => Number(octet) <= 255);
}

const port = z.number({ error: "expected a TCP port (0-65535)" }).int({ error: "expected a TCP port (0-65535)" }).min(0).max(65535);
const positiveInt = (what: string) => z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).positive({ error: `expected ${what}` });

export const rpcEndpointSchema = z.strictObject({
  /** A label for logs and metrics, e.g. "besu-1". */
  name: z.string().regex(/^[\w.-]{1,64}$/, { error: "expected a name of letters, digits, '.', '_' or '-' (1-64)" }),
  http: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }),
  ws: z.url({ protocol: /^wss?$/, error: "expected a ws(s) URL" }).optional(),
  /** Most calls in one JSON-RPC batch; 1 for a provider without batches. Default: learned from the provider's refusals. */
  maxBatch: positiveInt("a whole number of calls per batch, at least 1 (1: no batches)").optional(),
  /** Client-side pacing below a provider's rate limit: at most this many HTTP requests a second. */
  maxRequestsPerSecond: z.number({ error: "expected a positive number of requests per second" }).positive({ error: "expected a positive number of requests per second" }).optional(),
});

export const followerSchema = z.strictObject({
  /** Blocks to wait before processing a block. 0 on a chain with instant finality (QBFT). */
  confirmations: z.number().int().min(0).default(0),
  /** Recent (number, hash) pairs kept to find the common ancestor on a reorg; also bounds reorg depth. */
  ringSize: z.number({ error: "expected an integer >= 2" }).int({ error: "expected an integer >= 2" }).min(2, { error: "expected an integer >= 2" }).default(128),
  /** Largest eth_getLogs block range to ask for; shrunk adaptively when a node refuses. */
  maxLogRange: positiveInt("a positive integer").default(2000),
  /** The chain counts as stalled after stallFactor × blockTimeMs without a new block. */
  stallFactor: z.number().positive().default(3),
  /** Per-request RPC timeout; short, so that failover to the next endpoint is quick. */
  requestTimeoutMs: positiveInt("a positive integer").default(3000),
});

/** Thresholds of a detector the config does not know: an open record the detector validates itself. */
export const detectorThresholdsSchema = z.record(z.string(), z.unknown());

const severity = z.enum(["critical", "high", "medium", "low"]);

/**
 * Overrides of the rpc-health detector's thresholds (its defaults live in
 * detectors/rpc-health.ts). `blockTimeMs` and `stallFactor` are not set here:
 * they come from the top level and `follower.stallFactor`, so there is one
 * definition of "stalled".
 */
export const rpcHealthOverridesSchema = z.strictObject({
  maxLatencyMs: z.number().positive().optional(),
  maxConsecutiveErrors: z.number().int().positive().optional(),
  maxHeadLagBlocks: z.number().int().min(0).optional(),
  unavailableAfterMs: z.number().int().min(0).optional(),
  severity: z
    .strictObject({
      unavailable: severity.optional(),
      stalled: severity.optional(),
      followerStuck: severity.optional(),
      chainIdMismatch: severity.optional(),
      endpointDown: severity.optional(),
      latency: severity.optional(),
      headLag: severity.optional(),
    })
    .optional(),
});

/** Overrides of the pause-changed detector's severities (defaults in detectors/pause-changed.ts). */
export const pauseChangedOverridesSchema = z.strictObject({
  guardianPause: severity.optional(),
  sentinelPause: severity.optional(),
  pauseUpdate: severity.optional(),
  unpause: severity.optional(),
  foreignPause: severity.optional(),
  foreignUnpause: severity.optional(),
});

const rate = z.number({ error: "expected a rate between 0 and 1" }).min(0, { error: "expected a rate between 0 and 1" }).max(1, { error: "expected a rate between 0 and 1" });
const blocks = positiveInt("a number of blocks (a positive integer)");
const count = positiveInt("a count (a positive integer)");
const ratio = z.number({ error: "expected a ratio above 1" }).gt(1, { error: "expected a ratio above 1" });
const wei = z.string({ error: "expected an amount in wei as a decimal string" }).regex(/^\d{1,78}$/, { error: "expected an amount in wei as a decimal string" });

/** Overrides of a rate detector's window (account-creation, user-operations, delegation). */
const rateWindow = {
  windowBlocks: blocks.optional(),
  minFailures: count.optional(),
  maxFailureRate: rate.optional(),
  clearBlocks: blocks.optional(),
};

/** Overrides of the kit detectors (defaults in detectors/<name>.ts). */
export const accountCreationOverridesSchema = z.strictObject({
  ...rateWindow,
  unavailableBlocks: blocks.optional(),
  unavailableMinFailures: count.optional(),
  severity: z.strictObject({ degraded: severity.optional(), unavailable: severity.optional() }).optional(),
});
export const userOperationsOverridesSchema = z.strictObject({ ...rateWindow, severity: severity.optional() });
export const delegationOverridesSchema = z.strictObject({ ...rateWindow, severity: severity.optional() });
export const gasSpikeOverridesSchema = z.strictObject({
  baselineBlocks: blocks.optional(),
  minBaselineBlocks: blocks.optional(),
  opBaselineSize: count.optional(),
  minOpSamples: count.optional(),
  mediumRatio: ratio.optional(),
  highRatio: ratio.optional(),
  /** Floor of the base-fee and user-operation gas-price baselines: fees below it are negligible (chain presets set it). */
  minBaseFeeWei: wei.optional(),
  /** Floor of the gas-per-operation baseline. */
  minGasPerOp: z.number({ error: "expected an amount of gas (an integer >= 0)" }).int({ error: "expected an amount of gas (an integer >= 0)" }).min(0, { error: "expected an amount of gas (an integer >= 0)" }).optional(),
  fullnessWindowBlocks: blocks.optional(),
  congestedFullness: rate.optional(),
  severeFullness: rate.optional(),
  clearBlocks: blocks.optional(),
  severity: z.strictObject({ medium: severity.optional(), high: severity.optional() }).optional(),
});
export const securityOverridesSchema = z.strictObject({
  severity: z
    .strictObject({
      unauthorized: severity.optional(),
      sentinelGranted: severity.optional(),
      trustedRoleRevoked: severity.optional(),
      unwired: severity.optional(),
      stake: severity.optional(),
      ownerNotExpected: severity.optional(),
    })
    .optional(),
});
export const outflowOverridesSchema = z.strictObject({
  windowBlocks: blocks.optional(),
  maxDepositDrainFraction: rate.optional(),
  maxDelegatedValueWei: wei.optional(),
  severity: z.strictObject({ drain: severity.optional(), withdrawal: severity.optional(), delegated: severity.optional() }).optional(),
});

export const probesOverridesSchema = z.strictObject({
  failRounds: count.optional(),
  unavailableBlocks: blocks.optional(),
  clearRounds: count.optional(),
  latencyFactor: ratio.optional(),
  latencyFloorMs: z.number({ error: "expected milliseconds (a number >= 0)" }).min(0, { error: "expected milliseconds (a number >= 0)" }).optional(),
  latencySamples: count.optional(),
  minLatencySamples: count.optional(),
  canarySlowBlocks: blocks.optional(),
  severity: z.strictObject({ failing: severity.optional(), unavailable: severity.optional(), bundler: severity.optional(), latency: severity.optional(), slowCreation: severity.optional() }).optional(),
});

/**
 * Per-detector thresholds. The detectors own their defaults; this record
 * holds the operator's overrides, checked here for the detectors Guardian
 * ships (a typo is refused at load, not ignored at run time) and passed
 * through as they are for any other detector.
 */
export const detectorsSchema = z
  .object({
    "rpc-health": rpcHealthOverridesSchema.default({}),
    "pause-changed": pauseChangedOverridesSchema.default({}),
    "account-creation": accountCreationOverridesSchema.optional(),
    "user-operations": userOperationsOverridesSchema.optional(),
    delegation: delegationOverridesSchema.optional(),
    "gas-spike": gasSpikeOverridesSchema.optional(),
    security: securityOverridesSchema.optional(),
    outflow: outflowOverridesSchema.optional(),
    probes: probesOverridesSchema.optional(),
  })
  .catchall(detectorThresholdsSchema);

export const slaSchema = z.strictObject({
  critical: positiveInt("minutes (a positive integer)").default(15),
  high: positiveInt("minutes (a positive integer)").default(120),
  medium: positiveInt("minutes (a positive integer)").default(1440),
  low: positiveInt("minutes (a positive integer)").default(4320),
});

/**
 * Where to page a contact: "log" (the daemon's log only) or "webhook:<name>",
 * whose URL comes from env GUARDIAN_WEBHOOK_<NAME> (upper-cased, '-' → '_').
 */
export const channelSchema = z
  .string()
  .regex(/^(log|webhook:[a-z0-9][a-z0-9-]{0,63})$/, { error: 'expected "log" or "webhook:<name>"' });

const contactSchema = z.strictObject({ name: z.string().min(1), channel: channelSchema });

export const escalationSchema = z.strictObject({
  oncall: contactSchema.default({ name: "on-call engineer", channel: "log" }),
  senior: contactSchema.default({ name: "senior engineer", channel: "log" }),
  lead: contactSchema.default({ name: "incident lead", channel: "log" }),
});

/**
 * The response plan's roles: who is on call, who is Security Lead and who is
 * CTO (each with a stand-in). Only a configured Security Lead or CTO (or
 * their backups) may approve the public disclosure of a security incident
 * (`guardian incident publish <id> --by NAME`): the name given must be one of
 * theirs. The daemon pages them on their channels as the plan says (on-call
 * at once, the Security Lead at 15 min for Critical and High, the CTO at 60
 * min for Critical on two or more layers: incidents/plan-escalation.ts),
 * beside the SLA escalation; the On-Call primary also hears of maintenance.
 */
export const rolesSchema = z.strictObject({
  onCall: z.strictObject({ primary: contactSchema, secondary: contactSchema.optional() }).optional(),
  securityLead: z.strictObject({ primary: contactSchema, backup: contactSchema.optional() }).optional(),
  cto: z.strictObject({ primary: contactSchema, backup: contactSchema.optional() }).optional(),
});

const loopbackHost = z.string().refine(isLoopbackHost, { error: "expected a loopback address (127.0.0.1 or ::1)" });

export const adminSchema = z.strictObject({
  host: loopbackHost.default("127.0.0.1"),
  /** 0 = any free port; the daemon publishes the port it got in <dataDir>/admin.json. */
  port: port.default(0),
});

export const metricsSchema = z.strictObject({
  host: z.string().min(1).default("127.0.0.1"),
  /** 9464: the conventional Prometheus exporter port of OpenTelemetry. */
  port: port.default(9464),
});

export const autoPauseSchema = z.strictObject({
  entryPoint: z.boolean().default(true),
  accountFactory: z.boolean().default(true),
  delegation: z.boolean().default(true),
});

/** The sentinel pause (respond/pause-sender.ts, runtime/circuit-breaker.ts). */
export const pauseSchema = z.strictObject({
  /** Page the guardian when an owed pause is still not made this many blocks after the symptom. */
  lateAfterBlocks: positiveInt("a number of blocks (a positive integer)").default(5),
  /** Highest fee per gas the sentinel pays (max fee, or gas price on a legacy chain), in gwei. */
  maxFeeGwei: z.number({ error: "expected gwei (a number > 0)" }).positive({ error: "expected gwei (a number > 0)" }).max(1_000_000, { error: "expected gwei up to 1,000,000" }).default(500),
});

/**
 * An ERC-4337 bundler users' wallets send operations to. Only its name is in
 * the file: the URL (hosted bundlers put an API key in it) comes from env
 * GUARDIAN_BUNDLER_<NAME> (upper-cased, '-' → '_'), like webhook URLs.
 */
export const bundlerSchema = z.strictObject({
  name: z.string({ error: "expected a name" }).regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { error: "expected a name of lowercase letters, digits and '-' (1-64)" }),
});

/** Synthetic user journeys, simulated and never sent (probes/): what users see, before it reaches the chain. */
export const probesSchema = z.strictObject({
  /** Off: no probe rounds (the detectors still watch the chain). */
  enabled: z.boolean().default(true),
  /** A round every this many processed blocks. */
  everyBlocks: positiveInt("a number of blocks (a positive integer)").default(5),
  /** A probe not answered within this is "timed out". */
  timeoutMs: positiveInt("milliseconds (a positive integer)").default(10_000),
  /**
   * Also simulate each journey on the node (`eth_call` on the EntryPoint).
   * Default: only when no bundler is configured (then it is the only way to
   * probe); with bundlers it costs ~0.6-1.2 more RPC requests a block.
   */
  simulate: z.boolean().optional(),
  /**
   * A real account creation through the first bundler every `everyMinutes`,
   * paid by the funded key in env GUARDIAN_CANARY_KEY: its inclusion time.
   * Absent: no canary (it costs gas each run).
   */
  canary: z
    .strictObject({
      everyMinutes: z.number({ error: "expected minutes (a number > 0)" }).positive({ error: "expected minutes (a number > 0)" }).default(60),
      /** Blocks to wait for inclusion before the creation counts as lost. */
      timeoutBlocks: positiveInt("a number of blocks (a positive integer)").default(30),
    })
    .optional(),
});

/** The store: where Guardian's state lives, and when closed incidents leave the hot state. */
export const storeSchema = z.strictObject({
  /**
   * "lowdb" (default): embedded, one daemon per data directory. "postgres":
   * shared by replicas (URL in env GUARDIAN_DATABASE_URL, never in the file);
   * one leads under a lease, the others stand by.
   */
  kind: z.enum(["lowdb", "postgres"], { error: 'expected "lowdb" or "postgres"' }).default("lowdb"),
  /** PostgreSQL schema holding this chain's tables (one chain per schema). */
  schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: "expected a lower-case SQL identifier (letters, digits, _)" }).default("guardian"),
  /** The replicas' lease (ms); default 3 block times, at least 3 s. A standby takes over once it lapses. */
  leaseMs: z.number({ error: "expected milliseconds (an integer >= 500)" }).int({ error: "expected milliseconds (an integer >= 500)" }).min(500, { error: "expected milliseconds (an integer >= 500)" }).optional(),
  /** A post-review incident untouched this long moves to history (read on demand). */
  archiveAfterHours: z.number({ error: "expected hours (a number > 0)" }).positive({ error: "expected hours (a number > 0)" }).default(24),
});

/** The guardian Safe's side of pausing (respond/presign.ts). */
export const safeSchema = z.strictObject({
  /**
   * Pre-signed pause files, or directories of them, that the pause-ability
   * watch and `guardian readiness` check against the Safe's nonce and owners.
   * Relative to the config file.
   */
  presigned: z.array(z.string().min(1, { error: "expected a file or directory path" })).default([]),
  /**
   * Signer liveness: a finding when an owner has not proven control of their
   * key (a signed Safe transaction, approveHash, or a `guardian safe attest`
   * file in `attestations`) for `maxAgeDays`, and when fewer owners than the
   * threshold have. Absent: not watched.
   */
  liveness: z
    .strictObject({
      maxAgeDays: z.number({ error: "expected days (a number > 0)" }).positive({ error: "expected days (a number > 0)" }).max(3650, { error: "expected at most 3650 days" }),
      attestations: z.array(z.string().min(1, { error: "expected a file or directory path" })).default([]),
    })
    .optional(),
});

/**
 * Pre-emption (runtime/preemption.ts): pending transactions to the watched
 * contracts are simulated, and a pause outbids an attack before it is mined.
 * Off by default: it needs a node that shows its pending transactions, and
 * it pauses on a simulation's verdict.
 */
export const preemptSchema = z.strictObject({
  enabled: z.boolean({ error: "expected true or false" }).default(false),
  /**
   * Allow polled sources (txpool_content, txpool_besuTransactions, a pending
   * filter) when no endpoint has a WebSocket subscription: they cost a request
   * every `pollMs`, quiet or not.
   */
  poll: z.boolean({ error: "expected true or false" }).default(false),
  pollMs: positiveInt("milliseconds (a positive integer)").min(25, { error: "expected at least 25 ms" }).default(250),
  /** A pending finding whose transaction has not landed after this many blocks settles as never landed. */
  settleBlocks: positiveInt("a number of blocks (a positive integer)").default(10),
  /** One redemption moving at least this much (wei) by a delegate not in `knownDelegates` is Critical. Default 5 ETH. */
  unknownDelegateWei: wei.optional(),
  /** The operator's own delegates (relayers, dapps): their large redemptions are judged by the outflow limit only. */
  knownDelegates: z.array(addressSchema).default([]),
});

/** Scheduled pause drills on a loopback fork of the chain (drill/, runtime/drill-schedule.ts). */
export const drillSchema = z.strictObject({
  /** A drill every this many hours (the first one an interval after start). */
  everyHours: z.number({ error: "expected hours (a number ≥ 1)" }).min(1, { error: "expected hours (a number ≥ 1)" }).max(24 * 365, { error: "expected at most a year of hours" }),
});

/**
 * The public status site: its address and name as the published files give
 * them (Statuspage's `page.url` and `page.name`, incident shortlinks, the Atom
 * feed's links). Without `url` the links are relative to the site root.
 */
export const siteSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: "expected the site's public http(s) URL, e.g. https://status.example.org/" })
    .check((ctx) => {
      const url = new URL(ctx.value);
      if (url.username || url.password) ctx.issues.push({ code: "custom", message: "expected a public URL without a user name or password (it is published)", input: ctx.value });
      if (url.search || url.hash) ctx.issues.push({ code: "custom", message: "expected the site's base URL, without a query (?...) or fragment (#...)", input: ctx.value });
    })
    .optional(),
  name: z
    .string({ error: "expected the page's name (1-100 characters)" })
    .min(1, { error: "expected the page's name (1-100 characters)" })
    .max(100, { error: "expected the page's name (1-100 characters)" })
    .regex(/^[^\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]*$/, { error: "expected a name without control, bidi or zero-width characters" })
    .optional(),
});

/**
 * Subscribers of the public status: a webhook each (channel "webhook:<name>",
 * URL in env GUARDIAN_WEBHOOK_<NAME>) that receives Statuspage-style events
 * (incident.created/updated/resolved, component.status_changed, maintenance
 * events) with public fields only, for all components or those listed. A
 * URL on a loopback or private address is refused unless
 * `allowPrivateAddress` says it is meant.
 */
export const subscriberSchema = z.strictObject({
  channel: z.string().regex(/^webhook:[a-z0-9][a-z0-9-]{0,63}$/, { error: 'expected "webhook:<name>" (its URL in env GUARDIAN_WEBHOOK_<NAME>)' }),
  components: z.array(z.enum(["entryPoint", "accountFactory", "delegation", "rpc"])).min(1, { error: "expected at least one component, or leave the field out for all" }).optional(),
  allowPrivateAddress: z.boolean().default(false),
});

/** Loopback, private, link-local, unique-local or unspecified: an address a public subscriber's webhook must not point at. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost") || host === "::" || host === "::1" || host === "0.0.0.0") return true;
  if (/^(fc|fd)[0-9a-f]{2}:/.test(host) || /^fe[89ab][0-9a-f]:/.test(host) || host.startsWith("::ffff:")) return true;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
}

export const PRESET_NAMES = ["local", "chain138"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** The file after presets are merged in, as validated. */
export const configFileSchema = z.strictObject({
  /** Editors' JSON-schema hint; ignored. */
  $schema: z.string().optional(),
  /** The preset the file starts from; the file overrides it field by field. */
  preset: z.enum(PRESET_NAMES).optional(),
  chainId: positiveInt("a chain id (a positive integer)"),
  rpc: z.strictObject({
    endpoints: z.array(rpcEndpointSchema).min(1, { error: "expected at least one endpoint" }),
  }),
  blockTimeMs: positiveInt("milliseconds (a positive integer)"),
  /** Default deployments/<chainId>.json under the working directory. */
  deploymentsFile: z.string().min(1).optional(),
  /** Default .guardian under the working directory; env GUARDIAN_DATA_DIR wins over the file. */
  dataDir: z.string().min(1).optional(),
  follower: followerSchema.default(followerSchema.parse({})),
  detectors: detectorsSchema.default({ "rpc-health": {}, "pause-changed": {} }),
  sla: slaSchema.default(slaSchema.parse({})),
  escalation: escalationSchema.default(escalationSchema.parse({})),
  admin: adminSchema.default(adminSchema.parse({})),
  metrics: metricsSchema.default(metricsSchema.parse({})),
  autoPause: autoPauseSchema.default(autoPauseSchema.parse({})),
  pause: pauseSchema.default(pauseSchema.parse({})),
  bundlers: z
    .array(bundlerSchema)
    .default([])
    .check((ctx) => {
      const seen = new Set<string>();
      ctx.value.forEach((b, i) => {
        if (seen.has(b.name)) ctx.issues.push({ code: "custom", message: `expected each bundler name once: "${b.name}" is listed twice`, input: b.name, path: [i, "name"] });
        seen.add(b.name);
      });
    }),
  probes: probesSchema.default(probesSchema.parse({})),
  store: storeSchema.default(storeSchema.parse({})),
  safe: safeSchema.default(safeSchema.parse({})),
  /** Absent: no scheduled drills (`guardian drill` still runs one by hand). */
  drill: drillSchema.optional(),
  preempt: preemptSchema.default(preemptSchema.parse({})),
  site: siteSchema.default({}),
  roles: rolesSchema.default({}),
  subscribers: z.array(subscriberSchema).default([]),
});

export type ConfigFileInput = z.input<typeof configFileSchema>;
export type ConfigFile = z.output<typeof configFileSchema>;

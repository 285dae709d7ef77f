/**
 * Secrets come only from the environment, never from the config file:
 *
 *     GUARDIAN_SENTINEL_KEY        the sentinel's private key (0x + 64 hex digits)
 *     GUARDIAN_ADMIN_TOKEN         bearer token of the admin endpoint (>= 16 characters);
 *                                  unset: the daemon generates one per run (see store/runtime-files.ts)
 *     GUARDIAN_WEBHOOK_<NAME>      URL of the webhook channel "webhook:<name>"
 *     GUARDIAN_BUNDLER_<NAME>      URL of the bundler named <name> in `bundlers` (it may carry an API key)
 *     GUARDIAN_PROBE_SPONSOR_KEY   the key the sponsored-operation probe signs paymaster data with
 *                                  (the paymaster's sponsor signer, or a key it also accepts)
 *     GUARDIAN_CANARY_KEY          the funded key the canary (probes.canary) creates real accounts with
 *     GUARDIAN_DATABASE_URL        postgres://user:password@host:port/db for `store.kind: "postgres"`
 *
 * `findSecretsInFile` refuses a file that looks like it holds one. Error
 * messages never repeat a secret's value.
 */
import type { Hex } from "../types.js";
import { formatPath } from "./issues.js";
import { Secret } from "./secret.js";

export const SENTINEL_KEY_ENV = "GUARDIAN_SENTINEL_KEY";
export const ADMIN_TOKEN_ENV = "GUARDIAN_ADMIN_TOKEN";
export const WEBHOOK_ENV_PREFIX = "GUARDIAN_WEBHOOK_";
export const BUNDLER_ENV_PREFIX = "GUARDIAN_BUNDLER_";
export const PROBE_SPONSOR_KEY_ENV = "GUARDIAN_PROBE_SPONSOR_KEY";
export const CANARY_KEY_ENV = "GUARDIAN_CANARY_KEY";
export const DATABASE_URL_ENV = "GUARDIAN_DATABASE_URL";

export interface Secrets {
  readonly sentinelKey?: Secret<Hex>;
  readonly adminToken?: Secret;
  /** By channel name, lower-case: "webhook:oncall" → webhooks.oncall. */
  readonly webhooks: Readonly<Record<string, Secret>>;
  /** Bundler URLs by name, lower-case: GUARDIAN_BUNDLER_ALTO_1 → bundlers["alto-1"]. */
  readonly bundlers: Readonly<Record<string, Secret>>;
  readonly probeSponsorKey?: Secret<Hex>;
  readonly canaryKey?: Secret<Hex>;
  /** The PostgreSQL store's URL (it carries the password). */
  readonly databaseUrl?: Secret;
}

/** The env variable that holds the URL of bundler `name`. */
export function bundlerEnvName(name: string): string {
  return BUNDLER_ENV_PREFIX + name.toUpperCase().replace(/-/g, "_");
}

/** The env variable that holds the URL of channel "webhook:<name>". */
export function webhookEnvName(name: string): string {
  return WEBHOOK_ENV_PREFIX + name.toUpperCase().replace(/-/g, "_");
}

const SECRET_KEY = /(private.?key|secret|mnemonic|seed.?phrase|passphrase|password|api.?key|credential|webhook)|token$/i;
const KEY_SHAPED = /^(0x)?[0-9a-fA-F]{64}$/;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i;

function envHint(key: string): string {
  if (/token$/i.test(key)) return `env ${ADMIN_TOKEN_ENV}`;
  if (/webhook/i.test(key)) return `env ${WEBHOOK_ENV_PREFIX}<NAME> and channel "webhook:<name>"`;
  if (/key|mnemonic|seed/i.test(key)) return `env ${SENTINEL_KEY_ENV}`;
  return "an environment variable";
}

/**
 * Every place in a parsed config file that holds or names a secret: keys that
 * name one (privateKey, token, webhook, ...), values shaped like a private key
 * (0x + 64 hex digits, or 64 bare hex digits) and URLs with a password.
 */
export function findSecretsInFile(raw: unknown): string[] {
  const problems: string[] = [];
  const walk = (value: unknown, path: Array<string | number>) => {
    if (typeof value === "string") {
      if (KEY_SHAPED.test(value.trim()))
        problems.push(
          `${formatPath(path)}: holds a 32-byte hex value, the shape of a private key; secrets are never read from the config file: set env ${SENTINEL_KEY_ENV} instead`,
        );
      else if (URL_WITH_PASSWORD.test(value))
        problems.push(`${formatPath(path)}: URL carries a user and password; secrets are never read from the config file: use the environment`);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, [...path, i]));
      return;
    }
    if (value !== null && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) {
        if (SECRET_KEY.test(key)) {
          problems.push(
            `${formatPath([...path, key])}: looks like a secret; secrets are never read from the config file: set ${envHint(key)} instead`,
          );
          continue;
        }
        walk(child, [...path, key]);
      }
    }
  };
  walk(raw, []);
  return problems;
}

/** Reads the secrets from `env`; pushes a problem (without the value) for each malformed one. */
export function readSecrets(env: Readonly<Record<string, string | undefined>>, problems: string[]): Secrets {
  let adminToken: Secret | undefined;

  const sentinelKey = privateKeyIn(env, SENTINEL_KEY_ENV, problems);

  const token = env[ADMIN_TOKEN_ENV];
  if (token !== undefined && token !== "") {
    if (token.length >= 16 && !/\s/.test(token)) adminToken = new Secret(token, ADMIN_TOKEN_ENV);
    else problems.push(`env ${ADMIN_TOKEN_ENV}: expected at least 16 characters without spaces (value not shown)`);
  }

  const probeSponsorKey = privateKeyIn(env, PROBE_SPONSOR_KEY_ENV, problems);
  const canaryKey = privateKeyIn(env, CANARY_KEY_ENV, problems);

  const webhooks = urlsByName(env, WEBHOOK_ENV_PREFIX, problems);
  const bundlers = urlsByName(env, BUNDLER_ENV_PREFIX, problems);

  let databaseUrl: Secret | undefined;
  const db = env[DATABASE_URL_ENV];
  if (db !== undefined && db !== "") {
    if (/^postgres(ql)?:\/\/\S+$/i.test(db)) databaseUrl = new Secret(db, DATABASE_URL_ENV);
    else problems.push(`env ${DATABASE_URL_ENV}: expected a postgres:// or postgresql:// URL (value not shown)`);
  }
  return Object.freeze({
    sentinelKey,
    adminToken,
    webhooks,
    bundlers,
    ...(probeSponsorKey ? { probeSponsorKey } : {}),
    ...(canaryKey ? { canaryKey } : {}),
    ...(databaseUrl ? { databaseUrl } : {}),
  });
}

/** A private key (0x + 64 hex digits) from env `name`, or undefined; a malformed one is a problem (value not shown). */
function privateKeyIn(env: Readonly<Record<string, string | undefined>>, name: string, problems: string[]): Secret<Hex> | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  if (/^0x[0-9a-fA-F]{64}$/.test(value)) return new Secret(value as Hex, name);
  problems.push(`env ${name}: expected 0x followed by 64 hex digits (value not shown)`);
  return undefined;
}

/** The http(s) URLs of env PREFIX<NAME> variables by lower-case name ('_' → '-'). */
function urlsByName(env: Readonly<Record<string, string | undefined>>, prefix: string, problems: string[]): Readonly<Record<string, Secret>> {
  const out: Record<string, Secret> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(prefix) || !value) continue;
    const key = name.slice(prefix.length).toLowerCase().replace(/_/g, "-");
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(key)) {
      problems.push(`env ${name}: expected ${prefix}<NAME> with NAME of letters, digits and '_'`);
      continue;
    }
    let ok = false;
    try {
      const url = new URL(value);
      ok = url.protocol === "https:" || url.protocol === "http:";
    } catch {
      ok = false;
    }
    if (ok) out[key] = new Secret(value, name);
    else problems.push(`env ${name}: expected an http(s) URL (value not shown)`);
  }
  return Object.freeze(out);
}

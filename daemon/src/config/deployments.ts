/**
 * Reads deployments/<chainId>.json (written by `guardian deploy`, see
 * daemon/src/deploy/deployments.ts) and resolves contract names. Names are
 * looked up, case-insensitively, at the top level and under `contracts`,
 * `kit` and `guardian` (later ones win), values an address or {address}:
 *
 *     { "kit": { "EntryPoint": "0x…", "DelegationManager": "0x…", … },
 *       "guardian": { "hub": "0x…", "paymaster": "0x…", "accountFactory": "0x…", … } }
 *
 * Canonical names and aliases: entryPoint; accountFactory (alias factory);
 * delegationManager (alias delegation); paymaster; hub (alias guardianHub).
 */
import { readFileSync } from "node:fs";
import type { Address, Layer } from "../types.js";
import { ConfigError } from "./errors.js";
import { addressProblem } from "./schema.js";

export const DEPLOYMENT_NAMES = ["entryPoint", "accountFactory", "delegationManager", "paymaster", "hub"] as const;
export type DeploymentName = (typeof DEPLOYMENT_NAMES)[number];

const ALIASES: Record<string, DeploymentName> = {
  entrypoint: "entryPoint",
  accountfactory: "accountFactory",
  factory: "accountFactory",
  delegationmanager: "delegationManager",
  delegation: "delegationManager",
  paymaster: "paymaster",
  hub: "hub",
  guardianhub: "hub",
};

/** The layers a contract belongs to (the hub guards all of them). */
export const LAYERS_OF: Readonly<Record<DeploymentName, readonly Layer[]>> = {
  entryPoint: ["entryPoint"],
  paymaster: ["entryPoint"],
  accountFactory: ["accountFactory"],
  delegationManager: ["delegation"],
  hub: ["entryPoint", "accountFactory", "delegation"],
};

export type Deployments = Readonly<Partial<Record<DeploymentName, Address>>>;

/** A deployment name (or alias, any case) → its canonical name, or undefined. */
export function canonicalDeploymentName(name: string): DeploymentName | undefined {
  return ALIASES[name.toLowerCase()];
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * The known addresses in `file`, or `undefined` if the file does not exist.
 * @throws ConfigError if it exists but is not JSON.
 */
export function loadDeployments(file: string): Deployments | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigError([`cannot read the deployments file: ${String(error)}`], { file, cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`deployments file is not valid JSON: ${(error as Error).message}`], { file, cause: error });
  }
  const out: Partial<Record<DeploymentName, Address>> = {};
  const scan = (obj: unknown) => {
    if (obj === null || typeof obj !== "object") return;
    for (const [key, value] of Object.entries(obj)) {
      const name = canonicalDeploymentName(key);
      if (!name) continue;
      const address = typeof value === "string" ? value : (value as { address?: unknown } | null)?.address;
      if (typeof address !== "string" || !ADDRESS.test(address)) continue;
      const problem = addressProblem(address);
      if (problem !== undefined) throw new ConfigError([`${key}: ${problem}, got ${address}`], { file });
      out[name] = address as Address;
    }
  };
  for (const section of [raw, ...["contracts", "kit", "guardian"].map((k) => (raw as Record<string, unknown> | null)?.[k])]) scan(section);
  return Object.freeze(out);
}

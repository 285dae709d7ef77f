/**
 * `deployments/<chainId>.json`: every address Guardian and its tools need.
 * Written atomically (temp file + rename) and read back through a schema, so a
 * truncated or hand-broken file is refused with the field that is wrong.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { addressSchema as address } from "../config/schema.js";
import type { Deployment } from "./guardian.js";

export const deploymentSchema = z.object({
  chainId: z.number().int().positive(),
  deployedAt: z.string(),
  deployer: address,
  startBlock: z.number().int().nonnegative(),
  kit: z.object({
    DelegationManager: address,
    EntryPoint: address,
    SimpleFactory: address,
    implementations: z.record(z.string(), address),
    caveatEnforcers: z.record(z.string(), address),
  }),
  guardian: z.object({ hub: address, paymaster: address, accountFactory: address, safe: address }),
  roles: z.object({ admin: address, guardian: address, sentinels: z.array(address) }),
  params: z.object({
    sentinelPauseDuration: z.number().int().positive(),
    sentinelCooldown: z.number().int().positive(),
    sponsorSigner: address,
  }),
});

export function deploymentPath(dir: string, chainId: number) {
  return path.join(dir, `${chainId}.json`);
}

export function writeDeployment(dir: string, deployment: Deployment): string {
  mkdirSync(dir, { recursive: true });
  const file = deploymentPath(dir, deployment.chainId);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(deployment, null, 2) + "\n");
  renameSync(tmp, file);
  return file;
}

export function readDeployment(file: string): Deployment {
  if (!existsSync(file)) throw new Error(`deployments file ${file} does not exist: run \`npx guardian deploy --network <name>\` first`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`deployments file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = deploymentSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n");
    throw new Error(`deployments file ${file} is invalid:\n${problems}`);
  }
  return parsed.data as Deployment;
}

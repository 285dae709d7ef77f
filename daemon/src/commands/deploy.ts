/**
 * `guardian deploy --network NAME`: deploys the kit environment when absent,
 * the GuardianHub and the guarded layers, wires ownership and roles, and
 * writes `deployments/<chainId>.json`.
 *
 * Networks are those of hardhat.config.ts, so RPC URLs and keys come from
 * Hardhat's configuration variables (env or Hardhat's encrypted keystore),
 * never from a file of ours. On `local` (a `hardhat node` on 127.0.0.1:8545)
 * the dev accounts play every role and a 2-of-3 Safe of dev accounts is
 * created; on any other network the guardian Safe must already exist and the
 * calls only it may make (granting the sentinel) are printed for its signers.
 */
import path from "node:path";
import { existsSync } from "node:fs";
import type { Command } from "commander";
import type { CliContext } from "./context.js";
import { z } from "zod";
import { getAddress } from "viem";
import { addressArg as checkedAddress } from "./args.js";

const addressArg = checkedAddress.transform((v) => getAddress(v.toLowerCase()));

const deployOptions = z.object({
  network: z.string().min(1, "expected a network name from hardhat.config.ts (e.g. local, chain138)"),
  safe: addressArg.optional(),
  sentinel: addressArg.optional(),
  sponsorSigner: addressArg.optional(),
  admin: addressArg.optional(),
  out: z.string().default("deployments"),
  pauseDuration: z.coerce.number().int().positive("expected seconds > 0").default(3600),
  cooldown: z.coerce.number().int().positive("expected seconds > 0").default(6 * 3600),
});
export type DeployOptions = z.infer<typeof deployOptions>;

export class DeployUsageError extends Error {
  exitCode = 2;
}

export async function runDeploy(raw: Record<string, unknown>, out: (line: string) => void = console.log, cwd = process.cwd()) {
  const parsed = deployOptions.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `--${String(i.path[0] ?? "?").replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}: ${i.message}`);
    throw new DeployUsageError(`guardian deploy: ${problems.join("; ")}`);
  }
  const opts = parsed.data;
  const { network } = await import("hardhat");
  const { deployGuardian } = await import("../deploy/guardian.js");
  const { deployLocalStack, roleWallets } = await import("../deploy/local.js");
  const { readDeployment, writeDeployment, deploymentPath } = await import("../deploy/deployments.js");

  const conn = await network.getOrCreate(opts.network);
  const client = await conn.viem.getPublicClient();
  const wallets = await conn.viem.getWalletClients();
  const chainId = client.chain.id;
  const outDir = path.resolve(cwd, opts.out);
  const previous = existsSync(deploymentPath(outDir, chainId)) ? readDeployment(deploymentPath(outDir, chainId)) : undefined;
  out(`deploying Guardian on network ${opts.network} (chain ${chainId})`);

  let deployment;
  if (opts.network === "local" && !opts.safe) {
    deployment = await deployLocalStack(client as any, roleWallets(wallets as any), {
      sentinelPauseDuration: opts.pauseDuration,
      sentinelCooldown: opts.cooldown,
      kit: previous?.kit,
      log: (l) => out(`  ${l}`),
    });
  } else {
    if (!opts.safe) throw new DeployUsageError("guardian deploy: --safe: expected the guardian Safe's address (required outside the local network)");
    if (!opts.sentinel) throw new DeployUsageError("guardian deploy: --sentinel: expected the sentinel key's address");
    const deployer = wallets[0];
    if (!deployer) throw new DeployUsageError(`guardian deploy: network ${opts.network} has no deployer account: set its key as a configuration variable (env or \`npx hardhat keystore set\`)`);
    const result = await deployGuardian({
      client: client as any,
      deployer: deployer as any,
      guardianSafe: opts.safe,
      sentinel: opts.sentinel,
      sponsorSigner: opts.sponsorSigner ?? opts.sentinel,
      finalAdmin: opts.admin,
      sentinelPauseDuration: opts.pauseDuration,
      sentinelCooldown: opts.cooldown,
      kit: previous?.kit,
      log: (l) => out(`  ${l}`),
    });
    deployment = result.deployment;
    if (result.pendingSafeCalls.length) {
      out("the guardian Safe must still make these calls (propose them to its signers):");
      for (const c of result.pendingSafeCalls) out(`  ${c.description}: to ${c.to} data ${c.data}`);
    }
  }
  const file = writeDeployment(outDir, deployment);
  const shown = path.relative(cwd, file);
  out(`wrote ${shown.startsWith("..") ? file : shown}`);
  return deployment;
}

export function registerDeploy(program: Command, ctx: CliContext) {
  program
    .command("deploy")
    .description("deploy the kit (when absent), the GuardianHub and the guarded layers; write deployments/<chainId>.json")
    .requiredOption("--network <name>", "a network of hardhat.config.ts: local, chain138, ...")
    .option("--safe <address>", "the existing guardian Safe (created 2-of-3 from dev accounts on local)")
    .option("--sentinel <address>", "the sentinel key's address (the daemon's)")
    .option("--sponsor-signer <address>", "the key that signs paymaster sponsorships (default: the sentinel)")
    .option("--admin <address>", "governance after wiring (default: the deployer)")
    .option("--out <dir>", "where deployments/<chainId>.json goes", "deployments")
    .option("--pause-duration <seconds>", "how long a sentinel pause lasts unless the guardian confirms it", "3600")
    .option("--cooldown <seconds>", "after a sentinel pause ends, how long before the sentinel may pause that layer again", "21600")
    .action(async (opts) => {
      await runDeploy(opts, (line) => ctx.stdout(line + "\n"), ctx.cwd);
    });
}

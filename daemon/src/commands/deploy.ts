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
  network: z.string().min(1, "expected a network name from hardhat.config.ts (e.g. local, chain138)").optional(),
  rpc: z.url({ protocol: /^https?$/, error: "expected an http(s) URL of a node" }).optional(),
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

/** A loopback URL: a dev node whose well-known accounts may play every role. */
function isLoopbackUrl(url: string) {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "[::1]" || /^127\./.test(host);
}

/**
 * The deployer key for --rpc from Hardhat's configuration variables (the
 * `rpc` network of hardhat.config.ts): env first, then Hardhat's keystore,
 * as `--network chain138` reads its key. Undefined when neither has it.
 */
async function keystoreDeployerKey(): Promise<string | undefined> {
  const { default: hre } = await import("hardhat");
  const accounts = (hre.config.networks.rpc as { accounts?: unknown } | undefined)?.accounts;
  const variable = Array.isArray(accounts) ? (accounts[0] as { get?: () => Promise<string> } | undefined) : undefined;
  if (typeof variable?.get !== "function") return undefined;
  try {
    return await variable.get();
  } catch {
    return undefined; // not set anywhere: the caller says what is expected
  }
}

export async function runDeploy(raw: Record<string, unknown>, out: (line: string) => void = console.log, cwd = process.cwd(), env: Record<string, string | undefined> = {}) {
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

  if (!opts.network === !opts.rpc) throw new DeployUsageError("guardian deploy: --network / --rpc: expected exactly one of them");
  let client: any;
  let wallets: any[];
  let devRoles = false;
  if (opts.rpc) {
    // A node given by URL: the chain id is read from it; the URL is never printed whole (it may hold a key).
    const { createPublicClient, createWalletClient, defineChain, http } = await import("viem");
    const { mnemonicToAccount, privateKeyToAccount } = await import("viem/accounts");
    const DEV_MNEMONIC = "test test test test test test test test test test test junk"; // the well-known dev accounts of hardhat node and anvil
    const { redactUrl } = await import("../config/redact.js");
    const transport = http(opts.rpc, { retryCount: 0 });
    const id = await createPublicClient({ transport }).getChainId();
    const chain = defineChain({ id, name: `chain-${id}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [opts.rpc] } } });
    client = createPublicClient({ chain, transport });
    out(`node ${redactUrl(opts.rpc)} serves chain ${id}`);
    devRoles = !opts.safe && isLoopbackUrl(opts.rpc);
    if (devRoles) {
      wallets = Array.from({ length: 10 }, (_, i) => createWalletClient({ chain, transport, account: mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }) }));
      if ((await client.getBalance({ address: wallets[0].account.address })) === 0n)
        throw new DeployUsageError("guardian deploy: --safe: expected the guardian Safe's address (this loopback node has no funded dev accounts)");
    } else {
      const key = env.GUARDIAN_DEPLOYER_KEY ?? (await keystoreDeployerKey());
      if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key))
        throw new DeployUsageError(
          "guardian deploy: GUARDIAN_DEPLOYER_KEY: expected the deployer's private key (0x + 64 hex digits) with --rpc, in env or Hardhat's keystore (`npx hardhat keystore set GUARDIAN_DEPLOYER_KEY`)",
        );
      wallets = [createWalletClient({ chain, transport, account: privateKeyToAccount(key as `0x${string}`) })];
    }
  } else {
    const conn = await network.getOrCreate(opts.network!);
    client = await conn.viem.getPublicClient();
    wallets = await conn.viem.getWalletClients();
    devRoles = opts.network === "local" && !opts.safe;
  }
  const chainId = client.chain.id;
  const outDir = path.resolve(cwd, opts.out);
  const previous = existsSync(deploymentPath(outDir, chainId)) ? readDeployment(deploymentPath(outDir, chainId)) : undefined;
  out(`deploying Guardian on ${opts.network ? `network ${opts.network}` : "the node"} (chain ${chainId})`);

  let deployment;
  if (devRoles) {
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
    .option("--network <name>", "a network of hardhat.config.ts: local, chain138, ...")
    .option("--rpc <url>", "a node's HTTP URL instead of --network (chain id read from the node; deployer key GUARDIAN_DEPLOYER_KEY from env or Hardhat's keystore; dev accounts on a loopback node without --safe)")
    .option("--safe <address>", "the existing guardian Safe (created 2-of-3 from dev accounts on local)")
    .option("--sentinel <address>", "the sentinel key's address (the daemon's)")
    .option("--sponsor-signer <address>", "the key that signs paymaster sponsorships (default: the sentinel)")
    .option("--admin <address>", "governance after wiring (default: the deployer)")
    .option("--out <dir>", "where deployments/<chainId>.json goes", "deployments")
    .option("--pause-duration <seconds>", "how long a sentinel pause lasts unless the guardian confirms it", "3600")
    .option("--cooldown <seconds>", "after a sentinel pause ends, how long before the sentinel may pause that layer again", "21600")
    .action(async (opts) => {
      await runDeploy(opts, (line) => ctx.stdout(line + "\n"), ctx.cwd, ctx.env);
    });
}

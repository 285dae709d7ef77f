/**
 * Runs one traffic scenario against a local node that has the stack deployed:
 *
 *     npx tsx scripts/scenario.ts <name> --rpc http://127.0.0.1:8545 --deployments deployments/31337.json [--set key=value ...] [--json]
 *
 * <name>: healthy, account-creation-failing, user-ops-reverting, gas-spike, congestion,
 * delegation-failing, ownership-transfer, role-granted, deposit-withdrawn,
 * delegation-drain. `--set` passes a scenario option (e.g. `--set blocks=12
 * --set cause=initcode-oog`; numbers are parsed, `…n` is a bigint). The roles
 * are Hardhat's dev accounts (daemon/src/deploy/local.ts ROLE_INDEX): a local
 * chain only. Prints what the scenario did and the findings to expect.
 *
 * Exit codes: 0 done; 2 usage; 1 the scenario failed.
 */
import { pathToFileURL } from "node:url";
import { Command, CommanderError } from "commander";
import { createPublicClient, createWalletClient, defineChain, http } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { readDeployment } from "../daemon/src/deploy/deployments.js";
import { roleWallets } from "../daemon/src/deploy/local.js";
import { DEV_MNEMONIC } from "./lib/local-chain.js";
import { SCENARIO_NAMES, runScenario, type ScenarioName, type ScenarioResult } from "./lib/scenarios.js";

class UsageError extends Error {}

/** `key=value` → [key, value] with numbers and bigints (`12n`) parsed. */
export function parseSetting(text: string): [string, unknown] {
  const m = /^([A-Za-z][\w]*)=(.*)$/.exec(text);
  if (!m) throw new UsageError(`--set ${text}: expected key=value`);
  const [, key, raw] = m as unknown as [string, string, string];
  if (/^\d+n$/.test(raw)) return [key, BigInt(raw.slice(0, -1))];
  if (/^-?\d+(\.\d+)?$/.test(raw)) return [key, Number(raw)];
  if (raw === "true" || raw === "false") return [key, raw === "true"];
  return [key, raw];
}

export function formatResult(r: ScenarioResult): string {
  const lines = [`scenario ${r.name}: ${r.summary}`, `blocks #${r.fromBlock}..#${r.toBlock}, ${r.txs.length} transactions`];
  for (const tx of r.txs) lines.push(`  #${tx.blockNumber} ${tx.status.padEnd(8)} ${tx.hash} ${tx.what}`);
  lines.push(r.expected.length === 0 ? "expected findings: none" : "expected findings:");
  for (const e of r.expected) lines.push(`  ${e.severity.padEnd(8)} ${e.key}`);
  return lines.join("\n");
}

export async function main(argv: readonly string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const program = new Command("scenario")
    .argument("<name>", `healthy | ${SCENARIO_NAMES.join(" | ")}`)
    .requiredOption("--rpc <url>", "JSON-RPC URL of the local node")
    .requiredOption("--deployments <file>", "deployments/<chainId>.json written by `guardian deploy`")
    .option("--set <key=value>", "a scenario option (repeatable)", (v: string, all: string[]) => [...all, v], [] as string[])
    .option("--json", "print the result as JSON")
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse([...argv], { from: "user" });
    const [name] = program.args as [string];
    const opts = program.opts<{ rpc: string; deployments: string; set: string[]; json?: boolean }>();
    if (name !== "healthy" && !SCENARIO_NAMES.includes(name as ScenarioName)) throw new UsageError(`unknown scenario "${name}": expected healthy or one of ${SCENARIO_NAMES.join(", ")}`);
    const deployment = readDeployment(opts.deployments);
    const transport = http(opts.rpc, { retryCount: 0 });
    const probe = createPublicClient({ transport });
    const chainId = await probe.getChainId();
    if (chainId !== deployment.chainId) throw new UsageError(`the node at ${opts.rpc} serves chain ${chainId}, the deployments file is for chain ${deployment.chainId}`);
    const chain = defineChain({ id: chainId, name: `local-${chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [opts.rpc] } } });
    const client = createPublicClient({ chain, transport, pollingInterval: 100 });
    const wallets = Array.from({ length: 10 }, (_, i) => createWalletClient({ chain, transport, account: mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }) }));
    const settings = Object.fromEntries(opts.set.map(parseSetting));
    const result = await runScenario(
      { client: client as never, wallets: roleWallets(wallets as never), deployment, log: (line) => process.stderr.write(`${line}\n`) },
      name as ScenarioName | "healthy",
      settings,
    );
    out(opts.json ? `${JSON.stringify(result, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2)}\n` : `${formatResult(result)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      process.stderr.write(`scenario: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`scenario failed: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exit(await main(process.argv.slice(2)));
}

/**
 * `guardian readiness [--json] [--pauses N] [--presigned PATH...]`: can we
 * pause right now, and how? Reads the hub, the sentinel and the guardian Safe
 * at the latest block, and the pre-signed pause files (config
 * `safe.presigned`, or `--presigned`) and, with `safe.liveness`, which owners
 * proved their key lately, and judges each path
 * (detectors/readiness.ts). Exit 0 when at least one path is ready, 1 when
 * none is.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import * as z from "zod";
import { createPublicClient, defineChain, getAddress, http, keccak256, parseAbi, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { CliContext } from "./context.js";
import { ArgumentError } from "./errors.js";
import { parseArgs } from "./args.js";
import { readDeployment } from "../deploy/deployments.js";
import { currentFees, feeCeiling } from "../respond/fees.js";
import { livenessOptions, presignedFacts } from "../runtime/pause-ability-watch.js";
import { LivenessTracker } from "../respond/signer-liveness.js";
import type { DrillReport } from "../drill/run.js";
import { judgeReadiness, type Readiness, type ReadinessFacts } from "../detectors/readiness.js";
import { PAUSE_ABILITY_DEFAULTS } from "../detectors/pause-ability.js";

/**
 * Gas one sentinel pause of every layer may use: 242,197 measured on EDR
 * (docs/ARCHITECTURE.md, `npm run gas`), rounded up for other nodes' costs.
 */
export const SENTINEL_PAUSE_GAS = 260_000n;

const abi = parseAbi([
  "function hasRole(bytes32 role, address account) view returns (bool)",
  "function lastHeartbeat(address sentinel) view returns (uint64)",
  "function getOwners() view returns (address[])",
  "function getThreshold() view returns (uint256)",
  "function nonce() view returns (uint256)",
]);
const SENTINEL_ROLE = keccak256(toHex("SENTINEL_ROLE"));
const GUARDIAN_ROLE = keccak256(toHex("GUARDIAN_ROLE"));

const readinessSchema = z.object({
  json: z.boolean().optional(),
  pauses: z.coerce.number({ error: "expected a number of pauses (1-100)" }).int("expected a whole number of pauses").min(1, "expected at least 1 pause").max(100, "expected at most 100 pauses").default(3),
  presigned: z.array(z.string().min(1)).optional(),
  drillReport: z.string().min(1).optional(),
});

class NotReadyError extends Error {
  override name = "NotReadyError";
  readonly exitCode = 1;
}

const NAMES = { sentinel: "sentinel", presigned: "pre-signed Safe pause", "safe-quorum": "Safe quorum" } as const;

function render(r: Readiness): string {
  const lines: string[] = [`at block ${r.block}:`];
  for (const p of r.paths) {
    lines.push(`${NAMES[p.path].padEnd(22)} ${p.ready ? "READY" : "NOT READY"}`);
    for (const d of p.details) lines.push(`  ${d}`);
  }
  const ready = r.paths.filter((p) => p.ready).map((p) => NAMES[p.path]);
  lines.push(ready.length ? `can pause now: yes, by ${ready.join(", ")}` : "can pause now: NO path is ready");
  return lines.join("\n") + "\n";
}

/** The last drill's outcome per path, from its report file. */
function drillFacts(file: string, now: Date): NonNullable<ReadinessFacts["drill"]> {
  let report: DrillReport;
  try {
    report = JSON.parse(readFileSync(file, "utf8")) as DrillReport;
    if (!Array.isArray(report.steps) || typeof report.startedAt !== "string") throw new Error("not a drill report");
  } catch (e) {
    throw new ArgumentError([`--drill-report: ${file} is not a drill report written by guardian drill --out (${(e as Error).message.split("\n")[0]})`]);
  }
  const of = (p: "sentinel" | "safe") => {
    const steps = report.steps.filter((s) => s.path === p);
    if (!steps.length) return undefined;
    const failed = steps.find((s) => !s.ok);
    return failed ? { ok: false, error: `${failed.action}: ${failed.error ?? "failed"}` } : { ok: true };
  };
  const sentinel = of("sentinel");
  const safe = of("safe");
  return { ageSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(report.startedAt)) / 1000)), ...(sentinel ? { sentinel } : {}), ...(safe ? { safe } : {}) };
}

export function registerReadiness(program: Command, ctx: CliContext): void {
  program
    .command("readiness")
    .description("can we pause right now, and how? each pause path checked at the latest block (exit 0: at least one path ready, 1: none)")
    .option("--json", "print as JSON")
    .option("--pauses <n>", "how many sentinel pauses its balance must cover", "3")
    .option("--presigned <paths...>", "pre-signed pause files or directories (default: config safe.presigned)")
    .option("--drill-report <file>", "the last drill's report (guardian drill --out FILE): its result and age per path")
    .action(async (options: Record<string, unknown>) => {
      const args = parseArgs(readinessSchema, options, { pauses: "--pauses", presigned: "--presigned", drillReport: "--drill-report" });
      const config = ctx.config();
      const deployment = readDeployment(config.deploymentsFile);
      if (deployment.chainId !== config.chainId) {
        throw new ArgumentError([`deployments file ${config.deploymentsFile} is for chain ${deployment.chainId}, the config for chain ${config.chainId}`]);
      }
      const url = config.rpc.endpoints[0]!.http;
      const chain = defineChain({ id: config.chainId, name: `chain-${config.chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [url] } } });
      const client = createPublicClient({ chain, transport: http(url, { retryCount: 1, batch: true }) });
      const hub = getAddress(deployment.guardian.hub);
      const safe = getAddress(deployment.guardian.safe);
      const key = config.secrets.sentinelKey?.reveal() as Hex | undefined;
      const sentinel: Address | undefined = key ? privateKeyToAccount(key).address : deployment.roles.sentinels[0] ? getAddress(deployment.roles.sentinels[0]) : undefined;

      const block = await client.getBlock();
      const at = { blockNumber: block.number };
      const read = <T>(address: Address, functionName: string, a: unknown[] = []) => client.readContract({ address, abi, functionName, args: a, ...at } as any) as Promise<T>;
      const [safeRole, owners, threshold, nonce, fees] = await Promise.all([
        read<boolean>(hub, "hasRole", [GUARDIAN_ROLE, safe]),
        read<readonly Address[]>(safe, "getOwners"),
        read<bigint>(safe, "getThreshold"),
        read<bigint>(safe, "nonce"),
        currentFees(client as any, { cap: BigInt(Math.round(config.pause.maxFeeGwei * 1e9)) }),
      ]);
      const facts: ReadinessFacts = {
        block: Number(block.number),
        chainTime: Number(block.timestamp),
        pauseCostWei: SENTINEL_PAUSE_GAS * feeCeiling(fees),
        safe: { address: safe, hasRole: safeRole, owners: owners.map((o) => getAddress(o)), threshold: Number(threshold), nonce: Number(nonce) },
      };
      if (sentinel) {
        const [hasRole, balanceWei, lastHeartbeat] = await Promise.all([
          read<boolean>(hub, "hasRole", [SENTINEL_ROLE, sentinel]),
          client.getBalance({ address: sentinel, ...at }),
          read<bigint>(hub, "lastHeartbeat", [sentinel]),
        ]);
        facts.sentinel = { address: sentinel, hasRole, balanceWei, lastHeartbeat: Number(lastHeartbeat) };
      }
      const presignedPaths = args.presigned?.length ? args.presigned.map((p) => path.resolve(ctx.cwd, p)) : [...config.safe.presigned];
      if (presignedPaths.length) {
        facts.presigned = await presignedFacts(presignedPaths, safe, config.chainId, { nonce: Number(nonce), owners: facts.safe.owners, threshold: facts.safe.threshold });
      }
      if (config.safe.liveness) {
        const o = livenessOptions(config);
        const tracker = new LivenessTracker({ safe, chainId: config.chainId, attestations: o.attestations, lookbackBlocks: o.lookbackBlocks, maxLogRange: o.maxLogRange });
        const { latest } = await tracker.update((method, params) => client.request({ method: method as never, params: params as never }), Number(block.number));
        const maxAge = o.maxAgeDays * 86_400;
        facts.liveSigners = { maxAgeDays: o.maxAgeDays, live: facts.safe.owners.filter((ow) => { const p = latest.get(ow); return p !== undefined && facts.chainTime - p.time <= maxAge; }) };
      }
      if (args.drillReport) facts.drill = drillFacts(path.resolve(ctx.cwd, args.drillReport), ctx.clock());
      const paThresholds = (config.detectors["pause-ability"] ?? {}) as { heartbeatMaxAgeSeconds?: number };
      const r = judgeReadiness(facts, { pauses: args.pauses, heartbeatMaxAgeSeconds: paThresholds.heartbeatMaxAgeSeconds ?? PAUSE_ABILITY_DEFAULTS.heartbeatMaxAgeSeconds });
      ctx.stdout(args.json ? JSON.stringify(r, null, 2) + "\n" : render(r));
      if (!r.ready) throw new NotReadyError("no pause path is ready");
    });
}

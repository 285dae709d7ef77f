/**
 * Probes end to end: `guardian run`'s daemon (in process) on Hardhat's EDR
 * with the real kit and Guardian, probing through a real Alto only (no node
 * simulation), a round every 2 blocks at 500 ms blocks. What users see, as
 * incidents, with nothing on chain:
 *
 * - 100 healthy blocks: no probe incident;
 * - Guardian's own pause of the factory: refused probes are the breaker
 *   working, no incident; the layer shows paused;
 * - the factory made to refuse (the account implementation's code gone: a
 *   broken factory configuration): an account-creation incident within
 *   2 × everyBlocks blocks of the first refused probe, its cause AA13 decoded,
 *   no transaction to the EntryPoint or the factory in those blocks;
 * - the paymaster's deposit below what an operation needs: the sponsored
 *   operation's incident, AA31;
 * - `guardian probe --json` reports each journey through the bundler;
 * - the bundler stopped: "bundler unavailable" (High, no layers), nothing
 *   paused; started again on its port: it resolves by itself.
 *
 * Auto-pause is off here: the symptoms above would otherwise be paused, and
 * the point is what the probes see. Every wait is for a state, by blocks,
 * with a generous deadline.
 */
import path from "node:path";
import pino from "pino";
import { encodeFunctionData, parseAbi, type Address, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../daemon/src/config/index.js";
import { safeCall } from "../../daemon/src/deploy/local.js";
import { startDaemon, type RunningDaemon } from "../../daemon/src/runtime/daemon.js";
import { LAYER_ID, type Incident, type ProbeResult } from "../../daemon/src/types.js";
import { main } from "../../daemon/src/cli.js";
import { ensureDeterministicDeployer, startAlto, type AltoBundler } from "../../scripts/lib/bundler.js";
import { devKey, startStack, type StackEnv } from "../daemon/helpers/stack.js";
import { probeCounts, untilBlocks, writeProbeConfig } from "./helpers.js";

const BLOCK_MS = 500;
const EVERY_BLOCKS = 2;
const ZERO32 = `0x${"00".repeat(32)}` as Hex;
const hubAbi = parseAbi(["function pause(uint8[] layers, bytes32 incident)", "function unpause(uint8[] layers, bytes32 incident)", "function isPaused(uint8 layer) view returns (bool)"]);

let s: StackEnv;
let alto: AltoBundler;
let daemon: RunningDaemon;

const head = async () => Number(await s.client.getBlockNumber({ cacheTime: 0 }));
const incidents = (): Incident[] => Object.values(daemon.store.read().incidents);
const probeIncidents = () => incidents().filter((i) => i.source === "probes");

const until = <T>(what: string, pick: () => T | undefined | Promise<T | undefined>) => untilBlocks(s, what, pick);

/** Waits until the daemon has processed `n` more blocks (and so run ~n/EVERY_BLOCKS probe rounds). */
async function blocksProcessed(n: number) {
  const target = (await head()) + n;
  await until(`the daemon at block ${target}`, () => ((daemon.store.read().chain.ring.at(-1)?.number ?? 0) >= target ? true : undefined));
}

async function hub(functionName: "pause" | "unpause", layer: number) {
  const data = encodeFunctionData({ abi: hubAbi, functionName, args: [[layer], ZERO32] });
  await s.client.waitForTransactionReceipt({ hash: await safeCall(s.client as never, s.deployment.guardian.safe, s.deployment.guardian.hub, data, [s.wallets.owner1, s.wallets.owner2]) });
}

/** Transactions of blocks from..to sent to any of `to`. */
async function txsTo(from: number, to: number, targets: Address[]) {
  const lower = new Set(targets.map((a) => a.toLowerCase()));
  const out: Hex[] = [];
  for (let n = from; n <= to; n++) {
    const block = await s.client.getBlock({ blockNumber: BigInt(n), includeTransactions: true });
    for (const tx of block.transactions) if (tx.to && lower.has(tx.to.toLowerCase())) out.push(tx.hash);
  }
  return out;
}

beforeAll(async () => {
  s = await startStack({ blockTimeMs: BLOCK_MS });
  await ensureDeterministicDeployer(s.chain.url);
  alto = await startAlto({ rpcUrl: s.chain.url, entryPoint: s.deployment.kit.EntryPoint, blockTimeMs: BLOCK_MS });
  const file = writeProbeConfig(s, "probes", { blockTimeMs: BLOCK_MS, probes: { everyBlocks: EVERY_BLOCKS, timeoutMs: 30_000, simulate: false } });
  const config = loadConfig({ file, env: { ...s.env, GUARDIAN_BUNDLER_ALTO: alto.url, GUARDIAN_PROBE_SPONSOR_KEY: devKey("sponsor") }, cwd: s.dir });
  daemon = await startDaemon({ config, publishIntervalSeconds: 3600, heartbeatIntervalSeconds: 0, pauseAbilityIntervalSeconds: 3600, logger: pino({ level: "silent" }) });
  await s.intervalMining(BLOCK_MS);
}, 240_000);

afterAll(async () => {
  await daemon?.stop();
  await alto?.stop();
  await s?.chain.stop();
});

describe("probes through a real bundler", () => {
  it("100 healthy blocks raise no probe incident", async () => {
    await blocksProcessed(100);
    expect(probeIncidents().map((i) => i.key)).toEqual([]);
    // The probes really ran through the bundler, and passed.
    const counts = await probeCounts(daemon);
    for (const journey of ["bundler", "account-creation", "sponsored-operation", "delegation-redemption"]) expect(counts[`${journey} alto ok`], JSON.stringify(counts)).toBeGreaterThanOrEqual(10);
    expect(Object.keys(counts).filter((k) => !k.endsWith(" ok"))).toEqual([]);
  });

  it("Guardian's own pause of the factory is the breaker working: no incident, the layer paused", async () => {
    await hub("pause", LAYER_ID.accountFactory);
    try {
      await blocksProcessed(EVERY_BLOCKS * 5);
      expect(probeIncidents().map((i) => i.key)).toEqual([]);
      expect(await s.client.readContract({ address: s.deployment.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [LAYER_ID.accountFactory] })).toBe(true);
    } finally {
      await hub("unpause", LAYER_ID.accountFactory);
    }
    await blocksProcessed(EVERY_BLOCKS * 2);
  });

  it("a factory that refuses (the account implementation gone): an account-creation incident, AA13, within 2 × everyBlocks, nothing on chain", async () => {
    const impl = (s.deployment.kit as unknown as { implementations: Record<string, Address> }).implementations.HybridDeleGatorImpl!;
    const code = await s.client.getCode({ address: impl });
    const from = await head();
    await s.rpc("hardhat_setCode", [impl, "0x"]);
    try {
      const incident = await until("the account-creation incident", () => incidents().find((i) => i.key === "account-creation:failing" && i.state !== "recovered"));
      const findings = daemon.store.read().findings.filter((f) => f.incidentId === incident.id && f.detector === "probes");
      expect(findings[0]!.summary).toMatch(/AA13/);
      expect(findings[0]!.layers).toEqual(["accountFactory"]);
      // The incident opens at the second refused round: K = 2 rounds, everyBlocks apart (a busy host may stretch a round by a block or two).
      const since = Number(findings[0]!.evidence!.values.since);
      expect(since).toBeGreaterThan(from);
      expect(findings[0]!.evidence!.blockNumber - since).toBeLessThanOrEqual(2 * EVERY_BLOCKS);
      const to = await head();
      expect(await txsTo(from + 1, to, [s.deployment.kit.EntryPoint, s.deployment.guardian.accountFactory])).toEqual([]);
    } finally {
      await s.rpc("hardhat_setCode", [impl, code]);
    }
    await until("account creation recovered", () => incidents().find((i) => i.key === "account-creation:failing" && i.state === "recovered"));
  });

  it("the paymaster's deposit below what an operation needs: the sponsored operation's incident, AA31", async () => {
    const epAbi = parseAbi(["function balanceOf(address) view returns (uint256)"]);
    const pmAbi = parseAbi(["function withdrawTo(address withdrawAddress, uint256 amount)"]);
    const deposit = await s.client.readContract({ address: s.deployment.kit.EntryPoint, abi: epAbi, functionName: "balanceOf", args: [s.deployment.guardian.paymaster] });
    const hash = await s.wallets.deployer.writeContract({ address: s.deployment.guardian.paymaster, abi: pmAbi, functionName: "withdrawTo", args: [s.wallets.deployer.account.address, deposit - 1000n] });
    await s.client.waitForTransactionReceipt({ hash });
    const incident = await until("the sponsored-operation incident", () => incidents().find((i) => i.key === "user-operations:failing" && i.source === "probes"));
    const finding = daemon.store.read().findings.find((f) => f.incidentId === incident.id && f.detector === "probes")!;
    expect(finding.summary).toMatch(/AA31/);
    expect(finding.layers).toEqual(["entryPoint"]);
  });

  it("guardian probe --json through the bundler: every journey via alto, and the bundler's own check", async () => {
    let out = "";
    let err = "";
    const env = { ...s.env, GUARDIAN_BUNDLER_ALTO: alto.url, GUARDIAN_PROBE_SPONSOR_KEY: devKey("sponsor"), GUARDIAN_DATA_DIR: path.join(s.dir, "data-cli") };
    const code = await main(["--config", path.join(s.dir, "probes.json"), "probe", "--json"], { env, cwd: s.dir, stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
    const results = (JSON.parse(out) as { results: ProbeResult[] }).results;
    // The deposit was drained by the test before: the sponsored operation is refused with AA31, the rest pass.
    expect(results.filter((r) => r.via === "alto").map((r) => [r.journey, r.outcome, r.aaCode ?? ""]).sort()).toEqual([
      ["account-creation", "ok", ""],
      ["bundler", "ok", ""],
      ["delegation-redemption", "ok", ""],
      ["sponsored-operation", "failed", "AA31"],
    ]);
    expect(code, err).toBe(1);
    expect(out + err).not.toContain(alto.url); // the bundler is named, its URL (it may carry a key) never shown
  });

  it("the bundler stopped: 'bundler unavailable' with no layers, nothing paused; started again, it resolves by itself", async () => {
    const port = alto.port;
    await alto.stop();
    const down = await until("the bundler incident", () => incidents().find((i) => i.key === "probes:bundler:alto"));
    expect(down.severity).toBe("high");
    expect(down.affected.layers).toEqual([]);
    for (const layer of [0, 1, 2]) expect(await s.client.readContract({ address: s.deployment.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [layer] })).toBe(false);
    alto = await startAlto({ rpcUrl: s.chain.url, entryPoint: s.deployment.kit.EntryPoint, blockTimeMs: BLOCK_MS, port });
    await until("the bundler incident resolved", () => incidents().find((i) => i.key === "probes:bundler:alto" && i.state === "recovered"));
  });
});

/**
 * The canary (probes.canary) on Hardhat's EDR with the real kit and a real
 * Alto: the daemon creates real accounts through the bundler with the
 * funded canary key, each included within a few blocks (a passing
 * account-creation result through "canary:alto" with its blocks and time),
 * paid by the canary key (or sponsored by Guardian's paymaster when the
 * probe sponsor key is set); with the account implementation gone the
 * canary's creation is refused and counts as account creation failing. A
 * canary asked for without its key is refused at start, naming the variable.
 */
import path from "node:path";
import pino from "pino";
import { formatEther, parseAbi, toHex, type Address } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../daemon/src/config/index.js";
import { startDaemon, type RunningDaemon } from "../../daemon/src/runtime/daemon.js";
import { ensureDeterministicDeployer, startAlto, type AltoBundler } from "../../scripts/lib/bundler.js";
import { DEV_MNEMONIC } from "../../scripts/lib/local-chain.js";
import { devKey, startStack, type StackEnv } from "../daemon/helpers/stack.js";
import { probeCounts, untilBlocks, writeProbeConfig } from "./helpers.js";

const BLOCK_MS = 500;
/** The canary's key: a funded dev account no role uses (roles 0..9, the bench 10, Alto 18/19). */
const CANARY_INDEX = 12;

let s: StackEnv;
let alto: AltoBundler;
let daemon: RunningDaemon;
let canary: Address;
let file: string;
let env: Record<string, string>;

/** The canary's results by outcome, from /metrics. */
async function canaryMetrics(d: RunningDaemon = daemon): Promise<Record<string, number>> {
  const counts = await probeCounts(d);
  return Object.fromEntries(Object.entries(counts).flatMap(([k, n]) => (k.startsWith("account-creation canary:alto ") ? [[k.split(" ")[2]!, n]] : [])));
}

const until = <T>(what: string, pick: () => Promise<T | undefined>) => untilBlocks(s, what, pick);

beforeAll(async () => {
  s = await startStack({ blockTimeMs: BLOCK_MS });
  await ensureDeterministicDeployer(s.chain.url);
  alto = await startAlto({ rpcUrl: s.chain.url, entryPoint: s.deployment.kit.EntryPoint, blockTimeMs: BLOCK_MS });
  const key = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: CANARY_INDEX });
  canary = key.address;
  await s.rpc("hardhat_setBalance", [canary, "0x56BC75E2D63100000"]); // 100 ETH
  // Probes rarely (the canary is what is tested), the canary every 3 s.
  file = writeProbeConfig(s, "canary", { blockTimeMs: BLOCK_MS, probes: { everyBlocks: 1000, simulate: false, canary: { everyMinutes: 0.05, timeoutBlocks: 60 } } });
  env = { ...s.env, GUARDIAN_BUNDLER_ALTO: alto.url, GUARDIAN_CANARY_KEY: toHex(key.getHdKey().privateKey!) };
  await s.intervalMining(BLOCK_MS);
  daemon = await startDaemon({ config: loadConfig({ file, env, cwd: s.dir }), publishIntervalSeconds: 3600, heartbeatIntervalSeconds: 0, pauseAbilityIntervalSeconds: 3600, logger: process.env.CANARY_LOG ? pino({ level: "info" }, pino.destination(process.env.CANARY_LOG)) : pino({ level: "silent" }) });
}, 240_000);

afterAll(async () => {
  await daemon?.stop();
  await alto?.stop();
  await s?.chain.stop();
});

describe("the canary", () => {
  it("creates real accounts through the bundler, included within a few blocks, paid by the canary key", async () => {
    const before = await s.client.getBalance({ address: canary });
    await until("two canary creations included", async () => ((await canaryMetrics()).ok ?? 0) >= 2 ? true : undefined);
    expect(await canaryMetrics()).toEqual({ ok: expect.any(Number) }); // nothing failed or timed out
    // Accounts really exist on chain: AccountDeployed events of the EntryPoint since the daemon started.
    const deployed = await s.client.getLogs({ address: s.deployment.kit.EntryPoint, event: { type: "event", name: "AccountDeployed", inputs: [{ name: "userOpHash", type: "bytes32", indexed: true }, { name: "sender", type: "address", indexed: true }, { name: "factory", type: "address", indexed: false }, { name: "paymaster", type: "address", indexed: false }] }, fromBlock: 0n });
    expect(deployed.length).toBeGreaterThanOrEqual(2);
    const spent = before - (await s.client.getBalance({ address: canary }));
    expect(spent).toBeGreaterThan(0n);
    console.log(`canary: ${deployed.length} accounts created, ${formatEther(spent)} ETH spent by the canary key (prefunds included)`);
    expect(Object.values(daemon.store.read().incidents).filter((i) => i.source === "probes")).toEqual([]);
  });

  it("a canary whose creation is refused counts as account creation failing", async () => {
    const impl = (s.deployment.kit as unknown as { implementations: Record<string, Address> }).implementations.HybridDeleGatorImpl!;
    const code = await s.client.getCode({ address: impl });
    await s.rpc("hardhat_setCode", [impl, "0x"]);
    try {
      const incident = await until("the account-creation incident", async () => Object.values(daemon.store.read().incidents).find((i) => i.key === "account-creation:failing" && i.source === "probes"));
      expect(incident.severity).toBe("high");
      expect((await canaryMetrics()).failed ?? 0).toBeGreaterThanOrEqual(2);
    } finally {
      await s.rpc("hardhat_setCode", [impl, code]);
    }
  });

  it("sponsored by Guardian's paymaster when the probe sponsor key is set: the canary key pays nothing", async () => {
    const sponsored = await startDaemon({
      config: loadConfig({ file, env: { ...env, GUARDIAN_PROBE_SPONSOR_KEY: devKey("sponsor"), GUARDIAN_DATA_DIR: path.join(s.dir, "data-sponsored") }, cwd: s.dir }),
      publishIntervalSeconds: 3600,
      heartbeatIntervalSeconds: 0,
      pauseAbilityIntervalSeconds: 3600,
      logger: pino({ level: "silent" }),
    });
    try {
      await daemon.stop(); // one canary at a time: the first daemon's would spend the canary key
      const before = await s.client.getBalance({ address: canary });
      const deposit = () => s.client.readContract({ address: s.deployment.kit.EntryPoint, abi: parseAbi(["function balanceOf(address) view returns (uint256)"]), functionName: "balanceOf", args: [s.deployment.guardian.paymaster] });
      const depositBefore = await deposit();
      await until("a sponsored canary creation included", async () => (((await canaryMetrics(sponsored)).ok ?? 0) >= 1 ? true : undefined));
      expect(await s.client.getBalance({ address: canary })).toBe(before);
      expect(await deposit()).toBeLessThan(depositBefore);
    } finally {
      await sponsored.stop();
    }
  });

  it("asked for without its key: refused at start, naming the variable", async () => {
    const { GUARDIAN_CANARY_KEY: _omit, ...noKey } = env;
    await expect(startDaemon({ config: loadConfig({ file, env: { ...noKey, GUARDIAN_DATA_DIR: path.join(s.dir, "data-nokey") }, cwd: s.dir }), logger: pino({ level: "silent" }) })).rejects.toThrow(/GUARDIAN_CANARY_KEY/);
  });
});

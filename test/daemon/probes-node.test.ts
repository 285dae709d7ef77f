/**
 * The probe runner simulating user journeys on the node (no bundler), on
 * Hardhat's EDR with the real kit and Guardian: every journey passes on a
 * healthy stack; with a layer paused through the guardian Safe the journey
 * behind it is refused with the cause decoded (the factory: AA13; the
 * paymaster: AA33 with `GuardedPaymasterPaused`; the DelegationManager:
 * `EnforcedPause`) and the others still pass; nothing is ever sent (the
 * chain does not move while probing). `guardian probe` prints the same,
 * exit 0 when all pass, 1 when any fails, 2 on bad usage. A round asks the
 * node only what it must (counted at a proxy): never whether a probe account
 * is deployed (it is counterfactual by construction).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { encodeFunctionData, parseAbi, type Hex } from "viem";
import { RpcPool } from "../../daemon/src/chain/index.js";
import { main } from "../../daemon/src/cli.js";
import { safeCall } from "../../daemon/src/deploy/local.js";
import { ProbeRunner } from "../../daemon/src/probes/runner.js";
import { LAYER_ID, type ProbeResult } from "../../daemon/src/types.js";
import { startRpcProxy } from "./helpers/rpc-proxy.js";
import { devKey, startStack, type StackEnv } from "./helpers/stack.js";

const hubAbi = parseAbi(["function pause(uint8[] layers, bytes32 incident)", "function unpause(uint8[] layers, bytes32 incident)"]);
const ZERO32 = `0x${"00".repeat(32)}` as Hex;

let s: StackEnv;
let runner: ProbeRunner;

beforeAll(async () => {
  s = await startStack();
  const pool = new RpcPool({ endpoints: [s.chain.url], chainId: s.deployment.chainId, timeoutMs: 10_000 });
  await pool.init();
  runner = new ProbeRunner({ chainId: s.deployment.chainId, deployment: s.deployment, pool, bundlers: [], sponsorKey: devKey("sponsor"), timeoutMs: 30_000, simulate: true });
}, 120_000);

afterAll(async () => {
  await s?.chain.stop();
});

async function hub(functionName: "pause" | "unpause", layer: number) {
  const data = encodeFunctionData({ abi: hubAbi, functionName, args: [[layer], ZERO32] });
  await s.client.waitForTransactionReceipt({ hash: await safeCall(s.client as never, s.deployment.guardian.safe, s.deployment.guardian.hub, data, [s.wallets.owner1, s.wallets.owner2]) });
}

async function round(): Promise<ProbeResult[]> {
  const head = Number(await s.client.getBlockNumber({ cacheTime: 0 }));
  const results = await runner.run({ block: head });
  expect(Number(await s.client.getBlockNumber({ cacheTime: 0 }))).toBe(head); // nothing sent
  return results;
}

const byJourney = (results: ProbeResult[]) => Object.fromEntries(results.map((r) => [r.journey, r]));

describe("probes simulated on the node", () => {
  it("every journey passes on a healthy stack", async () => {
    const r = byJourney(await round());
    expect(Object.keys(r).sort()).toEqual(["account-creation", "delegation-redemption", "sponsored-operation"]);
    for (const result of Object.values(r)) expect(result, JSON.stringify(result)).toMatchObject({ via: "node", outcome: "ok" });
  });

  it("the accountFactory layer paused: account creation refused with AA13, the other journeys' own parts pass", async () => {
    await hub("pause", LAYER_ID.accountFactory);
    try {
      const r = byJourney(await round());
      expect(r["account-creation"]).toMatchObject({ outcome: "failed", causeKind: "stack", aaCode: "AA13" });
    } finally {
      await hub("unpause", LAYER_ID.accountFactory);
    }
    expect(byJourney(await round())["account-creation"]!.outcome).toBe("ok");
  });

  it("the entryPoint layer paused: the sponsored operation refused with AA33 and GuardedPaymasterPaused decoded; creation still passes", async () => {
    await hub("pause", LAYER_ID.entryPoint);
    try {
      const r = byJourney(await round());
      expect(r["sponsored-operation"]).toMatchObject({ outcome: "failed", causeKind: "stack", aaCode: "AA33", error: "GuardedPaymasterPaused" });
      expect(r["account-creation"]!.outcome).toBe("ok");
    } finally {
      await hub("unpause", LAYER_ID.entryPoint);
    }
  });

  it("the delegation layer paused: the redemption refused with EnforcedPause; the others pass", async () => {
    await hub("pause", LAYER_ID.delegation);
    try {
      const r = byJourney(await round());
      expect(r["delegation-redemption"]).toMatchObject({ outcome: "failed", causeKind: "stack", error: "EnforcedPause" });
      expect(r["account-creation"]!.outcome).toBe("ok");
      expect(r["sponsored-operation"]!.outcome).toBe("ok");
    } finally {
      await hub("unpause", LAYER_ID.delegation);
    }
  });
});

describe("what a round asks the node", () => {
  it("one block for the fees, the paymaster's hash, then the DelegationManager's paused() and one handleOps per journey in one batch; no eth_getCode", async () => {
    const proxy = await startRpcProxy({ target: s.chain.url });
    try {
      const pool = new RpcPool({ endpoints: [proxy.url], chainId: s.deployment.chainId, timeoutMs: 10_000 });
      await pool.init();
      const counted = new ProbeRunner({ chainId: s.deployment.chainId, deployment: s.deployment, pool, bundlers: [], sponsorKey: devKey("sponsor"), timeoutMs: 30_000, simulate: true });
      const head = Number(await s.client.getBlockNumber({ cacheTime: 0 }));
      proxy.resetCounts();
      const results = await counted.run({ block: head });
      for (const r of results) expect(r, JSON.stringify(r)).toMatchObject({ outcome: "ok" });
      expect(Object.fromEntries(proxy.counts)).toEqual({ eth_getBlockByNumber: 1, eth_call: 5 });
      // In HTTP requests: the fees' block, the paymaster's hash, and every simulation in one batch.
      expect(proxy.requests.total).toBe(3);
    } finally {
      await proxy.close();
    }
  });
});

describe("guardian probe", () => {
  const cli = async (args: string[]) => {
    let out = "";
    let err = "";
    const code = await main(args, { env: { ...s.env, GUARDIAN_PROBE_SPONSOR_KEY: devKey("sponsor") }, cwd: s.dir, stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
    return { code, out, err };
  };

  it("exit 0 with every journey's result; 1 with the refused one named; 2 on bad usage", async () => {
    const ok = await cli(["probe", "--json"]);
    expect(ok.code, ok.err).toBe(0);
    const json = JSON.parse(ok.out) as { chainId: number; results: ProbeResult[] };
    expect(json.chainId).toBe(s.deployment.chainId);
    expect(json.results.map((r) => [r.journey, r.outcome]).sort()).toEqual([
      ["account-creation", "ok"],
      ["delegation-redemption", "ok"],
      ["sponsored-operation", "ok"],
    ]);

    await hub("pause", LAYER_ID.delegation);
    try {
      const failed = await cli(["probe"]);
      expect(failed.code).toBe(1);
      expect(failed.out).toMatch(/FAIL\s+delegation-redemption\s+via node .*EnforcedPause/);
      expect(failed.out).toMatch(/ok\s+account-creation/);
      expect(failed.err).toMatch(/1 of 3 probes failed/);
    } finally {
      await hub("unpause", LAYER_ID.delegation);
    }
    expect((await cli(["probe", "--jsn"])).code).toBe(2);
    // A bundler named in the file without its URL in env: refused, naming the variable (other commands still work).
    const file = path.join(s.dir, "with-bundler.json");
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(s.configFile, "utf8")), bundlers: [{ name: "alto" }] }));
    const missing = await cli(["--config", file, "probe"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/GUARDIAN_BUNDLER_ALTO/);
    expect((await cli(["--config", file, "incident", "list"])).code).toBe(0);
  });
});

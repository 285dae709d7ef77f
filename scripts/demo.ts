/**
 * `npm run demo`: Guardian end to end on a local chain.
 *
 *   1. start `hardhat node` on a free loopback port (1 s blocks, like a
 *      chain that never stops) and deploy the Smart Accounts Kit, Guardian's
 *      hub and guarded layers, and a 2-of-3 guardian Safe;
 *   2. start the daemon (`guardian run`, a child process) with the sentinel key;
 *   3. healthy traffic through a real ERC-4337 bundler (Pimlico's Alto, on
 *      loopback), as users' wallets send it: an account created through the
 *      guarded factory with a sponsored user operation, a second sponsored
 *      operation; a delegation redeemed;
 *   4. the on-call engineer triggers an incident from the CLI and moves it
 *      through its states while the daemon runs (writes go through the
 *      daemon's admin endpoint); `guardian readiness` says which pause
 *      paths are ready, and `guardian drill` exercises every one on a fork
 *      of the chain (nothing sent to the chain itself);
 *   5. the guardian Safe pauses all three layers by hand (`guardian safe
 *      propose`, two owners `sign`, `exec`); each path stops with its own
 *      error; the Safe unpauses and each path works again;
 *   6. what only users see: the factory breaks, the bundler refuses every
 *      account creation and nothing reaches the chain; the daemon's probes
 *      (synthetic journeys through the bundler, never sent) open the
 *      incident, and it resolves once the factory works again;
 *   7. symptoms injected on the real contracts (failing user operations,
 *      delegations and account creations, a gas spike, a drained paymaster
 *      deposit, value drained through delegations, an unauthorized ownership
 *      transfer and role grant): the daemon opens one incident each with the
 *      response plan's severity, and the circuit breaker pauses the layers
 *      of the Critical ones through the sentinel; the Safe unpauses after
 *      the fix; the post-mortem draft and the public notification are written.
 *      Pre-emption is on: the drain's redemption that would cross the limit is
 *      judged while still in the pool and paused in its own block; the demo
 *      prints what became of each attack judged that way;
 *   8. the Security Lead approves the public disclosure of the first
 *      Critical (security) incident; a maintenance of the RPC is
 *      announced, started and completed; the status site is built from what
 *      the daemon published;
 *   9. a summary. The chain, the bundler and the daemon are stopped whatever happens.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { formatEther, parseAbi, parseEther, toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { DelegationManager as delegationManagerAbi } from "@metamask/delegation-abis";
import { startLocalChain, devClients, DEV_MNEMONIC } from "./lib/local-chain.js";
import { deployLocalStack, roleWallets, ROLE_INDEX, type RoleName } from "../daemon/src/deploy/local.js";
import { runScenario, type ScenarioName } from "./lib/scenarios.js";
import { incidentSettled, waitForState } from "./lib/wait.js";
import { smartAccount, buildUserOp, delegateNative, redeemCalldata, simulateHandleOps, simulateCall, sendThroughBundler, BundlerRefusedError, type Refusal, type SendOpOptions } from "./lib/traffic.js";
import { ensureDeterministicDeployer, startAlto, type AltoBundler } from "./lib/bundler.js";
import { createBundlerClient } from "../daemon/src/bundler/client.js";
import { guardianArtifact, PROJECT_ROOT } from "../daemon/src/deploy/artifacts.js";
import { writeDeployment } from "../daemon/src/deploy/deployments.js";
import { main as guardian } from "../daemon/src/cli.js";
import { readStoreSnapshot, type StoreData } from "../daemon/src/store/index.js";
import type { Incident } from "../daemon/src/types.js";
import { incidentClass } from "../daemon/src/incidents/index.js";

const started = Date.now();
const lines: string[] = [];
const step = (s: string) => console.log(`\n== ${s}`);
const info = (s: string) => console.log(`   ${s}`);
const summary = (s: string) => lines.push(s);
const refusalText = (r: Refusal | undefined) => (r ? [r.error, r.reason && `"${r.reason}"`, r.inner && `→ ${r.inner}`].filter(Boolean).join(" ") : "accepted");
const keyOf = (role: RoleName) => toHex(mnemonicToAccount(DEV_MNEMONIC, { addressIndex: ROLE_INDEX[role] }).getHdKey().privateKey!);
/**
 * Blocks the daemon may process, past the chain's head at the moment it had
 * processed a symptom's last block, before the demo calls the symptom missed.
 * Counted in blocks, so a loaded machine (a slower daemon) moves the deadline
 * with it; wall time is only the safety net of waitForState.
 */
const SETTLE_BLOCKS = 30;

const workDir = path.join(PROJECT_ROOT, ".guardian", "demo");
const dataDir = path.join(workDir, "data");
const siteDir = path.join(PROJECT_ROOT, "site", "dist");
rmSync(workDir, { recursive: true, force: true }); // a fresh chain needs a fresh store
mkdirSync(workDir, { recursive: true });

const chain = await startLocalChain({ startTimeoutMs: 5 * 60_000 });
let daemon: ChildProcess | undefined;
let alto: AltoBundler | undefined;
const daemonLog = path.join(workDir, "daemon.log");
const stopAll = async () => {
  await alto?.stop();
  if (daemon && daemon.exitCode === null) {
    const exited = new Promise((r) => daemon!.once("exit", r));
    daemon.kill("SIGTERM");
    const timer = setTimeout(() => daemon!.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
  await chain.stop();
};
process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));

/** Who approves public statements about security incidents in the demo (config roles.securityLead). */
const SECURITY_LEAD = "security-lead-demo";

/** Runs a `guardian` command in this process, as the on-call engineer would type it. */
async function cli(args: string[], env: Record<string, string> = {}) {
  let out = "";
  let err = "";
  const code = await guardian(["--config", path.join(workDir, "guardian.json"), ...args], {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    env: { GUARDIAN_DATA_DIR: dataDir, ...env },
    cwd: workDir,
    lockWaitMs: 3000,
  });
  if (code !== 0) throw new Error(`guardian ${args.join(" ")} exited ${code}: ${err.trim()}`);
  return out.trim();
}

/** The last block the daemon processed (committed to its store). */
const processedHead = (store: Readonly<StoreData> | undefined) => store?.chain.ring.at(-1)?.number;
/** Why waiting for the daemon is pointless: it exited. */
const daemonGone = () => (daemon && (daemon.exitCode !== null || daemon.signalCode !== null) ? `the daemon exited (${daemon.exitCode ?? daemon.signalCode})` : undefined);
const incidentOf = async (id: string): Promise<Incident | undefined> => (await readStoreSnapshot(dataDir))?.incidents[id];

try {
  step(`local chain ${chain.chain.id} at ${chain.url} (hardhat node, pid ${chain.child.pid})`);
  // The node answers every request, only slower when the machine is loaded: a request's timeout is a safety net, not a deadline.
  const { client, wallets } = devClients(chain.chain, chain.url, 10, { timeoutMs: 5 * 60_000 });
  const w = roleWallets(wallets as any);
  const hubAbi = guardianArtifact("GuardianHub").abi;
  const pmAbi = guardianArtifact("GuardedPaymaster").abi;
  const facAbi = guardianArtifact("GuardedAccountFactory").abi;
  const isPaused = (layer: number) => client.readContract({ address: d.guardian.hub, abi: parseAbi(["function isPaused(uint8) view returns (bool)"]), functionName: "isPaused", args: [layer] });

  step("deploy: kit, GuardianHub, guarded paymaster and factory, guardian Safe");
  const d = await deployLocalStack(client as any, w, { log: info });
  writeDeployment(path.join(PROJECT_ROOT, "deployments"), d);
  writeDeployment(path.join(workDir, "deployments"), d);
  info(`addresses written to deployments/${d.chainId}.json`);
  step("start the bundler: Pimlico's Alto on loopback, serving the kit's EntryPoint");
  await ensureDeterministicDeployer(chain.url);
  alto = await startAlto({ rpcUrl: chain.url, entryPoint: d.kit.EntryPoint, blockTimeMs: 1000 });
  const bundler = createBundlerClient({ url: alto.url, timeoutMs: 60_000 });
  info(`Alto ${alto.url} (pid ${alto.pid}); wallets send user operations here, never to handleOps themselves`);
  writeFileSync(
    path.join(workDir, "guardian.json"),
    JSON.stringify(
      {
        preset: "local",
        blockTimeMs: 1000,
        // The node's WebSocket (same port): new heads, and the pending transactions pre-emption judges.
        rpc: { endpoints: [{ name: "local", http: chain.url, ws: chain.url.replace(/^http/, "ws") }] },
        deploymentsFile: `deployments/${d.chainId}.json`,
        metrics: { port: 0 },
        // Pre-emption: a drain seen in the pool is paused before it is mined (README, "Pre-emption").
        // The delegate that redeems in the healthy traffic is the dapp's own: known, so its redemptions are judged by the
        // outflow limit (10 ETH within 100 blocks), not as a stranger's large redemption.
        preempt: { enabled: true, knownDelegates: [w.delegate.account.address] },
        // Probes through the bundler (its URL: env GUARDIAN_BUNDLER_ALTO), a round every 2 blocks.
        bundlers: [{ name: "alto" }],
        probes: { everyBlocks: 2 },
        // The response plan's roles: only the Security Lead or the CTO may approve a security incident's public disclosure.
        roles: {
          onCall: { primary: { name: "oncall-demo", channel: "log" } },
          securityLead: { primary: { name: SECURITY_LEAD, channel: "log" } },
          cto: { primary: { name: "cto-demo", channel: "log" } },
        },
        site: { name: "Smart accounts (Guardian demo)" },
      },
      null,
      2,
    ),
  );
  await client.request({ method: "evm_setIntervalMining" as never, params: [1000] as never });

  /** Through the bundler as a wallet does (estimate, sign, eth_sendUserOperation), then its receipt by eth_getUserOperationReceipt. */
  const userOp = async (account: Awaited<ReturnType<typeof smartAccount>>, opts: SendOpOptions) => {
    const hash = await sendThroughBundler(client as any, d, bundler as any, account, opts);
    const from = Number(await client.getBlockNumber({ cacheTime: 0 }));
    return waitForState({
      what: `the receipt of user operation ${hash.slice(0, 10)}`,
      deadlineBlock: from + SETTLE_BLOCKS,
      probe: async () => {
        const [r, at] = await Promise.all([bundler.getUserOperationReceipt(hash), client.getBlockNumber({ cacheTime: 0 })]);
        return { atBlock: Number(at), seen: r.ok ? (r.value ? "receipt" : "no receipt yet") : r.error.message, ...(r.ok && r.value ? { value: r.value.success ? ("success" as const) : ("reverted" as const) } : {}) };
      },
    });
  };
  const startHead = Number(await client.getBlockNumber({ cacheTime: 0 }));

  step("start the daemon: guardian run (sentinel key from env)");
  daemon = spawn(process.execPath, [path.join(PROJECT_ROOT, "bin", "guardian.mjs"), "--config", path.join(workDir, "guardian.json"), "run", "--publish-interval", "2", "--heartbeat-interval", "0"], {
    cwd: workDir,
    env: { ...process.env, GUARDIAN_DATA_DIR: dataDir, GUARDIAN_SENTINEL_KEY: keyOf("sentinel"), GUARDIAN_BUNDLER_ALTO: alto.url, GUARDIAN_PROBE_SPONSOR_KEY: keyOf("sponsor"), DO_NOT_TRACK: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logOut = (b: Buffer) => writeFileSync(daemonLog, b, { flag: "a" });
  daemon.stdout!.on("data", logOut);
  daemon.stderr!.on("data", logOut);
  // Start-up has no block to count by: it ends when the daemon is up and has caught up, fails at once if it exits.
  await waitForState({
    what: `the daemon up (admin endpoint) and caught up with block #${startHead}`,
    gone: daemonGone,
    hint: `daemon log: ${daemonLog}`,
    probe: async () => {
      const store = await readStoreSnapshot(dataDir);
      const head = processedHead(store);
      const admin = existsSync(path.join(dataDir, "admin.json"));
      const up = admin && head !== undefined && head >= startHead;
      return { ...(up ? { value: true } : {}), ...(head !== undefined ? { atBlock: head } : {}), seen: `admin endpoint ${admin ? "up" : "not up"}, processed up to ${head ?? "nothing"}` };
    },
  });
  info(`daemon pid ${daemon.pid}; structured log in ${path.relative(process.cwd(), daemonLog)}`);

  step("healthy traffic, through the bundler");
  const alice = await smartAccount(client as any, d, w.user, "0xa11ce");
  await client.waitForTransactionReceipt({ hash: await w.deployer.sendTransaction({ to: alice.address, value: parseEther("1") }) });
  const created = { status: await userOp(alice, { calls: [{ to: w.stranger.account.address, value: 1n }], sponsor: w.sponsor }) };
  info(`account ${alice.address} created through the guarded factory, sponsored, via Alto (${created.status})`);
  const op2 = { status: await userOp(alice, { calls: [{ to: w.stranger.account.address, value: 2n }], sponsor: w.sponsor }) };
  info(`sponsored user operation via Alto (${op2.status})`);
  const delegation = await delegateNative(d, alice, w.delegate.account.address, parseEther("0.5"));
  const redeem = redeemCalldata(delegation, w.stranger.account.address, parseEther("0.01"));
  const redeemed = await client.waitForTransactionReceipt({ hash: await w.delegate.sendTransaction({ to: d.kit.DelegationManager, data: redeem }) });
  info(`delegation redeemed by ${w.delegate.account.address} (${redeemed.status})`);
  summary(`healthy traffic: account creation ${created.status}, sponsored operation ${op2.status}, delegation redemption ${redeemed.status}`);

  step("on-call: an incident by hand, moved through its states while the daemon runs");
  const manual = await cli(["incident", "trigger", "paymaster", "--severity", "medium", "--title", "Sponsored operations slow to confirm", "--by", "oncall-demo"]);
  info(`guardian incident trigger paymaster --severity medium → ${manual}`);
  for (const state of ["responding", "contained", "recovered", "postreview"]) {
    await cli(["incident", "update", manual, "--state", state, "--message", `Demo: ${state}.`, "--by", "oncall-demo"]);
    info(`guardian incident update ${manual.slice(0, 8)} --state ${state}`);
  }
  const manualFinal = await incidentOf(manual);
  summary(`manual incident ${manual}: ${manualFinal?.timeline.filter((e) => e.kind === "state").map((e) => e.state).join(" → ")} (through the daemon's admin endpoint)`);

  step("can we pause right now? guardian readiness, then a drill of every path on a fork");
  for (const l of (await cli(["readiness"])).split("\n")) info(l);
  info("(the demo's daemon runs with --heartbeat-interval 0: no heartbeat proves it alive, so readiness does not count the sentinel)");
  const drillOut = await cli(["drill"]);
  for (const l of drillOut.split("\n")) info(l);
  summary(`drill on a fork: ${drillOut.split("\n").filter((l) => l.startsWith("ok ") || l.startsWith("FAIL")).length} steps, ${drillOut.split("\n").at(-1)}`);

  step("guardian Safe pauses all three layers by hand: propose, two owners sign, exec");
  const proposal = path.join(workDir, "safe-pause.json");
  info((await cli(["safe", "propose", "pause", "all", "--incident", manual, "--out", proposal])).split("\n")[1]!.trim());
  await cli(["safe", "sign", proposal], { GUARDIAN_SAFE_SIGNER_KEY: keyOf("owner1") });
  info("owner 1 signed (1 of 2)");
  await cli(["safe", "sign", proposal], { GUARDIAN_SAFE_SIGNER_KEY: keyOf("owner2") });
  info("owner 2 signed (2 of 2)");
  const executed = await cli(["safe", "exec", proposal], { GUARDIAN_EXECUTOR_KEY: keyOf("owner1") });
  for (const l of executed.split("\n")) info(l);

  const bob = await smartAccount(client as any, d, w.user, "0xb0b");
  await client.waitForTransactionReceipt({ hash: await w.deployer.sendTransaction({ to: bob.address, value: parseEther("1") }) });
  const pendingCreate = await buildUserOp(client as any, d, bob, { calls: [{ to: w.stranger.account.address }] });
  const pendingSponsored = await buildUserOp(client as any, d, alice, { calls: [{ to: w.stranger.account.address, value: 3n }], sponsor: w.sponsor });
  const { factory, factoryData } = await bob.getFactoryArgs();
  const paused = {
    accountCreation: await simulateHandleOps(client as any, d, w.bundler, [pendingCreate], [facAbi]),
    factoryDirect: await simulateCall(client as any, w.stranger.account.address, factory!, factoryData!, [facAbi]),
    sponsoredOp: await simulateHandleOps(client as any, d, w.bundler, [pendingSponsored], [pmAbi]),
    redemption: await simulateCall(client as any, w.delegate.account.address, d.kit.DelegationManager, redeem, [delegationManagerAbi]),
  };
  info(`AccountFactory layer: handleOps → ${refusalText(paused.accountCreation)}; factory.deploy → ${refusalText(paused.factoryDirect)}`);
  info(`EntryPoint layer:     sponsored handleOps → ${refusalText(paused.sponsoredOp)}`);
  info(`Delegation layer:     redeemDelegations → ${refusalText(paused.redemption)}`);
  const allStopped = Object.values(paused).every(Boolean);
  summary(`manual pause by the Safe (2 of 3 signatures): ${allStopped ? "all three paths stopped" : "SOME PATH STILL WORKS"}`);
  summary(`  account creation: ${refusalText(paused.accountCreation)} / ${refusalText(paused.factoryDirect)}`);
  summary(`  sponsored op:     ${refusalText(paused.sponsoredOp)}`);
  summary(`  redemption:       ${refusalText(paused.redemption)}`);

  const unpauseFile = path.join(workDir, "safe-unpause.json");
  await cli(["safe", "propose", "unpause", "all", "--incident", manual, "--out", unpauseFile]);
  await cli(["safe", "sign", unpauseFile], { GUARDIAN_SAFE_SIGNER_KEY: keyOf("owner2") });
  await cli(["safe", "sign", unpauseFile], { GUARDIAN_SAFE_SIGNER_KEY: keyOf("owner3") });
  await cli(["safe", "exec", unpauseFile], { GUARDIAN_EXECUTOR_KEY: keyOf("owner2") });
  const after = {
    creation: await userOp(bob, { calls: [{ to: w.stranger.account.address }] }),
    sponsored: await userOp(alice, { calls: [{ to: w.stranger.account.address, value: 3n }], sponsor: w.sponsor }),
    redemption: (await client.waitForTransactionReceipt({ hash: await w.delegate.sendTransaction({ to: d.kit.DelegationManager, data: redeem }) })).status,
  };
  info(`unpaused by the Safe: account creation ${after.creation}, sponsored operation ${after.sponsored}, redemption ${after.redemption}`);
  summary(`unpaused by the Safe: account creation ${after.creation}, sponsored operation ${after.sponsored}, redemption ${after.redemption}`);

  step("what only users see: the factory breaks, the bundler refuses, nothing reaches the chain");
  // A broken deployment: the account implementation the factory's proxies point at is gone.
  const impl = (d.kit as unknown as { implementations: Record<string, `0x${string}`> }).implementations.HybridDeleGatorImpl!;
  const implCode = await client.getCode({ address: impl });
  const brokenFrom = Number(await client.getBlockNumber({ cacheTime: 0 }));
  await client.request({ method: "hardhat_setCode" as never, params: [impl, "0x"] as never });
  let refusal = "accepted";
  try {
    await userOp(await smartAccount(client as any, d, w.user, "0xca11"), { calls: [{ to: w.stranger.account.address }], sponsor: w.sponsor });
  } catch (e) {
    if (!(e instanceof BundlerRefusedError)) throw e;
    refusal = `${e.stage} refused: ${(e.refusal as { message?: string }).message ?? JSON.stringify(e.refusal)}`;
  }
  info(`a wallet creating an account through Alto: ${refusal}`);
  const probeIncident = await waitForState({
    what: "the probes' account-creation incident",
    deadlineBlock: brokenFrom + SETTLE_BLOCKS,
    gone: daemonGone,
    hint: `daemon log: ${daemonLog}`,
    probe: async () => {
      const store = await readStoreSnapshot(dataDir);
      const found = Object.values(store?.incidents ?? {}).find((i) => i.key === "account-creation:failing" && i.source === "probes");
      return { atBlock: Number(await client.getBlockNumber({ cacheTime: 0 })), seen: found ? found.state : "no incident yet", ...(found ? { value: found } : {}) };
    },
  });
  await client.request({ method: "hardhat_setCode" as never, params: [impl, implCode] as never });
  const brokenTo = Number(await client.getBlockNumber({ cacheTime: 0 }));
  let onChain = 0;
  for (let n = brokenFrom + 1; n <= brokenTo; n++) {
    const block = await client.getBlock({ blockNumber: BigInt(n), includeTransactions: true });
    onChain += block.transactions.filter((tx) => tx.to?.toLowerCase() === d.kit.EntryPoint.toLowerCase() || tx.to?.toLowerCase() === d.guardian.accountFactory.toLowerCase()).length;
  }
  const probeFinding = (await readStoreSnapshot(dataDir))?.findings.find((f) => f.incidentId === probeIncident.id && f.detector === "probes");
  info(`  → incident ${probeIncident.id.slice(0, 8)} ${probeIncident.severity.toUpperCase()} "${probeIncident.title}" opened by the probes at block #${probeFinding?.evidence?.blockNumber} (broken at #${brokenFrom})`);
  info(`  transactions to the EntryPoint or the factory meanwhile: ${onChain} (the on-chain detectors had nothing to see)`);
  info(`  ${probeFinding?.summary ?? ""}`);
  const probeRecovered = await waitForState({
    what: "the probes' account-creation incident recovered once the factory works again",
    deadlineBlock: brokenTo + SETTLE_BLOCKS,
    gone: daemonGone,
    probe: async () => {
      const found = await incidentOf(probeIncident.id);
      return { atBlock: Number(await client.getBlockNumber({ cacheTime: 0 })), seen: found?.state ?? "gone", ...(found?.state === "recovered" ? { value: true } : {}) };
    },
  });
  summary(`what only users see (a broken factory): the bundler ${refusal.startsWith("accepted") ? "ACCEPTED" : "refused"} the creation, ${onChain} transaction(s) reached the chain, the probes opened "${probeIncident.title}" (${probeIncident.severity}) and it ${probeRecovered ? "recovered" : "did not recover"} once the factory was repaired`);
  const probesOk = refusal !== "accepted" && onChain === 0 && probeRecovered;

  step("symptoms: the daemon detects each one by itself and opens one incident each");
  const ctx = { client: client as any, wallets: w, deployment: d };
  const detected: Array<{ scenario: string; incident: Incident; expected: string }> = [];
  let firstCritical: { incident: Incident; symptomFrom: number } | undefined;
  // Non-critical symptoms first; each Critical one pauses its layer, which later scenarios must not need.
  const order: ScenarioName[] = ["user-ops-reverting", "delegation-failing", "gas-spike", "delegation-drain", "account-creation-failing", "deposit-withdrawn", "ownership-transfer", "role-granted"];
  for (const name of order) {
    // The chain mines each transaction at once (automine) besides its 1 s blocks: no pool to see. For the drain, blocks
    // come only every second, as on a real chain, so its transactions wait in the pool where pre-emption can judge them.
    const pool = name === "delegation-drain";
    if (pool) await client.request({ method: "evm_setAutomine" as never, params: [false] as never });
    const result = await runScenario(ctx, name).finally(async () => {
      if (pool) await client.request({ method: "evm_setAutomine" as never, params: [true] as never });
    });
    for (const exp of result.expected) {
      // Wait for the state the response plan gives the symptom: an incident at the expected severity
      // (it may open lower and rise), and, for a Critical one, the circuit breaker's action confirmed.
      // The deadline: SETTLE_BLOCKS past the chain's head at the moment the daemon had processed the
      // symptom's last block (a pause is sent while processing it and lands at the head of then).
      let deadlineBlock: number | undefined;
      const incident = await waitForState({
        what: `the ${exp.key} incident at ${exp.severity.toUpperCase()}${exp.severity === "critical" ? " with its layers paused" : ""} (${name}, blocks #${result.fromBlock}–#${result.toBlock})`,
        gone: daemonGone,
        hint: `daemon log: ${daemonLog}`,
        probe: async () => {
          const store = await readStoreSnapshot(dataDir);
          const head = processedHead(store);
          if (deadlineBlock === undefined && head !== undefined && head >= result.toBlock) deadlineBlock = Number(await client.getBlockNumber({ cacheTime: 0 })) + SETTLE_BLOCKS;
          const found = Object.values(store?.incidents ?? {}).find((i) => i.key === exp.key);
          // The incident may be older (the probes saw account creation fail earlier): it counts once this symptom's own finding is in it.
          // A pre-emptive finding (the drain judged while still pending, same key) counts too: then the drain never lands.
          const fresh = store?.findings.some((f) => f.incidentId === found?.id && (f.detector === exp.detector || f.pending !== undefined) && (f.evidence?.blockNumber ?? Infinity) >= result.fromBlock - 1);
          const { settled: severe, seen } = incidentSettled(found, exp.severity);
          const settled = severe && fresh;
          return { ...(settled ? { value: found! } : {}), ...(head !== undefined ? { atBlock: head } : {}), ...(deadlineBlock !== undefined ? { deadlineBlock } : {}), seen };
        },
      });
      detected.push({ scenario: name, incident, expected: exp.severity });
      const action = incident.timeline.find((e) => e.kind === "action")?.message;
      info(`${name}: ${result.summary}`);
      info(`  → incident ${incident.id.slice(0, 8)} ${incident.severity.toUpperCase()} (plan: ${exp.severity}) "${incident.title}" [${incident.state}]${action ? `\n     ${action}` : ""}`);
      if (incident.severity === "critical" && !firstCritical) firstCritical = { incident, symptomFrom: result.fromBlock };
    }
  }
  summary(`symptoms detected by the daemon (one incident each, severity by the response plan; time to pause from the first evidence's block):`);
  for (const x of detected) {
    const latest = (await incidentOf(x.incident.id)) ?? x.incident;
    const pause = latest.timeline.find((e) => e.kind === "action" && e.evidence?.txHash)?.evidence?.values;
    const ttp = pause ? `paused +${pause.blocksToPause} block(s) / +${pause.secondsToPause} s` : latest.timeline.some((e) => e.kind === "action") ? "layer already paused" : "";
    summary(`  ${x.scenario.padEnd(25)} ${latest.severity.padEnd(8)} ${latest.state.padEnd(10)} ${latest.title}${ttp ? ` (${ttp})` : ""}`);
  }
  // Pre-emption: what was judged while still in the pool, and what became of it (settled from receipts after each block).
  const settledNotes = async () => {
    const store = await readStoreSnapshot(dataDir);
    return Object.values(store?.incidents ?? {}).flatMap((i) => i.timeline.filter((e) => typeof e.evidence?.values.preemption === "string"));
  };
  const judged = (await readStoreSnapshot(dataDir))?.findings.filter((f) => f.pending) ?? [];
  if (judged.length > 0) {
    const from = Number(await client.getBlockNumber({ cacheTime: 0 }));
    await waitForState({
      what: "every pending finding settled from its transaction's receipt",
      deadlineBlock: from + SETTLE_BLOCKS + 10,
      gone: daemonGone,
      probe: async () => {
        const notes = await settledNotes();
        const done = judged.every((f) => notes.some((n) => n.evidence?.txHash === f.pending!.txHash));
        return { atBlock: Number(await client.getBlockNumber({ cacheTime: 0 })), seen: `${notes.length} of ${judged.length} settled`, ...(done ? { value: true } : {}) };
      },
    });
  }
  const outcomes = await settledNotes();
  for (const n of outcomes) info(`pre-emption: ${n.message}`);
  const count = (o: string) => outcomes.filter((n) => n.evidence?.values.preemption === o).length;
  summary(
    `pre-emption: ${judged.length} attack transaction(s) judged while still pending: ${count("preempted")} pre-empted (reverted on the pause), ${count("missed")} missed, ${count("never_landed")} never landed, ${count("reverted_otherwise")} reverted otherwise`,
  );
  const allMatched = detected.length >= order.length && detected.every((x) => x.incident.severity === x.expected);
  const pausedNow = await Promise.all([0, 1, 2].map((l) => isPaused(l)));
  summary(`circuit breaker: layers paused by the sentinel now: ${["entryPoint", "accountFactory", "delegation"].filter((_, i) => pausedNow[i]).join(", ") || "none"}`);
  const critical = firstCritical!.incident.id;
  const pauseEntry = (await incidentOf(critical))!.timeline.find((e) => e.kind === "action" && e.evidence?.txHash);
  const blocksToPause = Number(pauseEntry?.evidence?.values.blocksToPause ?? -1);
  const secondsToPause = Number(pauseEntry?.evidence?.values.secondsToPause ?? -1);
  summary(`time to pause (first Critical, ${firstCritical!.incident.title}): ${blocksToPause} block(s), ${secondsToPause} s from the symptom's block to the pause's block`);

  step("after the fix, the guardian Safe unpauses every layer");
  const fix = path.join(workDir, "safe-unpause-after-fix.json");
  await cli(["safe", "propose", "unpause", "all", "--incident", critical, "--out", fix]);
  await cli(["safe", "sign", fix], { GUARDIAN_SAFE_SIGNER_KEY: keyOf("owner1") });
  await cli(["safe", "sign", fix], { GUARDIAN_SAFE_SIGNER_KEY: keyOf("owner3") });
  await cli(["safe", "exec", fix], { GUARDIAN_EXECUTOR_KEY: keyOf("owner3") });
  await cli(["incident", "update", critical, "--state", "recovered", "--message", "The fix is deployed and the guardian Safe unpaused the stack.", "--by", "oncall-demo"]);
  const stillPaused = (await Promise.all([0, 1, 2].map((l) => isPaused(l)))).some(Boolean);
  info(`unpaused by the Safe (any layer still paused: ${stillPaused}); incident ${critical.slice(0, 8)} recovered`);
  summary(`after the fix: the Safe unpaused every layer (any still paused: ${stillPaused}); incident ${critical.slice(0, 8)} recovered`);

  step("public disclosure: the Security Lead approves what the status page may say");
  // A security incident shows only as its components' status until then (never the detector's title or an attacker's address).
  let disclosed = true;
  if (incidentClass(firstCritical!.incident) === "security") {
    const inStatus = () => existsSync(path.join(dataDir, "public", "status.json")) && JSON.parse(readFileSync(path.join(dataDir, "public", "status.json"), "utf8")).incidents.some((i: { id: string }) => i.id === critical);
    const hiddenBefore = !inStatus();
    info(`before approval the status page ${hiddenBefore ? "does not list" : "LISTS"} incident ${critical.slice(0, 8)} (only its components' status)`);
    const refused = await cli(["incident", "publish", critical, "--by", "oncall-demo"]).then(() => false, () => true);
    info(`on-call may not approve it: ${refused ? "refused" : "ACCEPTED"}`);
    info(await cli(["incident", "publish", critical, "--by", SECURITY_LEAD, "--message", "Funds were moved out through delegations beyond our limits; redemptions were paused at once and are restored after the fix."]));
    disclosed = hiddenBefore && refused;
    summary(`disclosure: incident ${critical.slice(0, 8)} hidden from the public until ${SECURITY_LEAD} approved it (on-call refused: ${refused})`);
  }

  step("paperwork: the post-mortem draft and the public notification");
  const postmortem = path.join(workDir, `postmortem-${critical.slice(0, 8)}.md`);
  const notice = path.join(workDir, `notification-${critical.slice(0, 8)}.md`);
  await cli(["postmortem", critical, "--out", postmortem]);
  await cli(["notify", critical, "--format", "markdown", "--out", notice]);
  const ttp = /Time to pause[^\n]*/i.exec(readFileSync(postmortem, "utf8"))?.[0] ?? "";
  info(`guardian postmortem ${critical.slice(0, 8)} → ${path.relative(process.cwd(), postmortem)}${ttp ? ` (${ttp.replace(/[|*]/g, " ").replace(/\s+/g, " ").trim()})` : ""}`);
  info(`guardian notify ${critical.slice(0, 8)} --format markdown → ${path.relative(process.cwd(), notice)}`);
  summary(`paperwork: ${path.relative(process.cwd(), postmortem)}, ${path.relative(process.cwd(), notice)}`);

  step("scheduled maintenance: announced, started, completed (guardian maintenance)");
  const soon = (m: number) => `${new Date(Date.now() + m * 60_000).toISOString().slice(0, 16)}Z`;
  const maintenanceId = await cli(["maintenance", "schedule", "--components", "rpc", "--from", soon(1), "--until", soon(31), "--title", "RPC node upgrade", "--message", "Status updates may pause for a few minutes.", "--by", "oncall-demo"]);
  // The RPC: the one component no open incident of the scenarios above still holds.
  const publishedMaintenance = async (want: "under_maintenance" | "operational", status: string) => {
    const from = Number(await client.getBlockNumber({ cacheTime: 0 }));
    return waitForState({
      what: `a status publication with the maintenance ${status} and the RPC ${want}`,
      deadlineBlock: from + SETTLE_BLOCKS,
      gone: daemonGone,
      hint: `daemon log: ${daemonLog}`,
      probe: async () => {
        const st = existsSync(path.join(dataDir, "public", "status.json")) ? JSON.parse(readFileSync(path.join(dataDir, "public", "status.json"), "utf8")) : undefined;
        const component = st?.components.find((c: { id: string }) => c.id === "rpc")?.status;
        const m = st?.maintenances?.find((x: { id: string }) => x.id === maintenanceId)?.status;
        const done = component === want && m === status;
        return { ...(done ? { value: true } : {}), atBlock: Number(st?.chain?.blockNumber ?? 0), seen: `RPC ${component ?? "?"}, maintenance ${m ?? "not published"}` };
      },
    });
  };
  await cli(["maintenance", "start", maintenanceId, "--by", "oncall-demo"]);
  await publishedMaintenance("under_maintenance", "in_progress");
  info(`maintenance ${maintenanceId.slice(0, 8)} in progress: the RPC component shows "under maintenance" (not an outage, not downtime)`);
  await cli(["maintenance", "complete", maintenanceId, "--by", "oncall-demo", "--message", "The upgrade is done."]);
  const maintenanceOk = await publishedMaintenance("operational", "completed").then(() => true, () => false);
  summary(`scheduled maintenance ${maintenanceId.slice(0, 8)}: scheduled → in progress (RPC under maintenance) → completed: ${maintenanceOk ? "published at each step" : "NOT PUBLISHED"}`);

  step("status site from what the daemon published");
  const statusFile = path.join(dataDir, "public", "status.json");
  // A publication made at a block mined after the unpause and the update must show both.
  const recoveredAt = Number(await client.getBlockNumber({ cacheTime: 0 }));
  await waitForState({
    what: `a status publication showing incident ${critical.slice(0, 8)} resolved and every layer unpaused (after block #${recoveredAt})`,
    deadlineBlock: recoveredAt + SETTLE_BLOCKS,
    gone: daemonGone,
    hint: `daemon log: ${daemonLog}`,
    probe: async () => {
      if (!existsSync(statusFile)) return { seen: "no status.json yet" };
      const s = JSON.parse(readFileSync(statusFile, "utf8"));
      const block = Number(s.chain?.blockNumber);
      const status = s.incidents.find((i: { id: string; status: string }) => i.id === critical)?.status ?? "absent";
      const paused = s.components.filter((c: { id: string; evidence: { paused?: boolean | null } }) => c.evidence.paused).map((c: { id: string }) => c.id);
      const done = status === "resolved" && paused.length === 0;
      return { ...(done ? { value: s } : {}), ...(Number.isInteger(block) ? { atBlock: block } : {}), seen: `published at block #${block}: incident ${status}, paused: ${paused.join(", ") || "none"}` };
    },
  });
  // site/dist is the project's own build output (a build from before the marker file has none).
  const built = await cli(["site", "build", "--status", statusFile, "--out", siteDir, "--force"]);
  for (const l of built.split("\n")) info(l);
  summary(`status site: ${path.join(siteDir, "index.html")} (data: ${statusFile})`);
  summary(`  (the daemon stops with the demo, so a page opened more than three publication intervals later says "status unknown": it never pretends)`);

  const deposit = await client.readContract({ address: d.kit.EntryPoint, abi: parseAbi(["function balanceOf(address) view returns (uint256)"]), functionName: "balanceOf", args: [d.guardian.paymaster] });
  summary(`paymaster deposit left: ${formatEther(deposit)} ETH`);
  const store = await readStoreSnapshot(dataDir);
  summary(`daemon: ${store?.chain.processedCount ?? 0} blocks processed, ${Object.keys(store?.incidents ?? {}).length} incidents (guardian incident list):`);
  for (const l of (await cli(["incident", "list"])).split("\n")) summary(`  ${l}`);

  const ok =
    allStopped &&
    Object.values(after).every((s) => s === "success") &&
    created.status === "success" &&
    redeemed.status === "success" &&
    manualFinal?.state === "postreview" &&
    probesOk &&
    allMatched &&
    blocksToPause >= 0 &&
    disclosed &&
    maintenanceOk &&
    !stillPaused;
  console.log(`\n==================== Guardian demo summary ====================`);
  console.log(`chain ${d.chainId}; hub ${d.guardian.hub}; guardian Safe ${d.guardian.safe} (2-of-3)`);
  for (const l of lines) console.log(l);
  console.log(`result: ${ok ? "OK" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(1)} s; the daemon, the bundler and the local chain are stopped.`);
  process.exitCode = ok ? 0 : 1;
} catch (err) {
  console.error(`\ndemo failed: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}

/**
 * Pre-emption on a real node (issue 17), automine off and every block mined
 * by the test, so nothing depends on timing: the attack enters the pool,
 * the test waits until the daemon's pause is in the pool too, then mines one
 * block.
 *
 * - Pre-empted: a 12 ETH drain through a delegation (above the 10 ETH
 *   outflow limit), tip 2 gwei. The daemon simulates it, opens the incident
 *   from the pending finding and sends the sentinel's pause with a higher
 *   tip; the block holds the pause first and the drain reverts with
 *   `EnforcedPause()`; nothing leaves the victim; the incident notes
 *   "Pre-empted".
 * - Split: two pending 6 ETH drains (each below the limit) are judged as a
 *   whole; the pause gets ahead of both.
 * - Outbid after a raise: the attacker replaces its transaction with a
 *   higher tip while the pause waits; the pause is replaced at once (not a
 *   block later) above the new bid and still lands first.
 * - Missed: a drain that offers a tip above the daemon's fee cap
 *   (`pause.maxFeeGwei`), so no pause can get ahead of it: it succeeds first
 *   in the block, and the incident says so ("Missed"), with the metric.
 * - Never landed: the attack is dropped from the pool; after `settleBlocks`
 *   the incident notes it and stays open (a person decides), and the
 *   false-positive ratio counts it.
 * - Not pre-emptable: the paymaster owner's withdrawal to an unknown account
 *   (no pause stops it) opens the incident while pending, and lands.
 *
 * Between cases the guardian Safe unpauses, time passes the sentinel's
 * cooldown and the incident is closed, as after a real response.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeErrorResult, encodeFunctionData, parseAbi, parseEther, parseGwei, type Address, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { loadConfig } from "../../../daemon/src/config/index.js";
import { safeCall } from "../../../daemon/src/deploy/local.js";
import { transition } from "../../../daemon/src/incidents/index.js";
import { startDaemon, type RunningDaemon } from "../../../daemon/src/runtime/daemon.js";
import type { Incident } from "../../../daemon/src/types.js";
import { prepareDrain, sendRawTransaction, signDrain, type PreparedDrain } from "../../../scripts/lib/attack.js";
import { DEV_MNEMONIC } from "../../../scripts/lib/local-chain.js";
import { waitFor } from "../helpers/memory-sink.js";
import { startStack, type NodeKind, type StackEnv } from "../helpers/stack.js";

const attacker = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 14 });
const thief: Address = "0x000000000000000000000000000000000000bEEF";
const WITHIN_MS = 60_000;
const hubAbi = parseAbi(["function isPaused(uint8) view returns (bool)"]);

export function preemptSuite(node: NodeKind) {
  describe(`pre-emption on ${node}: the pause lands in the same block, before the attack`, () => {
    let s: StackEnv;
    let daemon: RunningDaemon;
    let first: PreparedDrain;
    let second: PreparedDrain;
    let third: PreparedDrain;
    let fourth: PreparedDrain;
    let splitA: PreparedDrain;
    let splitB: PreparedDrain;
    const lines: string[] = [];

    beforeAll(async () => {
      s = await startStack({ node, ws: true });
      first = await prepareDrain({ client: s.client as never, deployment: s.deployment, funder: s.wallets.deployer, attacker, fundWei: parseEther("20"), allowanceWei: parseEther("15") });
      second = await prepareDrain({ client: s.client as never, deployment: s.deployment, funder: s.wallets.deployer, attacker, fundWei: parseEther("20"), allowanceWei: parseEther("15") });
      splitA = await prepareDrain({ client: s.client as never, deployment: s.deployment, funder: s.wallets.deployer, attacker, fundWei: parseEther("20"), allowanceWei: parseEther("15") });
      splitB = await prepareDrain({ client: s.client as never, deployment: s.deployment, funder: s.wallets.deployer, attacker, fundWei: parseEther("20"), allowanceWei: parseEther("15") });
      fourth = await prepareDrain({ client: s.client as never, deployment: s.deployment, funder: s.wallets.deployer, attacker, fundWei: parseEther("20"), allowanceWei: parseEther("15") });
      third = await prepareDrain({ client: s.client as never, deployment: s.deployment, funder: s.wallets.deployer, attacker, fundWei: parseEther("20"), allowanceWei: parseEther("15") });
      const file = path.join(s.dir, "preempt.json");
      const base = JSON.parse(readFileSync(s.configFile, "utf8"));
      // Blocks come only from the test (automine off); the block time paces the daemon's polls and the breaker's looks.
      // The attacker is a delegate the operator knows (a leaked relayer key): its redemptions are judged by the outflow limit.
      // Two endpoints with a WebSocket (here the same node twice): a subscription on each, every transaction judged once.
      const endpoints = [base.rpc.endpoints[0], { ...base.rpc.endpoints[0], name: "ep0-again" }];
      writeFileSync(file, JSON.stringify({ ...base, rpc: { endpoints }, blockTimeMs: 2_000, pause: { maxFeeGwei: 20 }, preempt: { enabled: true, settleBlocks: 3, knownDelegates: [attacker.address] } }));
      const config = loadConfig({ file, env: s.env, cwd: s.dir });
      const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
      daemon = await startDaemon({ config, publishIntervalSeconds: 3600, heartbeatIntervalSeconds: 0, pauseAbilityIntervalSeconds: 3600, logger });
      const head = Number(await s.client.getBlockNumber({ cacheTime: 0 }));
      await waitFor(() => (daemon.store.read().chain.ring.at(-1)?.number ?? -1) >= head, WITHIN_MS, "the daemon at the head");
      await waitFor(() => lines.filter((l) => l.includes("pending transactions: live")).length >= 2, WITHIN_MS, "a pending-transaction source live on each endpoint");
      await s.rpc("evm_setAutomine", [false]);
    }, 180_000);

    afterAll(async () => {
      if (process.env.PREEMPT_DEBUG) writeFileSync(process.env.PREEMPT_DEBUG, lines.join(""));
      await daemon?.stop();
      await s?.chain.stop();
    });

    const baseFee = async () => (await s.client.getBlock({ blockTag: "latest" })).baseFeePerGas ?? 0n;
    const mineAndWait = async () => {
      await s.rpc("evm_mine", []);
      const head = Number(await s.client.getBlockNumber({ cacheTime: 0 }));
      await waitFor(() => (daemon.store.read().chain.ring.at(-1)?.number ?? -1) >= head, WITHIN_MS, `block ${head} processed`);
      return head;
    };
    const pauseEntry = () => daemon.store.read().outbox.find((o) => o.kind === "sentinel-pause");
    const incidentOf = (key: string): Incident | undefined => Object.values(daemon.store.read().incidents).find((i) => i.key === key);
    const dmKey = () => `outflow:delegations:${s.deployment.kit.DelegationManager.toLowerCase()}`;

    it("pre-empted: the drain reverts with EnforcedPause() in the block of the sentinel's pause", async () => {
      const tip = parseGwei("2");
      const before = await s.client.getBalance({ address: thief });
      const drain = await signDrain({ client: s.client as never, attacker, deployment: s.deployment, calldata: first.calldata(thief, parseEther("12")), fees: { maxFeePerGas: (await baseFee()) * 2n + tip, maxPriorityFeePerGas: tip }, gas: 500_000n });
      await sendRawTransaction(s.client as never, drain.raw);

      // The daemon's pause joins the attack in the pool: a journaled, broadcast attempt.
      await waitFor(() => (pauseEntry()?.attempts ?? 0) >= 1 && lines.some((l) => l.includes("pre-emption: pause broadcast")), WITHIN_MS, "the sentinel's pause in the pool");
      const opened = incidentOf(dmKey());
      expect(opened?.severity).toBe("critical");
      const judged = daemon.store.read().findings.filter((f) => f.pending?.txHash === drain.hash);
      expect(judged).toHaveLength(1); // seen through both subscriptions, judged once
      const pending = judged[0];
      expect(pending?.detector).toBe("preempt");
      expect(pending?.pending?.preemptable).toBe(true);

      const block = await mineAndWait();
      const attack = await s.client.getTransactionReceipt({ hash: drain.hash });
      const journal = pauseEntry()!.payload as { attempts: Array<{ hash: Hex; maxPriorityFeePerGas: string }> };
      const pauseHash = journal.attempts.at(-1)!.hash;
      const pause = await s.client.getTransactionReceipt({ hash: pauseHash });
      expect(Number(pause.blockNumber)).toBe(block);
      expect(Number(attack.blockNumber)).toBe(block);
      expect(pause.status).toBe("success");
      expect(pause.transactionIndex).toBeLessThan(attack.transactionIndex);
      expect(BigInt(journal.attempts.at(-1)!.maxPriorityFeePerGas)).toBeGreaterThan(tip);
      expect(attack.status).toBe("reverted");
      // The revert is the DelegationManager's pause.
      const trace = await s.rpc<{ output?: Hex }>("debug_traceTransaction", [drain.hash, { tracer: "callTracer" }]);
      expect(decodeErrorResult({ abi: parseAbi(["error EnforcedPause()"]), data: trace.output! }).errorName).toBe("EnforcedPause");
      expect(await s.client.readContract({ address: s.deployment.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [2] })).toBe(true);
      expect(await s.client.getBalance({ address: thief })).toBe(before);
      expect(await s.client.getBalance({ address: first.delegator })).toBe(parseEther("20"));

      // The loop closes on the incident: pre-empted, same block.
      await waitFor(() => incidentOf(dmKey())?.timeline.some((e) => e.message.startsWith("Pre-empted")) ?? false, WITHIN_MS, "the incident noting the pre-emption");
      const note = incidentOf(dmKey())!.timeline.find((e) => e.message.startsWith("Pre-empted"))!;
      expect(note.message).toContain("the same block as the sentinel's pause");
      expect(note.evidence?.values.preemption).toBe("preempted");
    });

    /** Back to normal as the response plan would: the guardian Safe unpauses, time passes the sentinel's cooldown, the incident is closed. */
    const reset = async () => {
      await s.rpc("evm_setAutomine", [true]);
      const unpause = encodeFunctionData({ abi: parseAbi(["function unpause(uint8[] layers, bytes32 incident)"]), functionName: "unpause", args: [[2], `0x${"00".repeat(32)}`] });
      const hash = await safeCall(s.client as never, s.deployment.guardian.safe, s.deployment.guardian.hub, unpause, [s.wallets.owner1, s.wallets.owner2]);
      expect((await s.client.waitForTransactionReceipt({ hash })).status).toBe("success");
      await s.rpc("evm_increaseTime", [3 * 3600]);
      await s.rpc("evm_mine", []);
      await s.rpc("evm_setAutomine", [false]);
      const open = Object.values(daemon.store.read().incidents).find((i) => i.key === dmKey() && i.state !== "postreview");
      if (open)
        await daemon.store.update((draft) => {
          const now = new Date();
          draft.incidents[open.id] = transition(transition(draft.incidents[open.id]!, "recovered", { now, message: "test: attack over" }), "postreview", { now, message: "test" });
        });
      await mineAndWait();
    };
    const current = () => Object.values(daemon.store.read().incidents).find((i) => i.key === dmKey() && i.state !== "postreview");
    const journalOf = (id: string) => daemon.store.read().outbox.find((o) => o.id === `pause:${id}`)?.payload as { attempts: Array<{ hash: Hex; maxPriorityFeePerGas: string }> } | undefined;

    it("a drain split over two pending transactions, each below the limit, is judged as a whole: both revert on the pause", async () => {
      await reset();
      const tip = parseGwei("2");
      const nonce = await s.client.getTransactionCount({ address: attacker.address, blockTag: "pending" });
      const fees = { maxFeePerGas: (await baseFee()) * 2n + tip, maxPriorityFeePerGas: tip };
      const a = await signDrain({ client: s.client as never, attacker, deployment: s.deployment, calldata: splitA.calldata(thief, parseEther("6")), fees, gas: 500_000n, nonce });
      const b = await signDrain({ client: s.client as never, attacker, deployment: s.deployment, calldata: splitB.calldata(thief, parseEther("6")), fees, gas: 500_000n, nonce: nonce + 1 });
      await sendRawTransaction(s.client as never, a.raw);
      await sendRawTransaction(s.client as never, b.raw);
      await waitFor(() => (journalOf(current()?.id ?? "")?.attempts.length ?? 0) >= 1, WITHIN_MS, "the pause in the pool");
      const flagged = daemon.store.read().findings.find((f) => f.pending && (f.pending.txHash === a.hash || f.pending.txHash === b.hash));
      expect(flagged?.evidence?.values.otherPending).toBe(parseEther("6").toString());
      const block = await mineAndWait();
      const pause = await s.client.getTransactionReceipt({ hash: journalOf(current()!.id)!.attempts.at(-1)!.hash });
      expect(Number(pause.blockNumber)).toBe(block);
      for (const hash of [a.hash, b.hash]) {
        const r = await s.client.getTransactionReceipt({ hash });
        expect(r.status).toBe("reverted");
        expect(pause.transactionIndex).toBeLessThan(r.transactionIndex);
      }
      expect(await s.client.getBalance({ address: splitA.delegator })).toBe(parseEther("20"));
      expect(await s.client.getBalance({ address: splitB.delegator })).toBe(parseEther("20"));
      await waitFor(() => current()?.timeline.some((e) => e.message.startsWith("Pre-empted") && e.evidence?.txHash === flagged!.pending!.txHash) ?? false, WITHIN_MS, "the incident noting the pre-emption");
    });

    it("the attacker raises its bid while the pause waits: the pause is replaced at once and still lands first", async () => {
      await reset();
      const low = parseGwei("2");
      const high = parseGwei("8");
      const nonce = await s.client.getTransactionCount({ address: attacker.address, blockTag: "pending" });
      const calldata = second.calldata(thief, parseEther("12"));
      const a1 = await signDrain({ client: s.client as never, attacker, deployment: s.deployment, calldata, fees: { maxFeePerGas: (await baseFee()) * 2n + low, maxPriorityFeePerGas: low }, gas: 500_000n, nonce });
      await sendRawTransaction(s.client as never, a1.raw);
      await waitFor(() => (journalOf(current()?.id ?? "")?.attempts.length ?? 0) >= 1, WITHIN_MS, "the first pause in the pool");
      const a2 = await signDrain({ client: s.client as never, attacker, deployment: s.deployment, calldata, fees: { maxFeePerGas: (await baseFee()) * 2n + high, maxPriorityFeePerGas: high }, gas: 500_000n, nonce });
      await sendRawTransaction(s.client as never, a2.raw);
      await waitFor(() => BigInt(journalOf(current()!.id)?.attempts.at(-1)?.maxPriorityFeePerGas ?? "0") > high, WITHIN_MS, "the pause replaced above the new bid");
      const block = await mineAndWait();
      const pause = await s.client.getTransactionReceipt({ hash: journalOf(current()!.id)!.attempts.at(-1)!.hash });
      const attack = await s.client.getTransactionReceipt({ hash: a2.hash });
      expect(Number(pause.blockNumber)).toBe(block);
      expect(Number(attack.blockNumber)).toBe(block);
      expect(pause.transactionIndex).toBeLessThan(attack.transactionIndex);
      expect(attack.status).toBe("reverted");
      expect(await s.client.getTransactionReceipt({ hash: a1.hash }).catch(() => undefined)).toBeUndefined(); // replaced: never mined
      expect(await s.client.getBalance({ address: second.delegator })).toBe(parseEther("20"));
      await waitFor(() => current()?.timeline.some((e) => e.message.startsWith("Pre-empted") && e.evidence?.txHash === a2.hash) ?? false, WITHIN_MS, "the incident noting the pre-emption");
      expect(lines.some((l) => l.includes("the attack was replaced in the pool") && l.includes(a1.hash))).toBe(true);
    });

    it("missed: a drain that pays more than the fee cap lands first, and the incident says so", async () => {
      await reset();
      const tip = parseGwei("100"); // above pause.maxFeeGwei = 20: no pause can outbid it
      const before = await s.client.getBalance({ address: thief });
      const drain = await signDrain({ client: s.client as never, attacker, deployment: s.deployment, calldata: third.calldata(thief, parseEther("12")), fees: { maxFeePerGas: (await baseFee()) * 2n + tip, maxPriorityFeePerGas: tip }, gas: 500_000n });
      await sendRawTransaction(s.client as never, drain.raw);
      const reopened = current;
      await waitFor(() => !!reopened() && (daemon.store.read().outbox.find((o) => o.id === `pause:${reopened()!.id}`)?.attempts ?? 0) >= 1, WITHIN_MS, "the second incident's pause in the pool");
      const block = await mineAndWait();
      const attack = await s.client.getTransactionReceipt({ hash: drain.hash });
      expect(attack.status).toBe("success");
      expect(Number(attack.blockNumber)).toBe(block);
      expect((await s.client.getBalance({ address: thief })) - before).toBe(parseEther("12"));
      await waitFor(() => reopened()?.timeline.some((e) => e.message.startsWith("Missed") && e.evidence?.txHash === drain.hash) ?? false, WITHIN_MS, "the incident noting the miss");
      const note = reopened()!.timeline.find((e) => e.message.startsWith("Missed"))!;
      expect(note.message).toContain("same block, after it");
      const metrics = await (await fetch(`http://${daemon.observability.host}:${daemon.observability.port}/metrics`)).text();
      expect(metrics).toMatch(/guardian_preemption_outcomes_total\{outcome="missed"\} 1/);
      expect(metrics).toMatch(/guardian_preemption_outcomes_total\{outcome="preempted"\} 3/);
      expect(metrics).toMatch(/guardian_preemption_false_positive_ratio 0/);
    });

    it("never landed: an attack dropped from the pool settles after settleBlocks, the incident stays open for a person", async () => {
      await reset();
      const tip = parseGwei("2");
      const drain = await signDrain({ client: s.client as never, attacker, deployment: s.deployment, calldata: fourth.calldata(thief, parseEther("12")), fees: { maxFeePerGas: (await baseFee()) * 2n + tip, maxPriorityFeePerGas: tip }, gas: 500_000n });
      await sendRawTransaction(s.client as never, drain.raw);
      await waitFor(() => (journalOf(current()?.id ?? "")?.attempts.length ?? 0) >= 1, WITHIN_MS, "the pause in the pool");
      // The attacker (or its node) drops the transaction: it will never be mined.
      await s.rpc(node === "anvil" ? "anvil_dropTransaction" : "hardhat_dropTransaction", [drain.hash]);
      for (let i = 0; i < 4; i++) await mineAndWait();
      await waitFor(() => current()?.timeline.some((e) => e.evidence?.txHash === drain.hash && e.evidence.values.preemption === "never_landed") ?? false, WITHIN_MS, "the incident noting the attack never landed");
      expect(current()!.severity).toBe("critical");
      expect(["contained", "detected", "responding"]).toContain(current()!.state); // not closed: a person decides
      const metrics = await (await fetch(`http://${daemon.observability.host}:${daemon.observability.port}/metrics`)).text();
      expect(metrics).toMatch(/guardian_preemption_outcomes_total\{outcome="never_landed"\} 1/);
      expect(metrics).toMatch(/guardian_preemption_false_positive_ratio 0\.2\n/); // 1 of 5 settled findings unconfirmed
    });

    it("not pre-emptable: the paymaster owner's withdrawal to an unknown account opens the incident while pending, and lands", async () => {
      const abi = parseAbi(["function withdrawTo(address withdrawAddress, uint256 amount)"]);
      const hash = await s.wallets.deployer.writeContract({ address: s.deployment.guardian.paymaster, abi, functionName: "withdrawTo", args: [thief, 1000n], gas: 200_000n });
      const pmKey = `outflow:paymaster-deposit:${s.deployment.guardian.paymaster.toLowerCase()}`;
      await waitFor(() => daemon.store.read().findings.some((f) => f.pending?.txHash === hash), WITHIN_MS, "the pending withdrawal judged");
      const judged = daemon.store.read().findings.find((f) => f.pending?.txHash === hash)!;
      expect(judged).toMatchObject({ key: pmKey, severity: "critical", pending: { preemptable: false } });
      expect(Object.values(daemon.store.read().incidents).some((i) => i.key === pmKey)).toBe(true); // opened before the block
      await mineAndWait();
      expect((await s.client.getTransactionReceipt({ hash })).status).toBe("success");
      const incident = () => Object.values(daemon.store.read().incidents).find((i) => i.key === pmKey)!;
      await waitFor(() => incident().timeline.some((e) => e.evidence?.txHash === hash && e.evidence.values.preemption === "landed"), WITHIN_MS, "the incident noting it landed");
      const metrics = await (await fetch(`http://${daemon.observability.host}:${daemon.observability.port}/metrics`)).text();
      expect(metrics).toMatch(/guardian_preemption_outcomes_total\{outcome="landed"\} 1/);
    });
  });
}

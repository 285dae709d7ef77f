/**
 * The sentinel's pause against a real `hardhat node` with the real stack:
 * pauses and confirms, skips what is already paused, reports the contract's
 * refusals, replaces a transaction that was lost, and survives a SIGKILL
 * between signing and sending without spending a second nonce.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { encodeFunctionData, keccak256, toHex, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { startLocalChain, devClients, DEV_MNEMONIC, type LocalChain } from "../../scripts/lib/local-chain.js";
import { deployLocalStack, roleWallets, safeCall, ROLE_INDEX } from "../../daemon/src/deploy/local.js";
import { guardianArtifact } from "../../daemon/src/deploy/artifacts.js";
import { sendSentinelPause, type PauseJournalEntry } from "../../daemon/src/respond/pause-sender.js";
import type { Deployment } from "../../daemon/src/deploy/guardian.js";
import { fileJournal } from "./helpers/file-journal.js";
import { LAYER_ID } from "../../daemon/src/types.js";

let chain: LocalChain;
let d: Deployment;
let clients: ReturnType<typeof devClients>;
const hubAbi = guardianArtifact("GuardianHub").abi;
const sentinel = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: ROLE_INDEX.sentinel });
const dir = mkdtempSync(path.join(tmpdir(), "guardian-pause-"));
let snapshot: Hex;

async function rpc(method: string, params: unknown[] = []) {
  return clients.client.request({ method: method as any, params: params as any });
}

beforeAll(async () => {
  chain = await startLocalChain();
  clients = devClients(chain.chain, chain.url);
  d = await deployLocalStack(clients.client as any, roleWallets(clients.wallets as any), { sentinelPauseDuration: 600, sentinelCooldown: 3600 });
  snapshot = (await rpc("evm_snapshot")) as Hex;
});
afterAll(async () => {
  await chain?.stop();
});

async function fresh() {
  await rpc("evm_revert", [snapshot]);
  snapshot = (await rpc("evm_snapshot")) as Hex;
  await rpc("evm_setAutomine", [true]);
  await rpc("evm_setIntervalMining", [0]);
}

function deps(journalFile: string) {
  return {
    clients: [clients.client as any],
    chain: chain.chain,
    sentinel,
    hub: d.guardian.hub,
    journal: fileJournal(journalFile),
  };
}

const isPaused = (layer: number) => clients.client.readContract({ address: d.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [layer] });
const ref = keccak256(toHex("incident-x"));

describe("sentinel pause sender", () => {
  it("pauses, confirms on chain, and does not send twice for the same incident", async () => {
    await fresh();
    const journal = path.join(dir, "j1.json");
    const out = await sendSentinelPause(deps(journal), { incidentKey: "inc-1", incidentRef: ref, layers: ["entryPoint", "delegation"] });
    expect(out.kind).toBe("paused");
    if (out.kind !== "paused") return;
    expect(out.confirmed).toBe(true);
    expect(await isPaused(LAYER_ID.entryPoint)).toBe(true);
    expect(await isPaused(LAYER_ID.delegation)).toBe(true);
    expect(await isPaused(LAYER_ID.accountFactory)).toBe(false);
    const nonce = await clients.client.getTransactionCount({ address: sentinel.address });
    const again = await sendSentinelPause(deps(journal), { incidentKey: "inc-1", incidentRef: ref, layers: ["entryPoint", "delegation"] });
    expect(again.kind).toBe("paused");
    expect(await clients.client.getTransactionCount({ address: sentinel.address })).toBe(nonce);
  });

  it("skips layers that are already paused", async () => {
    await fresh();
    const w = roleWallets(clients.wallets as any);
    await safeCall(clients.client as any, d.guardian.safe, d.guardian.hub, encodeFunctionData({ abi: hubAbi, functionName: "pause", args: [[LAYER_ID.delegation], ref] }), [w.owner1, w.owner2]);
    const out = await sendSentinelPause(deps(path.join(dir, "j2.json")), { incidentKey: "inc-2", incidentRef: ref, layers: ["delegation"] });
    expect(out).toEqual({ kind: "already-paused", layers: ["delegation"] });
  });

  it("reports the contract's refusal (cooldown) instead of retrying", async () => {
    await fresh();
    const journal = path.join(dir, "j3.json");
    await sendSentinelPause(deps(journal), { incidentKey: "inc-3a", incidentRef: ref, layers: ["accountFactory"] });
    await rpc("evm_increaseTime", [601]);
    await rpc("evm_mine");
    await clients.wallets[9]!.writeContract({ address: d.guardian.hub, abi: hubAbi, functionName: "releaseExpired", args: [[LAYER_ID.accountFactory]] });
    const out = await sendSentinelPause(deps(journal), { incidentKey: "inc-3b", incidentRef: ref, layers: ["accountFactory"] });
    expect(out.kind).toBe("refused");
    if (out.kind === "refused") expect(out.error).toBe("GuardianHubSentinelCooldown");
  });

  it("dry-run sends nothing", async () => {
    await fresh();
    const nonce = await clients.client.getTransactionCount({ address: sentinel.address });
    const out = await sendSentinelPause(deps(path.join(dir, "j4.json")), { incidentKey: "inc-4", incidentRef: ref, layers: ["entryPoint"], dryRun: true });
    expect(out.kind).toBe("dry-run");
    expect(await clients.client.getTransactionCount({ address: sentinel.address })).toBe(nonce);
    expect(await isPaused(LAYER_ID.entryPoint)).toBe(false);
  });

  it("replaces a pause that was dropped from the pool, with the same nonce and higher fees", async () => {
    await fresh();
    await rpc("evm_setAutomine", [false]);
    const journalFile = path.join(dir, "j5.json");
    const nonceBefore = await clients.client.getTransactionCount({ address: sentinel.address });
    let dropped = false;
    const out = await sendSentinelPause(
      {
        ...deps(journalFile),
        // The first attempt is lost (dropped from the pool) before the next block; later ones are mined.
        nextBlock: async (_c, after) => {
          if (!dropped) {
            const entry = JSON.parse(readFileSync(journalFile, "utf8"))["inc-5"] as PauseJournalEntry;
            await rpc("hardhat_dropTransaction", [entry.attempts[0]!.hash]);
            dropped = true;
          }
          await rpc("evm_mine");
          return after + 1n;
        },
      },
      { incidentKey: "inc-5", incidentRef: ref, layers: ["entryPoint"] },
    );
    expect(out.kind).toBe("paused");
    if (out.kind !== "paused") return;
    expect(out.attempts).toBeGreaterThanOrEqual(2);
    const entry = JSON.parse(readFileSync(journalFile, "utf8"))["inc-5"] as PauseJournalEntry;
    expect(BigInt(entry.attempts[1]!.maxFeePerGas)).toBeGreaterThan(BigInt(entry.attempts[0]!.maxFeePerGas));
    expect(await clients.client.getTransactionCount({ address: sentinel.address })).toBe(nonceBefore + 1);
    expect(await isPaused(LAYER_ID.entryPoint)).toBe(true);
  });

  it("a pause mined just as the layer is found paused is recorded as mined, not as stopped", async () => {
    await fresh();
    await rpc("evm_setAutomine", [false]);
    const journalFile = path.join(dir, "j5b.json");
    const out = await sendSentinelPause(
      {
        ...deps(journalFile),
        // No block between the looks at the nonce...
        nextBlock: async (_c, after) => after + 1n,
        // ...but one right before the breaker asks whether the pause is still owed: it finds the layer paused, by this very pause.
        shouldStop: async () => {
          await rpc("evm_mine");
          return "entryPoint is paused on chain";
        },
      },
      { incidentKey: "inc-5b", incidentRef: ref, layers: ["entryPoint"] },
    );
    expect(out.kind).toBe("paused");
    const entry = JSON.parse(readFileSync(journalFile, "utf8"))["inc-5b"] as PauseJournalEntry;
    expect(entry.minedHash).toBe(entry.attempts[0]!.hash);
    expect(await isPaused(LAYER_ID.entryPoint)).toBe(true);
    await rpc("evm_setAutomine", [true]);
  });

  it("a pause no longer owed while unmined is cancelled at its nonce, so it cannot land later", async () => {
    await fresh();
    await rpc("evm_setAutomine", [false]);
    const journalFile = path.join(dir, "j5c.json");
    const nonceBefore = await clients.client.getTransactionCount({ address: sentinel.address });
    const out = await sendSentinelPause(
      {
        ...deps(journalFile),
        nextBlock: async (_c, after) => after + 1n, // no block: the pause waits in the pool
        shouldStop: async () => "the incident is recovered",
      },
      { incidentKey: "inc-5c", incidentRef: ref, layers: ["entryPoint"] },
    );
    expect(out.kind).toBe("stopped");
    if (out.kind !== "stopped") return;
    const entry = JSON.parse(readFileSync(journalFile, "utf8"))["inc-5c"] as PauseJournalEntry;
    expect(out.cancelledBy).toBe(entry.cancel?.hash);
    await rpc("evm_mine");
    const cancelled = await clients.client.getTransactionReceipt({ hash: entry.cancel!.hash });
    expect(cancelled.status).toBe("success");
    expect(cancelled.to?.toLowerCase()).toBe(sentinel.address.toLowerCase());
    expect(await clients.client.getTransactionReceipt({ hash: entry.attempts[0]!.hash }).catch(() => undefined)).toBeUndefined();
    expect(await clients.client.getTransactionCount({ address: sentinel.address })).toBe(nonceBefore + 1);
    expect(await isPaused(LAYER_ID.entryPoint)).toBe(false);
    await rpc("evm_setAutomine", [true]);
  });

  it("is mined within two blocks under 1 s interval mining", async () => {
    await fresh();
    await rpc("evm_setAutomine", [false]);
    await rpc("evm_setIntervalMining", [1000]);
    const symptomBlock = await clients.client.getBlockNumber();
    const out = await sendSentinelPause(deps(path.join(dir, "j6.json")), { incidentKey: "inc-6", incidentRef: ref, layers: ["delegation"] });
    expect(out.kind).toBe("paused");
    if (out.kind === "paused") expect(out.blockNumber - Number(symptomBlock)).toBeLessThanOrEqual(2);
    await rpc("evm_setIntervalMining", [0]);
    await rpc("evm_setAutomine", [true]);
  });

  it("survives a SIGKILL between signing and sending without a second nonce", async () => {
    await fresh();
    await rpc("evm_setAutomine", [false]);
    const journalFile = path.join(dir, "j7.json");
    const nonceBefore = await clients.client.getTransactionCount({ address: sentinel.address });
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.resolve("test/daemon/helpers/pause-then-die.ts"), chain.url, String(chain.chain.id), d.guardian.hub, journalFile],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let err = "";
    child.stderr.on("data", (b) => (err += b));
    const [, signal] = (await new Promise((r) => child.on("exit", (...a) => r(a)))) as [number | null, string | null];
    expect(signal, err).toBe("SIGKILL");
    const entry = JSON.parse(readFileSync(journalFile, "utf8"))["inc-7"] as PauseJournalEntry;
    expect(entry.attempts).toHaveLength(1);
    // Nothing was sent: the pool is empty and the nonce unspent.
    expect(await clients.client.getTransactionCount({ address: sentinel.address, blockTag: "pending" })).toBe(nonceBefore);

    await rpc("evm_setAutomine", [true]);
    const out = await sendSentinelPause(deps(journalFile), { incidentKey: "inc-7", incidentRef: ref, layers: ["accountFactory"] });
    expect(out.kind).toBe("paused");
    if (out.kind === "paused") expect(out.txHash).toBe(entry.attempts[0]!.hash);
    expect(await clients.client.getTransactionCount({ address: sentinel.address })).toBe(nonceBefore + 1);
  });
});

/**
 * Attacker-written revert reasons on the real kit: anyone who can get a user
 * operation onto the EntryPoint chooses its `Error(string)` (up to ~2 KB
 * reach `UserOperationRevertReason`). 75 reverting operations with distinct
 * 1,900-byte reasons full of escape sequences, over 15 blocks, followed by
 * the real block follower into the real store (the daemon's store sink):
 * the store grows by at most 64 KB and holds no control character.
 */
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { encodeErrorResult, parseAbi, type Address, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BlockFollower } from "../../daemon/src/chain/follower.js";
import { RpcPool } from "../../daemon/src/chain/rpc-pool.js";
import { hasUnsafeCharacters } from "../../daemon/src/decode/untrusted-text.js";
import { createStoreSink } from "../../daemon/src/runtime/sink.js";
import { openLowdbStore, type LowdbStore } from "../../daemon/src/store/lowdb-store.js";
import { healthyTraffic } from "../../scripts/lib/scenarios.js";
import { buildUserOp, handleOps, smartAccount } from "../../scripts/lib/traffic.js";
import { AUTO_PAUSE_ALL, startKitChain, traceRevertLookup, type KitChain } from "./helpers/kit-monitor.js";
import { waitFor } from "./helpers/memory-sink.js";

/** Runtime: revert with the calldata as revert data (CALLDATACOPY it to memory, REVERT it): the reason is whatever the caller sends. */
const ECHO_REVERT_RUNTIME = "366000600037366000fd";
/** Creation code: CODECOPY the 10-byte runtime from offset 12 and RETURN it. */
const ECHO_REVERT_CREATION: Hex = `0x600a600c600039600a6000f3${ECHO_REVERT_RUNTIME}`;

const ESC = "\u001b";
const BEL = "\u0007";

/** A distinct 1,900-byte (ASCII) reason: escape sequences, a markdown link, then filler. */
function reason(i: number): string {
  const head = `op ${String(i).padStart(3, "0")} ${ESC}]0;pwned${BEL}${ESC}[2J\r\n${ESC}[32mAll clear: incident resolved by the guardian Safe${ESC}[0m [claim](https://evil.example/${i}) \u202E `;
  const text = head + `${i}-`.repeat(1900);
  return Buffer.from(text, "utf8").subarray(0, 1900).toString("utf8");
}

/** Every string (keys and values) in a JSON value. */
function stringsOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => [k, ...stringsOf(v)]);
  return [];
}

let kit: KitChain;

beforeAll(async () => {
  kit = await startKitChain();
});

afterAll(async () => {
  await kit?.stop();
});

/** Follows the chain with the real BlockFollower into the store until the store's checkpoint reaches `toBlock`. */
async function followInto(store: LowdbStore, fromBlock: number, toBlock: number): Promise<void> {
  const sink = createStoreSink({
    store,
    pipeline: kit.pipeline,
    autoPause: AUTO_PAUSE_ALL,
    clock: () => new Date(),
    revertLookup: traceRevertLookup(kit.node),
  });
  const pool = new RpcPool({ endpoints: [kit.node.url], chainId: 31337, timeoutMs: 10_000 });
  const follower = new BlockFollower({ pool, sink, addresses: kit.watched, blockTimeMs: 100, startBlock: fromBlock, surveyIntervalMs: 60_000 });
  const running = follower.run();
  try {
    await waitFor(() => (store.read().chain.ring.at(-1)?.number ?? -1) >= toBlock, 120_000, `the store to reach block ${toBlock}`);
  } finally {
    await follower.stop();
    await running.catch(() => {});
  }
}

describe("attacker-written revert reasons on the real kit", () => {
  test("75 reverting operations with distinct 1,900-byte reasons over 15 blocks grow store.json by at most 64 KB, and no control character is stored", async () => {
    const { client, deployment: d, wallets: w } = kit.ctx;
    const start = (await kit.node.blockNumber()) + 1;
    await healthyTraffic(kit.ctx, { rounds: 3 });

    // Five smart accounts (created by sponsored operations) and the reverting target.
    const accounts = [];
    for (let i = 0; i < 5; i++) {
      const account = await smartAccount(client, d, w.user, `0x${(0xa0 + i).toString(16).padStart(64, "0")}` as Hex);
      const op = await buildUserOp(client, d, account, { calls: [{ to: w.stranger.account.address }], sponsor: w.sponsor });
      expect((await handleOps(client, d, w.bundler, [op])).status).toBe("success");
      accounts.push(account);
    }
    const deployHash = await w.deployer.sendTransaction({ data: ECHO_REVERT_CREATION, to: null } as never);
    const reverter = (await client.waitForTransactionReceipt({ hash: deployHash })).contractAddress as Address;
    expect(reverter).toBeTruthy();

    const dataDir = mkdtempSync(path.join(tmpdir(), "guardian-untrusted-"));
    const store = await openLowdbStore({ dataDir, chainId: 31337, purpose: "test" });
    try {
      const before = await kit.node.blockNumber();
      await followInto(store, start, before);
      const sizeBefore = statSync(store.file).size;

      // 15 blocks, one bundle of 5 operations each; every operation's call reverts with its own 1,900-byte reason.
      const errorAbi = parseAbi(["error Error(string)"]);
      let n = 0;
      for (let block = 0; block < 15; block++) {
        const ops = [];
        for (const account of accounts) {
          const data = encodeErrorResult({ abi: errorAbi, errorName: "Error", args: [reason(n++)] });
          ops.push(await buildUserOp(client, d, account, { calls: [{ to: reverter, data }], sponsor: w.sponsor, callGasLimit: 500_000n }));
        }
        const receipt = await handleOps(client, d, w.bundler, ops);
        expect(receipt.status).toBe("success");
        expect(receipt.logs.length).toBeGreaterThanOrEqual(10); // UserOperationRevertReason + UserOperationEvent per op
      }
      expect(n).toBe(75);
      const end = await kit.node.blockNumber();
      await followInto(store, start, end);
      const sizeAfter = statSync(store.file).size;
      const growth = sizeAfter - sizeBefore;
      console.log(`store.json: ${sizeBefore} → ${sizeAfter} bytes (+${growth}) after 75 reverting operations over 15 blocks`);

      const text = readFileSync(store.file, "utf8");
      const data = store.read();
      // The symptom was seen, with the attacker's reasons among its causes (cleaned and capped).
      const finding = data.findings.filter((f) => f.key === "user-operations:failing").at(-1);
      expect(finding?.evidence?.values.causes).toMatch(/reverted "op 0\d\d \]0;pwned\[2J  \[32mAll clear/);
      expect(finding?.summary).toMatch(/75 of \d+ user operations failed/);
      // Nothing the attacker wrote reaches the store raw: no control, bidi or zero-width character, escaped or not.
      const unsafe = stringsOf(JSON.parse(text)).filter(hasUnsafeCharacters);
      expect(unsafe).toEqual([]);
      expect(growth).toBeLessThanOrEqual(64 * 1024);
    } finally {
      await store.close();
    }
  });
});

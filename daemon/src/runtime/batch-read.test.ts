/**
 * The daemon's periodic reads in one JSON-RPC batch, against a real node
 * (anvil) through the counting proxy: one request per tick; a read allowed
 * to fail that reverts fails alone (the batch is read again one by one);
 * one that must not fail fails the tick; every read is made at one block;
 * behind an endpoint that refuses batches the pool's adaptive batches still
 * deliver every result.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseAbi, type Address, type Hex } from "viem";
import { startAnvil, type AnvilNode } from "../../../scripts/lib/anvil.js";
import { startRpcProxy, type ProviderLimits, type RpcProxy } from "../../../test/daemon/helpers/rpc-proxy.js";
import { waitFor } from "../../../test/daemon/helpers/memory-sink.js";
import { RpcPool } from "../chain/index.js";
import { readBatch } from "./batch-read.js";

const FUNDED: Address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"; // anvil's first dev account
/** Init code of a contract whose every call reverts: runtime PUSH1 0 PUSH1 0 REVERT. */
const REVERTER_INIT: Hex = "0x6460006000fd6000526005601bf3";
const abi = parseAbi(["function paused() view returns (bool)"]);

let node: AnvilNode;
let reverter: Address;
const proxies: RpcProxy[] = [];

beforeAll(async () => {
  node = await startAnvil();
  const hash = await node.rpc<Hex>("eth_sendTransaction", [{ from: FUNDED, data: REVERTER_INIT }]);
  let receipt: { contractAddress: Address } | null = null;
  await waitFor(async () => (receipt = await node.rpc("eth_getTransactionReceipt", [hash])) !== null, 30_000, "the reverter deployed");
  reverter = receipt!.contractAddress;
  await node.mine(3);
}, 60_000);

afterAll(async () => {
  for (const p of proxies) await p.close();
  await node?.stop();
});

async function poolBehind(limits: ProviderLimits = {}) {
  const proxy = await startRpcProxy({ target: node.url, limits });
  proxies.push(proxy);
  const pool = new RpcPool({ endpoints: [proxy.url], chainId: 31337, timeoutMs: 5_000 });
  await pool.init();
  proxy.resetCounts();
  return { proxy, pool };
}

describe("readBatch on a real node", () => {
  test("balance, timestamp and a call at one block in one request; a read allowed to fail reverts alone", async () => {
    const { proxy, pool } = await poolBehind();
    const at = (await node.blockNumber()) - 1;
    const block = await node.rpc<{ timestamp: Hex }>("eth_getBlockByNumber", [`0x${at.toString(16)}`, false]);
    const balance = BigInt(await node.rpc<Hex>("eth_getBalance", [FUNDED, `0x${at.toString(16)}`]));

    const ok = await readBatch(pool, { number: at }, [{ balance: FUNDED }, { timestamp: true }, { call: { address: FUNDED, abi, functionName: "paused" }, allowFailure: true }]);
    expect(ok).toEqual([balance, Number(BigInt(block.timestamp)), undefined]); // no code: allowed to fail
    expect(proxy.requests.total).toBe(1);

    proxy.resetCounts();
    const mixed = await readBatch(pool, { number: at }, [{ balance: FUNDED }, { call: { address: reverter, abi, functionName: "paused" }, allowFailure: true }, { timestamp: true }]);
    expect(mixed).toEqual([balance, undefined, Number(BigInt(block.timestamp))]);
    // The batch failed for the revert's sake and was read again one by one.
    expect(proxy.requests.total).toBe(1 + 3);
  });

  test("a read that must not fail fails the tick", async () => {
    const { pool } = await poolBehind();
    await expect(readBatch(pool, "latest", [{ balance: FUNDED }, { call: { address: reverter, abi, functionName: "paused" } }])).rejects.toThrow();
  });

  test("behind an endpoint that refuses batches every result still arrives", async () => {
    const { proxy, pool } = await poolBehind({ batch: "refuse" });
    const at = await node.blockNumber();
    const out = await readBatch(pool, { number: at }, [{ balance: FUNDED }, { timestamp: true }, { call: { address: reverter, abi, functionName: "paused" }, allowFailure: true }]);
    expect(out[0]).toBeTypeOf("bigint");
    expect(out[1]).toBeTypeOf("number");
    expect(out[2]).toBeUndefined();
    expect(proxy.limited.batch).toBeGreaterThan(0);
  });
});

/**
 * The daemon's periodic chain reads (status publication, pause-ability watch,
 * sentinel duties) as one JSON-RPC batch per tick: one HTTP request instead
 * of one per `eth_call`. At 2 s blocks the ~25 single reads of the 30 s
 * timers cost ~1.8 requests a block; batched they cost ~0.1.
 *
 * All reads of a batch are made at the same block. A batch is all-or-nothing
 * at the pool (one reverted call fails it); when a batch is refused for a
 * call's sake, the reads are made one by one so that a read allowed to fail
 * (`allowFailure`) fails alone. Results are decoded with viem's ABI coder;
 * everything else about them is as untrusted as any RPC answer.
 *
 * @example
 * const [owner, balance] = await readBatch(pool, { number: 120 }, [
 *   { call: { address: safe, abi, functionName: "getOwners" } },
 *   { balance: sentinel },
 * ]);
 */
import { decodeFunctionResult, encodeFunctionData, numberToHex, type Abi, type Address, type Hex } from "viem";
import { parseQuantity, RpcResponseError, type RpcCall } from "../chain/index.js";

/** What `readBatch` needs of the RPC pool. */
export interface BatchTransport {
  batch<T = unknown>(calls: readonly RpcCall[], parse?: (result: unknown, index: number) => T): Promise<T[]>;
  request<T = unknown>(method: string, params?: readonly unknown[], parse?: (result: unknown) => T): Promise<T>;
}

export interface ContractRead {
  address: Address;
  abi: Abi | readonly unknown[];
  functionName: string;
  args?: readonly unknown[];
}

export type BatchRead =
  /** An `eth_call`; with `allowFailure` a revert reads as `undefined` instead of failing the tick. */
  | { call: ContractRead; allowFailure?: boolean }
  /** `eth_getBalance` in wei. */
  | { balance: Address }
  /** The block's timestamp (seconds), from its header. */
  | { timestamp: true };

/** The block every read of a batch is made at. */
export type ReadAt = { number: number } | "latest";

/** Reads everything in `reads` at `at` in one request; results in the order of `reads`. */
export async function readBatch(pool: BatchTransport, at: ReadAt, reads: readonly BatchRead[]): Promise<unknown[]> {
  if (reads.length === 0) return [];
  const tag = at === "latest" ? "latest" : numberToHex(at.number);
  const calls: RpcCall[] = reads.map((r) => toCall(r, tag));
  const parse = (raw: unknown, i: number) => fromResult(reads[i] as BatchRead, raw, at);
  if (reads.length === 1) return [await one(pool, calls[0] as RpcCall, reads[0] as BatchRead, (raw) => parse(raw, 0))];
  try {
    return await pool.batch(calls, parse);
  } catch (error) {
    // A call refused (a revert): the others still count. Read one by one.
    if (!(error instanceof RpcResponseError)) throw error;
    return Promise.all(reads.map((r, i) => one(pool, calls[i] as RpcCall, r, (raw) => parse(raw, i))));
  }
}

async function one(pool: BatchTransport, call: RpcCall, read: BatchRead, parse: (raw: unknown) => unknown): Promise<unknown> {
  try {
    return await pool.request(call.method, call.params ?? [], parse);
  } catch (error) {
    if ("call" in read && read.allowFailure && error instanceof RpcResponseError) return undefined;
    throw error;
  }
}

function toCall(read: BatchRead, tag: string): RpcCall {
  if ("call" in read) {
    const c = read.call;
    const data = encodeFunctionData({ abi: c.abi as Abi, functionName: c.functionName, args: c.args ?? [] } as never);
    return { method: "eth_call", params: [{ to: c.address, data }, tag] };
  }
  if ("balance" in read) return { method: "eth_getBalance", params: [read.balance, tag] };
  return { method: "eth_getBlockByNumber", params: [tag, false] };
}

function fromResult(read: BatchRead, raw: unknown, at: ReadAt): unknown {
  if ("call" in read) {
    if (typeof raw !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(raw)) throw new Error(`eth_call ${read.call.functionName}: expected hex data`);
    if (raw === "0x" && read.allowFailure) return undefined; // no code or no such function
    const c = read.call;
    return decodeFunctionResult({ abi: c.abi as Abi, functionName: c.functionName, data: raw as Hex } as never);
  }
  if ("balance" in read) {
    if (typeof raw !== "string" || !/^0x[0-9a-fA-F]{1,64}$/.test(raw)) throw new Error("eth_getBalance: expected a quantity");
    return BigInt(raw);
  }
  if (typeof raw !== "object" || raw === null) throw new Error("eth_getBlockByNumber: block not found");
  const { number, timestamp } = raw as { number?: unknown; timestamp?: unknown };
  if (at !== "latest" && parseQuantity(number) !== at.number) throw new Error(`eth_getBlockByNumber: asked for block ${at.number}, got another`);
  return parseQuantity(timestamp);
}

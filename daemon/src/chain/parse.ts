/**
 * Validators for what endpoints answer: each takes a raw JSON-RPC result and
 * returns a typed value or throws (the pool then counts the answer as
 * malformed and asks the next endpoint). Hand-written rather than schema
 * based: the follower parses thousands of headers a second while catching up.
 */
import { formatLog, formatTransaction, formatTransactionReceipt } from "viem";
import type { BlockHeaderFacts, BlockId, ChainLog, ChainReceipt, ChainTransaction, Hex } from "../types.js";
import { parseQuantity } from "./rpc-pool.js";

/** A raw transaction object of a block fetched with full transactions. */
export interface RawTransaction {
  hash: Hex;
  to?: string | null;
  [field: string]: unknown;
}

/** A block as the follower needs it. */
export interface ParsedBlock {
  header: BlockHeaderFacts;
  /** Absent when the endpoint sends none (then blooms are not used for this block). */
  logsBloom?: Hex;
  /** Full transaction objects (empty when fetched with hashes only). */
  transactions: RawTransaction[];
}

const HASH = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const BLOOM = /^0x[0-9a-fA-F]{512}$/;
const HEX = /^0x[0-9a-fA-F]*$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hash(value: unknown, field: string): Hex {
  if (typeof value !== "string" || !HASH.test(value)) throw new Error(`${field} is not a 32-byte hash`);
  return value.toLowerCase() as Hex;
}

function bigQuantity(value: unknown, field: string): string {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{1,64}$/.test(value)) throw new Error(`${field} is not a quantity`);
  return BigInt(value).toString();
}

/**
 * Parses an `eth_getBlockByNumber` result. `null` (no such block yet) passes
 * through. Rejects a block of another height than asked for, and
 * hashes-only transactions when `full`.
 */
export function parseBlock(raw: unknown, expectedNumber: number, full: boolean): ParsedBlock | null {
  if (raw === null) return null;
  if (!isObject(raw)) throw new Error("block is not an object");
  const number = parseQuantity(raw.number);
  if (number !== expectedNumber) throw new Error(`asked for block ${expectedNumber}, got ${number}`);
  const parentHash = hash(raw.parentHash, "parentHash");
  const txs = raw.transactions;
  if (!Array.isArray(txs)) throw new Error("transactions is not an array");
  const header: BlockHeaderFacts = {
    number,
    hash: hash(raw.hash, "hash"),
    parentHash,
    timestamp: parseQuantity(raw.timestamp),
    gasUsed: bigQuantity(raw.gasUsed, "gasUsed"),
    gasLimit: bigQuantity(raw.gasLimit, "gasLimit"),
    transactionCount: txs.length,
  };
  if (raw.baseFeePerGas !== undefined && raw.baseFeePerGas !== null) {
    header.baseFeePerGas = bigQuantity(raw.baseFeePerGas, "baseFeePerGas");
  }
  const block: ParsedBlock = { header, transactions: [] };
  if (typeof raw.logsBloom === "string" && BLOOM.test(raw.logsBloom)) block.logsBloom = raw.logsBloom.toLowerCase() as Hex;
  if (full) {
    for (const tx of txs) {
      if (!isObject(tx)) throw new Error("transactions are hashes, full objects were asked for");
      hash(tx.hash, "transaction hash");
      if (tx.to !== null && tx.to !== undefined && (typeof tx.to !== "string" || !ADDRESS.test(tx.to))) {
        throw new Error("transaction to is not an address");
      }
      block.transactions.push(tx as RawTransaction);
    }
  }
  return block;
}

/** The (number, hash) of an `eth_getBlockByNumber` result, or null. */
export function parseBlockId(raw: unknown, expectedNumber: number): BlockId | null {
  if (raw === null) return null;
  if (!isObject(raw)) throw new Error("block is not an object");
  const number = parseQuantity(raw.number);
  if (number !== expectedNumber) throw new Error(`asked for block ${expectedNumber}, got ${number}`);
  return { number, hash: hash(raw.hash, "hash") };
}

/** Parses an `eth_getLogs` result into viem logs (addresses and hashes lowercase). */
export function parseLogs(raw: unknown): ChainLog[] {
  if (!Array.isArray(raw)) throw new Error("logs are not an array");
  return raw.map((log) => {
    if (!isObject(log)) throw new Error("log is not an object");
    if (typeof log.address !== "string" || !ADDRESS.test(log.address)) throw new Error("log address is not an address");
    if (!Array.isArray(log.topics) || log.topics.some((t) => typeof t !== "string" || !HASH.test(t))) {
      throw new Error("log topics are not 32-byte hashes");
    }
    if (typeof log.data !== "string" || !HEX.test(log.data)) throw new Error("log data is not hex");
    hash(log.blockHash, "log blockHash");
    hash(log.transactionHash, "log transactionHash");
    parseQuantity(log.blockNumber);
    parseQuantity(log.logIndex);
    parseQuantity(log.transactionIndex);
    const formatted = formatLog(log as Parameters<typeof formatLog>[0]) as unknown as ChainLog;
    formatted.address = formatted.address.toLowerCase() as Hex;
    formatted.blockHash = formatted.blockHash.toLowerCase() as Hex;
    formatted.transactionHash = formatted.transactionHash.toLowerCase() as Hex;
    return formatted;
  });
}

/** Parses an `eth_getTransactionReceipt` result (null passes through). */
export function parseReceipt(raw: unknown): ChainReceipt | null {
  if (raw === null) return null;
  if (!isObject(raw)) throw new Error("receipt is not an object");
  hash(raw.transactionHash, "receipt transactionHash");
  hash(raw.blockHash, "receipt blockHash");
  parseQuantity(raw.blockNumber);
  if (raw.status !== "0x1" && raw.status !== "0x0") throw new Error("receipt status is not 0x0 or 0x1");
  if (!Array.isArray(raw.logs)) throw new Error("receipt logs are not an array");
  const receipt = formatTransactionReceipt(raw as Parameters<typeof formatTransactionReceipt>[0]) as unknown as ChainReceipt;
  receipt.blockHash = receipt.blockHash.toLowerCase() as Hex;
  receipt.transactionHash = receipt.transactionHash.toLowerCase() as Hex;
  return receipt;
}

/** Formats a raw transaction object with viem. */
export function formatRawTransaction(raw: RawTransaction): ChainTransaction {
  const tx = formatTransaction(raw as Parameters<typeof formatTransaction>[0]) as unknown as ChainTransaction;
  (tx as { hash: Hex }).hash = tx.hash.toLowerCase() as Hex;
  return tx;
}

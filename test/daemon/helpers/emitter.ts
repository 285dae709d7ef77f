/**
 * A contract for follower tests, installed with `hardhat_setCode` (no
 * compiler needed): called with at least 32 bytes of calldata it emits LOG1
 * with the first word as topic0 and the rest as data; called without calldata
 * it reverts.
 *
 *   CALLDATASIZE DUP1 ISZERO PUSH1 0x18 JUMPI          ; revert when empty
 *   DUP1 PUSH1 0 PUSH1 0 CALLDATACOPY                  ; memory = calldata
 *   PUSH1 0 MLOAD SWAP1 PUSH1 32 SWAP1 SUB PUSH1 32 LOG1 STOP
 *   JUMPDEST PUSH1 0 PUSH1 0 REVERT
 */
import { encodeAbiParameters, keccak256, numberToHex, toHex } from "viem";
import type { Address, Hex } from "../../../daemon/src/types.js";
import { DEV_ACCOUNTS, type HardhatNode } from "./hardhat-node.js";

export const EMITTER_RUNTIME: Hex = "0x36801560185780600060003760005190602090036020a1005b60006000fd";
export const TEST_TOPIC: Hex = keccak256(toHex("TestEvent(uint256)"));

export async function installEmitter(node: HardhatNode, address: Address): Promise<void> {
  await node.rpc("hardhat_setCode", [address, EMITTER_RUNTIME]);
}

/** Sends a transaction that makes the emitter log `value`; returns its hash. */
export async function emit(node: HardhatNode, address: Address, value: bigint, from: Address = DEV_ACCOUNTS[0]): Promise<Hex> {
  const data = (TEST_TOPIC + encodeAbiParameters([{ type: "uint256" }], [value]).slice(2)) as Hex;
  return node.rpc<Hex>("eth_sendTransaction", [{ from, to: address, data, gas: numberToHex(100_000) }]);
}

/** Sends a transaction to the emitter that reverts (mined, no logs); returns its hash. */
export async function sendReverting(node: HardhatNode, address: Address, from: Address = DEV_ACCOUNTS[0]): Promise<Hex> {
  try {
    // With interval mining the hash comes back at once.
    return await node.rpc<Hex>("eth_sendTransaction", [{ from, to: address, data: "0x", gas: numberToHex(100_000) }]);
  } catch (error) {
    // With automine the node mines it, then reports the revert as an error: find it in the new block.
    if (!/revert/i.test(String(error))) throw error;
    const block = await node.rpc<{ transactions: Array<{ hash: Hex; to: string | null }> }>("eth_getBlockByNumber", ["latest", true]);
    const tx = block.transactions.findLast((t) => t.to?.toLowerCase() === address.toLowerCase());
    if (!tx) throw error;
    return tx.hash;
  }
}

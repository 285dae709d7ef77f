/**
 * Foundry's anvil — a second Ethereum node implementation beside Hardhat's EDR —
 * started from the npm package `@foundry-rs/anvil-linux-amd64` (no download at
 * run time) on a free loopback port, and stopped by its own pid.
 *
 * It has the same well-known dev accounts as `hardhat node` (the same
 * mnemonic). By default it mines a block per transaction; `blockTime` gives
 * interval mining (anvil takes whole seconds, or fractions with `--block-time 0.5`).
 *
 * @example
 * const node = await startAnvil({ chainId: 138, blockTime: 2 });
 * await node.mine(10);
 * await node.stop();
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startNodeProcess, type NodeProcess } from "./node-process.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Where npm puts the anvil binary. */
export const ANVIL_BIN = path.join(ROOT, "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");

export interface AnvilOptions {
  /** Default 31337. */
  chainId?: number;
  /** Seconds between blocks (interval mining); default: a block per transaction. */
  blockTime?: number;
  /** An EVM hardfork (`--hardfork`), e.g. "berlin" for a chain without EIP-1559. Default: anvil's latest. */
  hardfork?: string;
  /** Milliseconds to wait for the node to answer. Default 30 s. */
  startTimeoutMs?: number;
}

/** A running anvil (see node-process.ts). */
export type AnvilNode = NodeProcess;

export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilNode> {
  if (!existsSync(ANVIL_BIN)) throw new Error(`anvil binary not found at ${ANVIL_BIN}: is @foundry-rs/anvil-linux-amd64 installed?`);
  return startNodeProcess({
    name: "anvil",
    command: ANVIL_BIN,
    args: (port) => [
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--chain-id",
      String(options.chainId ?? 31337),
      "--silent",
      ...(options.blockTime !== undefined ? ["--block-time", String(options.blockTime)] : []),
      ...(options.hardfork !== undefined ? ["--hardfork", options.hardfork] : []),
    ],
    options: { cwd: ROOT },
    ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}),
    pollMs: 50,
  });
}

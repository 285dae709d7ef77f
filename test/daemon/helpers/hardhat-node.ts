/**
 * Starts a real `hardhat node` (EDR) on a free loopback port for a test, and
 * stops it by its own pid. By default it loads a bare config
 * (hardhat-node.config.ts next to this file) so that a chain for the daemon's
 * tests does not depend on the project's plugins; pass `config` to use
 * another.
 *
 * @example
 * const node = await startHardhatNode({ chainId: 138 });
 * await node.mine(10);
 * await node.stop();
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { startNodeProcess, type NodeProcess } from "../../../scripts/lib/node-process.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const HARDHAT_CLI = path.join(ROOT, "node_modules/hardhat/dist/src/cli.js");
const BARE_CONFIG = path.join(import.meta.dirname, "hardhat-node.config.ts");
/** The project's pinned Node (24), else the one running the tests. */
const NODE_BIN = existsSync(path.join(ROOT, "node_modules/.bin/node")) ? path.join(ROOT, "node_modules/.bin/node") : process.execPath;

/** The first of the node's well-known, funded dev accounts. */
export const DEV_ACCOUNTS = [
  "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
  "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
  "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc",
] as const;

/** A running `hardhat node` (see scripts/lib/node-process.ts). */
export type HardhatNode = NodeProcess;

export interface StartHardhatNodeOptions {
  chainId?: number;
  /** Path of the Hardhat config to load. Default: the bare config next to this file. */
  config?: string;
  /** Milliseconds to wait for the node to answer. Default 30 s. */
  startTimeoutMs?: number;
}

export async function startHardhatNode(options: StartHardhatNodeOptions = {}): Promise<HardhatNode> {
  return startNodeProcess({
    name: "hardhat node",
    command: NODE_BIN,
    args: (port) => [
      HARDHAT_CLI,
      "--config",
      options.config ?? BARE_CONFIG,
      "node",
      "--hostname",
      "127.0.0.1",
      "--port",
      String(port),
      ...(options.chainId !== undefined ? ["--chain-id", String(options.chainId)] : []),
    ],
    // It logs every request: node-process drains both pipes for its whole life.
    options: { cwd: ROOT, env: { ...process.env, DO_NOT_TRACK: "1" } },
    ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}),
  });
}

/**
 * Presets a config file can start from (`"preset": "chain138"`); without a
 * file, Guardian runs with the `local` preset. A file overrides a preset field
 * by field (objects merge, arrays and values replace).
 */
import type { ConfigFileInput, PresetName } from "./schema.js";

export const PRESETS: Readonly<Record<PresetName, Partial<ConfigFileInput>>> = {
  /** A Hardhat/anvil node on this machine (`npm run demo`). */
  local: {
    chainId: 31337,
    rpc: { endpoints: [{ name: "local", http: "http://127.0.0.1:8545", ws: "ws://127.0.0.1:8545" }] },
    blockTimeMs: 1000,
    // Hardhat and anvil start at 1 gwei and decay to a few wei when idle: ratios against that are noise.
    detectors: { "rpc-health": {}, "pause-changed": {}, "gas-spike": { minBaseFeeWei: "1000000000" } },
  },
  /**
   * Chain 138 (Besu, QBFT, ~2 s blocks, instant finality). The RPC endpoints
   * are the operator's: the file must list at least one.
   */
  chain138: {
    chainId: 138,
    rpc: { endpoints: [] },
    blockTimeMs: 2000,
    follower: { confirmations: 0 },
    // Fixed ~1 gwei gas pricing (the operator's figure): the base fee barely moves, so only a fee
    // 3x that price counts, and congestion is read from block fullness.
    detectors: { "rpc-health": {}, "pause-changed": {}, "gas-spike": { minBaseFeeWei: "1000000000" } },
  },
};

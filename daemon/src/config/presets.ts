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
  },
};

import { defineConfig } from "vitest/config";

// Vitest runs the daemon's and the site's tests; the contracts' tests (Solidity
// and node:test + viem under test/contracts) run under `hardhat test`.
export default defineConfig({
  test: {
    include: ["daemon/**/*.test.ts", "test/daemon/**/*.test.ts", "site/**/*.test.ts", "test/site/**/*.test.ts", "test/scripts/**/*.test.ts", "test/bundler/**/*.test.ts", "test/store/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start their own chains on free ports; two workers
    // match the two cores CI has.
    maxWorkers: 2,
  },
});

/**
 * Compiled contracts the deployer needs: Guardian's own (from Hardhat's
 * `artifacts/`, produced by `hardhat build`) and Safe v1.4.1 (shipped compiled
 * inside @safe-global/safe-contracts, so nothing is compiled or downloaded).
 */
import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Abi, Hex } from "viem";

export interface Artifact {
  contractName: string;
  abi: Abi;
  bytecode: Hex;
}

/** Repository root: two levels above daemon/src/deploy. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

const GUARDIAN_CONTRACTS = ["GuardianHub", "GuardedPaymaster", "GuardedAccountFactory"] as const;
export type GuardianContract = (typeof GUARDIAN_CONTRACTS)[number];

function readArtifact(file: string, hint: string): Artifact {
  if (!existsSync(file)) throw new Error(`missing compiled contract ${file}: ${hint}`);
  const json = JSON.parse(readFileSync(file, "utf8")) as Artifact;
  return { contractName: json.contractName, abi: json.abi, bytecode: json.bytecode };
}

/** One of Guardian's contracts, compiled by `npx hardhat build`. */
export function guardianArtifact(name: GuardianContract): Artifact {
  return readArtifact(
    path.join(PROJECT_ROOT, "artifacts", "contracts", `${name}.sol`, `${name}.json`),
    "run `npx hardhat build` first",
  );
}

const SAFE_ARTIFACTS = {
  SafeL2: "SafeL2.sol/SafeL2.json",
  SafeProxyFactory: "proxies/SafeProxyFactory.sol/SafeProxyFactory.json",
  CompatibilityFallbackHandler: "handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json",
} as const;

/** A Safe v1.4.1 contract from the compiled artifacts the Safe package ships. */
export function safeArtifact(name: keyof typeof SAFE_ARTIFACTS): Artifact {
  const require = createRequire(import.meta.url);
  const pkg = path.dirname(require.resolve("@safe-global/safe-contracts/package.json"));
  return readArtifact(
    path.join(pkg, "build", "artifacts", "contracts", SAFE_ARTIFACTS[name]),
    "reinstall dependencies (npm ci)",
  );
}

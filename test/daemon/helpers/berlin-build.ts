/**
 * GuardianHub and GuardedAccountFactory compiled for a pre-London chain
 * (EVM "berlin": no PUSH0, no BASEFEE), with the project's pinned solc-js.
 * The project's artifacts target the compiler's default EVM (Prague), whose
 * bytecode a berlin node refuses; a legacy-fee test chain needs its own.
 * Compiled once per process.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Abi, Hex } from "viem";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const require = createRequire(import.meta.url);

export interface BerlinArtifact {
  abi: Abi;
  bytecode: Hex;
}

let built: Promise<Record<"GuardianHub" | "GuardedAccountFactory", BerlinArtifact>> | undefined;

function findImport(importPath: string): { contents: string } | { error: string } {
  for (const base of [path.join(ROOT, "node_modules"), ROOT]) {
    try {
      return { contents: readFileSync(path.join(base, importPath), "utf8") };
    } catch {}
  }
  return { error: `not found: ${importPath}` };
}

export function berlinArtifacts() {
  built ??= (async () => {
    const solc = require(path.join(ROOT, "node_modules/solc")) as { compile(input: string, opts: { import: typeof findImport }): string };
    const sources = Object.fromEntries(
      ["GuardianHub.sol", "GuardedAccountFactory.sol"].map((f) => [`contracts/${f}`, { content: readFileSync(path.join(ROOT, "contracts", f), "utf8") }]),
    );
    const input = {
      language: "Solidity",
      sources,
      settings: { evmVersion: "berlin", optimizer: { enabled: true, runs: 200 }, outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } },
    };
    const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as {
      errors?: Array<{ severity: string; formattedMessage: string }>;
      contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
    };
    const errors = (output.errors ?? []).filter((e) => e.severity === "error");
    if (errors.length) throw new Error(`berlin build failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
    const art = (file: string, name: string): BerlinArtifact => {
      const c = output.contracts[`contracts/${file}`]![name]!;
      return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
    };
    return { GuardianHub: art("GuardianHub.sol", "GuardianHub"), GuardedAccountFactory: art("GuardedAccountFactory.sol", "GuardedAccountFactory") };
  })();
  return built;
}

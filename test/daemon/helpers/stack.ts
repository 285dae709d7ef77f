/**
 * A real node with the whole stack deployed, and a config directory for a
 * daemon that follows it: what the daemon's integration tests start from.
 * The node is Hardhat's EDR (`hardhat node`) by default, or Foundry's anvil
 * (`node: "anvil"`): a second implementation the core tests run on too.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { defineChain } from "viem";
import { startAnvil } from "../../../scripts/lib/anvil.js";
import { DEV_MNEMONIC, devClients, startLocalChain, type LocalChain } from "../../../scripts/lib/local-chain.js";
import { deployLocalStack, roleWallets, ROLE_INDEX, type RoleWallets } from "../../../daemon/src/deploy/local.js";
import { writeDeployment } from "../../../daemon/src/deploy/deployments.js";
import type { Deployment } from "../../../daemon/src/deploy/guardian.js";
import { loadConfig, type GuardianConfig } from "../../../daemon/src/config/index.js";
import { foldFindings } from "../../../daemon/src/runtime/sink.js";
import type { GuardianStore } from "../../../daemon/src/store/index.js";
import type { Finding } from "../../../daemon/src/types.js";

export const devKey = (role: keyof typeof ROLE_INDEX) => toHex(mnemonicToAccount(DEV_MNEMONIC, { addressIndex: ROLE_INDEX[role] }).getHdKey().privateKey!);

/** Which node implementation a test runs on. */
export type NodeKind = "edr" | "anvil";

export interface StackEnv {
  node: NodeKind;
  chain: Pick<LocalChain, "url" | "port" | "chain" | "stop">;
  client: ReturnType<typeof devClients>["client"];
  wallets: RoleWallets;
  deployment: Deployment;
  dir: string;
  configFile: string;
  env: Record<string, string>;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  config(overrides?: { rpcUrls?: string[]; dataDir?: string }): GuardianConfig;
  /** Automine off, a block every `ms` (EDR takes milliseconds, anvil whole seconds). */
  intervalMining(ms: number): Promise<void>;
}

async function startNode(kind: NodeKind): Promise<StackEnv["chain"]> {
  if (kind === "edr") return startLocalChain();
  const node = await startAnvil();
  const chain = defineChain({ id: 31337, name: "anvil-31337", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [node.url] } } });
  return { url: node.url, port: node.port, chain, stop: () => node.stop() };
}

/** `ws`: the first endpoint also gets the node's WebSocket URL (same port), for newHeads. */
export async function startStack(opts: { rpcUrls?: string[]; blockTimeMs?: number; node?: NodeKind; ws?: boolean } = {}): Promise<StackEnv> {
  const kind = opts.node ?? "edr";
  const chain = await startNode(kind);
  const { client, wallets } = devClients(chain.chain, chain.url);
  const w = roleWallets(wallets as any);
  let deployment: Deployment;
  try {
    deployment = await deployLocalStack(client as any, w, { sentinelPauseDuration: 3600, sentinelCooldown: 3600 });
  } catch (error) {
    await chain.stop(); // a failed deployment (missing artifacts, say) must not leave the node running
    throw error;
  }
  const dir = mkdtempSync(path.join(tmpdir(), "guardian-daemon-"));
  writeDeployment(path.join(dir, "deployments"), deployment);
  const writeConfig = (file: string, rpcUrls: string[], blockTimeMs: number) =>
    writeFileSync(
      file,
      JSON.stringify({
        preset: "local",
        blockTimeMs,
        rpc: { endpoints: rpcUrls.map((url, i) => ({ name: `ep${i}`, http: url, ...(i === 0 && opts.ws ? { ws: `ws://127.0.0.1:${chain.port}` } : {}) })) },
        deploymentsFile: `deployments/${deployment.chainId}.json`,
        dataDir: "data",
        // Generous: under a full parallel test run on 2 cores a loaded node answers slowly.
        follower: { requestTimeoutMs: 5000 },
        metrics: { port: 0 },
      }),
    );
  const configFile = path.join(dir, "guardian.json");
  writeConfig(configFile, opts.rpcUrls ?? [chain.url], opts.blockTimeMs ?? 500);
  const env = { GUARDIAN_CONFIG: configFile, GUARDIAN_SENTINEL_KEY: devKey("sentinel") };
  const rpc = <T>(method: string, params: unknown[] = []) => client.request({ method: method as never, params: params as never }) as Promise<T>;
  return {
    node: kind,
    chain,
    client,
    wallets: w,
    deployment,
    dir,
    configFile,
    env,
    rpc: rpc as StackEnv["rpc"],
    async intervalMining(ms) {
      await rpc("evm_setAutomine", [false]);
      if (kind === "anvil") await rpc("evm_setIntervalMining", [Math.max(1, Math.round(ms / 1000))]);
      else await rpc("evm_setIntervalMining", [ms]);
    },
    config(overrides = {}) {
      let file = configFile;
      if (overrides.rpcUrls) {
        file = path.join(dir, `guardian-${Date.now()}.json`);
        writeConfig(file, overrides.rpcUrls, opts.blockTimeMs ?? 500);
      }
      return loadConfig({ file, env: { ...env, ...(overrides.dataDir ? { GUARDIAN_DATA_DIR: overrides.dataDir } : {}) }, cwd: dir });
    },
  };
}

/** A `raise` for the runtime's watchers that folds their findings into `store` as the daemon does (every layer auto-paused). */
export function raiseInto(store: Pick<GuardianStore, "update">): (findings: Finding[]) => Promise<void> {
  return async (findings) => {
    await store.update((d) => void foldFindings(d, findings, { now: new Date(), autoPause: { entryPoint: true, accountFactory: true, delegation: true } }));
  };
}

/**
 * A local chain for the demo, scenarios and benchmarks: `hardhat node` on a
 * free loopback port, started as a child process and stopped by its own pid.
 * Accounts are Hardhat's well-known development keys (never use them on a
 * real chain).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createPublicClient, createWalletClient, defineChain, http, type Chain } from "viem";
import { mnemonicToAccount } from "viem/accounts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

import { freePort } from "../../daemon/src/drill/fork.js";
/** A free TCP port on loopback (the daemon's own, used by its drills too). */
export { freePort };

/**
 * Mines `n` real blocks as JSON-RPC batches of `evm_mine` (1,000 a request).
 * Unlike `hardhat_mine`, whose reserved blocks EDR serves with a zero parent
 * hash, every block has its parent's hash: a follower can verify the chain.
 */
export async function mineBlocks(url: string, n: number): Promise<void> {
  for (let done = 0; done < n; done += 1000) {
    const count = Math.min(1000, n - done);
    const body = Array.from({ length: count }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "evm_mine", params: [] }));
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const answers = (await response.json()) as Array<{ error?: unknown }>;
    if (!Array.isArray(answers) || answers.some((a) => a.error)) throw new Error("evm_mine batch failed");
  }
}

export interface LocalChain {
  url: string;
  port: number;
  chain: Chain;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `hardhat node` and waits until it answers `eth_chainId` (fails at
 * once if it exits; `startTimeoutMs`, default 60 s, is the safety net).
 */
export async function startLocalChain(opts: { port?: number; chainId?: number; startTimeoutMs?: number } = {}): Promise<LocalChain> {
  const port = opts.port ?? (await freePort());
  const chainId = opts.chainId ?? 31337;
  const hardhat = path.join(ROOT, "node_modules", ".bin", "hardhat");
  const args = ["node", "--hostname", "127.0.0.1", "--port", String(port)];
  if (chainId !== 31337) args.push("--chain-id", String(chainId));
  const child = spawn(hardhat, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DO_NOT_TRACK: "1" } });
  let output = "";
  child.stdout!.on("data", (b) => (output = (output + b).slice(-4000)));
  child.stderr!.on("data", (b) => (output = (output + b).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited (${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }) });
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`hardhat node did not answer on ${url} within ${Math.round(startTimeoutMs / 1000)} s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const chain = defineChain({
    id: chainId,
    name: `local-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  return {
    url,
    port,
    chain,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Clients for a chain: a public client and wallets for dev accounts 0..n-1.
 * `timeoutMs` is the per-request HTTP timeout (viem's default: 10 s; an
 * `eth_estimateGas` of a gas-heavy operation takes longer on a loaded machine).
 */
export function devClients(chain: Chain, url: string, n = 10, options: { timeoutMs?: number } = {}) {
  const transport = http(url, { retryCount: 0, ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}) });
  const client = createPublicClient({ chain, transport, pollingInterval: 100 });
  const wallets = Array.from({ length: n }, (_, i) =>
    createWalletClient({ chain, transport, account: mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }) }),
  );
  return { client, wallets };
}

/**
 * Kit traffic for the benchmarks, sent without waiting for a block (the
 * bench mines): sponsored user operations of a smart account through
 * `EntryPoint.handleOps` (a bundler EOA), and hub heartbeats.
 */
import { parseEther, type Hex } from "viem";
import { entryPoint07Abi, toPackedUserOperation } from "viem/account-abstraction";
import type { MetaMaskSmartAccount } from "@metamask/smart-accounts-kit";
import { buildUserOp, handleOps, smartAccount } from "../lib/traffic.js";
import { hubAbi, type BenchStack } from "./stack.js";

export interface KitTraffic {
  /** Sends one sponsored user operation (one handleOps transaction); resolves with its hash once sent. */
  sendOp(): Promise<Hex>;
  /** Sends a hub heartbeat from `wallet` (default: the bundler would be wrong: only sentinels may; uses the baseline sentinel). */
  heartbeat(): Promise<Hex>;
}

/** Creates and funds a smart account (needs blocks to be mined: call with automine on). */
export async function kitTraffic(stack: BenchStack, salt: Hex = "0x5eed"): Promise<KitTraffic> {
  const { client, deployment: d, wallets: w } = stack;
  const account: MetaMaskSmartAccount = await smartAccount(client as never, d, w.user, salt);
  await client.waitForTransactionReceipt({ hash: await w.deployer.sendTransaction({ to: account.address, value: parseEther("100") }) });
  const first = await buildUserOp(client as never, d, account, { calls: [{ to: w.stranger.account.address, value: 1n }], sponsor: w.sponsor });
  const receipt = await handleOps(client as never, d, w.bundler, [first]);
  if (receipt.status !== "success") throw new Error("kit traffic: creating the smart account failed");
  return {
    async sendOp() {
      const op = await buildUserOp(client as never, d, account, { calls: [{ to: w.stranger.account.address, value: 1n }], sponsor: w.sponsor });
      return w.bundler.writeContract({
        address: d.kit.EntryPoint,
        abi: entryPoint07Abi,
        functionName: "handleOps",
        args: [[toPackedUserOperation(op)], w.bundler.account.address],
        gas: 1_000_000n,
      });
    },
    async heartbeat() {
      return stack.baselineSentinel.writeContract({ address: d.guardian.hub, abi: hubAbi, functionName: "heartbeat", gas: 100_000n });
    },
  };
}

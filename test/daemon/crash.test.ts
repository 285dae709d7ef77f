/**
 * `guardian run` as a real process, killed with SIGKILL at random points
 * while the chain makes blocks with traffic, restarted each time: at the end
 * every canonical block was processed exactly once (the store's processed
 * log equals the node's chain, number by number and hash by hash), and the
 * store still parses.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { readStoreSnapshot } from "../../daemon/src/store/index.js";
import { waitFor } from "./helpers/memory-sink.js";
import { startStack, type StackEnv } from "./helpers/stack.js";

const BIN = path.resolve("bin/guardian.mjs");
let s: StackEnv;

function startDaemonProcess(): ChildProcess {
  return spawn(process.execPath, [BIN, "run", "--record-processed", "--publish-interval", "3600", "--heartbeat-interval", "0"], {
    cwd: s.dir,
    env: { ...process.env, ...s.env, GUARDIAN_ADMIN_TOKEN: "test-admin-token-0123456789" },
    stdio: ["ignore", "ignore", "pipe"],
  });
}

beforeAll(async () => {
  s = await startStack({ blockTimeMs: 300 });
});
afterAll(async () => {
  await s?.chain.stop();
});

describe("crash safety", () => {
  it("every canonical block is processed exactly once across SIGKILLs and restarts", async () => {
    await s.rpc("evm_setAutomine", [false]);
    await s.rpc("evm_setIntervalMining", [150]);
    // Traffic to a watched contract in many blocks: the hub's heartbeat by the sentinel.
    let traffic = true;
    const trafficLoop = (async () => {
      while (traffic) {
        await s.wallets.sentinel
          .writeContract({ address: s.deployment.guardian.hub, abi: [{ type: "function", name: "heartbeat", inputs: [], outputs: [], stateMutability: "nonpayable" }], functionName: "heartbeat", gas: 100_000n })
          .catch(() => undefined);
        await new Promise((r) => setTimeout(r, 120));
      }
    })();

    let stderr = "";
    for (let round = 0; round < 4; round++) {
      const child = startDaemonProcess();
      child.stderr!.on("data", (b) => (stderr = (stderr + b).slice(-20_000)));
      // Let it run a random while (sometimes during its start), then kill it hard.
      await new Promise((r) => setTimeout(r, 700 + Math.floor(Math.random() * 1500)));
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    }
    traffic = false;
    await trafficLoop;
    await s.rpc("evm_setIntervalMining", [0]);
    const head = Number(await s.client.getBlockNumber({ cacheTime: 0 }));

    // A last run catches up and stops cleanly on SIGTERM.
    const last = startDaemonProcess();
    last.stderr!.on("data", (b) => (stderr = (stderr + b).slice(-20_000)));
    const dataDir = path.join(s.dir, "data");
    await waitFor(async () => ((await readStoreSnapshot(dataDir))?.chain.ring.at(-1)?.number ?? -1) >= head, 60_000, `caught up to ${head}`);
    const exited = new Promise<number | null>((r) => last.once("exit", (code) => r(code)));
    last.kill("SIGTERM");
    expect(await exited, stderr.slice(-3000)).toBe(0);

    const data = (await readStoreSnapshot(dataDir))!;
    const log = data.chain.processedLog!;
    const first = log[0]!.number;
    expect(first).toBe(s.deployment.startBlock);
    expect(log.length).toBe(head - first + 1);
    for (let i = 0; i < log.length; i++) {
      const block = await s.client.getBlock({ blockNumber: BigInt(first + i) });
      expect(log[i]).toEqual({ number: first + i, hash: block.hash });
    }
    expect(data.chain.processedCount).toBe(log.length);
  });
});

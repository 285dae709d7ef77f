/**
 * What the probe and canary tests share: a config file for `guardian run`
 * with a bundler named "alto" (its URL goes in env GUARDIAN_BUNDLER_ALTO)
 * and auto-pause off (the point is what the probes see), a wait counted in
 * the blocks the chain makes, and the daemon's probe counters.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { RunningDaemon } from "../../daemon/src/runtime/daemon.js";
import { waitForState } from "../../scripts/lib/wait.js";
import type { StackEnv } from "../daemon/helpers/stack.js";

/** Blocks a state may take to show: generous, a loaded 2-core machine is slow. */
export const DEADLINE_BLOCKS = 200;

/** Writes `<name>.json` in the stack's directory; returns its path. */
export function writeProbeConfig(s: StackEnv, name: string, o: { blockTimeMs: number; probes: Record<string, unknown> }): string {
  const file = path.join(s.dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      preset: "local",
      blockTimeMs: o.blockTimeMs,
      rpc: { endpoints: [{ name: "node", http: s.chain.url }] },
      deploymentsFile: `deployments/${s.deployment.chainId}.json`,
      dataDir: `data-${name}`,
      follower: { requestTimeoutMs: 5000 },
      metrics: { port: 0 },
      autoPause: { entryPoint: false, accountFactory: false, delegation: false },
      bundlers: [{ name: "alto" }],
      probes: o.probes,
    }),
  );
  return file;
}

/** Waits until `pick` returns something, for at most DEADLINE_BLOCKS blocks of the chain. */
export async function untilBlocks<T>(s: StackEnv, what: string, pick: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const head = async () => Number(await s.client.getBlockNumber({ cacheTime: 0 }));
  const from = await head();
  return waitForState({
    what,
    deadlineBlock: from + DEADLINE_BLOCKS,
    probe: async () => {
      const value = await pick();
      const at = await head();
      return value === undefined ? { atBlock: at, seen: "not yet" } : { atBlock: at, seen: "yes", value };
    },
  });
}

/** guardian_probe_results_total from the daemon's /metrics, by "<journey> <via> <outcome>". */
export async function probeCounts(daemon: RunningDaemon): Promise<Record<string, number>> {
  const text = await (await fetch(`http://${daemon.observability.host}:${daemon.observability.port}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^guardian_probe_results_total\{journey="([^"]+)",via="([^"]+)",outcome="([^"]+)"\} (\d+)/gm)) out[`${m[1]} ${m[2]} ${m[3]}`] = Number(m[4]);
  return out;
}

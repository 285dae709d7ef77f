/**
 * `npm run soak [-- --minutes N]`: the long soak (default 10 minutes) of
 * scripts/bench/soak.ts — `guardian run` SIGKILLed at random, RPC faults at
 * its three endpoints (errors, timeouts, 429s, malformed answers, a lagging
 * and a lying endpoint, outages), kit traffic, reorgs and Critical symptoms —
 * then the invariants: every canonical block processed exactly once, no
 * incident duplicated, every Critical symptom paused exactly once, the store
 * parses. Prints a summary; exits 1 when a check fails.
 *
 * Options: --minutes N (10), --block-ms N (400), --no-faults, --no-reorgs,
 * --symptoms on-chain|manual|both (both), --json FILE (the report as JSON),
 * --daemon-log FILE (every daemon's log lines).
 *
 * The HA soak (scripts/bench/ha-soak.ts): --replicas N --store postgres runs N
 * replicas on a throwaway PostgreSQL cluster with the same weather, plus
 * chaos at the leader (SIGKILL, SIGSTOP past the lease, its database
 * connections cut, a PostgreSQL restart); --lease-ms N (default 3 block
 * intervals, at least 1,500). Prints the takeover after each leader loss.
 */
process.env.DO_NOT_TRACK ??= "1";

import { writeFileSync } from "node:fs";
import { formatSoakReport, runSoak } from "./bench/soak.js";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
};
const minutes = Number(arg("minutes") ?? 10);
if (!(minutes > 0)) throw new Error(`--minutes: expected a positive number, got ${arg("minutes")}`);
const symptoms = arg("symptoms") ?? "both";
if (!["on-chain", "manual", "both"].includes(symptoms)) throw new Error(`--symptoms: expected on-chain, manual or both, got ${symptoms}`);

const replicas = Number(arg("replicas") ?? 1);
if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`--replicas: expected a whole number ≥ 1, got ${arg("replicas")}`);
const storeKind = arg("store") ?? (replicas > 1 ? "postgres" : "lowdb");
if (storeKind !== "lowdb" && storeKind !== "postgres") throw new Error(`--store: expected lowdb or postgres, got ${storeKind}`);
if (replicas > 1 && storeKind !== "postgres") throw new Error(`--replicas ${replicas}: replicas share a PostgreSQL store (--store postgres)`);
const leaseMs = arg("lease-ms") === undefined ? undefined : Number(arg("lease-ms"));
if (leaseMs !== undefined && !(Number.isInteger(leaseMs) && leaseMs >= 500)) throw new Error(`--lease-ms: expected milliseconds (an integer ≥ 500), got ${arg("lease-ms")}`);

console.log(
  storeKind === "postgres"
    ? `soak: ${minutes} min, ${replicas} replicas on PostgreSQL: chaos at the leader, RPC faults, reorgs and Critical symptoms`
    : `soak: ${minutes} min of SIGKILLs, RPC faults, reorgs and Critical symptoms against guardian run`,
);
const report = await runSoak({
  durationMs: minutes * 60_000,
  blockIntervalMs: Number(arg("block-ms") ?? 400),
  faults: !process.argv.includes("--no-faults"),
  reorgs: !process.argv.includes("--no-reorgs"),
  symptoms: symptoms === "both" ? ["on-chain", "manual"] : [symptoms as "on-chain" | "manual"],
  log: (line) => console.log(line),
  ...(storeKind === "postgres" ? { store: "postgres" as const, replicas } : {}),
  ...(leaseMs !== undefined ? { leaseMs } : {}),
  ...(arg("daemon-log") ? { daemonLog: arg("daemon-log")! } : {}),
});
console.log(`\n${formatSoakReport(report)}`);
const json = arg("json");
if (json) writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
process.exit(report.ok ? 0 : 1);

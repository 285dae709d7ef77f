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

console.log(`soak: ${minutes} min of SIGKILLs, RPC faults, reorgs and Critical symptoms against guardian run`);
const report = await runSoak({
  durationMs: minutes * 60_000,
  blockIntervalMs: Number(arg("block-ms") ?? 400),
  faults: !process.argv.includes("--no-faults"),
  reorgs: !process.argv.includes("--no-reorgs"),
  symptoms: symptoms === "both" ? ["on-chain", "manual"] : [symptoms as "on-chain" | "manual"],
  log: (line) => console.log(line),
  ...(arg("daemon-log") ? { daemonLog: arg("daemon-log")! } : {}),
});
console.log(`\n${formatSoakReport(report)}`);
const json = arg("json");
if (json) writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
process.exit(report.ok ? 0 : 1);

/**
 * A Critical incident whose pause action was lost still gets its pause: the
 * daemon died after storing the incident and before journaling the pause (a
 * block commit or an admin-endpoint trigger), or the incident was triggered
 * through the CLI while no daemon ran. At start the circuit breaker sends
 * the pauses such incidents are owed (found by the soak test: SIGKILLs
 * between the commit and the journal, and CLI triggers while the daemon was
 * down, left Critical incidents unpaused for good).
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import pino from "pino";
import { parseAbi } from "viem";
import { main } from "../../daemon/src/cli.js";
import { addTimelineEntry, openIncident, transition } from "../../daemon/src/incidents/index.js";
import { owedPauses } from "../../daemon/src/runtime/circuit-breaker.js";
import { startDaemon, type RunningDaemon } from "../../daemon/src/runtime/daemon.js";
import { emptyStoreData, readStoreSnapshot, type StoreData } from "../../daemon/src/store/index.js";
import type { Incident } from "../../daemon/src/types.js";
import { waitFor } from "./helpers/memory-sink.js";
import { startStack, type StackEnv } from "./helpers/stack.js";

const ALL = { entryPoint: true, accountFactory: true, delegation: true } as const;
const now = new Date("2026-01-01T00:00:00Z");

function critical(key: string, overrides: Partial<Incident> = {}): Incident {
  return { ...openIncident({ key, title: key, severity: "critical", affected: { layers: ["delegation"], contracts: [] }, source: "test", now }), ...overrides };
}

function data(incidents: Incident[], journaled: string[] = []): StoreData {
  const d = emptyStoreData(138, now, false);
  for (const i of incidents) d.incidents[i.id] = i;
  for (const id of journaled) d.outbox.push({ id: `pause:${id}`, kind: "sentinel-pause", createdAt: now.toISOString(), incidentId: id, status: "pending", attempts: 1, payload: {} });
  return d;
}

describe("owedPauses", () => {
  it("owes a pause to an open Critical incident the breaker never acted on", () => {
    const i = critical("a");
    expect(owedPauses(data([i]), ALL)).toEqual([{ type: "pause", incidentId: i.id, layers: ["delegation"] }]);
    const responding = transition(i, "responding", { now });
    expect(owedPauses(data([responding]), ALL)).toHaveLength(1);
  });

  it("owes nothing once journaled, acted on, contained or closed, below Critical, or with auto-pause off", () => {
    const i = critical("b");
    expect(owedPauses(data([i], [i.id]), ALL)).toEqual([]);
    expect(owedPauses(data([addTimelineEntry(i, { kind: "action", message: "Auto-pause refused" }, now)]), ALL)).toEqual([]);
    expect(owedPauses(data([transition(i, "contained", { now })]), ALL)).toEqual([]);
    expect(owedPauses(data([transition(i, "recovered", { now })]), ALL)).toEqual([]);
    expect(owedPauses(data([critical("c", { severity: "high" })]), ALL)).toEqual([]);
    expect(owedPauses(data([critical("d", { affected: { layers: [], contracts: [] } })]), ALL)).toEqual([]);
    expect(owedPauses(data([i]), { ...ALL, delegation: false })).toEqual([]);
  });
});

describe("a pause owed across a restart", () => {
  let s: StackEnv;
  let daemon: RunningDaemon | undefined;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(async () => {
    await daemon?.stop();
    await s?.chain.stop();
  });

  it("a Critical incident triggered through the CLI while no daemon runs is paused when the daemon starts", async () => {
    let out = "";
    let err = "";
    const code = await main(["incident", "trigger", "delegationManager", "--severity", "critical", "--title", "Delegations drained while the daemon was down"], {
      stdout: (t) => void (out += t),
      stderr: (t) => void (err += t),
      env: s.env,
      cwd: s.dir,
    });
    expect(code, err).toBe(0);
    const id = out.trim();
    daemon = await startDaemon({ config: s.config(), publishIntervalSeconds: 60, heartbeatIntervalSeconds: 0, logger: pino({ level: "silent" }) });
    await waitFor(() => daemon!.store.read().incidents[id]?.state === "contained", 30_000, "incident contained");
    const hubAbi = parseAbi(["function isPaused(uint8 layer) view returns (bool)"]);
    expect(await s.client.readContract({ address: s.deployment.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [2] })).toBe(true);
    const journal = daemon.store.read().outbox.filter((o) => o.kind === "sentinel-pause");
    expect(journal.map((o) => [o.incidentId, o.status])).toEqual([[id, "done"]]);
    // A restart owes nothing more.
    await daemon.stop();
    daemon = await startDaemon({ config: s.config(), publishIntervalSeconds: 60, heartbeatIntervalSeconds: 0, logger: pino({ level: "silent" }) });
    await new Promise((r) => setTimeout(r, 1500));
    const after = (await readStoreSnapshot(daemon.store.dataDir))!;
    expect(after.outbox.filter((o) => o.kind === "sentinel-pause")).toHaveLength(1);
  });
});

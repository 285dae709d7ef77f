/**
 * The CLI as the operator runs it: `node bin/guardian.mjs ...` in a child
 * process, against a real data directory, with and without a daemon's admin
 * endpoint (started here, in-process, holding the store lock).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startAdminServer } from "./admin/server.js";
import { openLowdbStore } from "./store/lowdb-store.js";
import { generateAdminToken, publishAdminEndpoint, unpublishAdminEndpoint } from "./store/runtime-files.js";
import { runCli, tempDir } from "./store/testing/spawn.js";
import type { Incident } from "./types.js";

const ADDRESS = "0x00000000000000000000000000000000000000bb";
let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

describe("bin/guardian.mjs", () => {
  it("without a daemon: bad args exit 2 writing nothing; trigger → update → ack → show; refused transition exit 2", async () => {
    const cwd = tempDir();
    const dataDir = path.join(cwd, ".guardian");
    const bad = await runCli(["incident", "trigger", ADDRESS, "--severity", "severe"], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--severity: expected "critical" | "high" | "medium" | "low", got "severe"');
    expect(existsSync(dataDir)).toBe(false);

    const trigger = await runCli(["incident", "trigger", ADDRESS, "--severity", "critical", "--layer", "delegation"], { cwd });
    expect(trigger).toMatchObject({ code: 0, stderr: "" });
    const id = trigger.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const before = readFileSync(path.join(dataDir, "store.json"));
    const refused = await runCli(["incident", "update", id, "--state", "postreview"], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("cannot move from detected to postreview (allowed from detected: responding, contained, recovered)");
    expect(readFileSync(path.join(dataDir, "store.json")).equals(before)).toBe(true);

    expect((await runCli(["incident", "update", id, "--state", "contained", "--message", "Delegation paused."], { cwd })).code).toBe(0);
    expect((await runCli(["incident", "ack", id, "--by", "alice"], { cwd })).stdout).toMatch(/acknowledged by/);
    const show = await runCli(["incident", "show", id, "--json"], { cwd });
    expect(JSON.parse(show.stdout)).toMatchObject({ id, state: "contained", publicStatus: "monitoring", affected: { layers: ["delegation"] } });
    expect(existsSync(path.join(dataDir, "guardian.lock"))).toBe(false);
  });

  it("with a daemon: writes go through its admin endpoint (generated token in admin.token)", async () => {
    const cwd = tempDir();
    const dataDir = path.join(cwd, ".guardian");
    const store = await openLowdbStore({ dataDir, chainId: 31337, purpose: "daemon" });
    const token = generateAdminToken();
    const admin = await startAdminServer({ store, token });
    await publishAdminEndpoint(dataDir, { host: admin.host, port: admin.port, pid: process.pid, startedAt: new Date().toISOString() }, token);
    cleanup.push(
      () => store.close(),
      () => admin.close(),
      () => unpublishAdminEndpoint(dataDir, process.pid),
    );

    const trigger = await runCli(["incident", "trigger", ADDRESS, "--severity", "high", "--title", "Redemptions failing"], { cwd });
    expect(trigger).toMatchObject({ code: 0, stderr: "" });
    const id = trigger.stdout.trim();
    // Written by the daemon's own store (the CLI could not have taken the lock).
    expect(store.read().incidents[id]).toMatchObject({ title: "Redemptions failing", state: "detected" });

    const before = readFileSync(path.join(dataDir, "store.json"));
    const refused = await runCli(["incident", "update", id, "--state", "postreview"], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("cannot move from detected to postreview");
    expect(readFileSync(path.join(dataDir, "store.json")).equals(before)).toBe(true);

    expect((await runCli(["incident", "update", id, "--state", "responding", "--by", "bob"], { cwd })).code).toBe(0);
    expect((await runCli(["incident", "ack", id], { cwd })).stdout).toContain("already acknowledged by bob");
    expect((store.read().incidents[id] as Incident).state).toBe("responding");

    const show = await runCli(["incident", "show", id], { cwd });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain("State       responding (public: identified)");
    expect(show.stdout).toMatch(/Timeline \(UTC\)\n {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}opened/);
  });
});

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../cli.js";
import { tempDir } from "../store/testing/spawn.js";

const NOW = new Date("2026-06-01T08:00:00.000Z");

async function cli(cwd: string, argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {}, cwd, clock: () => NOW, lockWaitMs: 0 });
  return { code, stdout, stderr };
}

describe("guardian maintenance", () => {
  it("schedule prints the id; start, verify, complete move it; list shows it; the file holds it", async () => {
    const cwd = tempDir();
    const scheduled = await cli(cwd, ["maintenance", "schedule", "--components", "accountFactory", "delegation", "--from", "2026-06-02T10:00Z", "--until", "2026-06-02T12:00+00:00", "--title", "Factory migration", "--message", "New accounts cannot be created for up to two hours.", "--by", "dave"]);
    expect(scheduled).toMatchObject({ code: 0, stderr: "" });
    const id = scheduled.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    // The same announcement again is the same maintenance.
    expect((await cli(cwd, ["maintenance", "schedule", "--components", "delegation", "accountFactory", "--from", "2026-06-02T10:00:00Z", "--until", "2026-06-02T12:00Z", "--title", "Factory migration"])).stdout.trim()).toBe(id);
    expect(await cli(cwd, ["maintenance", "start", id.slice(0, 8)])).toEqual({ code: 0, stdout: `maintenance ${id}: in progress\n`, stderr: "" });
    expect((await cli(cwd, ["maintenance", "verify", id, "--message", "Migrated; verifying."])).code).toBe(0);
    expect((await cli(cwd, ["maintenance", "complete", id])).stdout).toBe(`maintenance ${id}: completed\n`);
    const list = await cli(cwd, ["maintenance", "list"]);
    expect(list.stdout).toBe(
      "ID        STATUS       FROM (UTC)         UNTIL (UTC)        COMPONENTS                      TITLE\n" +
        `${id.slice(0, 8)}  completed    2026-06-02 10:00Z  2026-06-02 12:00Z  accountFactory,delegation       Factory migration\n`,
    );
    const file = JSON.parse(readFileSync(path.join(cwd, ".guardian", "maintenance.json"), "utf8"));
    expect(file.maintenances[0].updates.map((u: { status: string }) => u.status)).toEqual(["scheduled", "in_progress", "verifying", "completed"]);
    expect(existsSync(path.join(cwd, ".guardian", "maintenance.json.lock"))).toBe(false);
  });

  it("bad input: exit 2 naming each argument; nothing written", async () => {
    const cwd = tempDir();
    const bad = await cli(cwd, ["maintenance", "schedule", "--components", "paymaster", "--from", "2026-06-02 10:00", "--until", "2026-06-02T09:00Z", "--title", "x\u202e"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--components/);
    expect(bad.stderr).toMatch(/--from: expected an ISO-8601 time with its zone/);
    expect(bad.stderr).toMatch(/--title: expected text without control, bidi or zero-width characters/);
    const backwards = await cli(cwd, ["maintenance", "schedule", "--components", "rpc", "--from", "2026-06-02T10:00Z", "--until", "2026-06-02T09:00Z", "--title", "x"]);
    expect(backwards).toMatchObject({ code: 2, stderr: "error: --until: expected a time after --from\n" });
    expect(existsSync(path.join(cwd, ".guardian", "maintenance.json"))).toBe(false);
    const id = (await cli(cwd, ["maintenance", "schedule", "--components", "rpc", "--from", "2026-06-02T10:00Z", "--until", "2026-06-02T11:00Z", "--title", "RPC move"])).stdout.trim();
    expect(await cli(cwd, ["maintenance", "verify", id])).toMatchObject({ code: 2, stderr: expect.stringMatching(/is scheduled: it cannot become verifying/) });
    expect(await cli(cwd, ["maintenance", "start", "ffffffff"])).toMatchObject({ code: 2, stderr: expect.stringMatching(/no maintenance with id ffffffff/) });
  });
});

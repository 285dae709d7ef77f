/**
 * `guardian postmortem` and `guardian notify` against a real store file,
 * through commander as cli.ts runs them (registerPaperwork).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerPaperwork } from "../../daemon/src/commands/paperwork.js";
import type { CliContext } from "../../daemon/src/commands/context.js";
import { ArgumentError } from "../../daemon/src/commands/errors.js";
import { loadConfig, type GuardianConfig } from "../../daemon/src/config/index.js";
import { addTimelineEntry, approveDisclosure, IncidentNotFoundError, openIncident, transition } from "../../daemon/src/incidents/index.js";
import { addr, at, evidence, hash, T0 } from "../../daemon/src/incidents/test-builders.js";
import { pauseTimelineEntry } from "../../daemon/src/paperwork/index.js";
import { openLowdbStore } from "../../daemon/src/store/index.js";
import { tempDir } from "../../daemon/src/store/testing/spawn.js";

const NOW = at(300);

async function run(cwd: string, argv: string[]): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  let stdout = "";
  let stderr = "";
  let config: GuardianConfig | undefined;
  const ctx: CliContext = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: {},
    cwd,
    clock: () => NOW,
    config: () => (config ??= loadConfig({ env: {}, cwd })),
  };
  const program = new Command("guardian").exitOverride().configureOutput({ writeOut: (t) => void (stdout += t), writeErr: (t) => void (stderr += t) });
  registerPaperwork(program, ctx);
  try {
    await program.parseAsync(argv, { from: "user" });
    return { stdout, stderr };
  } catch (error) {
    return { stdout, stderr, error };
  }
}

async function storeWithIncident(cwd: string) {
  const config = loadConfig({ env: {}, cwd });
  let incident = openIncident({
    key: "outflow:paymaster",
    title: "Abnormal paymaster outflow",
    severity: "critical",
    affected: { layers: ["entryPoint"], contracts: [addr(1)] },
    source: "abnormal-outflow",
    now: T0,
    evidence: evidence(40, { sender: addr(0xa1) }),
  });
  incident = addTimelineEntry(
    incident,
    pauseTimelineEntry({ incidentId: incident.id, txHash: hash(0x77), blockNumber: 41, blockHash: hash(41), layers: ["entryPoint"], symptom: { blockNumber: 40 } }),
    at(1),
  );
  incident = transition(incident, "contained", { now: at(1), message: "Sponsorship paused." });
  incident = addTimelineEntry(incident, { kind: "note", message: "INTERNAL: key rotation pending" }, at(2));
  const store = await openLowdbStore({ dataDir: config.dataDir, chainId: config.chainId, purpose: "test" });
  await store.update((draft) => {
    draft.incidents[incident.id] = incident;
    // A repeat within the cooldown: in the store's findings only, with another affected account.
    draft.findings.push({
      detector: "abnormal-outflow",
      key: incident.key,
      severity: "critical",
      title: incident.title,
      summary: "again",
      layers: ["entryPoint"],
      contracts: [addr(1)],
      evidence: evidence(42, { sender: addr(0xa2) }),
      observedAt: at(0.5).toISOString(),
      incidentId: incident.id,
    });
  });
  await store.close();
  return incident;
}

describe("guardian postmortem", () => {
  it("prints the draft, or writes it to --out and refuses to overwrite it without --force", async () => {
    const cwd = tempDir("guardian-paperwork-");
    const incident = await storeWithIncident(cwd);

    const printed = await run(cwd, ["postmortem", incident.id.slice(0, 8)]);
    expect(printed.error).toBeUndefined();
    expect(printed.stdout).toContain("# Post-incident review: Abnormal paymaster outflow");
    expect(printed.stdout).toContain(`(chain ${loadConfig({ env: {}, cwd }).chainId})`);
    expect(printed.stdout).toContain("- **Affected accounts:** 2; counted as distinct addresses under sender");
    expect(printed.stdout).toContain("- **Time to pause:** 1 block and unknown (fill in) seconds");

    const written = await run(cwd, ["postmortem", incident.id, "--out", "reviews/pm.md"]);
    const file = path.join(cwd, "reviews", "pm.md");
    expect(written).toEqual({ stdout: `${file}\n`, stderr: "" });
    expect(readFileSync(file, "utf8")).toBe(printed.stdout);

    writeFileSync(file, "edited by people");
    const again = await run(cwd, ["postmortem", incident.id, "--out", "reviews/pm.md"]);
    expect(again.error).toBeInstanceOf(ArgumentError);
    expect((again.error as Error).message).toBe(`--out: ${file} already exists (add --force to overwrite it)`);
    expect(readFileSync(file, "utf8")).toBe("edited by people");
    expect((await run(cwd, ["postmortem", incident.id, "--out", "reviews/pm.md", "--force"])).error).toBeUndefined();
    expect(readFileSync(file, "utf8")).toBe(printed.stdout);
  });

  it("an unknown incident or a malformed id is refused before anything is written", async () => {
    const cwd = tempDir("guardian-paperwork-");
    await storeWithIncident(cwd);
    expect((await run(cwd, ["postmortem", "ffffffff", "--out", "x.md"])).error).toBeInstanceOf(IncidentNotFoundError);
    expect((await run(cwd, ["postmortem", "not-an-id!"])).error).toBeInstanceOf(ArgumentError);
    expect(existsSync(path.join(cwd, "x.md"))).toBe(false);
  });
});

describe("guardian notify", () => {
  it("refuses a security incident whose disclosure nobody approved; once approved, renders it in each format with nothing internal", async () => {
    const cwd = tempDir("guardian-paperwork-");
    const incident = await storeWithIncident(cwd);
    const refused = await run(cwd, ["notify", incident.id]);
    expect(refused.error).toBeInstanceOf(ArgumentError);
    expect((refused.error as Error).message).toMatch(/is a security incident whose disclosure has not been approved/);
    expect(refused.stdout).toBe("");
    const config = loadConfig({ env: {}, cwd });
    const store = await openLowdbStore({ dataDir: config.dataDir, chainId: config.chainId, purpose: "test" });
    await store.update((draft) => {
      draft.incidents[incident.id] = approveDisclosure(draft.incidents[incident.id]!, { by: "Sam", approvers: [{ name: "Sam", role: "securityLead" }], now: at(3) });
    });
    await store.close();
    const json = await run(cwd, ["notify", incident.id, "--format", "json"]);
    const notice = JSON.parse(json.stdout);
    expect(notice).toMatchObject({ incidentId: incident.id, status: "monitoring", statusLabel: "Monitoring", severity: "critical" });
    expect(notice.actionsTaken.map((a: { message: string }) => a.message)).toEqual([
      "We are investigating a security issue affecting gas sponsorship. Affected services may be paused to protect users; we will post updates here.",
      "Sponsorship paused.",
    ]);
    expect(notice.nextUpdateAt).toBe(at(330).toISOString()); // the 12:31 update is overdue at 17:00: now + 30 min
    for (const format of ["text", "markdown", "json"]) {
      const out = (await run(cwd, ["notify", incident.id, "--format", format])).stdout;
      for (const internal of ["Abnormal paymaster outflow", "INTERNAL", "Sentinel pause", hash(0x77).slice(2), addr(0xa1).slice(2), "abnormal-outflow", "outflow:paymaster"])
        expect(out, `${format}: ${internal}`).not.toContain(internal);
    }
    const bad = await run(cwd, ["notify", incident.id, "--format", "html"]);
    expect(bad.error).toBeInstanceOf(ArgumentError);
    expect((bad.error as Error).message).toMatch(/^--format: /);
  });
});

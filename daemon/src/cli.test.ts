import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startAdminServer } from "./admin/server.js";
import { main } from "./cli.js";
import { openLowdbStore } from "./store/lowdb-store.js";
import { publishAdminEndpoint } from "./store/runtime-files.js";
import { tempDir } from "./store/testing/spawn.js";
import { openIncident } from "./incidents/index.js";
import type { Incident } from "./types.js";

const NOW = new Date("2025-03-01T12:00:00.000Z");
const ADDRESS = "0x00000000000000000000000000000000000000aa";
const CHECKSUMMED = "0x00000000000000000000000000000000000000AA";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(cwd: string, argv: string[], env: Record<string, string> = {}, now: Date = NOW): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env,
    cwd,
    clock: () => now,
    lockWaitMs: 0,
  });
  return { code, stdout, stderr };
}

const storeFile = (cwd: string) => path.join(cwd, ".guardian", "store.json");
let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

describe("guardian incident (store path: no daemon running)", () => {
  it("trigger prints the new id only; update, ack, list, show", async () => {
    const cwd = tempDir();
    const trigger = await cli(cwd, ["incident", "trigger", ADDRESS, "--severity", "high", "--title", "UserOps failing", "--layer", "entryPoint", "--by", "alice"]);
    expect(trigger).toMatchObject({ code: 0, stderr: "" });
    expect(trigger.stdout).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$/);
    const id = trigger.stdout.trim();

    expect(await cli(cwd, ["incident", "update", id.slice(0, 8), "--state", "responding", "--message", "Root cause found.", "--by", "bob"])).toEqual({
      code: 0,
      stdout: `incident ${id}: responding (public: identified)\n`,
      stderr: "",
    });
    const ack = await cli(cwd, ["incident", "ack", id, "--by", "carol"]);
    expect(ack.stdout).toBe(`incident ${id} was already acknowledged by bob at 2025-03-01T12:00:00.000Z\n`);

    const list = await cli(cwd, ["incident", "list"]);
    expect(list.stdout).toBe(
      "ID        SEVERITY  STATE       PUBLIC      LEVEL   ACK  CREATED (UTC)         TITLE\n" +
        `${id.slice(0, 8)}  high      responding  identified  oncall  yes  2025-03-01 12:00:00Z  UserOps failing\n`,
    );
    const show = await cli(cwd, ["incident", "show", id]);
    expect(show.code).toBe(0);
    expect(show.stdout.replaceAll(id, "<id>")).toMatchInlineSnapshot(`
      "Incident    <id>
      Title       UserOps failing
      Severity    high; SLA 120 min, due 2025-03-01 14:00:00Z
      State       responding (public: identified)
      Escalation  oncall; acknowledged 2025-03-01 12:00:00Z by bob
      Affected    layers: entryPoint; contracts: 0x00000000000000000000000000000000000000AA
      Source      manual; key manual:<id>; findings 0
      Created     2025-03-01 12:00:00Z; updated 2025-03-01 12:00:00Z

      Timeline (UTC)
        2025-03-01 12:00:00Z  opened        public    detected    UserOps failing (alice)
        2025-03-01 12:00:00Z  state         public    responding  Root cause found. (bob)
        2025-03-01 12:00:00Z  acknowledged  internal  responding  Acknowledged by bob at escalation level oncall. (bob)
      "
    `);
    const json = JSON.parse((await cli(cwd, ["incident", "show", id, "--json"])).stdout) as Incident;
    expect(json).toMatchObject({ id, state: "responding", affected: { layers: ["entryPoint"], contracts: [CHECKSUMMED] } });
    expect(existsSync(path.join(cwd, ".guardian", "guardian.lock"))).toBe(false);
  });

  it("trigger --json; list --open --json; ack of a fresh incident", async () => {
    const cwd = tempDir();
    const a = JSON.parse((await cli(cwd, ["incident", "trigger", ADDRESS, "--severity", "low", "--json"])).stdout) as Incident;
    expect(a).toMatchObject({ severity: "low", state: "detected", title: `Manual report: ${CHECKSUMMED}`, affected: { layers: [] } });
    const b = (await cli(cwd, ["incident", "trigger", ADDRESS, "--severity", "medium"])).stdout.trim();
    await cli(cwd, ["incident", "update", b, "--state", "recovered", "--by", "x"]);
    const open = JSON.parse((await cli(cwd, ["incident", "list", "--open", "--json"])).stdout) as Incident[];
    expect(open.map((i) => i.id)).toEqual([a.id]);
    expect((await cli(cwd, ["incident", "ack", a.id, "--by", "dana"])).stdout).toBe(`incident ${a.id} acknowledged by dana\n`);
  });

  it("closed incidents move to history after a day, and list, show, update and postmortem still find them", async () => {
    const cwd = tempDir();
    const old = (await cli(cwd, ["incident", "trigger", ADDRESS, "--severity", "high", "--title", "Old outage"])).stdout.trim();
    await cli(cwd, ["incident", "update", old, "--state", "recovered", "--by", "x"]);
    await cli(cwd, ["incident", "update", old, "--state", "postreview", "--by", "x"]);
    const later = new Date(NOW.getTime() + 25 * 3_600_000);
    const fresh = (await cli(cwd, ["incident", "trigger", ADDRESS, "--severity", "low", "--title", "New one"], {}, later)).stdout.trim();
    // The write a day later moved the closed incident out of store.json.
    const hot = JSON.parse(readFileSync(storeFile(cwd), "utf8")) as { incidents: Record<string, unknown> };
    expect(Object.keys(hot.incidents)).toEqual([fresh]);
    expect(readdirSync(path.join(cwd, ".guardian", "history"))).toEqual(["incidents-2025-03.jsonl"]);

    const listed = JSON.parse((await cli(cwd, ["incident", "list", "--json"], {}, later)).stdout) as Incident[];
    expect(listed.map((i) => i.id)).toEqual([fresh, old]);
    expect((await cli(cwd, ["incident", "list", "--limit", "1"], {}, later)).stdout).toMatch(/New one\n\(1 older not shown: --limit 2\)\n$/);
    expect((await cli(cwd, ["incident", "list", "--limit", "0"], {}, later)).stderr).toMatch(/--limit: expected a number of incidents ≥ 1/);
    const shown = JSON.parse((await cli(cwd, ["incident", "show", old.slice(0, 8), "--json"], {}, later)).stdout) as Incident;
    expect(shown).toMatchObject({ id: old, state: "postreview", title: "Old outage" });
    // Post-review is final: the refusal comes from the lifecycle, about the archived incident.
    const refused = await cli(cwd, ["incident", "update", old, "--state", "responding"], {}, later);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/postreview/);
    expect((await cli(cwd, ["postmortem", old], {}, later)).stdout).toMatch(/Old outage/);
    expect((await cli(cwd, ["notify", old.slice(0, 6)], {}, later)).stdout).toMatch(/Old outage/);
  });

  it("resolves deployment names against the deployments file, with the contract's layers", async () => {
    const cwd = tempDir();
    mkdirSync(path.join(cwd, "deployments"));
    writeFileSync(
      path.join(cwd, "deployments", "31337.json"),
      JSON.stringify({ kit: { EntryPoint: `0x${"11".repeat(20)}`, DelegationManager: `0x${"22".repeat(20)}` }, guardian: { paymaster: `0x${"44".repeat(20)}`, accountFactory: `0x${"55".repeat(20)}`, hub: `0x${"33".repeat(20)}` } }),
    );
    const show = async (contract: string) => {
      const id = (await cli(cwd, ["incident", "trigger", contract, "--severity", "high"])).stdout.trim();
      return JSON.parse((await cli(cwd, ["incident", "show", id, "--json"])).stdout) as Incident;
    };
    expect(await show("paymaster")).toMatchObject({ title: "Manual report: paymaster", affected: { layers: ["entryPoint"], contracts: [`0x${"44".repeat(20)}`] } });
    expect((await show("factory")).affected.layers).toEqual(["accountFactory"]);
    expect((await show("delegationManager")).affected.layers).toEqual(["delegation"]);
    expect((await show("hub")).affected.layers).toEqual(["entryPoint", "accountFactory", "delegation"]);
    expect((await show(`0x${"22".repeat(20)}`)).title).toBe("Manual report: delegationManager");
    const unknown = await cli(cwd, ["incident", "trigger", "bundler", "--severity", "high"]);
    expect(unknown).toMatchObject({ code: 2, stdout: "" });
    expect(unknown.stderr).toContain('<contract>: expected an address (0x + 40 hex digits) or a deployment name (entryPoint, accountFactory, delegationManager, paymaster, hub), got "bundler"');
  });

  it("addresses: a mixed-case address with a wrong EIP-55 checksum is refused; all-lowercase and checksummed ones are accepted", async () => {
    const cwd = tempDir();
    const good = "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045";
    const typo = "0xD8dA6BF26964aF9D7eEd9e03E53415D37aA96045"; // one letter's case changed: the checksum fails
    const bad = await cli(cwd, ["incident", "trigger", typo, "--severity", "high"]);
    expect(bad).toMatchObject({ code: 2, stdout: "" });
    expect(bad.stderr).toBe(
      `error: <contract>: expected an address with a valid EIP-55 checksum: this mixed-case address fails it (a mistyped character?); check it, or write it all in lowercase, got ${typo}\n`,
    );
    expect(existsSync(storeFile(cwd))).toBe(false);
    for (const address of [good, good.toLowerCase()]) {
      const id = (await cli(cwd, ["incident", "trigger", address, "--severity", "low"])).stdout.trim();
      const shown = JSON.parse((await cli(cwd, ["incident", "show", id, "--json"])).stdout) as Incident;
      expect(shown.affected.contracts).toEqual([good]);
    }
    // A deployments file with a bad checksum is refused too, naming the entry.
    writeFileSync(path.join(cwd, "deployments.json"), JSON.stringify({ guardian: { paymaster: typo } }));
    writeFileSync(path.join(cwd, "guardian.json"), JSON.stringify({ preset: "local", deploymentsFile: "deployments.json" }));
    const fromFile = await cli(cwd, ["--config", "guardian.json", "incident", "trigger", "paymaster", "--severity", "high"]);
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toContain(`paymaster: expected an address with a valid EIP-55 checksum`);
  });

  it("every command refuses another chain's store, naming both chains; the store is untouched", async () => {
    const cwd = tempDir();
    const dataDir = path.join(cwd, ".guardian");
    const other = await openLowdbStore({ dataDir, chainId: 138, purpose: "test", clock: () => NOW });
    await other.close();
    const before = readFileSync(storeFile(cwd));
    const message = `error: store file ${storeFile(cwd)} belongs to chain 138, but the config is for chain 31337: use a separate data directory per chain.\n`;
    const id = "00000000-0000-4000-8000-000000000000";
    for (const argv of [
      ["incident", "list"],
      ["incident", "list", "--json"],
      ["incident", "show", id],
      ["incident", "update", id, "--state", "responding"],
      ["incident", "ack", id],
      ["incident", "trigger", ADDRESS, "--severity", "low"],
      ["postmortem", id],
      ["notify", id, "--format", "markdown"],
    ]) {
      const r = await cli(cwd, argv);
      expect(r, argv.join(" ")).toMatchObject({ code: 1, stdout: "", stderr: message });
    }
    expect(readFileSync(storeFile(cwd)).equals(before)).toBe(true);
  });

  it("an unreachable RPC is reported without the URL's path and query (they may hold an API key)", async () => {
    const cwd = tempDir();
    const { freePort } = await import("../../scripts/lib/local-chain.js");
    const port = await freePort(); // nothing listens there
    const a = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
    const deployment = {
      chainId: 31337,
      deployedAt: NOW.toISOString(),
      deployer: a(1),
      startBlock: 0,
      kit: { DelegationManager: a(2), EntryPoint: a(3), SimpleFactory: a(4), implementations: {}, caveatEnforcers: {} },
      guardian: { hub: a(5), paymaster: a(6), accountFactory: a(7), safe: a(8) },
      roles: { admin: a(1), guardian: a(8), sentinels: [] },
      params: { sentinelPauseDuration: 3600, sentinelCooldown: 3600, sponsorSigner: a(9) },
    };
    writeFileSync(path.join(cwd, "deployment.json"), JSON.stringify(deployment));
    const rpc = `http://127.0.0.1:${port}/v3/PATHKEY0123456789?apikey=QUERYKEY98765`;
    writeFileSync(
      path.join(cwd, "guardian.json"),
      JSON.stringify({ preset: "local", deploymentsFile: "deployment.json", rpc: { endpoints: [{ name: "paid", http: rpc }] } }),
    );
    const r = await cli(cwd, ["--config", "guardian.json", "safe", "propose", "pause", "all"], { GUARDIAN_DEBUG: "1" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`http://127.0.0.1:${port}/…`);
    for (const secret of ["PATHKEY0123456789", "QUERYKEY98765", "/v3/", "apikey"]) expect(r.stderr).not.toContain(secret);
  });

  it("bad arguments: exit 2, every argument named, nothing written", async () => {
    const cwd = tempDir();
    const r = await cli(cwd, ["incident", "trigger", ADDRESS, "--severity", "urgent", "--layer", "bundler", "--title", ""]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatchInlineSnapshot(`
      "error: invalid arguments:
        - --severity: expected "critical" | "high" | "medium" | "low", got "urgent"
        - --title: expected a non-empty string, got ""
        - --layer[0]: expected "entryPoint" | "accountFactory" | "delegation", got "bundler"
      "
    `);
    expect((await cli(cwd, ["incident", "trigger", ADDRESS])).stderr).toBe(
      'error: --severity: missing; expected "critical" | "high" | "medium" | "low"\n',
    );
    expect((await cli(cwd, ["incident", "trigger", "paymaster", "--severity", "high"])).stderr).toMatch(/<contract>: "paymaster" is a deployment name, but the deployments file .* does not exist/);
    expect((await cli(cwd, ["incident", "update", "xyz!", "--state", "contained"])).stderr).toContain("<id>: expected an incident id");
    expect((await cli(cwd, ["incident", "update", "abcd", "--state", "gone"])).stderr).toContain('--state: expected "detected" | "responding" | "contained" | "recovered" | "postreview", got "gone"');
    const unknownOption = await cli(cwd, ["incident", "trigger", ADDRESS, "--severity", "high", "--colour", "red"]);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain("unknown option '--colour'");
    expect((await cli(cwd, ["incident", "frobnicate"])).code).toBe(2);
    expect((await cli(cwd, ["incident", "update", "abcdef12", "--state", "contained"])).stderr).toBe(
      "error: no incident with id abcdef12 (see `guardian incident list`)\n",
    );
    expect(existsSync(path.join(cwd, ".guardian"))).toBe(false);
  });

  it("an invalid transition: exit 2, the allowed states named, store bytes unchanged", async () => {
    const cwd = tempDir();
    const id = (await cli(cwd, ["incident", "trigger", ADDRESS, "--severity", "critical"])).stdout.trim();
    const before = readFileSync(storeFile(cwd));
    const r = await cli(cwd, ["incident", "update", id, "--state", "postreview"]);
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr: `error: incident ${id} cannot move from detected to postreview (allowed from detected: responding, contained, recovered)\n`,
    });
    expect(readFileSync(storeFile(cwd)).equals(before)).toBe(true);
    expect(readdirSync(path.join(cwd, ".guardian"))).toEqual(["store.json"]);
  });

  it("an invalid config: exit 2 with every problem; --config and --data-dir are honoured", async () => {
    const cwd = tempDir();
    writeFileSync(path.join(cwd, "bad.json"), JSON.stringify({ preset: "local", blockTimeMs: -1, privateKey: "x" }));
    const bad = await cli(cwd, ["--config", "bad.json", "incident", "list"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("(2 problems)");
    expect(bad.stderr).toContain("privateKey: looks like a secret");
    expect(bad.stderr).toContain("blockTimeMs: expected milliseconds (a positive integer), got -1");

    const other = path.join(cwd, "elsewhere");
    expect((await cli(cwd, ["incident", "trigger", ADDRESS, "--severity", "low", "--data-dir", other])).code).toBe(0);
    expect(existsSync(path.join(other, "store.json"))).toBe(true);
    expect(JSON.parse((await cli(cwd, ["incident", "list", "--json"], { GUARDIAN_DATA_DIR: other })).stdout)).toHaveLength(1);
  });

  it("exit 1, naming the holder, when another process holds the store without an admin endpoint", async () => {
    const cwd = tempDir();
    const store = await openLowdbStore({ dataDir: path.join(cwd, ".guardian"), chainId: 31337, purpose: "daemon" });
    cleanup.push(() => store.close());
    const r = await cli(cwd, ["incident", "trigger", ADDRESS, "--severity", "low"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`data directory is locked by pid ${process.pid} (daemon)`);
  });

  it("help exits 0; no command exits 2; run without a deployment says what to do", async () => {
    const cwd = tempDir();
    const help = await cli(cwd, ["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("incident");
    expect(help.stdout).toContain("deploy");
    expect((await cli(cwd, [])).code).toBe(2);
    const run = await cli(cwd, ["run"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/deployments file .*31337\.json does not exist: run `npx guardian deploy --network <name>` first/);
    expect((await cli(cwd, ["run", "--publish-interval", "0"])).code).toBe(2);
  });
});

describe("guardian incident publish", () => {
  const STRANGER = "0x5ec0ffee000000000000000000000000deadbeef";
  async function withSecurityIncident(cwd: string, roles?: unknown) {
    if (roles !== undefined) writeFileSync(path.join(cwd, "guardian.json"), JSON.stringify({ preset: "local", roles }));
    const store = await openLowdbStore({ dataDir: path.join(cwd, ".guardian"), chainId: 31337, purpose: "test", clock: () => NOW });
    const incident = openIncident({ key: `security:ownership:${STRANGER}`, title: `Ownership of the paymaster moved to ${STRANGER}`, severity: "critical", affected: { layers: ["entryPoint"], contracts: [ADDRESS] }, source: "security", now: NOW });
    await store.update((draft) => void (draft.incidents[incident.id] = incident));
    await store.close();
    return incident;
  }
  const ROLES = { securityLead: { primary: { name: "Sam Security", channel: "log" }, backup: { name: "Bo Backup", channel: "log" } }, cto: { primary: { name: "Casey CTO", channel: "log" } } };

  it("refused when no Security Lead or CTO is configured, or for anyone else; nothing written", async () => {
    const cwd = tempDir();
    const incident = await withSecurityIncident(cwd);
    const before = readFileSync(storeFile(cwd), "utf8");
    expect(await cli(cwd, ["incident", "publish", incident.id, "--by", "Sam Security"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "error: --by: no Security Lead or CTO is configured (config roles.securityLead, roles.cto): nobody may approve a disclosure\n",
    });
    writeFileSync(path.join(cwd, "guardian.json"), JSON.stringify({ preset: "local", roles: ROLES }));
    const other = await cli(cwd, ["--config", "guardian.json", "incident", "publish", incident.id, "--by", "mallory"]);
    expect(other).toMatchObject({ code: 2, stdout: "" });
    expect(other.stderr).toBe('error: --by: "mallory" is not a configured Security Lead or CTO (expected one of: Sam Security, Bo Backup, Casey CTO)\n');
    expect((await cli(cwd, ["--config", "guardian.json", "incident", "publish", incident.id])).code).toBe(2); // --by is required
    expect(readFileSync(storeFile(cwd), "utf8")).toBe(before);
  });

  it("a configured backup approves with a public statement; an operational incident needs no approval", async () => {
    const cwd = tempDir();
    const incident = await withSecurityIncident(cwd, ROLES);
    const ok = await cli(cwd, ["--config", "guardian.json", "incident", "publish", incident.id.slice(0, 8), "--by", "bo backup", "--message", "Sponsorship is paused while we secure the paymaster."]);
    expect(ok).toEqual({
      code: 0,
      stdout: `incident ${incident.id}: disclosure approved by Bo Backup (Security Lead) at ${NOW.toISOString()}; it appears on the status page at the next publication\n`,
      stderr: "",
    });
    const stored = JSON.parse(readFileSync(storeFile(cwd), "utf8")).incidents[incident.id] as Incident;
    expect(stored.disclosure).toEqual({ at: NOW.toISOString(), by: "Bo Backup", role: "securityLead" });
    expect(stored.timeline.at(-1)).toMatchObject({ kind: "note", public: true, message: "Sponsorship is paused while we secure the paymaster.", by: "Bo Backup" });

    const trigger = await cli(cwd, ["--config", "guardian.json", "incident", "trigger", ADDRESS, "--severity", "high", "--title", "UserOps failing"]);
    const refused = await cli(cwd, ["--config", "guardian.json", "incident", "publish", trigger.stdout.trim(), "--by", "Casey CTO"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is operational: it is published automatically, there is nothing to approve/);
  });
});

describe("guardian incident (admin path: a daemon holds the store)", () => {
  it("sends writes to the daemon's endpoint with the env token; list/show read the file", async () => {
    const cwd = tempDir();
    const dataDir = path.join(cwd, ".guardian");
    const token = "env-token-0123456789abcdef";
    const store = await openLowdbStore({ dataDir, chainId: 31337, purpose: "daemon", clock: () => NOW });
    const seen: string[] = [];
    const admin = await startAdminServer({ store, token, clock: () => NOW, onChange: (c) => void seen.push(c.type) });
    await publishAdminEndpoint(dataDir, { host: admin.host, port: admin.port, pid: process.pid, startedAt: NOW.toISOString() });
    cleanup.push(() => store.close(), () => admin.close());
    const env = { GUARDIAN_ADMIN_TOKEN: token };

    const id = (await cli(cwd, ["incident", "trigger", ADDRESS, "--severity", "critical", "--title", "Drain"], env)).stdout.trim();
    expect(store.read().incidents[id]).toMatchObject({ title: "Drain", severity: "critical" }); // the daemon's own store has it
    const refused = await cli(cwd, ["incident", "update", id, "--state", "detected"], env);
    expect(refused).toMatchObject({ code: 2, stdout: "" });
    expect(refused.stderr).toContain("cannot move from detected to detected");
    expect((await cli(cwd, ["incident", "update", id, "--state", "contained", "--by", "eve"], env)).code).toBe(0);
    expect((await cli(cwd, ["incident", "ack", id, "--by", "eve"], env)).stdout).toContain("already acknowledged by eve");
    expect(seen).toEqual(["triggered", "updated"]);

    expect((await cli(cwd, ["incident", "show", id], env)).stdout).toContain("State       contained (public: monitoring)");

    const noToken = await cli(cwd, ["incident", "ack", id]);
    expect(noToken).toMatchObject({ code: 1 });
    expect(noToken.stderr).toContain("is running with env GUARDIAN_ADMIN_TOKEN: set it for this command too");
    const wrong = await cli(cwd, ["incident", "ack", id], { GUARDIAN_ADMIN_TOKEN: "wrong-token-0123456789" });
    expect(wrong).toMatchObject({ code: 1, stderr: "error: missing or wrong bearer token\n" });
  });

  it("publish goes through the daemon, which checks the approver against its own roles too", async () => {
    const cwd = tempDir();
    const dataDir = path.join(cwd, ".guardian");
    const token = "env-token-0123456789abcdef";
    writeFileSync(path.join(cwd, "guardian.json"), JSON.stringify({ preset: "local", roles: { securityLead: { primary: { name: "Sam Security", channel: "log" } }, cto: { primary: { name: "Casey CTO", channel: "log" } } } }));
    const store = await openLowdbStore({ dataDir, chainId: 31337, purpose: "daemon", clock: () => NOW });
    const seen: string[] = [];
    // The daemon was started with an older config that knows only the Security Lead.
    const admin = await startAdminServer({ store, token, clock: () => NOW, approvers: [{ name: "Sam Security", role: "securityLead" }], onChange: (c) => void seen.push(c.type) });
    await publishAdminEndpoint(dataDir, { host: admin.host, port: admin.port, pid: process.pid, startedAt: NOW.toISOString() });
    cleanup.push(() => store.close(), () => admin.close());
    const incident = openIncident({ key: "outflow:delegations:0xdm", title: "Value drained through delegations", severity: "critical", affected: { layers: ["delegation"], contracts: [ADDRESS] }, source: "outflow", now: NOW });
    await store.update((draft) => void (draft.incidents[incident.id] = incident));
    const env = { GUARDIAN_ADMIN_TOKEN: token };

    const refused = await cli(cwd, ["--config", "guardian.json", "incident", "publish", incident.id, "--by", "Casey CTO"], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/"Casey CTO" is not a configured Security Lead or CTO \(expected one of: Sam Security\)/);
    expect(store.read().incidents[incident.id]!.disclosure).toBeUndefined();
    expect((await cli(cwd, ["--config", "guardian.json", "incident", "publish", incident.id, "--by", "Sam Security"], env)).code).toBe(0);
    expect(store.read().incidents[incident.id]!.disclosure).toMatchObject({ by: "Sam Security", role: "securityLead" });
    expect(seen).toEqual(["published"]);
  });
});

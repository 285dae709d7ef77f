import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, loadDeployments, missingBundlerUrls } from "./index.js";
import { isPrivateHost } from "./schema.js";

const KEY = `0x${"ab".repeat(32)}`;

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), "guardian-config-"));
}

function writeJson(dir: string, name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value, null, 2));
  return file;
}

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("without a file uses the local preset and the documented defaults", () => {
    const cwd = tempDir();
    const config = loadConfig({ env: {}, cwd });
    expect(config.chainId).toBe(31337);
    expect(config.rpc.endpoints[0]?.http).toBe("http://127.0.0.1:8545");
    expect(config.blockTimeMs).toBe(1000);
    expect(config.dataDir).toBe(path.join(cwd, ".guardian"));
    expect(config.deploymentsFile).toBe(path.join(cwd, "deployments", "31337.json"));
    expect(config.follower).toEqual({ confirmations: 0, ringSize: 128, maxLogRange: 2000, stallFactor: 3, requestTimeoutMs: 3000, stallAfterMs: 3000 });
    expect(config.sla).toEqual({ critical: 15, high: 120, medium: 1440, low: 4320 });
    expect(config.admin).toEqual({ host: "127.0.0.1", port: 0 });
    expect(config.autoPause).toEqual({ entryPoint: true, accountFactory: true, delegation: true });
    expect(config.detectors).toEqual({ "rpc-health": { stallFactor: 3 }, "pause-changed": {}, "gas-spike": { minBaseFeeWei: "1000000000" } });
    expect(config.escalation.oncall.channel).toBe("log");
    expect(config.source).toEqual({ preset: "local" });
  });

  it("site: the public URL and name, or null; refuses a URL with a password or a query and a name with controls", () => {
    const dir = tempDir();
    expect(loadConfig({ env: {}, cwd: dir }).site).toEqual({ url: null, name: null });
    const file = writeJson(dir, "g.json", { preset: "local", site: { url: "https://status.example.org/guardian/", name: "Example smart accounts" } });
    expect(loadConfig({ file, env: {}, cwd: dir }).site).toEqual({ url: "https://status.example.org/guardian/", name: "Example smart accounts" });
    writeJson(dir, "g.json", { preset: "local", site: { url: "ftp://status.example.org/" } });
    expect(problemsOf(() => loadConfig({ file, env: {}, cwd: dir }))[0]).toMatch(/^site\.url: expected the site's public http\(s\) URL/);
    writeJson(dir, "g.json", { preset: "local", site: { url: "https://me:pw@status.example.org/" } });
    expect(problemsOf(() => loadConfig({ file, env: {}, cwd: dir }))).toEqual([expect.stringMatching(/^site\.url: URL carries a user and password/)]);
    writeJson(dir, "g.json", { preset: "local", site: { url: "https://status.example.org/?k=1" } });
    expect(problemsOf(() => loadConfig({ file, env: {}, cwd: dir }))).toEqual([expect.stringMatching(/^site\.url: expected the site's base URL, without a query/)]);
    writeJson(dir, "g.json", { preset: "local", site: { name: "Status\u202e", colour: "red" } });
    const problems = problemsOf(() => loadConfig({ file, env: {}, cwd: dir }));
    expect(problems.some((p) => /^site\.name: expected a name without control, bidi or zero-width characters/.test(p))).toBe(true);
    expect(problems.some((p) => /colour/.test(p))).toBe(true);
  });

  it("subscribers: a webhook channel (URL in env); loopback and private addresses refused unless allowed", () => {
    const dir = tempDir();
    const file = writeJson(dir, "g.json", { preset: "local", subscribers: [{ channel: "webhook:dapp" }, { channel: "webhook:intranet", components: ["delegation"] }, { channel: "webhook:lab", allowPrivateAddress: true }, { channel: "webhook:missing" }] });
    const env = { GUARDIAN_WEBHOOK_DAPP: "https://hooks.example.org/status", GUARDIAN_WEBHOOK_INTRANET: "http://10.1.2.3/hook", GUARDIAN_WEBHOOK_LAB: "http://127.0.0.1:9000/hook" };
    expect(problemsOf(() => loadConfig({ file, env, cwd: dir }))).toEqual([
      "subscribers[1].channel: the URL in env GUARDIAN_WEBHOOK_INTRANET points at a loopback or private address (10.1.2.3); a subscriber is public: set allowPrivateAddress: true if this is meant",
    ]);
    writeJson(dir, "g.json", { preset: "local", subscribers: [{ channel: "webhook:dapp", components: ["delegation", "rpc"] }, { channel: "webhook:lab", allowPrivateAddress: true }] });
    expect(loadConfig({ file, env, cwd: dir }).subscribers).toEqual([
      { channel: "webhook:dapp", components: ["delegation", "rpc"], allowPrivateAddress: false },
      { channel: "webhook:lab", allowPrivateAddress: true },
    ]);
    for (const host of ["localhost", "127.0.0.2", "192.168.1.1", "172.20.0.1", "169.254.169.254", "[::1]", "[fd00::1]", "100.64.0.1"]) expect(isPrivateHost(host), host).toBe(true);
    for (const host of ["8.8.8.8", "172.32.0.1", "hooks.example.org", "[2001:db8::1]"]) expect(isPrivateHost(host), host).toBe(false);
  });

  it("returns a deeply frozen config", () => {
    const config = loadConfig({ env: {}, cwd: tempDir() });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.rpc.endpoints)).toBe(true);
    expect(Object.isFrozen(config.rpc.endpoints[0])).toBe(true);
    expect(Object.isFrozen(config.detectors["rpc-health"])).toBe(true);
    expect(() => {
      (config as { chainId: number }).chainId = 1;
    }).toThrow(TypeError);
  });

  it("chain138 preset: the file must supply the endpoints; stall = 3 × 2 s", () => {
    const dir = tempDir();
    const file = writeJson(dir, "g.json", { preset: "chain138" });
    expect(problemsOf(() => loadConfig({ file, env: {}, cwd: dir }))).toEqual([
      "rpc.endpoints: expected at least one endpoint, got an array of 0 (the chain138 preset leaves the RPC endpoints to the operator)",
    ]);
    writeJson(dir, "g.json", { preset: "chain138", rpc: { endpoints: [{ name: "besu-1", http: "https://rpc.example/138" }] } });
    const config = loadConfig({ file, env: {}, cwd: dir });
    expect(config.chainId).toBe(138);
    expect(config.blockTimeMs).toBe(2000);
    expect(config.follower.stallAfterMs).toBe(6000);
    expect(config.deploymentsFile).toBe(path.join(dir, "deployments", "138.json"));
  });

  it("dataDir: file < env GUARDIAN_DATA_DIR < override; file paths relative to the file", () => {
    const cwd = tempDir();
    mkdirSync(path.join(cwd, "etc"));
    const file = writeJson(path.join(cwd, "etc"), "g.json", { preset: "local", dataDir: "data", deploymentsFile: "../dep/31337.json" });
    expect(loadConfig({ file, env: {}, cwd }).dataDir).toBe(path.join(cwd, "etc", "data"));
    expect(loadConfig({ file, env: {}, cwd }).deploymentsFile).toBe(path.join(cwd, "dep", "31337.json"));
    expect(loadConfig({ file, env: { GUARDIAN_DATA_DIR: "from-env" }, cwd }).dataDir).toBe(path.join(cwd, "from-env"));
    expect(loadConfig({ file, env: { GUARDIAN_DATA_DIR: "from-env" }, cwd, overrides: { dataDir: "/abs/cli" } }).dataDir).toBe("/abs/cli");
  });

  it("finds the file through env GUARDIAN_CONFIG", () => {
    const cwd = tempDir();
    writeJson(cwd, "g.json", { preset: "local", blockTimeMs: 250 });
    expect(loadConfig({ env: { GUARDIAN_CONFIG: "g.json" }, cwd }).blockTimeMs).toBe(250);
  });

  it("detector thresholds: overrides checked for the shipped detectors, passed through for others", () => {
    const cwd = tempDir();
    const file = writeJson(cwd, "g.json", {
      preset: "local",
      follower: { stallFactor: 4 },
      detectors: { "rpc-health": { maxLatencyMs: 500, severity: { latency: "low" } }, "custom-detector": { factor: 3 } },
    });
    const config = loadConfig({ file, env: {}, cwd });
    expect(config.detectors["rpc-health"]).toEqual({ maxLatencyMs: 500, severity: { latency: "low" }, stallFactor: 4 });
    expect(config.detectors["pause-changed"]).toEqual({});
    expect(config.detectors["custom-detector"]).toEqual({ factor: 3 });
    expect(loadConfig({ env: {}, cwd }).detectors["rpc-health"]).toEqual({ stallFactor: 3 });

    writeJson(cwd, "g.json", { preset: "local", detectors: { "rpc-health": { maxLatncyMs: 1, severity: { stalled: "urgent" } }, "pause-changed": { foreignPause: 1 } } });
    expect(problemsOf(() => loadConfig({ file, env: {}, cwd }))).toEqual([
      'detectors["rpc-health"].severity.stalled: expected "critical" | "high" | "medium" | "low", got "urgent"',
      'detectors["rpc-health"].maxLatncyMs: unknown key (not part of the schema; check the spelling)',
      'detectors["pause-changed"].foreignPause: expected "critical" | "high" | "medium" | "low", got 1',
    ]);
  });

  it("lists every problem of an invalid file by path, with what was expected and what was found", () => {
    const cwd = tempDir();
    const file = writeJson(cwd, "g.json", {
      chainId: "x",
      rpc: { endpoints: [{ name: "a b", http: "foo", ws: "http://x", extra: 1 }] },
      blockTimeMs: 0,
      follower: { ringSize: 1, stallFactor: -1 },
      sla: { critical: 1.5 },
      escalation: { lead: { name: "", channel: "pager" } },
      admin: { host: "0.0.0.0", port: 70000 },
      autoPause: { entryPoint: "yes" },
      unknownThing: true,
    });
    expect(problemsOf(() => loadConfig({ file, env: {}, cwd }))).toMatchInlineSnapshot(`
      [
        "chainId: expected a chain id (a positive integer), got "x"",
        "rpc.endpoints[0].name: expected a name of letters, digits, '.', '_' or '-' (1-64), got "a b"",
        "rpc.endpoints[0].http: expected an http(s) URL, got "foo"",
        "rpc.endpoints[0].ws: expected a ws(s) URL, got "http://x"",
        "rpc.endpoints[0].extra: unknown key (not part of the schema; check the spelling)",
        "blockTimeMs: expected milliseconds (a positive integer), got 0",
        "follower.ringSize: expected an integer >= 2, got 1",
        "follower.stallFactor: expected a number > 0, got -1",
        "sla.critical: expected minutes (a positive integer), got 1.5",
        "escalation.lead.name: expected a non-empty string, got """,
        "escalation.lead.channel: expected "log" or "webhook:<name>", got "pager"",
        "admin.host: expected a loopback address (127.0.0.1 or ::1), got "0.0.0.0"",
        "admin.port: expected a TCP port (0-65535), got 70000",
        "autoPause.entryPoint: expected true or false, got "yes"",
        "unknownThing: unknown key (not part of the schema; check the spelling)",
      ]
    `);
  });

  it("rpc endpoints: maxBatch and maxRequestsPerSecond read, and refused by name when wrong", () => {
    const cwd = tempDir();
    const ok = writeJson(cwd, "ok.json", { preset: "local", rpc: { endpoints: [{ name: "gw", http: "https://rpc.example", maxBatch: 1, maxRequestsPerSecond: 8 }] } });
    expect(loadConfig({ file: ok, env: {}, cwd }).rpc.endpoints[0]).toMatchObject({ maxBatch: 1, maxRequestsPerSecond: 8 });
    const bad = writeJson(cwd, "bad.json", { preset: "local", rpc: { endpoints: [{ name: "gw", http: "https://rpc.example", maxBatch: 0, maxRequestsPerSecond: -1 }] } });
    const problems = problemsOf(() => loadConfig({ file: bad, env: {}, cwd }));
    expect(problems.some((p) => p.includes("rpc.endpoints[0].maxBatch") && p.includes("calls per batch"))).toBe(true);
    expect(problems.some((p) => p.includes("rpc.endpoints[0].maxRequestsPerSecond") && p.includes("positive number"))).toBe(true);
  });

  it("names missing required fields", () => {
    const cwd = tempDir();
    const file = writeJson(cwd, "g.json", {});
    expect(problemsOf(() => loadConfig({ file, env: {}, cwd }))).toEqual([
      "chainId: missing; expected a chain id (a positive integer)",
      "rpc: missing; expected an object",
      "blockTimeMs: missing; expected milliseconds (a positive integer)",
    ]);
  });

  it("refuses a file that is not JSON, or missing, with the file named", () => {
    const cwd = tempDir();
    const file = writeJson(cwd, "g.json", "{ chainId: 1");
    expect(() => loadConfig({ file, env: {}, cwd })).toThrow(/config file .*g\.json is invalid \(1 problem\):\n {2}- not valid JSON/);
    expect(() => loadConfig({ file: "nope.json", env: {}, cwd })).toThrow(/nope\.json is invalid \(1 problem\):\n {2}- cannot read the file: no such file/);
  });

  it("refuses secrets in the file, pointing to env, without repeating them", () => {
    const cwd = tempDir();
    const file = writeJson(cwd, "g.json", {
      preset: "local",
      sentinelPrivateKey: "hunter2",
      admin: { token: "abc" },
      escalation: { oncall: { name: "x", channel: "log", webhookUrl: "https://hooks.example/T000" } },
      detectors: { custom: { salt: KEY } },
      rpc: { endpoints: [{ name: "a", http: "https://user:pass@rpc.example" }] },
    });
    let error: ConfigError | undefined;
    try {
      loadConfig({ file, env: {}, cwd });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems).toEqual([
      "sentinelPrivateKey: looks like a secret; secrets are never read from the config file: set env GUARDIAN_SENTINEL_KEY instead",
      "admin.token: looks like a secret; secrets are never read from the config file: set env GUARDIAN_ADMIN_TOKEN instead",
      'escalation.oncall.webhookUrl: looks like a secret; secrets are never read from the config file: set env GUARDIAN_WEBHOOK_<NAME> and channel "webhook:<name>" instead',
      "detectors.custom.salt: holds a 32-byte hex value, the shape of a private key; secrets are never read from the config file: set env GUARDIAN_SENTINEL_KEY instead",
      "rpc.endpoints[0].http: URL carries a user and password; secrets are never read from the config file: use the environment",
    ]);
    for (const secret of ["hunter2", KEY, "T000", "pass@"]) expect(error?.message).not.toContain(secret);
  });

  it("reads secrets from env only, redacted in JSON and inspect", () => {
    const config = loadConfig({
      env: { GUARDIAN_SENTINEL_KEY: KEY, GUARDIAN_ADMIN_TOKEN: "t".repeat(32), GUARDIAN_WEBHOOK_ON_CALL: "https://hooks.example/x" },
      cwd: tempDir(),
    });
    expect(config.secrets.sentinelKey?.reveal()).toBe(KEY);
    expect(config.secrets.adminToken?.reveal()).toBe("t".repeat(32));
    expect(config.secrets.webhooks["on-call"]?.reveal()).toBe("https://hooks.example/x");
    const shown = JSON.stringify(config) + inspect(config, { depth: 10 }) + String(config.secrets.sentinelKey);
    expect(shown).not.toContain(KEY.slice(2));
    expect(shown).not.toContain("t".repeat(32));
    expect(shown).not.toContain("hooks.example");
  });

  it("store: lowdb by default; postgres needs its URL from env (a secret), never from the file", () => {
    const cwd = tempDir();
    expect(loadConfig({ env: {}, cwd }).store).toEqual({ kind: "lowdb", schema: "guardian", archiveAfterHours: 24 });
    const file = writeJson(cwd, "pg.json", { preset: "local", store: { kind: "postgres", leaseMs: 3000 } });
    expect(problemsOf(() => loadConfig({ file, env: {}, cwd }))).toEqual([
      'store.kind: "postgres" needs the database URL in env GUARDIAN_DATABASE_URL (it carries a password: never in the file)',
    ]);
    const url = "postgres://guardian:pa55w0rd@db.example:5432/guardian";
    const config = loadConfig({ file, env: { GUARDIAN_DATABASE_URL: url }, cwd });
    expect(config.store).toEqual({ kind: "postgres", schema: "guardian", leaseMs: 3000, archiveAfterHours: 24 });
    expect(config.secrets.databaseUrl?.reveal()).toBe(url);
    expect(JSON.stringify(config) + inspect(config, { depth: 10 })).not.toContain("pa55w0rd");
    expect(problemsOf(() => loadConfig({ file, env: { GUARDIAN_DATABASE_URL: "mysql://x" }, cwd }))).toEqual([
      "env GUARDIAN_DATABASE_URL: expected a postgres:// or postgresql:// URL (value not shown)",
      'store.kind: "postgres" needs the database URL in env GUARDIAN_DATABASE_URL (it carries a password: never in the file)',
    ]);
    const bad = writeJson(cwd, "bad.json", { preset: "local", store: { kind: "mongo", schema: "Guardian-1", leaseMs: 10, databaseUrl: url } });
    expect(problemsOf(() => loadConfig({ file: bad, env: {}, cwd })).join("\n")).toMatch(/store\.kind: expected "lowdb" or "postgres"[\s\S]*store\.schema: expected a lower-case SQL identifier[\s\S]*store\.leaseMs: expected milliseconds/);
  });

  it("bundlers: names in the file, URLs from env only (secrets); probes' settings and thresholds refused by name when wrong", () => {
    const cwd = tempDir();
    const file = writeJson(cwd, "b.json", { preset: "local", bundlers: [{ name: "alto" }, { name: "pimlico-eu" }], probes: { everyBlocks: 3 } });
    const env = { GUARDIAN_BUNDLER_ALTO: "http://127.0.0.1:4337", GUARDIAN_BUNDLER_PIMLICO_EU: "https://api.pimlico.example/v2/138/rpc?apikey=s3cr3t", GUARDIAN_PROBE_SPONSOR_KEY: KEY };
    const config = loadConfig({ file, env, cwd });
    expect(config.bundlers.map((b) => [b.name, b.url?.reveal()])).toEqual([
      ["alto", "http://127.0.0.1:4337"],
      ["pimlico-eu", "https://api.pimlico.example/v2/138/rpc?apikey=s3cr3t"],
    ]);
    expect(config.probes).toEqual({ enabled: true, everyBlocks: 3, timeoutMs: 10_000 });
    expect(config.secrets.probeSponsorKey?.reveal()).toBe(KEY);
    const shown = JSON.stringify(config) + inspect(config, { depth: 10 });
    expect(shown).not.toContain("s3cr3t");
    expect(shown).not.toContain(KEY.slice(2));
    const withCanary = loadConfig({ file: writeJson(cwd, "c.json", { preset: "local", probes: { canary: {} } }), env: { GUARDIAN_CANARY_KEY: KEY }, cwd });
    expect(withCanary.probes.canary).toEqual({ everyMinutes: 60, timeoutBlocks: 30 });
    expect(withCanary.secrets.canaryKey?.reveal()).toBe(KEY);
    expect(problemsOf(() => loadConfig({ file: writeJson(cwd, "c2.json", { preset: "local", probes: { canary: { everyMinutes: 0 } } }), env: {}, cwd }))).toEqual([
      "probes.canary.everyMinutes: expected minutes (a number > 0), got 0",
    ]);
    // Defaults: no bundler, probes on (simulated on the node), no canary.
    expect(loadConfig({ env: {}, cwd }).probes.canary).toBeUndefined();
    expect(loadConfig({ env: {}, cwd }).bundlers).toEqual([]);

    const bad = writeJson(cwd, "bad.json", {
      preset: "local",
      bundlers: [{ name: "alto" }, { name: "alto" }, { name: "Bad Name" }, { name: "nourl" }],
      probes: { everyBlocks: 0, timeout: 5 },
      detectors: { probes: { failRounds: 0, latencyFactor: 1 } },
    });
    const problems = problemsOf(() => loadConfig({ file: bad, env: { GUARDIAN_BUNDLER_ALTO: "ftp://x", GUARDIAN_PROBE_SPONSOR_KEY: "0x12" }, cwd }));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^bundlers\[1\]\.name: expected each bundler name once/),
        expect.stringMatching(/^bundlers\[2\]\.name: expected a name of lowercase letters/),
        expect.stringMatching(/^probes\.everyBlocks: expected a number of blocks/),
        "probes.timeout: unknown key (not part of the schema; check the spelling)",
        expect.stringMatching(/^detectors\.probes\.failRounds: expected a count/),
        expect.stringMatching(/^detectors\.probes\.latencyFactor: expected a ratio above 1/),
        "env GUARDIAN_BUNDLER_ALTO: expected an http(s) URL (value not shown)",
        "env GUARDIAN_PROBE_SPONSOR_KEY: expected 0x followed by 64 hex digits (value not shown)",
      ]),
    );
    // A URL missing from env does not stop commands that need no bundler; what runs probes refuses, naming the variable.
    const missing = loadConfig({ file: writeJson(cwd, "missing.json", { preset: "local", bundlers: [{ name: "nourl" }] }), env: {}, cwd });
    expect(missing.bundlers).toEqual([{ name: "nourl" }]);
    expect(missingBundlerUrls(missing)).toEqual(['bundlers: "nourl": expected its URL in env GUARDIAN_BUNDLER_NOURL (bundler URLs may carry API keys: never in the file)']);
    expect(missingBundlerUrls(config)).toEqual([]);
  });

  it("safe and drill: pre-signed pause paths and attestation paths relative to the file; liveness and drill refused by name when wrong", () => {
    const cwd = tempDir();
    const sub = path.join(cwd, "etc");
    mkdirSync(sub);
    const file = writeJson(sub, "s.json", { preset: "local", safe: { presigned: ["presigned"], liveness: { maxAgeDays: 30, attestations: ["att"] } } });
    const config = loadConfig({ file, env: {}, cwd });
    expect(config.safe).toEqual({ presigned: [path.join(sub, "presigned")], liveness: { maxAgeDays: 30, attestations: [path.join(sub, "att")] } });
    expect(loadConfig({ env: {}, cwd }).safe).toEqual({ presigned: [] });
    expect(problemsOf(() => loadConfig({ file: writeJson(cwd, "s2.json", { preset: "local", safe: { liveness: { maxAgeDays: 0 }, presigned: [""] } }), env: {}, cwd }))).toEqual([
      'safe.presigned[0]: expected a file or directory path, got ""',
      "safe.liveness.maxAgeDays: expected days (a number > 0), got 0",
    ]);
    expect(loadConfig({ file: writeJson(cwd, "d.json", { preset: "local", drill: { everyHours: 24 } }), env: {}, cwd }).drill).toEqual({ everyHours: 24 });
    expect(loadConfig({ env: {}, cwd }).drill).toBeUndefined();
    expect(problemsOf(() => loadConfig({ file: writeJson(cwd, "d2.json", { preset: "local", drill: { everyHours: 0.5 } }), env: {}, cwd }))).toEqual([
      "drill.everyHours: expected hours (a number ≥ 1), got 0.5",
    ]);
  });

  it("refuses malformed secret env variables without showing them", () => {
    const problems = problemsOf(() =>
      loadConfig({ env: { GUARDIAN_SENTINEL_KEY: "0x1234", GUARDIAN_ADMIN_TOKEN: "short", GUARDIAN_WEBHOOK_X: "not a url" }, cwd: tempDir() }),
    );
    expect(problems).toEqual([
      "env GUARDIAN_SENTINEL_KEY: expected 0x followed by 64 hex digits (value not shown)",
      "env GUARDIAN_ADMIN_TOKEN: expected at least 16 characters without spaces (value not shown)",
      "env GUARDIAN_WEBHOOK_X: expected an http(s) URL (value not shown)",
    ]);
  });
});

describe("loadDeployments", () => {
  it("reads the deploy command's shape and aliases, or undefined when absent", () => {
    const dir = tempDir();
    expect(loadDeployments(path.join(dir, "31337.json"))).toBeUndefined();
    const file = writeJson(dir, "31337.json", {
      chainId: 31337,
      kit: { EntryPoint: `0x${"11".repeat(20)}`, DelegationManager: `0x${"22".repeat(20)}`, SimpleFactory: `0x${"99".repeat(20)}` },
      guardian: { hub: `0x${"33".repeat(20)}`, paymaster: `0x${"44".repeat(20)}`, accountFactory: `0x${"55".repeat(20)}`, safe: `0x${"66".repeat(20)}` },
    });
    expect(loadDeployments(file)).toEqual({
      entryPoint: `0x${"11".repeat(20)}`,
      delegationManager: `0x${"22".repeat(20)}`,
      hub: `0x${"33".repeat(20)}`,
      paymaster: `0x${"44".repeat(20)}`,
      accountFactory: `0x${"55".repeat(20)}`,
    });
  });
});

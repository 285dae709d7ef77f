import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openLowdbStore, type LowdbStore } from "../store/lowdb-store.js";
import {
  ADMIN_INFO_FILE,
  ADMIN_TOKEN_FILE,
  findRunningDaemon,
  generateAdminToken,
  publishAdminEndpoint,
  readAdminEndpoint,
  readAdminToken,
  unpublishAdminEndpoint,
} from "../store/runtime-files.js";
import { tempDir } from "../store/testing/spawn.js";
import { EMPTY_HISTORY } from "../store/store.js";
import { AdminRequestError, createAdminClient } from "./client.js";
import type { IncidentChange } from "./operations.js";
import { startAdminServer, type AdminServer } from "./server.js";

const TOKEN = "test-token-0123456789abcdef";
const NOW = new Date("2025-03-01T12:00:00.000Z");
let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function setup(): Promise<{ store: LowdbStore; admin: AdminServer; changes: IncidentChange[]; dir: string }> {
  const dir = tempDir();
  const store = await openLowdbStore({ dataDir: dir, chainId: 31337, purpose: "daemon", clock: () => NOW });
  const changes: IncidentChange[] = [];
  const admin = await startAdminServer({ store, token: TOKEN, clock: () => NOW, onChange: (c) => void changes.push(c) });
  cleanup.push(() => store.close(), () => admin.close());
  return { store, admin, changes, dir };
}

const post = (admin: AdminServer, route: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(admin.url + route, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("startAdminServer", () => {
  it("binds loopback only", async () => {
    const { admin } = await setup();
    expect(admin.host).toBe("127.0.0.1");
    const store = { read: () => ({}) as never, update: async () => undefined as never, history: EMPTY_HISTORY, close: async () => {} };
    await expect(startAdminServer({ store, token: TOKEN, host: "0.0.0.0" })).rejects.toThrow(/loopback/);
    await expect(startAdminServer({ store, token: TOKEN, host: "192.168.1.10" })).rejects.toThrow(/loopback/);
    await expect(startAdminServer({ store, token: "short" })).rejects.toThrow(/at least 16/);
  });

  it("requires the bearer token and refuses browsers", async () => {
    const { admin } = await setup();
    expect((await fetch(`${admin.url}/v1/health`)).status).toBe(401);
    expect((await fetch(`${admin.url}/v1/health`, { headers: { authorization: "Bearer wrong-token-0123456789ab" } })).status).toBe(401);
    expect((await fetch(`${admin.url}/v1/health`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    const ok = await fetch(`${admin.url}/v1/health`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await ok.json()).toEqual({ ok: true, pid: process.pid });
    expect((await fetch(`${admin.url}/v1/health`, { headers: { authorization: `Bearer ${TOKEN}`, origin: "https://evil.example" } })).status).toBe(403);
  });

  it("trigger → update → ack through the client, committed to the store", async () => {
    const { store, admin, changes } = await setup();
    const client = createAdminClient({ host: admin.host, port: admin.port, token: TOKEN });
    const incident = await client.trigger({ title: "Paymaster drained", severity: "critical", layers: ["entryPoint"], by: "alice" });
    expect(incident).toMatchObject({ state: "detected", severity: "critical", source: "manual", key: `manual:${incident.id}` });
    expect(store.read().incidents[incident.id]).toEqual(incident);
    const updated = await client.update(incident.id.slice(0, 8), { state: "contained", message: "Paused." });
    expect(updated.state).toBe("contained");
    const acked = await client.acknowledge(incident.id, { by: "bob" });
    expect(acked).toMatchObject({ alreadyAcknowledged: false, incident: { acknowledgedBy: "bob" } });
    expect((await client.acknowledge(incident.id, { by: "carol" })).alreadyAcknowledged).toBe(true);
    expect(changes.map((c) => c.type)).toEqual(["triggered", "updated", "acknowledged"]);
    expect(await client.get(incident.id)).toEqual(store.read().incidents[incident.id]);
    expect((await client.list()).map((i) => i.id)).toEqual([incident.id]);
  });

  it("maps errors: 400 invalid request, 404 unknown incident, 409 refused transition, 415, 405, 404 route", async () => {
    const { store, admin } = await setup();
    const client = createAdminClient({ host: admin.host, port: admin.port, token: TOKEN });
    const incident = await client.trigger({ title: "t", severity: "low" });
    const bytes = readFileSync(path.join(store.dataDir, "store.json"));

    const bad = await client.trigger({ title: "", severity: "urgent" as never }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 400, remoteName: "InvalidRequestError" });
    expect((bad as Error).message).toMatch(/title: expected a non-empty string, got ""; severity: expected "critical" \| "high" \| "medium" \| "low", got "urgent"/);
    await expect(client.update("00000000-0000-0000-0000-000000000000", { state: "responding" })).rejects.toMatchObject({ status: 404, remoteName: "IncidentNotFoundError" });
    const refused = await client.update(incident.id, { state: "postreview" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AdminRequestError);
    expect(refused).toMatchObject({ status: 409, remoteName: "InvalidTransitionError" });
    expect((refused as Error).message).toContain("cannot move from detected to postreview");
    expect(readFileSync(path.join(store.dataDir, "store.json")).equals(bytes)).toBe(true);

    expect((await post(admin, "/v1/incidents", "{", {})).status).toBe(400);
    expect((await post(admin, "/v1/incidents", { title: "t", severity: "low" }, { "content-type": "text/plain" })).status).toBe(415);
    expect((await fetch(`${admin.url}/v1/incidents/${incident.id}/ack`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
    expect((await fetch(`${admin.url}/v2/nothing`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    expect((await post(admin, "/v1/incidents", "x".repeat(70 * 1024))).status).toBe(413);
  });

  it("refuses a contract address with a wrong EIP-55 checksum (400), accepts an all-lowercase one", async () => {
    const { admin } = await setup();
    const client = createAdminClient({ host: admin.host, port: admin.port, token: TOKEN });
    const typo = "0xD8dA6BF26964aF9D7eEd9e03E53415D37aA96045";
    const bad = await client.trigger({ title: "t", severity: "low", contracts: [typo as never] }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 400, remoteName: "InvalidRequestError" });
    expect((bad as Error).message).toContain("contracts[0]: expected an address with a valid EIP-55 checksum");
    const ok = await client.trigger({ title: "t", severity: "low", contracts: ["0xd8da6bf26964af9d7eed9e03e53415d37aa96045"] });
    expect(ok.affected.contracts).toEqual(["0xd8da6bf26964af9d7eed9e03e53415d37aa96045"]);
  });

  it("answers 404 for ids that name properties of every object (__proto__, constructor, toString, ...)", async () => {
    const { store, admin } = await setup();
    const client = createAdminClient({ host: admin.host, port: admin.port, token: TOKEN });
    await client.trigger({ title: "t", severity: "low" });
    const bytes = readFileSync(path.join(store.dataDir, "store.json"));
    for (const id of ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"]) {
      const get = await fetch(`${admin.url}/v1/incidents/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(get.status, id).toBe(404);
      expect(((await get.json()) as { error: { name: string } }).error.name, id).toBe("IncidentNotFoundError");
      expect((await post(admin, `/v1/incidents/${id}/state`, { state: "responding" })).status, id).toBe(404);
      expect((await post(admin, `/v1/incidents/${id}/ack`, { by: "ona" })).status, id).toBe(404);
    }
    expect(readFileSync(path.join(store.dataDir, "store.json")).equals(bytes)).toBe(true);
  });
});

describe("admin runtime files", () => {
  it("publishes admin.json without the token and admin.token with mode 0600; finds the running daemon", async () => {
    const { admin, dir } = await setup();
    const token = generateAdminToken();
    await publishAdminEndpoint(dir, { host: admin.host, port: admin.port, pid: process.pid, startedAt: NOW.toISOString() }, token);
    const info = readFileSync(path.join(dir, ADMIN_INFO_FILE), "utf8");
    expect(info).not.toContain(token);
    expect(await readAdminEndpoint(dir)).toEqual({ host: admin.host, port: admin.port, pid: process.pid, startedAt: NOW.toISOString(), tokenFile: true });
    expect(statSync(path.join(dir, ADMIN_TOKEN_FILE)).mode & 0o777).toBe(0o600);
    expect(await readAdminToken(dir)).toBe(token);
    expect(await findRunningDaemon(dir)).toMatchObject({ endpoint: { port: admin.port }, lock: { pid: process.pid, purpose: "daemon" } });

    await unpublishAdminEndpoint(dir, process.pid + 1); // not ours: left alone
    expect(await readAdminEndpoint(dir)).toBeDefined();
    await unpublishAdminEndpoint(dir, process.pid);
    expect(await readAdminEndpoint(dir)).toBeUndefined();
    expect(await readAdminToken(dir)).toBeUndefined();
    expect(await findRunningDaemon(dir)).toBeUndefined();
  });

  it("ignores an admin.json whose pid does not hold the lock", async () => {
    const dir = tempDir();
    await publishAdminEndpoint(dir, { host: "127.0.0.1", port: 1, pid: process.pid, startedAt: NOW.toISOString() });
    expect(await findRunningDaemon(dir)).toBeUndefined();
  });
});

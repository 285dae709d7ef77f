/**
 * The loopback preload (scripts/lib/loopback-only.mjs) that keeps Alto's
 * server off the network: in a real Node process started with
 * `--import <preload>`, every form of `listen` that would bind all interfaces
 * (or another host) binds 127.0.0.1; loopback hosts and Unix sockets are left
 * as asked. test/bundler/ checks it on Alto itself.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { LOOPBACK_PRELOAD } from "../../scripts/lib/bundler.js";

const run = promisify(execFile);

/** Runs `script` (an ES module body) under the preload, or without it; returns its stdout parsed as JSON. */
async function underPreload(script: string, preload = true): Promise<unknown> {
  const args = [...(preload ? ["--import", pathToFileURL(LOOPBACK_PRELOAD).href] : []), "--input-type=module", "-e", script];
  const { stdout } = await run(process.execPath, args, { timeout: 30_000 });
  return JSON.parse(stdout);
}

// Opens one server per listen form, reports where each ended up, closes them.
const FORMS = `
import net from "node:net";
import http from "node:http";
const forms = {
  "options 0.0.0.0 (fastify)": (s, cb) => s.listen({ port: 0, host: "0.0.0.0" }, cb),
  "options ::": (s, cb) => s.listen({ port: 0, host: "::" }, cb),
  "options without host": (s, cb) => s.listen({ port: 0 }, cb),
  "port only": (s, cb) => s.listen(0, cb),
  "port and 0.0.0.0": (s, cb) => s.listen(0, "0.0.0.0", cb),
  "port, host and backlog": (s, cb) => s.listen(0, "0.0.0.0", 16, cb),
  "no arguments": (s, cb) => { s.once("listening", cb); s.listen(); },
  "options ::1": (s, cb) => s.listen({ port: 0, host: "::1" }, cb),
  "port and localhost": (s, cb) => s.listen(0, "localhost", cb),
};
const out = {};
for (const [name, listen] of Object.entries(forms)) {
  const server = name.startsWith("options 0") ? http.createServer() : net.createServer();
  await new Promise((resolve, reject) => { server.once("error", reject); listen(server, resolve); });
  out[name] = server.address().address;
  await new Promise((r) => server.close(r));
}
const unix = net.createServer();
await new Promise((r) => unix.listen({ path: SOCK }, r));
out["unix socket"] = unix.address();
await new Promise((r) => unix.close(r));
process.stdout.write(JSON.stringify(out));
`;

describe("loopback-only preload", () => {
  it("binds every all-interfaces listen to 127.0.0.1 and leaves loopback hosts and Unix sockets alone", async () => {
    const sock = path.join(mkdtempSync(path.join(tmpdir(), "loopback-")), "s.sock");
    const script = FORMS.replace("SOCK", JSON.stringify(sock));
    expect(await underPreload(script)).toEqual({
      "options 0.0.0.0 (fastify)": "127.0.0.1",
      "options ::": "127.0.0.1",
      "options without host": "127.0.0.1",
      "port only": "127.0.0.1",
      "port and 0.0.0.0": "127.0.0.1",
      "port, host and backlog": "127.0.0.1",
      "no arguments": "127.0.0.1",
      "options ::1": "::1",
      "port and localhost": expect.stringMatching(/^(127\.0\.0\.1|::1)$/),
      "unix socket": sock,
    });
    // Without the preload the same program listens on all interfaces: the test can tell the difference.
    const plain = (await underPreload(FORMS.replace("SOCK", JSON.stringify(`${sock}2`)), false)) as Record<string, string>;
    expect(plain["options 0.0.0.0 (fastify)"]).toBe("0.0.0.0");
    expect(plain["port only"]).toMatch(/^(::|0\.0\.0\.0)$/);
  });
});

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBundlerClient } from "./client.js";

// A real HTTP server on a free loopback port answering per method, to exercise
// the client's transport, bounds and validation. test/bundler/ runs it against a real Alto.
let server: Server;
let base: string;
const FAILED_OP = `0x${"0f".repeat(32)}`;
const answers: Record<string, (id: unknown, params: unknown[]) => string | undefined> = {
  eth_chainId: (id) => JSON.stringify({ jsonrpc: "2.0", id, result: "0x7a69" }),
  eth_supportedEntryPoints: (id) => JSON.stringify({ jsonrpc: "2.0", id, result: ["not an address"] }),
  eth_sendUserOperation: (id) => JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32521, message: "UserOperation reverted during execution phase with reason: 0xd93c0665" } }),
  eth_getUserOperationReceipt: (id, params) =>
    JSON.stringify({
      jsonrpc: "2.0",
      id,
      result:
        params[0] === FAILED_OP
          ? { userOpHash: FAILED_OP, success: false, actualGasCost: "0x10", reason: "0xd93c0665", receipt: { transactionHash: `0x${"aa".repeat(32)}`, blockNumber: "0x3f" } }
          : null,
    }),
  eth_getUserOperationByHash: () => "x".repeat(4096),
  eth_estimateUserOperationGas: () => undefined, // never answers
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const { id, method, params } = JSON.parse(body) as { id: unknown; method: string; params: unknown[] };
      const out = answers[method]?.(id, params);
      if (out !== undefined) res.end(out);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("bundler client", () => {
  const client = () => createBundlerClient({ url: `${base}/rpc/SECRETKEY`, timeoutMs: 500, maxBytes: 1024 });

  it("returns a validated result with its latency", async () => {
    const r = await client().chainId();
    expect(r).toMatchObject({ ok: true, value: "0x7a69" });
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect((await client().getUserOperationReceipt("0x01")).ok).toBe(true);
  });

  it("classifies a refusal and decodes its inner revert", async () => {
    const r = await client().sendUserOperation({ sender: "0x" }, "0x0000000071727De22E5E9d8BAf0edAc6f37da032");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ kind: "refused", rpcCode: -32521, revert: { kind: "custom", name: "EnforcedPause" } });
  });

  it("decodes the revert of an operation included with success=false from its receipt's reason", async () => {
    const r = await client().getUserOperationReceipt(FAILED_OP);
    expect(r).toMatchObject({ ok: true, value: { success: false, reason: "0xd93c0665", revert: { kind: "custom", name: "EnforcedPause", args: {} } } });
    expect(await client().getUserOperationReceipt("0x01")).toMatchObject({ ok: true, value: null });
  });

  it("reports malformed, oversized, timed-out and unreachable answers without the URL's key", async () => {
    const results = [
      await client().supportedEntryPoints(),
      await client().getUserOperationByHash("0x01"),
      await client().estimateUserOperationGas({}, "0x0000000071727De22E5E9d8BAf0edAc6f37da032"),
      await createBundlerClient({ url: "http://127.0.0.1:1/SECRETKEY", timeoutMs: 2000 }).chainId(),
    ];
    expect(results.map((r) => (r.ok ? "ok" : r.error.kind))).toEqual(["malformed", "malformed", "timeout", "unreachable"]);
    for (const r of results) if (!r.ok) expect(r.error.message).not.toContain("SECRETKEY");
  });
});

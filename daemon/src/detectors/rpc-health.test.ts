import { describe, expect, test } from "vitest";
import type { EndpointHealth, RpcHealthFacts } from "../types.js";
import { initialRpcHealthState, rpcHealth, rpcHealthDefaults, type RpcHealthState } from "./rpc-health.js";

const T = rpcHealthDefaults(2_000);
const T0 = Date.parse("2026-01-01T00:00:00.000Z");

function endpoint(name: string, extra: Partial<EndpointHealth> = {}): EndpointHealth {
  return { name, status: "up", chainId: 138, consecutiveErrors: 0, requests: 10, errors: 0, avgLatencyMs: 20, head: 100, headLag: 0, ...extra };
}

function facts(atMs: number, extra: Partial<RpcHealthFacts> = {}): RpcHealthFacts {
  return {
    chainId: 138,
    observedAt: new Date(atMs).toISOString(),
    nowMs: atMs,
    endpoints: [endpoint("a"), endpoint("b")],
    head: { number: 100, advancedAtMs: atMs },
    processed: { number: 100, advancedAtMs: atMs },
    ...extra,
  };
}

/** Feeds a series of facts, returning every finding and the last state. */
function series(list: RpcHealthFacts[], state: RpcHealthState = initialRpcHealthState()) {
  const all = [];
  for (const f of list) {
    const r = rpcHealth(f, state, T);
    state = r.nextState;
    all.push(...r.findings);
  }
  return { findings: all, state };
}

describe("rpc-health", () => {
  test("a healthy pool reports nothing", () => {
    expect(series([facts(T0), facts(T0 + 1000)]).findings).toEqual([]);
  });

  test("every endpoint failing: rpc-unavailable, Critical, once, then recovered", () => {
    const down = (at: number) =>
      facts(at, {
        unavailableSinceMs: T0,
        endpoints: [endpoint("a", { consecutiveErrors: 9, status: "down", lastError: "timeout" }), endpoint("b", { consecutiveErrors: 9, status: "down" })],
        head: { number: 100, advancedAtMs: T0 },
      });
    const { findings, state } = series([down(T0 + 500), down(T0 + 2_000), down(T0 + 10_000), down(T0 + 30_000), facts(T0 + 31_000)]);
    // Not before unavailableAfterMs (one block time); no per-endpoint or stall findings while blind.
    expect(findings.map((f) => [f.key, f.severity, f.recovered ?? false])).toEqual([
      ["rpc-health:unavailable:138", "critical", false],
      ["rpc-health:unavailable:138", "critical", true],
    ]);
    expect(findings[0]?.summary).toContain("a: timeout");
    expect(findings[1]?.title).toBe("RPC available again");
    expect(state.active).toEqual({});
  });

  test("a chain without a new head for 3 block times is stalled (High), until a block comes", () => {
    const stale = (at: number) => facts(at, { head: { number: 100, advancedAtMs: T0 }, processed: { number: 100, advancedAtMs: T0 } });
    const { findings } = series([stale(T0 + 5_900), stale(T0 + 6_100), stale(T0 + 9_000), facts(T0 + 10_000)]);
    expect(findings.map((f) => [f.key, f.severity, f.recovered ?? false])).toEqual([
      ["rpc-health:chain-stalled:138", "high", false],
      ["rpc-health:chain-stalled:138", "high", true],
    ]);
    expect(findings[0]?.layers).toEqual(["entryPoint", "accountFactory", "delegation"]);
  });

  test("the follower not advancing while the chain does is reported", () => {
    const { findings } = series([facts(T0 + 7_000, { head: { number: 120, advancedAtMs: T0 + 7_000 }, processed: { number: 100, advancedAtMs: T0 } })]);
    expect(findings).toMatchObject([{ key: "rpc-health:follower-stuck:138", severity: "high" }]);
  });

  test("a stuck follower's finding names the failing step's endpoint and cause, cleaned", () => {
    const stepFailure = { sinceMs: T0 + 1_000, endpoints: ["gw\u001b[31m"], cause: "eth_getLogs: gw: batch-limit, code -32005: Number of requests exceeds max batch size\u202e" };
    const { findings } = series([facts(T0 + 7_000, { head: { number: 120, advancedAtMs: T0 + 7_000 }, processed: { number: 100, advancedAtMs: T0 }, stepFailure })]);
    expect(findings[0]?.summary).toContain("The failing step (gw[31m) since 2026-01-01T00:00:01.000Z: eth_getLogs: gw: batch-limit, code -32005: Number of requests exceeds max batch size.");
  });

  test("start-up stall: no first block within 3 block times is the stuck finding; recovered once one is processed", () => {
    const starting = (at: number) => {
      const f = facts(at, { startedAtMs: T0, head: { number: 120, advancedAtMs: at }, stepFailure: { sinceMs: T0, endpoints: ["gw"], cause: "No RPC endpoint serves eth_getLogs (gw: method-unavailable, code -32604: Method not enabled)" } });
      delete f.processed;
      return f;
    };
    const { findings } = series([starting(T0 + 5_900), starting(T0 + 6_100), starting(T0 + 9_000), facts(T0 + 10_000, { startedAtMs: T0 })]);
    expect(findings.map((f) => [f.key, f.title, f.recovered ?? false])).toEqual([
      ["rpc-health:follower-stuck:138", "Monitoring stuck: no block processed since start", false],
      ["rpc-health:follower-stuck:138", "Monitoring processes blocks again", true],
    ]);
    expect(findings[0]?.summary).toMatch(/started 6 s ago and has processed no block of chain 138 \(the chain is at #120\).*code -32604: Method not enabled/);
  });

  test("per endpoint: wrong chain, failing, slow, lagging", () => {
    const { findings } = series([
      facts(T0, {
        endpoints: [
          endpoint("wrong", { status: "excluded", chainId: 1 }),
          endpoint("failing", { consecutiveErrors: 3, lastError: "HTTP 503" }),
          endpoint("slow", { avgLatencyMs: 2_500 }),
          endpoint("behind", { headLag: 6 }),
          endpoint("fine", { headLag: 5 }),
        ],
      }),
    ]);
    expect(findings.map((f) => [f.key, f.severity])).toEqual([
      ["rpc-health:chain-id:138:wrong", "high"],
      ["rpc-health:endpoint-down:138:failing", "medium"],
      ["rpc-health:latency:138:slow", "medium"],
      ["rpc-health:head-lag:138:behind", "medium"],
    ]);
    expect(findings[1]?.summary).toContain("HTTP 503");
  });

  test("conditions that cannot be judged while blind keep their state instead of recovering", () => {
    const lagging = facts(T0, { endpoints: [endpoint("a", { headLag: 50 }), endpoint("b")] });
    const blind = facts(T0 + 5_000, { unavailableSinceMs: T0 + 1_000, endpoints: [endpoint("a", { consecutiveErrors: 5 }), endpoint("b", { consecutiveErrors: 5 })] });
    const { findings, state } = series([lagging, blind]);
    expect(findings.map((f) => [f.key, f.recovered ?? false])).toEqual([
      ["rpc-health:head-lag:138:a", false],
      ["rpc-health:unavailable:138", false],
    ]);
    expect(Object.keys(state.active).sort()).toEqual(["rpc-health:head-lag:138:a", "rpc-health:unavailable:138"]);
  });

  test("same input, same output: deterministic keys and no clock", () => {
    const f = facts(T0, { endpoints: [endpoint("a", { consecutiveErrors: 4 })] });
    expect(rpcHealth(f, initialRpcHealthState(), T)).toEqual(rpcHealth(f, initialRpcHealthState(), T));
  });
});

/** Text an RPC endpoint chose (its error message) is quoted in findings cleaned and capped, like chain text. */
import { describe, expect, test } from "vitest";
import { hasUnsafeCharacters, UNTRUSTED_TEXT_MAX } from "../decode/untrusted-text.js";
import type { EndpointHealth, RpcHealthFacts } from "../types.js";
import { initialRpcHealthState, rpcHealth, rpcHealthDefaults } from "./rpc-health.js";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");

function endpoint(name: string, extra: Partial<EndpointHealth> = {}): EndpointHealth {
  return { name, status: "up", chainId: 138, consecutiveErrors: 0, requests: 10, errors: 0, avgLatencyMs: 20, head: 100, headLag: 0, ...extra };
}

describe("untrusted text in detector findings", () => {
  test("an RPC endpoint's error message in rpc-health summaries: no control, bidi or zero-width character; capped", () => {
    const lastError = `\u001b]0;pwned\u0007\u001b[2J\r\nAll clear\u202E${"x".repeat(1000)}`;
    const facts: RpcHealthFacts = {
      chainId: 138,
      observedAt: new Date(T0).toISOString(),
      nowMs: T0,
      endpoints: [endpoint("a", { consecutiveErrors: 50, errors: 50, lastError, status: "excluded" }), endpoint("b", { consecutiveErrors: 50, errors: 50, lastError })],
      head: { number: 100, advancedAtMs: T0 },
      processed: { number: 100, advancedAtMs: T0 },
    };
    const { findings } = rpcHealth(facts, initialRpcHealthState(), rpcHealthDefaults(2_000));
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) {
      expect(hasUnsafeCharacters(f.summary), f.key).toBe(false);
      expect(f.summary.length, f.key).toBeLessThan(UNTRUSTED_TEXT_MAX * 2 + 300);
    }
    expect(findings.some((f) => f.summary.includes("]0;pwned[2J  All clear"))).toBe(true);
  });
});

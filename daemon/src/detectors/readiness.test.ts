import { describe, it, expect } from "vitest";
import { judgeReadiness, type ReadinessFacts } from "./readiness.js";

const A = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" as const;
const B = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" as const;
const S = "0x3333333333333333333333333333333333333333" as const;
const SAFE = "0x2222222222222222222222222222222222222222" as const;

function facts(over: Partial<ReadinessFacts> = {}): ReadinessFacts {
  return {
    block: 10,
    chainTime: 10_000,
    pauseCostWei: 10n ** 16n,
    sentinel: { address: S, hasRole: true, balanceWei: 10n ** 17n, lastHeartbeat: 9_900 },
    safe: { address: SAFE, hasRole: true, owners: [A, B], threshold: 2, nonce: 4 },
    ...over,
  };
}
const t = { pauses: 3, heartbeatMaxAgeSeconds: 1800 };
const byPath = (f: ReadinessFacts) => Object.fromEntries(judgeReadiness(f, t).paths.map((p) => [p.path, p.ready]));

describe("readiness", () => {
  it("each path judged on its own; ready when any is", () => {
    expect(byPath(facts())).toEqual({ sentinel: true, presigned: false, "safe-quorum": true });
    expect(byPath(facts({ sentinel: { address: S, hasRole: true, balanceWei: 3n * 10n ** 16n - 1n, lastHeartbeat: 9_900 } })).sentinel).toBe(false);
    expect(byPath(facts({ sentinel: { address: S, hasRole: true, balanceWei: 3n * 10n ** 16n, lastHeartbeat: 9_900 } })).sentinel).toBe(true);
    expect(byPath(facts({ sentinel: { address: S, hasRole: true, balanceWei: 10n ** 18n, lastHeartbeat: 10_000 - 1801 } })).sentinel).toBe(false);
    expect(byPath(facts({ presigned: { source: "/p", validNonces: [4], readyNow: true, highestNonce: 4, configChanged: [] } })).presigned).toBe(true);
    expect(byPath(facts({ liveSigners: { live: [A], maxAgeDays: 30 } }))["safe-quorum"]).toBe(false);
    expect(byPath(facts({ liveSigners: { live: [A, B], maxAgeDays: 30 } }))["safe-quorum"]).toBe(true);
    const none = judgeReadiness(facts({ sentinel: undefined, safe: { address: SAFE, hasRole: true, owners: [A], threshold: 2, nonce: 4 } }), t);
    expect(none.ready).toBe(false);
    expect(none.paths.find((p) => p.path === "safe-quorum")!.details).toContain("2-of-1 owners: a pause needs 2 signers reached");
  });
});

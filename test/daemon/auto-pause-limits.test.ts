/**
 * The pause gets through behind a provider's limits: the auto-pause suite
 * (test/daemon/suites/auto-pause.ts) with the daemon's first endpoint an
 * Infura-style rate-limited one (HTTP 200, -32005 "project ID request rate
 * exceeded", calls counted one by one) and a second, healthy one. The daemon
 * keeps following, shows the first endpoint limited rather than down, and
 * the Critical symptom is paused. And with the only endpoint limited to 10
 * HTTP requests a second (HTTP 429): the daemon backs off and the pause
 * still lands.
 */
import { expect } from "vitest";
import { startRpcProxy } from "./helpers/rpc-proxy.js";
import { autoPauseSuite } from "./suites/auto-pause.js";

autoPauseSuite("circuit breaker behind an Infura-style rate limit with a healthy second endpoint", {
  node: "edr",
  async rpc(nodeUrl) {
    const limited = await startRpcProxy({ target: nodeUrl, limits: { requestsPerSecond: 2, rateStyle: "infura", rateCounts: "calls" } });
    const healthy = await startRpcProxy({ target: nodeUrl });
    return {
      urls: [limited.url, healthy.url],
      check(daemon) {
        expect(limited.limited.rate).toBeGreaterThan(0);
        expect(healthy.requests.total).toBeGreaterThan(0);
        const first = daemon.follower.health().endpoints[0]!;
        expect(["limited", "up"]).toContain(first.status);
        expect(first.consecutiveErrors).toBe(0);
      },
      async close() {
        await limited.close();
        await healthy.close();
      },
    };
  },
});

autoPauseSuite("circuit breaker behind an endpoint limited to 10 HTTP requests/s (429)", {
  node: "edr",
  async rpc(nodeUrl) {
    const limited = await startRpcProxy({ target: nodeUrl, limits: { requestsPerSecond: 10, rateStyle: "429" } });
    return {
      urls: [limited.url],
      check() {
        // The start-up catch-up (the deployment's blocks: headers, logs and receipts in parallel) goes over 10/s.
        expect(limited.limited.rate).toBeGreaterThan(0);
      },
      async close() {
        await limited.close();
      },
    };
  },
});

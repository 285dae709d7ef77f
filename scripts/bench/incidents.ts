/**
 * A realistic incident history for the store and site benchmarks, made with
 * the incidents module itself (openIncident, transition, addTimelineEntry):
 * `count` incidents over the last 90 days, most of them resolved after a few
 * public updates, a handful still open; severities as a response plan sees
 * them (few Critical, many Medium and Low). Deterministic for a given seed.
 */
import { addTimelineEntry, openIncident, transition } from "../../daemon/src/incidents/index.js";
import { LAYERS, type Address, type Hex, type Incident, type Layer, type Severity } from "../../daemon/src/types.js";

const SOURCES: Array<{ source: string; title: string; layers: Layer[] }> = [
  { source: "account-creation", title: "Account creation failing (AA13 initCode failed or OOG)", layers: ["accountFactory"] },
  { source: "user-operations", title: "Sponsored user operations reverting", layers: ["entryPoint"] },
  { source: "delegation", title: "Delegation redemptions failing (expired caveat)", layers: ["delegation"] },
  { source: "gas-spike", title: "Gas per operation 4.2× the rolling baseline", layers: ["entryPoint"] },
  { source: "rpc-health", title: "One RPC endpoint answers slowly", layers: [] },
  { source: "security", title: "Ownership of the paymaster moved to an unknown account", layers: ["entryPoint"] },
];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const hex = (n: number, bytes: number) => `0x${n.toString(16).padStart(bytes * 2, "0")}` as Hex;

/**
 * `options.offset`/`total` make a slice [offset, offset + count) of a history
 * of `total` incidents (to build a large history in chunks); `allClosed`
 * takes every incident to post-review.
 */
export function incidentHistory(count: number, now = new Date(), seed = 138, options: { offset?: number; total?: number; allClosed?: boolean } = {}): Incident[] {
  const random = rng(seed + (options.offset ?? 0));
  const out: Incident[] = [];
  const offset = options.offset ?? 0;
  const total = options.total ?? count;
  const span = 90 * 24 * 60 * 60_000;
  for (let i = offset; i < offset + count; i++) {
    const kind = SOURCES[i % SOURCES.length]!;
    const r = random();
    const severity: Severity = r < 0.05 ? "critical" : r < 0.25 ? "high" : r < 0.65 ? "medium" : "low";
    const opened = new Date(now.getTime() - span + Math.floor((i / total) * span) + Math.floor(random() * 60_000));
    const minutes = (m: number) => new Date(opened.getTime() + m * 60_000);
    const block = 1_000_000 + i * 400;
    let incident = openIncident({
      key: `${kind.source}:bench:${i}`,
      title: kind.title,
      severity,
      affected: { layers: kind.layers, contracts: kind.layers.length ? [hex(0xa000 + LAYERS.indexOf(kind.layers[0]!), 20) as Address] : [] },
      source: kind.source,
      now: opened,
      evidence: { blockNumber: block, blockHash: hex(block, 32), txHash: hex(block + 7, 32), logIndex: 0, values: { rate: 0.42, window: 20 } },
    });
    incident = transition(incident, "responding", { now: minutes(8), by: "on-call", message: "We have identified the cause and are working on a fix." });
    incident = addTimelineEntry(incident, { kind: "note", message: "Internal: the bundler operator was contacted.", public: false }, minutes(15));
    const open = !options.allClosed && i >= total - 3;
    if (!open) {
      incident = addTimelineEntry(incident, { kind: "note", message: "A fix is being deployed; we continue to monitor.", public: true, by: "on-call" }, minutes(30));
      incident = transition(incident, "recovered", { now: minutes(55), by: "on-call", message: "The issue is resolved." });
      if (options.allClosed || random() < 0.8) incident = transition(incident, "postreview", { now: minutes(24 * 60), message: "Post-incident review started." });
    }
    out.push(incident);
  }
  return out;
}

/**
 * readiness: one answer to "can we pause right now, and how?", path by path,
 * from facts read at one block (commands/readiness.ts reads them):
 *
 * - sentinel: a key is known, holds SENTINEL_ROLE, can pay for N pauses at
 *   today's fees, and its heartbeat is recent (the daemon that would send the
 *   pause is alive). Fast and automatic, bounded in time by the hub.
 * - pre-signed Safe pause: a file signed by a threshold of current owners
 *   exists for the Safe's current nonce; anyone with a funded key fires it.
 * - Safe quorum: the Safe holds GUARDIAN_ROLE and has at least threshold
 *   owners — live ones when signer liveness is configured; pausing this way
 *   needs that many signers reached.
 *
 * Ready when at least one path is.
 */
import type { Address } from "../types.js";

export interface ReadinessFacts {
  block: number;
  chainTime: number;
  sentinel?: { address: Address; hasRole: boolean; balanceWei: bigint; lastHeartbeat: number };
  /** Wei one sentinel pause may cost at today's fees (gas × fee ceiling). */
  pauseCostWei: bigint;
  safe: { address: Address; hasRole: boolean; owners: Address[]; threshold: number; nonce: number };
  /** The last drill's result per path (`guardian drill --out`), when given: shown, not judged (its checks may be old). */
  drill?: { ageSeconds: number; sentinel?: { ok: boolean; error?: string }; safe?: { ok: boolean; error?: string } };
  /** Owners who proved control of their key lately (signer liveness), when it is configured. */
  liveSigners?: { live: Address[]; maxAgeDays: number };
  /** Undefined when no pre-signed files are configured or given. */
  presigned?: { source: string; validNonces: number[]; readyNow: boolean; highestNonce?: number; configChanged: number[]; error?: string };
}

export interface ReadinessThresholds {
  /** How many pauses the sentinel's balance must cover. */
  pauses: number;
  /** A heartbeat older than this means the daemon may be down (0 = not checked). */
  heartbeatMaxAgeSeconds: number;
}

export interface PathReadiness {
  path: "sentinel" | "presigned" | "safe-quorum";
  ready: boolean;
  /** What holds and what does not, one clause each. */
  details: string[];
}

export interface Readiness {
  ready: boolean;
  block: number;
  paths: PathReadiness[];
}

const eth = (wei: bigint) => {
  const whole = wei / 10n ** 18n;
  const frac = (wei % 10n ** 18n).toString().padStart(18, "0").slice(0, 6).replace(/0+$/, "");
  return `${whole}${frac ? `.${frac}` : ""} ETH`;
};

export function judgeReadiness(f: ReadinessFacts, t: ReadinessThresholds): Readiness {
  const paths: PathReadiness[] = [];

  const s = f.sentinel;
  if (!s) {
    paths.push({ path: "sentinel", ready: false, details: ["no sentinel key configured (env GUARDIAN_SENTINEL_KEY) and none in the deployment"] });
  } else {
    const need = f.pauseCostWei * BigInt(t.pauses);
    const age = f.chainTime - s.lastHeartbeat;
    const roleOk = s.hasRole;
    const gasOk = s.balanceWei >= need;
    const beatOk = t.heartbeatMaxAgeSeconds === 0 || (s.lastHeartbeat > 0 && age <= t.heartbeatMaxAgeSeconds);
    paths.push({
      path: "sentinel",
      ready: roleOk && gasOk && beatOk,
      details: [
        `${s.address} ${roleOk ? "holds" : "does NOT hold"} SENTINEL_ROLE`,
        `balance ${eth(s.balanceWei)} ${gasOk ? "covers" : "does NOT cover"} ${t.pauses} pauses (${eth(need)} at today's fees)`,
        t.heartbeatMaxAgeSeconds === 0
          ? "heartbeat not checked"
          : s.lastHeartbeat === 0
            ? "no heartbeat ever: is the daemon running with this key?"
            : `last heartbeat ${age} s ago${beatOk ? "" : `, older than ${t.heartbeatMaxAgeSeconds} s: is the daemon running?`}`,
      ],
    });
  }

  const p = f.presigned;
  if (!p) {
    paths.push({ path: "presigned", ready: false, details: ["no pre-signed pauses configured (safe.presigned, or --presigned)"] });
  } else {
    const details = p.error
      ? [`cannot read ${p.source}: ${p.error}`]
      : [
          p.validNonces.length ? `valid pre-signed nonces: ${p.validNonces.join(", ")}` : "no valid pre-signed nonce left",
          p.readyNow
            ? `one is for the Safe's current nonce ${f.safe.nonce}: fire it with guardian safe fire`
            : p.highestNonce !== undefined && p.highestNonce < f.safe.nonce
              ? `all consumed: the highest pre-signed nonce ${p.highestNonce} is below the Safe's nonce ${f.safe.nonce}`
              : `none for the Safe's current nonce ${f.safe.nonce}`,
          ...(p.configChanged.length ? [`signed under other owners or threshold: nonces ${p.configChanged.join(", ")}`] : []),
        ];
    paths.push({ path: "presigned", ready: p.readyNow && f.safe.hasRole, details: f.safe.hasRole ? details : [...details, "the Safe does NOT hold GUARDIAN_ROLE"] });
  }

  const q = f.safe;
  const l = f.liveSigners;
  const liveOk = !l || l.live.length >= q.threshold;
  paths.push({
    path: "safe-quorum",
    ready: q.hasRole && q.threshold > 0 && q.owners.length >= q.threshold && liveOk,
    details: [
      `Safe ${q.address} ${q.hasRole ? "holds" : "does NOT hold"} GUARDIAN_ROLE`,
      `${q.threshold}-of-${q.owners.length} owners: a pause needs ${q.threshold} signers reached`,
      ...(l
        ? [`live signers: ${l.live.length} of ${q.owners.length} proved their key within ${l.maxAgeDays} days${liveOk ? "" : `, fewer than the threshold ${q.threshold}`}${l.live.length ? ` (${l.live.join(", ")})` : ""}`]
        : []),
    ],
  });

  if (f.drill) {
    const age = f.drill.ageSeconds < 7200 ? `${Math.round(f.drill.ageSeconds / 60)} min` : `${Math.round(f.drill.ageSeconds / 3600)} h`;
    const line = (r: { ok: boolean; error?: string } | undefined) => (r ? `last drill ${age} ago: ${r.ok ? "worked" : `FAILED (${r.error ?? "see the report"})`}` : `last drill ${age} ago: not exercised`);
    for (const p of paths) p.details.push(line(p.path === "sentinel" ? f.drill.sentinel : f.drill.safe));
  }
  return { ready: paths.some((x) => x.ready), block: f.block, paths };
}

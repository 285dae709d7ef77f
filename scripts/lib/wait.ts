/**
 * Waiting for states, by blocks: the demo and scenario tools wait until the
 * daemon shows a state (an incident at a severity, a layer paused, a status
 * publication) and give up only once the daemon has observed a block past a
 * deadline without it. A loaded machine makes the daemon slower, not wrong,
 * so a deadline in processed blocks moves with it; a wall-clock limit is only
 * the last-resort safety net (a daemon that stopped processing), and every
 * failure says what was awaited, up to which block, and what was seen last.
 */
import { SEVERITIES, type Incident, type Severity } from "../../daemon/src/types.js";

/** One look at the state being awaited. */
export interface Observation<T> {
  /** Set once the state is reached. */
  value?: T;
  /** The block up to which the observer has seen the chain (daemon's last processed block, a publication's block); undefined before it has seen any. */
  atBlock?: number;
  /** What was seen, for the error message (e.g. "incident HIGH, detected"). */
  seen: string;
  /** A deadline the probe worked out (e.g. once the daemon passed a block); overrides the option's. */
  deadlineBlock?: number;
}

export interface WaitForStateOptions<T> {
  /** What is awaited, as the error message names it. */
  what: string;
  probe: () => Promise<Observation<T>>;
  /** Give up once the observer has seen this block without the state. Undefined: no block deadline (start-up). */
  deadlineBlock?: number;
  /** Why waiting is pointless (the daemon exited), or undefined. Checked every poll. */
  gone?: () => string | undefined;
  /** The last-resort wall-clock limit. Default 10 minutes. */
  safetyNetMs?: number;
  pollMs?: number;
  /** Appended to every failure (e.g. where the daemon's log is). */
  hint?: string;
  now?: () => number;
}

export class WaitError extends Error {
  override readonly name = "WaitError";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `probe` until it returns a value. Fails when the observer has seen
 * `deadlineBlock` without the state, when `gone()` says why, or after
 * `safetyNetMs` of wall time; a probe that throws counts as "not yet" (its
 * message becomes what was seen).
 */
export async function waitForState<T>(options: WaitForStateOptions<T>): Promise<T> {
  const now = options.now ?? Date.now;
  const safetyNetMs = options.safetyNetMs ?? 10 * 60_000;
  const giveUpAt = now() + safetyNetMs;
  const hint = options.hint ? `; ${options.hint}` : "";
  let last: Observation<T> = { seen: "nothing yet" };
  let deadlineBlock = options.deadlineBlock;
  for (;;) {
    try {
      last = await options.probe();
    } catch (error) {
      last = { ...(last.atBlock !== undefined ? { atBlock: last.atBlock } : {}), seen: `probe failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (last.value !== undefined) return last.value;
    if (last.deadlineBlock !== undefined) deadlineBlock = last.deadlineBlock;
    const upTo = last.atBlock !== undefined ? `seen up to block #${last.atBlock}` : "no block seen";
    if (deadlineBlock !== undefined && last.atBlock !== undefined && last.atBlock >= deadlineBlock) {
      throw new WaitError(`${options.what}: not reached by block #${deadlineBlock} (${upTo}; last seen: ${last.seen})${hint}`);
    }
    const gone = options.gone?.();
    if (gone) throw new WaitError(`${options.what}: ${gone} (${upTo}; last seen: ${last.seen})${hint}`);
    if (now() > giveUpAt) {
      throw new WaitError(
        `${options.what}: still not reached after ${Math.round(safetyNetMs / 1000)} s of wall time, the safety net` +
          `${deadlineBlock !== undefined ? ` (deadline block #${deadlineBlock})` : ""} (${upTo}; last seen: ${last.seen})${hint}`,
      );
    }
    await sleep(options.pollMs ?? 250);
  }
}

const rank = (s: Severity) => SEVERITIES.length - SEVERITIES.indexOf(s);

/** Whether severity `a` is at least `b` (critical > high > medium > low). */
export function atLeast(a: Severity, b: Severity): boolean {
  return rank(a) >= rank(b);
}

/**
 * Whether an incident has reached what a scenario expects: at least the
 * expected severity (it may open High and rise to Critical later), and, once
 * Critical, the circuit breaker's action recorded (the pause confirmed, or
 * the layer found already paused). `seen` describes it either way.
 */
export function incidentSettled(incident: Incident | undefined, expected: Severity): { settled: boolean; seen: string } {
  if (!incident) return { settled: false, seen: "no incident yet" };
  const acted = incident.timeline.some((e) => e.kind === "action");
  const seen = `incident ${incident.id.slice(0, 8)} ${incident.severity.toUpperCase()} [${incident.state}]${incident.severity === "critical" ? (acted ? ", circuit breaker acted" : ", circuit breaker not acted yet") : ""}`;
  if (!atLeast(incident.severity, expected)) return { settled: false, seen: `${seen}, expecting ${expected.toUpperCase()}` };
  if (incident.severity === "critical" && !acted) return { settled: false, seen };
  return { settled: true, seen };
}

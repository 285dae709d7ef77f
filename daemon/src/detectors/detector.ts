/**
 * The shape every detector has: a pure function of the facts it is given,
 * its own window state (JSON, persisted by the caller) and its thresholds.
 * It never reads a clock or a random source: times come in the facts, so the
 * same input always gives the same findings with the same keys.
 */
import type { Finding } from "../types.js";

export interface DetectorResult<State> {
  findings: Finding[];
  nextState: State;
}

export type Detector<Facts, State, Thresholds> = (facts: Facts, state: State, thresholds: Thresholds) => DetectorResult<State>;

/**
 * The circuit breaker on a real Critical symptom, end to end through the
 * daemon, on Hardhat's EDR (the suite: test/daemon/suites/auto-pause.ts;
 * auto-pause.anvil.test.ts runs it on anvil, auto-pause-limits.test.ts
 * behind providers' limits).
 */
import { autoPauseSuite } from "./suites/auto-pause.js";

autoPauseSuite("circuit breaker on a real symptom (EDR)", { node: "edr" });

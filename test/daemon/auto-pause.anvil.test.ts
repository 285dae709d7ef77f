/**
 * The circuit breaker on a real Critical symptom, end to end through the
 * daemon, on Foundry's anvil: the second node implementation (the suite:
 * test/daemon/suites/auto-pause.ts).
 */
import { autoPauseSuite } from "./suites/auto-pause.js";

autoPauseSuite("circuit breaker on a real symptom (anvil)", { node: "anvil" });

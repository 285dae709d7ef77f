/** Pre-emption on Hardhat's EDR (ws: pending hashes). The suite: test/daemon/suites/preempt.ts. */
import { preemptSuite } from "./suites/preempt.js";

preemptSuite("edr");

/** Pre-emption on Foundry's anvil (ws: full pending transactions). The suite: test/daemon/suites/preempt.ts. */
import { preemptSuite } from "./suites/preempt.js";

preemptSuite("anvil");

/**
 * The daemon wired end to end on Hardhat's EDR with the real stack (the
 * suite: test/daemon/suites/daemon.ts; daemon.anvil.test.ts runs it on anvil).
 */
import { daemonSuite } from "./suites/daemon.js";

daemonSuite("guardian daemon (EDR)", "edr");

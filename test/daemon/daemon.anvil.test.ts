/**
 * The daemon wired end to end on Foundry's anvil, the second node
 * implementation (the suite: test/daemon/suites/daemon.ts): exactly once
 * through a reorg, a CLI-triggered Critical incident paused, RPC outage.
 */
import { daemonSuite } from "./suites/daemon.js";

daemonSuite("guardian daemon (anvil)", "anvil");

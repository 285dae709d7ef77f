/**
 * A real bundler (Pimlico's Alto) in front of the stack on Hardhat's EDR
 * (the suite: test/bundler/suites/alto.ts): account creation included,
 * refusals while Guardian's layers are paused with nothing on chain, a
 * stopped bundler unreachable, loopback only.
 */
import { altoSuite } from "./suites/alto.js";

altoSuite("Alto in front of the stack (EDR)", "edr", 500);

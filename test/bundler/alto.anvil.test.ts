/**
 * A real bundler (Pimlico's Alto) in front of the stack on Foundry's anvil,
 * the second node implementation (the suite: test/bundler/suites/alto.ts).
 */
import { altoSuite } from "./suites/alto.js";

altoSuite("Alto in front of the stack (anvil)", "anvil", 1000);

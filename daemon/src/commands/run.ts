/**
 * Placeholder for `guardian run` (the daemon), to be replaced by the wiring.
 * Exits 1 so that nothing mistakes it for a running daemon.
 */
import type { Command } from "commander";
import type { CliContext } from "./context.js";

export function registerRun(program: Command, _ctx?: CliContext): void {
  program
    .command("run")
    .description("run the daemon (not yet wired)")
    .action(() => {
      throw new Error("guardian run: not yet wired");
    });
}

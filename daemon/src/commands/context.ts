import type { Env, GuardianConfig } from "../config/index.js";

/** What a command may use of the outside world; cli.ts builds it (tests pass their own). */
export interface CliIo {
  /** Writes to standard output as is (add the newline yourself). */
  stdout(text: string): void;
  stderr(text: string): void;
  env: Env;
  cwd: string;
  clock(): Date;
  /** How long a write waits for another CLI's store lock (ms); default 3000. Tests set 0. */
  lockWaitMs?: number;
  /** PostgreSQL store: how long a request queued for the leading replica is waited for (ms); default 30000. */
  queuedRequestWaitMs?: number;
}

export interface CliContext extends CliIo {
  /**
   * The config from the global options (--config, --data-dir), the
   * environment and cwd; loaded on first use, then cached.
   * @throws ConfigError
   */
  config(): GuardianConfig;
}

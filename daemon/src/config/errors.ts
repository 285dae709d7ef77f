/** The config (file, preset, environment) is unusable; `problems` lists every one, one sentence each. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** The config file, or undefined when the problem is in the environment or a preset alone. */
  readonly file: string | undefined;
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options: { file?: string; cause?: unknown } = {}) {
    const where = options.file ? `config file ${options.file}` : "config";
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super(`${where} is invalid (${count}):\n${problems.map((p) => `  - ${p}`).join("\n")}`, { cause: options.cause });
    this.file = options.file;
    this.problems = Object.freeze([...problems]);
  }
}

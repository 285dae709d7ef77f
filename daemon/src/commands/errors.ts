/** Command-line arguments that do not fit; `problems` name each argument and what was expected. Exit code 2. */
export class ArgumentError extends Error {
  override readonly name = "ArgumentError";
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.length === 1 ? problems[0]! : `invalid arguments:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.problems = Object.freeze([...problems]);
  }
}

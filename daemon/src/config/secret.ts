/**
 * A secret value that does not leak by accident: JSON, string conversion and
 * `util.inspect` (console.log, pino) all show `[redacted]`; only `reveal()`
 * gives the value, so every use of a secret is greppable.
 */
export class Secret<T extends string = string> {
  readonly #value: T;
  /** The environment variable it came from, for messages. */
  readonly source: string;

  constructor(value: T, source: string) {
    this.#value = value;
    this.source = source;
    Object.freeze(this);
  }

  reveal(): T {
    return this.#value;
  }

  toJSON(): string {
    return "[redacted]";
  }

  toString(): string {
    return "[redacted]";
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Secret(${this.source}: [redacted])`;
  }
}

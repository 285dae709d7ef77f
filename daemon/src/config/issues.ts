/**
 * Turns zod issues into plain sentences that name the path and say what was
 * expected and what was found, e.g.
 *
 *     rpc.endpoints[0].http: expected an http(s) URL, got "foo"
 *
 * Used for the config file, the store file and CLI arguments. Parse with
 * `{ reportInput: true }` so that issues carry the offending value.
 */
import type * as z from "zod";

type Issue = z.core.$ZodIssue & { input?: unknown };
type PathKey = PropertyKey;

/** `rpc.endpoints[0].http`, `detectors["rpc-health"].maxLatencyMs`. */
export function formatPath(path: readonly PathKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out === "" ? "(root)" : out;
}

/** A short rendering of a value for an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return "an object";
  if (typeof value === "bigint") return `${value}n`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}..."` : text;
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "an object",
  array: "an array",
  record: "an object",
  bigint: "a bigint",
};

const FORMAT_NAMES: Record<string, string> = {
  url: "a URL",
  uuid: "a UUID",
  guid: "a UUID",
  email: "an email address",
  datetime: "an ISO-8601 UTC date-time",
  regex: "a matching string",
};

/**
 * The sentence for one issue, without the path. Messages set on a schema
 * (`{ error: "expected ..." }`) are kept, with `, got <value>` appended.
 */
export function describeIssue(issue: Issue): string {
  const sentence = describePresent(issue);
  // A value that is absent reads better as "missing" than as "got nothing".
  if (issue.input === undefined && sentence.startsWith("expected ") && sentence.endsWith(", got nothing"))
    return `missing; ${sentence.slice(0, -", got nothing".length)}`;
  return sentence;
}

function describePresent(issue: Issue): string {
  const got = `got ${describeValue(issue.input)}`;
  if (issue.message.startsWith("expected ")) return `${issue.message}, ${got}`;
  switch (issue.code) {
    case "invalid_type":
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, ${got}`;
    case "too_small": {
      const min = Number(issue.minimum);
      if (issue.origin === "array" || issue.origin === "set")
        return `expected at least ${min} item${min === 1 ? "" : "s"}, ${got}`;
      if (issue.origin === "string")
        return min === 1 ? `expected a non-empty string, ${got}` : `expected at least ${min} characters, ${got}`;
      return `expected a number ${issue.inclusive ? ">=" : ">"} ${min}, ${got}`;
    }
    case "too_big": {
      const max = Number(issue.maximum);
      if (issue.origin === "array" || issue.origin === "set") return `expected at most ${max} items, ${got}`;
      if (issue.origin === "string") return `expected at most ${max} characters, ${got}`;
      return `expected a number ${issue.inclusive ? "<=" : "<"} ${max}, ${got}`;
    }
    case "invalid_value":
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(" | ")}, ${got}`;
    case "invalid_format":
      return `expected ${FORMAT_NAMES[issue.format] ?? issue.format}, ${got}`;
    case "not_multiple_of":
      return `expected a multiple of ${String(issue.divisor)}, ${got}`;
    case "invalid_union":
      return `expected one of the accepted forms, ${got}`;
    case "unrecognized_keys":
      return `unknown key${issue.keys.length === 1 ? "" : "s"} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
    default:
      return issue.message;
  }
}

/** One line per problem, `path: sentence`; unknown keys get one line each, at their own path. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], rename?: (path: string) => string): string[] {
  const lines: string[] = [];
  const name = (path: readonly PathKey[]) => (rename ? rename(formatPath(path)) : formatPath(path));
  for (const issue of issues as readonly Issue[]) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) lines.push(`${name([...issue.path, key])}: unknown key (not part of the schema; check the spelling)`);
      continue;
    }
    lines.push(`${name(issue.path)}: ${describeIssue(issue)}`);
  }
  return lines;
}

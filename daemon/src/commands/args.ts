import type * as z from "zod";
import { formatIssues } from "../config/issues.js";

/** Address arguments: 0x + 40 hex digits, all one case or with a valid EIP-55 checksum (config/schema.ts). */
export { addressProblem, addressSchema as addressArg } from "../config/schema.js";
import { ArgumentError } from "./errors.js";

/**
 * Validates a command's raw arguments with its schema; problems are named as
 * the user typed them (`names` maps schema keys to "--severity", "<contract>").
 * @throws ArgumentError listing every problem
 */
export function parseArgs<S extends z.ZodType>(schema: S, raw: unknown, names: Readonly<Record<string, string>>): z.output<S> {
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const rename = (path: string) => {
    const m = /^([A-Za-z_$][\w$]*)(.*)$/.exec(path);
    if (!m) return path;
    return (names[m[1]!] ?? m[1]!) + m[2]!;
  };
  throw new ArgumentError(formatIssues(result.error.issues, rename));
}

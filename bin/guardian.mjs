#!/usr/bin/env node
// The package bin: runs the TypeScript CLI through tsx's loader (no build step).
import { register } from "tsx/esm/api";

register();
const { cliEntry } = await import("../daemon/src/cli.ts");
await cliEntry(process.argv.slice(2));

#!/usr/bin/env node
/**
 * `predemo` / `pretest`: installs what a fresh clone is missing before
 * `npm run demo` or `npm test` runs. npm runs a `pre` script with whatever
 * `node` is first on PATH — on a fresh clone the system's (e.g. Node 20), so
 * this file is plain JavaScript for Node ≥ 18 with no dependencies.
 *
 * Ready means: every dependency of package.json is in node_modules; the
 * project's Node (the `node` dev dependency, node_modules/.bin/node) runs and
 * has the major version package.json pins; and Hardhat's native EDR package
 * for this platform is there (an `npm install` run under Node < 22 drops it
 * silently, and Hardhat then fails at its first use).
 *
 * When something is missing it runs `npx -y -p node@<major> -- npm install
 * --no-audit --no-fund` (what `npm run setup` does: the install must run
 * under that Node to keep EDR) and checks again. It never installs into a
 * node_modules that is a symbolic link (managed elsewhere): it says what is
 * missing there and fails.
 *
 *   node scripts/ensure-setup.mjs            check, install if needed
 *   node scripts/ensure-setup.mjs --check    check only (exit 2 when something is missing)
 *   node scripts/ensure-setup.mjs --root DIR another project directory
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const checkOnly = args.includes("--check");
const rootIndex = args.indexOf("--root");
if (rootIndex >= 0 && !args[rootIndex + 1]) fail("--root: expected a directory after it");
const root = path.resolve(rootIndex >= 0 ? args[rootIndex + 1] : path.join(path.dirname(fileURLToPath(import.meta.url)), ".."));
const unknown = args.filter((a, i) => a !== "--check" && a !== "--root" && !(rootIndex >= 0 && i === rootIndex + 1));
if (unknown.length > 0) fail(`unknown argument ${unknown[0]}: expected --check or --root DIR`);

function fail(message) {
  console.error(`ensure-setup: ${message}`);
  process.exit(1);
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    return error && error.code === "ENOENT" ? undefined : fail(`${file}: ${error.message}`);
  }
}

const manifest = readJson(path.join(root, "package.json"));
if (!manifest) fail(`${path.join(root, "package.json")} not found: expected the project's root directory`);
const nodeRange = (manifest.devDependencies && manifest.devDependencies.node) || (manifest.dependencies && manifest.dependencies.node);
const nodeMajor = nodeRange && /^[\^~>=v]*(\d+)/.exec(nodeRange) ? Number(/^[\^~>=v]*(\d+)/.exec(nodeRange)[1]) : 24;
const modules = path.join(root, "node_modules");

/** The native EDR package Hardhat loads on this machine, among those @nomicfoundation/edr lists. */
function edrNativePackage(edrManifest) {
  const names = Object.keys((edrManifest && edrManifest.optionalDependencies) || {});
  let suffix = `${process.platform}-${process.arch}`;
  if (process.platform === "linux") {
    const header = process.report && typeof process.report.getReport === "function" ? process.report.getReport().header : undefined;
    suffix += header && header.glibcVersionRuntime ? "-gnu" : "-musl";
  }
  return names.find((n) => n === `@nomicfoundation/edr-${suffix}` || n.startsWith(`@nomicfoundation/edr-${suffix}-`));
}

/** What is missing, one line each; empty when the project is ready. */
function missing() {
  if (!existsSync(modules)) return ["node_modules (no dependencies installed)"];
  const out = [];
  const wanted = { ...(manifest.dependencies || {}), ...(manifest.devDependencies || {}) };
  const absent = Object.keys(wanted).filter((name) => !existsSync(path.join(modules, name, "package.json")));
  if (absent.length > 0) out.push(`${absent.length} of ${Object.keys(wanted).length} dependencies: ${absent.slice(0, 8).join(", ")}${absent.length > 8 ? ", …" : ""}`);

  const node = path.join(modules, ".bin", process.platform === "win32" ? "node.cmd" : "node");
  if (!existsSync(node)) out.push(`Node ${nodeMajor} (${path.relative(root, node)}, the \`node\` dev dependency)`);
  else {
    let version = "";
    try {
      version = execFileSync(node, ["--version"], { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] }).trim();
    } catch (error) {
      version = `does not run: ${String(error.message).split("\n")[0]}`;
    }
    if (!new RegExp(`^v${nodeMajor}\\.`).test(version)) out.push(`Node ${nodeMajor} (${path.relative(root, node)} is ${version || "empty"})`);
  }

  const edrManifest = readJson(path.join(modules, "@nomicfoundation", "edr", "package.json"));
  if (!edrManifest) {
    if (wanted.hardhat) out.push("@nomicfoundation/edr (Hardhat's EDR)");
  } else {
    const native = edrNativePackage(edrManifest);
    if (native && !existsSync(path.join(modules, native, "package.json"))) {
      out.push(`${native} (Hardhat's native EDR; an npm install run under Node < 22 drops it)`);
    }
  }
  return out;
}

const before = missing();
if (before.length === 0) process.exit(0);
console.error(`ensure-setup: ${root} is missing:\n${before.map((m) => `  - ${m}`).join("\n")}`);
if (checkOnly) process.exit(2);
if (existsSync(modules) && lstatSync(modules).isSymbolicLink()) {
  fail(`node_modules is a link to ${realpathSync(modules)}, installed elsewhere: install there (npm run setup), not through this link`);
}

const install = ["-y", "-p", `node@${nodeMajor}`, "--", "npm", "install", "--no-audit", "--no-fund"];
console.error(`ensure-setup: installing with Node ${nodeMajor}: npx ${install.join(" ")}`);
const npx = process.platform === "win32" ? "npx.cmd" : "npx";
const run = spawnSync(npx, install, { cwd: root, stdio: "inherit", env: { ...process.env, DO_NOT_TRACK: "1" } });
if (run.error) fail(`could not run npx: ${run.error.message}`);
if (run.status !== 0) fail(`npx ${install.join(" ")} exited ${run.status ?? run.signal}`);

const after = missing();
if (after.length > 0) fail(`still missing after the install:\n${after.map((m) => `  - ${m}`).join("\n")}`);
console.error("ensure-setup: ready");

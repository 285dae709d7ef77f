/**
 * scripts/ensure-setup.mjs, the `predemo`/`pretest` check, run as npm runs it
 * on a fresh clone: by the system's Node (Node 20 on these machines) when
 * there is one, on project layouts built in temporary directories. The
 * install itself is `npx -y -p node@24 -- npm install`; here a stand-in
 * `npx` first on PATH records how it was called and installs (or, like an
 * install under Node 20, drops EDR's native package).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SCRIPT = path.join(ROOT, "scripts", "ensure-setup.mjs");
/** The system's Node, which runs `pre` scripts on a fresh clone; this process's Node without one. */
const SYSTEM_NODE = ["/usr/bin/node", "/usr/local/bin/node"].find((p) => existsSync(p)) ?? process.execPath;
const NATIVE = [`@nomicfoundation/edr-${process.platform}-${process.arch}-gnu`, `@nomicfoundation/edr-${process.platform}-${process.arch}-musl`];

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function writeJson(file: string, value: unknown) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value));
}

function executable(file: string, text: string) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  chmodSync(file, 0o755);
}

/** Installs the parts into `modules`: every dependency, a `.bin/node` printing `nodeVersion`, EDR and (unless dropped) its native package. */
function install(modules: string, parts: { nodeVersion?: string; native?: boolean; deps?: string[] } = {}) {
  for (const name of parts.deps ?? ["hardhat", "node", "viem"]) writeJson(path.join(modules, name, "package.json"), { name });
  if (parts.nodeVersion !== undefined) executable(path.join(modules, ".bin", "node"), `#!/bin/sh\necho ${parts.nodeVersion}\n`);
  writeJson(path.join(modules, "@nomicfoundation", "edr", "package.json"), {
    name: "@nomicfoundation/edr",
    optionalDependencies: Object.fromEntries([...NATIVE, "@nomicfoundation/edr-sunos-sparc"].map((n) => [n, "0.22.0"])),
  });
  if (parts.native !== false) for (const n of NATIVE) writeJson(path.join(modules, n, "package.json"), { name: n });
}

function project(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "ensure-setup-"));
  dirs.push(dir);
  writeJson(path.join(dir, "package.json"), { name: "p", devDependencies: { hardhat: "^3.18.0", node: "24.x", viem: "^2.57.0" } });
  return dir;
}

function run(root: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(SYSTEM_NODE, [SCRIPT, "--root", root, ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** A stand-in `npx` on PATH: records its arguments and cwd, then runs `then` (a shell snippet) in the project. */
function fakeNpx(then: string): { env: Record<string, string>; calls: string } {
  const bin = mkdtempSync(path.join(tmpdir(), "ensure-setup-bin-"));
  dirs.push(bin);
  const calls = path.join(bin, "calls.txt");
  executable(path.join(bin, "npx"), `#!/bin/sh\necho "$PWD: $*" >> ${JSON.stringify(calls)}\n${then}\n`);
  return { env: { PATH: `${bin}:${process.env.PATH}` }, calls };
}

describe("ensure-setup (predemo, pretest)", () => {
  it("passes this project as installed (run by the system's Node)", () => {
    const r = spawnSync(SYSTEM_NODE, [SCRIPT, "--check"], { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("passes a complete layout silently", () => {
    const root = project();
    install(path.join(root, "node_modules"), { nodeVersion: "v24.21.0" });
    expect(run(root, ["--check"])).toMatchObject({ status: 0, stderr: "" });
  });

  it("names what a fresh clone is missing: node_modules", () => {
    const r = run(project(), ["--check"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("- node_modules (no dependencies installed)");
  });

  it("catches an install made under Node 20: EDR's native package dropped", () => {
    const root = project();
    install(path.join(root, "node_modules"), { nodeVersion: "v24.21.0", native: false });
    const r = run(root, ["--check"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/- @nomicfoundation\/edr-.+ \(Hardhat's native EDR; an npm install run under Node < 22 drops it\)/);
  });

  it("catches a missing or wrong project Node and missing dependencies", () => {
    const root = project();
    install(path.join(root, "node_modules"), { deps: ["hardhat"] });
    let r = run(root, ["--check"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("- 2 of 3 dependencies: node, viem");
    expect(r.stderr).toContain("- Node 24 (node_modules/.bin/node, the `node` dev dependency)");
    install(path.join(root, "node_modules"), { nodeVersion: "v20.20.2" });
    r = run(root, ["--check"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("- Node 24 (node_modules/.bin/node is v20.20.2)");
  });

  it("installs with npx -p node@24 in the project when something is missing, then checks again", () => {
    const root = project();
    const payload = JSON.stringify(path.join(root, "node_modules"));
    // The stand-in install: what `npm install` under Node 24 leaves (made here by copying a prepared tree).
    const prepared = mkdtempSync(path.join(tmpdir(), "ensure-setup-tree-"));
    dirs.push(prepared);
    install(path.join(prepared, "node_modules"), { nodeVersion: "v24.21.0" });
    const npx = fakeNpx(`cp -r ${JSON.stringify(path.join(prepared, "node_modules"))} ${payload}`);
    const r = run(root, [], npx.env);
    expect(r.stderr).toContain("ensure-setup: ready");
    expect(r.status).toBe(0);
    expect(readFileSync(npx.calls, "utf8")).toBe(`${root}: -y -p node@24 -- npm install --no-audit --no-fund\n`);
    expect(run(root, ["--check"]).status).toBe(0);
  });

  it("fails, naming what is still missing, when the install leaves EDR's native package out", () => {
    const root = project();
    const prepared = mkdtempSync(path.join(tmpdir(), "ensure-setup-tree-"));
    dirs.push(prepared);
    install(path.join(prepared, "node_modules"), { nodeVersion: "v24.21.0", native: false });
    const npx = fakeNpx(`cp -r ${JSON.stringify(path.join(prepared, "node_modules"))} ${JSON.stringify(path.join(root, "node_modules"))}`);
    const r = run(root, [], npx.env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/still missing after the install:\n {2}- @nomicfoundation\/edr-/);
  });

  it("fails when the install fails, and never installs through a linked node_modules", () => {
    const root = project();
    let npx = fakeNpx("exit 7");
    let r = run(root, [], npx.env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("npx -y -p node@24 -- npm install --no-audit --no-fund exited 7");

    const elsewhere = mkdtempSync(path.join(tmpdir(), "ensure-setup-shared-"));
    dirs.push(elsewhere);
    install(elsewhere, { nodeVersion: "v24.21.0", native: false });
    const linked = project();
    symlinkSync(elsewhere, path.join(linked, "node_modules"));
    npx = fakeNpx("exit 0");
    r = run(linked, [], npx.env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`node_modules is a link to ${elsewhere}, installed elsewhere`);
    expect(existsSync(npx.calls)).toBe(false);
  });

  it("refuses unknown arguments and a project without package.json", () => {
    expect(run(project(), ["--fast"]).stderr).toContain("unknown argument --fast: expected --check or --root DIR");
    const empty = mkdtempSync(path.join(tmpdir(), "ensure-setup-"));
    dirs.push(empty);
    const r = run(empty, ["--check"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${path.join(empty, "package.json")} not found: expected the project's root directory`);
  });
});

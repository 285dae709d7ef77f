/**
 * `guardian site build --out DIR` replaces DIR: it refuses a directory that
 * holds anything but a previous build (the marker file every build writes)
 * unless --force, so that a mistyped --out never deletes a store or a home.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../daemon/src/cli.js";
import { buildStatus, writeStatusFiles } from "../../daemon/src/publish/index.js";
import { tempDir } from "../../daemon/src/store/testing/spawn.js";
import { buildSite, SITE_MARKER_FILE, SiteOutDirError } from "../../site/build.js";
import { scenarioInput } from "./scenario.js";

async function cli(cwd: string, argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {}, cwd });
  return { code, stdout, stderr };
}

describe("guardian site build --out", () => {
  it("refuses a non-empty directory that is not a previous build; --force replaces it; a previous build is replaced without --force", async () => {
    const cwd = tempDir("guardian-site-out-");
    const now = new Date();
    const { statusFile } = writeStatusFiles(path.join(cwd, "public"), buildStatus(scenarioInput({ now }), now));
    const out = path.join(cwd, "data");
    mkdirSync(out);
    writeFileSync(path.join(out, "store.json"), '{"precious":true}');

    // 1. Refused, before anything is built: exit 2, the directory untouched.
    const refused = await cli(cwd, ["site", "build", "--status", statusFile, "--out", "data"]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toBe(
      `error: --out: ${out} is not empty (store.json) and is not a previous site build (no ${SITE_MARKER_FILE}): the build replaces the whole directory; choose an empty or new directory, or pass --force to replace it\n`,
    );
    expect(readdirSync(out)).toEqual(["store.json"]);
    expect(readdirSync(cwd).filter((f) => f.startsWith("data."))).toEqual([]);
    // The library refuses too (the npm script and `guardian run --site-out` use it).
    await expect(buildSite({ statusFile, outDir: out })).rejects.toBeInstanceOf(SiteOutDirError);
    // `guardian run --site-out` rebuilds at every publication: it refuses such a directory before starting.
    const run = await cli(cwd, ["run", "--site-out", "data"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error: --site-out: ${out} is not empty (store.json) and is not a previous site build`);
    expect(run.stderr).toContain(`guardian site build --out ${out} --force`);
    expect(readdirSync(out)).toEqual(["store.json"]);
    // A file is never replaced, even with --force.
    writeFileSync(path.join(cwd, "file"), "x");
    const onFile = await cli(cwd, ["site", "build", "--status", statusFile, "--out", "file", "--force"]);
    expect(onFile).toMatchObject({ code: 2, stderr: `error: --out: ${path.join(cwd, "file")} exists and is not a directory; the site needs a directory of its own\n` });
    expect(readFileSync(path.join(cwd, "file"), "utf8")).toBe("x");

    // 2. --force: replaced by a build that carries the marker.
    const forced = await cli(cwd, ["site", "build", "--status", statusFile, "--out", "data", "--force"]);
    expect(forced.stderr).toBe("");
    expect(forced.code).toBe(0);
    expect(existsSync(path.join(out, "store.json"))).toBe(false);
    expect(existsSync(path.join(out, "index.html"))).toBe(true);
    expect(existsSync(path.join(out, SITE_MARKER_FILE))).toBe(true);

    // 3. A previous build is replaced without --force.
    writeFileSync(path.join(out, "left-over.txt"), "from the previous build");
    const again = await cli(cwd, ["site", "build", "--status", statusFile, "--out", "data"]);
    expect(again).toMatchObject({ code: 0, stderr: "" });
    expect(existsSync(path.join(out, "left-over.txt"))).toBe(false);
    expect(existsSync(path.join(out, SITE_MARKER_FILE))).toBe(true);
  }, 240_000);
});

/**
 * `buildSite`: the static status site from a status.json written by
 * Guardian's publisher, with Astro's programmatic `build()`. The daemon's
 * `guardian site build` calls this; so do the browser tests.
 */
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { guardianSiteConfig, SITE_DIR } from "./config.js";

export interface BuildSiteParameters {
  /** status.json as `writeStatusFiles` wrote it (the files beside it are published too). */
  statusFile: string;
  /** Where the site goes. Default site/dist. */
  outDir?: string;
  /** Path the site is served under. Default "/". */
  base?: string;
  /** Astro's log level. Default "warn". */
  logLevel?: "debug" | "info" | "warn" | "error" | "silent";
  /** Replace `outDir` even if it holds something that is not a previous site build. */
  force?: boolean;
}

/** Written into every build: `outDir` holding it is a previous build, which a new build may replace. */
export const SITE_MARKER_FILE = ".guardian-site";

/**
 * Why `outDir` must not be replaced by a build, or undefined: it is missing,
 * empty, or a previous build (holds SITE_MARKER_FILE). Anything else (a
 * directory with other files, a file) is refused unless `force`, because the
 * build replaces the whole directory.
 */
export function outDirProblem(outDir: string, force = false): string | undefined {
  let stat;
  try {
    stat = lstatSync(outDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return `cannot inspect ${outDir}: ${(error as Error).message}`;
  }
  if (!stat.isDirectory()) return `${outDir} exists and is not a directory; the site needs a directory of its own`;
  if (force) return undefined;
  const entries = readdirSync(outDir);
  if (entries.length === 0 || entries.includes(SITE_MARKER_FILE)) return undefined;
  const shown = entries.slice(0, 3).join(", ") + (entries.length > 3 ? `, ... (${entries.length} entries)` : "");
  return `${outDir} is not empty (${shown}) and is not a previous site build (no ${SITE_MARKER_FILE}): the build replaces the whole directory; choose an empty or new directory`;
}

/** The output directory cannot be used (see `outDirProblem`). */
export class SiteOutDirError extends Error {
  override readonly name = "SiteOutDirError";
  readonly exitCode = 2;
}

export interface BuildSiteResult {
  /** Absolute output directory. */
  outDir: string;
  /** file:// URL of the index page. */
  indexUrl: string;
  durationMs: number;
}

/**
 * Builds the site into a staging directory and swaps it in place of
 * `outDir`, which must be missing, empty or a previous build unless `force`
 * (SiteOutDirError otherwise, before anything is built). Nothing is downloaded: Astro's telemetry is switched off for this
 * process, and the site loads no external resources.
 *
 * @example
 * const { outDir } = await buildSite({ statusFile: ".guardian/public/status.json", outDir: "site/dist" });
 * console.log(`status site: ${outDir}`);
 */
export async function buildSite(parameters: BuildSiteParameters): Promise<BuildSiteResult> {
  process.env.ASTRO_TELEMETRY_DISABLED = "1";
  const started = performance.now();
  const outDir = path.resolve(parameters.outDir ?? path.join(SITE_DIR, "dist"));
  const problem = outDirProblem(outDir, parameters.force);
  if (problem !== undefined) throw new SiteOutDirError(`${problem} (or build with force: true to replace it)`);
  // 1. Build into a staging directory beside the target: a web server that
  //    serves outDir keeps serving the previous site during the build.
  mkdirSync(path.dirname(outDir), { recursive: true });
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const staging = `${outDir}.building-${tag}`;
  const unlock = await buildLock();
  try {
    const { build } = await import("astro");
    await build(
      {
        ...guardianSiteConfig({ statusFile: parameters.statusFile, outDir: staging, base: parameters.base }),
        configFile: false,
        logLevel: parameters.logLevel ?? "warn",
        mode: "production",
      },
      {},
    );
    if (!existsSync(path.join(staging, "index.html"))) throw new Error(`the site build finished but ${staging}/index.html is missing`);
    writeFileSync(path.join(staging, SITE_MARKER_FILE), "Built by `guardian site build`; a new build replaces this directory.\n");
    // 2. Swap it in: two renames, so outDir is missing only between them.
    if (existsSync(outDir)) {
      const old = `${outDir}.old-${tag}`;
      renameSync(outDir, old);
      renameSync(staging, outDir);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(staging, outDir);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
    unlock();
  }
  const index = path.join(outDir, "index.html");
  return { outDir, indexUrl: pathToFileURL(index).toString(), durationMs: Math.round(performance.now() - started) };
}

/**
 * One Astro build at a time per working directory, across processes. Astro
 * prerenders into `<outDir>/.prerender`, but into `<cwd>/.astro/.prerender`
 * when outDir is outside the working directory (a temporary directory, a web
 * root): two such builds at once — the daemon's `--site-out` and a person's
 * `guardian site build`, or two test files — would delete each other's
 * chunks ("Cannot find module …/.astro/.prerender/chunks/…"). A lock file
 * holding the builder's pid serialises them; a lock whose process is gone is
 * taken over.
 */
async function buildLock(waitMs = 300_000): Promise<() => void> {
  const dir = path.join(process.cwd(), ".astro");
  mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, "guardian-site-build.lock");
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let holder = Number.NaN;
    try {
      holder = Number(readFileSync(lock, "utf8"));
    } catch {
      continue; // released meanwhile
    }
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && !alive(holder)) {
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another site build (pid ${holder}) holds ${lock}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

// `npx tsx site/build.ts <status.json> [outDir]`: build and say where the site is.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [statusFile, outDir] = process.argv.slice(2);
  if (!statusFile) {
    console.error("usage: tsx site/build.ts <status.json> [outDir]");
    process.exitCode = 2;
  } else {
    buildSite({ statusFile, outDir })
      .then((result) => console.log(`status site built in ${result.durationMs} ms: ${result.outDir}\nlook at it with: npx tsx site/serve.ts ${result.outDir}`))
      .catch((error: unknown) => {
        console.error(error instanceof Error ? error.message : error);
        process.exitCode = 1;
      });
  }
}

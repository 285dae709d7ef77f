/**
 * The status site's Astro configuration, shared by `astro.config.ts` (the
 * `astro` CLI, data path from GUARDIAN_STATUS_JSON) and `build.ts` (the
 * programmatic build the daemon calls).
 *
 * Data flow: the `guardian-status` integration reads the publisher's output
 * directory ONCE, at config time (status.json and the files derived from it),
 * validates status.json with the shared schema, serves it to the pages as the
 * virtual module `virtual:guardian/status`, and after the build writes the
 * very same bytes beside the pages. Pages and published JSON therefore always
 * come from one snapshot, even if the daemon republishes during the build.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AstroIntegration, AstroUserConfig } from "astro";
import { parseStatus, type Status } from "../daemon/src/publish/schema.js";

export const SITE_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface GuardianSiteOptions {
  /** The publisher's status.json; the files beside it (api/, badge/, history.atom) are published too. */
  statusFile: string | undefined;
  /** Default site/dist. */
  outDir?: string;
  /** Path the site is served under, e.g. "/status/" on a shared host. Default "/". */
  base?: string;
}

/** A consistent in-memory copy of the publisher's output directory. */
export interface StatusSnapshot {
  statusFile: string;
  status: Status;
  /** Relative path ("/"-separated) → bytes, status.json included. */
  files: Map<string, Buffer>;
  /** Warnings for the build log (e.g. derived files missing). */
  warnings: string[];
}

const DERIVED = ["api", "badge", "history.atom"];

function listFiles(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.name.includes(".tmp-")) continue; // a write in progress
    if (entry.isDirectory()) out.push(...listFiles(dir, r));
    else if (entry.isFile()) out.push(r);
  }
  return out;
}

/**
 * Reads status.json and its derived files. If the derived Statuspage files
 * belong to another snapshot than status.json (the daemon was rewriting them
 * while we read), reads again, up to 5 times.
 */
export function readStatusSnapshot(statusFile: string): StatusSnapshot {
  const abs = path.resolve(statusFile);
  if (!existsSync(abs))
    throw new Error(`status file ${abs} does not exist: write it with Guardian's publisher (writeStatusFiles) first`);
  const dir = path.dirname(abs);
  for (let attempt = 1; ; attempt++) {
    const warnings: string[] = [];
    const files = new Map<string, Buffer>();
    const statusBytes = readFileSync(abs);
    let json: unknown;
    try {
      json = JSON.parse(statusBytes.toString("utf8"));
    } catch (error) {
      throw new Error(`status file ${abs} is not valid JSON: ${(error as Error).message}`);
    }
    const status = parseStatus(json, abs);
    for (const top of DERIVED) {
      const p = path.join(dir, top);
      if (!existsSync(p)) {
        warnings.push(`${p} is missing: the site is published without it (write the data with writeStatusFiles)`);
        continue;
      }
      const rels = statSync(p).isDirectory() ? listFiles(dir, top) : [top];
      for (const rel of rels) files.set(rel, readFileSync(path.join(dir, ...rel.split("/"))));
    }
    files.set("status.json", statusBytes);
    const spStatus = files.get("api/v2/status.json");
    const consistent =
      spStatus === undefined || (JSON.parse(spStatus.toString("utf8")) as { page?: { updated_at?: string } }).page?.updated_at === status.generatedAt;
    if (consistent) return { statusFile: abs, status, files, warnings };
    if (attempt >= 5)
      throw new Error(`${dir} keeps changing while it is read (api/v2/status.json is not of the same snapshot as status.json); try again`);
  }
}

const VIRTUAL_ID = "virtual:guardian/status";
const RESOLVED_ID = `\0${VIRTUAL_ID}`;

/** The integration: snapshot at config time, virtual module for the pages, files copied beside them after the build. */
export function guardianStatus(statusFile: string | undefined): AstroIntegration {
  let snapshot: StatusSnapshot | undefined;
  return {
    name: "guardian-status",
    hooks: {
      "astro:config:setup": ({ updateConfig, logger, command }) => {
        if (!statusFile) {
          throw new Error(
            "GUARDIAN_STATUS_JSON is not set: point it at the status.json Guardian's publisher wrote (or run `npx guardian site build`)",
          );
        }
        snapshot = readStatusSnapshot(statusFile);
        for (const w of snapshot.warnings) logger.warn(w);
        logger.info(`${command}: status of ${snapshot.status.generatedAt}, block ${snapshot.status.chain.blockNumber} from ${snapshot.statusFile}`);
        const source = `export default ${JSON.stringify(snapshot.status)};`;
        updateConfig({
          vite: {
            plugins: [
              {
                name: "guardian-status-virtual",
                resolveId: (id: string) => (id === VIRTUAL_ID ? RESOLVED_ID : undefined),
                load: (id: string) => (id === RESOLVED_ID ? source : undefined),
              },
            ],
          },
        });
      },
      "astro:build:done": async ({ dir, logger }) => {
        if (!snapshot) return;
        const out = fileURLToPath(dir);
        for (const [rel, bytes] of snapshot.files) {
          const target = path.join(out, ...rel.split("/"));
          await mkdir(path.dirname(target), { recursive: true });
          await writeFile(target, bytes);
        }
        logger.info(`published ${snapshot.files.size} data files beside the pages`);
      },
    },
  };
}

/** The Astro configuration of the site. */
export function guardianSiteConfig(options: GuardianSiteOptions): AstroUserConfig {
  return {
    root: SITE_DIR,
    srcDir: path.join(SITE_DIR, "src"),
    publicDir: path.join(SITE_DIR, "public"),
    outDir: path.resolve(options.outDir ?? path.join(SITE_DIR, "dist")),
    cacheDir: path.join(SITE_DIR, ".astro", "cache"),
    base: options.base ?? "/",
    output: "static",
    trailingSlash: "ignore",
    build: { format: "directory", inlineStylesheets: "always" },
    compressHTML: true,
    devToolbar: { enabled: false },
    prefetch: false,
    // No code blocks on the site; Shiki's inline styles would need 'unsafe-inline'.
    markdown: { syntaxHighlight: false },
    integrations: [guardianStatus(options.statusFile)],
    security: {
      // Astro computes the hashes of its inline script and styles and emits a
      // <meta http-equiv="content-security-policy">: nothing else may run.
      csp: {
        algorithm: "SHA-256",
        directives: ["default-src 'none'", "img-src 'self' data:", "base-uri 'none'", "form-action 'none'", "object-src 'none'"],
      },
    },
  };
}

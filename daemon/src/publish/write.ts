/**
 * Writes the published files into a directory, each atomically: a temporary
 * file in the same directory, fsync, rename over the old one, fsync of the
 * directory. A reader (a web server, the site build) sees either the old or
 * the new version of each file, never a torn one. `status.json` is renamed
 * last, so its appearance means the whole snapshot is in place.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { renderStatusFiles, STATUS_PATH } from "./files.js";
import type { Status } from "./schema.js";

export interface WriteStatusFilesResult {
  /** Absolute path of the written `status.json`. */
  statusFile: string;
  /** Every written file, absolute, in write order. */
  files: string[];
}

/**
 * Writes status.json, api/v2/{summary,status,components,incidents}.json,
 * api/v2/incidents/unresolved.json, history.atom and badge/*.json under `dir`
 * (created if missing).
 *
 * @example
 * const { statusFile } = writeStatusFiles(".guardian/public", buildStatus(input, new Date()));
 * await buildSite({ statusFile, outDir: "site/dist" });
 */
export function writeStatusFiles(dir: string, status: Status): WriteStatusFilesResult {
  const root = path.resolve(dir);
  const written: string[] = [];
  const touchedDirs = new Set<string>();
  for (const file of renderStatusFiles(status)) {
    const target = path.join(root, ...file.path.split("/"));
    const parent = path.dirname(target);
    mkdirSync(parent, { recursive: true });
    writeAtomic(target, file.content);
    touchedDirs.add(parent);
    written.push(target);
  }
  for (const d of touchedDirs) fsyncDir(d);
  return { statusFile: path.join(root, STATUS_PATH), files: written };
}

function writeAtomic(target: string, content: string): void {
  const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    const fd = openSync(tmp, "wx", 0o644);
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the renames are still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

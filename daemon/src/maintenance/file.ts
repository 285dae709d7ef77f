/**
 * Scheduled maintenances on disk: `<dataDir>/maintenance.json`, written by
 * the `guardian maintenance` commands and read by the daemon's publisher at
 * each publication.
 *
 * A file of its own rather than the store: maintenances are written by
 * operators only (never by the daemon), a handful a month, and the publisher
 * only reads them, so they need neither the store's lock against the daemon
 * nor its exactly-once block writes. Writes are atomic (temporary file,
 * fsync, rename) under a small lock file of their own, so two operators'
 * commands never lose each other's change and the publisher never reads a
 * torn file.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import * as z from "zod";
import { MAINTENANCE_COMPONENTS, MAINTENANCE_STATES, type Maintenance } from "./model.js";

export const MAINTENANCE_FILE = "maintenance.json";

const isoTime = z.iso.datetime();
const maintenanceSchema: z.ZodType<Maintenance> = z.strictObject({
  id: z.string().min(1),
  title: z.string().min(1),
  components: z.array(z.enum(MAINTENANCE_COMPONENTS)),
  scheduledFor: isoTime,
  scheduledUntil: isoTime,
  status: z.enum(MAINTENANCE_STATES),
  createdAt: isoTime,
  updatedAt: isoTime,
  startedAt: isoTime.optional(),
  completedAt: isoTime.optional(),
  updates: z.array(z.strictObject({ id: z.string().min(1), at: isoTime, status: z.enum(MAINTENANCE_STATES), message: z.string(), by: z.string() })),
});
const fileSchema = z.strictObject({ version: z.literal(1), maintenances: z.array(maintenanceSchema) });

export function maintenanceFile(dataDir: string): string {
  return path.join(dataDir, MAINTENANCE_FILE);
}

/** Every maintenance in the data directory (none when the file does not exist). @throws Error naming the file when it is not valid. */
export function readMaintenances(dataDir: string): Maintenance[] {
  const file = maintenanceFile(dataDir);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const parsed = fileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} is not a valid maintenance file: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data.maintenances;
}

/**
 * Reads, changes and writes the maintenances under the file's lock; returns
 * what `change` returns. `change` may throw: nothing is written then.
 */
export async function updateMaintenances<R>(dataDir: string, change: (list: Maintenance[]) => R, options: { lockWaitMs?: number } = {}): Promise<R> {
  mkdirSync(dataDir, { recursive: true });
  const file = maintenanceFile(dataDir);
  const lock = `${file}.lock`;
  const deadline = Date.now() + (options.lockWaitMs ?? 3000);
  for (;;) {
    try {
      closeSync(openSync(lock, "wx"));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (Date.now() > deadline) throw new Error(`${lock} is held by another guardian maintenance command (remove it if no such command is running)`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    const list = readMaintenances(dataDir);
    const result = change(list);
    const tmp = `${file}.tmp-${process.pid}`;
    const fd = openSync(tmp, "w", 0o644);
    try {
      writeSync(fd, `${JSON.stringify({ version: 1, maintenances: list }, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    return result;
  } finally {
    rmSync(lock, { force: true });
  }
}

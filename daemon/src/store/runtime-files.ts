/**
 * Files a running daemon publishes in its data directory so that the CLI can
 * reach it:
 *
 *     admin.json   {host, port, pid, startedAt, tokenFile}  (mode 0644; no secret)
 *     admin.token  the admin bearer token (mode 0600), only when the daemon
 *                  generated it because env GUARDIAN_ADMIN_TOKEN was unset
 *
 * As bitcoind does with its `.cookie`: whoever can read the data directory as
 * the daemon's user can use the endpoint; nobody else can. The token is never
 * in admin.json, logs or argv. Both files are removed on clean shutdown; a
 * leftover admin.json is ignored unless the lock holder is alive and has its pid.
 */
import { randomBytes } from "node:crypto";
import * as fsp from "node:fs/promises";
import path from "node:path";
import * as z from "zod";
import { writeFileDurably } from "./durable-adapter.js";
import { readLock, type LockInfo } from "./lock.js";

export const ADMIN_INFO_FILE = "admin.json";
export const ADMIN_TOKEN_FILE = "admin.token";

export interface AdminEndpointInfo {
  host: string;
  port: number;
  pid: number;
  startedAt: string;
  /** true when the token is in admin.token (generated); false when it came from env GUARDIAN_ADMIN_TOKEN. */
  tokenFile: boolean;
}

const adminInfoSchema: z.ZodType<AdminEndpointInfo> = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  pid: z.number().int().positive(),
  startedAt: z.string(),
  tokenFile: z.boolean(),
});

/** 32 random bytes, base64url. */
export function generateAdminToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * Publishes the admin endpoint: the token file first (when given), then
 * admin.json, both written durably (temp file, fsync, rename).
 */
export async function publishAdminEndpoint(dataDir: string, info: Omit<AdminEndpointInfo, "tokenFile">, generatedToken?: string): Promise<void> {
  const tokenFile = path.join(dataDir, ADMIN_TOKEN_FILE);
  if (generatedToken !== undefined) {
    // A leftover temp file would keep its old mode: remove it so the new one is created 0600.
    await fsp.rm(path.join(dataDir, `.${ADMIN_TOKEN_FILE}.tmp`), { force: true });
    await writeFileDurably(tokenFile, `${generatedToken}\n`, { mode: 0o600 });
  } else {
    await fsp.rm(tokenFile, { force: true });
  }
  const content: AdminEndpointInfo = { ...info, tokenFile: generatedToken !== undefined };
  await writeFileDurably(path.join(dataDir, ADMIN_INFO_FILE), `${JSON.stringify(content)}\n`, { mode: 0o644 });
}

/** Removes admin.json and admin.token if admin.json names `pid` (a newer daemon's files are left alone). */
export async function unpublishAdminEndpoint(dataDir: string, pid: number): Promise<void> {
  const info = await readAdminEndpoint(dataDir);
  if (info !== undefined && info.pid !== pid) return;
  await fsp.rm(path.join(dataDir, ADMIN_INFO_FILE), { force: true });
  await fsp.rm(path.join(dataDir, ADMIN_TOKEN_FILE), { force: true });
}

/** admin.json, or undefined if missing or unreadable. */
export async function readAdminEndpoint(dataDir: string): Promise<AdminEndpointInfo | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dataDir, ADMIN_INFO_FILE), "utf8");
  } catch {
    return undefined;
  }
  try {
    const parsed = adminInfoSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The generated token from admin.token, or undefined. */
export async function readAdminToken(dataDir: string): Promise<string | undefined> {
  try {
    const token = (await fsp.readFile(path.join(dataDir, ADMIN_TOKEN_FILE), "utf8")).trim();
    return token === "" ? undefined : token;
  } catch {
    return undefined;
  }
}

export interface RunningDaemon {
  endpoint: AdminEndpointInfo;
  lock: LockInfo;
}

/**
 * The daemon running on this data directory, if any: the lock is held by a
 * live process on this host and admin.json carries that process's pid.
 */
export async function findRunningDaemon(dataDir: string): Promise<RunningDaemon | undefined> {
  const lock = await readLock(dataDir);
  if (lock?.info === undefined || lock.alive !== true) return undefined;
  const endpoint = await readAdminEndpoint(dataDir);
  if (endpoint === undefined || endpoint.pid !== lock.info.pid) return undefined;
  return { endpoint, lock: lock.info };
}

/**
 * The configured store: the embedded one (lowdb, this data directory) or the
 * shared one (PostgreSQL at env GUARDIAN_DATABASE_URL), with the same
 * archiving rule either way.
 */
import type { GuardianConfig } from "../config/index.js";
import { takeArchivableIncidents } from "./archive.js";
import type { StoreLogger } from "./lock.js";
import { openLowdbStore } from "./lowdb-store.js";
import { openPostgresStore, type PostgresLease, type PostgresStore } from "./postgres/index.js";
import type { GuardianStore } from "./store.js";

export interface OpenConfiguredStoreOptions {
  /** Who opens it, for the lock file or the connections' application_name. */
  purpose: string;
  recordProcessed?: boolean;
  /** lowdb: wait this long for another process's lock. */
  lockWaitMs?: number;
  logger?: StoreLogger;
  clock?: () => Date;
}

type StoreConfig = Pick<GuardianConfig, "store" | "dataDir" | "chainId" | "follower" | "blockTimeMs" | "secrets">;

/** The archive delay of the config, in ms. */
export const archiveAfterMs = (config: Pick<GuardianConfig, "store">) => config.store.archiveAfterHours * 3_600_000;

export async function openConfiguredStore(config: StoreConfig, options: OpenConfiguredStoreOptions): Promise<GuardianStore> {
  if (config.store.kind === "postgres") return openSharedStore(config, options);
  return openLowdbStore({
    dataDir: config.dataDir,
    chainId: config.chainId,
    purpose: options.purpose,
    ringSize: config.follower.ringSize,
    archiveAfterMs: archiveAfterMs(config),
    ...(options.recordProcessed !== undefined ? { recordProcessed: options.recordProcessed } : {}),
    ...(options.lockWaitMs !== undefined ? { lockWaitMs: options.lockWaitMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}

type LeaseOption = { lease: { holder: string; ttlMs: number } };

/** The PostgreSQL store of the config; with `lease`, its writes are fenced by the replicas' lease. */
export async function openSharedStore(config: StoreConfig, options: OpenConfiguredStoreOptions & LeaseOption): Promise<PostgresStore & { readonly lease: PostgresLease }>;
export async function openSharedStore(config: StoreConfig, options: OpenConfiguredStoreOptions): Promise<PostgresStore>;
export async function openSharedStore(config: StoreConfig, options: OpenConfiguredStoreOptions & Partial<LeaseOption>): Promise<PostgresStore> {
  const url = config.secrets.databaseUrl;
  if (url === undefined) throw new Error('store.kind is "postgres" but env GUARDIAN_DATABASE_URL is not set');
  const clock = options.clock ?? (() => new Date());
  const after = archiveAfterMs(config);
  return openPostgresStore({
    url: url.reveal(),
    chainId: config.chainId,
    purpose: options.purpose,
    schema: config.store.schema,
    ringSize: config.follower.ringSize,
    normalize: (draft) => void takeArchivableIncidents(draft, clock(), after),
    ...(options.recordProcessed !== undefined ? { recordProcessed: options.recordProcessed } : {}),
    ...(options.lease ? { lease: options.lease } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    clock,
  });
}

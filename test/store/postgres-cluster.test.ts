/** scripts/lib/postgres.ts: the throwaway cluster the store tests and the benchmark run on. */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findPostgresBinary, startPostgres } from "../../scripts/lib/postgres.js";
import { withDb } from "./helpers.js";

describe("startPostgres", () => {
  it("a loopback-only cluster with fsync on, not run as root, gone after stop()", async () => {
    const cluster = await startPostgres();
    try {
      const settings = await withDb(cluster.url, async (c) => {
        const row = (await c.query("SELECT current_setting('listen_addresses') AS listen, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sync, current_setting('port') AS port")).rows[0];
        return row as { listen: string; fsync: string; sync: string; port: string };
      });
      expect(settings).toEqual({ listen: "127.0.0.1", fsync: "on", sync: "on", port: String(cluster.port) });
      if (process.getuid?.() === 0) expect(statSync(cluster.dataDir).uid).not.toBe(0); // initdb refuses root: another user runs it
    } finally {
      await cluster.stop();
    }
    expect(existsSync(path.dirname(cluster.dataDir))).toBe(false);
    await cluster.stop(); // idempotent
  });

  it("names the missing program and the Debian package to install", () => {
    expect(() => findPostgresBinary("initdb", { path: "", debianDirs: ["/nonexistent/postgresql/15/bin"] })).toThrow(
      /PostgreSQL is not installed: initdb was found neither on PATH nor in \/nonexistent\/postgresql\/15\/bin\. Install Debian's server package: apt-get install postgresql/,
    );
    expect(findPostgresBinary("pg_ctl")).toMatch(/pg_ctl$/);
  });
});

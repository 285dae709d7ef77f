/**
 * Test helper run as a child process: opens the store of argv[2] (taking its
 * lock), optionally starts the admin endpoint, prints one JSON line
 * {pid, port?} and holds until stdin closes or it is killed.
 *
 *     node --import tsx daemon/src/store/testing/hold-store.ts <dataDir> [--admin]
 */
import { startAdminServer } from "../../admin/server.js";
import { openLowdbStore } from "../lowdb-store.js";
import { generateAdminToken, publishAdminEndpoint, unpublishAdminEndpoint } from "../runtime-files.js";

const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: hold-store.ts <dataDir> [--admin]");
const store = await openLowdbStore({ dataDir, chainId: 31337, purpose: "daemon (test holder)" });
let port: number | undefined;
let close = async () => {};
if (process.argv.includes("--admin")) {
  const token = generateAdminToken();
  const admin = await startAdminServer({ store, token });
  await publishAdminEndpoint(dataDir, { host: admin.host, port: admin.port, pid: process.pid, startedAt: new Date().toISOString() }, token);
  port = admin.port;
  close = async () => {
    await unpublishAdminEndpoint(dataDir, process.pid);
    await admin.close();
  };
}
process.stdout.write(`${JSON.stringify({ pid: process.pid, port })}\n`);
process.stdin.resume();
// Nothing else keeps the process alive once stdin has ended and both are closed.
process.stdin.on("end", () => {
  void close().then(() => store.close());
});

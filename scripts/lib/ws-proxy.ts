/**
 * A TCP proxy on loopback in front of a node's WebSocket port, for tests and
 * benchmarks that need a WebSocket connection to fail the way networks make
 * it fail: `drop()` cuts every open connection (the node restarting, a load
 * balancer recycling it), `refuse(true)` cuts new ones at once (an endpoint
 * that is down). Bytes pass through unchanged, so it knows nothing of
 * WebSocket framing; it counts connections accepted.
 *
 * Kept apart from fault-proxy.ts, which works at the JSON-RPC-over-HTTP level.
 *
 * @example
 * const ws = await startWsProxy({ targetPort: node.port });
 * // ws.url === "ws://127.0.0.1:<port>"
 * ws.drop();
 * await ws.close();
 */
import net from "node:net";
import type { AddressInfo } from "node:net";

export interface WsProxy {
  url: string;
  port: number;
  /** Connections accepted (refused ones included). */
  readonly connections: { total: number };
  /** Cuts every open connection. */
  drop(): void;
  /** While true, new connections are cut as soon as they arrive. */
  refuse(on: boolean): void;
  close(): Promise<void>;
}

export async function startWsProxy(options: { targetPort: number; targetHost?: string }): Promise<WsProxy> {
  const host = options.targetHost ?? "127.0.0.1";
  const open = new Set<net.Socket>();
  const connections = { total: 0 };
  let refusing = false;
  const server = net.createServer((client) => {
    connections.total++;
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(options.targetPort, host);
    open.add(client);
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const drop = () => {
    for (const s of open) s.destroy();
    open.clear();
  };
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    connections,
    drop,
    refuse(on: boolean) {
      refusing = on;
    },
    async close() {
      drop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

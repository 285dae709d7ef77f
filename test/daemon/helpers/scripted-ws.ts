/**
 * A WebSocket JSON-RPC endpoint on loopback whose answers a test writes: for
 * what no local node does (refusing every pending subscription, pushing
 * junk, ignoring requests), with a real socket and real WebSocket framing
 * (RFC 6455: the handshake, masked client frames, text/close/ping frames),
 * so the client under test is Node's own WebSocket, unchanged.
 *
 * Only what the tests need: text frames up to 2^53 bytes, no extensions,
 * no fragmentation.
 *
 * @example
 * const ws = await startScriptedWs((msg, reply) => reply({ jsonrpc: "2.0", id: msg.id, error: { code: -32601, message: "nope" } }));
 * ws.push({ jsonrpc: "2.0", method: "eth_subscription", params: { subscription: "0x1", result: "0x…" } });
 * await ws.close();
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ScriptedWs {
  url: string;
  /** Connections upgraded so far. */
  readonly connections: { total: number };
  /** Messages received, parsed (a message that is not JSON is kept as its text). */
  readonly received: unknown[];
  /** Sends to every open connection: an object as JSON, a string as it is. */
  push(message: unknown): void;
  close(): Promise<void>;
}

type Handler = (message: { id?: unknown; method?: unknown; params?: unknown }, reply: (answer: unknown) => void) => void;

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export async function startScriptedWs(onMessage: Handler): Promise<ScriptedWs> {
  const open = new Set<Socket>();
  const received: unknown[] = [];
  const connections = { total: 0 };
  const server = http.createServer((_req, res) => res.writeHead(426).end("WebSocket only"));
  server.on("upgrade", (req, socket: Socket) => {
    const key = req.headers["sec-websocket-key"];
    if (typeof key !== "string") {
      socket.destroy();
      return;
    }
    const accept = createHash("sha1").update(key + GUID).digest("base64");
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    connections.total++;
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => socket.destroy());
    let buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const frame = readFrame(buffer);
        if (!frame) return;
        buffer = buffer.subarray(frame.size);
        if (frame.opcode === 0x8) {
          socket.end(frameOf(0x8, Buffer.alloc(0)));
          return;
        }
        if (frame.opcode === 0x9) {
          socket.write(frameOf(0xa, frame.payload));
          continue;
        }
        if (frame.opcode !== 0x1) continue;
        const text = frame.payload.toString("utf8");
        let message: unknown = text;
        try {
          message = JSON.parse(text);
        } catch {
          // kept as text
        }
        received.push(message);
        if (typeof message === "object" && message !== null) {
          onMessage(message as Parameters<Handler>[0], (answer) => {
            if (!socket.destroyed) socket.write(frameOf(0x1, Buffer.from(typeof answer === "string" ? answer : JSON.stringify(answer))));
          });
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    connections,
    received,
    push(message) {
      const data = frameOf(0x1, Buffer.from(typeof message === "string" ? message : JSON.stringify(message)));
      for (const s of open) if (!s.destroyed) s.write(data);
    },
    async close() {
      for (const s of open) s.destroy();
      open.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One complete client frame at the start of `buf` (unmasked payload), or undefined when more bytes are needed. */
function readFrame(buf: Buffer): { opcode: number; payload: Buffer; size: number } | undefined {
  if (buf.length < 2) return undefined;
  const opcode = buf[0]! & 0x0f;
  const masked = (buf[1]! & 0x80) !== 0;
  let length = buf[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buf.length < 4) return undefined;
    length = buf.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buf.length < 10) return undefined;
    length = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  const maskAt = offset;
  if (masked) offset += 4;
  if (buf.length < offset + length) return undefined;
  const payload = Buffer.from(buf.subarray(offset, offset + length));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= buf[maskAt + (i % 4)]!;
  return { opcode, payload, size: offset + length };
}

/** A server frame (final, unmasked). */
function frameOf(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n < 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else if (n >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

/**
 * A preload (`node --import ./loopback-only.mjs program.js`) that keeps every
 * TCP server the program opens on the loopback interface.
 *
 * Why: Pimlico's Alto bundler calls `fastify.listen({ port, host: "0.0.0.0" })`
 * (esm/rpc/server.js) and has no option to choose the host, so a bundler started
 * by our tests or the demo would otherwise accept connections from the whole
 * network, executor keys and all. Fastify ends up in `net.Server.prototype.listen`
 * (http.Server inherits it), so this module wraps that one method: a listen on
 * all interfaces ("0.0.0.0", "::", no host) or on any other non-loopback host
 * is made a listen on 127.0.0.1. Loopback hosts ("127.x", "::1", "localhost")
 * and Unix sockets (`path`, pipes, handles) are left alone.
 *
 * Plain JavaScript on purpose: it is loaded by `node` itself, before any
 * TypeScript loader.
 */
import net from "node:net";

const LOOPBACK = "127.0.0.1";
const isLoopback = (host) => typeof host === "string" && (host === "localhost" || host === "::1" || /^127\./.test(host));

const original = net.Server.prototype.listen;

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const [first] = args;
  if (typeof first === "object" && first !== null && !Array.isArray(first)) {
    // listen(options[, cb]) — a TCP listen when it names a port and no path/handle.
    const isTcp = first.path === undefined && first.handle === undefined && first._handle === undefined && first.fd === undefined;
    if (isTcp && !isLoopback(first.host)) args[0] = { ...first, host: LOOPBACK };
  } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, cb])
    if (typeof args[1] === "string") {
      if (!isLoopback(args[1])) args[1] = LOOPBACK;
    } else {
      args.splice(1, 0, LOOPBACK);
    }
  } else if (first === undefined || typeof first === "function") {
    // listen([cb]): a random port on all interfaces.
    args.unshift(0, LOOPBACK);
  }
  return original.apply(this, args);
};

/**
 * The router's fast path: plain HTTP/1.1 requests proxied straight between sockets, without
 * Node's HTTP server and client. Node's HTTP machinery costs about ten times nginx's CPU per
 * proxied request on these machines (docs/router.md); most of it goes to building request and
 * response objects and headers maps that a proxy only takes apart again. Here a request head is
 * parsed once into the few facts routing needs (router/http1.ts), the head for the backend is
 * the client's own header lines minus the hop-by-hop ones plus the X-Forwarded-* and X-Request-Id
 * lines, bodies are passed on as the bytes they are, and backend connections are pooled with
 * listeners fixed for their life (router/backend-pool.ts).
 *
 * The fast path carries only what it fully understands. Everything else (HTTP/1.0, upgrades,
 * Expect: 100-continue, chunked request bodies, anything odd or over a limit, the router's health
 * path, apps that redirect to HTTPS) is handed, with the bytes already read, to Node's HTTP server
 * and the full proxy (router/proxy.ts), which keep the connection from then on. The rules are the
 * full proxy's: retries, ejection, timeouts, error codes, access log and metrics are the same,
 * and the router's integration tests run against both.
 *
 * One request at a time per connection; pipelined requests wait, buffered, for the one before.
 * Each client connection is a ClientConnection (router/client-connection.ts); this module keeps
 * the set of them, their timers and the way they stop.
 */
import { ClientConnection, FastPathState, type FastProxyOptions } from './client-connection';
import type { ProxySocket } from './proxy-socket';

export type { FastProxyOptions } from './client-connection';

export interface FastProxy {
  /** Takes a new client connection (from a net.Server with allowHalfOpen, or a NativeListener). */
  handleConnection(socket: ProxySocket): void;
  /** Requests in progress on the fast path. */
  inFlight(): number;
  /** Open client connections the fast path still holds. */
  connections(): number;
  /** Stop: idle connections close now, busy ones after their current response. */
  closeIdle(): void;
  /** Cut every connection the fast path holds. */
  destroyAll(): void;
}

export function createFastProxy(options: FastProxyOptions): FastProxy {
  const { pool, settings } = options;
  const shared = new FastPathState(options);
  const open = shared.open;
  const sweepMs = sweepInterval([options.keepAliveTimeoutMs, options.headersTimeoutMs, settings.idleTimeoutMs, settings.responseTimeoutMs]);
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const connection of open) connection.checkTimers(now);
    pool.sweep(now);
  }, sweepMs);
  sweep.unref();

  return {
    handleConnection(socket: ProxySocket): void {
      if (shared.closing) {
        socket.destroy();
        return;
      }
      open.add(new ClientConnection(socket, shared));
    },
    inFlight: () => shared.inFlight,
    connections: () => open.size,
    closeIdle(): void {
      shared.closing = true;
      for (const connection of open) connection.close();
    },
    destroyAll(): void {
      shared.closing = true;
      clearInterval(sweep);
      for (const connection of open) connection.socket.destroy();
    },
  };
}

/** Often enough that a timeout fires within a fifth of its length late, and at least once a second. */
function sweepInterval(timeoutsMs: readonly number[]): number {
  const shortest = Math.min(...timeoutsMs.filter((ms) => ms > 0), 5000);
  return Math.max(10, Math.min(1000, Math.floor(shortest / 5)));
}

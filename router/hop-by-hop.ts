/**
 * Hop-by-hop headers describe one connection (client → router), not the request, so they must
 * not reach the backend: the router keeps its own pooled keep-alive connections to backends.
 * Pure; mutates the header object it is given, as http-proxy forwards `req.headers` as they are.
 */
import type { IncomingHttpHeaders } from 'node:http';

const ALWAYS_HOP_BY_HOP = ['keep-alive', 'proxy-connection', 'proxy-authorization'];
/** A client could list these in Connection; dropping them would change what the request means. */
const NEVER_DROPPED = new Set(['host', 'content-length', 'transfer-encoding']);

/** For a WebSocket handshake, `Connection: upgrade` and `Upgrade` are the point and stay. */
export function removeHopByHopHeaders(headers: IncomingHttpHeaders, isUpgrade: boolean): void {
  const connection = headers.connection;
  const listed = typeof connection === 'string' ? connection.split(',').map((name) => name.trim().toLowerCase()) : [];
  for (const name of listed) {
    if (isUpgrade && name === 'upgrade') continue;
    if (name !== '' && !NEVER_DROPPED.has(name)) delete headers[name];
  }
  for (const name of ALWAYS_HOP_BY_HOP) delete headers[name];
  if (!isUpgrade) {
    delete headers.connection;
    delete headers.upgrade;
  }
}

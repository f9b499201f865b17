/**
 * The X-Forwarded-* headers a backend receives, so an app can tell the client's address and the
 * URL it asked for. Pure: the proxy passes in what it knows about the connection.
 */

export interface ClientConnection {
  /** The peer address of the client's TCP connection to the router. */
  readonly remoteAddress: string | undefined;
  /** The port the client connected to on the router. */
  readonly localPort: number | undefined;
  /** The Host header as the client sent it (port included). */
  readonly host: string;
  /** An X-Forwarded-For the client sent, if any (repeated headers joined with ", "). */
  readonly forwardedFor: string | string[] | undefined;
  /** The client connected over TLS (an HTTPS listener). */
  readonly encrypted?: boolean;
}

export interface ForwardedHeaders {
  'x-forwarded-for': string;
  'x-forwarded-proto': string;
  'x-forwarded-host': string;
  'x-forwarded-port': string;
}

/**
 * X-Forwarded-For is appended to (the standard chain: apps trust its right end, which we write);
 * Proto, Host and Port are overwritten, because the router is the edge that accepted the
 * connection and a client could otherwise claim e.g. https.
 */
export function forwardedHeaders(connection: ClientConnection): ForwardedHeaders {
  const client = plainAddress(connection.remoteAddress);
  const earlier = Array.isArray(connection.forwardedFor)
    ? connection.forwardedFor.join(', ')
    : (connection.forwardedFor ?? '').trim();
  return {
    'x-forwarded-for': earlier === '' ? client : `${earlier}, ${client}`,
    'x-forwarded-proto': connection.encrypted === true ? 'https' : 'http',
    'x-forwarded-host': connection.host,
    'x-forwarded-port': connection.localPort === undefined ? '' : String(connection.localPort),
  };
}

/** The same headers as a raw list ([name, value, …]) for the proxy, which sends raw headers. */
export function forwardedHeaderList(connection: ClientConnection, requestId: string): string[] {
  const headers = forwardedHeaders(connection);
  return [
    'X-Forwarded-For', headers['x-forwarded-for'],
    'X-Forwarded-Proto', headers['x-forwarded-proto'],
    'X-Forwarded-Host', headers['x-forwarded-host'],
    'X-Forwarded-Port', headers['x-forwarded-port'],
    'X-Request-Id', requestId,
  ];
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) → `10.0.0.1`. */
function plainAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}

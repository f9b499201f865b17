/**
 * Hop-by-hop headers describe one connection (client → router, or router → backend), not the
 * message, so they are not passed on in either direction: the router keeps its own pooled
 * keep-alive connections to backends and frames bodies itself. Pure; works on Node's raw header
 * arrays (`[name, value, name, value, …]`), which keep names' case and repeated headers.
 */
import { HOP_BY_HOP, NEVER_DROPPED, needsZeroLength, REPLACED_ON_REQUEST } from './proxy-policy';

export { HOP_BY_HOP, NEVER_DROPPED, REPLACED_ON_REQUEST } from './proxy-policy';

export interface BackendRequestOptions {
  readonly method: string;
  /** Names the client's Connection header listed (lowercase). */
  readonly connectionTokens: readonly string[];
  /** The request body is chunked: the backend gets it chunked again. */
  readonly chunked: boolean;
  /** A Content-Length was sent. */
  readonly hasContentLength: boolean;
  /** A WebSocket (or other) upgrade: `Connection: Upgrade` and `Upgrade` are the point and stay. */
  readonly isUpgrade: boolean;
  /** Headers the router adds (X-Forwarded-*, X-Request-Id), as [name, value, …]. */
  readonly added: readonly string[];
  /** The Host the backend gets instead of the client's (an absolute-form target's authority). */
  readonly host?: string | undefined;
}

/** The raw header list sent to the backend. */
export function backendRequestHeaders(rawHeaders: readonly string[], options: BackendRequestOptions): string[] {
  const listed = options.connectionTokens;
  const out: string[] = [];
  if (options.host !== undefined) out.push('Host', options.host);
  let upgradeValue: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (options.isUpgrade && lower === 'upgrade') upgradeValue ??= rawHeaders[i + 1] as string;
      continue;
    }
    if (REPLACED_ON_REQUEST.has(lower)) continue;
    if (options.host !== undefined && lower === 'host') continue;
    if (listed.length > 0 && listed.includes(lower) && !NEVER_DROPPED.has(lower)) continue;
    out.push(name, rawHeaders[i + 1] as string);
  }
  if (options.isUpgrade) {
    out.push('Connection', 'Upgrade');
    if (upgradeValue !== undefined) out.push('Upgrade', upgradeValue);
  } else if (options.chunked) {
    // Node's parser took the chunks apart; Node's client puts them back together.
    out.push('Transfer-Encoding', 'chunked');
  } else if (!options.hasContentLength && needsZeroLength(options.method)) {
    // No body: say so, or Node would send an empty chunked one.
    out.push('Content-Length', '0');
  }
  for (const value of options.added) out.push(value);
  return out;
}

/**
 * The raw header list sent back to the client: the backend's, minus hop-by-hop ones (Node frames
 * the body for the client itself), with the request id. `keepUpgrade` for a 101 answer.
 */
export function clientResponseHeaders(rawHeaders: readonly string[], requestId: string, keepUpgrade = false): string[] {
  let listed: string[] | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).length === 10 && (rawHeaders[i] as string).toLowerCase() === 'connection') {
      listed = (listed ?? []).concat((rawHeaders[i + 1] as string).split(',').map((token) => token.trim().toLowerCase()));
    }
  }
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (keepUpgrade && (lower === 'connection' || lower === 'upgrade')) {
      out.push(name, rawHeaders[i + 1] as string);
      continue;
    }
    if (HOP_BY_HOP.has(lower) || lower === 'x-request-id') continue;
    if (listed !== undefined && listed.includes(lower) && !NEVER_DROPPED.has(lower)) continue;
    out.push(name, rawHeaders[i + 1] as string);
  }
  out.push('X-Request-Id', requestId);
  return out;
}

/**
 * The rules both router paths follow, written once: the fast path (router/fast-proxy.ts,
 * router/client-connection.ts, router/http1.ts) and the full proxy on node:http
 * (router/proxy.ts, router/hop-by-hop.ts) read them from here, so they cannot drift apart (the
 * list of methods sent without a body was once written twice, and differed). Pure.
 *
 * - settings: attempts, ejection, timeouts and the body limit;
 * - retries: which failed attempt may be tried again;
 * - timeouts: which code an idle connection ends with;
 * - hop-by-hop: which headers describe one connection and are never passed on;
 * - framing: which requests get `Content-Length: 0`, which responses have no body, what a
 *   backend may not answer.
 */
import type { RouterErrorCode } from './error-pages';

// ------------------------------------------------------------------------------ settings

export interface ProxySettings {
  /** How many attempts (backends, or a fresh connection to the same one) one request may make. */
  readonly maxAttempts: number;
  /** How long a backend that refused a connection gets no requests; 0: never ejected. */
  readonly ejectMs: number;
  readonly connectTimeoutMs: number;
  /** 0: no limit. */
  readonly responseTimeoutMs: number;
  /** 0: no limit. */
  readonly maxBodyBytes: number;
  /**
   * WebSocket sessions (and handshakes) with no byte either way for this long are closed; 0: never.
   * (Plain requests get the same limit from the HTTP server's timeout, set in index.ts.)
   */
  readonly idleTimeoutMs: number;
}

export const DEFAULT_PROXY_SETTINGS: ProxySettings = {
  maxAttempts: 3,
  ejectMs: 10_000,
  connectTimeoutMs: 5000,
  responseTimeoutMs: 30_000,
  maxBodyBytes: 1024 * 1024 * 1024,
  idleTimeoutMs: 55_000,
};

// ------------------------------------------------------------------------------ retries

/** After a request was sent, only these are retried (and only without a body). */
const RETRYABLE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * Whether a failed attempt is tried again: a connection that never came up always may be
 * (nothing was sent); a request that was sent, only when it is idempotent and has no body; none
 * once part of an answer went to the client, or past `maxAttempts`.
 */
export function mayRetry(
  failure: { readonly connectFailed: boolean },
  request: { readonly method: string; readonly hasBody: boolean; readonly answerStarted: boolean },
  attempts: number,
  maxAttempts: number,
): boolean {
  return !request.answerStarted && attempts < maxAttempts && (failure.connectFailed || (RETRYABLE_METHODS.has(request.method) && !request.hasBody));
}

// ------------------------------------------------------------------------------ timeouts

/**
 * The code an exchange ends with when its client connection goes idle: R598 once the answer has
 * started (the connection is cut), R408 while the client still owes body bytes, R504 while the
 * app has not answered.
 */
export function idleCode(state: { readonly answerStarted: boolean; readonly bodyStillComing: boolean }): RouterErrorCode {
  if (state.answerStarted) return 'R598';
  return state.bodyStillComing ? 'R408' : 'R504';
}

// ------------------------------------------------------------------------------ hop-by-hop headers

/** Always connection-scoped (RFC 9110 §7.6.1, plus the old Keep-Alive and Proxy-Connection). */
export const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** A client could list these in Connection; dropping them would change what the request means. */
export const NEVER_DROPPED: ReadonlySet<string> = new Set(['host', 'content-length', 'transfer-encoding']);
/** Set by the router, whatever the client sent (X-Forwarded-For is appended to, then set). */
export const REPLACED_ON_REQUEST: ReadonlySet<string> = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-request-id', 'expect']);

// ------------------------------------------------------------------------------ framing

/** Methods sent without a body by convention (CONNECT never reaches a backend: it is refused). */
const BODYLESS_BY_DEFAULT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE']);

/**
 * A request with neither Content-Length nor Transfer-Encoding whose method usually has a body
 * goes to the backend with `Content-Length: 0`, so no backend reads until the connection closes.
 */
export function needsZeroLength(method: string): boolean {
  return !BODYLESS_BY_DEFAULT.has(method);
}

/** An answer to HEAD, and a 204 or 304, has no body whatever its headers say (RFC 9112 §6.3). */
export function responseHasNoBody(headRequest: boolean, status: number): boolean {
  return headRequest || status === 204 || status === 304;
}

/**
 * What a backend may not answer, on either path: a 101 to a request that asked for no upgrade
 * (the router would be tunnelling bytes nobody parsed), and a response that says both
 * Transfer-Encoding and Content-Length or two Content-Lengths (llhttp refuses both; two parsers
 * of one response must never disagree about where it ends). Either is a 502 R502, never retried.
 */
export const UNREQUESTED_SWITCH = 'unrequested 101';

/** Trailer fields go to the client only if it said `TE: trailers` (RFC 9110 §10.1.4). */
export function clientTakesTrailers(teTokens: readonly string[]): boolean {
  return teTokens.includes('trailers');
}

/**
 * The HTTP side of the router: picks a backend for each request by its Host header, passes the
 * request on over a pooled keep-alive connection, streams both bodies, answers with a coded error
 * page when it cannot, and writes one access-log line (and the metrics) per request.
 *
 * Its own piping on node:http, not a proxy library, because the rules below need to see each step:
 * - A request body is only read from the client once the backend connection is up, so a refused
 *   or timed-out connection can be retried on another backend for ANY request: nothing was sent.
 *   Such a backend is ejected (no requests) for a while: passive health checking.
 * - After the request went out, only GET/HEAD/OPTIONS/TRACE without a body are retried, and only
 *   before any byte of the answer reached the client (a reused keep-alive connection the backend
 *   had just closed, or a backend killed mid-request).
 * - Timeouts: response headers within `responseTimeoutMs` of the request being sent (R504); a
 *   client connection idle `idleTimeoutMs` either way ends the exchange (R408 while the client is
 *   still sending, R504 while waiting for the answer, R598 once the answer has started).
 * - Limits: request line and each header line 8 KB (R414, R431), whole head 64 KB (R431), body
 *   `maxBodyBytes` (R413: at once from Content-Length, or when a chunked body grows past it).
 *
 * It only reads a RouteLookup; where the routes come from (etcd) is not its business.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../lib/log';
import type { AccessLog } from './access-log';
import { ExchangeFacts, unreachable, type ProxyRoutes } from './exchange';
import { renderErrorPage, type RouterErrorCode } from './error-pages';
import { forwardedHeaderList } from './forwarded-headers';
import { HEALTH_PATH, type PublicHealth } from './health';
import { backendRequestHeaders, clientResponseHeaders } from './hop-by-hop';
import { DEFAULT_PROXY_SETTINGS, idleCode, UNREQUESTED_SWITCH, type ProxySettings } from './proxy-policy';
import type { RequestMetrics } from './metrics';
import { overflowCode, requestIdFor, requestLineTooLong, scanRequestHead, type RequestHead } from './request-head';
import type { BackendEntry } from './route-table';
import { readRequestTarget } from './request-target';
import { isFieldText } from './http-grammar';
import { rawHead, rawResponse, resolveApp } from './routing';

export { DEFAULT_PROXY_SETTINGS, type ProxySettings } from './proxy-policy';
export type { ProxyRoutes } from './exchange';

export interface RouterProxyOptions {
  readonly routes: ProxyRoutes;
  readonly health: () => PublicHealth;
  readonly logger: Logger;
  /** Pooled keep-alive connections to backends; the caller owns it and destroys it on shutdown. */
  readonly agent: http.Agent;
  readonly metrics?: RequestMetrics;
  /** Where each request's access line and metrics go. */
  readonly accessLog: AccessLog;
  readonly settings?: Partial<ProxySettings>;
}

export interface RouterProxy {
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** For the server's 'checkContinue': the 100 Continue goes out once a backend is connected. */
  handleCheckContinue(req: http.IncomingMessage, res: http.ServerResponse): void;
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  /** For the server's 'timeout' (a client connection idle for the idle timeout). */
  handleTimeout(socket: Duplex): void;
  /** For the server's 'connect': CONNECT is refused with 501 R501 (the router opens no tunnels). */
  handleConnect(req: http.IncomingMessage, socket: Duplex): void;
  /** For the server's 'clientError' (a request Node could not parse or that broke a limit). */
  handleClientError(error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex): void;
  /** Requests and WebSocket sessions in progress. */
  inFlight(): number;
  close(): void;
}

const EXCHANGE = Symbol('slipway.exchange');

type Phase = 'routing' | 'connecting' | 'sending' | 'waiting' | 'responding' | 'done';

/** One request through the full proxy: the shared facts, and the node:http objects it works with. */
class Exchange extends ExchangeFacts {
  phase: Phase = 'routing';
  proxyReq: http.ClientRequest | null = null;
  timer: NodeJS.Timeout | null = null;
  expectContinue = false;
  clientGone = false;
  /** Set for WebSocket handshakes, where there is no ServerResponse to read the status from. */
  upgradeStatus: number | undefined = undefined;
  head!: RequestHead;
  /** The request target in origin form, as the backend gets it (req.url, unless absolute-form). */
  path = '';
  /** The authority of an absolute-form target, which wins over Host (RFC 9112 §3.2.2). */
  authority: string | undefined = undefined;
  outHeaders: string[] = [];
  onBodyData: ((chunk: Buffer) => void) | null = null;
  onBodyEnd: (() => void) | null = null;

  constructor(readonly req: http.IncomingMessage) {
    super();
    this.path = req.url ?? '/';
  }
}

/** The answer to the latest request read on a client connection (the full proxy answers in order). */
const LATEST_ANSWER = Symbol('slipway.latestAnswer');

const BROKEN_REQUEST = 'The request could not be parsed as HTTP/1.1.';

type SocketWithExchange = Duplex & { [EXCHANGE]?: Exchange; [LATEST_ANSWER]?: http.ServerResponse };

/**
 * Whether the connection ends after `res` (already finished): it said `Connection: close`, or the
 * connection is closing anyway. `_last` is where node:http keeps that decision; it is set when the
 * head is written (for an HTTP/1.0 answer without a length too, which no header of ours says).
 */
function endsConnection(res: http.ServerResponse, socket: Duplex): boolean {
  return (res as http.ServerResponse & { _last?: boolean })._last === true || !socket.writable || socket.destroyed;
}

export function createRouterProxy(options: RouterProxyOptions): RouterProxy {
  const { routes, logger, agent } = options;
  const metrics = options.metrics;
  const settings: ProxySettings = { ...DEFAULT_PROXY_SETTINGS, ...options.settings };
  let inFlight = 0;
  /** Requests whose body llhttp could not read, answered 400 when their turn comes. */
  const brokenRequests = new WeakSet<http.IncomingMessage>();

  // ---------------------------------------------------------------- logging and metrics

  function logAccess(exchange: Exchange, status: number, extra?: Record<string, unknown>): void {
    const req = exchange.req;
    options.accessLog.record(exchange.record(req.method, exchange.path, status), extra);
  }

  function warnBackend(exchange: Exchange, backend: BackendEntry, error: NodeJS.ErrnoException, retry: boolean, ejected: boolean): void {
    logger.warn(
      { app: exchange.app, host: exchange.host, backend: backend.url, requestId: exchange.requestId, error: error.code ?? error.message, code: 'R502', retry, ejected },
      'backend connection failed',
    );
  }

  // ---------------------------------------------------------------- answers of the router's own

  function sendError(exchange: Exchange, res: http.ServerResponse, code: RouterErrorCode, message: string): void {
    exchange.code = code;
    clearTimer(exchange);
    if (res.headersSent || exchange.clientGone) {
      // Part of the backend's answer is already on its way; cutting the connection is the only
      // honest way to tell the client it is incomplete.
      res.destroy();
      return;
    }
    const page = renderErrorPage(code, message, exchange.head?.accept);
    const headers: Record<string, string> = { ...page.headers, 'x-request-id': exchange.requestId };
    // An unread body would have to be read (and thrown away) to keep the connection: close it.
    // (A request without a body is not complete yet while its head is being handled: nothing to read.)
    if (!exchange.req.complete && (exchange.head === undefined || hasBody(exchange))) headers.connection = 'close';
    res.writeHead(page.status, headers);
    res.end(exchange.req.method === 'HEAD' ? undefined : page.body);
  }

  function answerHealth(req: http.IncomingMessage, res: http.ServerResponse): void {
    const report = options.health();
    const body = JSON.stringify(report);
    res.writeHead(report.ok ? 200 : 503, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    logger.debug({ status: res.statusCode }, 'health check');
  }

  // ---------------------------------------------------------------- routing

  /** Checks the head and finds the app; on failure returns the error to answer with. */
  function route(exchange: Exchange): { code: RouterErrorCode; message: string } | null {
    const req = exchange.req;
    const head = scanRequestHead(req.rawHeaders);
    exchange.head = head;
    exchange.requestId = requestIdFor(head.requestId);
    exchange.host = head.host;
    if (requestLineTooLong(req.method ?? '', req.url ?? '')) {
      return { code: 'R414', message: 'The request line is longer than 8192 bytes.' };
    }
    if (head.oversizeHeader !== undefined) {
      return { code: 'R431', message: `The ${head.oversizeHeader} header line is longer than 8192 bytes.` };
    }
    const target = readRequestTarget(req.url ?? '', req.method ?? '');
    if (!target.ok) return { code: 'R400', message: target.message };
    exchange.path = target.path;
    exchange.authority = target.authority;
    if (target.authority !== undefined) exchange.host = target.authority;
    const resolved = target.authority === undefined ? resolveApp(routes, head.host, head.hostCount) : resolveApp(routes, target.authority, 1);
    if (resolved.host !== undefined) exchange.host = resolved.host;
    if (!resolved.ok) return { code: resolved.code, message: resolved.message };
    const app = resolved.app;
    exchange.app = app;
    return null;
  }

  function outgoingHeaders(exchange: Exchange, isUpgrade: boolean): string[] {
    const req = exchange.req;
    const socket = req.socket as Socket & { encrypted?: boolean };
    const head = exchange.head;
    const added = forwardedHeaderList(
      {
        remoteAddress: socket.remoteAddress,
        localPort: socket.localPort,
        host: exchange.authority ?? head.host ?? '',
        forwardedFor: head.forwardedFor,
        encrypted: socket.encrypted === true,
      },
      exchange.requestId,
    );
    exchange.fwd = added[1];
    return backendRequestHeaders(req.rawHeaders, {
      method: req.method ?? 'GET',
      connectionTokens: head.connectionTokens,
      chunked: head.chunked,
      hasContentLength: head.contentLength !== null,
      isUpgrade,
      host: exchange.authority,
      added,
    });
  }

  function hasBody(exchange: Exchange): boolean {
    const { contentLength, chunked } = exchange.head;
    return chunked || (contentLength !== null && contentLength > 0);
  }

  // ---------------------------------------------------------------- plain requests

  /**
   * Pipelined requests are taken one at a time, as nginx does: node:http parses and hands over
   * each as it arrives, but one may only be passed on once the answer before it is out and has not
   * closed the connection. Otherwise a request behind a refusal that closes (or an app's answer
   * with `Connection: close`) would still reach an app, though the client never gets its answer.
   */
  function handleRequest(req: http.IncomingMessage, res: http.ServerResponse, expectContinue = false): void {
    const socket = req.socket as SocketWithExchange;
    const previous = socket[LATEST_ANSWER];
    socket[LATEST_ANSWER] = res;
    if (previous === undefined || previous.writableFinished) {
      if (previous === undefined || !endsConnection(previous, socket)) handleInTurn(req, res, expectContinue);
      return;
    }
    previous.once('close', () => {
      if (previous.writableFinished && !endsConnection(previous, socket)) handleInTurn(req, res, expectContinue);
      else logger.debug({ method: req.method, path: req.url }, 'pipelined request dropped: the connection closes after the answer before it');
    });
  }

  function handleInTurn(req: http.IncomingMessage, res: http.ServerResponse, expectContinue: boolean): void {
    if (isHealthCheck(req)) {
      if (expectContinue) res.writeContinue();
      answerHealth(req, res);
      return;
    }
    const exchange = new Exchange(req);
    exchange.expectContinue = expectContinue;
    inFlight += 1;
    const socket = req.socket as SocketWithExchange;
    socket[EXCHANGE] = exchange;
    res.once('close', () => {
      inFlight -= 1;
      if (socket[EXCHANGE] === exchange) socket[EXCHANGE] = undefined;
      const finished = res.writableFinished;
      if (!finished) {
        exchange.clientGone = true;
        abortBackend(exchange);
        // The client left (or was cut off) before the answer was complete.
        exchange.code ??= 'R499';
      }
      exchange.phase = 'done';
      clearTimer(exchange);
      logAccess(exchange, res.headersSent ? res.statusCode : finished ? res.statusCode : 499, finished ? undefined : { clientAborted: true });
    });

    const refused = route(exchange) ?? (brokenRequests.has(req) ? { code: 'R400' as const, message: BROKEN_REQUEST } : null);
    if (refused) {
      sendError(exchange, res, refused.code, refused.message);
      return;
    }
    const { contentLength } = exchange.head;
    if (settings.maxBodyBytes > 0 && contentLength !== null && contentLength > settings.maxBodyBytes) {
      sendError(exchange, res, 'R413', `The request body (${contentLength} bytes) is larger than the router accepts (${settings.maxBodyBytes} bytes).`);
      return;
    }
    exchange.outHeaders = outgoingHeaders(exchange, false);
    // Without a body there is nothing to wait for: Continue at once, or Node would close the
    // connection after the answer (it cannot tell whether a body still comes) and a request
    // pipelined behind this one would go unanswered.
    if (expectContinue && !hasBody(exchange)) {
      exchange.expectContinue = false;
      res.writeContinue();
    }
    forward(exchange, res);
  }

  function forward(exchange: Exchange, res: http.ServerResponse): void {
    const attempt = exchange.nextAttempt(routes);
    if (!('backend' in attempt)) {
      sendError(exchange, res, attempt.code, attempt.message);
      return;
    }
    const { backend, fresh } = attempt;
    const req = exchange.req;
    exchange.backend = backend;
    exchange.attempts += 1;
    exchange.phase = 'connecting';
    exchange.sentAt = performance.now();
    backend.active += 1;
    const proxyReq = http.request({
      hostname: backend.hostname,
      port: backend.port,
      method: req.method,
      path: exchange.path,
      headers: exchange.outHeaders,
      agent: fresh ? false : agent,
      setHost: false,
    });
    exchange.proxyReq = proxyReq;
    const withBody = hasBody(exchange);
    let released = false;
    proxyReq.once('close', () => {
      if (!released) {
        released = true;
        backend.active -= 1;
      }
    });
    proxyReq.on('error', (error: NodeJS.ErrnoException) => onBackendError(exchange, res, proxyReq, backend, error));
    proxyReq.once('socket', (socket: Socket) => {
      if (!socket.connecting) {
        connected(exchange, res, proxyReq, withBody);
        return;
      }
      const timer =
        settings.connectTimeoutMs > 0
          ? setTimeout(() => proxyReq.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), settings.connectTimeoutMs)
          : null;
      socket.once('connect', () => {
        if (timer) clearTimeout(timer);
        connected(exchange, res, proxyReq, withBody);
      });
      if (timer) proxyReq.once('close', () => clearTimeout(timer));
    });
    proxyReq.once('finish', () => {
      if (exchange.proxyReq !== proxyReq || exchange.phase === 'responding') return;
      // (Only from 'sending': a connect failure must stay one, whatever the order of events.)
      if (exchange.phase === 'sending') exchange.phase = 'waiting';
      if (settings.responseTimeoutMs > 0) {
        exchange.timer = setTimeout(() => onResponseTimeout(exchange, res, proxyReq), settings.responseTimeoutMs);
      }
    });
    proxyReq.once('response', (proxyRes: http.IncomingMessage) => onResponse(exchange, res, proxyReq, proxyRes));
    // A 101 (with Upgrade headers) to a request that asked for no upgrade.
    proxyReq.once('upgrade', (_proxyRes: http.IncomingMessage, backendSocket: Socket) => {
      backendSocket.destroy();
      unrequestedSwitch(exchange, res, proxyReq);
    });
    // Without a body, the head alone goes out as soon as the connection is there.
    if (!withBody) proxyReq.end();
  }

  /** The backend connection is up: from now on the request counts as sent. */
  function connected(exchange: Exchange, res: http.ServerResponse, proxyReq: http.ClientRequest, withBody: boolean): void {
    if (exchange.proxyReq !== proxyReq) return;
    exchange.phase = 'sending';
    if (!withBody) return;
    if (exchange.expectContinue) res.writeContinue();
    const req = exchange.req;
    const limit = settings.maxBodyBytes;
    const onData = (chunk: Buffer): void => {
      exchange.bytesIn += chunk.length;
      if (limit > 0 && exchange.bytesIn > limit) {
        detachBody(exchange);
        abortBackend(exchange);
        sendError(exchange, res, 'R413', `The request body is larger than the router accepts (${limit} bytes).`);
        return;
      }
      if (!proxyReq.write(chunk)) req.pause();
    };
    const onEnd = (): void => {
      detachBody(exchange);
      proxyReq.end();
    };
    exchange.onBodyData = onData;
    exchange.onBodyEnd = onEnd;
    req.on('data', onData);
    req.once('end', onEnd);
    proxyReq.on('drain', () => req.resume());
    req.resume();
  }

  function detachBody(exchange: Exchange): void {
    const req = exchange.req;
    if (exchange.onBodyData) req.off('data', exchange.onBodyData);
    if (exchange.onBodyEnd) req.off('end', exchange.onBodyEnd);
    exchange.onBodyData = null;
    exchange.onBodyEnd = null;
  }

  function onResponse(exchange: Exchange, res: http.ServerResponse, proxyReq: http.ClientRequest, proxyRes: http.IncomingMessage): void {
    if (exchange.proxyReq !== proxyReq || exchange.clientGone || exchange.code !== null) {
      proxyRes.resume();
      return;
    }
    if (proxyRes.statusCode === 101) {
      // (Without Upgrade headers Node reads a 101 as a final answer.)
      unrequestedSwitch(exchange, res, proxyReq);
      return;
    }
    clearTimer(exchange);
    if (!isFieldText(proxyRes.statusMessage ?? '')) {
      // llhttp lets control bytes through in a reason phrase; RFC 9112 §4 does not, nor does writeHead.
      invalidResponseHead(exchange, res, 'reason phrase');
      return;
    }
    exchange.phase = 'responding';
    exchange.firstByteAt = performance.now();
    try {
      res.writeHead(proxyRes.statusCode ?? 502, proxyRes.statusMessage, clientResponseHeaders(proxyRes.rawHeaders, exchange.requestId));
    } catch (error) {
      // A header Node refuses to send on (an invalid character): the answer cannot be passed on.
      // writeHead keeps what it was given before it threw; none of it may reach the error page.
      res.statusMessage = '';
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      exchange.phase = 'waiting';
      invalidResponseHead(exchange, res, error instanceof Error ? error.message : 'header');
      return;
    }
    proxyRes.on('data', (chunk: Buffer) => {
      exchange.bytesOut += chunk.length;
      if (!res.write(chunk)) proxyRes.pause();
    });
    res.on('drain', () => proxyRes.resume());
    proxyRes.once('end', () => {
      // Trailer fields only for a client that said TE: trailers, as on the fast path.
      if (exchange.head.trailers && proxyRes.rawTrailers.length > 0) {
        try {
          res.addTrailers(pairs(proxyRes.rawTrailers));
        } catch (error) {
          // A trailer Node refuses to send: the answer is cut off, as any broken body is.
          exchange.code = 'R502';
          logger.warn({ app: exchange.app, backend: exchange.backend?.url, requestId: exchange.requestId, code: 'R502', reason: error instanceof Error ? error.message : 'trailer' }, 'backend sent a broken chunked body');
          res.destroy();
          return;
        }
      }
      res.end();
    });
    // Node reports a backend that died halfway as 'error' then 'close' on the response; without
    // this the client would wait for the rest forever.
    proxyRes.on('error', () => undefined);
    proxyRes.once('close', () => {
      if (proxyRes.complete || res.writableEnded || exchange.clientGone) return;
      exchange.code = 'R502';
      logger.warn({ app: exchange.app, backend: exchange.backend?.url, requestId: exchange.requestId, code: 'R502' }, 'backend closed the connection mid-response');
      res.destroy();
    });
  }

  /** A response head that cannot be passed on: a 502, and the backend connection is thrown away. */
  function invalidResponseHead(exchange: Exchange, res: http.ServerResponse, reason: string): void {
    logger.warn({ app: exchange.app, backend: exchange.backend?.url, requestId: exchange.requestId, code: 'R502', reason }, 'backend sent an invalid response head');
    abortBackend(exchange);
    detachBody(exchange);
    sendError(exchange, res, 'R502', `${exchange.app as string} sent a response the router cannot pass on`);
  }

  /** The backend switched protocols unasked: nothing it sends can be passed on, and it is not retried. */
  function unrequestedSwitch(exchange: Exchange, res: http.ServerResponse, proxyReq: http.ClientRequest): void {
    if (exchange.proxyReq !== proxyReq || exchange.clientGone || exchange.code !== null) return;
    logger.warn({ app: exchange.app, backend: exchange.backend?.url, requestId: exchange.requestId, code: 'R502', reason: UNREQUESTED_SWITCH }, 'backend sent an invalid response head');
    abortBackend(exchange);
    detachBody(exchange);
    sendError(exchange, res, 'R502', `${exchange.app as string} sent a response the router cannot pass on`);
  }

  function onResponseTimeout(exchange: Exchange, res: http.ServerResponse, proxyReq: http.ClientRequest): void {
    exchange.timer = null;
    if (exchange.proxyReq !== proxyReq || exchange.phase === 'responding' || exchange.phase === 'done') return;
    const seconds = settings.responseTimeoutMs / 1000;
    logger.warn({ app: exchange.app, backend: exchange.backend?.url, requestId: exchange.requestId, code: 'R504', seconds }, 'backend did not answer in time');
    abortBackend(exchange);
    sendError(exchange, res, 'R504', `${exchange.app as string} did not start answering within ${seconds} s`);
  }

  function onBackendError(
    exchange: Exchange,
    res: http.ServerResponse,
    proxyReq: http.ClientRequest,
    backend: BackendEntry,
    error: NodeJS.ErrnoException,
  ): void {
    // A request we aborted ourselves (timeout, client gone, retried elsewhere) says nothing new.
    if (exchange.proxyReq !== proxyReq || exchange.clientGone || exchange.code !== null) return;
    clearTimer(exchange);
    const app = exchange.app as string;
    if (exchange.phase === 'responding') {
      // The answer had started: the 'close' of the response cuts the client off.
      return;
    }
    const connectFailed = exchange.phase === 'connecting';
    const { retry, ejected } = exchange.attemptFailed(
      routes,
      backend,
      { connectFailed, reusedConnection: proxyReq.reusedSocket },
      { method: exchange.req.method ?? '', hasBody: hasBody(exchange), answerStarted: res.headersSent },
      settings,
      metrics,
    );
    warnBackend(exchange, backend, error, retry, ejected);
    exchange.proxyReq = null;
    if (retry) {
      forward(exchange, res);
      return;
    }
    detachBody(exchange);
    sendError(exchange, res, 'R502', unreachable(app));
  }

  function abortBackend(exchange: Exchange): void {
    const proxyReq = exchange.proxyReq;
    exchange.proxyReq = null;
    if (proxyReq && !proxyReq.destroyed) proxyReq.destroy();
  }

  function clearTimer(exchange: Exchange): void {
    if (exchange.timer) {
      clearTimeout(exchange.timer);
      exchange.timer = null;
    }
  }

  // ---------------------------------------------------------------- idle connections and bad requests

  function handleTimeout(socket: Duplex): void {
    const exchange = (socket as SocketWithExchange)[EXCHANGE];
    if (exchange === undefined || exchange.phase === 'done') {
      // Idle between requests (keep-alive) or during the head: nothing to answer.
      socket.destroy();
      return;
    }
    const res = (socket as Duplex & { _httpMessage?: http.ServerResponse })._httpMessage;
    const idleMs = (socket as Partial<Socket>).timeout;
    const seconds = idleMs === undefined ? null : idleMs / 1000;
    const code = idleCode({ answerStarted: exchange.phase === 'responding', bodyStillComing: !exchange.req.complete && hasBody(exchange) });
    logger.warn({ app: exchange.app, backend: exchange.backend?.url, requestId: exchange.requestId, code, seconds }, 'connection idle; ending the request');
    abortBackend(exchange);
    detachBody(exchange);
    if (code === 'R598' || res === undefined) {
      exchange.code = code;
      socket.destroy();
      return;
    }
    const message =
      code === 'R408'
        ? `The client sent nothing for ${seconds} s while sending the request.`
        : `${exchange.app as string} did not start answering within ${seconds} s`;
    sendError(exchange, res, code, message);
  }

  /**
   * For the server's 'clientError': bytes llhttp cannot read (or a limit broken). Requests read
   * before them are answered first, in turn; then the client gets a 400 (or 408, 414, 431) and
   * the connection closes, unless an answer before it already said `Connection: close`: after
   * that nothing more is written. A broken body of a request being passed on is that request's
   * own 400.
   */
  function handleClientError(error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex): void {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const latest = (socket as SocketWithExchange)[LATEST_ANSWER];
    if (latest !== undefined && !latest.writableFinished) {
      if (!latest.req.complete) {
        brokenBody(socket as SocketWithExchange, latest);
        return;
      }
      latest.once('close', () => answerClientError(error, socket, latest));
      return;
    }
    answerClientError(error, socket, latest);
  }

  /** The request being read when llhttp gave up was itself broken (in its body): 400 for it. */
  function brokenBody(socket: SocketWithExchange, res: http.ServerResponse): void {
    brokenRequests.add(res.req);
    const exchange = socket[EXCHANGE];
    if (exchange === undefined || exchange.req !== res.req) return; // not its turn yet: handleInTurn answers it
    if (res.headersSent) {
      // The app answered before the body was complete: its answer goes out, then the connection closes.
      res.once('close', () => socket.end());
      return;
    }
    abortBackend(exchange);
    detachBody(exchange);
    sendError(exchange, res, 'R400', BROKEN_REQUEST);
  }

  function answerClientError(error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex, latest: http.ServerResponse | undefined): void {
    if (!socket.writable || socket.destroyed) return;
    if (error.code === 'HPE_CLOSED_CONNECTION' || (latest !== undefined && endsConnection(latest, socket))) {
      // Bytes after a request that closes the connection (HTTP/1.0 without keep-alive, or an
      // answer that said close): not read, and not answered.
      socket.end();
      return;
    }
    let code: RouterErrorCode = 'R400';
    let message = BROKEN_REQUEST;
    if (error.code === 'HPE_HEADER_OVERFLOW') {
      code = overflowCode(error.rawPacket);
      message = code === 'R414' ? 'The request line is longer than 8192 bytes.' : 'The request head is larger than 65536 bytes.';
    } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'HPE_HEADER_TIMEOUT') {
      code = 'R408';
      message = 'The request head did not arrive in time.';
    }
    const page = renderErrorPage(code, message, undefined);
    socket.end(rawResponse(page.status, { ...page.headers, connection: 'close' }, page.body));
    logger.info({ status: page.status, code, error: error.code ?? error.message, bytes: Buffer.byteLength(page.body) }, 'request');
    metrics?.request('', page.status, 0, null, code);
  }

  function handleConnect(req: http.IncomingMessage, socket: Duplex): void {
    const exchange = new Exchange(req);
    exchange.head = scanRequestHead(req.rawHeaders);
    exchange.requestId = requestIdFor(exchange.head.requestId);
    exchange.host = exchange.head.host;
    socket.on('error', () => undefined);
    rejectUpgrade(exchange, socket, 'R501', 'The router opens no tunnels (CONNECT); send requests to the app itself.');
    logAccess(exchange, exchange.upgradeStatus ?? 501);
  }

  // ---------------------------------------------------------------- WebSockets (and other upgrades)

  function handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const exchange = new Exchange(req);
    inFlight += 1;
    // A client vanishing mid-handshake must not become an uncaught 'error'.
    socket.on('error', (error: Error) => logger.debug({ err: error }, 'client socket error during upgrade'));
    socket.once('close', () => {
      inFlight -= 1;
      exchange.phase = 'done';
      exchange.clientGone = true;
      abortBackend(exchange);
      const client = socket as Duplex & { bytesWritten?: number; bytesRead?: number };
      exchange.bytesOut = client.bytesWritten ?? 0;
      exchange.bytesIn = client.bytesRead ?? 0;
      logAccess(exchange, exchange.upgradeStatus ?? 499, { upgrade: true });
    });
    if (settings.idleTimeoutMs > 0) {
      (socket as Socket).setTimeout(settings.idleTimeoutMs);
      socket.once('timeout', () => {
        abortBackend(exchange);
        if (exchange.phase === 'responding') {
          exchange.code = 'R598';
          socket.destroy();
        } else {
          rejectUpgrade(exchange, socket, 'R504', `${exchange.app ?? 'The app'} did not answer the upgrade within ${settings.idleTimeoutMs / 1000} s`);
        }
      });
    }
    const refused = route(exchange);
    if (refused) {
      rejectUpgrade(exchange, socket, refused.code, refused.message);
      return;
    }
    if (hasBody(exchange)) {
      // node:http hands an upgrade over as soon as its head is read, with part of the body read
      // into `req` and the rest still on the socket: no sure way to tell where the body ends and
      // the new protocol starts. So it is refused, with an answer (docs/router.md, "Parsing and framing").
      rejectUpgrade(exchange, socket, 'R400', 'An upgrade request with a body is not carried: send the body without Upgrade, or after the upgrade.');
      return;
    }
    exchange.outHeaders = outgoingHeaders(exchange, true);
    connectUpgrade(exchange, socket, head);
  }

  function connectUpgrade(exchange: Exchange, socket: Duplex, head: Buffer): void {
    const app = exchange.app as string;
    const attempt = exchange.nextAttempt(routes);
    if (!('backend' in attempt)) {
      rejectUpgrade(exchange, socket, attempt.code, attempt.message);
      return;
    }
    const { backend } = attempt;
    const req = exchange.req;
    exchange.backend = backend;
    exchange.attempts += 1;
    exchange.phase = 'connecting';
    exchange.sentAt = performance.now();
    backend.active += 1;
    let released = false;
    const release = (): void => {
      if (!released) {
        released = true;
        backend.active -= 1;
      }
    };
    socket.once('close', release);
    // A connection of its own: an upgraded connection never goes back to a pool.
    const proxyReq = http.request({
      hostname: backend.hostname,
      port: backend.port,
      method: req.method,
      path: exchange.path,
      headers: exchange.outHeaders,
      agent: false,
      setHost: false,
      timeout: settings.connectTimeoutMs,
    });
    exchange.proxyReq = proxyReq;
    proxyReq.once('socket', (backendSocket: Socket) => {
      backendSocket.once('connect', () => {
        if (exchange.phase === 'connecting') exchange.phase = 'waiting';
        proxyReq.setTimeout(0);
      });
    });
    proxyReq.once('timeout', () => proxyReq.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })));
    proxyReq.on('error', (error: NodeJS.ErrnoException) => {
      if (exchange.proxyReq !== proxyReq || exchange.clientGone) return;
      release();
      exchange.proxyReq = null;
      const connectFailed = exchange.phase === 'connecting';
      // A handshake that reached the backend is never sent twice: it counts as a request with a body.
      const { retry, ejected } = exchange.attemptFailed(
        routes,
        backend,
        { connectFailed, reusedConnection: false },
        { method: req.method ?? 'GET', hasBody: true, answerStarted: false },
        settings,
        metrics,
      );
      warnBackend(exchange, backend, error, retry, ejected);
      if (retry) {
        connectUpgrade(exchange, socket, head);
        return;
      }
      if (exchange.upgradeStatus === undefined) rejectUpgrade(exchange, socket, 'R502', unreachable(app));
      else socket.destroy();
    });
    proxyReq.once('upgrade', (proxyRes: http.IncomingMessage, backendSocket: Socket, backendHead: Buffer) => {
      if (exchange.clientGone) {
        backendSocket.destroy();
        return;
      }
      if (!isFieldText(proxyRes.statusMessage ?? '')) {
        backendSocket.destroy();
        badUpgradeAnswer(exchange, socket);
        return;
      }
      exchange.phase = 'responding';
      exchange.firstByteAt = performance.now();
      exchange.upgradeStatus = proxyRes.statusCode ?? 101;
      exchange.proxyReq = null;
      const headers = clientResponseHeaders(proxyRes.rawHeaders, exchange.requestId, true);
      socket.write(rawHead(exchange.upgradeStatus, proxyRes.statusMessage, headers));
      if (backendHead.length > 0) socket.write(backendHead);
      if (head.length > 0) backendSocket.write(head);
      tunnel(socket, backendSocket);
    });
    proxyReq.once('response', (proxyRes: http.IncomingMessage) => {
      // The backend answered without upgrading (a 400, a 404…): pass that answer on, then close.
      if (!isFieldText(proxyRes.statusMessage ?? '')) {
        proxyRes.resume();
        badUpgradeAnswer(exchange, socket);
        return;
      }
      exchange.phase = 'responding';
      exchange.firstByteAt = performance.now();
      exchange.upgradeStatus = proxyRes.statusCode ?? 502;
      const headers = clientResponseHeaders(proxyRes.rawHeaders, exchange.requestId);
      headers.push('Connection', 'close');
      socket.write(rawHead(exchange.upgradeStatus, proxyRes.statusMessage, headers));
      proxyRes.pipe(socket);
    });
    proxyReq.end();
  }

  /**
   * Bytes both ways until either side closes (or the client side is idle too long, see above).
   * The HTTP server's sockets allow half-open connections; a tunnel does not: once one side is
   * done, the other is ended after what is already buffered has been written.
   */
  function tunnel(client: Duplex, backend: Socket): void {
    (client as { allowHalfOpen: boolean }).allowHalfOpen = false;
    backend.on('error', () => client.destroy());
    client.on('error', () => backend.destroy());
    backend.once('close', () => (client as Socket).destroySoon());
    client.once('close', () => backend.destroySoon());
    backend.pipe(client);
    client.pipe(backend);
  }

  /** An answer to an upgrade whose head cannot be passed on (a control byte in its reason phrase). */
  function badUpgradeAnswer(exchange: Exchange, socket: Duplex): void {
    const proxyReq = exchange.proxyReq;
    exchange.proxyReq = null;
    proxyReq?.destroy();
    logger.warn({ app: exchange.app, backend: exchange.backend?.url, requestId: exchange.requestId, code: 'R502', reason: 'reason phrase' }, 'backend sent an invalid response head');
    rejectUpgrade(exchange, socket, 'R502', `${exchange.app as string} sent a response the router cannot pass on`);
  }

  function rejectUpgrade(exchange: Exchange, socket: Duplex, code: RouterErrorCode, message: string): void {
    exchange.code = code;
    const page = renderErrorPage(code, message, exchange.head?.accept);
    exchange.upgradeStatus = page.status;
    if (!socket.writable) return;
    socket.end(rawResponse(page.status, { ...page.headers, 'x-request-id': exchange.requestId, connection: 'close' }, page.body));
  }

  return {
    handleRequest: (req, res) => handleRequest(req, res, false),
    handleCheckContinue: (req, res) => handleRequest(req, res, true),
    handleUpgrade,
    handleTimeout,
    handleConnect,
    handleClientError,
    inFlight: () => inFlight,
    close: () => undefined,
  };
}

/** [name, value, name, value, …] as [[name, value], …] (repeated names kept). */
function pairs(raw: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i] as string, raw[i + 1] as string]);
  return out;
}

function isHealthCheck(req: http.IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const url = req.url ?? '';
  if (!url.startsWith(HEALTH_PATH)) return false;
  return url.length === HEALTH_PATH.length || url[HEALTH_PATH.length] === '?';
}

/**
 * The HTTP side of the router: picks a backend for each request by its Host header (round robin
 * over the app's web processes), passes the request on through http-proxy, answers with a coded
 * error page when it cannot, and writes one access-log line per request.
 *
 * It only reads a RouteLookup; where the routes come from (etcd) is not its business.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import type { Logger } from '../lib/log';
import { renderErrorPage, type RouterErrorCode } from './error-pages';
import { forwardedHeaders } from './forwarded-headers';
import { HEALTH_PATH, type HealthReport } from './health';
import { removeHopByHopHeaders } from './hop-by-hop';
import { normalizeHost } from './host-header';
import type { Backend, RouteLookup } from './route-table';

export interface RouterProxyOptions {
  readonly routes: RouteLookup;
  readonly health: () => HealthReport;
  readonly logger: Logger;
  /** Pooled keep-alive connections to backends; the caller owns it and destroys it on shutdown. */
  readonly agent: http.Agent;
  /** How many different backends one request may try when connecting fails. */
  readonly maxAttempts?: number;
}

export interface RouterProxy {
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse): void;
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

/** What the access log line says about one request; filled in as the request proceeds. */
interface Exchange {
  readonly startedAt: bigint;
  host: string | undefined;
  app: string | undefined;
  backend: string | undefined;
  code: RouterErrorCode | null;
  attempts: number;
  /** Only for WebSocket handshakes, where there is no ServerResponse to read it from. */
  upgradeStatus: number | undefined;
}

/** Errors that happen before the backend could have seen a single byte of the request. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * A reset on a pooled keep-alive connection usually means the backend closed it just as we
 * reused it; for these methods sending the request again elsewhere is safe.
 */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function createRouterProxy(options: RouterProxyOptions): RouterProxy {
  const { routes, logger, agent } = options;
  const maxAttempts = options.maxAttempts ?? 3;
  const proxy = httpProxy.createProxyServer({ xfwd: false, ws: true });
  const upgradeExchanges = new WeakMap<http.IncomingMessage, Exchange>();
  const exchanges = new WeakMap<http.ServerResponse, Exchange>();

  // Every proxy.web/ws call below passes its own error callback; this only catches the unexpected.
  proxy.on('error', (error: Error) => logger.error({ err: error }, 'proxy error'));
  proxy.on('proxyRes', (proxyRes: http.IncomingMessage, _req: http.IncomingMessage, res: http.ServerResponse) => {
    // http-proxy pipes the backend's answer to the client but does not notice when the backend
    // dies halfway; without this the client would wait for the rest forever.
    proxyRes.once('close', () => {
      if (proxyRes.complete || res.writableEnded) return;
      const exchange = exchanges.get(res);
      if (exchange) exchange.code = 'R502';
      logger.warn({ app: exchange?.app, backend: exchange?.backend, code: 'R502' }, 'backend closed the connection mid-response');
      res.destroy();
    });
  });
  proxy.on('proxyReqWs', (proxyReq: http.ClientRequest, req: http.IncomingMessage) => {
    const exchange = upgradeExchanges.get(req);
    if (!exchange) return;
    proxyReq.once('upgrade', () => (exchange.upgradeStatus = 101));
    proxyReq.once('response', (response: http.IncomingMessage) => (exchange.upgradeStatus = response.statusCode));
  });

  function logAccess(req: http.IncomingMessage, status: number | undefined, exchange: Exchange, finished: boolean): void {
    const durationMs = Math.round(Number(process.hrtime.bigint() - exchange.startedAt) / 1e5) / 10;
    logger.info(
      {
        method: req.method,
        path: req.url,
        host: exchange.host,
        app: exchange.app ?? null,
        status: status ?? null,
        durationMs,
        backend: exchange.backend ?? null,
        code: exchange.code,
        attempts: exchange.attempts,
        ...(finished ? {} : { clientAborted: true }),
      },
      'request',
    );
  }

  function sendError(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    exchange: Exchange,
    code: RouterErrorCode,
    message: string,
  ): void {
    exchange.code = code;
    if (res.headersSent) {
      // Part of the backend's answer is already on its way; cutting the connection is the only
      // honest way to tell the client it is incomplete.
      res.destroy();
      return;
    }
    const page = renderErrorPage(code, message, req.headers.accept);
    res.writeHead(page.status, page.headers);
    res.end(req.method === 'HEAD' ? undefined : page.body);
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

  /** Routing shared by plain requests and WebSocket handshakes: which app, or which error. */
  function route(
    req: http.IncomingMessage,
    exchange: Exchange,
  ): { app: string } | { code: RouterErrorCode; message: string } {
    const host = normalizeHost(req.headers.host);
    exchange.host = host ?? req.headers.host;
    if (host === null) {
      return { code: 'R400', message: 'The request has no usable Host header, so the router cannot tell which app it is for.' };
    }
    if (!routes.loaded) {
      return { code: 'R510', message: 'The router has not loaded its routes yet; please retry in a moment.' };
    }
    const app = routes.appForHost(host);
    if (app === undefined) return { code: 'R404', message: `No app is served at ${host}` };
    exchange.app = app;
    return { app };
  }

  function prepareHeaders(req: http.IncomingMessage, isUpgrade: boolean): void {
    removeHopByHopHeaders(req.headers, isUpgrade);
    Object.assign(
      req.headers,
      forwardedHeaders({
        remoteAddress: req.socket.remoteAddress,
        localPort: req.socket.localPort,
        host: req.headers.host ?? '',
        forwardedFor: req.headers['x-forwarded-for'],
      }),
    );
  }

  function canRetry(req: http.IncomingMessage, error: NodeJS.ErrnoException): boolean {
    const contentLength = req.headers['content-length'];
    const hasBody = (contentLength !== undefined && contentLength !== '0') || req.headers['transfer-encoding'] !== undefined;
    // A body has been streamed into the failed attempt and cannot be replayed.
    if (hasBody) return false;
    if (error.code !== undefined && CONNECT_ERRORS.has(error.code)) return true;
    return error.code === 'ECONNRESET' && IDEMPOTENT_METHODS.has(req.method ?? '');
  }

  function forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    exchange: Exchange,
    app: string,
    failed: Set<string>,
  ): void {
    const backend = routes.nextBackend(app, failed);
    if (backend === undefined) {
      if (failed.size === 0) sendError(req, res, exchange, 'R503', `${app} has no running web process`);
      else sendError(req, res, exchange, 'R502', `${app} could not be reached: its web process refused or dropped the connection`);
      return;
    }
    exchange.backend = backend.url;
    exchange.attempts += 1;
    let settled = false;
    proxy.web(req, res, { target: backend.url, agent }, (error: NodeJS.ErrnoException) => {
      // http-proxy may report one failure twice (request and response side); handle it once.
      if (settled) return;
      settled = true;
      onBackendError(req, res, exchange, app, failed, backend, error);
    });
  }

  function onBackendError(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    exchange: Exchange,
    app: string,
    failed: Set<string>,
    backend: Backend,
    error: NodeJS.ErrnoException,
  ): void {
    failed.add(backend.instanceId);
    const clientGone = req.socket.destroyed;
    const retry = !clientGone && !res.headersSent && failed.size < maxAttempts && canRetry(req, error);
    logger.warn(
      { app, host: exchange.host, backend: backend.url, error: error.code ?? error.message, code: 'R502', retry },
      'backend connection failed',
    );
    if (clientGone) {
      exchange.code = 'R502';
      return;
    }
    if (retry) {
      forward(req, res, exchange, app, failed);
      return;
    }
    sendError(req, res, exchange, 'R502', `${app} could not be reached: its web process refused or dropped the connection`);
  }

  function handleRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (isHealthCheck(req)) {
      answerHealth(req, res);
      return;
    }
    const exchange = newExchange();
    exchanges.set(res, exchange);
    res.once('close', () => logAccess(req, res.statusCode, exchange, res.writableFinished));
    const decision = route(req, exchange);
    if ('code' in decision) {
      sendError(req, res, exchange, decision.code, decision.message);
      return;
    }
    prepareHeaders(req, false);
    forward(req, res, exchange, decision.app, new Set());
  }

  function handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const exchange = newExchange();
    upgradeExchanges.set(req, exchange);
    // A client vanishing mid-handshake must not become an uncaught 'error'.
    socket.on('error', (error: Error) => logger.debug({ err: error }, 'client socket error during upgrade'));
    socket.once('close', () => logAccess(req, exchange.upgradeStatus, exchange, true));
    const decision = route(req, exchange);
    if ('code' in decision) {
      rejectUpgrade(socket, req, exchange, decision.code, decision.message);
      return;
    }
    const backend = routes.nextBackend(decision.app);
    if (backend === undefined) {
      rejectUpgrade(socket, req, exchange, 'R503', `${decision.app} has no running web process`);
      return;
    }
    exchange.backend = backend.url;
    exchange.attempts = 1;
    prepareHeaders(req, true);
    let settled = false;
    proxy.ws(req, socket, head, { target: backend.url }, (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      logger.warn({ app: decision.app, backend: backend.url, error: error.code ?? error.message, code: 'R502' }, 'backend connection failed');
      // http-proxy ends the socket right after this callback; the error page goes out first.
      if (exchange.upgradeStatus === undefined) {
        rejectUpgrade(socket, req, exchange, 'R502', `${decision.app} could not be reached: its web process refused or dropped the connection`);
      }
    });
  }

  function rejectUpgrade(socket: Duplex, req: http.IncomingMessage, exchange: Exchange, code: RouterErrorCode, message: string): void {
    exchange.code = code;
    const page = renderErrorPage(code, message, req.headers.accept);
    exchange.upgradeStatus = page.status;
    if (!socket.writable) return;
    const head = [`HTTP/1.1 ${page.status} ${http.STATUS_CODES[page.status] ?? ''}`];
    for (const [name, value] of Object.entries(page.headers)) head.push(`${name}: ${value}`);
    head.push('connection: close');
    socket.end(`${head.join('\r\n')}\r\n\r\n${page.body}`);
  }

  return {
    handleRequest,
    handleUpgrade,
    close: () => proxy.close(),
  };
}

function newExchange(): Exchange {
  return {
    startedAt: process.hrtime.bigint(),
    host: undefined,
    app: undefined,
    backend: undefined,
    code: null,
    attempts: 0,
    upgradeStatus: undefined,
  };
}

function isHealthCheck(req: http.IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const url = req.url ?? '';
  const queryStart = url.indexOf('?');
  return (queryStart < 0 ? url : url.slice(0, queryStart)) === HEALTH_PATH;
}

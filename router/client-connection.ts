/**
 * One client connection of the router's fast path (router/fast-proxy.ts explains the path),
 * as a class of its own so it can be tested over a fake socket (test/unit/router/client-connection.test.ts).
 */
import type { Logger } from '../lib/log';
import type { AccessLog } from './access-log';
import { ExchangeFacts, unreachable, type ProxyRoutes } from './exchange';
import { BackendConnection, type BackendConnectionUser, type BackendPool } from './backend-pool';
import { renderErrorPage, type RouterErrorCode } from './error-pages';
import { forwardedHeaders } from './forwarded-headers';
import { HEALTH_PATH } from './health';
import { BROKEN, ChunkedBody } from './chunked-body';
import { parseRequestHead, parseResponseHead, type BodyFraming, type FastRequestHead } from './http1';
import type { RequestMetrics } from './metrics';
import { idleCode, type ProxySettings } from './proxy-policy';
import { writeHeadAndBody, type ProxySocket } from './proxy-socket';
import { MAX_HEAD_BYTES, requestIdFor } from './request-head';
import { rawResponse, resolveApp } from './routing';

export interface FastProxyOptions {
  readonly routes: ProxyRoutes;
  readonly pool: BackendPool;
  readonly logger: Logger;
  readonly metrics?: RequestMetrics;
  /** Where each request's access line and metrics go. */
  readonly accessLog: AccessLog;
  readonly settings: ProxySettings;
  /** A kept-alive client connection with no request is closed after this long. */
  readonly keepAliveTimeoutMs: number;
  /** A request head must be complete within this long of its first byte. */
  readonly headersTimeoutMs: number;
  /** Hands the connection to Node's HTTP server and the full proxy, with the bytes already read. */
  readonly handOff: (socket: ProxySocket, buffered: Buffer | null) => void;
  /** Requests for this app must take the full proxy (it redirects plain HTTP to HTTPS). */
  readonly needsFullProxy?: (app: string) => boolean;
}

/** Logged with an answer the client did not get whole (as the full proxy logs it). */
const CUT = { clientAborted: true } as const;
/** Up to this, body bytes already read go out in the same write as the head. */
const SMALL_BODY_BYTES = 16 * 1024;

const enum Phase {
  /** Between requests, or reading a head. */
  Head,
  /** Connecting to a backend (nothing sent yet). */
  Connecting,
  /** Request sent (or its body still being sent); no answer yet. */
  Waiting,
  /** The answer is being passed on. */
  Responding,
  /** The connection is done with (closed, or handed to the full proxy). */
  Gone,
}

/** What the connections of one fast path share: its options, whether it is closing, its counts. */
export class FastPathState {
  closing = false;
  /** Requests in progress. */
  inFlight = 0;
  readonly open = new Set<ClientConnection>();

  constructor(readonly options: FastProxyOptions) {}
}

/** One request on the fast path: the shared facts, its parsed head and the status answered. */
export class Exchange extends ExchangeFacts {
  status = 0;

  constructor(readonly head: FastRequestHead) {
    super();
  }
}

/**
 * One client connection on the fast path, from its first byte until it closes or is handed to
 * the full proxy: reads request heads (router/http1.ts), sends each request to a backend
 * connection from the pool, passes the answer back (router/chunked-body.ts for chunked bodies),
 * and answers with the router's own error pages when it cannot.
 */
export class ClientConnection implements BackendConnectionUser {
  private readonly options: FastProxyOptions;

  private phase = Phase.Head;
  /** Bytes read but not yet used: a partial head, or pipelined requests waiting their turn. */
  private buffered: Buffer | null = null;
  private exchange: Exchange | null = null;
  private backendConnection: BackendConnection | null = null;
  /** The client's head and body already read, kept until a backend connection is up. */
  private outgoingHead = '';
  private outgoingBody: Buffer[] = [];
  /** Body bytes still to come from the client. */
  private bodyRemaining = 0;
  private requestSent = false;
  /** Response parsing state. */
  private responseBuffer: Buffer | null = null;
  private framing: BodyFraming | null = null;
  private responseRemaining = 0;
  private chunked: ChunkedBody | null = null;
  private backendReusable = false;
  /** When (Date.now()) the backend must have started answering; 0: no deadline now. */
  private responseDueAt = 0;
  /** Last byte read from or written to the client (Date.now()), for the idle and keep-alive timeouts. */
  private lastActive = Date.now();
  /** Close the client connection once the current answer is out. */
  private closeAfter = false;
  private clientEnded = false;
  private headStartedAt = 0;

  constructor(
    readonly socket: ProxySocket,
    private readonly shared: FastPathState,
  ) {
    this.options = shared.options;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onClientData(chunk));
    socket.on('end', () => this.onClientEnd());
    socket.on('drain', () => this.backendConnection?.socket.resume());
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => this.onClientClose());
  }

  // ------------------------------------------------------------ the client side

  private onClientData(chunk: Buffer): void {
    if (this.phase === Phase.Gone) return;
    this.lastActive = Date.now();
    if (this.bodyRemaining > 0) {
      this.takeBody(chunk);
      return;
    }
    this.buffered = this.buffered === null ? chunk : Buffer.concat([this.buffered, chunk]);
    if (this.phase === Phase.Head) {
      this.readHead();
    } else if (this.buffered.length > MAX_HEAD_BYTES) {
      // Pipelined requests pile up behind a slow one: stop reading until it is answered.
      this.socket.pause();
    }
  }

  private readHead(): void {
    const buffer = this.buffered;
    if (buffer === null || buffer.length === 0) return;
    if (this.headStartedAt === 0) this.headStartedAt = this.lastActive;
    const result = parseRequestHead(buffer);
    if (result.kind === 'incomplete') return;
    if (result.kind === 'fallback') {
      this.handOff();
      return;
    }
    const head = result.head;
    if (isHealthCheck(head)) {
      this.handOff();
      return;
    }
    const resolved = resolveApp(this.options.routes, head.host, 1);
    if (resolved.ok && this.options.needsFullProxy?.(resolved.app) === true) {
      this.handOff();
      return;
    }
    // The request is ours from here.
    this.headStartedAt = 0;
    const rest = buffer.length > head.headBytes ? buffer.subarray(head.headBytes) : null;
    this.buffered = null;
    const exchange = new Exchange(head);
    this.exchange = exchange;
    this.shared.inFlight += 1;
    exchange.requestId = requestIdFor(head.requestId);
    exchange.host = resolved.host;
    if (head.close) this.closeAfter = true;
    this.bodyRemaining = head.contentLength;
    this.requestSent = false;
    this.outgoingHead = this.backendHead(exchange);

    if (!resolved.ok) {
      this.refuse(resolved.code, resolved.message, rest);
      return;
    }
    exchange.app = resolved.app;
    if (this.options.settings.maxBodyBytes > 0 && head.contentLength > this.options.settings.maxBodyBytes) {
      this.refuse('R413', `The request body (${head.contentLength} bytes) is larger than the router accepts (${this.options.settings.maxBodyBytes} bytes).`, rest);
      return;
    }
    if (rest !== null) this.takeBody(rest);
    this.forward();
  }

  /** The head as the backend gets it: the client's, with the router's forwarding headers. */
  private backendHead(exchange: Exchange): string {
    const socket = this.socket;
    const forwarded = forwardedHeaders({
      remoteAddress: socket.remoteAddress,
      localPort: socket.localPort,
      host: exchange.head.host,
      forwardedFor: exchange.head.forwardedFor,
      encrypted: false,
    });
    exchange.fwd = forwarded['x-forwarded-for'];
    return (
      `${exchange.head.forwardedHead}\r\nX-Forwarded-For: ${forwarded['x-forwarded-for']}\r\nX-Forwarded-Proto: ${forwarded['x-forwarded-proto']}` +
      `\r\nX-Forwarded-Host: ${forwarded['x-forwarded-host']}\r\nX-Forwarded-Port: ${forwarded['x-forwarded-port']}\r\nX-Request-Id: ${exchange.requestId}\r\n\r\n`
    );
  }

  /** Body bytes from the client (and, past the body's end, the start of the next request). */
  private takeBody(chunk: Buffer): void {
    const exchange = this.exchange;
    let body = chunk;
    if (chunk.length > this.bodyRemaining) {
      body = chunk.subarray(0, this.bodyRemaining);
      const next = chunk.subarray(this.bodyRemaining);
      this.buffered = this.buffered === null ? next : Buffer.concat([this.buffered, next]);
    }
    this.bodyRemaining -= body.length;
    if (exchange === null || exchange.code !== null) return; // being refused: the body is dropped
    exchange.bytesIn += body.length;
    const connection = this.backendConnection;
    if (connection !== null && connection.connected && this.requestSent) {
      if (!connection.socket.write(body)) this.socket.pause();
    } else {
      this.outgoingBody.push(body);
      // Nowhere to send it yet: read no more until the backend is there.
      if (this.bodyRemaining > 0) this.socket.pause();
    }
    if (this.bodyRemaining === 0 && this.requestSent) this.requestComplete();
  }

  private onClientEnd(): void {
    this.clientEnded = true;
    if (this.phase === Phase.Head && this.exchange === null) {
      this.socket.end();
      return;
    }
    // Half-closed mid-request: the answer still goes out, then the connection closes.
    this.closeAfter = true;
    if (this.bodyRemaining > 0) {
      // The body will never be complete.
      this.abortBackend();
      this.finish(this.exchange?.status || 499, 'R499', CUT);
      this.socket.destroy();
    }
  }

  private onClientTimeout(): void {
    const exchange = this.exchange;
    if (this.phase === Phase.Gone) {
      this.socket.destroy();
      return;
    }
    if (exchange === null) {
      if (this.buffered !== null && this.buffered.length > 0) {
        // A head that never completed (slow loris): answered like Node's headers timeout.
        this.writeError('R408', 'The request head did not arrive in time.', undefined, undefined, true);
        this.options.logger.info({ status: 408, code: 'R408', error: 'HPE_HEADER_TIMEOUT' }, 'request');
        this.options.metrics?.request('', 408, 0, null, 'R408');
        this.phase = Phase.Gone;
        this.socket.end();
        return;
      }
      this.socket.destroy();
      return;
    }
    const seconds = this.options.settings.idleTimeoutMs / 1000;
    const code = idleCode({ answerStarted: this.phase === Phase.Responding, bodyStillComing: this.bodyRemaining > 0 });
    this.options.logger.warn({ app: exchange.app, backend: exchange.backend?.url, requestId: exchange.requestId, code, seconds }, 'connection idle; ending the request');
    this.abortBackend();
    if (code === 'R598') {
      exchange.code = code;
      this.finish(exchange.status, code, CUT);
      this.socket.destroy();
      return;
    }
    const message = code === 'R408' ? `The client sent nothing for ${seconds} s while sending the request.` : `${exchange.app as string} did not start answering within ${seconds} s`;
    this.fail(code, message);
  }

  private onClientClose(): void {
    this.shared.open.delete(this);
    const exchange = this.exchange;
    const wasGone = this.phase === Phase.Gone;
    this.phase = Phase.Gone;
    if (exchange !== null && !wasGone) {
      // The client left (or was cut off) before the answer was complete.
      this.abortBackend();
      exchange.code ??= 'R499';
      this.finish(exchange.status || 499, exchange.code, CUT);
    }
    this.clearResponseTimer();
  }

  // ------------------------------------------------------------ to the backend

  private forward(): void {
    const exchange = this.exchange as Exchange;
    const attempt = exchange.nextAttempt(this.options.routes);
    if (!('backend' in attempt)) {
      this.fail(attempt.code, attempt.message);
      return;
    }
    const { backend, fresh } = attempt;
    exchange.backend = backend;
    exchange.attempts += 1;
    exchange.sentAt = performance.now();
    backend.active += 1;
    this.phase = Phase.Connecting;
    const connection = this.options.pool.acquire(backend, this, fresh);
    this.backendConnection = connection;
    if (connection.connected) this.sendRequest(connection);
  }

  onConnect(connection: BackendConnection): void {
    if (connection !== this.backendConnection) return;
    this.sendRequest(connection);
  }

  /** The connection is up: everything read so far goes out, the rest of the body follows. */
  private sendRequest(connection: BackendConnection): void {
    this.phase = Phase.Waiting;
    this.requestSent = true;
    const socket = connection.socket;
    const body = this.outgoingBody;
    let flowing: boolean;
    // One write, so one system call, whenever the body read so far is small.
    if (body.length === 0) flowing = socket.write(this.outgoingHead, 'latin1');
    else if (body.length === 1 && (body[0] as Buffer).length <= SMALL_BODY_BYTES) flowing = writeHeadAndBody(socket, this.outgoingHead, body[0] as Buffer);
    else {
      socket.cork();
      socket.write(this.outgoingHead, 'latin1');
      for (const part of body) flowing = socket.write(part);
      socket.uncork();
      flowing = !socket.writableNeedDrain;
    }
    if (this.bodyRemaining > 0) {
      if (flowing) this.socket.resume();
    } else {
      this.requestComplete();
    }
  }

  /** The whole request is with the backend: the answer's clock starts. */
  private requestComplete(): void {
    if (this.options.settings.responseTimeoutMs > 0 && this.phase === Phase.Waiting) this.responseDueAt = Date.now() + this.options.settings.responseTimeoutMs;
  }

  onDrain(connection: BackendConnection): void {
    if (connection === this.backendConnection && this.bodyRemaining > 0) this.socket.resume();
  }

  private onResponseTimeout(): void {
    this.responseDueAt = 0;
    const exchange = this.exchange;
    if (exchange === null || this.phase !== Phase.Waiting) return;
    const seconds = this.options.settings.responseTimeoutMs / 1000;
    this.options.logger.warn({ app: exchange.app, backend: exchange.backend?.url, requestId: exchange.requestId, code: 'R504', seconds }, 'backend did not answer in time');
    this.abortBackend();
    this.fail('R504', `${exchange.app as string} did not start answering within ${seconds} s`);
  }

  // ------------------------------------------------------------ from the backend

  onData(connection: BackendConnection, chunk: Buffer): void {
    if (connection !== this.backendConnection) return;
    if (this.phase === Phase.Responding) {
      this.passBody(connection, chunk);
      return;
    }
    this.responseBuffer = this.responseBuffer === null ? chunk : Buffer.concat([this.responseBuffer, chunk]);
    this.readResponseHead(connection);
  }

  private readResponseHead(connection: BackendConnection): void {
    const exchange = this.exchange as Exchange;
    for (;;) {
      const buffer = this.responseBuffer as Buffer;
      const result = parseResponseHead(buffer, exchange.head.method === 'HEAD');
      if (result.kind === 'incomplete') return;
      if (result.kind === 'invalid') {
        this.options.logger.warn({ app: exchange.app, backend: exchange.backend?.url, requestId: exchange.requestId, code: 'R502', reason: result.reason }, 'backend sent an invalid response head');
        this.abortBackend();
        this.fail('R502', `${exchange.app as string} sent a response the router cannot pass on`);
        return;
      }
      if (result.kind === 'interim') {
        this.responseBuffer = buffer.length > result.headBytes ? buffer.subarray(result.headBytes) : null;
        if (this.responseBuffer === null) return;
        continue;
      }
      const head = result.head;
      this.clearResponseTimer();
      this.phase = Phase.Responding;
      exchange.firstByteAt = performance.now();
      exchange.status = head.status;
      this.framing = head.framing;
      this.backendReusable = head.reusable;
      if (head.framing.kind === 'close' || this.shared.closing) this.closeAfter = true;
      // A backend that answers before taking the whole body gets no more of it, and the
      // client's connection cannot be reused (the rest of its body would be read as a request).
      if (this.bodyRemaining > 0) {
        this.closeAfter = true;
        this.backendReusable = false;
      }
      const clientHead = `${head.clientHead}\r\nX-Request-Id: ${exchange.requestId}${this.closeAfter ? '\r\nConnection: close' : ''}\r\n\r\n`;
      const rest = buffer.length > head.headBytes ? buffer.subarray(head.headBytes) : null;
      this.responseBuffer = null;
      this.lastActive = Date.now();
      if (head.framing.kind === 'length') this.responseRemaining = head.framing.length;
      else if (head.framing.kind === 'chunked') this.chunked = new ChunkedBody(exchange.head.trailers);
      if (head.framing.kind === 'none') {
        if (rest !== null) this.backendReusable = false; // bytes past the end: out of step
        this.socket.write(clientHead, 'latin1');
        this.responseDone();
        return;
      }
      if (rest === null) this.socket.write(clientHead, 'latin1');
      // The head goes out only once the body bytes read with it are known to be sound, so a
      // broken body read with its head is answered with a 502 instead of a cut connection.
      else this.passBody(connection, rest, clientHead);
      return;
    }
  }

  /** Passes response body bytes on; `head`: the response head, not sent yet, to go out with them. */
  private passBody(connection: BackendConnection, chunk: Buffer, head?: string): void {
    const exchange = this.exchange as Exchange;
    const framing = this.framing as BodyFraming;
    let body = chunk;
    let complete = false;
    let ending = '';
    if (framing.kind === 'length') {
      if (chunk.length >= this.responseRemaining) {
        if (chunk.length > this.responseRemaining) {
          body = chunk.subarray(0, this.responseRemaining);
          this.backendReusable = false;
        }
        complete = true;
      }
      this.responseRemaining -= body.length;
    } else if (framing.kind === 'chunked') {
      const scanner = this.chunked as ChunkedBody;
      const passed = scanner.scan(chunk);
      if (passed === BROKEN) {
        this.brokenBody(scanner.problem, head === undefined);
        return;
      }
      if (passed < chunk.length) body = chunk.subarray(0, passed);
      if (scanner.done) {
        if (scanner.bodyEnd < chunk.length) this.backendReusable = false; // bytes past the end: out of step
        ending = scanner.ending;
        complete = true;
      }
    }
    exchange.bytesOut += body.length + ending.length;
    this.lastActive = Date.now();
    let flowing: boolean;
    if (head === undefined) flowing = this.socket.write(body);
    else if (body.length <= SMALL_BODY_BYTES) flowing = writeHeadAndBody(this.socket, head, body);
    else {
      this.socket.cork();
      this.socket.write(head, 'latin1');
      flowing = this.socket.write(body);
      this.socket.uncork();
    }
    if (ending !== '') flowing = this.socket.write(ending, 'latin1');
    if (!flowing) connection.socket.pause();
    if (complete) this.responseDone();
  }

  /**
   * The backend's chunked body broke the grammar: nothing more of it goes anywhere and its
   * connection is thrown away. A client that has not had the head yet gets a 502; one that has
   * is cut off, the only honest way left to say the answer is incomplete.
   */
  private brokenBody(problem: string, headSent: boolean): void {
    const exchange = this.exchange as Exchange;
    this.options.logger.warn({ app: exchange.app, backend: exchange.backend?.url, requestId: exchange.requestId, code: 'R502', reason: problem }, 'backend sent a broken chunked body');
    this.abortBackend();
    if (headSent) {
      exchange.code = 'R502';
      this.finish(exchange.status, 'R502', CUT);
      this.socket.destroy();
      return;
    }
    this.phase = Phase.Waiting;
    this.fail('R502', `${exchange.app as string} sent a response the router cannot pass on`);
  }

  onEnd(connection: BackendConnection): void {
    if (connection !== this.backendConnection) return;
    if (this.phase === Phase.Responding && this.framing?.kind === 'close') {
      this.backendReusable = false;
      this.responseDone();
      return;
    }
    // Anything else: treated as the connection closing, handled in onClose.
    connection.destroy();
  }

  onClose(connection: BackendConnection, error: NodeJS.ErrnoException | null): void {
    if (connection === this.backendConnection) this.backendFailed(connection, error);
  }

  private backendFailed(connection: BackendConnection, error: NodeJS.ErrnoException | null): void {
    const exchange = this.exchange;
    this.releaseBackend(false);
    if (exchange === null || this.phase === Phase.Gone) return;
    const backend = connection.backend;
    const app = exchange.app as string;
    this.clearResponseTimer();
    if (this.phase === Phase.Responding) {
      // The answer had started: cutting the client off is the only honest way to say it is incomplete.
      exchange.code = 'R502';
      this.options.logger.warn({ app, backend: backend.url, requestId: exchange.requestId, code: 'R502' }, 'backend closed the connection mid-response');
      this.finish(exchange.status, 'R502', CUT);
      this.socket.destroy();
      return;
    }
    const { retry, ejected } = exchange.attemptFailed(
      this.options.routes,
      backend,
      { connectFailed: !connection.connected, reusedConnection: connection.reused },
      { method: exchange.head.method, hasBody: exchange.head.contentLength > 0, answerStarted: false },
      this.options.settings,
      this.options.metrics,
    );
    this.options.logger.warn(
      { app, host: exchange.host, backend: backend.url, requestId: exchange.requestId, error: error?.code ?? error?.message ?? 'closed', code: 'R502', retry, ejected },
      'backend connection failed',
    );
    if (retry) {
      this.requestSent = false;
      this.forward();
      return;
    }
    this.fail('R502', unreachable(app));
  }

  // ------------------------------------------------------------ ending an exchange

  private responseDone(): void {
    const exchange = this.exchange as Exchange;
    this.releaseBackend(this.backendReusable);
    this.finish(exchange.status, exchange.code, undefined);
    this.nextRequest();
  }

  /** The router's own answer instead of the backend's. */
  private fail(code: RouterErrorCode, message: string): void {
    const exchange = this.exchange as Exchange;
    this.clearResponseTimer();
    this.releaseBackend(false);
    exchange.code = code;
    if (this.phase === Phase.Responding) {
      this.finish(exchange.status, code, CUT);
      this.socket.destroy();
      return;
    }
    // An unread body would have to be read (and thrown away) to keep the connection: close it.
    if (this.bodyRemaining > 0) this.closeAfter = true;
    exchange.status = this.writeError(code, message, exchange.head.accept, exchange, this.closeAfter || this.shared.closing);
    this.finish(exchange.status, code, undefined);
    this.nextRequest();
  }

  /** Refused before any backend was asked (no such app, body too large…). */
  private refuse(code: RouterErrorCode, message: string, rest: Buffer | null): void {
    const exchange = this.exchange as Exchange;
    exchange.code = code;
    if (rest !== null) this.takeBody(rest);
    if (this.bodyRemaining > 0) this.closeAfter = true;
    exchange.status = this.writeError(code, message, exchange.head.accept, exchange, this.closeAfter || this.shared.closing);
    this.finish(exchange.status, code, undefined);
    this.nextRequest();
  }

  private writeError(code: RouterErrorCode, message: string, accept: string | undefined, exchange: Exchange | undefined, close: boolean): number {
    const page = renderErrorPage(code, message, accept);
    const headers: Record<string, string> = { ...page.headers };
    if (exchange !== undefined) headers['x-request-id'] = exchange.requestId;
    if (close) {
      headers.connection = 'close';
      this.closeAfter = true;
    }
    const body = exchange?.head.method === 'HEAD' ? undefined : page.body;
    const response = rawResponse(page.status, headers, body);
    if (exchange !== undefined && body !== undefined) exchange.bytesOut += Buffer.byteLength(body);
    // The page's Content-Length counts its UTF-8 bytes (it may echo a Host with bytes past 0x7f,
    // read as latin1 characters), so it goes out as those bytes, on either kind of socket.
    this.socket.write(Buffer.from(response, 'utf8'));
    return page.status;
  }

  /** Writes the access log line and metrics, once. */
  private finish(status: number, code: RouterErrorCode | null, extra: Record<string, unknown> | undefined): void {
    const exchange = this.exchange;
    if (exchange === null) return;
    this.exchange = null;
    this.shared.inFlight -= 1;
    exchange.code = code;
    this.options.accessLog.record(exchange.record(exchange.head.method, exchange.head.target, status), extra);
  }

  /** Back to reading heads: the next pipelined request, or waiting for one. */
  private nextRequest(): void {
    this.framing = null;
    this.chunked = null;
    this.responseBuffer = null;
    this.outgoingHead = '';
    this.outgoingBody = [];
    this.lastActive = Date.now();
    if (this.phase === Phase.Gone) return;
    if (this.closeAfter || this.shared.closing || this.clientEnded) {
      this.phase = Phase.Gone;
      // (A client that keeps its side open is cut after the keep-alive timeout: checkTimers.)
      this.socket.end();
      return;
    }
    this.phase = Phase.Head;
    if (this.socket.isPaused()) this.socket.resume();
    if (this.buffered !== null) this.readHead();
  }

  private releaseBackend(reusable: boolean): void {
    const connection = this.backendConnection;
    if (connection === null) return;
    this.backendConnection = null;
    const exchange = this.exchange;
    if (exchange?.backend !== undefined) exchange.backend.active -= 1;
    connection.socket.resume();
    if (reusable && this.bodyRemaining === 0) this.options.pool.release(connection);
    else {
      connection.user = null;
      connection.destroy();
    }
  }

  private abortBackend(): void {
    this.clearResponseTimer();
    this.releaseBackend(false);
  }

  private clearResponseTimer(): void {
    this.responseDueAt = 0;
  }

  /**
   * The connection's timeouts, checked by one sweep over all connections (a few times a second)
   * instead of a timer armed and cleared per request, which would cost more than the rest of
   * a small request's work together.
   */
  checkTimers(now: number): void {
    if (this.phase === Phase.Gone) {
      if (now - this.lastActive >= this.options.keepAliveTimeoutMs) this.socket.destroy();
      return;
    }
    if (this.exchange === null) {
      if (this.headStartedAt !== 0) {
        if (this.options.headersTimeoutMs > 0 && now - this.headStartedAt >= this.options.headersTimeoutMs) this.onClientTimeout();
      } else if (this.options.keepAliveTimeoutMs > 0 && now - this.lastActive >= this.options.keepAliveTimeoutMs) {
        this.socket.destroy();
      }
      return;
    }
    if (this.responseDueAt !== 0 && now >= this.responseDueAt) {
      this.onResponseTimeout();
      return;
    }
    if (this.options.settings.idleTimeoutMs > 0 && now - this.lastActive >= this.options.settings.idleTimeoutMs) this.onClientTimeout();
  }

  // ------------------------------------------------------------ leaving the fast path

  /** Node's HTTP server takes the connection from here, starting with the unparsed bytes. */
  private handOff(): void {
    const buffered = this.buffered;
    this.buffered = null;
    this.phase = Phase.Gone;
    this.shared.open.delete(this);
    const socket = this.socket;
    socket.removeAllListeners('data');
    socket.removeAllListeners('end');
    socket.removeAllListeners('drain');
    socket.removeAllListeners('close');
    socket.removeAllListeners('error');
    this.options.handOff(socket, buffered);
  }

  get idle(): boolean {
    return this.exchange === null && (this.buffered === null || this.buffered.length === 0);
  }

  close(): void {
    if (this.idle) this.socket.destroy();
    else this.closeAfter = true;
  }
}

function isHealthCheck(head: FastRequestHead): boolean {
  if (head.method !== 'GET' && head.method !== 'HEAD') return false;
  const target = head.target;
  if (!target.startsWith(HEALTH_PATH)) return false;
  return target.length === HEALTH_PATH.length || target[HEALTH_PATH.length] === '?';
}

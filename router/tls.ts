/**
 * The router's HTTPS side: a listener that picks each connection's certificate by SNI from the live
 * TlsStore (so a certificate put in etcd serves the next handshake, without a restart), reading the
 * name from the ClientHello before the handshake starts (acceptTls says why), and the
 * "redirect HTTP to HTTPS" answer of the plain-HTTP listener. Requests are then handled exactly as on
 * plain HTTP, by the same proxy.
 *
 * A client that sends no SNI, or a name no certificate covers, gets the router's default
 * certificate: self-signed, made at start with the `openssl` command (node:crypto cannot issue
 * certificates), for the name `slipway-default`.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { Logger } from '../lib/log';
import type { SecretBox } from '../lib/secret-box';
import { sealedKeyId } from '../lib/secret-box';
import { requireSecretBox } from '../lib/secrets-key-file';
import { MAX_CLIENT_HELLO_BYTES, readClientHello } from './client-hello';
import { HEALTH_PATH } from './health';
import { normalizeHost } from './host-header';
import type { RouteLookup } from './route-table';
import type { RouteSink } from './route-source';
import { fanOutSink, TlsStore } from './tls-store';

export const DEFAULT_CERT_NAME = 'slipway-default';

export interface PemPair {
  readonly cert: string;
  readonly key: string;
}

/**
 * A new self-signed certificate (EC P-256, 10 years) for `commonName`, made by `openssl req` run
 * with an argument array (no shell) in a private temporary folder that is removed afterwards.
 */
export async function generateSelfSignedCert(commonName = DEFAULT_CERT_NAME): Promise<PemPair> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-router-tls-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  try {
    await new Promise<void>((resolve, reject) => {
      execFile('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', '3650',
        '-subj', `/CN=${commonName}`, '-addext', `subjectAltName=DNS:${commonName}`,
      ], { timeout: 30_000 }, (error, _stdout, stderr) => {
        if (!error) {
          resolve();
          return;
        }
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(new Error(missing
          ? 'the router makes its default TLS certificate with the openssl command, which is not installed (Debian package openssl)'
          : `openssl could not make the router's default TLS certificate: ${String(stderr).trim() || error.message}`));
      });
    });
    return { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

let defaultCert: Promise<PemPair> | null = null;

/** One default certificate per process (made at the first router start; a failure is retried next time). */
function defaultCertOnce(): Promise<PemPair> {
  defaultCert ??= generateSelfSignedCert().catch((error: unknown) => {
    defaultCert = null;
    throw error;
  });
  return defaultCert;
}

/** How long a client has, from connecting, to finish its TLS handshake. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 30_000;

/**
 * The HTTPS side of a connection, certificate chosen before the handshake: reads the client's
 * ClientHello (router/client-hello.ts), picks the context for its server name (`choose`, which
 * answers the default certificate's context for no name or an unknown one), and only then makes
 * the TLS socket, with that one context. `secure` gets the socket once the handshake is done.
 *
 * Why not node's SNICallback: Node applies an SNI context by adding its certificate and key to
 * the connection, which already holds the server's default certificate. When their key types
 * differ (an RSA certificate of an app, the router's EC default), the connection holds both and
 * OpenSSL picks by the client's signature algorithms: TLS 1.3 clients prefer ECDSA, so they got
 * the default certificate for every app with an RSA certificate (issue 9, item 6).
 */
export function acceptTls(
  socket: net.Socket,
  choose: (serverName: string | null) => tls.SecureContext,
  secure: (tlsSocket: tls.TLSSocket) => void,
  logger: Logger,
  handshakeTimeoutMs = TLS_HANDSHAKE_TIMEOUT_MS,
): void {
  const timer = setTimeout(() => socket.destroy(), handshakeTimeoutMs);
  timer.unref();
  let received: Buffer = Buffer.alloc(0);
  const onError = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  socket.on('error', onError);
  socket.once('close', () => clearTimeout(timer));
  const onData = (chunk: Buffer): void => {
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const hello = readClientHello(received);
    if (hello.kind === 'incomplete' && received.length <= MAX_CLIENT_HELLO_BYTES + 1024) return;
    socket.off('data', onData);
    socket.pause();
    // The bytes read so far go back first: the TLS socket reads them before the rest.
    socket.unshift(received);
    const serverName = hello.kind === 'hello' ? hello.serverName : null;
    const tlsSocket = new tls.TLSSocket(socket, { isServer: true, secureContext: choose(serverName), ALPNProtocols: ['http/1.1'] });
    socket.off('error', onError);
    tlsSocket.on('error', (error: Error) => {
      // Scanners and clients that distrust a certificate fail handshakes all day: not an error of ours.
      logger.debug({ error: error.message, serverName }, 'TLS connection failed');
      clearTimeout(timer);
      tlsSocket.destroy();
    });
    tlsSocket.once('secure', () => {
      clearTimeout(timer);
      secure(tlsSocket);
    });
  };
  socket.on('data', onData);
}

/**
 * For the plain-HTTP listener: answers a request for an app that redirects to HTTPS with a redirect
 * to the same host and path on the HTTPS port (301 for GET and HEAD, 308 otherwise so the method
 * and body are kept), and returns true; false leaves the request to the proxy. The router's health
 * path is never redirected.
 */
export function httpsRedirector(
  routes: Pick<RouteLookup, 'appForHost'>,
  store: Pick<TlsStore, 'redirectsToHttps'>,
  httpsPort: () => number,
  logger: Logger,
): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  return (req, res) => {
    const url = req.url ?? '/';
    const queryStart = url.indexOf('?');
    if ((queryStart < 0 ? url : url.slice(0, queryStart)) === HEALTH_PATH) return false;
    const host = normalizeHost(req.headers.host);
    if (host === null) return false;
    const app = routes.appForHost(host);
    if (app === undefined || !store.redirectsToHttps(app)) return false;
    const port = httpsPort();
    const location = `https://${host}${port === 443 ? '' : `:${port}`}${url.startsWith('/') ? url : `/${url}`}`;
    const status = req.method === 'GET' || req.method === 'HEAD' ? 301 : 308;
    const body = `Redirecting to ${location}\n`;
    res.writeHead(status, {
      location,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    logger.info({ method: req.method, path: url, host, app, status, redirect: 'https', code: null }, 'request');
    return true;
  };
}

/**
 * Opens the private keys of certificate values with the secrets key file, read when first needed
 * and read again when a value names a key the ring does not hold (a rotation happened meanwhile).
 */
export function sealedKeyOpener(keyFile: string, read: (file: string) => SecretBox = requireSecretBox): (sealed: string, context: string) => string {
  let box: SecretBox | null = null;
  return (sealed, context) => {
    const keyId = sealedKeyId(sealed);
    if (box === null || (keyId !== null && !box.keyIds.includes(keyId))) box = read(keyFile);
    return box.open(sealed, context);
  };
}

/**
 * Everything TLS adds to a router, wired by router/index.ts: the TLS store joins the route table on
 * the etcd source (`sink`), each plain-HTTP request asks `redirect` first, and `createServer` makes
 * the HTTPS server that index.ts serves and listens like the HTTP one.
 */
export class RouterTls {
  readonly store: TlsStore;
  /** True if it answered the request with a redirect to HTTPS. Requests that came over TLS never are. */
  readonly redirect: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  private listener: net.Server | null = null;
  /** Connections still in their TLS handshake: no request yet, so a shutdown closes them at once. */
  private readonly handshaking = new Set<net.Socket>();

  constructor(
    private readonly settings: { readonly etcdPrefix: string; readonly httpsPort: number; readonly secretsKeyFile: string },
    private readonly routes: RouteLookup & RouteSink,
    private readonly logger: Logger,
  ) {
    this.store = new TlsStore(settings.etcdPrefix, {
      onInvalid: (problem) => logger.warn(problem, 'ignoring a certificate the router cannot use'),
      openKey: sealedKeyOpener(settings.secretsKeyFile),
    });
    const redirector = httpsRedirector(routes, this.store, () => this.port, logger);
    this.redirect = (req, res) => (req.socket as { encrypted?: boolean }).encrypted !== true && redirector(req, res);
  }

  /** What the etcd source feeds: the route table and the TLS store. */
  get sink(): RouteSink {
    return fanOutSink(this.routes, this.store);
  }

  /** The HTTPS port listened on (the configured one until it listens). */
  get port(): number {
    const address = this.listener?.address();
    return typeof address === 'object' && address !== null ? address.port : this.settings.httpsPort;
  }

  /**
   * Listens for HTTPS on host:port with the process's default certificate (made by openssl on
   * first use) and each app's own by SNI; every connection, once its handshake is done, goes to
   * `connection` (index.ts hands it to an HTTP server that never listens itself).
   */
  async listen(host: string, port: number, connection: (socket: tls.TLSSocket) => void): Promise<net.Server> {
    const fallback = await defaultCertOnce();
    const defaultContext = tls.createSecureContext({ cert: fallback.cert, key: fallback.key });
    const choose = (serverName: string | null): tls.SecureContext =>
      (serverName === null ? undefined : this.store.contextFor(serverName)) ?? defaultContext;
    const listener = net.createServer({ noDelay: true }, (socket) => {
      this.handshaking.add(socket);
      socket.once('close', () => this.handshaking.delete(socket));
      acceptTls(socket, choose, (secure) => {
        this.handshaking.delete(socket);
        connection(secure);
      }, this.logger);
    });
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, host, () => {
        listener.off('error', reject);
        resolve();
      });
    });
    listener.on('error', (error: Error) => this.logger.error({ err: error }, 'router HTTPS listener error'));
    this.listener = listener;
    return listener;
  }

  /** Closes the connections that have not finished their handshake (on shutdown: they carry no request). */
  closeHandshaking(): void {
    for (const socket of this.handshaking) socket.destroy();
    this.handshaking.clear();
  }
}

/**
 * The router's HTTPS side: a listener that picks each connection's certificate by SNI from the live
 * TlsStore (so a certificate put in etcd serves the next handshake, without a restart), and the
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
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { Logger } from '../lib/log';
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

/**
 * An HTTPS server (not yet listening) whose certificate is picked per connection by SNI from the
 * live store, falling back to `defaultCert`. The caller wires its requests and lifecycle exactly as
 * for the plain-HTTP server (router/index.ts serve()).
 */
export function createHttpsServer(store: TlsStore, defaultCert: PemPair, options: http.ServerOptions, logger: Logger): https.Server {
  const defaultContext = tls.createSecureContext({ cert: defaultCert.cert, key: defaultCert.key });
  const server = https.createServer({
    ...options,
    cert: defaultCert.cert,
    key: defaultCert.key,
    SNICallback: (serverName, done) => done(null, store.contextFor(serverName) ?? defaultContext),
  });
  // Scanners and clients that distrust a certificate fail handshakes all day: not an error of ours.
  server.on('tlsClientError', (error: Error) => logger.debug({ error: error.message }, 'TLS handshake failed'));
  return server;
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
 * Everything TLS adds to a router, wired by router/index.ts: the TLS store joins the route table on
 * the etcd source (`sink`), each plain-HTTP request asks `redirect` first, and `createServer` makes
 * the HTTPS server that index.ts serves and listens like the HTTP one.
 */
export class RouterTls {
  readonly store: TlsStore;
  /** True if it answered the request with a redirect to HTTPS. Requests that came over TLS never are. */
  readonly redirect: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  private server: https.Server | null = null;

  constructor(
    private readonly settings: { readonly etcdPrefix: string; readonly httpsPort: number },
    private readonly routes: RouteLookup & RouteSink,
    private readonly logger: Logger,
  ) {
    this.store = new TlsStore(settings.etcdPrefix, {
      onInvalid: (problem) => logger.warn(problem, 'ignoring a certificate the router cannot use'),
    });
    const redirector = httpsRedirector(routes, this.store, () => this.port, logger);
    this.redirect = (req, res) => (req.socket as { encrypted?: boolean }).encrypted !== true && redirector(req, res);
  }

  /** What the etcd source feeds: the route table and the TLS store. */
  get sink(): RouteSink {
    return fanOutSink(this.routes, this.store);
  }

  /** The HTTPS port listened on (the configured one until the server listens). */
  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : this.settings.httpsPort;
  }

  /** The HTTPS server, with the process's default certificate (made by openssl on first use). */
  async createServer(options: http.ServerOptions): Promise<https.Server> {
    this.server = createHttpsServer(this.store, await defaultCertOnce(), options, this.logger);
    return this.server;
  }
}

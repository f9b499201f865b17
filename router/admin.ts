/**
 * The router's admin listener (SLIPWAY_ROUTER_ADMIN_HOST:PORT, 127.0.0.1:8081 by default):
 * Prometheus metrics at /metrics and a health report at /health. Separate from the app port so
 * that no app's host name can reach it and it can stay on loopback.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../lib/log';

export interface AdminServerOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  /** The Prometheus text exposition of every router process. */
  readonly metrics: () => Promise<string>;
  /** A JSON report; `ok` false answers 503. */
  readonly health: () => Promise<{ readonly ok: boolean }>;
}

export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      answer(res, 405, 'text/plain; charset=utf-8', 'only GET\n', req.method);
      return;
    }
    if (path === '/metrics') {
      options.metrics().then(
        (text) => answer(res, 200, 'text/plain; version=0.0.4; charset=utf-8', text, req.method),
        (error: unknown) => {
          options.logger.error({ err: error }, 'collecting metrics failed');
          answer(res, 500, 'text/plain; charset=utf-8', 'collecting metrics failed\n', req.method);
        },
      );
      return;
    }
    if (path === '/health') {
      options.health().then(
        (report) => answer(res, report.ok ? 200 : 503, 'application/json; charset=utf-8', JSON.stringify(report), req.method),
        (error: unknown) => answer(res, 500, 'text/plain; charset=utf-8', `${String(error)}\n`, req.method),
      );
      return;
    }
    answer(res, 404, 'text/plain; charset=utf-8', 'try /metrics or /health\n', req.method);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error: Error) => options.logger.error({ err: error }, 'admin server error'));
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ host: options.host, port }, 'router admin listening (/metrics, /health)');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function answer(res: http.ServerResponse, status: number, type: string, body: string, method: string | undefined): void {
  res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store' });
  res.end(method === 'HEAD' ? undefined : body);
}

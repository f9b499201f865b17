/**
 * The router's composition root: an etcd-fed route table, the proxy, and an HTTP server,
 * started and stopped together.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/log';
import { startEtcdRouteSource } from './etcd-source';
import { buildHealthReport, type HealthReport } from './health';
import { createRouterProxy } from './proxy';
import { RouteTable } from './route-table';
import type { RouteSourceStatus } from './route-source';

export { RouteTable } from './route-table';
export type { Backend, RouteLookup, RouteTableStats } from './route-table';
export type { HealthReport } from './health';
export type { RouteSourceStatus } from './route-source';
export { ROUTER_ERRORS, type RouterErrorCode } from './error-pages';

export interface RouterOptions {
  /**
   * How long start waits for the first etcd snapshot before listening anyway (answering R510
   * until routes arrive), so a router can come up while etcd is still starting.
   */
  readonly firstSyncTimeoutMs?: number;
  /** How long close() lets in-flight requests finish before cutting connections. */
  readonly shutdownGraceMs?: number;
}

export interface RunningRouter {
  /** The port actually listened on (useful with routerPort 0). */
  readonly port: number;
  /** The live route table, as etcd last described it. */
  readonly table: RouteTable;
  /** Where the table stands against etcd (revision, connected, last in sync). */
  sourceStatus(): RouteSourceStatus;
  health(): HealthReport;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), stops watching. */
  close(): Promise<void>;
}

export async function startRouter(config: Config, logger: Logger, options: RouterOptions = {}): Promise<RunningRouter> {
  const table = new RouteTable(config.etcdPrefix);
  const source = startEtcdRouteSource({
    urls: config.etcdUrls,
    prefix: config.etcdPrefix,
    sink: table,
    logger,
  });
  const firstSyncTimeoutMs = options.firstSyncTimeoutMs ?? 5000;
  if (!(await settlesWithin(source.firstSync, firstSyncTimeoutMs))) {
    logger.warn({ etcdUrls: config.etcdUrls, waitedMs: firstSyncTimeoutMs }, 'no routes from etcd yet; listening anyway');
  }

  const health = (): HealthReport => buildHealthReport(table.loaded, table.stats(), source.status(), Date.now());
  // keepAlive: reusing connections to backends saves a TCP handshake per request.
  const agent = new http.Agent({ keepAlive: true });
  const proxy = createRouterProxy({ routes: table, health, logger, agent });
  const server = http.createServer();
  const upgradedSockets = new Set<Duplex>();
  let closing = false;

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.once('finish', () => {
      // While shutting down, let each connection go as soon as its request is answered.
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    proxy.handleRequest(req, res);
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    upgradedSockets.add(socket);
    socket.once('close', () => upgradedSockets.delete(socket));
    proxy.handleUpgrade(req, socket, head);
  });

  try {
    await listen(server, config.routerHost, config.routerPort);
  } catch (error) {
    await source.close();
    agent.destroy();
    throw error;
  }
  server.on('error', (error: Error) => logger.error({ err: error }, 'router server error'));
  const port = (server.address() as AddressInfo).port;
  logger.info({ host: config.routerHost, port }, 'router listening');

  let closed: Promise<void> | null = null;
  async function shutDown(): Promise<void> {
    closing = true;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const graceMs = options.shutdownGraceMs ?? 10_000;
    if (!(await settlesWithin(stopped, graceMs))) {
      logger.warn({ graceMs }, 'requests still running after the grace period; closing their connections');
    }
    // WebSockets never finish on their own, and stragglers have had their chance.
    for (const socket of upgradedSockets) socket.destroy();
    server.closeAllConnections();
    await stopped;
    proxy.close();
    agent.destroy();
    await source.close();
    logger.info('router stopped');
  }

  return {
    port,
    table,
    sourceStatus: () => source.status(),
    health,
    close: () => (closed ??= shutDown()),
  };
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** True if `promise` settles within `ms`; never rejects. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true, () => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

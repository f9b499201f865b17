/**
 * The router's composition root: an etcd-fed route table, the proxy, and an HTTP server,
 * started and stopped together. One process; router/main.ts runs one of these per core.
 */
import cluster from 'node:cluster';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/log';
import { AccessLog, type AccessLineSink } from './access-log';
import { AppLogSpool } from './app-log-spool';
import { ROUTER_SPOOL_DIR } from '../lib/router-log-record';
import path from 'node:path';
import { startAdminServer, type AdminServer } from './admin';
import { BackendPool } from './backend-pool';
import { createEtcdRouteSource, type EtcdRouteSourceOptions } from './etcd-source';
import { routeCacheFile } from './route-cache';
import { buildHealthReport, type HealthReport } from './health';
import { gauge, mergeFamilies, renderExposition, RouterMetrics, type MetricFamily } from './metrics';
import { createFastProxy } from './fast-proxy';
import { createRouterProxy, type ProxySettings } from './proxy';
import { nativeSocketsAvailable, NativeListener } from './native-sockets';
import { asNodeSocket, type ProxySocket, type SocketKind } from './proxy-socket';
import { MAX_HEAD_BYTES } from './request-head';
import { RouteTable } from './route-table';
import type { RouteSourceStatus } from './route-source';
import { RouterTls } from './tls';

export { RouteTable } from './route-table';
export type { Backend, BackendEntry, RouteLookup, RouteTableStats } from './route-table';
export type { HealthReport } from './health';
export type { RouteSourceStatus } from './route-source';
export type { MetricFamily } from './metrics';
export { ROUTER_ERRORS, type RouterErrorCode } from './error-pages';

/** A kept-alive client connection with no request is closed after this long. */
const CLIENT_KEEP_ALIVE_MS = 15_000;
/** The whole request head must arrive within this long (slow-loris guard). */
const HEADERS_TIMEOUT_MS = 30_000;
/** Idle pooled connections to backends are closed after this long (below common app keep-alives of 5 s). */
const BACKEND_KEEP_ALIVE_MS = 4000;
/** How long a router restarted from its route cache serves before it loads the etcd client. */
const ETCD_FOLLOW_DELAY_MS = 100;
/** Idle pooled connections kept per backend on the fast path. */
const BACKEND_MAX_IDLE = 256;

/** Options for every server the router answers on; an HTTPS listener should use them too. */
/**
 * requireHostHeader off: the full proxy answers a request without Host itself (400 R400, as the
 * fast path does). Node's own answer for it says `Connection: close` where the router cannot see
 * it, so the router then answered the bytes after it with a second 400 (differential fuzzer, seed 9).
 */
export const ROUTER_SERVER_OPTIONS: http.ServerOptions = { maxHeaderSize: MAX_HEAD_BYTES, requireHostHeader: false };

export interface RouterOptions {
  /**
   * How long start waits for the first etcd snapshot before listening anyway (answering R510
   * until routes arrive), so a router can come up while etcd is still starting.
   */
  readonly firstSyncTimeoutMs?: number;
  /** How long close() lets in-flight requests finish before cutting connections (default: config). */
  readonly shutdownGraceMs?: number;
  /** Also listen on the admin address (config.routerAdminHost/Port) for /metrics and /health. */
  readonly serveAdmin?: boolean;
  /** This process's name in metrics (`worker` label) and logs; "0" for a single process. */
  readonly workerId?: string;
  /**
   * Keep the local route cache up to date (default true; in a cluster one worker does). Whether
   * it is used at all is config.routerCacheMaxAgeMs (0: no cache).
   */
  readonly writeRouteCache?: boolean;
  /**
   * Write access lines straight to the log's destination (router/log.ts) instead of through the
   * logger: the same lines for much less CPU. Without it they go through `logger`.
   */
  readonly accessLines?: AccessLineSink;
  /** Tuning of the etcd source (tests shorten its pauses and probe interval). */
  readonly etcd?: Pick<EtcdRouteSourceOptions, 'retryDelayMs' | 'probeIntervalMs' | 'lostWatchAfterMs' | 'requestTimeoutMs'>;
}

export interface RunningRouter {
  /** The port actually listened on (useful with routerPort 0). */
  readonly port: number;
  /** The HTTPS port actually listened on (useful with routerHttpsPort 0). */
  readonly httpsPort: number;
  /** The admin port (/metrics, /health), when serveAdmin was asked for. */
  readonly adminPort: number | null;
  /** The live route table, as etcd last described it. */
  readonly table: RouteTable;
  /** Where the table stands against etcd (revision, connected, last in sync). */
  sourceStatus(): RouteSourceStatus;
  health(): HealthReport;
  /** This process's metrics (the cluster primary merges those of all workers). */
  metricsFamilies(): MetricFamily[];
  /** Requests and WebSocket sessions in progress. */
  inFlight(): number;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), stops watching. */
  close(): Promise<void>;
}

export async function startRouter(config: Config, logger: Logger, options: RouterOptions = {}): Promise<RunningRouter> {
  const workerId = options.workerId ?? '0';
  const table = new RouteTable(config.etcdPrefix, { balance: config.routerBalance });
  // TLS (router/tls.ts): certificates and per-app settings ride on the same etcd snapshot and watch.
  const routerTls = new RouterTls({ etcdPrefix: config.etcdPrefix, httpsPort: config.routerHttpsPort, secretsKeyFile: config.secretsKeyFile }, table, logger);
  const source = createEtcdRouteSource({
    urls: config.etcdUrls,
    prefix: config.etcdPrefix,
    sink: routerTls.sink,
    logger,
    ...(config.routerCacheMaxAgeMs > 0
      ? { cache: { file: routeCacheFile(config.stateDir, config.etcdPrefix, config.etcdUrls), maxAgeMs: config.routerCacheMaxAgeMs, write: options.writeRouteCache ?? true } }
      : {}),
    ...options.etcd,
  });
  // Routes from the local cache are served at once; etcd is contacted once the port listens.
  const fromCache = source.status().routesFrom === 'cache';
  if (!fromCache) source.start();
  const firstSyncTimeoutMs = options.firstSyncTimeoutMs ?? 5000;
  if (!(await settlesWithin(source.firstSync, firstSyncTimeoutMs))) {
    logger.warn({ etcdUrls: config.etcdUrls, waitedMs: firstSyncTimeoutMs }, 'no routes from etcd yet; listening anyway');
  }

  const health = (): HealthReport => buildHealthReport(table.loaded, table.stats(), source.status(), Date.now());
  // Keep-alive pool to backends: reusing connections saves a TCP handshake per request.
  const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 1024, scheduling: 'lifo', timeout: BACKEND_KEEP_ALIVE_MS });
  const sockets = chooseSockets(config, logger);
  const pool = new BackendPool({ idleTimeoutMs: BACKEND_KEEP_ALIVE_MS, connectTimeoutMs: config.routerConnectTimeoutMs, maxIdlePerBackend: BACKEND_MAX_IDLE, sockets });
  // A withdrawn backend (a retired release, a scale-down) gets no more requests: its idle
  // keep-alive connections are closed now, so its process can exit as soon as it is drained.
  table.onBackendWithdrawn((backend) => {
    pool.withdraw(backend);
    closeIdleAgentSockets(agent, backend.hostname, backend.port);
  });
  const requestMetrics = new RouterMetrics();
  const settings: ProxySettings = {
    maxAttempts: 3,
    ejectMs: config.routerEjectMs,
    connectTimeoutMs: config.routerConnectTimeoutMs,
    responseTimeoutMs: config.routerResponseTimeoutMs,
    maxBodyBytes: config.routerMaxBodyBytes,
    idleTimeoutMs: config.routerIdleTimeoutMs,
  };
  // Each app's router lines, for its log stream (docs/logs.md); off with SLIPWAY_LOG_ROUTER=0.
  const spool = config.logRouterLines ? new AppLogSpool(path.join(config.stateDir, ...ROUTER_SPOOL_DIR)) : undefined;
  const accessLog = new AccessLog(logger, requestMetrics, options.accessLines, spool);
  // The public /_slipway/health says only whether routes are loaded; the details are on the admin port.
  const proxy = createRouterProxy({ routes: table, health: () => ({ ok: table.loaded }), logger, agent, metrics: requestMetrics, accessLog, settings });
  const servers: net.Server[] = [];
  const upgradedSockets = new Set<Duplex>();
  let openConnections = 0;
  let closing = false;

  /**
   * Answers requests arriving on `server` (with its limits and timeouts) and includes it in
   * shutdown. The plain-HTTP server below is wired this way; an HTTPS server is wired the same.
   */
  function serve<S extends http.Server>(server: S): S {
    server.timeout = config.routerIdleTimeoutMs;
    server.keepAliveTimeout = CLIENT_KEEP_ALIVE_MS;
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    // No limit on a whole request: a long upload is fine as long as it keeps moving (idle timeout).
    server.requestTimeout = 0;
    server.on('connection', countConnection);
    const onRequest = (handle: (req: http.IncomingMessage, res: http.ServerResponse) => void) => (req: http.IncomingMessage, res: http.ServerResponse) => {
      res.once('finish', () => {
        // While shutting down, let each connection go as soon as its request is answered.
        if (closing) setImmediate(() => server.closeIdleConnections());
      });
      if (routerTls.redirect(req, res)) return; // plain HTTP of an app that redirects to HTTPS
      handle(req, res);
    };
    server.on('request', onRequest(proxy.handleRequest));
    server.on('checkContinue', onRequest(proxy.handleCheckContinue));
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      upgradedSockets.add(socket);
      socket.once('close', () => upgradedSockets.delete(socket));
      proxy.handleUpgrade(req, socket, head);
    });
    server.on('connect', proxy.handleConnect);
    server.on('clientError', proxy.handleClientError);
    server.on('timeout', proxy.handleTimeout);
    servers.push(server);
    return server;
  }

  /** Resolves the wait of a shutdown for the last connection to close. */
  let allClosed: (() => void) | null = null;
  function countConnection(socket: ProxySocket): void {
    openConnections += 1;
    socket.once('close', connectionClosed);
  }
  function connectionClosed(): void {
    openConnections -= 1;
    if (openConnections === 0) allClosed?.();
  }

  // Plain HTTP: connections start on the fast path (router/fast-proxy.ts), which hands what it
  // does not carry itself to `fullProxyServer`, a Node HTTP server that never listens.
  const fullProxyServer = serve(http.createServer(ROUTER_SERVER_OPTIONS));
  fullProxyServer.off('connection', countConnection);
  const fast = createFastProxy({
    routes: table,
    pool,
    logger,
    metrics: requestMetrics,
    accessLog,
    settings,
    keepAliveTimeoutMs: CLIENT_KEEP_ALIVE_MS,
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    needsFullProxy: (app) => routerTls.store.redirectsToHttps(app),
    handOff: (socket, buffered) =>
      asNodeSocket(socket, (nodeSocket) => {
        // The fast path took its listeners off, the count's among them.
        if (nodeSocket === null) {
          connectionClosed();
          return;
        }
        nodeSocket.once('close', connectionClosed);
        if (buffered !== null) {
          nodeSocket.pause();
          nodeSocket.unshift(buffered);
        }
        fullProxyServer.emit('connection', nodeSocket);
        nodeSocket.resume();
      }),
  });
  const accept = (socket: ProxySocket): void => {
    countConnection(socket);
    fast.handleConnection(socket);
  };
  let listening: PlainListener;
  try {
    listening = await listenPlain(config, sockets, accept, logger);
  } catch (error) {
    await source.close();
    agent.destroy();
    throw error;
  }
  const port = listening.port;
  logger.info({ host: config.routerHost, port, balance: config.routerBalance, sockets: listening.sockets, routesFrom: source.status().routesFrom }, 'router listening');
  // Serving from the local cache, the router first answers the requests that queued up while it
  // was down; then it loads the etcd client (grpc and its protocol definitions: about 0.3 s of CPU
  // that blocks the event loop) and catches up with etcd. (Started from etcd, it already follows.)
  if (fromCache) setTimeout(() => source.start(), ETCD_FOLLOW_DELAY_MS).unref();

  // HTTPS on routerHttpsPort, same host and handlers; certificates by SNI (router/tls.ts). The
  // TLS listener hands each connection, once secure, to this HTTP server, which never listens.
  try {
    const httpsServer = serve(http.createServer(ROUTER_SERVER_OPTIONS));
    const tlsListener = await routerTls.listen(config.routerHost, config.routerHttpsPort, (socket) => httpsServer.emit('connection', socket));
    servers.push(tlsListener);
    logger.info({ host: config.routerHost, port: routerTls.port }, 'router listening for HTTPS');
  } catch (error) {
    listening.close();
    await source.close();
    agent.destroy();
    throw error;
  }

  const metricsFamilies = (): MetricFamily[] =>
    processFamilies({ table, status: source.status(), inFlight: proxy.inFlight() + fast.inFlight(), openConnections, requestMetrics });

  let admin: AdminServer | null = null;
  if (options.serveAdmin) {
    try {
      admin = await startAdminServer({
        host: config.routerAdminHost,
        port: config.routerAdminPort,
        logger,
        metrics: async () => renderExposition(mergeFamilies([{ worker: workerId, families: metricsFamilies() }])),
        health: async () => health(),
      });
    } catch (error) {
      listening.close();
      await source.close();
      agent.destroy();
      throw error;
    }
  }

  let closed: Promise<void> | null = null;
  async function shutDown(): Promise<void> {
    closing = true;
    listening.close();
    const plainDrained = new Promise<void>((resolve) => {
      allClosed = resolve;
      if (openConnections === 0) resolve();
    });
    const stopped = Promise.all([plainDrained, ...servers.map((each) => new Promise<void>((resolve) => each.close(() => resolve())))]);
    fast.closeIdle();
    routerTls.closeHandshaking();
    for (const each of servers) if (each instanceof http.Server) each.closeIdleConnections();
    const graceMs = options.shutdownGraceMs ?? config.routerShutdownGraceMs;
    if (!(await settlesWithin(stopped, graceMs))) {
      logger.warn({ graceMs }, 'requests still running after the grace period; closing their connections');
    }
    // WebSockets never finish on their own, and stragglers have had their chance.
    for (const socket of upgradedSockets) socket.destroy();
    fast.destroyAll();
    for (const each of servers) if (each instanceof http.Server) each.closeAllConnections();
    await stopped;
    proxy.close();
    agent.destroy();
    pool.close();
    spool?.close();
    await admin?.close();
    await source.close();
    logger.info('router stopped');
  }

  return {
    port,
    httpsPort: routerTls.port,
    adminPort: admin?.port ?? null,
    table,
    sourceStatus: () => source.status(),
    health,
    metricsFamilies,
    inFlight: () => proxy.inFlight() + fast.inFlight(),
    close: () => (closed ??= shutDown()),
  };
}

/** Everything this process reports: request counters and histograms, table and etcd gauges. */
function processFamilies(state: {
  table: RouteTable;
  status: RouteSourceStatus;
  inFlight: number;
  openConnections: number;
  requestMetrics: RouterMetrics;
}): MetricFamily[] {
  const { table, status } = state;
  const stats = table.stats();
  const perApp: Array<{ labels: { app: string }; value: number }> = [];
  table.forEachApp((app, backends) => perApp.push({ labels: { app }, value: backends }));
  const now = Date.now();
  const stale = status.lastInSyncAt === null ? -1 : status.connected ? 0 : (now - status.lastInSyncAt) / 1000;
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  const one = (value: number): Array<{ labels: Record<string, never>; value: number }> => [{ labels: {}, value }];
  return [
    ...state.requestMetrics.families(),
    gauge('slipway_router_app_backends', 'Backends (web processes) in rotation, by app.', 'max', perApp),
    gauge('slipway_router_table_apps', 'Apps in the route table.', 'max', one(stats.appCount)),
    gauge('slipway_router_table_hosts', 'Host names in the route table.', 'max', one(stats.hostCount)),
    gauge('slipway_router_table_backends', 'Backends in the route table, all apps.', 'max', one(stats.backendCount)),
    gauge('slipway_router_table_revision', 'The etcd revision the route table reflects, per router process.', 'worker', one(status.revision ?? -1)),
    gauge('slipway_router_etcd_revision', 'etcd\'s own revision when last probed.', 'max', one(status.etcdRevision ?? -1)),
    gauge('slipway_router_watch_lag_seconds', 'How long the table has been behind a change etcd already has (0: caught up).', 'worker', one(status.watchLagSeconds)),
    gauge('slipway_router_etcd_connected', '1 while the table follows the etcd watch, 0 while it serves the last known routes.', 'worker', one(status.connected ? 1 : 0)),
    gauge('slipway_router_table_stale_seconds', 'Seconds since the table last matched etcd (0 while connected, -1 before the first snapshot).', 'worker', one(stale)),
    { name: 'slipway_router_resyncs_total', help: 'Re-snapshots applied as a diff after a broken, compacted or stuck watch.', type: 'counter', merge: 'sum', samples: one(status.resyncs) },
    { name: 'slipway_router_table_changes_total', help: 'Route changes applied after the first snapshot (watch events and resync diffs).', type: 'counter', merge: 'sum', samples: one(status.changesApplied) },
    gauge('slipway_router_route_memory_bytes', 'Heap per route (etcd key) held, measured when the first snapshot loaded.', 'max', one(status.memoryPerKeyBytes ?? -1)),
    gauge('slipway_router_table_memory_bytes', 'Estimated heap held by the routes: memory per route × routes, per process.', 'worker', one(status.memoryPerKeyBytes === null ? -1 : status.memoryPerKeyBytes * status.keyCount)),
    gauge('slipway_router_inflight_requests', 'Requests and WebSocket sessions in progress.', 'sum', one(state.inFlight)),
    gauge('slipway_router_open_connections', 'Client connections open.', 'sum', one(state.openConnections)),
    gauge('slipway_router_process_resident_memory_bytes', 'Resident memory of each router process.', 'worker', one(memory.rss)),
    gauge('slipway_router_process_heap_used_bytes', 'V8 heap in use, per router process.', 'worker', one(memory.heapUsed)),
    { name: 'slipway_router_process_cpu_seconds_total', help: 'CPU time (user + system) of each router process.', type: 'counter', merge: 'worker', samples: one((cpu.user + cpu.system) / 1e6) },
  ];
}

/** The plain-HTTP port: the router's native listener, or a net.Server on Node's sockets. */
interface PlainListener {
  readonly port: number;
  readonly sockets: SocketKind;
  /** Stops accepting; open connections are left alone. */
  close(): void;
}

/** The sockets the fast path runs on: native ones if asked for and built, else Node's (said in the log). */
function chooseSockets(config: Config, logger: Logger): SocketKind {
  if (config.routerSockets === 'node') return 'node';
  const native = nativeSocketsAvailable();
  if (native.available) return 'native';
  logger.warn({ reason: native.reason }, 'native sockets unavailable (run scripts/build-native); using Node sockets');
  return 'node';
}

async function listenPlain(config: Config, sockets: SocketKind, accept: (socket: ProxySocket) => void, logger: Logger): Promise<PlainListener> {
  if (sockets === 'native') {
    // In a cluster every worker listens on the port itself and the kernel spreads connections.
    const listener = new NativeListener(config.routerHost, config.routerPort, cluster.isWorker, accept);
    return { port: listener.port, sockets, close: () => listener.close() };
  }
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => accept(socket));
  await listen(server, config.routerHost, config.routerPort);
  server.on('error', (error: Error) => logger.error({ err: error }, 'router server error'));
  return { port: (server.address() as AddressInfo).port, sockets, close: () => server.close() };
}

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Closes the node:http agent's idle connections to a backend (the full proxy's pool). */
function closeIdleAgentSockets(agent: http.Agent, hostname: string, port: number): void {
  // The agent names its pools `host:port:` (plus TLS options, which plain HTTP has none of).
  const sockets = agent.freeSockets[`${hostname}:${port}:`];
  if (sockets) for (const socket of [...sockets]) socket.destroy();
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

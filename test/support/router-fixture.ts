/**
 * One router for a test, in this process, on free ports (plain HTTP on the socket kind asked for,
 * HTTPS with the router's default certificate), fed by the shared etcd of scripts/test under a
 * prefix of its own, with apps whose backends the test runs on loopback. Plus a raw TCP server for
 * backends that must write bytes no HTTP library would (the differential tests, desync vectors).
 */
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import { Etcd3 } from 'etcd3';
import { loadConfig } from '../../lib/config';
import { backendKey, domainKey } from '../../lib/etcd-keys';
import { silentLogger } from '../../lib/log';
import type { Logger } from '../../lib/log';
import { startRouter, type RunningRouter } from '../../router';

export const SHARED_ETCD_URL = 'http://127.0.0.1:2379';

export type SocketKind = 'native' | 'node';

export interface FixtureApp {
  /** Host names routed to the app. */
  readonly hosts: readonly string[];
  /** Its one backend (`http://127.0.0.1:port`). */
  readonly url: string;
}

export interface RouterFixture {
  readonly router: RunningRouter;
  /** Plain HTTP (fast path on `sockets`). */
  readonly port: number;
  /** HTTPS (the full proxy), default certificate. */
  readonly httpsPort: number;
  /** The admin port (/metrics, /health), when asked for with `admin: true`. */
  readonly adminPort: number | null;
  close(): Promise<void>;
}

/** Starts a router serving `apps` (name → hosts and backend); `env` adds router settings. */
export async function startRouterFixture(options: {
  sockets: SocketKind;
  apps: Readonly<Record<string, FixtureApp>>;
  env?: Record<string, string>;
  logger?: Logger;
  /** Also serve the admin port (on a free port): Prometheus scrapes its /metrics. */
  admin?: boolean;
}): Promise<RouterFixture> {
  const prefix = `/slipway-test-${randomBytes(6).toString('hex')}`;
  const client = new Etcd3({ hosts: SHARED_ETCD_URL });
  for (const [app, { hosts, url }] of Object.entries(options.apps)) {
    for (const host of hosts) await client.put(domainKey(prefix, app, host)).value(JSON.stringify({ app })).exec();
    await client.put(backendKey(prefix, app, 'web.1')).value(JSON.stringify({ url, release: 1, process: 'web' })).exec();
  }
  const config = loadConfig({
    SLIPWAY_ETCD_URL: SHARED_ETCD_URL,
    SLIPWAY_ETCD_PREFIX: prefix,
    SLIPWAY_ROUTER_HOST: '127.0.0.1',
    SLIPWAY_ROUTER_PORT: '0',
    SLIPWAY_ROUTER_ADMIN_PORT: '0',
    SLIPWAY_ROUTER_HTTPS_PORT: '0',
    SLIPWAY_ROUTER_SHUTDOWN_GRACE: '2',
    SLIPWAY_ROUTER_CACHE_MAX_AGE: '0', // a cache would outlive the test in the state dir
    SLIPWAY_STATE_DIR: os.tmpdir(),
    SLIPWAY_ROUTER_SOCKETS: options.sockets,
    ...options.env,
  });
  let router: RunningRouter;
  try {
    router = await startRouter(config, options.logger ?? silentLogger(), { serveAdmin: options.admin ?? false });
  } catch (error) {
    await client.delete().prefix(`${prefix}/`).exec();
    client.close();
    throw error;
  }
  return {
    router,
    port: router.port,
    httpsPort: router.httpsPort,
    adminPort: router.adminPort ?? null,
    close: async () => {
      await router.close();
      await client.delete().prefix(`${prefix}/`).exec();
      client.close();
    },
  };
}

export interface RawServer {
  readonly url: string;
  readonly port: number;
  /** Closes the server and destroys its open connections. */
  close(): Promise<void>;
}

/** A TCP server on loopback handing each connection to `onConnection`; closes with its connections. */
export async function startRawServer(onConnection: (socket: net.Socket) => void): Promise<RawServer> {
  const open = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
      }),
  };
}

/**
 * The one place that reads Slipway's environment. Every part receives a frozen Config
 * from its composition root; nothing else looks at process.env for settings.
 */
import os from 'node:os';
import path from 'node:path';
import { SlipwayError } from './errors';

export interface Config {
  /** Where Slipway keeps its database, repositories, keys and logs. */
  readonly stateDir: string;
  /** knex connection: a sqlite file in the state dir unless SLIPWAY_DATABASE_URL says mysql://… */
  readonly databaseUrl: string;
  readonly etcdUrls: readonly string[];
  /** Prefix of every etcd key Slipway writes; tests use their own so they never collide. */
  readonly etcdPrefix: string;
  /** host:port of the Docker registry images are pushed to. */
  readonly registry: string;
  readonly dockerSocket: string;
  readonly apiHost: string;
  readonly apiPort: number;
  readonly sshHost: string;
  readonly sshPort: number;
  readonly routerHost: string;
  readonly routerPort: number;
  /** Router admin listener (Prometheus /metrics, /health); keep it on loopback. */
  readonly routerAdminHost: string;
  readonly routerAdminPort: number;
  /** Prometheus's HTTP API, which `GET /apps/:app/metrics` queries (docs/metrics.md). */
  readonly prometheusUrl: string;
  /**
   * The token Prometheus presents to the API's /metrics and /metrics/containers (made by
   * scripts/start-services, or by the platform when missing). Platform admins' tokens work too.
   */
  readonly metricsTokenFile: string;
  /** Router processes (node:cluster workers), one per core by default; 1 runs a single process. */
  readonly routerWorkers: number;
  /** How each router process spreads an app's requests over its backends. */
  readonly routerBalance: RouterBalance;
  /** The sockets under the router's fast path: the router's own (C, router/native) or Node's. */
  readonly routerSockets: 'native' | 'node';
  /** A backend that refuses connections gets no requests for this long (passive health check). */
  readonly routerEjectMs: number;
  /** Connecting to a backend longer than this counts as a refused connection. */
  readonly routerConnectTimeoutMs: number;
  /** From the request fully sent to the backend's response headers; past it: 504 R504. 0: no limit. */
  readonly routerResponseTimeoutMs: number;
  /** No byte either way on a client connection for this long ends the request (R408/R598). 0: no limit. */
  readonly routerIdleTimeoutMs: number;
  /** Largest request body passed on; larger ones get 413 R413. 0: no limit. */
  readonly routerMaxBodyBytes: number;
  /** On SIGTERM, how long in-flight requests may take to finish before their connections are cut. */
  readonly routerShutdownGraceMs: number;
  /** A restarted router serves its local copy of the routes (state dir) if younger than this, until etcd answers. 0: no copy. */
  readonly routerCacheMaxAgeMs: number;
  /**
   * The router's HTTPS port (certificates by SNI), on routerHost. Default 8443; when the HTTP port
   * is 0 (pick a free one, as in tests) it defaults to 0 as well.
   */
  readonly routerHttpsPort: number;
  /**
   * The key file that seals config values and TLS private keys at rest (in the database and in
   * etcd); the platform and the router read it. Made by `scripts/secrets init` (docs/security.md).
   */
  readonly secretsKeyFile: string;
  /** Apps are served at http://<app>.<domain>. */
  readonly domain: string;
  /** Host name users reach Slipway at, used in git remotes. */
  readonly publicHost: string;
  /** npm registry for Node.js builds; null means "ask the host's npm" (npm config get registry). */
  readonly npmRegistry: string | null;
  /** CA bundle made available to build containers (corporate proxies, private registries). */
  readonly buildCaBundle: string | null;
  readonly buildpacksDir: string;
  readonly stackBuildImage: string;
  readonly stackRunImage: string;
  /** How long a new instance has, in all, to accept HTTP on $PORT (web) and pass its app.json startup and readiness checks. */
  readonly bootTimeoutMs: number;
  /** SIGTERM grace period before SIGKILL when stopping an instance. */
  readonly stopGraceSeconds: number;
  readonly logLevel: string;
  /** New web instances started at once during a rolling deploy. */
  readonly deploySurge: number;
  /** Old web instances that may stop before their replacements are ready. */
  readonly deployMaxUnavailable: number;
  /** Between withdrawing an instance from etcd and SIGTERM: routers stop sending, in-flight requests finish. */
  readonly drainMs: number;
  /** How often the reconciler compares desired and actual state (it also runs at start-up). */
  readonly reconcileIntervalMs: number;
  /** Memory kept back from apps for Slipway, Docker and the system. */
  readonly reservedMemoryMb: number;
  /** CPU limits of all instances may add up to cores × this factor. */
  readonly cpuOvercommit: number;
  /** How long a build may run before its container is killed and the push rejected (SLIPWAY_BUILD_TIMEOUT, seconds). */
  readonly buildTimeoutMs: number;
  /** Memory limit of a build container, in megabytes (SLIPWAY_BUILD_MEMORY, e.g. 4g or 4096m). */
  readonly buildMemoryMb: number;
  /** CPU limit of a build container, in cores (SLIPWAY_BUILD_CPUS). */
  readonly buildCpus: number;
  /** Log lines kept per app, the newest (SLIPWAY_LOG_MAX_LINES). */
  readonly logMaxLines: number;
  /** Log lines older than this are deleted (SLIPWAY_LOG_MAX_AGE, in hours). */
  readonly logMaxAgeMs: number;
  /** Disk kept per app for its log history at most (SLIPWAY_LOG_MAX_MB). */
  readonly logMaxBytes: number;
  /** App and router lines an app may add per second; more are dropped with an L12 line (SLIPWAY_LOG_RATE_LIMIT). */
  readonly logRateLimit: number;
  /** The router leaves a line per request for each app's log (SLIPWAY_LOG_ROUTER=0: it does not). */
  readonly logRouterLines: boolean;
  /** Lines each drain holds while its endpoint is unreachable; past it the oldest go (L10) (SLIPWAY_DRAIN_BUFFER_LINES). */
  readonly drainBufferLines: number;
  /** An extra CA bundle (PEM) trusted by syslog+tls:// and https:// drains, besides the host's (SLIPWAY_DRAIN_CA_FILE). */
  readonly drainCaFile: string | null;
  /** Drains may send to loopback, private and the host's own addresses (SLIPWAY_DRAINS_ALLOW_PRIVATE=1); refused by default (SSRF). */
  readonly drainsAllowPrivate: boolean;
}

export type RouterBalance = 'round-robin' | 'least-connections';

type Env = Readonly<Record<string, string | undefined>>;

function port(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > 65535) {
    throw new SlipwayError('invalid_config', `${name}=${raw} is not a TCP port (0-65535)`);
  }
  return value;
}

function positiveNumber(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new SlipwayError('invalid_config', `${name}=${raw} must be a positive number`);
  }
  return value;
}

function nonNegativeNumber(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new SlipwayError('invalid_config', `${name}=${raw} must be a number ≥ 0`);
  return value;
}

/** "4g", "4096m", "4096" (megabytes) → megabytes. */
function memoryMb(env: Env, name: string, fallbackMb: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallbackMb;
  const match = /^(\d+(?:\.\d+)?)\s*([mMgG])?[bB]?$/.exec(raw.trim());
  const value = match ? Number(match[1]) * (match[2]?.toLowerCase() === 'g' ? 1024 : 1) : NaN;
  if (!Number.isFinite(value) || value < 64) {
    throw new SlipwayError('invalid_config', `${name}=${raw} must be a memory size of at least 64m, like 4g or 2048m`);
  }
  return Math.round(value);
}

function count(env: Env, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new SlipwayError('invalid_config', `${name}=${raw} must be a whole number ≥ ${min}`);
  return Number(raw);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new SlipwayError('invalid_config', `${name}=${raw} must be one of: ${allowed.join(', ')}`);
  }
  return raw as T;
}

export function loadConfig(env: Env = process.env): Config {
  const stateDir = path.resolve(env.SLIPWAY_STATE_DIR || '/var/lib/slipway');
  const root = path.resolve(__dirname, '..', '..');
  const caBundle = env.SLIPWAY_BUILD_CA_BUNDLE ?? env.SSL_CERT_FILE ?? env.NODE_EXTRA_CA_CERTS ?? '';
  return Object.freeze({
    stateDir,
    databaseUrl: env.SLIPWAY_DATABASE_URL || `sqlite://${path.join(stateDir, 'slipway.sqlite3')}`,
    etcdUrls: Object.freeze((env.SLIPWAY_ETCD_URL || 'http://127.0.0.1:2379').split(',').map((u) => u.trim())),
    etcdPrefix: (env.SLIPWAY_ETCD_PREFIX || '/slipway').replace(/\/+$/, ''),
    registry: env.SLIPWAY_REGISTRY || '127.0.0.1:5000',
    dockerSocket: (env.DOCKER_HOST || 'unix:///var/run/docker.sock').replace(/^unix:\/\//, ''),
    apiHost: env.SLIPWAY_API_HOST || '127.0.0.1',
    apiPort: port(env, 'SLIPWAY_API_PORT', 5080),
    sshHost: env.SLIPWAY_SSH_HOST || '0.0.0.0',
    sshPort: port(env, 'SLIPWAY_SSH_PORT', 2222),
    routerHost: env.SLIPWAY_ROUTER_HOST || '0.0.0.0',
    routerPort: port(env, 'SLIPWAY_ROUTER_PORT', 8080),
    routerAdminHost: env.SLIPWAY_ROUTER_ADMIN_HOST || '127.0.0.1',
    routerAdminPort: port(env, 'SLIPWAY_ROUTER_ADMIN_PORT', 8081),
    prometheusUrl: (env.SLIPWAY_PROMETHEUS_URL || `http://127.0.0.1:${port(env, 'SLIPWAY_PROMETHEUS_PORT', 9090)}`).replace(/\/+$/, ''),
    metricsTokenFile: path.resolve(env.SLIPWAY_METRICS_TOKEN_FILE || path.join(stateDir, 'metrics-token')),
    routerWorkers: count(env, 'SLIPWAY_ROUTER_WORKERS', os.availableParallelism(), 1),
    routerBalance: oneOf<RouterBalance>(env, 'SLIPWAY_ROUTER_BALANCE', ['round-robin', 'least-connections'], 'round-robin'),
    routerSockets: oneOf(env, 'SLIPWAY_ROUTER_SOCKETS', ['native', 'node'] as const, 'native'),
    routerEjectMs: nonNegativeNumber(env, 'SLIPWAY_ROUTER_EJECT_SECONDS', 10) * 1000,
    routerConnectTimeoutMs: positiveNumber(env, 'SLIPWAY_ROUTER_CONNECT_TIMEOUT', 5) * 1000,
    routerResponseTimeoutMs: nonNegativeNumber(env, 'SLIPWAY_ROUTER_RESPONSE_TIMEOUT', 30) * 1000,
    routerIdleTimeoutMs: nonNegativeNumber(env, 'SLIPWAY_ROUTER_IDLE_TIMEOUT', 55) * 1000,
    routerMaxBodyBytes: Math.round(nonNegativeNumber(env, 'SLIPWAY_ROUTER_MAX_BODY_MB', 1024) * 1024 * 1024),
    routerShutdownGraceMs: nonNegativeNumber(env, 'SLIPWAY_ROUTER_SHUTDOWN_GRACE', 30) * 1000,
    routerCacheMaxAgeMs: nonNegativeNumber(env, 'SLIPWAY_ROUTER_CACHE_MAX_AGE', 300) * 1000,
    routerHttpsPort: port(env, 'SLIPWAY_ROUTER_HTTPS_PORT', port(env, 'SLIPWAY_ROUTER_PORT', 8080) === 0 ? 0 : 8443),
    secretsKeyFile: path.resolve(env.SLIPWAY_SECRETS_KEY_FILE || path.join(stateDir, 'secrets.key')),
    domain: env.SLIPWAY_DOMAIN || 'slipway.localhost',
    publicHost: env.SLIPWAY_PUBLIC_HOST || '127.0.0.1',
    npmRegistry: env.SLIPWAY_NPM_REGISTRY || env.npm_config_registry || null,
    buildCaBundle: caBundle === '' ? null : path.resolve(caBundle),
    buildpacksDir: path.resolve(env.SLIPWAY_BUILDPACKS_DIR || path.join(root, 'buildpacks')),
    stackBuildImage: env.SLIPWAY_STACK_BUILD_IMAGE || 'slipway/stack-build:latest',
    stackRunImage: env.SLIPWAY_STACK_RUN_IMAGE || 'slipway/stack-run:latest',
    bootTimeoutMs: positiveNumber(env, 'SLIPWAY_BOOT_TIMEOUT', 60) * 1000,
    stopGraceSeconds: positiveNumber(env, 'SLIPWAY_STOP_GRACE', 10),
    logLevel: env.SLIPWAY_LOG_LEVEL || 'info',
    deploySurge: count(env, 'SLIPWAY_DEPLOY_SURGE', 1, 1),
    deployMaxUnavailable: count(env, 'SLIPWAY_DEPLOY_MAX_UNAVAILABLE', 0, 0),
    drainMs: nonNegativeNumber(env, 'SLIPWAY_DRAIN_SECONDS', 1) * 1000,
    reconcileIntervalMs: positiveNumber(env, 'SLIPWAY_RECONCILE_INTERVAL', 15) * 1000,
    reservedMemoryMb: count(env, 'SLIPWAY_RESERVED_MEMORY_MB', 1024, 0),
    cpuOvercommit: positiveNumber(env, 'SLIPWAY_CPU_OVERCOMMIT', 4),
    buildTimeoutMs: positiveNumber(env, 'SLIPWAY_BUILD_TIMEOUT', 900) * 1000,
    buildMemoryMb: memoryMb(env, 'SLIPWAY_BUILD_MEMORY', 4096),
    buildCpus: positiveNumber(env, 'SLIPWAY_BUILD_CPUS', 2),
    logMaxLines: count(env, 'SLIPWAY_LOG_MAX_LINES', 10_000, 100),
    logMaxAgeMs: positiveNumber(env, 'SLIPWAY_LOG_MAX_AGE', 7 * 24) * 3600 * 1000,
    logMaxBytes: Math.round(positiveNumber(env, 'SLIPWAY_LOG_MAX_MB', 64) * 1024 * 1024),
    logRateLimit: count(env, 'SLIPWAY_LOG_RATE_LIMIT', 20_000, 1),
    logRouterLines: oneOf(env, 'SLIPWAY_LOG_ROUTER', ['0', '1'] as const, '1') === '1',
    drainBufferLines: count(env, 'SLIPWAY_DRAIN_BUFFER_LINES', 100_000, 100),
    drainCaFile: env.SLIPWAY_DRAIN_CA_FILE ? path.resolve(env.SLIPWAY_DRAIN_CA_FILE) : null,
    drainsAllowPrivate: oneOf(env, 'SLIPWAY_DRAINS_ALLOW_PRIVATE', ['0', '1'] as const, '0') === '1',
  });
}

/**
 * The one place that reads Slipway's environment. Every part receives a frozen Config
 * from its composition root; nothing else looks at process.env for settings.
 */
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
  /** How long a new web process has to accept HTTP on $PORT before the deploy fails. */
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
}

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

function count(env: Env, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new SlipwayError('invalid_config', `${name}=${raw} must be a whole number ≥ ${min}`);
  return Number(raw);
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
  });
}

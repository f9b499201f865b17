/**
 * The router's health: a bare liveness answer at /_slipway/health on the public ports (any host),
 * and the detailed report, built from the table and the source status, on the admin port only
 * (router/admin.ts), since counts of apps, hosts and backends are nobody's business outside. Pure.
 */
import type { RouteTableStats } from './route-table';
import type { RouteSourceStatus } from './route-source';

export const HEALTH_PATH = '/_slipway/health';

/** What anyone may learn on the public port: whether the router can serve (routes loaded). */
export interface PublicHealth {
  readonly ok: boolean;
}

export interface HealthReport {
  /** True once routes are loaded: the router can answer for apps, even if etcd is away now. */
  readonly ok: boolean;
  readonly revision: number | null;
  readonly appCount: number;
  readonly hostCount: number;
  readonly backendCount: number;
  readonly etcdConnected: boolean;
  /** Seconds since the table was last known to match etcd: 0 while connected, null if never. */
  readonly staleSeconds: number | null;
  /** Seconds the table has been behind a change etcd already has (0 when caught up). */
  readonly watchLagSeconds: number;
  /** Re-snapshots (applied as diffs) since start. */
  readonly resyncs: number;
  /** `cache` while a restarted router serves its local copy of the routes, before etcd answered. */
  readonly routesFrom: 'etcd' | 'cache' | null;
  /** Estimated heap per etcd key (domain or backend) held, measured on the first snapshot. */
  readonly memoryPerRouteBytes: number | null;
}

export function buildHealthReport(
  loaded: boolean,
  stats: RouteTableStats,
  source: RouteSourceStatus,
  now: number,
): HealthReport {
  const staleSeconds =
    source.lastInSyncAt === null ? null : source.connected ? 0 : Math.max(0, Math.round((now - source.lastInSyncAt) / 1000));
  return {
    ok: loaded,
    revision: source.revision,
    appCount: stats.appCount,
    hostCount: stats.hostCount,
    backendCount: stats.backendCount,
    etcdConnected: source.connected,
    staleSeconds,
    watchLagSeconds: Math.round(source.watchLagSeconds * 10) / 10,
    resyncs: source.resyncs,
    routesFrom: source.routesFrom,
    memoryPerRouteBytes: source.memoryPerKeyBytes,
  };
}

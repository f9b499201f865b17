/** The JSON answered at /_slipway/health, built from the table and the source status. Pure. */
import type { RouteTableStats } from './route-table';
import type { RouteSourceStatus } from './route-source';

export const HEALTH_PATH = '/_slipway/health';

export interface HealthReport {
  /** True once routes are loaded: the router can answer for apps, even if etcd is away now. */
  readonly ok: boolean;
  readonly revision: number | null;
  readonly appCount: number;
  readonly backendCount: number;
  readonly etcdConnected: boolean;
  /** Seconds since the table was last known to match etcd: 0 while connected, null if never. */
  readonly staleSeconds: number | null;
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
    backendCount: stats.backendCount,
    etcdConnected: source.connected,
    staleSeconds,
  };
}

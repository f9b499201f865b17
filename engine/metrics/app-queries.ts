/**
 * The PromQL behind an app's graphs, and the time window they are asked over. Pure: the service
 * (app-metrics-service.ts) sends these to Prometheus's HTTP API.
 *
 * Resolution: Prometheus keeps every 10 s sample for the retention period (8 days, see
 * docs/metrics.md), so any range can be read at any step; a window of up to 24 h is read at a
 * 10 s step and a longer one (up to 7 days) at 60 s, which keeps every answer under Prometheus's
 * 11,000 points per series.
 */
import { SlipwayError } from '../../lib/errors';

/** Prometheus's scrape interval (scripts/start-services): the finest step worth asking for. */
export const SCRAPE_INTERVAL_SECONDS = 10;
export const MAX_RANGE_SECONDS = 7 * 24 * 3600;
const FINE_RANGE_SECONDS = 24 * 3600;
/** Prometheus refuses a range query of more points than this per series. */
const MAX_POINTS = 11_000;

const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "90s", "15m", "1h", "2d" (or a bare number of seconds) → seconds; a clear error otherwise. */
export function parseDuration(text: string, what: string): number {
  const match = /^(\d{1,7})([smhd])?$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * (UNITS[match[2] ?? 's'] as number) : NaN;
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new SlipwayError('invalid_request', `${what} "${text}" is not a duration: use a number with s, m, h or d, like 30m, 1h or 7d.`);
  }
  return seconds;
}

export interface QueryWindow {
  /** Unix seconds, multiples of the step so that consecutive requests return the same points. */
  readonly start: number;
  readonly end: number;
  readonly step: number;
}

/**
 * The window ending now that `since` asks for, at `step` seconds (or the default for its length:
 * 10 s up to 24 h, 60 s beyond). A step finer than the scrape interval, or one that would give
 * more points than Prometheus answers, is refused.
 */
export function queryWindow(nowMs: number, since: string, step?: string): QueryWindow {
  const range = parseDuration(since, 'since');
  if (range > MAX_RANGE_SECONDS) {
    throw new SlipwayError('invalid_request', `since=${since} reaches further back than the 7 days metrics are kept; use 7d or less.`);
  }
  const stepSeconds = step === undefined ? (range <= FINE_RANGE_SECONDS ? SCRAPE_INTERVAL_SECONDS : 60) : parseDuration(step, 'step');
  if (stepSeconds < SCRAPE_INTERVAL_SECONDS) {
    throw new SlipwayError('invalid_request', `step=${step} is finer than the ${SCRAPE_INTERVAL_SECONDS} s at which metrics are collected; use ${SCRAPE_INTERVAL_SECONDS}s or more.`);
  }
  if (range / stepSeconds > MAX_POINTS) {
    throw new SlipwayError('invalid_request', `since=${since} at step=${stepSeconds}s is more than ${MAX_POINTS} points; use a larger step (60s or more beyond 24 h).`);
  }
  // Rounded up, not down: the last point then covers the newest scrape (a rate at a time after
  // the last sample reads the samples there are), instead of ending up to one step in the past.
  const end = Math.ceil(nowMs / 1000 / stepSeconds) * stepSeconds;
  return { start: end - range, end, step: stepSeconds };
}

export type MetricName = 'requests' | 'status' | 'latency' | 'cpu' | 'memory_rss' | 'memory_limit' | 'restarts';
export type MetricUnit = 'requests/s' | 'seconds' | 'cores' | 'bytes' | 'restarts';

/** One query of an app's graphs: its result series are told apart by `splitBy` (or `fixed`). */
export interface SeriesQuery {
  readonly metric: MetricName;
  readonly unit: MetricUnit;
  readonly query: string;
  /** The label of each result series that names it (`status_class`, `process_type`), if any. */
  readonly splitBy: 'status_class' | 'process_type' | null;
  /** Labels every result series of this query gets (`quantile: "p95"`). */
  readonly fixed: Readonly<Record<string, string>>;
}

/** A PromQL string literal: app names are already checked, this is defence in depth. */
function literal(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * The range over which rates are taken: at least three scrapes (a rate needs two samples, and a
 * scrape can be late), and at least the step so that no request falls between two points.
 */
export function rateWindow(step: number): string {
  return `${Math.max(step, 3 * SCRAPE_INTERVAL_SECONDS)}s`;
}

export const QUANTILES = [['p50', 0.5], ['p95', 0.95], ['p99', 0.99]] as const;

/** The queries behind `GET /apps/:app/metrics`, in the order the answer lists them. */
export function appQueries(app: string, step: number): SeriesQuery[] {
  const sel = `{app=${literal(app)}}`;
  const w = rateWindow(step);
  const requests = `rate(slipway_router_requests_total${sel}[${w}])`;
  const buckets = `sum by (le) (rate(slipway_router_request_duration_seconds_bucket${sel}[${w}]))`;
  return [
    { metric: 'requests', unit: 'requests/s', query: `sum(${requests})`, splitBy: null, fixed: {} },
    { metric: 'status', unit: 'requests/s', query: `sum by (status_class) (${requests})`, splitBy: 'status_class', fixed: {} },
    ...QUANTILES.map(([name, q]): SeriesQuery => ({
      metric: 'latency', unit: 'seconds', query: `histogram_quantile(${q}, ${buckets})`, splitBy: null, fixed: { quantile: name },
    })),
    { metric: 'cpu', unit: 'cores', query: `sum by (process_type) (rate(slipway_container_cpu_seconds_total${sel}[${w}]))`, splitBy: 'process_type', fixed: {} },
    { metric: 'memory_rss', unit: 'bytes', query: `sum by (process_type) (slipway_container_memory_rss_bytes${sel})`, splitBy: 'process_type', fixed: {} },
    { metric: 'memory_limit', unit: 'bytes', query: `sum by (process_type) (slipway_container_memory_limit_bytes${sel})`, splitBy: 'process_type', fixed: {} },
    // Docker's restart count of the instances running at each point (what `ps` shows): a crash is a
    // step up. Not a rate, which would smear a single crash over the window.
    { metric: 'restarts', unit: 'restarts', query: `sum by (process_type) (slipway_container_restarts_total${sel})`, splitBy: 'process_type', fixed: {} },
  ];
}

/**
 * Every app's requests/s in one query, split by app: the apps list's sparklines (one request for
 * all the apps shown instead of one per app).
 */
export function requestRatesQuery(step: number): string {
  return `sum by (app) (rate(slipway_router_requests_total[${rateWindow(step)}]))`;
}

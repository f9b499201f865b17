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
  /** Unix seconds (milliseconds kept): the exact end of the window the `overall` figures cover. */
  readonly until: number;
  /** Seconds: the length of the window, `since`. */
  readonly range: number;
}

/** An `until` time: ISO 8601 (2026-12-05T18:00:00Z) or unix seconds (1765130400.5) → unix milliseconds. */
export function parseTime(text: string): number {
  const trimmed = text.trim();
  const ms = /^\d{1,12}(\.\d{1,6})?$/.test(trimmed) ? Number(trimmed) * 1000
    : /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(trimmed) ? Date.parse(trimmed) : NaN;
  if (!Number.isFinite(ms)) {
    throw new SlipwayError('invalid_request', `until "${text}" is not a time: use ISO 8601 with a zone (2026-12-05T18:00:00Z) or unix seconds.`);
  }
  return ms;
}

/**
 * The window of `since` seconds ending at `untilMs` (now by default), at `step` seconds (or the
 * default for its length: 10 s up to 24 h, 60 s beyond). A step finer than the scrape interval,
 * one that would give more points than Prometheus answers, or a window reaching further back than
 * the 7 days kept is refused.
 */
export function queryWindow(nowMs: number, since: string, step?: string, untilMs?: number): QueryWindow {
  const range = parseDuration(since, 'since');
  const until = Math.min(untilMs ?? nowMs, nowMs) / 1000;
  if (range > MAX_RANGE_SECONDS || nowMs / 1000 - (until - range) > MAX_RANGE_SECONDS) {
    throw new SlipwayError('invalid_request', `since=${since}${untilMs === undefined ? '' : ' before until'} reaches further back than the 7 days metrics are kept; use a window within the last 7d.`);
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
  const end = Math.ceil(until / stepSeconds) * stepSeconds;
  return { start: end - range, end, step: stepSeconds, until, range };
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
  /**
   * The figure over the whole window (an instant query at its end over `[range]`): requests
   * counted in the window divided by its length, the quantile of all its requests. Null where
   * the mean of the points says it (memory, restarts).
   */
  readonly overall: string | null;
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

/**
 * The queries behind `GET /apps/:app/metrics`, in the order the answer lists them. `range`: the
 * window's length in seconds, over which `overall` figures are taken (exactly, not per step).
 */
export function appQueries(app: string, step: number, range: number = step): SeriesQuery[] {
  const sel = `{app=${literal(app)}}`;
  const w = rateWindow(step);
  const r = `${Math.round(range)}s`;
  const requests = (over: string): string => `rate(slipway_router_requests_total${sel}[${over}])`;
  const buckets = (over: string): string => `sum by (le) (rate(slipway_router_request_duration_seconds_bucket${sel}[${over}]))`;
  const duration = (part: 'sum' | 'count', over: string): string => `sum(rate(slipway_router_request_duration_seconds_${part}${sel}[${over}]))`;
  const cpu = (over: string): string => `sum by (process_type) (rate(slipway_container_cpu_seconds_total${sel}[${over}]))`;
  // rate() over the whole window is its increase divided by its length: requests/s over the window.
  return [
    { metric: 'requests', unit: 'requests/s', query: `sum(${requests(w)})`, splitBy: null, fixed: {}, overall: `sum(${requests(r)})` },
    { metric: 'status', unit: 'requests/s', query: `sum by (status_class) (${requests(w)})`, splitBy: 'status_class', fixed: {}, overall: `sum by (status_class) (${requests(r)})` },
    ...QUANTILES.map(([name, q]): SeriesQuery => ({
      metric: 'latency', unit: 'seconds', query: `histogram_quantile(${q}, ${buckets(w)})`, splitBy: null, fixed: { quantile: name }, overall: `histogram_quantile(${q}, ${buckets(r)})`,
    })),
    // The mean is exact (the router's sum of durations over their count), whatever the buckets.
    { metric: 'latency', unit: 'seconds', query: `${duration('sum', w)} / ${duration('count', w)}`, splitBy: null, fixed: { quantile: 'mean' }, overall: `${duration('sum', r)} / ${duration('count', r)}` },
    { metric: 'cpu', unit: 'cores', query: cpu(w), splitBy: 'process_type', fixed: {}, overall: cpu(r) },
    { metric: 'memory_rss', unit: 'bytes', query: `sum by (process_type) (slipway_container_memory_rss_bytes${sel})`, splitBy: 'process_type', fixed: {}, overall: null },
    { metric: 'memory_limit', unit: 'bytes', query: `sum by (process_type) (slipway_container_memory_limit_bytes${sel})`, splitBy: 'process_type', fixed: {}, overall: null },
    // Docker's restart count of the instances running at each point (what `ps` shows): a crash is a
    // step up. Not a rate, which would smear a single crash over the window.
    { metric: 'restarts', unit: 'restarts', query: `sum by (process_type) (slipway_container_restarts_total${sel})`, splitBy: 'process_type', fixed: {}, overall: null },
  ];
}

/**
 * Every app's requests/s in one query, split by app: the apps list's sparklines (one request for
 * all the apps shown instead of one per app).
 */
export function requestRatesQuery(step: number): string {
  return `sum by (app) (rate(slipway_router_requests_total[${rateWindow(step)}]))`;
}

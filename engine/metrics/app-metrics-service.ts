/**
 * An app's graphs for the console and `slipway metrics`: requests/s, status classes, latency
 * quantiles, CPU, memory (RSS and limit) and restarts over a window, read from Prometheus.
 */
import { appQueries, parseTime, queryWindow, requestRatesQuery, type MetricName, type MetricUnit, type QueryWindow } from './app-queries';
import { isSlipwayError } from '../../lib/errors';
import type { MetricsStore } from './prometheus-store';

export interface AppSeries {
  readonly metric: MetricName;
  readonly unit: MetricUnit;
  /** What tells this series apart within its metric: `status_class`, `process_type` or `quantile`. */
  readonly labels: Record<string, string>;
  readonly points: Array<[number, number]>;
  /** The figure over the whole window (requests/s over it, the quantile of all its requests); null when there is none. */
  readonly overall: number | null;
}

export interface AppMetrics {
  readonly app: string;
  /** Unix seconds. */
  readonly start: number;
  readonly end: number;
  readonly step: number;
  /** Unix seconds: the exact end of the window `overall` covers (`since` seconds long). */
  readonly until: number;
  readonly series: AppSeries[];
}

/** Every app's requests/s over a window (the apps list's sparklines). */
export interface RequestRates {
  readonly start: number;
  readonly end: number;
  readonly step: number;
  readonly apps: Array<{ app: string; points: Array<[number, number]> }>;
  /** Why there are no figures when Prometheus could not answer (the apps list still shows). */
  readonly unavailable: string | null;
}

/** A sparkline needs no finer points than a minute apart. */
const SPARKLINE_STEP = '60s';

export class AppMetricsService {
  constructor(
    private readonly store: MetricsStore,
    /** Throws app_not_found for an app that does not exist. */
    private readonly appExists: (app: string) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  async forApp(app: string, options: { since?: string | undefined; step?: string | undefined; until?: string | undefined }): Promise<AppMetrics> {
    const now = this.now();
    const window: QueryWindow = queryWindow(now, options.since ?? '1h', options.step, options.until === undefined ? undefined : parseTime(options.until));
    await this.appExists(app);
    const answers = await Promise.all(appQueries(app, window.step, window.range).map(async (q) => {
      const [found, overall] = await Promise.all([
        this.store.queryRange(q.query, window),
        q.overall === null ? Promise.resolve([]) : this.store.queryInstant(q.overall, window.until),
      ]);
      const key = (labels: Readonly<Record<string, string>>): string => (q.splitBy === null ? '' : labels[q.splitBy] ?? '');
      const overallOf = new Map(overall.filter((o) => Number.isFinite(o.value)).map((o) => [key(o.labels), o.value]));
      return found.map((series): AppSeries => {
        const split = q.splitBy === null ? {} : { [q.splitBy]: key(series.labels) };
        return { metric: q.metric, unit: q.unit, labels: { ...split, ...q.fixed }, points: series.points, overall: overallOf.get(key(series.labels)) ?? null };
      });
    }));
    return { app, start: window.start, end: window.end, step: window.step, until: window.until, series: answers.flat() };
  }

  /**
   * The requests/s of every app that had requests in the window, one Prometheus query for all;
   * `allowed` keeps those the caller may read (the policy decides, per app).
   */
  async requestRates(since: string | undefined, allowed: (app: string) => Promise<boolean>): Promise<RequestRates> {
    const window: QueryWindow = queryWindow(this.now(), since ?? '1h', SPARKLINE_STEP);
    let found: Awaited<ReturnType<MetricsStore['queryRange']>>;
    try {
      found = await this.store.queryRange(requestRatesQuery(window.step), window);
    } catch (error) {
      // A sparkline is a nicety: Prometheus being down must not turn the apps list into an error.
      if (isSlipwayError(error) && error.code === 'metrics_unavailable') return { ...window, apps: [], unavailable: error.message };
      throw error;
    }
    const apps: RequestRates['apps'] = [];
    for (const series of found) {
      const app = series.labels.app;
      if (app && await allowed(app)) apps.push({ app, points: series.points });
    }
    apps.sort((a, b) => a.app.localeCompare(b.app));
    return { start: window.start, end: window.end, step: window.step, apps, unavailable: null };
  }
}

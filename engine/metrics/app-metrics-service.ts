/**
 * An app's graphs for the console and `slipway metrics`: requests/s, status classes, latency
 * quantiles, CPU, memory (RSS and limit) and restarts over a window, read from Prometheus.
 */
import { appQueries, parseTime, queryWindow, type MetricName, type MetricUnit, type QueryWindow } from './app-queries';
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
}

/**
 * An app's graphs for the console and `slipway metrics`: requests/s, status classes, latency
 * quantiles, CPU, memory (RSS and limit) and restarts over a window, read from Prometheus.
 */
import { appQueries, queryWindow, type MetricName, type MetricUnit, type QueryWindow } from './app-queries';
import type { MetricsStore } from './prometheus-store';

export interface AppSeries {
  readonly metric: MetricName;
  readonly unit: MetricUnit;
  /** What tells this series apart within its metric: `status_class`, `process_type` or `quantile`. */
  readonly labels: Record<string, string>;
  readonly points: Array<[number, number]>;
}

export interface AppMetrics {
  readonly app: string;
  /** Unix seconds. */
  readonly start: number;
  readonly end: number;
  readonly step: number;
  readonly series: AppSeries[];
}

export class AppMetricsService {
  constructor(
    private readonly store: MetricsStore,
    /** Throws app_not_found for an app that does not exist. */
    private readonly appExists: (app: string) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  async forApp(app: string, options: { since?: string | undefined; step?: string | undefined }): Promise<AppMetrics> {
    const window: QueryWindow = queryWindow(this.now(), options.since ?? '1h', options.step);
    await this.appExists(app);
    const answers = await Promise.all(appQueries(app, window.step).map(async (q) => {
      const found = await this.store.queryRange(q.query, window);
      return found.map((series): AppSeries => {
        const split = q.splitBy === null ? {} : { [q.splitBy]: series.labels[q.splitBy] ?? '' };
        return { metric: q.metric, unit: q.unit, labels: { ...split, ...q.fixed }, points: series.points };
      });
    }));
    return { app, start: window.start, end: window.end, step: window.step, series: answers.flat() };
  }
}

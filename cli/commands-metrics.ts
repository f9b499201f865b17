/**
 * `slipway metrics [-a APP] [--since 1h] [--until TIME] [--step 10s] [--json]`: an app's
 * requests/s, status classes, latency, CPU, memory and restarts over a window, one row per series
 * (last point, the figure over the whole window, peak point), with a sparkline of the window when
 * stdout is a terminal. API call, then pure formatting.
 */
import type { Command } from 'commander';
import type { AppMetricsView, MetricSeries } from './api-types';
import { APP_ARG_HELP } from './app-arg';
import type { CommandContext } from './commands';
import { humanBytes } from './commands-buildpacks';
import * as format from './format';

const BARS = '▁▂▃▄▅▆▇█';
/** Characters of a sparkline: the window is cut into this many equal slices. */
export const SPARK_WIDTH = 24;

/**
 * A sparkline of `points` over [start, end]: each slice shows the mean of its points, scaled from
 * 0 to the peak; a slice without points is a space (no request, no instance then).
 */
export function sparkline(points: ReadonlyArray<readonly [number, number]>, start: number, end: number, width = SPARK_WIDTH): string {
  const sums = new Array<number>(width).fill(0);
  const counts = new Array<number>(width).fill(0);
  const span = Math.max(1, end - start);
  for (const [time, value] of points) {
    const slot = Math.min(width - 1, Math.max(0, Math.floor(((time - start) / span) * width)));
    sums[slot] = (sums[slot] as number) + value;
    counts[slot] = (counts[slot] as number) + 1;
  }
  const means = sums.map((sum, i) => ((counts[i] as number) === 0 ? null : sum / (counts[i] as number)));
  const peak = Math.max(0, ...means.filter((m): m is number => m !== null));
  return means.map((m) => {
    if (m === null) return ' ';
    if (peak === 0) return BARS[0] as string;
    return BARS[Math.min(BARS.length - 1, Math.round((m / peak) * (BARS.length - 1)))] as string;
  }).join('');
}

/** A value in the series' unit, short: "12.3/s", "85 ms", "0.12 cores", "41.0 MB", "2". */
export function formatValue(unit: MetricSeries['unit'], value: number): string {
  switch (unit) {
    case 'requests/s': return `${value < 10 ? value.toFixed(2) : value.toFixed(1)}/s`;
    case 'seconds': return value < 1 ? `${(value * 1000).toFixed(value < 0.01 ? 1 : 0)} ms` : `${value.toFixed(2)} s`;
    case 'cores': return `${value.toFixed(2)} cores`;
    case 'bytes': return humanBytes(Math.round(value));
    default: return String(Math.round(value));
  }
}

const TITLES: Record<MetricSeries['metric'], string> = {
  requests: 'Requests', status: 'Status', latency: 'Latency', cpu: 'CPU', memory_rss: 'Memory RSS', memory_limit: 'Memory limit', restarts: 'Restarts',
};

/** "Status 2xx", "Latency p95", "CPU web". */
export function seriesTitle(series: MetricSeries): string {
  const detail = series.labels.status_class ?? series.labels.quantile ?? series.labels.process_type;
  return detail ? `${TITLES[series.metric]} ${detail}` : TITLES[series.metric];
}

const ORDER: ReadonlyArray<MetricSeries['metric']> = ['requests', 'status', 'latency', 'cpu', 'memory_rss', 'memory_limit', 'restarts'];

/**
 * The table. "Window" is the figure over the whole window as Prometheus computes it from the
 * counters (requests in it / its length, the quantile of all its requests), not a mean of points:
 * a mean of p95s is no p95. Memory and restarts, which have none, show the mean of their points.
 */
export function metricsView(view: AppMetricsView, options: { color: boolean; tty: boolean; since: string; until?: string | undefined }): string {
  const c = format.colors(options.color);
  const span = options.until === undefined ? `last ${options.since}` : `${options.since} until ${new Date(view.until * 1000).toISOString()}`;
  const heading = c.bold(`=== ${view.app} metrics, ${span} (one point every ${view.step} s)`);
  const series = [...view.series]
    .filter((s) => s.points.length > 0)
    .sort((a, b) => ORDER.indexOf(a.metric) - ORDER.indexOf(b.metric) || seriesTitle(a).localeCompare(seriesTitle(b)));
  if (series.length === 0) {
    return `${heading}\nNo figures yet: metrics appear once the app has served requests or run instances and Prometheus has scraped them (every 10 s).`;
  }
  const rows = series.map((s) => {
    const values = s.points.map(([, v]) => v);
    const last = values[values.length - 1] as number;
    const whole = s.overall ?? values.reduce((a, b) => a + b, 0) / values.length;
    const peak = Math.max(...values);
    const row = [seriesTitle(s), formatValue(s.unit, last), formatValue(s.unit, whole), formatValue(s.unit, peak)];
    if (options.tty) row.push(sparkline(s.points, view.start, view.end));
    return row;
  });
  const head = ['Series', 'Last', 'Window', 'Peak', ...(options.tty ? ['Trend'] : [])];
  return `${heading}\n${format.table(head, rows, options.color)}`;
}

export async function metrics(ctx: CommandContext, app: string, opts: { since?: string; step?: string; until?: string; json?: boolean }): Promise<void> {
  const since = opts.since ?? '1h';
  const view = await ctx.client().appMetrics(app, { since, ...(opts.step ? { step: opts.step } : {}), ...(opts.until ? { until: opts.until } : {}) });
  ctx.out(opts.json ? format.json(view) : metricsView(view, { color: ctx.color, tty: ctx.tty ?? false, since, until: opts.until }));
}

export function registerMetricsCommands(program: Command, ctx: CommandContext): void {
  program
    .command('metrics')
    .description('the app\'s requests/s, status classes, latency p50/p95/p99, CPU, memory and restarts (from Prometheus)')
    .argument('[app]', APP_ARG_HELP)
    .option('--since <duration>', 'how far back: 30m, 1h, 24h, 7d (at most)', '1h')
    .option('--until <time>', 'end of the window (default now): ISO 8601 like 2026-12-05T18:00:00Z, or unix seconds')
    .option('--step <duration>', 'time between points (default 10s up to 24h, 1m beyond)')
    .option('--json', 'print the API\'s JSON (every point)')
    .addHelpText('after', '\nExamples:\n  slipway metrics -a my-app\n  slipway metrics -a my-app --since 24h\n  slipway metrics -a my-app --since 20s --until 2026-12-05T18:00:20Z\n  slipway metrics my-app --since 7d --json')
    .action((name: string, opts: { since?: string; step?: string; until?: string; json?: boolean }) => metrics(ctx, name, opts));
}

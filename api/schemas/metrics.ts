/** An app's metrics (`GET /apps/:app/metrics`): what the console graphs and `slipway metrics` prints. */
import { z } from 'zod';

export const METRIC_NAMES = ['requests', 'status', 'latency', 'cpu', 'memory_rss', 'memory_limit', 'restarts'] as const;
export const METRIC_UNITS = ['requests/s', 'seconds', 'cores', 'bytes', 'restarts'] as const;

export const AppMetricsQuery = z.object({
  since: z.string().max(16).optional().describe('How far back: 30m, 1h (default), 24h, 7d (at most). Up to 24 h at a 10 s step, beyond at 60 s.'),
  step: z.string().max(16).optional().describe('Seconds between points (10s at least): 10s, 1m, 300'),
  until: z.string().max(40).optional().describe('The end of the window (default now): ISO 8601 with a zone, or unix seconds; the window is the `since` before it'),
});
export type AppMetricsQueryInput = z.infer<typeof AppMetricsQuery>;

export const MetricSeriesSchema = z.object({
  metric: z.enum(METRIC_NAMES).describe('requests: requests/s; status: requests/s by status class; latency: response time quantile; cpu: cores used; memory_rss / memory_limit: bytes; restarts: Docker\'s restart count of the running instances'),
  unit: z.enum(METRIC_UNITS),
  labels: z.record(z.string(), z.string()).describe('status_class (2xx…5xx) for status, quantile (p50, p95, p99, mean) for latency, process_type for cpu, memory and restarts'),
  points: z.array(z.tuple([z.number(), z.number()])).describe('[unix seconds, value]; steps without a value (no request, no instance) are left out'),
  overall: z.number().nullable().describe('The figure over the whole window: requests/s = requests in it / its length, latency = the quantile (or mean) of all its requests, cpu = CPU time / its length; null for memory and restarts, and when there is none'),
});
export type MetricSeries = z.infer<typeof MetricSeriesSchema>;

export const AppMetricsSchema = z.object({
  app: z.string(),
  start: z.number().int().describe('Unix seconds'),
  end: z.number().int().describe('Unix seconds'),
  step: z.number().int().describe('Seconds between points'),
  until: z.number().describe('Unix seconds: the exact end of the window the overall figures cover (`since` long)'),
  series: z.array(MetricSeriesSchema),
});
export type AppMetricsView = z.infer<typeof AppMetricsSchema>;

export const RequestRatesQuery = z.object({
  since: z.string().max(16).optional().describe('How far back: 1h (default) up to 7d; points are a minute apart'),
});

export const RequestRatesSchema = z.object({
  start: z.number().int().describe('Unix seconds'),
  end: z.number().int().describe('Unix seconds'),
  step: z.number().int().describe('Seconds between points'),
  apps: z.array(z.object({
    app: z.string(),
    points: z.array(z.tuple([z.number(), z.number()])).describe('[unix seconds, requests/s]'),
  })).describe('The apps you may operate that had requests in the window; an app without any is left out'),
  unavailable: z.string().nullable().describe('Why there are no figures: Prometheus could not answer (the list is then empty)'),
});
export type RequestRatesView = z.infer<typeof RequestRatesSchema>;

/** `GET /apps/:app/metrics`: the series the Metrics page and the apps list's sparklines draw. */
import type { AppMetricsView, MetricSeries } from '../../../api/schemas/metrics';
import { call, enc } from './client';

export type { AppMetricsView, MetricSeries };

export const WINDOWS = [
  { since: '1h', label: '1 hour' },
  { since: '24h', label: '24 hours' },
  { since: '7d', label: '7 days' },
] as const;
export type MetricsWindow = (typeof WINDOWS)[number]['since'];

export const metricsApi = {
  forApp: (app: string, since: MetricsWindow) => call<AppMetricsView>('GET', `/apps/${enc(app)}/metrics?since=${enc(since)}`),
};

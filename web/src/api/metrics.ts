/** `GET /apps/:app/metrics`: the series the Metrics page and the apps list's sparklines draw. */
import type { AppMetricsView, MetricSeries, RequestRatesView } from '../../../api/schemas/metrics';
import { call, enc } from './client';

export type { AppMetricsView, MetricSeries, RequestRatesView };

export const WINDOWS = [
  { since: '1h', label: '1 hour' },
  { since: '24h', label: '24 hours' },
  { since: '7d', label: '7 days' },
] as const;
export type MetricsWindow = (typeof WINDOWS)[number]['since'];

export const metricsApi = {
  forApp: (app: string, since: MetricsWindow) => call<AppMetricsView>('GET', `/apps/${enc(app)}/metrics?since=${enc(since)}`),
  /** Every app's requests/s over the last hour, in one request (the apps list's sparklines). */
  requestRates: () => call<RequestRatesView>('GET', '/metrics/request-rates?since=1h'),
};

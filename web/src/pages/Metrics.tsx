/**
 * The app's graphs over 1 h, 24 h or 7 d (GET /apps/:app/metrics, from Prometheus): requests/s,
 * latency p50/p95/p99, status classes, CPU and memory per process type. Refreshed every 10 s for
 * the hour, every minute for the longer windows (their points are a minute apart); not while the
 * tab is hidden. Needs `operate`, as logs do.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import { metricsApi, WINDOWS, type AppMetricsView, type MetricSeries, type MetricsWindow } from '../api/metrics';
import { useResource } from '../resource';
import { formatters, LineChart, type ChartLine } from '../ui/chart';
import { ErrorNote, Loading, PageTitle } from '../ui/common';
import { AppNav } from './AppNav';
import '../styles/metrics.css';

const REFRESH_MS: Record<MetricsWindow, number> = { '1h': 10_000, '24h': 60_000, '7d': 60_000 };

function linesOf(view: AppMetricsView, metric: MetricSeries['metric'], labelKey: string | null, order?: readonly string[]): ChartLine[] {
  const found = view.series.filter((s) => s.metric === metric);
  const label = (s: MetricSeries) => (labelKey === null ? metric : s.labels[labelKey] ?? metric);
  // Labels the order does not name come after those it does (a series the API adds later shows last).
  const rank = (s: MetricSeries) => {
    const at = order ? order.indexOf(label(s)) : 0;
    return at === -1 ? Number.MAX_SAFE_INTEGER : at;
  };
  return found.sort((a, b) => rank(a) - rank(b) || label(a).localeCompare(label(b))).map((s) => ({ label: label(s), points: s.points }));
}

function Charts({ view }: { view: AppMetricsView }) {
  const charts = useMemo(() => {
    const memory = [
      ...linesOf(view, 'memory_rss', 'process_type').map((l) => ({ ...l, label: `${l.label} RSS` })),
      ...linesOf(view, 'memory_limit', 'process_type').map((l) => ({ ...l, label: `${l.label} limit`, dashed: true })),
    ];
    return [
      { id: 'requests', title: 'Requests per second', lines: linesOf(view, 'requests', null).map((l) => ({ ...l, label: 'requests' })), format: formatters.rate },
      { id: 'latency', title: 'Response time', lines: linesOf(view, 'latency', 'quantile', ['p50', 'p95', 'p99', 'mean']), format: formatters.ms },
      { id: 'status', title: 'Responses by status class', lines: linesOf(view, 'status', 'status_class', ['2xx', '3xx', '4xx', '5xx']), format: formatters.rate },
      { id: 'cpu', title: 'CPU per process type', lines: linesOf(view, 'cpu', 'process_type'), format: formatters.cores },
      { id: 'memory', title: 'Memory per process type', lines: memory, format: formatters.bytes },
    ];
  }, [view]);
  return (
    <div class="charts">
      {charts.map((c) => <LineChart key={c.id} id={`chart-${c.id}`} title={c.title} lines={c.lines} start={view.start} end={view.end} step={view.step} format={c.format} />)}
    </div>
  );
}

export function Metrics({ app }: { app: string }) {
  const [since, setSince] = useState<MetricsWindow>('1h');
  const metrics = useResource(() => metricsApi.forApp(app, since), `metrics:${app}:${since}`, () => false);

  useEffect(() => {
    const timer = setInterval(() => { if (document.visibilityState === 'visible') metrics.reload(); }, REFRESH_MS[since]);
    return () => clearInterval(timer);
  }, [app, since, metrics.reload]);

  const error = metrics.error;
  const noOperate = error instanceof ApiError && error.status === 403;
  return (
    <main id="main">
      <AppNav app={app} current="metrics" />
      <div class="page-head">
        <PageTitle title={`Metrics · ${app}`}>Metrics</PageTitle>
        <div class="window-picker" role="group" aria-label="Time window">
          {WINDOWS.map((w) => (
            <button key={w.since} type="button" aria-pressed={since === w.since} class={since === w.since ? 'primary' : ''} onClick={() => setSince(w.since)}>{w.label}</button>
          ))}
        </div>
      </div>
      {noOperate ? (
        <div class="card" role="alert">
          <h2>You cannot read this app's metrics</h2>
          <p>Metrics need the <strong>operate</strong> permission on <strong>{app}</strong>. Ask one of the app's admins to give it to you (<code>slipway access:update</code>).</p>
        </div>
      ) : (
        <>
          <ErrorNote error={error} />
          {!metrics.data && !error && <Loading what="metrics" />}
          {metrics.data && (
            <>
              <p class="muted small" role="status">
                Every {metrics.data.step >= 60 ? `${metrics.data.step / 60} min` : `${metrics.data.step} s`}, from {new Date(metrics.data.start * 1000).toLocaleString()} to {new Date(metrics.data.end * 1000).toLocaleString()}; refreshed every {REFRESH_MS[since] / 1000} s.
              </p>
              <Charts view={metrics.data} />
            </>
          )}
        </>
      )}
    </main>
  );
}

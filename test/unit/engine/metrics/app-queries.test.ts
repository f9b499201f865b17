import { expect } from 'chai';
import { SlipwayError } from '../../../../lib/errors';
import { appQueries, parseDuration, parseTime, queryWindow, rateWindow } from '../../../../engine/metrics/app-queries';
import { AppMetricsService } from '../../../../engine/metrics/app-metrics-service';
import { seriesFromAnswer, type InstantSeries, type MetricsStore, type RangeSeries } from '../../../../engine/metrics/prometheus-store';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as SlipwayError).code;
  }
  return undefined;
}

describe('app metrics queries', () => {
  describe('the window', () => {
    const now = Date.UTC(2026, 11, 5, 18, 0, 7); // 7 s past a 10 s boundary

    it('reads Heroku-style durations', () => {
      expect(parseDuration('90s', 'since')).to.equal(90);
      expect(parseDuration('15m', 'since')).to.equal(900);
      expect(parseDuration('1h', 'since')).to.equal(3600);
      expect(parseDuration('7d', 'since')).to.equal(604_800);
      expect(parseDuration('120', 'step')).to.equal(120);
      for (const bad of ['', '1w', '-1h', '1.5h', 'h', '0', '1h; drop']) expect(codeOf(() => parseDuration(bad, 'since'))).to.equal('invalid_request');
    });

    it('reads up to 24 h at 10 s and longer windows at 60 s, aligned to the step', () => {
      const hour = queryWindow(now, '1h');
      expect(hour.step).to.equal(10);
      expect(hour.end % 10).to.equal(0);
      expect(hour.end).to.equal(Math.floor(now / 1000) + 3); // the next multiple of the step: the newest scrape is in
      expect(hour.end - hour.start).to.equal(3600);
      expect(queryWindow(now, '24h').step).to.equal(10);
      const week = queryWindow(now, '7d');
      expect(week.step).to.equal(60);
      expect(week.end % 60).to.equal(0);
      expect(week.end - week.start).to.equal(604_800);
    });

    it('takes a step asked for, but none finer than the scrape interval or giving too many points', () => {
      expect(queryWindow(now, '6h', '1m').step).to.equal(60);
      expect(codeOf(() => queryWindow(now, '1h', '5s'))).to.equal('invalid_request');
      expect(codeOf(() => queryWindow(now, '7d', '10s'))).to.equal('invalid_request');
    });

    it('refuses a window older than the 7 days kept', () => {
      expect(codeOf(() => queryWindow(now, '8d'))).to.equal('invalid_request');
      expect(codeOf(() => queryWindow(now, '1d', undefined, now - 6.5 * 86_400_000))).to.equal('invalid_request');
    });

    it('ends at a given time: ISO 8601 with a zone or unix seconds, never after now', () => {
      expect(parseTime('2026-12-05T18:00:00Z')).to.equal(Date.UTC(2026, 11, 5, 18));
      expect(parseTime('2026-12-05T19:00:00.250+01:00')).to.equal(Date.UTC(2026, 11, 5, 18, 0, 0, 250));
      expect(parseTime('1765130400.5')).to.equal(1_765_130_400_500);
      for (const bad of ['yesterday', '2026-12-05 18:00', '2026-12-05T18:00:00', '1e9', '']) expect(codeOf(() => parseTime(bad))).to.equal('invalid_request');
      const window = queryWindow(now, '30s', undefined, now - 60_000);
      expect(window).to.include({ until: now / 1000 - 60, range: 30, step: 10 });
      expect(queryWindow(now, '30s', undefined, now + 60_000).until).to.equal(now / 1000);
    });
  });

  describe('the queries', () => {
    it('takes rates over at least three scrapes and at least one step', () => {
      expect(rateWindow(10)).to.equal('30s');
      expect(rateWindow(60)).to.equal('60s');
    });

    it('asks for the whole window\'s figures over exactly its length (rate over it: its increase / its length)', () => {
      const overall = (metric: string, quantile?: string): string | null | undefined =>
        appQueries('shop', 10, 20).find((q) => q.metric === metric && (quantile === undefined || q.fixed.quantile === quantile))?.overall;
      expect(overall('requests')).to.equal('sum(rate(slipway_router_requests_total{app="shop"}[20s]))');
      expect(overall('latency', 'p50')).to.equal('histogram_quantile(0.5, sum by (le) (rate(slipway_router_request_duration_seconds_bucket{app="shop"}[20s])))');
      expect(overall('latency', 'mean')).to.equal('sum(rate(slipway_router_request_duration_seconds_sum{app="shop"}[20s])) / sum(rate(slipway_router_request_duration_seconds_count{app="shop"}[20s]))');
      expect(overall('memory_rss')).to.equal(null);
    });

    it('asks for requests/s, status classes, p50/p95/p99, CPU, memory RSS and limit and restarts of the app only', () => {
      const queries = appQueries('shop', 10);
      const byMetric = (metric: string): string[] => queries.filter((q) => q.metric === metric).map((q) => q.query);
      expect(byMetric('requests')).to.deep.equal(['sum(rate(slipway_router_requests_total{app="shop"}[30s]))']);
      expect(byMetric('status')).to.deep.equal(['sum by (status_class) (rate(slipway_router_requests_total{app="shop"}[30s]))']);
      expect(byMetric('latency')).to.deep.equal([...[0.5, 0.95, 0.99].map((q) =>
        `histogram_quantile(${q}, sum by (le) (rate(slipway_router_request_duration_seconds_bucket{app="shop"}[30s])))`),
      'sum(rate(slipway_router_request_duration_seconds_sum{app="shop"}[30s])) / sum(rate(slipway_router_request_duration_seconds_count{app="shop"}[30s]))']);
      expect(queries.filter((q) => q.metric === 'latency').map((q) => q.fixed.quantile)).to.deep.equal(['p50', 'p95', 'p99', 'mean']);
      expect(byMetric('cpu')).to.deep.equal(['sum by (process_type) (rate(slipway_container_cpu_seconds_total{app="shop"}[30s]))']);
      expect(byMetric('memory_rss')).to.deep.equal(['sum by (process_type) (slipway_container_memory_rss_bytes{app="shop"})']);
      expect(byMetric('memory_limit')).to.deep.equal(['sum by (process_type) (slipway_container_memory_limit_bytes{app="shop"})']);
      expect(byMetric('restarts')).to.deep.equal(['sum by (process_type) (slipway_container_restarts_total{app="shop"})']);
    });

    it('quotes the app name so that no name can widen the selection', () => {
      const [first] = appQueries('a"} or vector(1) or {x="', 10);
      expect(first?.query).to.equal('sum(rate(slipway_router_requests_total{app="a\\"} or vector(1) or {x=\\""}[30s]))');
    });
  });

  describe('the service', () => {
    class FakeStore implements MetricsStore {
      readonly asked: string[] = [];
      constructor(private readonly answers: Record<string, RangeSeries[]>) {}
      readonly instants: Array<[string, number]> = [];
      async queryRange(query: string): Promise<RangeSeries[]> {
        this.asked.push(query);
        const key = Object.keys(this.answers).find((k) => query.startsWith(k));
        return key === undefined ? [] : (this.answers[key] as RangeSeries[]);
      }
      async queryInstant(query: string, time: number): Promise<InstantSeries[]> {
        this.instants.push([query, time]);
        const key = Object.keys(this.answers).find((k) => query.startsWith(k));
        return key === undefined ? [] : (this.answers[key] as RangeSeries[]).map((r) => ({ labels: r.labels, value: (r.points[0]?.[1] ?? 0) / 2 }));
      }
    }

    it('names each series by metric and by status class, process type or quantile', async () => {
      const store = new FakeStore({
        'sum(rate(': [{ labels: {}, points: [[100, 2]] }],
        'sum by (status_class)': [{ labels: { status_class: '2xx' }, points: [[100, 1.5]] }, { labels: { status_class: '5xx' }, points: [[100, 0.5]] }],
        'histogram_quantile(0.95': [{ labels: {}, points: [[100, 0.2]] }],
        'sum by (process_type) (slipway_container_memory_rss': [{ labels: { process_type: 'web' }, points: [[100, 1e6]] }],
      });
      const service = new AppMetricsService(store, async () => undefined, () => 1_000_000);
      const result = await service.forApp('shop', { since: '1h' });
      expect(result).to.include({ app: 'shop', step: 10, end: 1000, start: 1000 - 3600 });
      expect((await service.forApp('shop', { since: '1h' })).end).to.equal(1000);
      expect(result.series).to.deep.include({ metric: 'requests', unit: 'requests/s', labels: {}, points: [[100, 2]], overall: 1 });
      expect(result.series).to.deep.include({ metric: 'status', unit: 'requests/s', labels: { status_class: '5xx' }, points: [[100, 0.5]], overall: 0.25 });
      expect(result.series).to.deep.include({ metric: 'latency', unit: 'seconds', labels: { quantile: 'p95' }, points: [[100, 0.2]], overall: 0.1 });
      expect(result.series).to.deep.include({ metric: 'memory_rss', unit: 'bytes', labels: { process_type: 'web' }, points: [[100, 1e6]], overall: null });
      expect(store.asked).to.have.length(20); // ten queries per call
      // The whole window's figures are asked at its exact end (now), not at the step-aligned end.
      expect(store.instants.every(([, time]) => time === 1000)).to.equal(true);
    });

    it('reads the window before a given end: its figures at that very time, its points up to the next step', async () => {
      const store = new FakeStore({ 'sum(rate(': [{ labels: {}, points: [[100, 2]] }] });
      const service = new AppMetricsService(store, async () => undefined, () => Date.UTC(2026, 11, 5, 18, 1));
      const result = await service.forApp('shop', { since: '20s', until: '2026-12-05T18:00:02.500Z' });
      const until = Date.UTC(2026, 11, 5, 18, 0, 2, 500) / 1000;
      expect(result).to.include({ until, end: Math.ceil(until / 10) * 10, step: 10 });
      expect(store.instants[0]).to.deep.equal(['sum(rate(slipway_router_requests_total{app="shop"}[20s]))', until]);
    });

    it('checks the window before asking anything, and the app exists', async () => {
      const store = new FakeStore({});
      const service = new AppMetricsService(store, async (app) => {
        throw new SlipwayError('app_not_found', `no app ${app}`);
      });
      const refused = await service.forApp('ghost', { since: '1h' }).catch((error: SlipwayError) => error.code);
      expect(refused).to.equal('app_not_found');
      const bad = await service.forApp('ghost', { since: 'forever' }).catch((error: SlipwayError) => error.code);
      expect(bad).to.equal('invalid_request');
      expect(store.asked).to.deep.equal([]);
    });
  });

  describe('Prometheus answers', () => {
    it('turns a matrix into points, dropping NaN (no requests in a step: no latency)', () => {
      const series = seriesFromAnswer({
        status: 'success',
        data: { resultType: 'matrix', result: [{ metric: { process_type: 'web' }, values: [[10, '1.5'], [20, 'NaN'], [30, '2']] }] },
      });
      expect(series).to.deep.equal([{ labels: { process_type: 'web' }, points: [[10, 1.5], [30, 2]] }]);
    });

    it('refuses an error answer, naming it', () => {
      expect(() => seriesFromAnswer({ status: 'error', error: 'parse error at char 3' })).to.throw(/parse error at char 3/);
    });
  });
});

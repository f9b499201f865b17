import { expect } from 'chai';
import { gauge, Histogram, LATENCY_BUCKETS, mergeFamilies, renderExposition, RouterMetrics, type MetricFamily } from '../../../router/metrics';

describe('router/metrics', () => {
  it('puts an observation in the first bucket whose bound it does not exceed', () => {
    const histogram = new Histogram([0.1, 1]);
    histogram.observe(0.1);
    histogram.observe(0.5);
    histogram.observe(5);
    expect(histogram.counts).to.deep.equal([1, 1, 1]);
    expect(histogram.count).to.equal(3);
    expect(histogram.sum).to.be.closeTo(5.6, 1e-9);
  });

  it('has latency buckets fine enough that a median read from them is within 10 % of the requests\' latency', () => {
    // Prometheus's histogram_quantile: linear interpolation inside the bucket the quantile falls in.
    const median = (histogram: Histogram): number => {
      const rank = histogram.count / 2;
      let below = 0;
      for (let i = 0; i < histogram.bounds.length; i += 1) {
        const inBucket = histogram.counts[i] as number;
        if (below + inBucket >= rank) {
          const lower = i === 0 ? 0 : (histogram.bounds[i - 1] as number);
          return lower + ((histogram.bounds[i] as number) - lower) * ((rank - below) / inBucket);
        }
        below += inBucket;
      }
      return Infinity;
    };
    // Every request at the same latency is the worst case: all of them in one bucket.
    for (let latency = 0.0011; latency <= 30; latency *= 1.013) {
      const histogram = new Histogram(LATENCY_BUCKETS);
      for (let i = 0; i < 10; i += 1) histogram.observe(latency);
      expect(Math.abs(median(histogram) - latency) / latency, `${latency} s`).to.be.at.most(0.1);
    }
    expect(LATENCY_BUCKETS[0]).to.equal(0.001);
    expect(LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1]).to.equal(60);
  });

  it('renders the Prometheus text format with cumulative buckets and escaped labels', () => {
    const families: MetricFamily[] = [
      { name: 'x_total', help: 'Things.', type: 'counter', merge: 'sum', samples: [{ labels: { app: 'a"b\\c' }, value: 3 }] },
      { name: 'lat_seconds', help: 'Latency.', type: 'histogram', merge: 'sum', bounds: [0.1, 1], samples: [{ labels: { app: 'shop' }, counts: [1, 2, 3], sum: 9.5, count: 6 }] },
      gauge('up', 'Up.', 'max', [{ labels: {}, value: 1 }]),
    ];
    expect(renderExposition(families)).to.equal(
      [
        '# HELP x_total Things.',
        '# TYPE x_total counter',
        'x_total{app="a\\"b\\\\c"} 3',
        '# HELP lat_seconds Latency.',
        '# TYPE lat_seconds histogram',
        'lat_seconds_bucket{app="shop",le="0.1"} 1',
        'lat_seconds_bucket{app="shop",le="1"} 3',
        'lat_seconds_bucket{app="shop",le="+Inf"} 6',
        'lat_seconds_sum{app="shop"} 9.5',
        'lat_seconds_count{app="shop"} 6',
        '# HELP up Up.',
        '# TYPE up gauge',
        'up 1',
        '',
      ].join('\n'),
    );
  });

  it('merges workers: sums counters and histograms, maxes or labels gauges as each family says', () => {
    const worker = (requests: number, revision: number, backends: number): MetricFamily[] => {
      const metrics = new RouterMetrics();
      for (let i = 0; i < requests; i += 1) metrics.request('shop', 200, 0.002, 0.001, null);
      metrics.request('', 404, 0.0001, null, 'R404');
      return [
        ...metrics.families(),
        gauge('rev', 'Revision.', 'worker', [{ labels: {}, value: revision }]),
        gauge('backends', 'Backends.', 'max', [{ labels: { app: 'shop' }, value: backends }]),
      ];
    };
    const merged = mergeFamilies([
      { worker: '1', families: worker(2, 10, 3) },
      { worker: '2', families: worker(5, 12, 2) },
    ]);
    const byName = new Map(merged.map((family) => [family.name, family]));
    expect(byName.get('slipway_router_requests_total')?.samples).to.deep.include({ labels: { app: 'shop', process_type: 'web', status: '200', status_class: '2xx' }, value: 7 });
    expect(byName.get('slipway_router_requests_total')?.samples).to.deep.include({ labels: { app: '', process_type: '', status: '404', status_class: '4xx' }, value: 2 });
    expect(byName.get('slipway_router_errors_total')?.samples).to.deep.equal([{ labels: { code: 'R404' }, value: 2 }]);
    const durations = byName.get('slipway_router_request_duration_seconds');
    expect(durations?.type).to.equal('histogram');
    const shop = durations?.samples.find((sample) => sample.labels.app === 'shop') as { count: number; sum: number };
    expect(shop.count).to.equal(7);
    expect(shop.sum).to.be.closeTo(0.014, 1e-9);
    expect(byName.get('rev')?.samples).to.deep.equal([
      { labels: { worker: '1' }, value: 10 },
      { labels: { worker: '2' }, value: 12 },
    ]);
    expect(byName.get('backends')?.samples).to.deep.equal([{ labels: { app: 'shop' }, value: 3 }]);
  });
});

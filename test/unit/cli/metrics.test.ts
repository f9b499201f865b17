import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import type { AppMetricsView } from '../../../cli/api-types';
import { formatValue, metricsView, sparkline } from '../../../cli/commands-metrics';
import { runCli } from '../../../cli/main';

const view: AppMetricsView = {
  app: 'shop', start: 0, end: 240, step: 10, until: 240,
  series: [
    { metric: 'latency', unit: 'seconds', labels: { quantile: 'p95' }, points: [[10, 0.12], [20, 0.08]], overall: 0.11 },
    { metric: 'requests', unit: 'requests/s', labels: {}, points: [[10, 2], [20, 4]], overall: 2.5 },
    { metric: 'status', unit: 'requests/s', labels: { status_class: '5xx' }, points: [[20, 0.5]], overall: 0.25 },
    { metric: 'memory_rss', unit: 'bytes', labels: { process_type: 'web' }, points: [[10, 41_943_040], [20, 20_971_520]], overall: null },
    { metric: 'cpu', unit: 'cores', labels: { process_type: 'worker' }, points: [], overall: null },
  ],
};

describe('slipway metrics', () => {
  it('draws a sparkline scaled to the window\'s peak, blank where there was no value', () => {
    expect(sparkline([[0, 0], [10, 5], [20, 10]], 0, 30, 3)).to.equal('▁▅█');
    expect(sparkline([[0, 1]], 0, 30, 3)).to.equal('█  ');
    expect(sparkline([[0, 0], [20, 0]], 0, 30, 3)).to.equal('▁ ▁');
  });

  it('writes values in their unit', () => {
    expect(formatValue('requests/s', 2.5)).to.equal('2.50/s');
    expect(formatValue('seconds', 0.085)).to.equal('85 ms');
    expect(formatValue('seconds', 0.0042)).to.equal('4.2 ms');
    expect(formatValue('cores', 0.125)).to.equal('0.13 cores');
    expect(formatValue('bytes', 41_943_040)).to.equal('40.0 MB');
  });

  it('prints one row per series in a fixed order, with last, the whole window\'s figure (or the mean of points) and peak, and a trend only on a terminal', () => {
    const plain = metricsView(view, { color: false, tty: false, since: '1h' });
    const lines = plain.split('\n');
    expect(lines[0]).to.equal('=== shop metrics, last 1h (one point every 10 s)');
    const rows = lines.filter((l) => l.startsWith('│')).map((l) => l.split('│').map((cell) => cell.trim()).filter(Boolean));
    expect(rows).to.deep.equal([
      ['Series', 'Last', 'Window', 'Peak'],
      ['Requests', '4.00/s', '2.50/s', '4.00/s'],
      ['Status 5xx', '0.50/s', '0.25/s', '0.50/s'],
      ['Latency p95', '80 ms', '110 ms', '120 ms'],
      ['Memory RSS web', '20.0 MB', '30.0 MB', '40.0 MB'],
    ]);
    expect(plain).not.to.include('Trend');
    expect(metricsView(view, { color: false, tty: true, since: '1h' })).to.include('Trend');
  });

  it('says why there is nothing to show yet', () => {
    expect(metricsView({ ...view, series: [] }, { color: false, tty: false, since: '1h' })).to.include('No figures yet');
  });

  it('asks the API for -a APP over --since, and prints the table', async () => {
    const asked: string[] = [];
    const server = http.createServer((req, res) => {
      asked.push(`${req.method ?? ''} ${req.url ?? ''} ${req.headers.authorization ?? ''}`);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(view));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      const code = await runCli(['node', 'slipway', 'metrics', '-a', 'shop', '--since', '24h'], {
        stdout, stderr, cwd: '/', env: { SLIPWAY_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, SLIPWAY_TOKEN: 't0ken', NO_COLOR: '1', HOME: '/nonexistent' },
      });
      expect(code).to.equal(0);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(asked).to.deep.equal(['GET /api/v1/apps/shop/metrics?since=24h Bearer t0ken']);
    expect(out).to.include('=== shop metrics, last 24h');
    expect(out).to.include('Latency p95');
  });
});

/**
 * Per-app metrics end to end with real parts: Debian's Prometheus scraping a real router (its admin
 * port) and the platform's real /metrics and container exporter (Docker's stats of a real
 * container), then `GET /api/v1/apps/:app/metrics` answering the app's requests, latency, CPU and
 * memory from Prometheus. Scrapes are awaited by asking Prometheus, never by sleeping.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import Docker from 'dockerode';
import { DockerDriver } from '../../../engine/drivers/docker-driver';
import type { Instance } from '../../../engine/runtime-driver';
import { platformId } from '../../../platform/platform';
import { startRouterFixture, type RouterFixture } from '../../support/router-fixture';
import { startPrometheus, type TestPrometheus } from '../../support/prometheus';
import { startTestSlipway, uniqueName, type TestSlipway } from '../../support/slipway';

interface Series { metric: string; unit: string; labels: Record<string, string>; points: Array<[number, number]> }
interface AppMetrics { app: string; start: number; end: number; step: number; series: Series[] }

describe('per-app metrics through Prometheus', function () {
  this.timeout(180_000);

  let slipway: TestSlipway;
  let prometheus: TestPrometheus;
  let router: RouterFixture;
  let backend: http.Server;
  let driver: DockerDriver;
  let worker: Instance | null = null;
  const app = uniqueName('metrics');
  const host = `${app}.metrics.test`;

  before(async () => {
    prometheus = await startPrometheus();
    // The reconciler would retire the hand-started worker of an app without a release: it runs once, at start.
    slipway = await startTestSlipway({ SLIPWAY_PROMETHEUS_URL: prometheus.url, SLIPWAY_RECONCILE_INTERVAL: '3600' });
    await slipway.platform.firstReconcile;
    expect((await slipway.api('POST', '/apps', { name: app })).status).to.equal(201);
    driver = new DockerDriver(new Docker({ socketPath: slipway.config.dockerSocket }), platformId(slipway.config));
    worker = await driver.start({
      app, release: 1, process: 'worker', image: slipway.config.stackRunImage, command: 'sleep 600',
      env: {}, port: 5000, memoryMb: 128, cpu: 0.5,
    });

    backend = http.createServer((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`hello from ${req.url ?? '/'}\n`);
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    router = await startRouterFixture({
      sockets: 'node', admin: true,
      apps: { [app]: { hosts: [host], url: `http://127.0.0.1:${(backend.address() as AddressInfo).port}` } },
    });
    await scrapeTargets();
  });

  /** Prometheus scrapes the router fixture and the platform. */
  async function scrapeTargets(): Promise<void> {
    const api = `127.0.0.1:${slipway.platform.apiPort}`;
    await prometheus.scrape([
      { job: 'slipway-router', address: `127.0.0.1:${router.adminPort as number}` },
      { job: 'slipway-platform', address: api, tokenFile: slipway.config.metricsTokenFile },
      { job: 'slipway-containers', address: api, path: '/metrics/containers', tokenFile: slipway.config.metricsTokenFile },
    ]);
  }

  after(async () => {
    await prometheus?.close();
    await router?.close();
    await new Promise<void>((resolve) => (backend ? backend.close(() => resolve()) : resolve()));
    if (worker) await driver.stop(worker.id, 0);
    await slipway?.close();
  });

  async function sendRequests(count: number): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      await new Promise<void>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: router.port, path: `/page/${i}`, headers: { host } }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode ?? 0}`))));
        }).on('error', reject);
      });
    }
  }

  /** The app's request count as Prometheus last scraped it, once it has reached `atLeast`. */
  function scrapedRequests(atLeast: number): Promise<number> {
    return prometheus.until(`${atLeast} requests of ${app} scraped`, async () => {
      const [found] = await prometheus.query(`sum(slipway_router_requests_total{app="${app}",status_class="2xx"})`);
      return found && found.value >= atLeast ? found.value : undefined;
    });
  }

  it('answers the app\'s requests/s, status classes, latency, CPU, memory and restarts from Prometheus', async () => {
    // A rate needs the counter seen twice: once after the first requests, again after more.
    await sendRequests(5);
    await scrapedRequests(5);
    await sendRequests(40);
    await scrapedRequests(45);
    await prometheus.until('the worker\'s CPU and memory scraped', async () => {
      const found = await prometheus.query(`slipway_container_memory_rss_bytes{app="${app}",process_type="worker"}`);
      return found.length > 0 ? true : undefined;
    });
    await prometheus.until('two CPU readings of the worker', async () => {
      const found = await prometheus.query(`count_over_time(slipway_container_cpu_seconds_total{app="${app}"}[1m])`);
      return found[0] && found[0].value >= 2 ? true : undefined;
    });

    const answer = await slipway.api<AppMetrics>('GET', `/apps/${app}/metrics?since=5m`);
    expect(answer.status).to.equal(200);
    const metrics = answer.body;
    expect(metrics).to.include({ app, step: 10 });
    expect(metrics.end - metrics.start).to.equal(300);
    const one = (metric: string, labels: Record<string, string> = {}): Series | undefined =>
      metrics.series.find((s) => s.metric === metric && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    const peak = (series: Series | undefined): number => Math.max(0, ...(series?.points ?? []).map(([, v]) => v));

    expect(peak(one('requests')), 'requests/s').to.be.greaterThan(0);
    expect(peak(one('status', { status_class: '2xx' })), '2xx/s').to.be.greaterThan(0);
    expect(one('status', { status_class: '5xx' })).to.equal(undefined);
    for (const quantile of ['p50', 'p95', 'p99']) {
      const latency = one('latency', { quantile });
      expect(latency?.unit).to.equal('seconds');
      expect(peak(latency), `latency ${quantile}`).to.be.greaterThan(0).and.lessThan(30);
    }
    expect(one('memory_rss', { process_type: 'worker' })?.points.length).to.be.greaterThan(0);
    expect(peak(one('memory_limit', { process_type: 'worker' }))).to.equal(128 * 1024 * 1024);
    expect(one('cpu', { process_type: 'worker' })?.unit).to.equal('cores');
    expect(peak(one('restarts', { process_type: 'worker' }))).to.equal(0);
  });

  it('lets Prometheus scrape Slipway\'s own metrics with the scrape token', async () => {
    const up = await prometheus.until('the platform and container targets up', async () => {
      const found = await prometheus.query('up{job=~"slipway-platform|slipway-containers"}');
      return found.length === 2 && found.every((s) => s.value === 1) ? found : undefined;
    });
    expect(up).to.have.length(2);
    const requests = await prometheus.until('API requests counted', async () => {
      const found = await prometheus.query('sum(slipway_api_requests_total{route="/api/v1/apps/:app/metrics"})');
      return found[0] && found[0].value >= 1 ? found[0].value : undefined;
    });
    expect(requests).to.be.at.least(1);
    const passes = await prometheus.query('slipway_reconcile_passes_total');
    expect(passes[0]?.value).to.be.at.least(1);
  });

  it('refuses /metrics without a token and answers it with the scrape token', async () => {
    const base = `http://127.0.0.1:${slipway.platform.apiPort}`;
    expect((await fetch(`${base}/metrics`)).status).to.equal(401);
    expect((await fetch(`${base}/metrics/containers`, { headers: { authorization: 'Bearer wrong' } })).status).to.equal(401);
    const token = (await import('node:fs')).readFileSync(slipway.config.metricsTokenFile, 'utf8').trim();
    const scraped = await fetch(`${base}/metrics/containers`, { headers: { authorization: `Bearer ${token}` } });
    expect(scraped.status).to.equal(200);
    expect(await scraped.text()).to.include(`app="${app}",process_type="worker"`);
  });
});

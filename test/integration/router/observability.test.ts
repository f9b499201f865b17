import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { startRouter, type RunningRouter } from '../../../router/index';
import {
  adminGet,
  capturingLogger,
  EngineKeys,
  metricValue,
  request,
  routerConfig,
  SHARED_ETCD_URL,
  startBackend,
  uniquePrefix,
  waitUntil,
  type TestBackend,
} from './helpers';

describe('router access logs and metrics', function () {
  this.timeout(60_000);

  const client = new Etcd3({ hosts: SHARED_ETCD_URL });
  let prefix: string;
  let keys: EngineKeys;
  let router: RunningRouter;
  let backends: TestBackend[];
  let logLines: Array<Record<string, unknown>>;

  beforeEach(async () => {
    prefix = uniquePrefix();
    keys = new EngineKeys(client, prefix);
    backends = [await startBackend('web-1'), await startBackend('web-2')];
    await keys.addDomain('shop', 'shop.test');
    await keys.addBackend('shop', 'web.1', (backends[0] as TestBackend).url);
    await keys.addBackend('shop', 'web.2', (backends[1] as TestBackend).url);
    const captured = capturingLogger();
    logLines = captured.lines;
    router = await startRouter(routerConfig(prefix), captured.logger, { serveAdmin: true });
  });

  afterEach(async () => {
    await router.close();
    await Promise.all(backends.map((b) => b.close()));
    await keys.removeAll();
  });

  after(() => client.close());

  it('writes one JSON line per request: app, host, status, bytes, durations, backend, request id, code', async () => {
    const served = await request(router.port, 'SHOP.test:8080', { path: '/cart?x=1', method: 'POST', body: 'abc', headers: { 'x-request-id': 'r-1' } });
    await request(router.port, 'ghost.test', { path: '/b' });
    const access = (): Array<Record<string, unknown>> => logLines.filter((line) => line.msg === 'request');
    await waitUntil('two access lines', () => access().length >= 2);
    const [ok, unknown] = access();
    expect(ok).to.include({
      level: 30,
      method: 'POST',
      path: '/cart?x=1',
      host: 'shop.test',
      app: 'shop',
      status: 200,
      bytes: Buffer.byteLength(served.body),
      bytesIn: 3,
      requestId: 'r-1',
      code: null,
      attempts: 1,
    });
    expect(ok?.backend).to.be.oneOf(backends.map((b) => b.url));
    expect(ok?.durationMs).to.be.a('number');
    expect(ok?.backendMs).to.be.a('number').and.at.most(ok?.durationMs as number);
    expect(unknown).to.include({ app: null, host: 'ghost.test', status: 404, backend: null, code: 'R404', backendMs: null });
    expect(unknown?.requestId).to.be.a('string');
  });

  it('serves Prometheus metrics on the admin port: requests by app and status, latency, backends, revision and lag', async () => {
    expect(router.adminPort).to.be.a('number');
    for (let i = 0; i < 3; i += 1) await request(router.port, 'shop.test');
    await request(router.port, 'ghost.test');
    const { status, body } = await adminGet(router.adminPort as number, '/metrics');
    expect(status).to.equal(200);
    expect(metricValue(body, 'slipway_router_requests_total{app="shop",process_type="web",status="200",status_class="2xx"}')).to.equal(3);
    expect(metricValue(body, 'slipway_router_requests_total{app="",process_type="",status="404",status_class="4xx"}')).to.equal(1);
    expect(metricValue(body, 'slipway_router_errors_total{code="R404"}')).to.equal(1);
    expect(metricValue(body, 'slipway_router_request_duration_seconds_count{app="shop",process_type="web"}')).to.equal(3);
    expect(metricValue(body, 'slipway_router_request_duration_seconds_bucket{app="shop",process_type="web",le="+Inf"}')).to.equal(3);
    expect(metricValue(body, 'slipway_router_backend_first_byte_seconds_count')).to.equal(3);
    expect(metricValue(body, 'slipway_router_app_backends{app="shop"}')).to.equal(2);
    expect(metricValue(body, 'slipway_router_table_backends')).to.equal(2);
    expect(metricValue(body, 'slipway_router_table_revision{worker="0"}')).to.equal(router.sourceStatus().revision);
    expect(metricValue(body, 'slipway_router_watch_lag_seconds{worker="0"}')).to.equal(0);
    expect(metricValue(body, 'slipway_router_etcd_connected{worker="0"}')).to.equal(1);
    expect(metricValue(body, 'slipway_router_route_memory_bytes')).to.be.a('number');
    expect(body).to.match(/^# TYPE slipway_router_request_duration_seconds histogram$/m);

    const health = await adminGet(router.adminPort as number, '/health');
    expect(health.status).to.equal(200);
    expect(JSON.parse(health.body)).to.include({ ok: true, appCount: 1, backendCount: 2, hostCount: 1 });
  });
});

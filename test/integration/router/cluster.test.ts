import { expect } from 'chai';
import fs from 'node:fs';
import http from 'node:http';
import { Etcd3 } from 'etcd3';
import {
  adminGet,
  answeredBy,
  EngineKeys,
  listenOn,
  metricValue,
  request,
  SHARED_ETCD_URL,
  startBackend,
  startRouterProcess,
  uniquePrefix,
  waitUntil,
  type RouterProcess,
  type TestBackend,
} from './helpers';

/** The pids of a process's children (the cluster workers of a primary). */
function childPids(pid: number): number[] {
  return fs
    .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter((each) => each !== '')
    .map(Number);
}

describe('router on every core (node dist/router/main.js, cluster of 2 workers)', function () {
  this.timeout(120_000);

  const client = new Etcd3({ hosts: SHARED_ETCD_URL });
  let prefix: string;
  let keys: EngineKeys;
  let router: RouterProcess | undefined;
  let cleanups: Array<() => Promise<void>>;

  beforeEach(async () => {
    prefix = uniquePrefix();
    keys = new EngineKeys(client, prefix);
    cleanups = [];
  });

  afterEach(async () => {
    await router?.kill();
    router = undefined;
    for (const cleanup of cleanups.reverse()) await cleanup();
    await keys.removeAll();
  });

  after(() => client.close());

  async function backend(name: string): Promise<TestBackend> {
    const started = await startBackend(name);
    cleanups.push(started.close);
    return started;
  }

  async function startCluster(): Promise<RouterProcess> {
    router = await startRouterProcess({
      SLIPWAY_ETCD_URL: SHARED_ETCD_URL,
      SLIPWAY_ETCD_PREFIX: prefix,
      SLIPWAY_ROUTER_WORKERS: '2',
      SLIPWAY_ROUTER_SHUTDOWN_GRACE: '10',
    });
    return router;
  }

  async function metrics(running: RouterProcess): Promise<string> {
    const { status, body } = await adminGet(running.adminPort, '/metrics');
    expect(status).to.equal(200);
    return body;
  }

  /** Both workers' tables have applied everything up to `revision` (each follows its own watch). */
  function workersAt(running: RouterProcess, revision: number): Promise<void> {
    return waitUntil(`both workers reached revision ${revision}`, async () => {
      const body = await metrics(running);
      return ['1', '2'].every((worker) => (metricValue(body, `slipway_router_table_revision{worker="${worker}"}`) ?? 0) >= revision);
    });
  }

  it('keeps a table in every worker in step with etcd, and serves from all of them', async () => {
    const first = await backend('first');
    const second = await backend('second');
    await keys.addDomain('shop', 'shop.test');
    const running = await startCluster();
    await workersAt(running, await keys.addBackend('shop', 'web.1', first.url));
    // Fresh connections are handed to the workers in turn.
    for (let i = 0; i < 10; i += 1) expect(answeredBy(await request(running.port, 'shop.test'))).to.equal('first');

    await keys.addBackend('shop', 'web.2', second.url);
    await workersAt(running, await keys.removeBackend('shop', 'web.1'));
    for (let i = 0; i < 10; i += 1) expect(answeredBy(await request(running.port, 'shop.test'))).to.equal('second');

    // Access lines are written in batches (at most 100 ms late): wait for both workers' lines.
    const workersServing = (): string[] => [...new Set(running.lines.filter((line) => line.msg === 'request').map((line) => String(line.worker)))].sort();
    await waitUntil('access lines from both workers', () => workersServing().length === 2);
    expect(workersServing()).to.deep.equal(['1', '2']);
  });

  it('adds up the workers\' metrics on the admin port', async () => {
    const shop = await backend('shop');
    await keys.addDomain('shop', 'shop.test');
    const running = await startCluster();
    await workersAt(running, await keys.addBackend('shop', 'web.1', shop.url));
    for (let i = 0; i < 12; i += 1) await request(running.port, 'shop.test');
    const body = await metrics(running);
    expect(metricValue(body, 'slipway_router_requests_total{app="shop",process_type="web",status="200",status_class="2xx"}')).to.equal(12);
    expect(metricValue(body, 'slipway_router_request_duration_seconds_count{app="shop",process_type="web"}')).to.equal(12);
    expect(metricValue(body, 'slipway_router_workers')).to.equal(2);
    expect(metricValue(body, 'slipway_router_app_backends{app="shop"}')).to.equal(1);
    expect(metricValue(body, 'slipway_router_etcd_connected{worker="1"}')).to.equal(1);
    expect(metricValue(body, 'slipway_router_etcd_connected{worker="2"}')).to.equal(1);
    const health = await adminGet(running.adminPort, '/health');
    expect(health.status).to.equal(200);
    expect(Object.keys((JSON.parse(health.body) as { workers: Record<string, unknown> }).workers).sort()).to.deep.equal(['1', '2']);
  });

  it('starts a new worker when one dies', async () => {
    await keys.addDomain('shop', 'shop.test');
    const running = await startCluster();
    const [victim] = childPids(running.child.pid as number);
    process.kill(victim as number, 'SIGKILL');
    await waitUntil('the worker was replaced', async () => {
      const body = await metrics(running);
      return metricValue(body, 'slipway_router_worker_restarts_total') === 1 && metricValue(body, 'slipway_router_workers') === 2;
    }, 30_000);
    expect(childPids(running.child.pid as number)).to.have.length(2);
  });

  it('on SIGTERM stops accepting, lets in-flight requests finish, then exits 0', async () => {
    const held: Array<() => void> = [];
    const slow = await listenOn((_req, res) => held.push(() => res.end(JSON.stringify({ backend: 'slow' }))));
    cleanups.push(slow.close);
    await keys.addDomain('slow', 'slow.test');
    const running = await startCluster();
    await workersAt(running, await keys.addBackend('slow', 'web.1', slow.url));

    const inFlight = [request(running.port, 'slow.test'), request(running.port, 'slow.test')];
    await waitUntil('both requests are held by the app', () => held.length === 2);
    running.child.kill('SIGTERM');
    // Not accepting: refused, or (a node:cluster race for a connection arriving as the workers
    // close, see docs/router.md) held unanswered until the primary exits.
    await waitUntil('the router stopped accepting', () =>
      new Promise<boolean>((resolve) => {
        const probe = http.get({ host: '127.0.0.1', port: running.port, agent: false, headers: { host: 'nobody.test' }, timeout: 1000 });
        probe.on('response', (res) => {
          res.resume();
          resolve(false);
        });
        probe.on('timeout', () => {
          probe.destroy();
          resolve(true);
        });
        probe.on('error', () => resolve(true));
      }),
    );
    for (const release of held) release();
    const answers = await Promise.all(inFlight);
    expect(answers.map((answer) => answer.status)).to.deep.equal([200, 200]);
    expect(await running.exited).to.deep.equal({ code: 0, signal: null });
  });
});

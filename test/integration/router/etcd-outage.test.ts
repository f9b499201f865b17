import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { silentLogger } from '../../../lib/log';
import { startRouter, type RunningRouter } from '../../../router/index';
import { answeredBy, EngineKeys, loadLoop, PrivateEtcd, request, routerConfig, startBackend, waitUntil, type TestBackend } from './helpers';

describe('router while its etcd is unreachable', function () {
  this.timeout(60_000);

  const prefix = '/slipway';
  let etcd: PrivateEtcd;
  let router: RunningRouter | undefined;
  let backends: TestBackend[] = [];

  beforeEach(async () => {
    etcd = await PrivateEtcd.start();
  });

  afterEach(async () => {
    await router?.close();
    router = undefined;
    await Promise.all(backends.map((b) => b.close()));
    backends = [];
    await etcd.dispose();
  });

  /** Writes through a short-lived client, so no connection outlives an etcd restart. */
  async function withKeys<T>(write: (keys: EngineKeys) => Promise<T>): Promise<T> {
    const client = new Etcd3({ hosts: etcd.url });
    try {
      return await write(new EngineKeys(client, prefix));
    } finally {
      client.close();
    }
  }

  /** The detailed report (the admin port's /health; the public path only says ok). */
  async function health(running: RunningRouter): Promise<Record<string, unknown>> {
    return { ...running.health() };
  }

  it('keeps serving the last known routes, then follows etcd again once it is back', async () => {
    const first = await startBackend('first');
    const second = await startBackend('second');
    backends.push(first, second);
    await withKeys(async (keys) => {
      await keys.addDomain('shop', 'shop.test');
      await keys.addBackend('shop', 'web.1', first.url);
    });
    router = await startRouter(routerConfig(prefix, etcd.url), silentLogger(), { etcd: { retryDelayMs: { initial: 50, max: 500 } } });
    const running = router;
    expect(answeredBy(await request(running.port, 'shop.test'))).to.equal('first');

    await etcd.kill();
    await waitUntil('the router noticed etcd is gone', () => !running.health().etcdConnected);

    for (let i = 0; i < 3; i += 1) {
      const response = await request(running.port, 'shop.test');
      expect(response.status).to.equal(200);
      expect(answeredBy(response)).to.equal('first');
    }
    const stale = await health(running);
    expect(stale).to.include({ ok: true, etcdConnected: false, appCount: 1, backendCount: 1 });
    expect(stale.staleSeconds).to.be.a('number');

    await etcd.resume();
    const revision = await withKeys((keys) => keys.addBackend('shop', 'web.2', second.url));
    await waitUntil(
      'the router caught up with etcd',
      () => (running.sourceStatus().revision ?? 0) >= revision && running.health().etcdConnected,
      30_000,
    );
    const answers = new Set<string>();
    for (let i = 0; i < 4; i += 1) answers.add(answeredBy(await request(running.port, 'shop.test')));
    expect([...answers].sort()).to.deep.equal(['first', 'second']);
    expect((await health(running)).staleSeconds).to.equal(0);
  });

  it('fails no request while etcd is stopped and started under load, and reports how stale it was', async () => {
    const first = await startBackend('first');
    backends.push(first);
    await withKeys(async (keys) => {
      await keys.addDomain('shop', 'shop.test');
      await keys.addBackend('shop', 'web.1', first.url);
    });
    router = await startRouter(routerConfig(prefix, etcd.url), silentLogger(), { etcd: { retryDelayMs: { initial: 50, max: 500 } } });
    const running = router;
    const load = loadLoop(running.port, 'shop.test', 4);
    try {
      await waitUntil('requests flow', () => load.ok() >= 20);
      await etcd.kill();
      await waitUntil('the router noticed etcd is gone', () => !running.health().etcdConnected);
      const servedBefore = load.ok();
      // Serving on while etcd is away: the staleness is reported.
      await waitUntil('the table is reported stale for a second', async () => ((await health(running)).staleSeconds as number) >= 1, 10_000);
      expect(load.ok()).to.be.greaterThan(servedBefore);
      await etcd.resume();
      await waitUntil('the router resynced with etcd', () => running.health().etcdConnected && running.health().resyncs >= 1, 30_000);
      const servedAfter = load.ok();
      await waitUntil('requests flow after the resync', () => load.ok() >= servedAfter + 20);
    } finally {
      await load.stop();
    }
    expect(load.failures).to.deep.equal([]);
    expect(load.ok()).to.be.greaterThan(60);
    expect((await health(running)).staleSeconds).to.equal(0);
  });
});

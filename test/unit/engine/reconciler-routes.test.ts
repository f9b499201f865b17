/**
 * The reconciler keeps the router's backends true to where instances answer. Docker restarts a
 * crashed instance on a new host port (ports are published as HostPort ''), so a backend that is
 * still published at the old address must be published again at the new one, or the app stays
 * unreachable through the router although its instance runs (seen in the logs e2e after a crash).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { silentLogger } from '../../../lib/log';
import { InProcessLocks } from '../../../engine/locks';
import { Reconciler } from '../../../engine/reconciler';
import { FakeDriver, FakePublisher } from './fake-driver';

describe('the reconciler and the router\'s backends', () => {
  let server: http.Server;
  let newUrl: string;

  before(async () => {
    server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    newUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function reconciler(driver: FakeDriver, publisher: FakePublisher): Reconciler {
    const apps = {
      find: async () => ({ id: 1, name: 'shop', teamId: 1, currentRelease: 1 }),
      formation: async () => [{ type: 'web', quantity: 1, memoryMb: 512, cpu: 0.5 }],
    };
    const releases = { pending: async () => [], get: async () => ({ version: 1, buildId: 7, config: {} }) };
    const builds = { get: async () => ({ id: 7, image: 'registry/shop@sha256:1', processTypes: { web: 'node server.js' }, appJson: null }) };
    const deployer = { mountsFor: async () => [] };
    return new Reconciler(apps as never, releases as never, builds as never, driver, publisher, deployer as never,
      new InProcessLocks(), 5000, silentLogger());
  }

  it('publishes a running instance again when Docker restarted it on another port', async () => {
    const driver = new FakeDriver();
    driver.seed({ id: 'shop.web.1', process: 'web', release: 1, url: newUrl });
    const publisher = new FakePublisher();
    publisher.seed('shop', 'shop.web.1', { url: 'http://127.0.0.1:1', release: 1, process: 'web' });

    await reconciler(driver, publisher).reconcile('shop', { wait: true });

    expect(publisher.backends.get('shop')?.get('shop.web.1')?.url).to.equal(newUrl);
  });

  it('leaves a backend published at the instance\'s own address alone', async () => {
    const driver = new FakeDriver();
    driver.seed({ id: 'shop.web.1', process: 'web', release: 1, url: newUrl });
    const publisher = new FakePublisher();
    publisher.seed('shop', 'shop.web.1', { url: newUrl, release: 1, process: 'web' });

    await reconciler(driver, publisher).reconcile('shop', { wait: true });

    expect(publisher.events.list().filter((e) => e.startsWith('publish') || e.startsWith('withdraw'))).to.deep.equal([]);
  });
});

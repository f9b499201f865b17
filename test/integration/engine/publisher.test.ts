import crypto from 'node:crypto';
import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { EtcdPublisher } from '../../../engine/publisher';
import { parseBackendValue, parseKey, parseMaintenanceValue } from '../../../lib/etcd-keys';
import { generateSecretKey, SecretBox } from '../../../lib/secret-box';

const ETCD_URL = process.env.SLIPWAY_ETCD_URL || 'http://127.0.0.1:2379';

describe('engine/publisher EtcdPublisher against etcd (engine side of docs/contracts/etcd-keys.md)', () => {
  let etcd: Etcd3;
  let prefix: string;
  let publisher: EtcdPublisher;

  before(() => {
    etcd = new Etcd3({ hosts: ETCD_URL });
  });

  after(() => {
    etcd.close();
  });

  beforeEach(() => {
    prefix = `/slipway-test-${crypto.randomBytes(6).toString('hex')}`;
    publisher = new EtcdPublisher(etcd, prefix, new SecretBox(generateSecretKey()));
  });

  afterEach(async () => {
    await etcd.delete().prefix(`${prefix}/`);
  });

  /** Every key under the test prefix, with its value. */
  async function keys(): Promise<Record<string, string>> {
    return etcd.getAll().prefix(`${prefix}/`).strings();
  }

  it('publishes an app\'s domain as <prefix>/apps/<app>/domains/<host> = {"app":…}, host in lowercase', async () => {
    await publisher.publishDomain('shop', 'Shop.Slipway.Localhost');
    const written = await keys();
    expect(written).to.deep.equal({ [`${prefix}/apps/shop/domains/shop.slipway.localhost`]: '{"app":"shop"}' });
    const [key, value] = Object.entries(written)[0]!;
    expect(parseKey(prefix, key)).to.deep.equal({ kind: 'domain', app: 'shop', host: 'shop.slipway.localhost' });
    expect(JSON.parse(value)).to.deep.equal({ app: 'shop' });
  });

  it('publishes a backend as <prefix>/apps/<app>/backends/<instance> = {url, release, process}', async () => {
    const value = { url: 'http://127.0.0.1:32768', release: 7, process: 'web' };
    await publisher.publishBackend('shop', 'shop.web.0a1b2c3d', value);
    const written = await keys();
    expect(Object.keys(written)).to.deep.equal([`${prefix}/apps/shop/backends/shop.web.0a1b2c3d`]);
    const [key, raw] = Object.entries(written)[0]!;
    expect(parseKey(prefix, key)).to.deep.equal({ kind: 'backend', app: 'shop', instanceId: 'shop.web.0a1b2c3d' });
    expect(parseBackendValue(raw)).to.deep.equal(value);
  });

  it('puts the maintenance key on maintenance:on and deletes it on off; removing the app removes it too (v3)', async () => {
    await publisher.publishMaintenance('shop', true);
    const written = await keys();
    expect(Object.keys(written)).to.deep.equal([`${prefix}/apps/shop/maintenance`]);
    const [key, raw] = Object.entries(written)[0]!;
    expect(parseKey(prefix, key)).to.deep.equal({ kind: 'maintenance', app: 'shop' });
    expect(parseMaintenanceValue(raw)).to.equal(true);
    await publisher.publishMaintenance('shop', false);
    expect(await keys()).to.deep.equal({});
    await publisher.publishMaintenance('shop', true);
    await publisher.removeApp('shop');
    expect(await keys()).to.deep.equal({});
  });

  it('replaces a backend\'s value when it is published again', async () => {
    await publisher.publishBackend('shop', 'i1', { url: 'http://127.0.0.1:1000', release: 1, process: 'web' });
    await publisher.publishBackend('shop', 'i1', { url: 'http://127.0.0.1:2000', release: 2, process: 'web' });
    const written = await keys();
    expect(Object.keys(written)).to.have.length(1);
    expect(parseBackendValue(Object.values(written)[0]!)).to.deep.equal({ url: 'http://127.0.0.1:2000', release: 2, process: 'web' });
  });

  it('reads an app\'s published backends back with their addresses, and no other app\'s', async () => {
    await publisher.publishBackend('shop', 'i1', { url: 'http://127.0.0.1:1000', release: 1, process: 'web' });
    await publisher.publishBackend('shop', 'i2', { url: 'http://127.0.0.1:2000', release: 1, process: 'web' });
    await publisher.publishBackend('shopping', 'i3', { url: 'http://127.0.0.1:3000', release: 1, process: 'web' });
    const found = await publisher.publishedBackends('shop');
    expect([...found.entries()]).to.deep.equal([
      ['i1', { url: 'http://127.0.0.1:1000', release: 1, process: 'web' }],
      ['i2', { url: 'http://127.0.0.1:2000', release: 1, process: 'web' }],
    ]);
  });

  it('withdraws exactly one backend, leaving the app\'s domain and other backends', async () => {
    await publisher.publishDomain('shop', 'shop.slipway.localhost');
    await publisher.publishBackend('shop', 'old', { url: 'http://127.0.0.1:1000', release: 1, process: 'web' });
    await publisher.publishBackend('shop', 'new', { url: 'http://127.0.0.1:2000', release: 2, process: 'web' });
    await publisher.publishBackend('shop', 'old-2', { url: 'http://127.0.0.1:3000', release: 1, process: 'web' });

    await publisher.withdrawBackend('shop', 'old');

    const parsed = Object.keys(await keys()).map((k) => parseKey(prefix, k));
    expect(parsed).to.have.deep.members([
      { kind: 'domain', app: 'shop', host: 'shop.slipway.localhost' },
      { kind: 'backend', app: 'shop', instanceId: 'new' },
      { kind: 'backend', app: 'shop', instanceId: 'old-2' },
    ]);
  });

  it('withdrawing a backend that is not published is not an error', async () => {
    await publisher.withdrawBackend('shop', 'never-published');
    expect(await keys()).to.deep.equal({});
  });

  it('removes every key of a destroyed app, and no key of an app whose name starts the same', async () => {
    await publisher.publishDomain('shop', 'shop.slipway.localhost');
    await publisher.publishDomain('shop', 'www.shop.example');
    await publisher.publishBackend('shop', 'a', { url: 'http://127.0.0.1:1000', release: 3, process: 'web' });
    await publisher.publishDomain('shop-api', 'shop-api.slipway.localhost');
    await publisher.publishBackend('shop-api', 'b', { url: 'http://127.0.0.1:2000', release: 1, process: 'web' });

    await publisher.removeApp('shop');

    const parsed = Object.keys(await keys()).map((k) => parseKey(prefix, k));
    expect(parsed).to.have.deep.members([
      { kind: 'domain', app: 'shop-api', host: 'shop-api.slipway.localhost' },
      { kind: 'backend', app: 'shop-api', instanceId: 'b' },
    ]);
  });

  it('writes only under its own prefix', async () => {
    const neighbour = `${prefix}-neighbour`;
    await etcd.put(`${neighbour}/apps/shop/domains/shop.slipway.localhost`).value('{"app":"shop"}');
    try {
      await publisher.publishDomain('shop', 'shop.slipway.localhost');
      await publisher.removeApp('shop');
      expect(await etcd.get(`${neighbour}/apps/shop/domains/shop.slipway.localhost`).string()).to.equal('{"app":"shop"}');
    } finally {
      await etcd.delete().prefix(`${neighbour}/`);
    }
  });
});

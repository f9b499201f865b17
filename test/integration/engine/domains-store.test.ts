/**
 * The engine side of domains and TLS against real services: DomainsRepo on SQLite and MariaDB
 * (migration 003), and EtcdPublisher writing the contract v2 keys to etcd, read back with the
 * shared parser (lib/etcd-keys.ts) the router uses.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { EtcdPublisher } from '../../../engine/publisher';
import { AppsRepo } from '../../../engine/store/apps-repo';
import { openDatabase, type Database } from '../../../engine/store/database';
import { DomainsRepo, isUniqueViolation } from '../../../engine/store/domains-repo';
import { parseCertValue, parseKey, parseSettingsValue } from '../../../lib/etcd-keys';
import { backends, type TestDatabase } from '../../support/databases';
import { generateSecretKey, SecretBox } from '../../../lib/secret-box';
import { certSealContext } from '../../../lib/etcd-keys';

for (const backend of backends) describe(`engine/store/domains-repo on ${backend.name}`, function () {
  this.timeout(30_000);
  let testDb: TestDatabase;
  let db: Database;
  let apps: AppsRepo;
  let repo: DomainsRepo;

  beforeEach(async () => {
    testDb = await backend.create();
    db = await openDatabase(testDb.url);
    apps = new AppsRepo(db);
    repo = new DomainsRepo(db);
  });

  afterEach(async () => {
    await db.destroy();
    await testDb.drop();
  });

  it('keeps one app per host (a unique key), the longest DNS name included', async () => {
    const shop = await apps.create('shop');
    const blog = await apps.create('blog');
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(56)}.test`;
    expect(long.length).to.equal(253);
    await repo.addDomain(shop.id, long);
    await repo.addDomain(shop.id, '*.shop.test');
    let refusal: unknown = null;
    try {
      await repo.addDomain(blog.id, long);
    } catch (error) {
      refusal = error;
    }
    expect(isUniqueViolation(refusal), String(refusal)).to.equal(true);
    expect(await repo.owner(long)).to.deep.equal({ appId: shop.id, app: 'shop' });
    expect((await repo.domains(shop.id)).map((d) => d.host)).to.deep.equal(['*.shop.test', long]);
    expect(await repo.removeDomain(shop.id, long)).to.equal(true);
    expect(await repo.removeDomain(shop.id, long)).to.equal(false);
  });

  it('stores certificates with their dates and replaces them in one transaction', async () => {
    const shop = await apps.create('shop');
    const notAfter = new Date('2031-05-06T07:08:09.123Z');
    const cert = { names: ['www.shop.test'], certificatePem: 'CERT', privateKeyPem: 'KEY', fingerprint: 'AA:BB', notAfter };
    const first = await repo.addCert(shop.id, cert, []);
    const second = await repo.addCert(shop.id, { ...cert, fingerprint: 'CC:DD' }, [first.id]);
    const stored = await repo.certs(shop.id);
    expect(stored.map((c) => c.fingerprint)).to.deep.equal(['CC:DD']);
    expect(stored[0]).to.deep.include({ id: second.id, names: ['www.shop.test'], certificatePem: 'CERT', privateKeyPem: 'KEY' });
    expect(stored[0]!.notAfter.toISOString()).to.equal(notAfter.toISOString());
    await repo.removeCerts(shop.id, [second.id]);
    expect(await repo.certs(shop.id)).to.deep.equal([]);
  });

  it('keeps the redirect setting, and drops every row with the app', async () => {
    const shop = await apps.create('shop');
    expect(await repo.redirectHttps(shop.id)).to.equal(false);
    await repo.setRedirectHttps(shop.id, true);
    await repo.setRedirectHttps(shop.id, true);
    expect(await repo.redirectHttps(shop.id)).to.equal(true);
    await repo.addDomain(shop.id, 'www.shop.test');
    await repo.addCert(shop.id, { names: ['www.shop.test'], certificatePem: 'C', privateKeyPem: 'K', fingerprint: 'F', notAfter: new Date() }, []);
    await apps.delete(shop.id);
    for (const table of ['domains', 'certs', 'tls_settings']) {
      const row = await db(table).count({ n: '*' }).first();
      expect(Number(row?.n), table).to.equal(0);
    }
  });
});

describe('engine/publisher TLS keys against etcd (engine side of contract v2)', () => {
  const etcd = new Etcd3({ hosts: process.env.SLIPWAY_ETCD_URL || 'http://127.0.0.1:2379' });
  let prefix: string;
  let publisher: EtcdPublisher;
  let box: SecretBox;

  beforeEach(() => {
    prefix = `/slipway-test-${crypto.randomBytes(6).toString('hex')}`;
    box = new SecretBox(generateSecretKey());
    publisher = new EtcdPublisher(etcd, prefix, box);
  });

  afterEach(async () => {
    await etcd.delete().prefix(`${prefix}/`);
  });

  after(() => etcd.close());

  async function keys(): Promise<Record<string, string>> {
    return etcd.getAll().prefix(`${prefix}/`).strings();
  }

  it('writes certificates per host, exactly the set given, and values the router parses', async () => {
    await publisher.syncCerts('shop', new Map([
      ['www.shop.test', { cert: 'C1', key: 'K1' }],
      ['*.shop.test', { cert: 'C2', key: 'K2' }],
    ]));
    let written = await keys();
    expect(Object.keys(written).sort()).to.deep.equal([`${prefix}/apps/shop/certs/*.shop.test`, `${prefix}/apps/shop/certs/www.shop.test`]);
    expect(parseKey(prefix, `${prefix}/apps/shop/certs/*.shop.test`)).to.deep.equal({ kind: 'cert', app: 'shop', host: '*.shop.test' });
    // The private key is sealed for its own etcd key: etcd never holds it in clear.
    const raw = written[`${prefix}/apps/shop/certs/www.shop.test`]!;
    expect(raw).to.not.contain('K1');
    const value = parseCertValue(raw) as { cert: string; sealedKey: string };
    expect(value.cert).to.equal('C1');
    expect(box.open(value.sealedKey, certSealContext(`${prefix}/apps/shop/certs/www.shop.test`))).to.equal('K1');

    const before = await etcd.get(`${prefix}/apps/shop/certs/*.shop.test`).exec();
    await publisher.syncCerts('shop', new Map([['*.shop.test', { cert: 'C2', key: 'K2' }], ['api.shop.test', { cert: 'C3', key: 'K3' }]]));
    written = await keys();
    expect(Object.keys(written).sort()).to.deep.equal([`${prefix}/apps/shop/certs/*.shop.test`, `${prefix}/apps/shop/certs/api.shop.test`]);
    const after = await etcd.get(`${prefix}/apps/shop/certs/*.shop.test`).exec();
    expect(after.kvs[0]!.mod_revision, 'an unchanged certificate is not rewritten').to.equal(before.kvs[0]!.mod_revision);
    await publisher.syncCerts('shop', new Map());
    expect(await keys()).to.deep.equal({});
  });

  it('writes the settings key only when a setting is not the default', async () => {
    await publisher.publishSettings('shop', { redirectHttps: true });
    const written = await keys();
    expect(Object.keys(written)).to.deep.equal([`${prefix}/apps/shop/settings`]);
    expect(parseKey(prefix, `${prefix}/apps/shop/settings`)).to.deep.equal({ kind: 'settings', app: 'shop' });
    expect(parseSettingsValue(written[`${prefix}/apps/shop/settings`]!)).to.deep.equal({ redirectHttps: true });
    await publisher.publishSettings('shop', { redirectHttps: false });
    expect(await keys()).to.deep.equal({});
  });

  it('withdraws a domain, lists domains, and removes every TLS key with the app', async () => {
    await publisher.publishDomain('shop', 'shop.slipway.localhost');
    await publisher.publishDomain('shop', '*.Shop.test');
    expect((await publisher.domainHosts('shop')).sort()).to.deep.equal(['*.shop.test', 'shop.slipway.localhost']);
    await publisher.withdrawDomain('shop', '*.shop.test');
    expect(await publisher.domainHosts('shop')).to.deep.equal(['shop.slipway.localhost']);
    await publisher.syncCerts('shop', new Map([['www.shop.test', { cert: 'C', key: 'K' }]]));
    await publisher.publishSettings('shop', { redirectHttps: true });
    await publisher.publishDomain('shopping', 'shopping.slipway.localhost');
    await publisher.removeApp('shop');
    expect(Object.keys(await keys())).to.deep.equal([`${prefix}/apps/shopping/domains/shopping.slipway.localhost`]);
  });
});

/**
 * DomainsService on a real SQLite store (a temporary file) with an in-memory stand-in for etcd,
 * and certificates made with openssl in the test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DomainsService, normalizeDomain, servingCerts } from '../../../engine/domains-service';
import type { TlsPublisher } from '../../../engine/publisher';
import { AppsRepo } from '../../../engine/store/apps-repo';
import { openDatabase, type Database } from '../../../engine/store/database';
import { DomainsRepo } from '../../../engine/store/domains-repo';
import { SlipwayError, type ErrorCode } from '../../../lib/errors';
import type { AppSettingsValue, CertValue } from '../../../lib/etcd-keys';
import { silentLogger } from '../../../lib/log';
import { certDir, makeCert, makeCertValidBetween, type TestCert } from '../../support/certs';

/** What the service wrote "to etcd", per app. */
class FakeTlsPublisher implements TlsPublisher {
  readonly domains = new Map<string, Set<string>>();
  readonly certs = new Map<string, Map<string, CertValue>>();
  readonly settings = new Map<string, AppSettingsValue>();
  /** Makes the next call of this name fail, as an unreachable etcd would. */
  failNext: string | null = null;

  private check(call: string): void {
    if (this.failNext === call) {
      this.failNext = null;
      throw new Error('etcd unreachable');
    }
  }

  async publishDomain(app: string, host: string): Promise<void> {
    this.check('publishDomain');
    if (!this.domains.has(app)) this.domains.set(app, new Set());
    this.domains.get(app)!.add(host);
  }

  async withdrawDomain(app: string, host: string): Promise<void> {
    this.check('withdrawDomain');
    this.domains.get(app)?.delete(host);
  }

  async domainHosts(app: string): Promise<string[]> {
    return [...(this.domains.get(app) ?? [])];
  }

  async syncCerts(app: string, certs: ReadonlyMap<string, CertValue>): Promise<void> {
    this.check('syncCerts');
    this.certs.set(app, new Map(certs));
  }

  async publishSettings(app: string, settings: AppSettingsValue): Promise<void> {
    this.check('publishSettings');
    if (settings.redirectHttps) this.settings.set(app, settings);
    else this.settings.delete(app);
  }

  /** host → the certificate's first name, for the app. */
  servedBy(app: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [host, value] of this.certs.get(app) ?? []) out[host] = value.cert;
    return out;
  }
}

async function rejection(promise: Promise<unknown>, code: ErrorCode): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(SlipwayError);
    expect((error as SlipwayError).code).to.equal(code);
    expect((error as SlipwayError).message.split('\n')).to.have.length(1);
    return (error as SlipwayError).message;
  }
  throw new Error(`expected a ${code} error`);
}

describe('engine/domains-service', function () {
  this.timeout(30_000);

  describe('normalizeDomain (pure)', () => {
    const norm = (host: string, app = 'shop'): string => normalizeDomain(host, 'slipway.localhost', app);
    const problem = (host: string, app = 'shop'): string => {
      try {
        norm(host, app);
      } catch (error) {
        expect((error as SlipwayError).code).to.equal('invalid_domain');
        return (error as SlipwayError).message;
      }
      throw new Error(`expected ${host} to be refused`);
    };

    it('lowercases, drops a trailing dot and accepts names and one-label wildcards', () => {
      expect(norm('WWW.Example.COM.')).to.equal('www.example.com');
      expect(norm(' *.example.com ')).to.equal('*.example.com');
      expect(norm('a-1.b2.example.co.uk')).to.equal('a-1.b2.example.co.uk');
      expect(norm('deep.shop.slipway.localhost')).to.equal('deep.shop.slipway.localhost');
    });

    it('refuses what is not a DNS name, saying why', () => {
      expect(problem('')).to.include('it is empty');
      expect(problem('localhost')).to.include('fully qualified');
      expect(problem('*.com')).to.include('two labels or more');
      expect(problem('a..b.com')).to.include('empty label');
      expect(problem('-a.example.com')).to.include('"-a" is not a DNS label');
      expect(problem('under_score.example.com')).to.include('is not a DNS label');
      expect(problem('a.*.example.com')).to.include('whole first label');
      expect(problem('w*.example.com')).to.include('whole first label');
      expect(problem('https://www.example.com/')).to.include('without a scheme');
      expect(problem('www.example.com:8443')).to.include('without a port');
      expect(problem('10.0.0.1')).to.include('IP address');
      expect(problem(`${'a'.repeat(64)}.example.com`)).to.include('63 characters at most');
      expect(problem(`${'abcdefghi.'.repeat(26)}com`)).to.include('253 at most');
    });

    it('keeps <app>.<domain> names and *.<domain> for the platform', () => {
      expect(problem('shop.slipway.localhost')).to.include("already shop's default domain");
      expect(problem('blog.slipway.localhost')).to.include('reserved for apps');
      expect(problem('*.slipway.localhost')).to.include("every app's default domain");
    });

    it('refuses the platform domain itself and names under another app\'s default host, but not under the app\'s own', () => {
      expect(problem('slipway.localhost')).to.include("the platform's own domain");
      expect(problem('x.blog.slipway.localhost')).to.include('under blog.slipway.localhost').and.include('"blog"');
      expect(problem('a.b.blog.slipway.localhost')).to.include('under blog.slipway.localhost');
      expect(problem('*.blog.slipway.localhost')).to.include('under blog.slipway.localhost');
      expect(norm('api.shop.slipway.localhost')).to.equal('api.shop.slipway.localhost');
      expect(norm('*.shop.slipway.localhost')).to.equal('*.shop.slipway.localhost');
    });
  });

  describe('servingCerts (pure)', () => {
    it('gives each domain the newest certificate naming it exactly, else the newest wildcard covering it', () => {
      const wild = { names: ['*.example.com'] };
      const exact = { names: ['www.example.com'] };
      const newerWild = { names: ['*.example.com', 'example.com'] };
      const domains = ['www.example.com', 'api.example.com', 'example.com', '*.example.com', 'a.b.example.com'];
      let serving = servingCerts(domains, [wild, exact]);
      expect(serving.get('www.example.com')).to.equal(exact);
      expect(serving.get('api.example.com')).to.equal(wild);
      expect(serving.get('*.example.com')).to.equal(wild);
      expect(serving.has('example.com')).to.equal(false);
      expect(serving.has('a.b.example.com')).to.equal(false);
      serving = servingCerts(domains, [exact, wild, newerWild]);
      expect(serving.get('www.example.com'), 'an exact name beats a newer wildcard').to.equal(exact);
      expect(serving.get('api.example.com')).to.equal(newerWild);
      expect(serving.get('example.com')).to.equal(newerWild);
    });
  });

  describe('with a SQLite store and a fake etcd', () => {
    let tmp: string;
    let certs: string;
    let db: Database;
    let apps: AppsRepo;
    let publisher: FakeTlsPublisher;
    let service: DomainsService;
    let shopCert: TestCert;
    let shopCert2: TestCert;
    let wildcardCert: TestCert;

    before(async () => {
      certs = certDir();
      [shopCert, shopCert2, wildcardCert] = await Promise.all([
        makeCert(certs, { cn: 'www.shop.test', sans: ['www.shop.test', 'shop.test'] }),
        makeCert(certs, { cn: 'www.shop.test', sans: ['www.shop.test', 'shop.test'] }),
        makeCert(certs, { cn: '*.shop.test', sans: ['*.shop.test'] }),
      ]);
    });

    after(() => fs.rmSync(certs, { recursive: true, force: true }));

    beforeEach(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-domains-'));
      db = await openDatabase(`sqlite://${path.join(tmp, 'db.sqlite3')}`);
      apps = new AppsRepo(db);
      publisher = new FakeTlsPublisher();
      service = new DomainsService(apps, new DomainsRepo(db), publisher, 'slipway.localhost', silentLogger());
      await apps.create('shop');
      await apps.create('blog');
    });

    afterEach(async () => {
      await db.destroy();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    it('lists the default domain first, then custom ones; adds publish and removes withdraw them', async () => {
      const added = await service.add('shop', 'WWW.Shop.test');
      expect(added).to.include({ hostname: 'www.shop.test', kind: 'custom', wildcard: false, cert: null });
      await service.add('shop', '*.shop.test');
      const list = await service.list('shop');
      expect(list.map((d) => [d.hostname, d.kind, d.wildcard])).to.deep.equal([
        ['shop.slipway.localhost', 'default', false],
        ['*.shop.test', 'custom', true],
        ['www.shop.test', 'custom', false],
      ]);
      expect([...publisher.domains.get('shop')!].sort()).to.deep.equal(['*.shop.test', 'www.shop.test']);
      await service.remove('shop', 'www.shop.test.');
      expect([...publisher.domains.get('shop')!]).to.deep.equal(['*.shop.test']);
      expect((await service.list('shop')).map((d) => d.hostname)).to.deep.equal(['shop.slipway.localhost', '*.shop.test']);
    });

    it('gives a host to one app only, naming the owner', async () => {
      await service.add('shop', 'www.shop.test');
      expect(await rejection(service.add('blog', 'www.shop.test'), 'domain_taken'))
        .to.equal('www.shop.test already belongs to the app shop: a host serves one app. Remove it there first (slipway domains:remove shop www.shop.test).');
      expect(await rejection(service.add('shop', 'www.shop.test'), 'domain_taken')).to.equal('www.shop.test is already a domain of shop.');
      expect(publisher.domains.get('blog')).to.equal(undefined);
    });

    it('refuses to remove the default domain or one the app does not have', async () => {
      expect(await rejection(service.remove('shop', 'shop.slipway.localhost'), 'invalid_domain')).to.include('cannot be removed');
      expect(await rejection(service.remove('shop', 'nope.shop.test'), 'domain_not_found')).to.include('slipway domains shop');
      expect(await rejection(service.add('ghost', 'x.shop.test'), 'app_not_found')).to.include('ghost');
    });

    it('adds nothing when etcd fails: the store is put back', async () => {
      publisher.failNext = 'publishDomain';
      try {
        await service.add('shop', 'www.shop.test');
        expect.fail('should have failed');
      } catch (error) {
        expect((error as Error).message).to.equal('etcd unreachable');
      }
      expect((await service.list('shop')).map((d) => d.hostname)).to.deep.equal(['shop.slipway.localhost']);
      await service.add('blog', 'www.shop.test'); // free again
    });

    it('serves a certificate for the domains it covers and refuses one that covers none', async () => {
      expect(await rejection(service.addCert('shop', shopCert.cert, shopCert.key), 'invalid_certificate'))
        .to.equal('The certificate is for www.shop.test, shop.test, none of which is a domain of shop (shop.slipway.localhost): add the domain first (slipway domains:add shop www.shop.test), then the certificate.');
      await service.add('shop', 'www.shop.test');
      const added = await service.addCert('shop', shopCert.cert, shopCert.key);
      expect(added.domains).to.deep.equal(['www.shop.test']);
      expect(added.replaced).to.deep.equal([]);
      expect(publisher.servedBy('shop')).to.deep.equal({ 'www.shop.test': added.cert.certificatePem });
      const list = await service.list('shop');
      expect(list.find((d) => d.hostname === 'www.shop.test')?.cert?.fingerprint).to.equal(added.cert.fingerprint);
      // A domain added later that the certificate covers is served at once.
      await service.add('shop', 'shop.test');
      expect(Object.keys(publisher.servedBy('shop')).sort()).to.deep.equal(['shop.test', 'www.shop.test']);
      // …and one removed is no longer.
      await service.remove('shop', 'shop.test');
      expect(Object.keys(publisher.servedBy('shop'))).to.deep.equal(['www.shop.test']);
    });

    it('replaces the certificate that served the same domains', async () => {
      await service.add('shop', 'www.shop.test');
      const first = await service.addCert('shop', shopCert.cert, shopCert.key);
      const second = await service.addCert('shop', shopCert2.cert, shopCert2.key);
      expect(second.replaced.map((c) => c.fingerprint)).to.deep.equal([first.cert.fingerprint]);
      expect(publisher.servedBy('shop')).to.deep.equal({ 'www.shop.test': second.cert.certificatePem });
      expect((await service.certs('shop')).map((v) => v.cert.fingerprint)).to.deep.equal([second.cert.fingerprint]);
    });

    it('serves a wildcard certificate for matching domains, the exact one where it is newer', async () => {
      await service.add('shop', 'www.shop.test');
      await service.add('shop', 'api.shop.test');
      await service.add('shop', '*.shop.test');
      const wild = await service.addCert('shop', wildcardCert.cert, wildcardCert.key);
      expect(wild.domains).to.deep.equal(['*.shop.test', 'api.shop.test', 'www.shop.test']);
      const exact = await service.addCert('shop', shopCert.cert, shopCert.key);
      expect(exact.domains).to.deep.equal(['www.shop.test']);
      expect(exact.replaced).to.deep.equal([]); // the wildcard still serves the others
      // A wildcard added after it does not take www from the exact certificate.
      const wild2 = await service.addCert('shop', wildcardCert.cert, wildcardCert.key);
      expect(wild2.domains).to.deep.equal(['*.shop.test', 'api.shop.test']);
      expect(wild2.replaced.map((c) => c.fingerprint)).to.deep.equal([wild.cert.fingerprint]);
      const views = await service.certs('shop');
      expect(views.map((v) => v.domains)).to.deep.equal([['www.shop.test'], ['*.shop.test', 'api.shop.test']]);
      const removed = await service.removeCerts('shop', 'www.shop.test');
      expect(removed.map((v) => v.cert.fingerprint)).to.deep.equal([exact.cert.fingerprint]);
      // The wildcard takes www over again.
      expect(publisher.servedBy('shop')['www.shop.test']).to.equal(wild2.cert.certificatePem);
    });

    it('removes every certificate, and says when there is none to remove', async () => {
      await service.add('shop', 'www.shop.test');
      await service.addCert('shop', shopCert.cert, shopCert.key);
      expect(await service.removeCerts('shop')).to.have.length(1);
      expect(publisher.servedBy('shop')).to.deep.equal({});
      expect(await rejection(service.removeCerts('shop'), 'cert_not_found')).to.equal('shop has no certificates.');
      expect(await rejection(service.removeCerts('shop', 'www.shop.test'), 'cert_not_found')).to.include('No certificate serves www.shop.test');
      expect(await rejection(service.removeCerts('shop', 'nope.test'), 'domain_not_found')).to.include('nope.test');
    });

    it('refuses an expired certificate through the service too', async () => {
      await service.add('shop', 'www.shop.test');
      const expired = await makeCertValidBetween(certs, { cn: 'www.shop.test', sans: ['www.shop.test'] }, '20200101000000Z', '20200201000000Z');
      expect(await rejection(service.addCert('shop', expired.cert, expired.key), 'invalid_certificate')).to.include('expired on 2020-02-01');
      expect(await rejection(service.addCert('shop', shopCert.cert, shopCert2.key), 'invalid_certificate')).to.include('does not match');
      expect(await service.certs('shop')).to.deep.equal([]);
    });

    it('keeps the redirect setting in the store and publishes it', async () => {
      expect(await service.settings('shop')).to.deep.equal({ redirectHttps: false });
      expect(await service.updateSettings('shop', { redirectHttps: true })).to.deep.equal({ redirectHttps: true });
      expect(await service.settings('shop')).to.deep.equal({ redirectHttps: true });
      expect(publisher.settings.get('shop')).to.deep.equal({ redirectHttps: true });
      await service.updateSettings('shop', { redirectHttps: true }); // again: no change, no error
      await service.updateSettings('shop', { redirectHttps: false });
      expect(publisher.settings.has('shop')).to.equal(false);
      expect(await service.settings('blog')).to.deep.equal({ redirectHttps: false });
    });

    it('drops the rows of a destroyed app with it (foreign keys)', async () => {
      await service.add('shop', 'www.shop.test');
      await service.addCert('shop', shopCert.cert, shopCert.key);
      await service.updateSettings('shop', { redirectHttps: true });
      const shop = await apps.get('shop');
      await apps.delete(shop.id);
      for (const table of ['domains', 'certs', 'tls_settings']) {
        expect(await db(table).count({ n: '*' }).first(), table).to.deep.equal({ n: 0 });
      }
      await apps.create('shop');
      await service.add('blog', 'www.shop.test'); // the host is free again
    });
  });
});

/**
 * The router's HTTPS side against a real etcd and real backends: certificates by SNI (two
 * self-signed certificates made with openssl in the test, plus a wildcard), the default certificate,
 * replacing a certificate while requests flow, wildcard domains and the HTTP → HTTPS redirect.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { certKey, settingsKey } from '../../../lib/etcd-keys';
import { silentLogger } from '../../../lib/log';
import { startRouter, type RunningRouter } from '../../../router/index';
import { certDir, makeCert, type TestCert } from '../../support/certs';
import { handshake, httpsGet as httpsGetWith } from '../../support/tls-client';
import {
  answeredBy, EngineKeys, request, routerConfig, SHARED_ETCD_URL, startBackend, uniquePrefix, waitUntil, type TestBackend,
} from './helpers';

function httpsGet(port: number, host: string, ca: string | undefined, agent: https.Agent | false = false, path = '/') {
  return httpsGetWith(port, host, { ca, agent, path });
}

function fingerprintOf(cert: TestCert): string {
  return new X509Certificate(cert.cert).fingerprint256;
}

describe('router HTTPS: certificates by SNI from etcd (real etcd, real backends)', function () {
  this.timeout(60_000);

  const client = new Etcd3({ hosts: SHARED_ETCD_URL });
  let dir: string;
  let alpha: TestCert;
  let alphaRenewed: TestCert;
  let beta: TestCert;
  let wild: TestCert;
  let prefix: string;
  let keys: EngineKeys;
  let router: RunningRouter;
  let backends: TestBackend[];

  async function putCert(app: string, host: string, cert: TestCert): Promise<number> {
    const response = await client.put(certKey(prefix, app, host)).value(JSON.stringify({ cert: cert.cert, key: cert.key })).exec();
    return Number(response.header.revision);
  }

  function routerAt(revision: number): Promise<void> {
    return waitUntil(`the router reached revision ${revision}`, () => (router.sourceStatus().revision ?? 0) >= revision);
  }

  /** An app with one real backend and a domain. */
  async function app(name: string, host: string): Promise<TestBackend> {
    const backend = await startBackend(name);
    backends.push(backend);
    await keys.addDomain(name, host);
    await keys.addBackend(name, 'web.1', backend.url);
    return backend;
  }

  before(async () => {
    dir = certDir();
    [alpha, alphaRenewed, beta, wild] = await Promise.all([
      makeCert(dir, { cn: 'alpha.test', sans: ['alpha.test'] }),
      makeCert(dir, { cn: 'alpha.test', sans: ['alpha.test'] }),
      makeCert(dir, { cn: 'beta.test', sans: ['beta.test'] }),
      makeCert(dir, { cn: '*.wild.test', sans: ['*.wild.test'] }),
    ]);
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    client.close();
  });

  beforeEach(async () => {
    prefix = uniquePrefix();
    keys = new EngineKeys(client, prefix);
    backends = [];
    router = await startRouter(routerConfig(prefix), silentLogger());
  });

  afterEach(async () => {
    await router.close();
    await Promise.all(backends.map((b) => b.close()));
    await keys.removeAll();
  });

  it('listens for HTTPS on a port of its own, next to HTTP', () => {
    expect(router.httpsPort).to.be.a('number').and.to.be.greaterThan(0);
    expect(router.httpsPort).to.not.equal(router.port);
  });

  it('presents each host its own certificate (SNI), and the default one without SNI or for an unknown host', async () => {
    await app('alpha', 'alpha.test');
    await app('beta', 'beta.test');
    await putCert('alpha', 'alpha.test', alpha);
    await routerAt(await putCert('beta', 'beta.test', beta));

    const toAlpha = await handshake(router.httpsPort, 'alpha.test', alpha.cert);
    expect(toAlpha).to.deep.equal({ cn: 'alpha.test', fingerprint: fingerprintOf(alpha), authorized: true });
    const toBeta = await handshake(router.httpsPort, 'beta.test', beta.cert);
    expect(toBeta).to.deep.equal({ cn: 'beta.test', fingerprint: fingerprintOf(beta), authorized: true });
    expect((await handshake(router.httpsPort, 'ALPHA.test')).cn).to.equal('alpha.test');
    expect((await handshake(router.httpsPort, 'unknown.test')).cn).to.equal('slipway-default');
    expect((await handshake(router.httpsPort, null)).cn).to.equal('slipway-default');
  });

  it('presents an RSA certificate to TLS 1.3 clients although the default certificate is EC (issue 9)', async () => {
    const rsa = await makeCert(dir, { cn: 'rsa.test', sans: ['rsa.test'], keyType: 'rsa' });
    await app('rsa', 'rsa.test');
    await routerAt(await putCert('rsa', 'rsa.test', rsa));
    // Node's client offers ECDSA first in TLS 1.3, as browsers do: it used to get the default certificate.
    const peer = await handshake(router.httpsPort, 'rsa.test', rsa.cert);
    expect(peer).to.deep.equal({ cn: 'rsa.test', fingerprint: fingerprintOf(rsa), authorized: true });
    expect((await httpsGet(router.httpsPort, 'rsa.test', rsa.cert)).status).to.equal(200);
    expect((await handshake(router.httpsPort, 'other.test')).cn).to.equal('slipway-default');
  });

  it('proxies HTTPS requests to the app like HTTP ones, telling it the request was HTTPS', async () => {
    await app('alpha', 'alpha.test');
    await app('beta', 'beta.test');
    await putCert('alpha', 'alpha.test', alpha);
    await routerAt(await putCert('beta', 'beta.test', beta));

    const answer = await httpsGet(router.httpsPort, 'alpha.test', alpha.cert);
    expect(answer.status).to.equal(200);
    const body = JSON.parse(answer.body) as { backend: string; headers: Record<string, string> };
    expect(body.backend).to.equal('alpha');
    expect(body.headers['x-forwarded-proto']).to.equal('https');
    expect(JSON.parse((await httpsGet(router.httpsPort, 'beta.test', beta.cert)).body).backend).to.equal('beta');
    // Plain HTTP still works for the same hosts.
    expect(answeredBy(await request(router.port, 'alpha.test'))).to.equal('alpha');
  });

  it('serves a wildcard domain and its wildcard certificate for one more label, an exact host first', async () => {
    await app('wild', '*.wild.test');
    await app('exact', 'www.wild.test');
    await routerAt(await putCert('wild', '*.wild.test', wild));

    const shop = await httpsGet(router.httpsPort, 'shop.wild.test', wild.cert);
    expect(JSON.parse(shop.body).backend).to.equal('wild');
    expect(shop.fingerprint).to.equal(fingerprintOf(wild));
    expect(answeredBy(await request(router.port, 'www.wild.test'))).to.equal('exact');
    expect(answeredBy(await request(router.port, 'api.wild.test'))).to.equal('wild');
    expect((await request(router.port, 'a.b.wild.test')).status).to.equal(404);
    expect((await handshake(router.httpsPort, 'a.b.wild.test')).cn).to.equal('slipway-default');
  });

  it('replaces a certificate while serving: no request fails, new handshakes get the new one at once', async () => {
    await app('alpha', 'alpha.test');
    await routerAt(await putCert('alpha', 'alpha.test', alpha));
    const oldPrint = fingerprintOf(alpha);
    const newPrint = fingerprintOf(alphaRenewed);

    // A kept-alive connection made before the replacement keeps working afterwards.
    const keptAlive = new https.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await httpsGet(router.httpsPort, 'alpha.test', undefined, keptAlive)).fingerprint).to.equal(oldPrint);

    const seen: string[][] = [[], []];
    const failures: string[] = [];
    let stop = false;
    // Two clients, each opening a new TLS connection per request, until the new certificate shows.
    const loops = seen.map(async (prints) => {
      while (!stop) {
        try {
          const answer = await httpsGet(router.httpsPort, 'alpha.test', undefined);
          if (answer.status !== 200) failures.push(`status ${answer.status}`);
          prints.push(answer.fingerprint);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    });
    await waitUntil('requests flowed with the first certificate', () => seen.every((prints) => prints.length >= 5));
    const revision = await putCert('alpha', 'alpha.test', alphaRenewed);
    await routerAt(revision);
    // Right after the router applied the change, a new handshake gets the new certificate.
    expect((await handshake(router.httpsPort, 'alpha.test')).fingerprint).to.equal(newPrint);
    await waitUntil('both clients got the new certificate', () => seen.every((prints) => prints.slice(-3).every((p) => p === newPrint)));
    stop = true;
    await Promise.all(loops);

    expect(failures).to.deep.equal([]);
    for (const prints of seen) {
      const firstNew = prints.indexOf(newPrint);
      expect(firstNew).to.be.greaterThan(0);
      expect(prints.slice(0, firstNew).every((p) => p === oldPrint)).to.equal(true);
      expect(prints.slice(firstNew).every((p) => p === newPrint), 'never the old one again').to.equal(true);
    }

    const again = await httpsGet(router.httpsPort, 'alpha.test', undefined, keptAlive);
    expect(again.status).to.equal(200);
    expect(again.fingerprint, 'the open connection kept its certificate').to.equal(oldPrint);
    keptAlive.destroy();
  });

  it('falls back to the default certificate once the certificate key is deleted', async () => {
    await app('alpha', 'alpha.test');
    await routerAt(await putCert('alpha', 'alpha.test', alpha));
    expect((await handshake(router.httpsPort, 'alpha.test')).cn).to.equal('alpha.test');
    const response = await client.delete().key(certKey(prefix, 'alpha', 'alpha.test')).exec();
    await routerAt(Number(response.header.revision));
    expect((await handshake(router.httpsPort, 'alpha.test')).cn).to.equal('slipway-default');
  });

  it('ignores a certificate key whose value TLS refuses, and keeps serving', async () => {
    await app('alpha', 'alpha.test');
    const bad = await client.put(certKey(prefix, 'alpha', 'alpha.test')).value(JSON.stringify({ cert: alpha.cert, key: beta.key })).exec();
    await routerAt(Number(bad.header.revision));
    expect((await handshake(router.httpsPort, 'alpha.test')).cn).to.equal('slipway-default');
    expect((await httpsGet(router.httpsPort, 'alpha.test', undefined)).status).to.equal(200);
  });

  it('redirects plain HTTP to HTTPS for an app with the setting, and only for it', async () => {
    await app('alpha', 'alpha.test');
    await app('beta', 'beta.test');
    await putCert('alpha', 'alpha.test', alpha);
    const on = await client.put(settingsKey(prefix, 'alpha')).value('{"redirectHttps":true}').exec();
    await routerAt(Number(on.header.revision));

    const redirected = await request(router.port, 'alpha.test:8080', { path: '/cart?item=1' });
    expect(redirected.status).to.equal(301);
    expect(redirected.headers.location).to.equal(`https://alpha.test:${router.httpsPort}/cart?item=1`);
    const posted = await request(router.port, 'alpha.test', { method: 'POST', path: '/orders', body: 'x=1', headers: { 'content-type': 'text/plain' } });
    expect(posted.status).to.equal(308);
    expect(answeredBy(await request(router.port, 'beta.test'))).to.equal('beta');
    // Over HTTPS the app is served, never redirected.
    const secure = await httpsGet(router.httpsPort, 'alpha.test', alpha.cert, false, '/cart');
    expect(secure.status).to.equal(200);
    expect(JSON.parse(secure.body).url).to.equal('/cart');
    // The router's own health path is not redirected.
    expect((await request(router.port, 'alpha.test', { path: '/_slipway/health' })).status).to.equal(200);

    const off = await client.delete().key(settingsKey(prefix, 'alpha')).exec();
    await routerAt(Number(off.header.revision));
    expect(answeredBy(await request(router.port, 'alpha.test'))).to.equal('alpha');
  });

  it('loads certificates and settings that were in etcd before it started (snapshot)', async () => {
    await router.close();
    await app('alpha', 'alpha.test');
    await putCert('alpha', 'alpha.test', alpha);
    await client.put(settingsKey(prefix, 'alpha')).value('{"redirectHttps":true}').exec();
    router = await startRouter(routerConfig(prefix), silentLogger());
    expect((await handshake(router.httpsPort, 'alpha.test', alpha.cert)).authorized).to.equal(true);
    expect((await request(router.port, 'alpha.test')).status).to.equal(301);
  });
});

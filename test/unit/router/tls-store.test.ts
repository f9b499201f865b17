import fs from 'node:fs';
import type http from 'node:http';
import { expect } from 'chai';
import { loadConfig } from '../../../lib/config';
import { backendKey, certKey, certSealContext, domainKey, settingsKey } from '../../../lib/etcd-keys';
import { generateSecretKey, SecretBox } from '../../../lib/secret-box';
import { silentLogger } from '../../../lib/log';
import { RouteTable, type RouteChange } from '../../../router/route-table';
import { httpsRedirector } from '../../../router/tls';
import { fanOutSink, TlsStore } from '../../../router/tls-store';
import { certDir, makeCert, type TestCert } from '../../support/certs';

const PREFIX = '/slipway';

function putCert(app: string, host: string, cert: TestCert): RouteChange {
  return { type: 'put', key: certKey(PREFIX, app, host), value: JSON.stringify({ cert: cert.cert, key: cert.key }) };
}

function putSettings(app: string, value: unknown): RouteChange {
  return { type: 'put', key: settingsKey(PREFIX, app), value: JSON.stringify(value) };
}

function putDomain(app: string, host: string): RouteChange {
  return { type: 'put', key: domainKey(PREFIX, app, host), value: JSON.stringify({ app }) };
}

describe('router/tls-store: certificates and settings from etcd keys', function () {
  this.timeout(30_000);
  let dir: string;
  let shop: TestCert;
  let shop2: TestCert;
  let wild: TestCert;

  before(async () => {
    dir = certDir();
    [shop, shop2, wild] = await Promise.all([
      makeCert(dir, { cn: 'www.shop.test', sans: ['www.shop.test'] }),
      makeCert(dir, { cn: 'www.shop.test', sans: ['www.shop.test'] }),
      makeCert(dir, { cn: '*.shop.test', sans: ['*.shop.test'] }),
    ]);
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('has a context for a host with a certificate key, looked up case-insensitively', () => {
    const store = new TlsStore(PREFIX);
    expect(store.contextFor('www.shop.test')).to.equal(undefined);
    store.apply(putCert('shop', 'www.shop.test', shop));
    const context = store.contextFor('www.shop.test');
    expect(context).to.not.equal(undefined);
    expect(store.contextFor('WWW.Shop.Test.')).to.equal(context);
    expect(store.contextFor('other.shop.test')).to.equal(undefined);
    expect(store.stats()).to.deep.equal({ certHosts: 1, redirectingApps: 0 });
  });

  it('replaces a context on a new put and drops it on delete', () => {
    const store = new TlsStore(PREFIX);
    store.apply(putCert('shop', 'www.shop.test', shop));
    const first = store.contextFor('www.shop.test');
    store.apply(putCert('shop', 'www.shop.test', shop2));
    const second = store.contextFor('www.shop.test');
    expect(second).to.not.equal(undefined);
    expect(second).to.not.equal(first);
    store.apply({ type: 'delete', key: certKey(PREFIX, 'shop', 'www.shop.test') });
    expect(store.contextFor('www.shop.test')).to.equal(undefined);
  });

  it('falls back to the one-label wildcard, with the exact host first', () => {
    const store = new TlsStore(PREFIX);
    store.apply(putCert('shop', '*.shop.test', wild));
    const wildcard = store.contextFor('api.shop.test');
    expect(wildcard).to.not.equal(undefined);
    expect(store.contextFor('a.b.shop.test')).to.equal(undefined);
    expect(store.contextFor('shop.test')).to.equal(undefined);
    store.apply(putCert('shop', 'www.shop.test', shop));
    expect(store.contextFor('www.shop.test')).to.not.equal(wildcard);
    expect(store.contextFor('api.shop.test')).to.equal(wildcard);
  });

  it('ignores a value it cannot use, reporting it, and forgets what the key held before', () => {
    const problems: Array<{ app: string; host: string }> = [];
    const store = new TlsStore(PREFIX, { onInvalid: (problem) => problems.push(problem) });
    store.apply(putCert('shop', 'www.shop.test', shop));
    store.apply({ type: 'put', key: certKey(PREFIX, 'shop', 'www.shop.test'), value: JSON.stringify({ cert: shop.cert, key: shop2.key }) });
    expect(store.contextFor('www.shop.test')).to.equal(undefined);
    store.apply({ type: 'put', key: certKey(PREFIX, 'shop', 'x.shop.test'), value: 'not json' });
    expect(problems.map((p) => `${p.app} ${p.host}`)).to.deep.equal(['shop www.shop.test', 'shop x.shop.test']);
  });

  it('opens a sealed private key (contract v4) for its own etcd key only, and reports one it cannot open', () => {
    const box = new SecretBox(generateSecretKey());
    const key = certKey(PREFIX, 'shop', 'www.shop.test');
    const sealed = JSON.stringify({ cert: shop.cert, sealedKey: box.seal(shop.key, certSealContext(key)) });
    const problems: Array<{ app: string; host: string; error: string }> = [];
    const store = new TlsStore(PREFIX, { onInvalid: (problem) => problems.push(problem), openKey: (value, context) => box.open(value, context) });
    store.apply({ type: 'put', key, value: sealed });
    expect(store.contextFor('www.shop.test')).to.not.equal(undefined);
    expect(problems).to.deep.equal([]);
    // The same value under another host's key does not open: it was sealed for www.shop.test.
    store.apply({ type: 'put', key: certKey(PREFIX, 'shop', 'api.shop.test'), value: sealed });
    expect(store.contextFor('api.shop.test')).to.equal(undefined);
    expect(problems[0]).to.include({ app: 'shop', host: 'api.shop.test' });
    expect(problems[0]!.error).to.match(/fails authentication/);
    // A router without the key file cannot open it, and says so.
    const keyless: string[] = [];
    new TlsStore(PREFIX, { onInvalid: (problem) => keyless.push(problem.error) }).apply({ type: 'put', key, value: sealed });
    expect(keyless[0]).to.match(/sealed and this router has no secrets key/);
  });

  it('lets the smaller app name win when two apps publish one host (order-independent)', () => {
    const a = new TlsStore(PREFIX);
    a.apply(putCert('zeta', 'www.shop.test', shop));
    a.apply(putCert('alpha', 'www.shop.test', shop2));
    const b = new TlsStore(PREFIX);
    b.apply(putCert('alpha', 'www.shop.test', shop2));
    b.apply(putCert('zeta', 'www.shop.test', shop));
    // alpha's wins in both: removing zeta's changes nothing, removing alpha's changes the context.
    const winnerA = a.contextFor('www.shop.test');
    a.apply({ type: 'delete', key: certKey(PREFIX, 'zeta', 'www.shop.test') });
    expect(a.contextFor('www.shop.test')).to.equal(winnerA);
    const winnerB = b.contextFor('www.shop.test');
    b.apply({ type: 'delete', key: certKey(PREFIX, 'alpha', 'www.shop.test') });
    expect(b.contextFor('www.shop.test')).to.not.equal(undefined);
    expect(b.contextFor('www.shop.test')).to.not.equal(winnerB);
  });

  it('reuses contexts across a snapshot that brings the same values, and drops what it lacks', () => {
    const store = new TlsStore(PREFIX);
    store.apply(putCert('shop', 'www.shop.test', shop));
    store.apply(putCert('shop', '*.shop.test', wild));
    const before = store.contextFor('www.shop.test');
    const snapshot = [putCert('shop', 'www.shop.test', shop)].map((c) => ({ key: c.key, value: (c as { value: string }).value }));
    store.reset(snapshot);
    expect(store.contextFor('www.shop.test')).to.equal(before);
    expect(store.contextFor('api.shop.test')).to.equal(undefined);
  });

  it('reads the redirect setting per app; a delete or bad value means off', () => {
    const store = new TlsStore(PREFIX);
    expect(store.redirectsToHttps('shop')).to.equal(false);
    store.apply(putSettings('shop', { redirectHttps: true }));
    expect(store.redirectsToHttps('shop')).to.equal(true);
    expect(store.redirectsToHttps('blog')).to.equal(false);
    expect(store.stats().redirectingApps).to.equal(1);
    store.apply({ type: 'put', key: settingsKey(PREFIX, 'shop'), value: 'garbage' });
    expect(store.redirectsToHttps('shop')).to.equal(false);
    store.apply(putSettings('shop', { redirectHttps: true }));
    store.apply({ type: 'delete', key: settingsKey(PREFIX, 'shop') });
    expect(store.redirectsToHttps('shop')).to.equal(false);
  });

  it('feeds the route table and the TLS store from one source (fanOutSink)', () => {
    const table = new RouteTable(PREFIX);
    const store = new TlsStore(PREFIX);
    const sink = fanOutSink(table, store);
    sink.reset([
      { key: domainKey(PREFIX, 'shop', 'www.shop.test'), value: '{"app":"shop"}' },
      { key: backendKey(PREFIX, 'shop', 'web.1'), value: '{"url":"http://127.0.0.1:1","release":1,"process":"web"}' },
      { key: certKey(PREFIX, 'shop', 'www.shop.test'), value: JSON.stringify({ cert: shop.cert, key: shop.key }) },
      { key: settingsKey(PREFIX, 'shop'), value: '{"redirectHttps":true}' },
    ]);
    expect(table.appForHost('www.shop.test')).to.equal('shop');
    expect(table.backendCount('shop')).to.equal(1);
    expect(store.contextFor('www.shop.test')).to.not.equal(undefined);
    expect(store.redirectsToHttps('shop')).to.equal(true);
    sink.apply({ type: 'delete', key: certKey(PREFIX, 'shop', 'www.shop.test') });
    expect(store.contextFor('www.shop.test')).to.equal(undefined);
    expect(table.stats()).to.deep.equal({ appCount: 1, hostCount: 1, backendCount: 1 });
  });
});

describe('router/route-table: wildcard domains (contract v2)', () => {
  it('routes a host to the app of its one-label wildcard, an exact domain first', () => {
    const table = new RouteTable(PREFIX);
    table.apply(putDomain('shop', '*.shop.test'));
    table.apply(putDomain('blog', 'blog.shop.test'));
    expect(table.appForHost('www.shop.test')).to.equal('shop');
    expect(table.appForHost('blog.shop.test')).to.equal('blog');
    expect(table.appForHost('a.b.shop.test')).to.equal(undefined);
    expect(table.appForHost('shop.test')).to.equal(undefined);
    table.apply({ type: 'delete', key: domainKey(PREFIX, 'shop', '*.shop.test') });
    expect(table.appForHost('www.shop.test')).to.equal(undefined);
  });

  it('does not take certificate or settings keys for backends', () => {
    const table = new RouteTable(PREFIX);
    table.apply({ type: 'put', key: certKey(PREFIX, 'shop', 'www.shop.test'), value: '{"cert":"c","key":"k"}' });
    table.apply(putSettings('shop', { redirectHttps: true }));
    expect(table.stats()).to.deep.equal({ appCount: 0, hostCount: 0, backendCount: 0 });
  });
});

describe('router/tls httpsRedirector', () => {
  function exchange(method: string, host: string | undefined, url: string) {
    const req = { method, url, headers: host === undefined ? {} : { host } } as unknown as http.IncomingMessage;
    const sent: { status?: number; headers?: Record<string, string>; body?: string } = {};
    const res = {
      writeHead(status: number, headers: Record<string, string>) {
        sent.status = status;
        sent.headers = headers;
        return this;
      },
      end(body?: string) {
        sent.body = body;
        return this;
      },
    } as unknown as http.ServerResponse;
    return { req, res, sent };
  }

  const routes = { appForHost: (host: string) => (host.endsWith('shop.test') ? 'shop' : host === 'blog.test' ? 'blog' : undefined) };
  const store = { redirectsToHttps: (app: string) => app === 'shop' };

  it('answers 301 to the same host and path on the HTTPS port for GET and HEAD', () => {
    const redirect = httpsRedirector(routes, store, () => 8443, silentLogger());
    const get = exchange('GET', 'WWW.shop.test:8080', '/cart?x=1');
    expect(redirect(get.req, get.res)).to.equal(true);
    expect(get.sent.status).to.equal(301);
    expect(get.sent.headers?.location).to.equal('https://www.shop.test:8443/cart?x=1');
    const head = exchange('HEAD', 'www.shop.test', '/');
    expect(redirect(head.req, head.res)).to.equal(true);
    expect(head.sent.status).to.equal(301);
    expect(head.sent.body).to.equal(undefined);
  });

  it('uses 308 for other methods (the body and method are kept) and leaves out port 443', () => {
    const redirect = httpsRedirector(routes, store, () => 443, silentLogger());
    const post = exchange('POST', 'www.shop.test', '/orders');
    expect(redirect(post.req, post.res)).to.equal(true);
    expect(post.sent.status).to.equal(308);
    expect(post.sent.headers?.location).to.equal('https://www.shop.test/orders');
  });

  it('leaves other apps, unknown hosts, missing Host headers and the health path to the proxy', () => {
    const redirect = httpsRedirector(routes, store, () => 8443, silentLogger());
    for (const [host, url] of [['blog.test', '/'], ['nope.test', '/'], [undefined, '/'], ['www.shop.test', '/_slipway/health']] as const) {
      const e = exchange('GET', host, url);
      expect(redirect(e.req, e.res), `${host} ${url}`).to.equal(false);
      expect(e.sent.status).to.equal(undefined);
    }
  });
});

describe('lib/config: the router HTTPS port', () => {
  it('is 8443 by default, 0 when the HTTP port is 0, and settable', () => {
    expect(loadConfig({}).routerHttpsPort).to.equal(8443);
    expect(loadConfig({ SLIPWAY_ROUTER_PORT: '0' }).routerHttpsPort).to.equal(0);
    expect(loadConfig({ SLIPWAY_ROUTER_PORT: '80' }).routerHttpsPort).to.equal(8443);
    expect(loadConfig({ SLIPWAY_ROUTER_HTTPS_PORT: '443' }).routerHttpsPort).to.equal(443);
    expect(() => loadConfig({ SLIPWAY_ROUTER_HTTPS_PORT: 'x' })).to.throw('SLIPWAY_ROUTER_HTTPS_PORT=x is not a TCP port');
  });
});

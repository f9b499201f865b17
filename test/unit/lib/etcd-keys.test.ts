import { expect } from 'chai';
import {
  appPrefix, appsPrefix, backendKey, backendsPrefix, domainKey, parseBackendValue, parseKey, ETCD_SCHEMA_VERSION,
} from '../../../lib/etcd-keys';

describe('lib/etcd-keys (contract v1, docs/contracts/etcd-keys.md)', () => {
  const prefix = '/slipway';

  it('is schema version 1', () => {
    expect(ETCD_SCHEMA_VERSION).to.equal(1);
  });

  it('builds the documented keys', () => {
    expect(domainKey(prefix, 'shop', 'shop.slipway.localhost')).to.equal('/slipway/apps/shop/domains/shop.slipway.localhost');
    expect(backendKey(prefix, 'shop', 'shop.web.1a2b3c4d')).to.equal('/slipway/apps/shop/backends/shop.web.1a2b3c4d');
    expect(appsPrefix(prefix)).to.equal('/slipway/apps/');
    expect(appPrefix(prefix, 'shop')).to.equal('/slipway/apps/shop/');
    expect(backendsPrefix(prefix, 'shop')).to.equal('/slipway/apps/shop/backends/');
  });

  it('writes host names in lowercase, as the router looks them up', () => {
    expect(domainKey(prefix, 'shop', 'Shop.Example.COM')).to.equal('/slipway/apps/shop/domains/shop.example.com');
  });

  it('parses back what it builds (domains and backends, any prefix)', () => {
    for (const p of ['/slipway', '/slipway-test-0a1b2c', '']) {
      expect(parseKey(p, domainKey(p, 'shop', 'Shop.Example.com'))).to.deep.equal({ kind: 'domain', app: 'shop', host: 'shop.example.com' });
      expect(parseKey(p, backendKey(p, 'my-app', 'my-app.web.00ff'))).to.deep.equal({ kind: 'backend', app: 'my-app', instanceId: 'my-app.web.00ff' });
    }
  });

  it('gives each app a prefix that no other app\'s keys fall under, even when names share a beginning', () => {
    expect(backendKey(prefix, 'shop-api', 'i').startsWith(appPrefix(prefix, 'shop'))).to.equal(false);
    expect(domainKey(prefix, 'shop2', 'h').startsWith(appPrefix(prefix, 'shop'))).to.equal(false);
    expect(backendKey(prefix, 'shop', 'i').startsWith(appPrefix(prefix, 'shop'))).to.equal(true);
  });

  it('ignores keys of other prefixes and of a newer schema', () => {
    const foreign = [
      '/other/apps/shop/domains/shop.example.com',
      '/slipway2/apps/shop/domains/shop.example.com', // a prefix that merely starts like ours
      '/slipway/apps/shop/certs/shop.example.com', // unknown kind
      '/slipway/apps/shop/domains/shop.example.com/extra', // deeper than v1
      '/slipway/apps/shop/domains/', // no host
      '/slipway/apps//domains/x', // no app
      '/slipway/apps/shop', // the app itself
      '/slipway/version',
      'slipway/apps/shop/domains/x',
    ];
    for (const key of foreign) expect(parseKey(prefix, key), key).to.equal(null);
  });

  it('parses a backend value written by the engine', () => {
    const value = { url: 'http://127.0.0.1:32768', release: 7, process: 'web' };
    expect(parseBackendValue(JSON.stringify(value))).to.deep.equal(value);
  });

  it('treats a backend value without process as web and ignores additive fields', () => {
    expect(parseBackendValue('{"url":"http://127.0.0.1:1","release":2,"weight":5}'))
      .to.deep.equal({ url: 'http://127.0.0.1:1', release: 2, process: 'web' });
  });

  it('refuses backend values it cannot use', () => {
    for (const raw of ['', 'not json', 'null', '"http://x"', '[]', '{"url":"http://x"}', '{"release":1}', '{"url":5,"release":1}', '{"url":"http://x","release":"7"}']) {
      expect(parseBackendValue(raw), raw).to.equal(null);
    }
  });
});

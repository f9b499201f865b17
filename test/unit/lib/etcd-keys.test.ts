import { expect } from 'chai';
import {
  appPrefix, appsPrefix, backendKey, backendsPrefix, certKey, certsPrefix, domainKey, domainsPrefix, parseBackendValue,
  parseCertValue, parseKey, parseSettingsValue, settingsKey, wildcardFor, ETCD_SCHEMA_VERSION, maintenanceKey, parseMaintenanceValue,
} from '../../../lib/etcd-keys';

describe('lib/etcd-keys (contract v4, docs/contracts/etcd-keys.md)', () => {
  const prefix = '/slipway';

  it('is schema version 4 (certificate and settings keys in v2, the maintenance key in v3, private keys sealed in v4)', () => {
    expect(ETCD_SCHEMA_VERSION).to.equal(4);
  });

  it('builds and parses the v3 maintenance key, reading only {"maintenance":true} as on', () => {
    expect(maintenanceKey(prefix, 'shop')).to.equal('/slipway/apps/shop/maintenance');
    expect(parseKey(prefix, maintenanceKey(prefix, 'shop'))).to.deep.equal({ kind: 'maintenance', app: 'shop' });
    expect(parseMaintenanceValue('{"maintenance":true}')).to.equal(true);
    for (const raw of ['{"maintenance":false}', '{}', 'true', 'null', 'nope']) expect(parseMaintenanceValue(raw), raw).to.equal(false);
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
      '/slipway/apps/shop/limits/shop.example.com', // unknown kind
      '/slipway/apps/shop/settings/x', // settings has no children
      '/slipway/apps/shop/other', // unknown app-level key
      '/slipway/apps/shop/domains/shop.example.com/extra', // deeper than v1
      '/slipway/apps/shop/domains/', // no host
      '/slipway/apps//domains/x', // no app
      '/slipway/apps/shop', // the app itself
      '/slipway/version',
      'slipway/apps/shop/domains/x',
    ];
    for (const key of foreign) expect(parseKey(prefix, key), key).to.equal(null);
  });

  it('builds and parses the v2 keys: certificates per host and app settings', () => {
    expect(certKey(prefix, 'shop', 'WWW.Shop.test')).to.equal('/slipway/apps/shop/certs/www.shop.test');
    expect(certKey(prefix, 'shop', '*.shop.test')).to.equal('/slipway/apps/shop/certs/*.shop.test');
    expect(certsPrefix(prefix, 'shop')).to.equal('/slipway/apps/shop/certs/');
    expect(domainsPrefix(prefix, 'shop')).to.equal('/slipway/apps/shop/domains/');
    expect(settingsKey(prefix, 'shop')).to.equal('/slipway/apps/shop/settings');
    expect(parseKey(prefix, certKey(prefix, 'shop', '*.shop.test'))).to.deep.equal({ kind: 'cert', app: 'shop', host: '*.shop.test' });
    expect(parseKey(prefix, settingsKey(prefix, 'shop'))).to.deep.equal({ kind: 'settings', app: 'shop' });
    expect(parseKey(prefix, domainKey(prefix, 'shop', '*.shop.test'))).to.deep.equal({ kind: 'domain', app: 'shop', host: '*.shop.test' });
    // Every v2 key of an app is under its prefix, so destroying the app removes them.
    expect(certKey(prefix, 'shop', 'x.test').startsWith(appPrefix(prefix, 'shop'))).to.equal(true);
    expect(settingsKey(prefix, 'shop').startsWith(appPrefix(prefix, 'shop'))).to.equal(true);
  });

  it('names the wildcard domain that covers a host (one label, never a bare TLD)', () => {
    expect(wildcardFor('shop.example.com')).to.equal('*.example.com');
    expect(wildcardFor('a.b.example.com')).to.equal('*.b.example.com');
    expect(wildcardFor('example.com')).to.equal(null);
    expect(wildcardFor('localhost')).to.equal(null);
    expect(wildcardFor('*.example.com')).to.equal(null);
    expect(wildcardFor('.example.com')).to.equal(null);
  });

  it('parses certificate and settings values, refusing what it cannot use', () => {
    expect(parseCertValue('{"cert":"C","sealedKey":"slipway-sealed:v1:S","extra":1}')).to.deep.equal({ cert: 'C', sealedKey: 'slipway-sealed:v1:S' });
    // A v2 value (key in clear, from an engine before v4) is still read.
    expect(parseCertValue('{"cert":"C","key":"K","extra":1}')).to.deep.equal({ cert: 'C', key: 'K' });
    for (const raw of ['', 'x', 'null', '{}', '{"cert":"C"}', '{"cert":"","key":"K"}', '{"cert":1,"key":"K"}']) {
      expect(parseCertValue(raw), raw).to.equal(null);
    }
    expect(parseSettingsValue('{"redirectHttps":true,"future":1}')).to.deep.equal({ redirectHttps: true });
    expect(parseSettingsValue('{}')).to.deep.equal({ redirectHttps: false });
    expect(parseSettingsValue('{"redirectHttps":"yes"}')).to.deep.equal({ redirectHttps: false });
    for (const raw of ['', 'x', 'null', '[]', '"on"']) expect(parseSettingsValue(raw), raw).to.equal(null);
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

import { expect } from 'chai';
import { backendKey, domainKey, maintenanceKey } from '../../../lib/etcd-keys';
import { resolveApp } from '../../../router/routing';
import { BackendEntry, RouteTable, type RouteChange, type RouteEntry } from '../../../router/route-table';

const PREFIX = '/slipway';

function backendValue(url: string, release = 1, processType = 'web'): string {
  return JSON.stringify({ url, release, process: processType });
}

function putDomain(app: string, host: string): RouteChange {
  return { type: 'put', key: domainKey(PREFIX, app, host), value: JSON.stringify({ app }) };
}

function putBackend(app: string, id: string, url: string, release = 1): RouteChange {
  return { type: 'put', key: backendKey(PREFIX, app, id), value: backendValue(url, release) };
}

function del(key: string): RouteChange {
  return { type: 'delete', key };
}

/** Every URL `nextBackend` returns over `count` picks. */
function picks(table: RouteTable, app: string, count: number): string[] {
  return Array.from({ length: count }, () => table.nextBackend(app)?.url ?? 'none');
}

describe('router/route-table', () => {
  let table: RouteTable;

  beforeEach(() => {
    table = new RouteTable(PREFIX);
  });

  describe('maintenance mode', () => {
    const on: RouteChange = { type: 'put', key: maintenanceKey(PREFIX, 'shop'), value: JSON.stringify({ maintenance: true }) };

    it('answers R580 (503, maintenance page) for an app whose maintenance key is on, keeping its backends', () => {
      table.reset([{ key: domainKey(PREFIX, 'shop', 'shop.slipway.localhost'), value: JSON.stringify({ app: 'shop' }) }]);
      table.apply(putBackend('shop', 'web-1', 'http://127.0.0.1:30001'));
      table.apply(on);
      expect(table.inMaintenance('shop')).to.equal(true);
      const resolved = resolveApp(table, 'shop.slipway.localhost', 1);
      expect(resolved).to.deep.include({ ok: false, code: 'R580', host: 'shop.slipway.localhost' });
      expect(table.backendCount('shop'), 'the app keeps running').to.equal(1);
      expect(resolveApp(table, 'blog.slipway.localhost', 1)).to.deep.include({ code: 'R404' });
    });

    it('serves the app again when the key is deleted, or holds a value that is not on', () => {
      table.reset([{ key: domainKey(PREFIX, 'shop', 'shop.slipway.localhost'), value: JSON.stringify({ app: 'shop' }) }]);
      table.apply(on);
      table.apply(del(maintenanceKey(PREFIX, 'shop')));
      expect(resolveApp(table, 'shop.slipway.localhost', 1)).to.deep.equal({ ok: true, host: 'shop.slipway.localhost', app: 'shop' });
      table.apply(on);
      table.apply({ type: 'put', key: maintenanceKey(PREFIX, 'shop'), value: 'garbage' });
      expect(table.inMaintenance('shop')).to.equal(false);
    });

    it('reads the maintenance key from a snapshot, and a later snapshot without it turns it off', () => {
      const domain = { key: domainKey(PREFIX, 'shop', 'shop.slipway.localhost'), value: JSON.stringify({ app: 'shop' }) };
      table.reset([domain, { key: on.key, value: JSON.stringify({ maintenance: true }) }]);
      expect(table.inMaintenance('shop')).to.equal(true);
      table.reset([domain]);
      expect(table.inMaintenance('shop')).to.equal(false);
    });
  });

  describe('host lookup', () => {
    it('maps a domain key to its app', () => {
      table.apply(putDomain('shop', 'shop.slipway.localhost'));
      expect(table.appForHost('shop.slipway.localhost')).to.equal('shop');
      expect(table.appForHost('other.slipway.localhost')).to.equal(undefined);
    });

    it('keys hosts in lowercase even if a key was written otherwise', () => {
      table.apply({ type: 'put', key: `${PREFIX}/apps/shop/domains/Shop.Example.COM`, value: '{"app":"shop"}' });
      expect(table.appForHost('shop.example.com')).to.equal('shop');
    });

    it('serves one app at several hosts', () => {
      table.apply(putDomain('shop', 'shop.slipway.localhost'));
      table.apply(putDomain('shop', 'www.shop.test'));
      expect(table.appForHost('www.shop.test')).to.equal('shop');
      expect(table.hostsOf('shop')).to.deep.equal(['shop.slipway.localhost', 'www.shop.test']);
    });

    it('forgets a host when its domain key is deleted', () => {
      table.apply(putDomain('shop', 'shop.slipway.localhost'));
      table.apply(del(domainKey(PREFIX, 'shop', 'shop.slipway.localhost')));
      expect(table.appForHost('shop.slipway.localhost')).to.equal(undefined);
      expect(table.stats()).to.deep.equal({ appCount: 0, hostCount: 0, backendCount: 0 });
    });

    it('resolves a host claimed by two apps to the smaller app name, whatever the order', () => {
      const claims = [putDomain('zeta', 'shared.test'), putDomain('alpha', 'shared.test')];
      table.apply(claims[0] as RouteChange);
      table.apply(claims[1] as RouteChange);
      expect(table.appForHost('shared.test')).to.equal('alpha');

      const reversed = new RouteTable(PREFIX);
      reversed.apply(claims[1] as RouteChange);
      reversed.apply(claims[0] as RouteChange);
      expect(reversed.appForHost('shared.test')).to.equal('alpha');

      table.apply(del(domainKey(PREFIX, 'alpha', 'shared.test')));
      expect(table.appForHost('shared.test')).to.equal('zeta');
    });
  });

  describe('wildcard domains', () => {
    it('serves a host nobody claims exactly from the app with the matching *.parent domain', () => {
      table.apply(putDomain('shop', '*.shop.example.com'));
      table.apply(putDomain('admin', 'admin.shop.example.com'));
      expect(table.appForHost('eu.shop.example.com')).to.equal('shop');
      expect(table.appForHost('admin.shop.example.com')).to.equal('admin');
    });

    it('covers exactly one label, and not the parent itself', () => {
      table.apply(putDomain('shop', '*.example.com'));
      expect(table.appForHost('a.example.com')).to.equal('shop');
      expect(table.appForHost('a.b.example.com')).to.equal(undefined);
      expect(table.appForHost('example.com')).to.equal(undefined);
    });
  });

  describe('idempotence', () => {
    it('applying the same put twice leaves the same table', () => {
      const changes = [putDomain('shop', 'shop.test'), putBackend('shop', 'web.1', 'http://127.0.0.1:5001')];
      for (const change of [...changes, ...changes]) table.apply(change);
      expect(table.stats()).to.deep.equal({ appCount: 1, hostCount: 1, backendCount: 1 });
      expect(table.backendsOf('shop').map((b) => b.url)).to.deep.equal(['http://127.0.0.1:5001']);
    });

    it('deleting a key twice, or a key never seen, changes nothing', () => {
      table.apply(putBackend('shop', 'web.1', 'http://127.0.0.1:5001'));
      table.apply(putBackend('shop', 'web.2', 'http://127.0.0.1:5002'));
      table.apply(del(backendKey(PREFIX, 'shop', 'web.1')));
      table.apply(del(backendKey(PREFIX, 'shop', 'web.1')));
      table.apply(del(backendKey(PREFIX, 'shop', 'web.9')));
      table.apply(del(domainKey(PREFIX, 'nobody', 'nowhere.test')));
      expect(table.stats().backendCount).to.equal(1);
      expect(table.backendsOf('shop').map((b) => b.instanceId)).to.deep.equal(['web.2']);
    });

    it('a put that updates a backend replaces it rather than adding one', () => {
      table.apply(putBackend('shop', 'web.1', 'http://127.0.0.1:5001', 1));
      table.apply(putBackend('shop', 'web.1', 'http://127.0.0.1:6001', 2));
      expect(table.backendsOf('shop').map(({ app, instanceId, url, release, hostname, port }) => ({ app, instanceId, url, release, hostname, port }))).to.deep.equal([
        { app: 'shop', instanceId: 'web.1', url: 'http://127.0.0.1:6001', release: 2, hostname: '127.0.0.1', port: 6001 },
      ]);
      expect(table.stats().backendCount).to.equal(1);
    });

    it('a snapshot followed by a replay of changes it already contains gives the snapshot', () => {
      const entries: RouteEntry[] = [
        { key: domainKey(PREFIX, 'shop', 'shop.test'), value: '{"app":"shop"}' },
        { key: backendKey(PREFIX, 'shop', 'web.1'), value: backendValue('http://127.0.0.1:5001') },
      ];
      table.reset(entries);
      for (const entry of entries) table.apply({ type: 'put', ...entry });
      expect(table.stats()).to.deep.equal({ appCount: 1, hostCount: 1, backendCount: 1 });
    });
  });

  describe('round robin', () => {
    beforeEach(() => {
      table.apply(putDomain('shop', 'shop.test'));
      table.apply(putBackend('shop', 'web.2', 'http://127.0.0.1:5002'));
      table.apply(putBackend('shop', 'web.1', 'http://127.0.0.1:5001'));
      table.apply(putBackend('shop', 'web.3', 'http://127.0.0.1:5003'));
    });

    it('cycles through every backend in instance-id order', () => {
      expect(picks(table, 'shop', 6)).to.deep.equal([
        'http://127.0.0.1:5001',
        'http://127.0.0.1:5002',
        'http://127.0.0.1:5003',
        'http://127.0.0.1:5001',
        'http://127.0.0.1:5002',
        'http://127.0.0.1:5003',
      ]);
    });

    it('stops picking a removed backend and keeps cycling through the rest', () => {
      picks(table, 'shop', 1);
      table.apply(del(backendKey(PREFIX, 'shop', 'web.2')));
      const next = picks(table, 'shop', 4);
      expect(next).to.not.include('http://127.0.0.1:5002');
      expect(new Set(next)).to.deep.equal(new Set(['http://127.0.0.1:5001', 'http://127.0.0.1:5003']));
    });

    it('skips excluded backends (those that already failed for a request)', () => {
      const failed = new Set(['web.1', 'web.2']);
      expect(table.nextBackend('shop', failed)?.instanceId).to.equal('web.3');
      expect(table.nextBackend('shop', failed)?.instanceId).to.equal('web.3');
      expect(table.nextBackend('shop', new Set(['web.1', 'web.2', 'web.3']))).to.equal(undefined);
    });

    it('keeps each app on its own rotation', () => {
      table.apply(putBackend('blog', 'web.1', 'http://127.0.0.1:7001'));
      expect(table.nextBackend('shop')?.instanceId).to.equal('web.1');
      expect(table.nextBackend('blog')?.instanceId).to.equal('web.1');
      expect(table.nextBackend('shop')?.instanceId).to.equal('web.2');
    });
  });

  describe('round robin with ejected backends', () => {
    let now: number;

    beforeEach(() => {
      now = 1_000_000;
      table = new RouteTable(PREFIX, { clock: () => now });
      for (const id of ['web.1', 'web.2', 'web.3']) table.apply(putBackend('shop', id, `http://127.0.0.1:500${id.slice(-1)}`));
    });

    it('skips an ejected backend until its ejection is over', () => {
      const second = table.backendsOf('shop')[1] as BackendEntry;
      table.eject(second, 10_000);
      expect(Array.from({ length: 4 }, () => table.nextBackend('shop')?.instanceId)).to.deep.equal(['web.1', 'web.3', 'web.1', 'web.3']);
      now += 10_000;
      expect(Array.from({ length: 3 }, () => table.nextBackend('shop')?.instanceId)).to.deep.equal(['web.1', 'web.2', 'web.3']);
    });

    it('still picks an ejected backend when every other one is excluded or ejected', () => {
      for (const backend of table.backendsOf('shop')) table.eject(backend, 10_000);
      expect(table.nextBackend('shop')).to.be.instanceOf(BackendEntry);
      expect(table.nextBackend('shop', new Set(['web.1', 'web.2']))?.instanceId).to.equal('web.3');
    });

    it('keeps an entry (and its in-flight count and health) when a put changes only the release', () => {
      const first = table.backendsOf('shop')[0] as BackendEntry;
      first.active = 2;
      table.apply(putBackend('shop', 'web.1', 'http://127.0.0.1:5001', 9));
      expect(table.backendsOf('shop')[0]).to.equal(first);
      expect(first.release).to.equal(9);
      table.apply(putBackend('shop', 'web.1', 'http://127.0.0.1:6001', 10));
      expect(table.backendsOf('shop')[0]).to.not.equal(first);
    });
  });

  describe('least connections', () => {
    beforeEach(() => {
      table = new RouteTable(PREFIX, { balance: 'least-connections' });
      for (const id of ['web.1', 'web.2', 'web.3']) table.apply(putBackend('shop', id, `http://127.0.0.1:500${id.slice(-1)}`));
    });

    /** Picks like the proxy does: the request counts as in flight until its count is taken back. */
    function take(): BackendEntry {
      const backend = table.nextBackend('shop') as BackendEntry;
      backend.active += 1;
      return backend;
    }

    it('picks the backend with the fewest requests in flight', () => {
      const busy = table.backendsOf('shop')[0] as BackendEntry;
      busy.active = 5;
      (table.backendsOf('shop')[2] as BackendEntry).active = 1;
      expect(table.nextBackend('shop')?.instanceId).to.equal('web.2');
    });

    it('spreads ties round robin', () => {
      const picked = Array.from({ length: 3 }, () => take().instanceId);
      expect(new Set(picked)).to.deep.equal(new Set(['web.1', 'web.2', 'web.3']));
    });

    it('sends everything to the idle backend while the others hold long requests', () => {
      const slow = [take(), take()];
      const fast: string[] = [];
      for (let i = 0; i < 4; i += 1) {
        const backend = take();
        fast.push(backend.instanceId);
        backend.active -= 1; // answered at once
      }
      expect(new Set(fast).size).to.equal(1);
      expect(slow.map((backend) => backend.instanceId)).to.not.include(fast[0]);
    });

    it('skips excluded and ejected backends like round robin does', () => {
      table.eject(table.backendsOf('shop')[0] as BackendEntry, 10_000);
      expect(table.nextBackend('shop', new Set(['web.2']))?.instanceId).to.equal('web.3');
    });
  });

  describe('apps without backends', () => {
    it('knows the app by host but has no backend to pick', () => {
      table.apply(putDomain('idle', 'idle.test'));
      expect(table.appForHost('idle.test')).to.equal('idle');
      expect(table.nextBackend('idle')).to.equal(undefined);
      expect(table.backendCount('idle')).to.equal(0);
    });

    it('has no backend after its last one is deleted', () => {
      table.apply(putDomain('shop', 'shop.test'));
      table.apply(putBackend('shop', 'web.1', 'http://127.0.0.1:5001'));
      table.apply(del(backendKey(PREFIX, 'shop', 'web.1')));
      expect(table.nextBackend('shop')).to.equal(undefined);
      expect(table.appForHost('shop.test')).to.equal('shop');
    });

    it('returns nothing for an app it has never heard of', () => {
      expect(table.nextBackend('ghost')).to.equal(undefined);
      expect(table.backendsOf('ghost')).to.deep.equal([]);
    });
  });

  describe('keys and values it cannot use', () => {
    const ignored: RouteChange[] = [
      { type: 'put', key: '/other-prefix/apps/shop/domains/shop.test', value: '{"app":"shop"}' },
      { type: 'put', key: `${PREFIX}/apps/shop/domains`, value: '{}' },
      { type: 'put', key: `${PREFIX}/apps/shop/certs/shop.test`, value: '{"cert":"x","key":"y"}' },
      { type: 'put', key: `${PREFIX}/apps/shop/settings`, value: '{"redirectHttps":true}' },
      { type: 'put', key: `${PREFIX}/apps/shop/other/thing`, value: '{}' },
      { type: 'put', key: `${PREFIX}/apps/shop/backends/web.1/extra`, value: backendValue('http://127.0.0.1:1') },
      { type: 'put', key: `${PREFIX}/apps//backends/web.1`, value: backendValue('http://127.0.0.1:1') },
      { type: 'put', key: `${PREFIX}/v2/apps/shop/backends/web.1`, value: backendValue('http://127.0.0.1:1') },
      { type: 'put', key: backendKey(PREFIX, 'shop', 'bad-json'), value: '{not json' },
      { type: 'put', key: backendKey(PREFIX, 'shop', 'no-url'), value: '{"release":1}' },
      { type: 'put', key: backendKey(PREFIX, 'shop', 'no-release'), value: '{"url":"http://127.0.0.1:1"}' },
      { type: 'put', key: backendKey(PREFIX, 'shop', 'bad-url'), value: backendValue('not a url') },
      { type: 'put', key: backendKey(PREFIX, 'shop', 'https'), value: backendValue('https://127.0.0.1:1') },
      { type: 'put', key: backendKey(PREFIX, 'shop', 'worker.1'), value: backendValue('http://127.0.0.1:1', 1, 'worker') },
    ];

    it('ignores every one of them', () => {
      for (const change of ignored) table.apply(change);
      expect(table.stats()).to.deep.equal({ appCount: 0, hostCount: 0, backendCount: 0 });
      expect(table.appForHost('shop.test')).to.equal(undefined);
    });

    it('ignores them in a snapshot too, keeping the good keys', () => {
      const entries = ignored.flatMap((change) => (change.type === 'put' ? [{ key: change.key, value: change.value }] : []));
      entries.push({ key: backendKey(PREFIX, 'shop', 'web.1'), value: backendValue('http://127.0.0.1:5001') });
      table.reset(entries);
      expect(table.stats()).to.deep.equal({ appCount: 1, hostCount: 0, backendCount: 1 });
    });

    it('drops a backend whose key is overwritten with an unusable value', () => {
      table.apply(putBackend('shop', 'web.1', 'http://127.0.0.1:5001'));
      table.apply({ type: 'put', key: backendKey(PREFIX, 'shop', 'web.1'), value: 'garbage' });
      expect(table.nextBackend('shop')).to.equal(undefined);
      expect(table.stats().backendCount).to.equal(0);
    });

    it('defaults a backend without a process type to web, as the contract says', () => {
      table.apply({ type: 'put', key: backendKey(PREFIX, 'shop', 'web.1'), value: '{"url":"http://127.0.0.1:5001","release":3}' });
      expect(table.nextBackend('shop')?.release).to.equal(3);
    });
  });

  describe('reset (snapshot)', () => {
    it('is not loaded until the first snapshot, even when empty', () => {
      expect(table.loaded).to.equal(false);
      table.reset([]);
      expect(table.loaded).to.equal(true);
    });

    it('replaces everything the table knew', () => {
      table.apply(putDomain('old', 'old.test'));
      table.apply(putBackend('old', 'web.1', 'http://127.0.0.1:5001'));
      table.reset([
        { key: domainKey(PREFIX, 'new', 'new.test'), value: '{"app":"new"}' },
        { key: backendKey(PREFIX, 'new', 'web.1'), value: backendValue('http://127.0.0.1:6001') },
      ]);
      expect(table.appForHost('old.test')).to.equal(undefined);
      expect(table.nextBackend('old')).to.equal(undefined);
      expect(table.appForHost('new.test')).to.equal('new');
      expect(table.stats()).to.deep.equal({ appCount: 1, hostCount: 1, backendCount: 1 });
    });

    it('keeps the round-robin position of apps that survive it', () => {
      const entries: RouteEntry[] = [
        { key: backendKey(PREFIX, 'shop', 'web.1'), value: backendValue('http://127.0.0.1:5001') },
        { key: backendKey(PREFIX, 'shop', 'web.2'), value: backendValue('http://127.0.0.1:5002') },
      ];
      table.reset(entries);
      expect(table.nextBackend('shop')?.instanceId).to.equal('web.1');
      table.reset(entries);
      expect(table.nextBackend('shop')?.instanceId).to.equal('web.2');
    });

    it('keeps the entries of backends that survive it, with their in-flight counts', () => {
      const entries: RouteEntry[] = [{ key: backendKey(PREFIX, 'shop', 'web.1'), value: backendValue('http://127.0.0.1:5001') }];
      table.reset(entries);
      const before = table.backendsOf('shop')[0] as BackendEntry;
      before.active = 3;
      table.reset(entries);
      expect(table.backendsOf('shop')[0]).to.equal(before);
      expect(before.active).to.equal(3);
    });
  });

  describe('stats', () => {
    it('counts apps with a domain or a backend, hosts and backends', () => {
      table.apply(putDomain('shop', 'shop.test'));
      table.apply(putDomain('shop', 'www.shop.test'));
      table.apply(putBackend('shop', 'web.1', 'http://127.0.0.1:5001'));
      table.apply(putBackend('shop', 'web.2', 'http://127.0.0.1:5002'));
      table.apply(putBackend('headless', 'web.1', 'http://127.0.0.1:7001'));
      expect(table.stats()).to.deep.equal({ appCount: 2, hostCount: 2, backendCount: 3 });
    });
  });
});

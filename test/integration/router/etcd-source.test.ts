import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { backendKey, domainKey } from '../../../lib/etcd-keys';
import { silentLogger } from '../../../lib/log';
import { startEtcdRouteSource } from '../../../router/etcd-source';
import type { RouteSink, RouteSource } from '../../../router/route-source';
import { RouteTable, type RouteChange, type RouteEntry } from '../../../router/route-table';
import { EngineKeys, PrivateEtcd, SHARED_ETCD_URL, uniquePrefix, waitUntil } from './helpers';

/** A sink that feeds a real table and remembers every call, to prove nothing came twice. */
class RecordingSink implements RouteSink {
  readonly table: RouteTable;
  readonly resets: RouteEntry[][] = [];
  readonly changes: RouteChange[] = [];

  constructor(prefix: string) {
    this.table = new RouteTable(prefix);
  }

  reset(entries: Iterable<RouteEntry>): void {
    const list = [...entries];
    this.resets.push(list);
    this.table.reset(list);
  }

  apply(change: RouteChange): void {
    this.changes.push(change);
    this.table.apply(change);
  }
}

function waitForRevision(source: RouteSource, revision: number): Promise<void> {
  return waitUntil(`the source reached revision ${revision}`, () => (source.status().revision ?? 0) >= revision);
}

describe('router/etcd-source against a real etcd', function () {
  this.timeout(60_000);

  describe('on the shared etcd', () => {
    const client = new Etcd3({ hosts: SHARED_ETCD_URL });
    let prefix: string;
    let keys: EngineKeys;
    let source: RouteSource | undefined;

    beforeEach(() => {
      prefix = uniquePrefix();
      keys = new EngineKeys(client, prefix);
    });

    afterEach(async () => {
      await source?.close();
      source = undefined;
      await keys.removeAll();
    });

    after(() => client.close());

    it('loads a snapshot, then follows puts and deletes from the watch', async () => {
      await keys.addDomain('shop', 'shop.test');
      await keys.addBackend('shop', 'web.1', 'http://127.0.0.1:5001');
      const sink = new RecordingSink(prefix);
      source = startEtcdRouteSource({ urls: [SHARED_ETCD_URL], prefix, sink, logger: silentLogger() });
      await source.firstSync;

      expect(sink.table.appForHost('shop.test')).to.equal('shop');
      expect(sink.table.backendCount('shop')).to.equal(1);
      expect(source.status().connected).to.equal(true);

      await keys.addBackend('shop', 'web.2', 'http://127.0.0.1:5002');
      await keys.removeBackend('shop', 'web.1');
      const last = await keys.addDomain('blog', 'blog.test');
      await waitForRevision(source, last);

      expect(sink.table.backendsOf('shop').map((b) => b.instanceId)).to.deep.equal(['web.2']);
      expect(sink.table.appForHost('blog.test')).to.equal('blog');
      expect(sink.resets).to.have.length(1);
    });

    it('misses nothing and applies nothing twice when keys change between snapshot and watch', async () => {
      await keys.addDomain('shop', 'shop.test');
      await keys.addBackend('shop', 'web.1', 'http://127.0.0.1:5001');
      const sink = new RecordingSink(prefix);
      let lastGapRevision = 0;
      let snapshots = 0;
      source = startEtcdRouteSource({
        urls: [SHARED_ETCD_URL],
        prefix,
        sink,
        logger: silentLogger(),
        afterSnapshot: async () => {
          snapshots += 1;
          if (snapshots > 1) return;
          // The snapshot is loaded; the watch is not started yet.
          await keys.addBackend('shop', 'web.2', 'http://127.0.0.1:5002');
          await keys.removeBackend('shop', 'web.1');
          lastGapRevision = await keys.addDomain('shop', 'www.shop.test');
        },
      });
      await source.firstSync;
      await waitUntil('the gap writes happened', () => lastGapRevision > 0);
      await waitForRevision(source, lastGapRevision);

      expect(snapshots).to.equal(1);
      expect(sink.resets[0]?.map((entry) => entry.key)).to.deep.equal([
        backendKey(prefix, 'shop', 'web.1'),
        domainKey(prefix, 'shop', 'shop.test'),
      ]);
      expect(sink.changes.map((change) => `${change.type} ${change.key}`)).to.deep.equal([
        `put ${backendKey(prefix, 'shop', 'web.2')}`,
        `delete ${backendKey(prefix, 'shop', 'web.1')}`,
        `put ${domainKey(prefix, 'shop', 'www.shop.test')}`,
      ]);
      expect(sink.table.backendsOf('shop').map((b) => b.instanceId)).to.deep.equal(['web.2']);
      expect(sink.table.hostsOf('shop')).to.deep.equal(['shop.test', 'www.shop.test']);
    });

    it('sees only keys under its own prefix', async () => {
      const otherKeys = new EngineKeys(client, uniquePrefix());
      try {
        const sink = new RecordingSink(prefix);
        source = startEtcdRouteSource({ urls: [SHARED_ETCD_URL], prefix, sink, logger: silentLogger() });
        await source.firstSync;
        await otherKeys.addDomain('intruder', 'intruder.test');
        const mine = await keys.addDomain('shop', 'shop.test');
        await waitForRevision(source, mine);
        expect(sink.table.appForHost('intruder.test')).to.equal(undefined);
        expect(sink.changes).to.have.length(1);
      } finally {
        await otherKeys.removeAll();
      }
    });
  });

  describe('on a private etcd', () => {
    let etcd: PrivateEtcd;
    let client: Etcd3;
    let source: RouteSource | undefined;
    const prefix = '/slipway';

    beforeEach(async () => {
      etcd = await PrivateEtcd.start();
      client = new Etcd3({ hosts: etcd.url });
    });

    afterEach(async () => {
      await source?.close();
      source = undefined;
      client.close();
      await etcd.dispose();
    });

    it('re-reads a snapshot when the revision its watch starts from was compacted', async () => {
      const keys = new EngineKeys(client, prefix);
      await keys.addDomain('shop', 'shop.test');
      const sink = new RecordingSink(prefix);
      const snapshotRevisions: number[] = [];
      source = startEtcdRouteSource({
        urls: [etcd.url],
        prefix,
        sink,
        logger: silentLogger(),
        afterSnapshot: async (revision) => {
          snapshotRevisions.push(revision);
          if (snapshotRevisions.length > 1) return;
          await keys.addBackend('shop', 'web.1', 'http://127.0.0.1:5001');
          const latest = await keys.addBackend('shop', 'web.2', 'http://127.0.0.1:5002');
          // Compacting past revision + 1 makes the watch's start revision unavailable.
          await client.kv.compact({ revision: latest, physical: true });
        },
      });

      await waitUntil('a second snapshot was loaded', () => snapshotRevisions.length >= 2 && source?.status().connected === true);
      expect(sink.resets).to.have.length.of.at.least(2);
      expect(sink.table.backendsOf('shop').map((b) => b.instanceId)).to.deep.equal(['web.1', 'web.2']);

      // And the new watch follows changes again.
      const revision = await keys.removeBackend('shop', 'web.1');
      await waitForRevision(source, revision);
      expect(sink.table.backendsOf('shop').map((b) => b.instanceId)).to.deep.equal(['web.2']);
    });

    it('keeps the last table while etcd is down, then re-reads it when etcd is back', async () => {
      const keys = new EngineKeys(client, prefix);
      await keys.addDomain('shop', 'shop.test');
      await keys.addBackend('shop', 'web.1', 'http://127.0.0.1:5001');
      const sink = new RecordingSink(prefix);
      source = startEtcdRouteSource({
        urls: [etcd.url],
        prefix,
        sink,
        logger: silentLogger(),
        retryDelayMs: { initial: 50, max: 500 },
      });
      await source.firstSync;
      const running = source;

      await etcd.kill();
      await waitUntil('the source noticed etcd is gone', () => !running.status().connected);
      expect(sink.table.appForHost('shop.test')).to.equal('shop');
      expect(sink.table.backendCount('shop')).to.equal(1);
      expect(running.status().lastInSyncAt).to.be.a('number');

      await etcd.resume();
      // A fresh client: the old one's connection is still backing off from the outage.
      client.close();
      client = new Etcd3({ hosts: etcd.url });
      const revision = await new EngineKeys(client, prefix).addBackend('shop', 'web.2', 'http://127.0.0.1:5002');
      await waitForRevision(running, revision);
      await waitUntil('the source is connected again', () => running.status().connected);
      expect(sink.table.backendsOf('shop').map((b) => b.instanceId)).to.deep.equal(['web.1', 'web.2']);
    });
  });
});

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

    it('re-reads a snapshot when the revision its watch starts from was compacted, applying only the difference', async () => {
      const keys = new EngineKeys(client, prefix);
      await keys.addDomain('shop', 'shop.test');
      await keys.addBackend('shop', 'web.0', 'http://127.0.0.1:5000');
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
          await keys.addBackend('shop', 'web.2', 'http://127.0.0.1:5002');
          const latest = await keys.removeBackend('shop', 'web.0');
          // Compacting past revision + 1 makes the watch's start revision unavailable.
          await client.kv.compact({ revision: latest, physical: true });
        },
      });

      await waitUntil('a second snapshot was loaded', () => snapshotRevisions.length >= 2 && source?.status().connected === true);
      // The first snapshot went in whole; the second only as the three changes it found.
      expect(sink.resets).to.have.length(1);
      expect(sink.changes.map((change) => `${change.type} ${change.key}`).sort()).to.deep.equal([
        `delete ${backendKey(prefix, 'shop', 'web.0')}`,
        `put ${backendKey(prefix, 'shop', 'web.1')}`,
        `put ${backendKey(prefix, 'shop', 'web.2')}`,
      ]);
      expect(sink.table.backendsOf('shop').map((b) => b.instanceId)).to.deep.equal(['web.1', 'web.2']);
      expect(source.status().resyncs).to.equal(1);
      expect(source.status().lastResync).to.include({ kind: 'diff', puts: 2, deletes: 1, keys: 3 });

      // And the new watch follows changes again, each exactly once.
      const revision = await keys.removeBackend('shop', 'web.1');
      await waitForRevision(source, revision);
      expect(sink.table.backendsOf('shop').map((b) => b.instanceId)).to.deep.equal(['web.2']);
      expect(sink.changes.filter((change) => change.key === backendKey(prefix, 'shop', 'web.1'))).to.have.length(2);
    });

    it('finds a watch that stopped delivering, reports its lag, and resyncs by difference', async () => {
      const lostWatchAfterMs = 400;
      const keys = new EngineKeys(client, prefix);
      await keys.addDomain('shop', 'shop.test');
      await keys.addBackend('shop', 'web.1', 'http://127.0.0.1:5001');
      const sink = new RecordingSink(prefix);
      let stalled = false;
      source = startEtcdRouteSource({
        urls: [etcd.url],
        prefix,
        sink,
        logger: silentLogger(),
        probeIntervalMs: 50,
        lostWatchAfterMs,
        // A watch that silently stops passing events on, as a stuck stream would.
        onWatchResponse: () => !stalled,
      });
      await source.firstSync;
      const running = source;

      stalled = true;
      await keys.addBackend('shop', 'web.2', 'http://127.0.0.1:5002');
      // Not "wait until the lag shows": on a busy machine the probe can confirm the lag already past
      // the bound and resync in the same step, and a lag that is gone never shows. The resync and
      // the lag it reports are what stays.
      await waitUntil('the source resynced', () => running.status().resyncs >= 1 && running.status().connected);
      const report = running.status().lastResync;
      expect(report).to.include({ kind: 'diff', puts: 1, deletes: 0 });
      const lagMs = Number(/^watch lagged (\d+) ms behind etcd$/.exec(report?.after ?? '')?.[1]);
      expect(lagMs, report?.after).to.be.at.least(lostWatchAfterMs);
      expect(sink.table.backendsOf('shop').map((b) => b.instanceId)).to.deep.equal(['web.1', 'web.2']);
      expect(sink.resets).to.have.length(1);
      // web.2 came by the resync alone: the stalled watch passed nothing on.
      expect(sink.changes.map((change) => `${change.type} ${change.key}`)).to.deep.equal([`put ${backendKey(prefix, 'shop', 'web.2')}`]);
      expect(running.status().watchLagSeconds).to.equal(0);
      stalled = false;

      // The replacement watch delivers again.
      const revision = await keys.removeBackend('shop', 'web.1');
      await waitForRevision(running, revision);
      expect(sink.table.backendsOf('shop').map((b) => b.instanceId)).to.deep.equal(['web.2']);
    });

    it('reads a snapshot larger than one page at a single revision', async () => {
      const keys = new EngineKeys(client, prefix);
      for (let i = 0; i < 7; i += 1) await keys.addBackend('shop', `web.${i}`, `http://127.0.0.1:${5000 + i}`);
      await keys.addDomain('shop', 'shop.test');
      const sink = new RecordingSink(prefix);
      source = startEtcdRouteSource({ urls: [etcd.url], prefix, sink, logger: silentLogger(), pageSize: 2 });
      await source.firstSync;
      expect(sink.resets[0]).to.have.length(8);
      expect(sink.table.backendCount('shop')).to.equal(7);
      expect(source.status().memoryPerKeyBytes).to.be.a('number');
      const revision = await keys.addBackend('shop', 'web.7', 'http://127.0.0.1:5007');
      await waitForRevision(source, revision);
      expect(sink.changes).to.have.length(1);
    });

    describe('with a local route cache', () => {
      let dir: string;
      let cacheFile: string;

      beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-router-cache-'));
        cacheFile = path.join(dir, 'routes.json');
      });

      afterEach(async () => {
        // Closed here, before its folder goes: closing writes the cache once more.
        await source?.close();
        source = undefined;
        fs.rmSync(dir, { recursive: true, force: true });
      });

      function cachedSource(sink: RecordingSink, urls = [etcd.url]): RouteSource {
        return startEtcdRouteSource({
          urls,
          prefix,
          sink,
          logger: silentLogger(),
          retryDelayMs: { initial: 50, max: 500 },
          cache: { file: cacheFile, maxAgeMs: 60_000, write: true },
        });
      }

      it('starts a restarted router from the cache, then applies only what changed meanwhile', async () => {
        const keys = new EngineKeys(client, prefix);
        await keys.addDomain('shop', 'shop.test');
        await keys.addBackend('shop', 'web.1', 'http://127.0.0.1:5001');
        const first = cachedSource(new RecordingSink(prefix));
        await first.firstSync;
        await first.close();
        expect(fs.existsSync(cacheFile)).to.equal(true);

        // While no router runs:
        await keys.addBackend('shop', 'web.2', 'http://127.0.0.1:5002');
        const revision = await keys.removeBackend('shop', 'web.1');

        const sink = new RecordingSink(prefix);
        source = cachedSource(sink);
        // Served from the cache before etcd had a chance to answer.
        expect(sink.table.backendsOf('shop').map((b) => b.instanceId)).to.deep.equal(['web.1']);
        expect(source.status()).to.include({ routesFrom: 'cache', connected: false });
        await source.firstSync;
        await waitForRevision(source, revision);
        await waitUntil('the source follows etcd', () => source?.status().connected === true);
        expect(source.status().routesFrom).to.equal('etcd');
        expect(sink.resets).to.have.length(1);
        expect(sink.changes.map((change) => `${change.type} ${change.key}`).sort()).to.deep.equal([
          `delete ${backendKey(prefix, 'shop', 'web.1')}`,
          `put ${backendKey(prefix, 'shop', 'web.2')}`,
        ]);
        expect(sink.table.backendsOf('shop').map((b) => b.instanceId)).to.deep.equal(['web.2']);
      });

      it('serves the cached routes when it restarts while etcd is down', async () => {
        const keys = new EngineKeys(client, prefix);
        await keys.addDomain('shop', 'shop.test');
        await keys.addBackend('shop', 'web.1', 'http://127.0.0.1:5001');
        const first = cachedSource(new RecordingSink(prefix));
        await first.firstSync;
        await first.close();
        await etcd.kill();

        const sink = new RecordingSink(prefix);
        source = cachedSource(sink);
        await source.firstSync;
        expect(sink.table.appForHost('shop.test')).to.equal('shop');
        expect(sink.table.backendCount('shop')).to.equal(1);
        expect(source.status()).to.include({ routesFrom: 'cache', connected: false });
        expect(source.status().lastInSyncAt).to.be.a('number');
      });

      it('reloads whole when etcd turns out to be another cluster than the cache came from', async () => {
        const keys = new EngineKeys(client, prefix);
        await keys.addDomain('shop', 'shop.test');
        await keys.addBackend('shop', 'web.1', 'http://127.0.0.1:5001');
        const first = cachedSource(new RecordingSink(prefix));
        await first.firstSync;
        await first.close();

        const other = await PrivateEtcd.start();
        const otherClient = new Etcd3({ hosts: other.url });
        try {
          const otherKeys = new EngineKeys(otherClient, prefix);
          await otherKeys.addDomain('blog', 'blog.test');
          const sink = new RecordingSink(prefix);
          source = cachedSource(sink, [other.url]);
          await waitUntil('the source follows the other etcd', () => source?.status().routesFrom === 'etcd');
          expect(sink.resets).to.have.length(2);
          expect(sink.table.appForHost('shop.test')).to.equal(undefined);
          expect(sink.table.appForHost('blog.test')).to.equal('blog');
          await source.close();
          source = undefined;
        } finally {
          otherClient.close();
          await other.dispose();
        }
      });
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
      // The resync after the outage changed nothing wholesale: one snapshot ever went in whole.
      expect(sink.resets).to.have.length(1);
      expect(running.status().resyncs).to.be.at.least(1);
    });
  });
});

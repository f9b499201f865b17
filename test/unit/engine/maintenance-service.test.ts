/** MaintenanceService on a real SQLite store with a fake etcd, and its API routes behind the token check. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { InProcessLocks } from '../../../engine/locks';
import { MaintenanceService } from '../../../engine/maintenance-service';
import type { MaintenancePublisher } from '../../../engine/publisher';
import { AppsRepo } from '../../../engine/store/apps-repo';
import { openDatabase, type Database } from '../../../engine/store/database';
import { MaintenanceRepo } from '../../../engine/store/maintenance-repo';
import { SlipwayError } from '../../../lib/errors';
import { silentLogger } from '../../../lib/log';
import { apiDeps, request, startApi } from '../../support/api';

class FakeMaintenancePublisher implements MaintenancePublisher {
  readonly on = new Set<string>();
  failNext = false;

  async publishMaintenance(app: string, on: boolean): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('etcd unreachable');
    }
    if (on) this.on.add(app);
    else this.on.delete(app);
  }
}

describe('engine/maintenance-service', function () {
  this.timeout(30_000);
  let tmp: string;
  let db: Database;
  let publisher: FakeMaintenancePublisher;
  let service: MaintenanceService;

  beforeEach(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-maintenance-'));
    db = await openDatabase(`sqlite://${path.join(tmp, 'db.sqlite3')}`);
    const apps = new AppsRepo(db);
    publisher = new FakeMaintenancePublisher();
    service = new MaintenanceService(apps, new MaintenanceRepo(db), publisher, silentLogger());
    await apps.create('shop');
    await apps.create('blog');
  });

  afterEach(async () => {
    await db.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('republishes the flag under the app\'s current name (apps:rename moves the key), and nothing when off', async () => {
    await service.set('shop', true);
    publisher.on.clear();
    await new AppsRepo(db).rename((await new AppsRepo(db).get('shop')).id, 'store');
    await service.republish('store');
    await service.republish('blog');
    expect([...publisher.on]).to.deep.equal(['store']);
  });

  it('refuses a change queued behind a destroy instead of acting on a new app of the same name', async () => {
    const locks = new InProcessLocks();
    const apps = new AppsRepo(db);
    const guarded = new MaintenanceService(apps, new MaintenanceRepo(db), publisher, silentLogger(), locks);
    const unlock = await locks.acquire('shop', 'domains');
    const queued = guarded.set('shop', true);
    const old = await apps.get('shop');
    await apps.delete(old.id);
    await apps.create('shop');
    unlock();
    const error = await queued.then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(SlipwayError);
    expect((error as SlipwayError).code).to.equal('app_not_found');
    expect([...publisher.on]).to.deep.equal([]);
  });

  it('is off for a new app; on stores the flag and publishes the key, off removes it, per app', async () => {
    expect(await service.get('shop')).to.equal(false);
    expect(await service.set('shop', true)).to.equal(true);
    expect(await service.get('shop')).to.equal(true);
    expect(await service.get('blog')).to.equal(false);
    expect([...publisher.on]).to.deep.equal(['shop']);
    await service.set('shop', false);
    expect(await service.get('shop')).to.equal(false);
    expect([...publisher.on]).to.deep.equal([]);
  });

  it('keeps the flag as it was when etcd cannot be written', async () => {
    publisher.failNext = true;
    try {
      await service.set('shop', true);
      expect.fail('expected the change to fail');
    } catch (error) {
      expect((error as Error).message).to.equal('etcd unreachable');
    }
    expect(await service.get('shop')).to.equal(false);
    expect(publisher.on.size).to.equal(0);
  });

  it('answers app_not_found for an unknown app', async () => {
    for (const call of [service.get('nope'), service.set('nope', true)]) {
      try {
        await call;
        expect.fail('expected app_not_found');
      } catch (error) {
        expect((error as SlipwayError).code).to.equal('app_not_found');
      }
    }
  });

  describe('GET and PUT /apps/:app/maintenance', () => {
    let api: Awaited<ReturnType<typeof startApi>>;
    beforeEach(async () => { api = await startApi(apiDeps({ maintenance: service })); });
    afterEach(async () => { await api.close(); });

    it('turns maintenance on and off and reads it back', async () => {
      const put = await request(`${api.url}/apps/shop/maintenance`, { method: 'PUT', body: '{"maintenance":true}' });
      expect(put).to.deep.equal({ status: 200, body: { maintenance: true } });
      expect(await request(`${api.url}/apps/shop/maintenance`)).to.deep.equal({ status: 200, body: { maintenance: true } });
      const bad = await request(`${api.url}/apps/shop/maintenance`, { method: 'PUT', body: '{"maintenance":"yes"}' });
      expect(bad.status).to.equal(400);
    });

    it('refuses a caller without a valid token, changing nothing', async () => {
      for (const token of [null, 'wrong']) {
        const put = await request(`${api.url}/apps/shop/maintenance`, { method: 'PUT', token, body: '{"maintenance":true}' });
        expect(put.status).to.equal(401);
        expect((put.body as { error: { code: string } }).error.code).to.equal('unauthorized');
        expect((await request(`${api.url}/apps/shop/maintenance`, { token })).status).to.equal(401);
      }
      expect(await service.get('shop')).to.equal(false);
    });
  });
});

/**
 * StorageService on a real SQLite store (a temporary file), with in-memory volumes and a fake
 * release service that records each release and the mounts instances would get during it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { InProcessLocks } from '../../../../engine/locks';
import type { App, Build, Release } from '../../../../engine/model';
import { StorageService, type MountReleases } from '../../../../engine/storage/storage-service';
import { AppsRepo } from '../../../../engine/store/apps-repo';
import { openDatabase, type Database } from '../../../../engine/store/database';
import { MountsRepo } from '../../../../engine/store/mounts-repo';
import { SlipwayError } from '../../../../lib/errors';
import { silentLogger } from '../../../../lib/log';
import { FakeVolumes } from './fake-volumes';

const build = { id: 'b1', image: 'registry/shop:1', status: 'succeeded' } as Build;

class FakeReleases implements MountReleases {
  deployed = false;
  failNext = false;
  readonly made: Array<{ description: string; mounts: string[] }> = [];
  constructor(private readonly seen: () => Promise<string[]>) {}

  exclusive<T>(_app: string, task: () => Promise<T>): Promise<T> {
    return task();
  }

  async currentBuild(): Promise<{ release: Release; build: Build } | null> {
    return this.deployed ? { release: { version: 1 } as Release, build } : null;
  }

  async deployRelease(_app: App, _build: Build, _config: unknown, description: string): Promise<Release> {
    this.made.push({ description, mounts: await this.seen() });
    if (this.failNext) {
      this.failNext = false;
      throw new SlipwayError('deploy_failed', 'web.1 exited while starting');
    }
    return { version: this.made.length + 1 } as Release;
  }
}

async function refusal(promise: Promise<unknown>): Promise<SlipwayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SlipwayError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('engine/storage/storage-service', () => {
  let tmp: string;
  let db: Database;
  let apps: AppsRepo;
  let volumes: FakeVolumes;
  let releases: FakeReleases;
  let service: StorageService;
  let counter: number;

  beforeEach(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-storage-'));
    db = await openDatabase(`sqlite://${path.join(tmp, 'db.sqlite3')}`);
    apps = new AppsRepo(db);
    volumes = new FakeVolumes();
    counter = 0;
    releases = new FakeReleases(async () => (await service.mountsOf('shop')).map((m) => `${m.processType}:${m.path}`));
    service = new StorageService(apps, new MountsRepo(db), releases, volumes, new InProcessLocks(), 'p1', silentLogger(),
      () => `s${(counter += 1)}`);
    await apps.create('shop');
    await apps.create('blog');
  });

  afterEach(async () => {
    await db.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('mounts a volume named from ids only, labelled with its owner, and rolls it out as a release', async () => {
    releases.deployed = true;
    const shop = await apps.get('shop');
    const change = await service.mount('shop', { path: '/data/', size: '1g' });
    expect(change.release?.version).to.equal(2);
    expect(change.mount).to.include({ path: '/data', processType: 'web', sizeMb: 1024, mounted: true });
    expect(change.mount.volume).to.equal(`slipway-p1-t${shop.teamId}-a${shop.id}-web-s1`);
    expect(volumes.volumes.get(change.mount.volume)).to.deep.equal({ appId: shop.id, teamId: shop.teamId, processType: 'web', path: '/data' });
    // The rollout already sees the new mount.
    expect(releases.made).to.deep.equal([{ description: 'Mount /data on web (1g)', mounts: ['web:/data'] }]);
    expect(await service.mountsOf('shop')).to.deep.equal([{ processType: 'web', path: '/data', volume: change.mount.volume }]);
    expect(await service.mountsOf('blog')).to.deep.equal([]);
  });

  it('only records the mount of an app never deployed (its first release gets it)', async () => {
    const change = await service.mount('shop', { path: '/data', type: 'worker' });
    expect(change.release).to.equal(null);
    expect(releases.made).to.deep.equal([]);
    expect((await service.list('shop')).map((m) => [m.processType, m.path, m.mounted])).to.deep.equal([['worker', '/data', true]]);
  });

  it('changes nothing on bad input', async () => {
    releases.deployed = true;
    expect((await refusal(service.mount('shop', { path: '/etc' }))).code).to.equal('invalid_mount_path');
    expect((await refusal(service.mount('shop', { path: '/data', size: 'huge' }))).code).to.equal('invalid_volume_size');
    expect((await refusal(service.mount('shop', { path: '/data', type: 'Web!' }))).code).to.equal('invalid_request');
    expect((await refusal(service.mount('nope', { path: '/data' }))).code).to.equal('app_not_found');
    expect(await service.list('shop')).to.deep.equal([]);
    expect(volumes.calls).to.deep.equal([]);
    expect(releases.made).to.deep.equal([]);
  });

  it('refuses a path the type already mounts, or one nested with it, and allows it for another type', async () => {
    await service.mount('shop', { path: '/data' });
    expect((await refusal(service.mount('shop', { path: '/data' }))).code).to.equal('mount_exists');
    const nested = await refusal(service.mount('shop', { path: '/data/sub' }));
    expect(nested.code).to.equal('mount_exists');
    expect(nested.message).to.include('nest');
    await service.mount('shop', { path: '/data', type: 'worker' });
    await service.mount('shop', { path: '/database' });
    expect((await service.list('shop')).map((m) => `${m.processType}:${m.path}`)).to.deep.equal(['web:/data', 'web:/database', 'worker:/data']);
  });

  it('puts everything back when the rollout of a mount fails', async () => {
    releases.deployed = true;
    releases.failNext = true;
    const error = await refusal(service.mount('shop', { path: '/data' }));
    expect(error.code).to.equal('deploy_failed');
    expect(error.message).to.include('mounts are as they were');
    expect(await service.list('shop')).to.deep.equal([]);
    expect(volumes.volumes.size).to.equal(0);
  });

  it('unmounts keeping the data; mounting the same path again gets the same volume back', async () => {
    releases.deployed = true;
    const { mount } = await service.mount('shop', { path: '/data' });
    const change = await service.unmount('shop', { path: '/data' });
    expect(change.release?.version).to.equal(3);
    expect(change.dataDestroyed).to.equal(undefined);
    expect(releases.made[1]).to.deep.equal({ description: 'Unmount /data from web', mounts: [] });
    expect(volumes.volumes.has(mount.volume)).to.equal(true);
    expect((await service.list('shop')).map((m) => m.mounted)).to.deep.equal([false]);
    const again = await service.mount('shop', { path: '/data' });
    expect(again.mount.volume).to.equal(mount.volume);
    expect((await service.list('shop')).map((m) => m.mounted)).to.deep.equal([true]);
  });

  it('a failed unmount leaves the volume mounted', async () => {
    releases.deployed = true;
    await service.mount('shop', { path: '/data' });
    releases.failNext = true;
    expect((await refusal(service.unmount('shop', { path: '/data' }))).code).to.equal('deploy_failed');
    expect((await service.mountsOf('shop')).map((m) => m.path)).to.deep.equal(['/data']);
  });

  it('destroys the data only when asked, and keeps it (saying so) while a container still uses it', async () => {
    releases.deployed = true;
    const { mount } = await service.mount('shop', { path: '/data' });
    volumes.inUse.add(mount.volume);
    const held = await refusal(service.unmount('shop', { path: '/data', destroyData: true }));
    expect(held.code).to.equal('volume_in_use');
    expect(held.message).to.include('data was kept');
    expect(volumes.volumes.has(mount.volume)).to.equal(true);
    expect((await service.list('shop')).map((m) => m.mounted)).to.deep.equal([false]);
    volumes.inUse.delete(mount.volume);
    // Already unmounted: no release, the data goes.
    const change = await service.unmount('shop', { path: '/data', destroyData: true });
    expect(change.dataDestroyed).to.equal(true);
    expect(change.release).to.equal(null);
    expect(volumes.volumes.has(mount.volume)).to.equal(false);
    expect(await service.list('shop')).to.deep.equal([]);
  });

  it('answers mount_not_found for a path not mounted', async () => {
    await service.mount('shop', { path: '/data' });
    expect((await refusal(service.unmount('shop', { path: '/data', type: 'worker' }))).code).to.equal('mount_not_found');
    expect((await refusal(service.unmount('blog', { path: '/data' }))).code).to.equal('mount_not_found');
  });

  it('removes only the destroyed app\'s volumes', async () => {
    const a = await service.mount('shop', { path: '/data' });
    const b = await service.mount('blog', { path: '/data' });
    await service.removeAppVolumes(await apps.get('shop'));
    expect(volumes.volumes.has(a.mount.volume)).to.equal(false);
    expect(volumes.volumes.has(b.mount.volume)).to.equal(true);
  });
});

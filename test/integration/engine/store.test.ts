import crypto from 'node:crypto';
import fs from 'node:fs';
import { expect } from 'chai';
import knex from 'knex';
import { SlipwayError, type ErrorCode } from '../../../lib/errors';
import { AppsRepo } from '../../../engine/store/apps-repo';
import { BuildsRepo } from '../../../engine/store/builds-repo';
import { connectionFor, openDatabase, type Database } from '../../../engine/store/database';
import { IdentityRepo } from '../../../engine/store/identity-repo';
import { ReleasesRepo, type NewRelease } from '../../../engine/store/releases-repo';
import { backends, type TestDatabase } from '../../support/databases';

async function rejection(promise: Promise<unknown>, code: ErrorCode): Promise<SlipwayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(SlipwayError);
    expect((error as SlipwayError).code).to.equal(code);
    return error as SlipwayError;
  }
  throw new Error(`expected a ${code} error`);
}

/** Only the type and count of each process: sizes are not this file's business. */
function counts(formation: ReadonlyArray<{ type: string; quantity: number }>): Array<{ type: string; quantity: number }> {
  return formation.map(({ type, quantity }) => ({ type, quantity }));
}

// Every test runs on each backend, each time on a fresh database of its own.
for (const backend of backends) describe(`engine/store on ${backend.name}`, () => {
  let testDb: TestDatabase | null = null;
  let db: Database | null = null;
  let apps: AppsRepo;
  let builds: BuildsRepo;
  let releases: ReleasesRepo;
  let identity: IdentityRepo;
  // A backend that cannot be set up fails each of its tests (never skips them), with the reason.
  let setupError: unknown = null;

  beforeEach(async () => {
    setupError = null;
    try {
      testDb = await backend.create();
      db = await openDatabase(testDb.url);
    } catch (error) {
      setupError = error;
      return;
    }
    apps = new AppsRepo(db);
    builds = new BuildsRepo(db);
    releases = new ReleasesRepo(db);
    identity = new IdentityRepo(db);
  });

  afterEach(async () => {
    await db?.destroy();
    await testDb?.drop();
    db = null;
    testDb = null;
  });

  /** mocha's `it`, failing at once with the setup's error when the backend could not be set up. */
  function it(title: string, test: () => Promise<void>): void {
    globalThis.it(title, async () => {
      if (setupError) throw setupError;
      await test();
    });
  }

  /** The open database, for direct queries. */
  function store(): Database {
    if (!db) throw new Error('no database open');
    return db;
  }

  function newRelease(appId: number, overrides: Partial<NewRelease> = {}): NewRelease {
    return { appId, buildId: null, config: {}, description: 'Set FOO config vars', ...overrides };
  }

  it('gives back the creation time of apps, builds, releases and keys as it was stored', async () => {
    const at = new Date('2024-03-01T12:34:56.789Z');
    const app = await apps.create('shop', at);
    await builds.start('b-1', app.id, 'a'.repeat(40), at);
    await releases.create(newRelease(app.id), at);
    const user = await identity.createUserWithToken('admin', 'h', at);
    await identity.addKey(user.id, 'laptop', 'SHA256:x', 'ssh-ed25519 AAAA', at);

    const stored = [
      (await apps.get('shop')).createdAt,
      (await builds.get('b-1'))?.createdAt,
      (await releases.get(app.id, 1)).createdAt,
      (await identity.keys())[0]?.createdAt,
    ];
    expect(stored.map((d) => d?.toISOString())).to.deep.equal(Array(4).fill(at.toISOString()));
  });

  describe('AppsRepo', () => {
    it('creates an app with no config, no release and one web process, and finds it again', async () => {
      const created = await apps.create('shop');
      expect(created).to.include({ name: 'shop', currentRelease: null });
      expect(created.config).to.deep.equal({});

      const found = await apps.get('shop');
      expect(found).to.include({ id: created.id, name: 'shop', currentRelease: null });
      expect(found.config).to.deep.equal({});
      expect(counts(await apps.formation(created.id))).to.deep.equal([{ type: 'web', quantity: 1 }]);
    });

    it('keeps the data in the database the URL names (on SQLite, the file it names)', async () => {
      await apps.create('shop');
      if (testDb?.file) expect(fs.existsSync(testDb.file)).to.equal(true);
      // A connection of its own, opened from the URL alone, sees the app.
      const other = knex(connectionFor(testDb!.url));
      try {
        expect((await other('apps').select('name')).map((r: { name: string }) => r.name)).to.deep.equal(['shop']);
      } finally {
        await other.destroy();
      }
    });

    it('refuses a second app with the same name (app_exists, 409) and keeps the first', async () => {
      const first = await apps.create('shop');
      const error = await rejection(apps.create('shop'), 'app_exists');
      expect(error.status).to.equal(409);
      expect(error.message).to.equal('An app named "shop" already exists. Pick another name.');
      expect((await apps.list()).map((a) => a.id)).to.deep.equal([first.id]);
    });

    it('answers app_not_found (404) for a missing app, telling how to list apps', async () => {
      const error = await rejection(apps.get('ghost'), 'app_not_found');
      expect(error.status).to.equal(404);
      expect(error.message).to.include('"ghost"');
      expect(error.message).to.include('slipway apps');
      expect(await apps.find('ghost')).to.equal(null);
    });

    it('lists apps by name and stores config vars', async () => {
      const zoo = await apps.create('zoo');
      await apps.create('alpha');
      await apps.setConfig(zoo.id, { DATABASE_URL: 'mysql://db/zoo', EMPTY: '' });
      expect((await apps.list()).map((a) => a.name)).to.deep.equal(['alpha', 'zoo']);
      expect((await apps.get('zoo')).config).to.deep.equal({ DATABASE_URL: 'mysql://db/zoo', EMPTY: '' });
    });

    it('deletes an app with its builds, releases and formation, and nothing of other apps', async () => {
      const shop = await apps.create('shop');
      const blog = await apps.create('blog');
      for (const app of [shop, blog]) {
        const buildId = `build-${app.name}`;
        await builds.start(buildId, app.id, 'a'.repeat(40));
        await builds.finish(buildId, { status: 'succeeded', image: `img/${app.name}`, digest: null, processTypes: { web: 'npm start' }, log: 'ok', durationMs: 5 });
        const release = await releases.create(newRelease(app.id, { buildId, description: 'Deploy aaaaaaa' }));
        await releases.markSucceeded(release);
        await releases.create(newRelease(app.id));
      }

      await apps.delete(shop.id);

      expect(await apps.find('shop')).to.equal(null);
      for (const table of ['builds', 'releases', 'formation']) {
        expect(await store()(table).where({ app_id: shop.id }), table).to.have.length(0);
      }
      expect(await builds.list(blog.id)).to.have.length(1);
      expect((await releases.list(blog.id)).map((r) => r.version)).to.deep.equal([2, 1]);
      expect(counts(await apps.formation(blog.id))).to.deep.equal([{ type: 'web', quantity: 1 }]);
      // The name is free again.
      expect((await apps.create('shop')).currentRelease).to.equal(null);
    });
  });

  describe('BuildsRepo', () => {
    it('records a build from pending to its result', async () => {
      const app = await apps.create('shop');
      await builds.start('b-1', app.id, 'c'.repeat(40));
      expect(await builds.get('b-1')).to.deep.include({ status: 'pending', image: null, processTypes: {}, log: '', durationMs: null });

      await builds.finish('b-1', {
        status: 'succeeded', image: '127.0.0.1:5000/shop:b-1', digest: 'sha256:' + 'd'.repeat(64),
        processTypes: { web: 'npm start', worker: 'node w.js' }, log: '-----> Node.js app detected\n', durationMs: 1234,
      });
      expect(await builds.get('b-1')).to.deep.include({
        id: 'b-1', appId: app.id, status: 'succeeded', commit: 'c'.repeat(40), image: '127.0.0.1:5000/shop:b-1',
        digest: 'sha256:' + 'd'.repeat(64), log: '-----> Node.js app detected\n', durationMs: 1234,
      });
      expect((await builds.get('b-1'))?.processTypes).to.deep.equal({ web: 'npm start', worker: 'node w.js' });
      expect(await builds.get('missing')).to.equal(null);
    });
  });

  describe('ReleasesRepo', () => {
    it('numbers the releases of each app v1, v2, v3 …', async () => {
      const shop = await apps.create('shop');
      const blog = await apps.create('blog');
      expect((await releases.create(newRelease(shop.id))).version).to.equal(1);
      expect((await releases.create(newRelease(shop.id))).version).to.equal(2);
      expect((await releases.create(newRelease(blog.id))).version).to.equal(1);
      expect((await releases.create(newRelease(shop.id))).version).to.equal(3);
      expect((await releases.list(shop.id)).map((r) => r.version)).to.deep.equal([3, 2, 1]);
    });

    it('gives 10 concurrent releases of one app the versions 1 to 10, each once', async () => {
      const app = await apps.create('shop');
      const created = await Promise.all(Array.from({ length: 10 }, (_, n) => releases.create(newRelease(app.id, { description: `r${n}` }))));
      expect(created.map((r) => r.version).sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const stored = await releases.list(app.id);
      expect(stored.map((r) => r.version)).to.deep.equal([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
      // Each stored release is the one its creator was told about.
      for (const release of created) {
        expect(stored.find((r) => r.version === release.version)?.description).to.equal(release.description);
      }
    });

    it('snapshots the config vars of a release and starts it pending', async () => {
      const app = await apps.create('shop');
      const created = await releases.create(newRelease(app.id, { config: { NODE_ENV: 'production' }, description: 'Deploy 1a2b3c4' }));
      const stored = await releases.get(app.id, created.version);
      expect(stored).to.deep.include({ version: 1, status: 'pending', failureReason: null, description: 'Deploy 1a2b3c4', buildId: null });
      expect(stored.config).to.deep.equal({ NODE_ENV: 'production' });
    });

    it('makes a succeeded release the app\'s current release', async () => {
      const app = await apps.create('shop');
      const v1 = await releases.create(newRelease(app.id));
      await releases.markSucceeded(v1);
      expect((await apps.get('shop')).currentRelease).to.equal(1);
      expect((await releases.get(app.id, 1)).status).to.equal('succeeded');

      const v2 = await releases.create(newRelease(app.id));
      await releases.markSucceeded(v2);
      expect((await apps.get('shop')).currentRelease).to.equal(2);
    });

    it('keeps the reason of a failed release and leaves the current release as it was', async () => {
      const app = await apps.create('shop');
      await releases.markSucceeded(await releases.create(newRelease(app.id)));
      const v2 = await releases.create(newRelease(app.id));
      const reason = 'web process exited while starting\nLast lines of its log:\nError: Cannot find module \'express\'';
      await releases.markFailed(v2, reason);

      expect(await releases.get(app.id, 2)).to.deep.include({ status: 'failed', failureReason: reason });
      expect((await apps.get('shop')).currentRelease).to.equal(1);
      expect((await releases.get(app.id, 1)).status).to.equal('succeeded');
    });

    it('answers release_not_found for a version that does not exist', async () => {
      const app = await apps.create('shop');
      const error = await rejection(releases.get(app.id, 7), 'release_not_found');
      expect(error.status).to.equal(404);
      expect(error.message).to.include('v7');
    });
  });

  describe('IdentityRepo', () => {
    const hash = (token: string): string => crypto.createHash('sha256').update(token).digest('hex');

    it('finds the user of an API token by the token\'s hash, and no one for another token', async () => {
      expect(await identity.countUsers()).to.equal(0);
      const user = await identity.createUserWithToken('admin', hash('secret-token'));
      expect(await identity.countUsers()).to.equal(1);
      expect(await identity.userByTokenHash(hash('secret-token'))).to.deep.equal({ id: user.id, name: 'admin' });
      expect(await identity.userByTokenHash(hash('wrong-token'))).to.equal(null);
    });

    it('adds SSH keys, lists them and finds them by fingerprint', async () => {
      const user = await identity.createUserWithToken('admin', hash('t'));
      const laptop = await identity.addKey(user.id, 'laptop', 'SHA256:laptop', 'ssh-ed25519 AAAA laptop');
      await identity.addKey(user.id, 'ci', 'SHA256:ci', 'ssh-ed25519 BBBB ci');
      expect((await identity.keys()).map((k) => k.name).sort()).to.deep.equal(['ci', 'laptop']);
      expect(await identity.keyByFingerprint('SHA256:laptop')).to.deep.include({
        id: laptop.id, userId: user.id, name: 'laptop', publicKey: 'ssh-ed25519 AAAA laptop',
      });
      expect(await identity.keyByFingerprint('SHA256:unknown')).to.equal(null);
    });

    it('refuses a key that is already registered, naming it (key_exists, 409)', async () => {
      const user = await identity.createUserWithToken('admin', hash('t'));
      await identity.addKey(user.id, 'laptop', 'SHA256:same', 'ssh-ed25519 AAAA laptop');
      const error = await rejection(identity.addKey(user.id, 'again', 'SHA256:same', 'ssh-ed25519 AAAA again'), 'key_exists');
      expect(error.status).to.equal(409);
      expect(error.message).to.include('SHA256:same');
      expect(error.message).to.include('"laptop"');
      expect(await identity.keys()).to.have.length(1);
    });

    it('tells apart fingerprints that differ only in case, as SHA256 fingerprints do', async () => {
      const user = await identity.createUserWithToken('admin', hash('t'));
      await identity.addKey(user.id, 'lower', 'SHA256:abc', 'ssh-ed25519 AAAA lower');
      await identity.addKey(user.id, 'upper', 'SHA256:ABC', 'ssh-ed25519 BBBB upper');
      expect((await identity.keyByFingerprint('SHA256:ABC'))?.name).to.equal('upper');
      expect(await identity.keyByFingerprint('SHA256:Abc')).to.equal(null);
    });

    it('removes a key by id or by fingerprint, and answers key_not_found for an unknown one', async () => {
      const user = await identity.createUserWithToken('admin', hash('t'));
      const a = await identity.addKey(user.id, 'a', 'SHA256:a', 'ssh-ed25519 AAAA a');
      await identity.addKey(user.id, 'b', 'SHA256:b', 'ssh-ed25519 BBBB b');
      await identity.addKey(user.id, 'c', 'SHA256:c', 'ssh-ed25519 CCCC c');

      await identity.removeKey(String(a.id));
      expect((await identity.keys()).map((k) => k.name).sort()).to.deep.equal(['b', 'c']);
      await identity.removeKey('SHA256:b');
      expect((await identity.keys()).map((k) => k.name)).to.deep.equal(['c']);

      const error = await rejection(identity.removeKey('SHA256:b'), 'key_not_found');
      expect(error.status).to.equal(404);
      expect(error.message).to.include('slipway keys');
      await rejection(identity.removeKey(String(a.id)), 'key_not_found');
      expect((await identity.keys()).map((k) => k.name)).to.deep.equal(['c']);
    });
  });
});

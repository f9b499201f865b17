/** Buildpacks per app and what builds record (migration 004), on SQLite and MariaDB. */
import { expect } from 'chai';
import { AppsRepo } from '../../../engine/store/apps-repo';
import { BuildpacksRepo } from '../../../engine/store/buildpacks-repo';
import { BuildsRepo } from '../../../engine/store/builds-repo';
import { openDatabase, type Database } from '../../../engine/store/database';
import { backends, type TestDatabase } from '../../support/databases';

for (const backend of backends) describe(`buildpacks and build records on ${backend.name}`, () => {
  let testDb: TestDatabase;
  let db: Database;
  let apps: AppsRepo;
  let buildpacks: BuildpacksRepo;
  let builds: BuildsRepo;

  beforeEach(async () => {
    testDb = await backend.create();
    db = await openDatabase(testDb.url);
    apps = new AppsRepo(db);
    buildpacks = new BuildpacksRepo(db);
    builds = new BuildsRepo(db);
  });

  afterEach(async () => {
    await db.destroy();
    await testDb.drop();
  });

  it('keeps each app\'s buildpacks in order, apart from other apps\'', async () => {
    const shop = await apps.create('shop');
    const blog = await apps.create('blog');
    expect(await buildpacks.list(shop.id)).to.deep.equal([]);
    await buildpacks.replace(shop.id, ['https://git.example.com/apt.git#v1', 'nodejs']);
    await buildpacks.replace(blog.id, ['python']);
    expect(await buildpacks.list(shop.id)).to.deep.equal(['https://git.example.com/apt.git#v1', 'nodejs']);
    const next = await buildpacks.update(shop.id, (current) => [...current, `/opt/${'x'.repeat(900)}`]);
    expect(next).to.have.length(3);
    expect(await buildpacks.list(shop.id)).to.deep.equal(next);
    expect(await buildpacks.list(blog.id)).to.deep.equal(['python']);
  });

  it('loses no change when two are made at once', async () => {
    const shop = await apps.create('shop');
    await Promise.all(['a', 'b', 'c', 'd'].map((name) => buildpacks.update(shop.id, (current) => [...current, name])));
    expect([...(await buildpacks.list(shop.id))].sort()).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('leaves the list as it was when a change throws', async () => {
    const shop = await apps.create('shop');
    await buildpacks.replace(shop.id, ['nodejs']);
    const error = await buildpacks.update(shop.id, () => { throw new Error('refused'); }).catch((e: unknown) => e);
    expect((error as Error).message).to.equal('refused');
    expect(await buildpacks.list(shop.id)).to.deep.equal(['nodejs']);
  });

  it('goes with its app', async () => {
    const shop = await apps.create('shop');
    await buildpacks.replace(shop.id, ['nodejs', 'python']);
    await apps.delete(shop.id);
    const again = await apps.create('shop');
    expect(await buildpacks.list(again.id)).to.deep.equal([]);
  });

  it('records the image size, the imported image and the buildpacks of a build', async () => {
    const shop = await apps.create('shop');
    await builds.start('b1', shop.id, 'a'.repeat(40));
    expect(await builds.get('b1')).to.include({ imageSize: null, sourceImage: null });
    expect((await builds.get('b1'))!.buildpacks).to.deep.equal([]);
    const bytes = 6 * 1024 * 1024 * 1024; // more than 32 bits
    await builds.finish('b1', {
      status: 'succeeded', image: '127.0.0.1:5000/shop:b1', digest: 'sha256:x', processTypes: {}, log: '', durationMs: 5,
      imageSize: bytes, buildpacks: ['Node.js', 'https://git.example.com/apt.git#v1'],
    });
    await builds.start('b2', shop.id, '');
    await builds.finish('b2', {
      status: 'succeeded', image: '127.0.0.1:5000/shop:b2', digest: 'sha256:y', processTypes: {}, log: '', durationMs: 5,
      imageSize: 1234, sourceImage: '127.0.0.1:5000/other:v1',
    });
    const one = await builds.get('b1');
    expect(one).to.include({ imageSize: bytes, sourceImage: null });
    expect(one!.buildpacks).to.deep.equal(['Node.js', 'https://git.example.com/apt.git#v1']);
    const listed = await builds.list(shop.id);
    expect(listed.map((b) => [b.id, b.imageSize, b.sourceImage])).to.have.deep.members([
      ['b1', bytes, null], ['b2', 1234, '127.0.0.1:5000/other:v1'],
    ]);
  });
});

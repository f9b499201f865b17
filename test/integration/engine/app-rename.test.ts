/** apps:rename on the real store (SQLite), with fakes recording what moves under which name. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../../lib/log';
import { SlipwayError } from '../../../lib/errors';
import { AppRenamer } from '../../../engine/app-rename';
import { InProcessLocks } from '../../../engine/locks';
import { AppsRepo } from '../../../engine/store/apps-repo';
import { openDatabase, type Database } from '../../../engine/store/database';

describe('apps:rename (engine on SQLite)', () => {
  let dir: string;
  let db: Database;
  let apps: AppsRepo;
  let locks: InProcessLocks;
  let events: string[];
  let renamer: AppRenamer;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-rename-'));
    db = await openDatabase(`sqlite://${dir}/db.sqlite3`);
    apps = new AppsRepo(db);
    locks = new InProcessLocks();
    events = [];
    renamer = new AppRenamer({
      apps, locks, logger: silentLogger(),
      repositories: { rename: async (from, to) => { events.push(`repo ${from}→${to}`); } },
      routes: { republish: async (app) => { events.push(`republish ${app}`); } },
      converge: async (app) => { events.push(`converge ${app}`); },
      teardown: async (app) => { events.push(`teardown ${app}`); },
      caches: { remove: async (app) => { events.push(`cache-remove ${app}`); } },
    });
  });

  afterEach(async () => {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function rejection(promise: Promise<unknown>): Promise<SlipwayError> {
    const error = await promise.then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(SlipwayError);
    return error as SlipwayError;
  }

  it('keeps the app (id, config) under the new name, starts it there before the old name\'s routes and instances go', async () => {
    const shop = await apps.create('shop');
    await apps.setConfig(shop.id, { GREETING: 'hi' });
    const renamed = await renamer.rename('shop', 'store');
    expect(renamed).to.deep.include({ id: shop.id, name: 'store', config: { GREETING: 'hi' } });
    expect(await apps.find('shop')).to.equal(null);
    expect(events).to.deep.equal(['repo shop→store', 'converge store', 'republish store', 'teardown shop', 'cache-remove shop']);
  });

  it('refuses a name another app has, or an invalid one, changing nothing', async () => {
    await apps.create('shop');
    await apps.create('store');
    expect((await rejection(renamer.rename('shop', 'store'))).code).to.equal('app_exists');
    expect((await rejection(renamer.rename('shop', 'Not_A_Name'))).code).to.equal('invalid_app_name');
    expect((await rejection(renamer.rename('nope', 'other'))).code).to.equal('app_not_found');
    expect(events).to.deep.equal([]);
    expect((await apps.list()).map((a) => a.name)).to.deep.equal(['shop', 'store']);
  });

  it('waits for a push of the app in flight before moving anything', async () => {
    await apps.create('shop');
    const releasePush = await locks.acquire('shop', 'push');
    const renaming = renamer.rename('shop', 'store');
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).to.deep.equal([]);
    releasePush();
    await renaming;
    expect(events[0]).to.equal('repo shop→store');
  });
});

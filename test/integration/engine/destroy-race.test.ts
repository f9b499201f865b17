/**
 * Issue 10, bug 1: `apps:destroy` while a deploy hangs on a failing startup check, then
 * `apps:create` of the same name. The engine on SQLite with the real Deployer over the fake driver
 * (its web instance answers 404 to the check's path), fake repositories and a recording publisher.
 */
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../../lib/log';
import { AppsService, type SourceRepositories } from '../../../engine/apps-service';
import { ConfigService } from '../../../engine/config-service';
import { Deployer } from '../../../engine/deployer';
import { InProcessLocks } from '../../../engine/locks';
import { AppWork } from '../../../engine/app-work';
import type { Build } from '../../../engine/model';
import { ReleaseService } from '../../../engine/release-service';
import { AppsRepo } from '../../../engine/store/apps-repo';
import { BuildsRepo } from '../../../engine/store/builds-repo';
import { openDatabase, type Database } from '../../../engine/store/database';
import { ReleasesRepo } from '../../../engine/store/releases-repo';
import { EventLog, FakeDriver, FakePublisher } from '../../unit/engine/fake-driver';
import { waitFor } from './wait-for';

/** The publisher of the fake driver's tests, also keeping each app's domains. */
class DomainRecordingPublisher extends FakePublisher {
  readonly domains = new Map<string, string>();

  override async publishDomain(app: string, host: string): Promise<void> {
    this.domains.set(app, host);
  }

  override async removeApp(app: string): Promise<void> {
    await super.removeApp(app);
    this.domains.delete(app);
  }
}

class FakeRepositories implements SourceRepositories {
  readonly present = new Set<string>();

  async create(app: string): Promise<void> {
    this.present.add(app);
  }

  async remove(app: string): Promise<void> {
    this.present.delete(app);
  }
}

/** The app.json, within the check bounds: a startup check that never passes and would retry for an hour. */
const FAILING_CHECK = JSON.stringify({
  healthchecks: { web: [{ type: 'startup', path: '/nope', content: 'x', attempts: 60, wait: 60, timeout: 1 }] },
});

describe('destroying an app while its deploy waits on a failing check (engine on SQLite)', () => {
  let dir: string;
  let db: Database;
  let server: http.Server;
  let base: string;

  before(async () => {
    server = http.createServer((_req, res) => { res.statusCode = 404; res.end('not here'); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-destroy-'));
    db = await openDatabase(`sqlite://${dir}/db.sqlite3`);
  });

  afterEach(async () => {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function engine() {
    const appsRepo = new AppsRepo(db);
    const builds = new BuildsRepo(db);
    const releasesRepo = new ReleasesRepo(db);
    const events = new EventLog();
    const driver = new FakeDriver(events, (spec, id) => ({ url: spec.process === 'web' ? `${base}/${id}` : null }));
    const publisher = new DomainRecordingPublisher(events);
    const locks = new InProcessLocks();
    const work = new AppWork();
    const deployer = new Deployer(driver, publisher, releasesRepo, locks, {
      bootTimeoutMs: 600_000, stopGraceSeconds: 1, containerPort: 5000, logLines: 5, surge: 1, maxUnavailable: 0, drainMs: 1,
      capacity: { reservedMemoryMb: 0, cpuOvercommit: 4 },
    }, silentLogger());
    const repositories = new FakeRepositories();
    const addresses = { hostFor: (a: string) => `${a}.slipway.localhost`, urlFor: (a: string) => `http://${a}.slipway.localhost`, gitUrlFor: (a: string) => a };
    const apps = new AppsService(appsRepo, releasesRepo, repositories, { remove: async () => undefined }, publisher, deployer, driver,
      addresses, silentLogger(), locks, work);
    const releases = new ReleaseService(appsRepo, releasesRepo, builds, deployer, silentLogger(), locks, work);
    const config = new ConfigService(appsRepo, releases, silentLogger());
    return { appsRepo, builds, driver, publisher, repositories, apps, releases, config };
  }

  async function failingBuild(e: ReturnType<typeof engine>, appId: number): Promise<Build> {
    await e.builds.start('b1', appId, 'c'.repeat(40));
    await e.builds.finish('b1', {
      status: 'succeeded', image: '127.0.0.1:5000/x:b1', digest: 'sha256:x', processTypes: { web: 'node server.js' },
      log: '', durationMs: 1, appJson: FAILING_CHECK,
    });
    return (await e.builds.get('b1'))!;
  }

  it('cancels the deploy, finishes before the name is free, and leaves the next app of that name whole', async () => {
    const e = engine();
    const old = await e.apps.create('x');
    const progress: string[] = [];
    const deploying = e.releases.releaseBuild(old, await failingBuild(e, old.id), (line) => progress.push(line)).then(
      () => 'deployed', (error: Error) => error.message);
    await waitFor('the web instance to start', async () => progress.some((line) => line.startsWith('Starting 1 web')));
    // A config change sent to the old app waits behind its deploy.
    const configured = e.config.update('x', { OLD_APP_ONLY: 'yes' }).then(() => 'applied', (error: { code?: string }) => error.code);

    const destroying = e.apps.destroy('x', 'x');
    const early = await e.apps.create('x').then(() => 'created', (error: Error) => error.message);
    expect(early).to.equal('"x" is being destroyed: create it again once apps:destroy has finished.');
    await destroying;
    await e.apps.create('x');

    expect(await deploying).to.include('cancelled');
    expect(await configured).to.equal('app_not_found');
    // Whatever the old app's work did after the destroy, the new app is whole.
    const fresh = await e.appsRepo.get('x');
    expect(fresh.id).to.not.equal(old.id);
    expect(fresh.config).to.deep.equal({});
    expect([...e.repositories.present]).to.deep.equal(['x']);
    expect(e.publisher.domains.get('x')).to.equal('x.slipway.localhost');
    expect(await e.driver.list('x')).to.deep.equal([]);
  });
});

/**
 * Config vars and rollbacks on the real store (SQLite): ConfigService and ReleaseService with a
 * fake in the Deployer's role that records what it was asked to run and, like the real one, marks
 * the release succeeded or failed. (The real Deployer is exercised end to end in
 * test/e2e/config-and-rollback.test.ts.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { expect } from 'chai';
import { SlipwayError, type ErrorCode } from '../../../lib/errors';
import { ConfigService } from '../../../engine/config-service';
import type { DeployRequest, Progress } from '../../../engine/deployer';
import type { App, Build } from '../../../engine/model';
import { ReleaseService, type ReleaseDeployer } from '../../../engine/release-service';
import { AppsRepo } from '../../../engine/store/apps-repo';
import { BuildsRepo } from '../../../engine/store/builds-repo';
import { openDatabase, type Database } from '../../../engine/store/database';
import { ReleasesRepo } from '../../../engine/store/releases-repo';
import { waitFor } from './wait-for';

async function rejection(promise: Promise<unknown>, code: ErrorCode): Promise<SlipwayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(SlipwayError);
    expect((error as SlipwayError).code, (error as Error).message).to.equal(code);
    return error as SlipwayError;
  }
  throw new Error(`expected a ${code} error`);
}

/** Plays the Deployer: records each request; fails the ones it is told to, as the real one does. */
class FakeDeployer implements ReleaseDeployer {
  readonly requests: DeployRequest[] = [];
  failing: string | null = null;
  /** Thrown before anything is deployed or recorded (as a refused or broken deploy would). */
  refusing: Error | null = null;
  /** Resolves a deploy only when the test lets it (to hold a deploy in flight). */
  gate: Promise<void> = Promise.resolve();

  constructor(private readonly releases: ReleasesRepo) {}

  async deploy(request: DeployRequest, progress: Progress): Promise<void> {
    this.requests.push(request);
    if (this.refusing) throw this.refusing;
    progress(`Starting web process of v${request.release.version}`);
    await this.gate;
    if (this.failing !== null) {
      await this.releases.markFailed(request.release, this.failing);
      throw new SlipwayError('deploy_failed', this.failing);
    }
    await this.releases.markSucceeded(request.release);
  }
}

describe('config vars and rollbacks (engine on SQLite)', () => {
  let dir: string;
  let db: Database;
  let apps: AppsRepo;
  let builds: BuildsRepo;
  let releasesRepo: ReleasesRepo;
  let deployer: FakeDeployer;
  let releases: ReleaseService;
  let config: ConfigService;
  let logText: string;
  let app: App;
  const noProgress: Progress = () => undefined;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-config-'));
    db = await openDatabase(`sqlite://${dir}/db.sqlite3`);
    apps = new AppsRepo(db);
    builds = new BuildsRepo(db);
    releasesRepo = new ReleasesRepo(db);
    deployer = new FakeDeployer(releasesRepo);
    logText = '';
    const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, done) { logText += String(chunk); done(); } }));
    releases = new ReleaseService(apps, releasesRepo, builds, deployer, logger);
    config = new ConfigService(apps, releases, logger);
    app = await apps.create('shop');
  });

  afterEach(async () => {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let builtCount = 0;
  async function build(commit = 'c'.repeat(40)): Promise<Build> {
    builtCount += 1;
    const id = `build-${builtCount}`;
    await builds.start(id, app.id, commit);
    await builds.finish(id, { status: 'succeeded', image: `127.0.0.1:5000/shop:${id}`, digest: 'sha256:x', processTypes: { web: 'node server.js' }, log: '', durationMs: 1 });
    const stored = await builds.get(id);
    return stored!;
  }

  /** A push: build, then releaseBuild as the push handler does. */
  async function push(commit?: string) {
    return releases.releaseBuild(await apps.get('shop'), await build(commit), noProgress);
  }

  const current = () => apps.get('shop');
  const history = async () => (await releasesRepo.list(app.id)).map((r) => [r.version, r.status, r.description]);

  it('stores config set before the first deploy without a release, and the first build releases with it', async () => {
    const result = await config.update('shop', { GREETING: 'hello' });
    expect(result).to.deep.equal({ config: { GREETING: 'hello' }, release: null });
    expect(await releasesRepo.list(app.id)).to.have.length(0);
    expect(deployer.requests).to.have.length(0);

    const v1 = await push('abcdef1'.padEnd(40, '0'));
    expect(v1).to.include({ version: 1, description: 'Deploy abcdef1', status: 'succeeded' });
    expect(deployer.requests[0]!.release.config).to.deep.equal({ GREETING: 'hello' });
    expect((await current()).config).to.deep.equal({ GREETING: 'hello' });
  });

  it('makes vN from the current build and the new config, deploys it, and makes it the app config', async () => {
    const v1 = await push();
    const result = await config.update('shop', { GREETING: 'hi', OTHER: 'x=y' });
    expect(result.config).to.deep.equal({ GREETING: 'hi', OTHER: 'x=y' });
    expect(result.release).to.include({ version: 2, status: 'succeeded', description: 'Set GREETING, OTHER config vars' });
    const request = deployer.requests[1]!;
    expect(request.build.id).to.equal(v1.buildId);
    expect(request.release.config).to.deep.equal({ GREETING: 'hi', OTHER: 'x=y' });
    expect(await current()).to.deep.include({ currentRelease: 2, config: { GREETING: 'hi', OTHER: 'x=y' } });
    expect(await config.get('shop')).to.deep.equal({ GREETING: 'hi', OTHER: 'x=y' });

    await config.update('shop', { GREETING: null });
    expect(await config.get('shop')).to.deep.equal({ OTHER: 'x=y' });
    expect(await history()).to.deep.equal([
      [3, 'succeeded', 'Remove GREETING config vars'],
      [2, 'succeeded', 'Set GREETING, OTHER config vars'],
      [1, 'succeeded', `Deploy ${'c'.repeat(7)}`],
    ]);
  });

  it('leaves the config and the current release as they were when the new release fails to deploy', async () => {
    await config.update('shop', { GREETING: 'hello' });
    await push();
    deployer.failing = 'web process exited while starting';
    const error = await rejection(config.update('shop', { GREETING: 'broken', CRASH: '1' }), 'deploy_failed');
    expect(error.message).to.include('nothing was changed');
    expect(error.message).to.include('v1 keeps serving');
    expect(error.message).to.include('web process exited while starting');
    expect(await current()).to.deep.include({ currentRelease: 1, config: { GREETING: 'hello' } });
    const [failed] = await releasesRepo.list(app.id);
    expect(failed).to.include({ version: 2, status: 'failed', description: 'Set GREETING, CRASH config vars' });

    // The next change starts from the config that is live, not from the failed one.
    deployer.failing = null;
    await config.update('shop', { OTHER: 'o' });
    expect(await config.get('shop')).to.deep.equal({ GREETING: 'hello', OTHER: 'o' });
  });

  it('records a release whose deploy stopped before starting as failed, changing nothing', async () => {
    await push();
    await config.update('shop', { GREETING: 'hello' });
    deployer.refusing = new Error('driver unreachable');
    try {
      await config.update('shop', { GREETING: 'never' });
      expect.fail('the change should have failed');
    } catch (error) {
      expect((error as Error).message).to.equal('driver unreachable');
    }
    expect(await releasesRepo.get(app.id, 3)).to.include({ status: 'failed', failureReason: 'the deploy stopped on an internal error (see the platform log)' });
    expect(await current()).to.deep.include({ currentRelease: 2, config: { GREETING: 'hello' } });
  });

  it('refuses an invalid key, or a non-string value, and changes nothing', async () => {
    await push();
    await config.update('shop', { GREETING: 'hello' });
    for (const body of [{ '1BAD': 'x', GOOD: 'y' }, { 'WITH-DASH': 'x' }, { NUMBER: 5 }, {}, 'GREETING=x']) {
      await rejection(config.update('shop', body), 'invalid_request');
    }
    expect(await config.get('shop')).to.deep.equal({ GREETING: 'hello' });
    expect(await releasesRepo.list(app.id)).to.have.length(2);
  });

  it('refuses a NUL byte, PORT, and a config over 32 kB in total before anything changes', async () => {
    await push();
    await config.update('shop', { GREETING: 'hello', BLOB: 'x'.repeat(20 * 1024) });
    await rejection(config.update('shop', { TOKEN: 'a\0b' }), 'invalid_config_value');
    await rejection(config.update('shop', { PORT: '80' }), 'invalid_config_value');
    await rejection(config.update('shop', { MORE: 'y'.repeat(20 * 1024) }), 'config_too_large');
    expect(Object.keys(await config.get('shop'))).to.deep.equal(['GREETING', 'BLOB']);
    expect(await releasesRepo.list(app.id)).to.have.length(2);
  });

  it('makes no release for a change that changes nothing', async () => {
    await push();
    await config.update('shop', { A: '1' });
    const result = await config.update('shop', { A: '1', ABSENT: null });
    expect(result).to.deep.equal({ config: { A: '1' }, release: null });
    expect(await releasesRepo.list(app.id)).to.have.length(2);
  });

  it('answers app_not_found for an unknown app', async () => {
    await rejection(config.get('nope'), 'app_not_found');
    await rejection(config.update('nope', { A: '1' }), 'app_not_found');
    await rejection(releases.rollback('nope', null), 'app_not_found');
  });

  it('applies concurrent changes one after the other, losing none', async () => {
    await push();
    await Promise.all([config.update('shop', { A: '1' }), config.update('shop', { B: '2' }), config.update('shop', { C: '3' })]);
    expect(await config.get('shop')).to.deep.equal({ A: '1', B: '2', C: '3' });
    expect((await current()).currentRelease).to.equal(4);
  });

  it('waits for a deploy in flight before storing config, so the change is not lost behind it', async () => {
    let open!: () => void;
    deployer.gate = new Promise((resolve) => { open = resolve; });
    const first = push();
    await waitFor('v1 to be deploying', async () => deployer.requests.length === 1); // held at the gate
    const change = config.update('shop', { GREETING: 'hello' });
    open();
    await first;
    const result = await change;
    expect(result.release).to.include({ version: 2, description: 'Set GREETING config vars' });
    expect(await config.get('shop')).to.deep.equal({ GREETING: 'hello' });
  });

  it('a push releases with the current config', async () => {
    await push();
    await config.update('shop', { GREETING: 'hello' });
    const v3 = await push('d'.repeat(40));
    expect(v3.config).to.deep.equal({ GREETING: 'hello' });
    expect(deployer.requests.at(-1)!.release.config).to.deep.equal({ GREETING: 'hello' });
  });

  describe('rollback', () => {
    it("rolls back to vN: vN's build and config in a new release, which becomes the app config", async () => {
      const v1 = await push('a'.repeat(40));
      await config.update('shop', { GREETING: 'hello' }); // v2
      const v3 = await push('b'.repeat(40));
      await config.update('shop', { GREETING: 'hi' }); // v4

      const rolled = await releases.rollback('shop', 1);
      expect(rolled).to.include({ version: 5, status: 'succeeded', description: 'Rollback to v1', buildId: v1.buildId });
      expect(rolled.config).to.deep.equal({});
      expect(await current()).to.deep.include({ currentRelease: 5, config: {} });

      await releases.rollback('shop', 3);
      expect(deployer.requests.at(-1)!.build.id).to.equal(v3.buildId);
      expect(await config.get('shop')).to.deep.equal({ GREETING: 'hello' });
    });

    it('without a version goes back to the newest succeeded release before the current one', async () => {
      await push();
      await config.update('shop', { GREETING: 'hello' }); // v2
      deployer.failing = 'crashed';
      await rejection(config.update('shop', { GREETING: 'broken' }), 'deploy_failed'); // v3 failed
      deployer.failing = null;
      await config.update('shop', { GREETING: 'hi' }); // v4, current

      const rolled = await releases.rollback('shop', null);
      expect(rolled).to.include({ version: 5, description: 'Rollback to v2' });
      expect(await config.get('shop')).to.deep.equal({ GREETING: 'hello' });
      const again = await releases.rollback('shop', null); // from v5: the newest good one before it is v4
      expect(again.description).to.equal('Rollback to v4');
    });

    it('refuses a failed release, a release without a build, and a missing one, changing nothing', async () => {
      await push();
      await config.update('shop', { GREETING: 'hello' }); // v2
      deployer.failing = 'crashed';
      await rejection(config.update('shop', { GREETING: 'broken' }), 'deploy_failed'); // v3 failed
      deployer.failing = null;
      const buildless = await releasesRepo.create({ appId: app.id, buildId: null, config: { X: '1' }, description: 'Imported' });
      await releasesRepo.markSucceeded(buildless); // v4, made current by hand: no build to run
      const before = await current();
      const count = (await releasesRepo.list(app.id)).length;

      expect((await rejection(releases.rollback('shop', 3), 'invalid_request')).message).to.include('v3 failed');
      expect((await rejection(releases.rollback('shop', 4), 'invalid_request')).message).to.include('v4 has no build');
      await rejection(releases.rollback('shop', 99), 'release_not_found');
      expect(await current()).to.deep.equal(before);
      expect(await releasesRepo.list(app.id)).to.have.length(count);
    });

    it('says so when there is no earlier good release, or no release at all', async () => {
      expect((await rejection(releases.rollback('shop', null), 'invalid_request')).message).to.include('no release to roll back from');
      await push();
      const error = await rejection(releases.rollback('shop', null), 'invalid_request');
      expect(error.message).to.include('no succeeded release before v1');
    });

    it('leaves the config and current release as they were when the rollback fails to deploy', async () => {
      await push();
      await config.update('shop', { GREETING: 'hello' }); // v2
      deployer.failing = 'web process exited while starting';
      const error = await rejection(releases.rollback('shop', 1), 'deploy_failed');
      expect(error.message).to.include('Rollback to v1 failed');
      expect(await current()).to.deep.include({ currentRelease: 2, config: { GREETING: 'hello' } });
      expect((await releasesRepo.get(app.id, 3)).status).to.equal('failed');
    });
  });

  it('describes a release with its build and config keys only', async () => {
    await push('e'.repeat(40));
    await config.update('shop', { SECRET: 's3cret-value', GREETING: 'hello' });
    const info = await releases.info('shop', 2);
    expect(info.release.description).to.equal('Set SECRET, GREETING config vars');
    expect(info.configKeys).to.deep.equal(['GREETING', 'SECRET']);
    expect(info.build).to.include({ commit: 'e'.repeat(40) });
    await rejection(releases.info('shop', 9), 'release_not_found');
  });

  it('logs config var names, never their values', async () => {
    await config.update('shop', { SECRET: 'first-s3cret' });
    await push();
    await config.update('shop', { SECRET: 'second-s3cret', OTHER: 'other-s3cret' });
    deployer.failing = 'crashed';
    await config.update('shop', { SECRET: 'third-s3cret' }).catch(() => undefined);
    deployer.failing = null;
    await releases.rollback('shop', 1);
    expect(logText).to.include('SECRET');
    expect(logText).to.not.match(/s3cret/);
  });
});

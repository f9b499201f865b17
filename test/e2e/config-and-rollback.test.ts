/**
 * Config vars, releases:info and rollback, driven as a user drives them: the `slipway` CLI against
 * the real API, a real git push of a Dockerfile app over SSH, the real Deployer, etcd and router.
 * The app (test/fixtures/apps/node-config) answers "GREETING=<its GREETING config var>".
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { makeSshKey, REPO_ROOT, run, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../support/slipway';

interface ReleaseJson {
  version: number;
  description: string;
  status: string;
  current: boolean;
  buildId: string | null;
  commit: string | null;
  failureReason: string | null;
}

interface ReleaseInfoJson extends ReleaseJson {
  image: string | null;
  processTypes: Record<string, string>;
  configKeys: string[];
}

describe('config vars and rollback (end to end)', function () {
  let slipway: TestSlipway;
  let home: string;
  let copy: WorkingCopy;
  const app = uniqueName('config');

  const cli = (...args: string[]) => run('node', [path.join(REPO_ROOT, 'bin', 'slipway'), ...args], {
    cwd: home,
    env: { SLIPWAY_API_URL: `http://127.0.0.1:${slipway.platform.apiPort}`, SLIPWAY_TOKEN: slipway.token, NO_COLOR: '1', HOME: home },
  });

  async function cliJson<T>(...args: string[]): Promise<T> {
    const result = await cli(...args, '--json');
    expect(result.code, result.output).to.equal(0);
    return JSON.parse(result.stdout) as T;
  }

  const releases = () => cliJson<ReleaseJson[]>('releases', app);
  const config = () => cliJson<Record<string, string>>('config', app);

  /** What the app answers through the router, once it answers `expected` (the router follows etcd). */
  async function serves(expected: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    let last = '';
    for (;;) {
      const response = await slipway.fetchApp(app);
      last = `${response.status} ${response.body}`;
      if (response.status === 200 && response.body === expected) return;
      if (Date.now() > deadline) expect.fail(`${app} answers "${last}", not "${expected}"`);
      await new Promise((resolve) => setTimeout(resolve, 100)); // poll interval
    }
  }

  before(async function () {
    slipway = await startTestSlipway();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-home-'));
    fs.mkdirSync(path.join(home, '.ssh'));
    const key = await makeSshKey(path.join(home, '.ssh'));
    const added = await cli('keys:add');
    expect(added.code, added.output).to.equal(0);
    const created = await cli('apps:create', app);
    expect(created.code, created.output).to.equal(0);
    copy = await WorkingCopy.fromFixture('node-config', key.privateKey);
  });

  after(async function () {
    await cli('apps:destroy', app, '--confirm', app);
    copy?.remove();
    fs.rmSync(home, { recursive: true, force: true });
    await slipway.close();
  });

  it('stores config set before the first push, without a release, and the first build runs with it', async function () {
    const set = await cli('config:set', app, 'GREETING=hello');
    expect(set.code, set.output).to.equal(0);
    expect(set.stdout).to.include(`Setting GREETING and restarting ${app}... done (${app} is not deployed yet: its first build gets this config)`);
    expect(await releases()).to.deep.equal([]);
    expect(await config()).to.deep.equal({ GREETING: 'hello' });

    const push = await copy.push(slipway.gitUrl(app));
    expect(push.code, push.output).to.equal(0);
    await serves('GREETING=hello');
    const [v1, ...older] = await releases();
    expect(older).to.have.length(0);
    expect(v1).to.include({ version: 1, status: 'succeeded', current: true });
    expect(v1!.description).to.match(/^Deploy [0-9a-f]{7}$/);
  });

  it('refuses a rollback when there is no earlier good release', async function () {
    const result = await cli('rollback', app);
    expect(result.code).to.equal(1);
    expect(result.stderr.trim().split('\n')).to.have.length(1);
    expect(result.stderr).to.include(`${app} has no succeeded release before v1 to roll back to`);
    expect(await releases()).to.have.length(1);
  });

  it('config:get prints the raw value only, and exits 1 for a var that is not set', async function () {
    const got = await cli('config:get', app, 'GREETING');
    expect(got.code, got.output).to.equal(0);
    expect(got.stdout).to.equal('hello\n');
    const missing = await cli('config:get', app, 'MISSING');
    expect(missing.code).to.equal(1);
    expect(missing.stdout).to.equal('');
    expect(missing.stderr).to.include(`MISSING is not set on ${app}`);
  });

  it('config:set makes v2 "Set GREETING config vars" with the same build, and the app serves the new value', async function () {
    const set = await cli('config:set', app, 'GREETING=hi=there');
    expect(set.code, set.output).to.equal(0);
    expect(set.stdout).to.include(`Setting GREETING and restarting ${app}... done, v2`);
    expect(set.stdout).to.include('GREETING: hi=there');
    await serves('GREETING=hi=there');

    const [v2, v1] = await releases();
    expect(v2).to.include({ version: 2, status: 'succeeded', current: true, description: 'Set GREETING config vars' });
    expect(v2!.buildId).to.equal(v1!.buildId);
    expect(await config()).to.deep.equal({ GREETING: 'hi=there' });
    const table = await cli('config', app);
    expect(table.stdout).to.include(`=== ${app} Config Vars`);
    expect(table.stdout).to.match(/GREETING\s+│\s+hi=there/);
  });

  it('refuses an invalid key in one readable line and changes nothing', async function () {
    const refused = await cli('config:set', app, '1BAD=x', 'GOOD=y');
    expect(refused.code).to.equal(1);
    expect(refused.stderr.trim().split('\n')).to.have.length(1);
    expect(refused.stderr).to.include('Invalid config var name "1BAD"');
    expect(refused.stderr).to.include('Nothing was changed');
    const api = await slipway.api<{ error: { code: string } }>('PATCH', `/apps/${app}/config`, { 'BAD-KEY': 'x', GOOD: 'y' });
    expect(api.status).to.equal(400);
    expect(api.body.error.code).to.equal('invalid_request');
    expect(await config()).to.deep.equal({ GREETING: 'hi=there' });
    expect(await releases()).to.have.length(2);
  });

  it('keeps the config when the release of a change fails to start, and the app keeps serving', async function () {
    const failed = await cli('config:set', app, 'FAIL_ON_BOOT=1');
    expect(failed.code).to.equal(1);
    expect(failed.stderr).to.include('Changing FAIL_ON_BOOT failed: the new release did not start, so nothing was changed');
    expect(failed.stderr).to.include('v2 keeps serving');
    expect(await config()).to.deep.equal({ GREETING: 'hi=there' });
    const [v3, v2] = await releases();
    expect(v3).to.include({ version: 3, status: 'failed', current: false, description: 'Set FAIL_ON_BOOT config vars' });
    expect(v2).to.include({ version: 2, current: true });
    await serves('GREETING=hi=there');
  });

  it('config:unset makes v4 "Remove GREETING config vars" and the app no longer has it', async function () {
    const unset = await cli('config:unset', app, 'GREETING');
    expect(unset.code, unset.output).to.equal(0);
    expect(unset.stdout).to.include(`Unsetting GREETING and restarting ${app}... done, v4`);
    await serves('GREETING=(unset)');
    const [v4] = await releases();
    expect(v4).to.include({ version: 4, status: 'succeeded', current: true, description: 'Remove GREETING config vars' });
    expect(await config()).to.deep.equal({});
  });

  it('releases:info shows the build, commit, image, process types and config keys, never values', async function () {
    const shown = await cli('releases:info', app, 'v2');
    expect(shown.code, shown.output).to.equal(0);
    expect(shown.stdout).to.include(`=== ${app} release v2`);
    expect(shown.stdout).to.include('Set GREETING config vars');
    expect(shown.stdout).to.match(/Config vars: +GREETING/);
    expect(shown.stdout).to.not.include('hi=there');

    const v2 = await cliJson<ReleaseInfoJson>('releases:info', app, '2');
    expect(v2).to.include({ version: 2, status: 'succeeded', current: false });
    expect(v2.configKeys).to.deep.equal(['GREETING']);
    expect(v2.commit).to.match(/^[0-9a-f]{40}$/);
    expect(v2.image).to.equal(`${slipway.config.registry}/${app}:${v2.buildId}`);
    expect(v2.processTypes).to.deep.equal({}); // a Dockerfile app without Procfile: web runs the image's CMD
    expect(JSON.stringify(v2)).to.not.include('hi=there');

    const v3 = await cliJson<ReleaseInfoJson>('releases:info', app, 'v3');
    expect(v3.configKeys).to.deep.equal(['FAIL_ON_BOOT', 'GREETING']);
    expect(v3.failureReason).to.include('exited while starting');
    const missing = await cli('releases:info', app, 'v99');
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.include('Release v99 does not exist');
  });

  it('rollback to v1 makes v5 "Rollback to v1" with v1\'s build and config, and serves the old value', async function () {
    const rolled = await cli('rollback', app, 'v1');
    expect(rolled.code, rolled.output).to.equal(0);
    expect(rolled.stdout).to.include(`Rolling back ${app}... done, v5: Rollback to v1`);
    await serves('GREETING=hello');
    const [v5, , , , v1] = await releases();
    expect(v5).to.include({ version: 5, status: 'succeeded', current: true, description: 'Rollback to v1' });
    expect(v5!.buildId).to.equal(v1!.buildId);
    expect(await config()).to.deep.equal({ GREETING: 'hello' });
  });

  it('refuses to roll back to a failed release, changing nothing', async function () {
    const refused = await cli('rollback', app, 'v3');
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include('v3 failed, so it cannot be rolled back to');
    expect(await releases()).to.have.length(5);
    expect(await config()).to.deep.equal({ GREETING: 'hello' });
    await serves('GREETING=hello');
  });

  it('rollback without a version goes back to the last succeeded release before the current one', async function () {
    const rolled = await cli('rollback', app);
    expect(rolled.code, rolled.output).to.equal(0);
    expect(rolled.stdout).to.include(`done, v6: Rollback to v4`);
    await serves('GREETING=(unset)');
    expect(await config()).to.deep.equal({});
  });
});

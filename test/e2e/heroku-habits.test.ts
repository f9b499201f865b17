/**
 * The Heroku habits a user types on day one, against a real Slipway: an app made by
 * `apps:create` without a name, commands that find the app from the `slipway` git remote of the
 * working copy, maintenance mode answered by the router, past builds and their output, `status`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { waitFor } from '../integration/engine/wait-for';
import { httpGet, makeSshKey, REPO_ROOT, run, startTestSlipway, WorkingCopy, type TestSlipway } from '../support/slipway';

describe('Heroku habits: -a, the git remote, maintenance, builds, status (end to end)', function () {
  let slipway: TestSlipway;
  let home: string;
  let copy: WorkingCopy;
  let app: string;

  /** The CLI as a user runs it in `cwd` (the working copy unless told otherwise). */
  const cli = (args: string[], cwd?: string) => run('node', [path.join(REPO_ROOT, 'bin', 'slipway'), ...args], {
    cwd: cwd ?? copy.dir,
    env: { SLIPWAY_API_URL: `http://127.0.0.1:${slipway.platform.apiPort}`, SLIPWAY_TOKEN: slipway.token, NO_COLOR: '1', HOME: home },
  });

  before(async function () {
    slipway = await startTestSlipway();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-home-'));
    fs.mkdirSync(path.join(home, '.ssh'));
    const key = await makeSshKey(path.join(home, '.ssh'));
    expect((await cli(['keys:add'], home)).code).to.equal(0);
    const created = await cli(['apps:create'], home);
    expect(created.code, created.output).to.equal(0);
    app = /Creating (\S+)\.\.\. done/.exec(created.stdout)![1]!;
    copy = await WorkingCopy.fromFixture('dockerfile-basic', key.privateKey);
    expect((await cli(['git:remote', '-a', app])).code).to.equal(0);
    const push = await copy.git('push', 'slipway', 'main');
    expect(push.code, push.output).to.equal(0);
  });

  after(async function () {
    copy?.remove();
    fs.rmSync(home, { recursive: true, force: true });
    await slipway.close();
  });

  it('made a readable random name with apps:create, and serves the app pushed to it', async function () {
    expect(app).to.match(/^[a-z]+-[a-z]+-[0-9]{4}$/);
    expect((await slipway.fetchApp(app)).body).to.match(/^Hello from a Dockerfile/);
  });

  it('finds the app from the slipway git remote of the working copy, or takes it from -a elsewhere', async function () {
    const inferred = await cli(['apps:info', '--json']);
    expect(inferred.code, inferred.output).to.equal(0);
    expect((JSON.parse(inferred.stdout) as { name: string }).name).to.equal(app);
    const elsewhere = await cli(['releases', '-a', app], home);
    expect(elsewhere.stdout).to.include('v1');
    const nowhere = await cli(['releases'], home);
    expect(nowhere.code).to.equal(1);
    expect(nowhere.stderr).to.include('No app given: add -a APP');
  });

  it('maintenance:on makes the router answer 503 with a maintenance page while the app keeps running; off serves it again', async function () {
    const on = await cli(['maintenance:on']);
    expect(on.code, on.output).to.equal(0);
    // The router follows etcd's watch: the change reaches it within moments.
    const page = await waitFor('the maintenance page', async () => {
      const answer = await httpGet(slipway.config.routerPort, `${app}.${slipway.config.domain}`, '/');
      return answer.status === 503 ? answer : null;
    });
    expect(page.body).to.include('R580').and.include('maintenance');
    expect((await cli(['maintenance'])).stdout.trim()).to.equal('on');
    const ps = await cli(['ps', '--json']);
    const instances = (JSON.parse(ps.stdout) as { instances: Array<{ type: string; state: string }> }).instances;
    expect(instances.filter((i) => i.type === 'web' && i.state === 'running'), ps.stdout).to.have.length(1);

    expect((await cli(['maintenance:off'])).code).to.equal(0);
    const back = await waitFor('the app again', async () => {
      const answer = await slipway.fetchApp(app);
      return answer.status === 200 ? answer : null;
    });
    expect(back.body).to.match(/^Hello from a Dockerfile/);
  });

  it('lists past builds and prints the output the push showed', async function () {
    const builds = await cli(['builds']);
    expect(builds.code, builds.output).to.equal(0);
    const list = JSON.parse((await cli(['builds', '--json'])).stdout) as Array<{ id: string; status: string }>;
    expect(list).to.have.length(1);
    expect(list[0]!.status).to.equal('succeeded');
    expect(builds.stdout).to.include(list[0]!.id);
    const output = await cli(['builds:output']);
    expect(output.stdout).to.include('Building with the Dockerfile');
    expect((await cli(['builds:info', list[0]!.id])).stdout).to.include(`=== ${app} build ${list[0]!.id}`);
  });

  it('status prints one line per component of the platform', async function () {
    const status = await cli(['status'], home);
    const lines = status.stdout.trim().split('\n');
    expect(lines.map((line) => line.split(/\s+/)[0]), status.output).to.deep.equal(['API', 'Database', 'etcd', 'Registry', 'Docker', 'Router']);
    for (const line of lines.slice(0, 5)) expect(line, status.output).to.match(/^\S+\s+ok\s/);
  });

  it('open prints the app\'s URL', async function () {
    const { url } = JSON.parse((await cli(['apps:info', '--json'])).stdout) as { url: string };
    expect(url).to.include(`${app}.${slipway.config.domain}`);
    expect((await cli(['open'])).stdout.trim()).to.equal(url);
  });
});

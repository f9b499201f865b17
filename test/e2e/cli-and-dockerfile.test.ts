/**
 * The CLI against the real API, and the other ways a push can go: a Dockerfile app, a repository
 * with nothing to detect, two apps pushed at once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import Docker from 'dockerode';
import { HttpRegistry } from '../../engine/drivers/registry-http';
import { makeSshKey, REPO_ROOT, run, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../support/slipway';

describe('the slipway CLI and Dockerfile apps (end to end)', function () {
  let slipway: TestSlipway;
  let home: string;
  let key: { privateKey: string; publicKey: string };

  const cli = (...args: string[]) => run('node', [path.join(REPO_ROOT, 'bin', 'slipway'), ...args], {
    cwd: home,
    env: { SLIPWAY_API_URL: `http://127.0.0.1:${slipway.platform.apiPort}`, SLIPWAY_TOKEN: slipway.token, NO_COLOR: '1', HOME: home },
  });

  before(async function () {
    slipway = await startTestSlipway();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-home-'));
    fs.mkdirSync(path.join(home, '.ssh'));
    key = await makeSshKey(path.join(home, '.ssh'));
  });

  after(async function () {
    fs.rmSync(home, { recursive: true, force: true });
    await slipway.close();
  });

  it('registers the default SSH key with keys:add and lists it with keys', async function () {
    const added = await cli('keys:add');
    expect(added.code, added.output).to.equal(0);
    const listed = await cli('keys', '--json');
    const keys = JSON.parse(listed.stdout) as Array<{ fingerprint: string }>;
    expect(keys).to.have.length(1);
    const fingerprint = (await run('ssh-keygen', ['-lf', `${key.privateKey}.pub`])).stdout.split(' ')[1];
    expect(keys[0]!.fingerprint).to.equal(fingerprint);
    const again = await cli('keys:add');
    expect(again.code).to.equal(1);
    expect(again.stderr).to.include('already registered');
  });

  it('refuses bad app names with one readable line and creates nothing', async function () {
    for (const bad of ['Upper', '1digit', 'under_score', 'a'.repeat(31), 'ht-']) {
      const result = await cli('apps:create', bad);
      expect(result.code, bad).to.equal(1);
      expect(result.stderr.trim().split('\n'), bad).to.have.length(1);
      expect(result.stderr).to.include('is not a valid app name');
    }
    const apps = JSON.parse((await cli('apps', '--json')).stdout) as unknown[];
    expect(apps).to.have.length(0);
  });

  it('creates an app, refuses a duplicate, and shows it in apps and apps:info', async function () {
    const app = uniqueName('cli');
    expect((await cli('apps:create', app)).code).to.equal(0);
    const duplicate = await cli('apps:create', app);
    expect(duplicate.code).to.equal(1);
    expect(duplicate.stderr).to.include('already exists');
    expect((await cli('apps')).stdout).to.include(app);
    const info = JSON.parse((await cli('apps:info', app, '--json')).stdout) as { name: string; gitUrl: string };
    expect(info.name).to.equal(app);
    expect(info.gitUrl).to.equal(slipway.gitUrl(app));
    expect((await cli('apps:destroy', app, '--confirm', app)).code).to.equal(0);
  });

  it('deploys a Dockerfile app pushed through the remote that git:remote adds', async function () {
    const app = uniqueName('docker');
    expect((await cli('apps:create', app)).code).to.equal(0);
    const copy = await WorkingCopy.fromFixture('dockerfile-basic', key.privateKey);
    try {
      const remote = await run('node', [path.join(REPO_ROOT, 'bin', 'slipway'), 'git:remote', app], {
        cwd: copy.dir,
        env: { SLIPWAY_API_URL: `http://127.0.0.1:${slipway.platform.apiPort}`, SLIPWAY_TOKEN: slipway.token, NO_COLOR: '1' },
      });
      expect(remote.code, remote.output).to.equal(0);
      const push = await copy.git('push', 'slipway', 'main');
      expect(push.code, push.output).to.equal(0);
      expect(push.output).to.include('Building with the Dockerfile');
      // Which rule chose the builder, and how to choose buildpacks instead.
      expect(push.output).to.include('A Dockerfile at the root of the repository is built with Docker when the app has no buildpacks set');
      expect(push.output).to.include(`slipway buildpacks:set ${app} nodejs`);
      expect((await slipway.fetchApp(app)).body).to.match(/^Hello from a Dockerfile on Node\.js v/);
      const releases = await cli('releases', app);
      expect(releases.stdout).to.match(/v1/);
      expect(releases.stdout).to.include('Deploy');
    } finally {
      copy.remove();
    }
    const registry = new HttpRegistry(slipway.config.registry);
    const docker = new Docker({ socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') || '/var/run/docker.sock' });
    const repository = `${slipway.config.registry}/${app}`;
    expect(await registry.tags(app)).to.have.length(1);
    expect(await docker.listImages({ filters: { reference: [repository] } })).to.have.length(1);
    const destroyed = await cli('apps:destroy', app, '--confirm', app);
    expect(destroyed.code, destroyed.output).to.equal(0);
    expect((await slipway.fetchApp(app)).status).to.equal(404);
    expect(fs.existsSync(path.join(slipway.stateDir, 'repos', `${app}.git`))).to.equal(false);
    // Its images are gone from the registry and from the Docker host.
    expect(await registry.tags(app)).to.deep.equal([]);
    expect(await docker.listImages({ filters: { reference: [repository] } })).to.deep.equal([]);
  });

  it('shows the registry\'s size to the admin (registry:info), and refuses a caller without a token', async function () {
    const info = await cli('registry:info');
    expect(info.code, info.output).to.equal(0);
    expect(info.stdout).to.include(`=== Registry ${slipway.config.registry}`).and.match(/Size: +\d/);
    const json = JSON.parse((await cli('registry:info', '--json')).stdout) as { repositories: number; bytes: number };
    expect(json.repositories).to.be.a('number');
    const anonymous = await fetch(`http://127.0.0.1:${slipway.platform.apiPort}/api/v1/registry`);
    expect(anonymous.status).to.equal(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).to.equal('unauthorized');
  });

  it('refuses a Dockerfile whose base image is not on the Docker host, saying how to load it', async function () {
    const app = uniqueName('docker-from');
    expect((await cli('apps:create', app)).code).to.equal(0);
    const copy = await WorkingCopy.fromFixture('dockerfile-basic', key.privateKey);
    try {
      copy.write('Dockerfile', 'FROM slipway-test/no-such-base:1\nCMD ["true"]\n');
      await copy.commitAll('A base image nobody has');
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code, push.output).to.not.equal(0);
      expect(push.output).to.include('base image slipway-test/no-such-base:1 (FROM) is not on the Docker host');
      expect(push.output).to.include('docker load -i image.tar');
      expect(push.output).to.include(`docker push ${slipway.config.registry}/no-such-base:1`);
      expect(push.output).to.not.match(/dial tcp|no such host|pull access denied/);
    } finally {
      copy.remove();
      await cli('apps:destroy', app, '--confirm', app);
    }
  });

  it('refuses apps:destroy without the matching --confirm and keeps the app', async function () {
    const app = uniqueName('keep');
    await cli('apps:create', app);
    const refused = await cli('apps:destroy', app);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include('--confirm');
    expect((await cli('apps:info', app)).code).to.equal(0);
    await cli('apps:destroy', app, '--confirm', app);
  });

  it('refuses a repository with nothing to detect, listing what is supported', async function () {
    const app = uniqueName('nothing');
    await cli('apps:create', app);
    const copy = await WorkingCopy.fromFixture('empty-detect', key.privateKey);
    try {
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code).to.not.equal(0);
      expect(push.output).to.include('No buildpack detected this app. Supported: a Dockerfile at the root; Node.js (package.json)');
      const [release] = JSON.parse((await cli('releases', app, '--json')).stdout) as unknown[];
      expect(release).to.equal(undefined); // a failed build makes no release
    } finally {
      copy.remove();
      await cli('apps:destroy', app, '--confirm', app);
    }
  });

  it('builds two apps pushed at the same time, and serialises two pushes to one app', async function () {
    const [first, second] = [uniqueName('par'), uniqueName('par')];
    await cli('apps:create', first);
    await cli('apps:create', second);
    const copies = await Promise.all([
      WorkingCopy.fromFixture('dockerfile-basic', key.privateKey),
      WorkingCopy.fromFixture('dockerfile-basic', key.privateKey),
    ]);
    try {
      const pushes = await Promise.all([copies[0]!.push(slipway.gitUrl(first)), copies[1]!.push(slipway.gitUrl(second))]);
      for (const push of pushes) expect(push.code, push.output).to.equal(0);
      expect((await slipway.fetchApp(first)).status).to.equal(200);
      expect((await slipway.fetchApp(second)).status).to.equal(200);

      copies[0]!.write('extra.txt', 'one');
      await copies[0]!.commitAll('one');
      copies[1]!.write('extra.txt', 'two');
      await copies[1]!.commitAll('two');
      // Both force: whichever lands second replaces the first, as two developers pushing -f would.
      const same = await Promise.all([copies[0]!.push(slipway.gitUrl(first), '+main:main'), copies[1]!.push(slipway.gitUrl(first), '+main:main')]);
      expect(same.map((p) => p.code)).to.deep.equal([0, 0]);
      expect(same.some((p) => p.output.includes(`Waiting for another push to ${first} to finish`))).to.equal(true);
      const releases = JSON.parse((await cli('releases', first, '--json')).stdout) as Array<{ version: number; status: string }>;
      expect(releases.map((r) => [r.version, r.status])).to.deep.equal([[3, 'succeeded'], [2, 'succeeded'], [1, 'succeeded']]);
    } finally {
      for (const copy of copies) copy.remove();
      await cli('apps:destroy', first, '--confirm', first);
      await cli('apps:destroy', second, '--confirm', second);
    }
  });
});

/**
 * The buildpack framework end to end, driven as a user drives it: the `slipway` CLI against the
 * real API, real git pushes over SSH, builds in Docker, the registry, the Deployer and the router.
 * The buildpacks are test fixtures written from the public Heroku buildpack API
 * (test/fixtures/buildpacks/), served by a real git daemon, as a tarball over HTTP, or from a
 * directory on the host.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import Docker from 'dockerode';
import { pushImage } from '../../builder/registry';
import { freePort, makeSshKey, REPO_ROOT, run, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../support/slipway';
import { waitFor } from '../integration/engine/wait-for';

const BIN = path.join(REPO_ROOT, 'bin', 'slipway');
const BUILDPACKS = path.join(REPO_ROOT, 'test', 'fixtures', 'buildpacks');
const docker = new Docker({ socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') || '/var/run/docker.sock' });

interface BuildJson {
  id: string;
  status: string;
  image: string | null;
  digest: string | null;
  processTypes: Record<string, string>;
  imageSize: number | null;
  sourceImage: string | null;
  buildpacks: string[];
}

/** "key=value" lines of the fixture apps' answers. */
function report(body: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of body.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1);
  }
  return fields;
}

/** A bare repository holding a fixture buildpack, tagged v1, served by `git daemon` on loopback. */
async function serveBuildpackOverGit(fixture: string, root: string): Promise<{ url: string; daemon: ChildProcess }> {
  const work = path.join(root, 'work');
  fs.cpSync(path.join(BUILDPACKS, fixture), work, { recursive: true });
  const env = { GIT_AUTHOR_NAME: 'Buildpack Author', GIT_AUTHOR_EMAIL: 'author@example.com', GIT_COMMITTER_NAME: 'Buildpack Author', GIT_COMMITTER_EMAIL: 'author@example.com' };
  for (const args of [['init', '-q', '--initial-branch=main'], ['add', '-A'], ['commit', '-q', '-m', 'Hello Perl buildpack'], ['tag', 'v1']]) {
    const result = await run('git', args, { cwd: work, env });
    expect(result.code, result.output).to.equal(0);
  }
  // After v1, main moves on with a broken detect: only #v1 builds.
  fs.writeFileSync(path.join(work, 'bin', 'detect'), '#!/usr/bin/env bash\nexit 1\n', { mode: 0o755 });
  await run('git', ['commit', '-q', '-am', 'Work in progress'], { cwd: work, env });
  const bare = path.join(root, `${fixture}.git`);
  expect((await run('git', ['clone', '-q', '--bare', work, bare])).code).to.equal(0);
  const port = await freePort();
  const daemon = spawn('git', ['daemon', '--reuseaddr', '--listen=127.0.0.1', `--port=${port}`, `--base-path=${root}`, '--export-all', root], { stdio: 'ignore' });
  const url = `git://127.0.0.1:${port}/${fixture}.git`;
  await waitFor('git daemon', async () => (await run('git', ['ls-remote', url])).code === 0, { timeoutMs: 20_000 });
  return { url, daemon };
}

describe('the buildpack framework (end to end)', function () {
  let slipway: TestSlipway;
  let home: string;
  let key: { privateKey: string; publicKey: string };
  let gitRoot: string;
  let gitBuildpack: { url: string; daemon: ChildProcess };
  const apps: string[] = [];
  const copies: WorkingCopy[] = [];

  const cli = (...args: string[]) => run('node', [BIN, ...args], {
    cwd: home,
    env: { SLIPWAY_API_URL: `http://127.0.0.1:${slipway.platform.apiPort}`, SLIPWAY_TOKEN: slipway.token, NO_COLOR: '1', HOME: home },
  });
  async function cliOk(...args: string[]): Promise<string> {
    const result = await cli(...args);
    expect(result.code, `slipway ${args.join(' ')}: ${result.output}`).to.equal(0);
    return result.stdout;
  }
  async function createApp(prefix: string): Promise<string> {
    const app = uniqueName(prefix);
    await cliOk('apps:create', app);
    apps.push(app);
    return app;
  }
  async function copyOf(fixture: string): Promise<WorkingCopy> {
    const copy = await WorkingCopy.fromFixture(fixture, key.privateKey);
    copies.push(copy);
    return copy;
  }
  async function builds(app: string): Promise<BuildJson[]> {
    return (await slipway.api<BuildJson[]>('GET', `/apps/${app}/builds`)).body;
  }
  async function served(app: string): Promise<Record<string, string>> {
    const response = await slipway.fetchApp(app);
    expect(response.status, response.body).to.equal(200);
    return report(response.body);
  }

  before(async function () {
    slipway = await startTestSlipway();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-home-'));
    key = await makeSshKey(home);
    expect((await slipway.api('POST', '/keys', { publicKey: key.publicKey })).status).to.equal(201);
    gitRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-buildpack-git-'));
    gitBuildpack = await serveBuildpackOverGit('third-party', gitRoot);
  });

  after(async function () {
    for (const app of apps) await slipway.api('DELETE', `/apps/${app}?confirm=${app}`);
    for (const copy of copies) copy.remove();
    gitBuildpack?.daemon.kill();
    fs.rmSync(gitRoot, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
    await slipway.close();
  });

  describe('a third-party buildpack from a git URL, unmodified', function () {
    let app: string;
    let copy: WorkingCopy;

    it('builds with ENV_DIR and STACK, unprivileged, and runs the app with .profile.d and bin/release\'s process types', async function () {
      app = await createApp('third');
      await cliOk('config:set', app, 'GREETING=hi', 'OTHER=a=b');
      const set = await cliOk('buildpacks:set', app, `${gitBuildpack.url}#v1`);
      expect(set).to.include(`Buildpack set. Next release on ${app} will use ${gitBuildpack.url}#v1.`);
      const listed = JSON.parse(await cliOk('buildpacks', app, '--json')) as Array<{ index: number; buildpack: string; kind: string }>;
      expect(listed).to.deep.equal([{ index: 1, buildpack: `${gitBuildpack.url}#v1`, kind: 'git' }]);

      copy = await copyOf('hello-perl');
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code, push.output).to.equal(0);
      expect(push.output).to.include(`remote: -----> Fetching buildpack ${gitBuildpack.url}#v1`);
      expect(push.output).to.include('remote: -----> Hello Perl app detected');
      expect(push.output).to.include('remote:        Config vars: GREETING,OTHER');
      expect(push.output).to.include('remote:        Stack: slipway-bookworm, building as uid 1000');
      expect(push.output).to.match(/remote: -----> Image size: [\d.]+ MB \(the run stack is [\d.]+ MB of it, the app [\d.]+ (KB|MB)\)/);

      const seen = await served(app);
      expect(seen).to.include({
        uid: '1000', home: '/app', pwd: '/app', 'build-uid': '1000', stack: 'slipway-bookworm',
        'build-count': '1', greeting: 'hi', profile: 'profile saw GREETING=hi',
        'ignored-present': 'no', 'kept-present': 'yes', // .slugignore's *.psd left out
      });
      expect(seen['env-dir']!.split(';')).to.include.members(['GREETING=hi', 'OTHER=a=b']);

      const [build] = await builds(app);
      expect(build!.processTypes).to.deep.equal({ web: 'perl hello.pl', greet: 'perl hello.pl --once' });
      expect(build!.imageSize).to.be.a('number').greaterThan(1_000_000);
      expect(build!.buildpacks).to.deep.equal([`${gitBuildpack.url}#v1`]);
      const image = await docker.getImage(build!.image!).inspect();
      expect(image.Config.User).to.equal('1000:1000');

      // One-off processes run like the app's: the app user, HOME=/app, .profile.d sourced; and bin/release's other type.
      const oneOff = await cli('run', app, 'echo "$(id -u) $(id -un) $HOME $HELLO_PROFILE"');
      expect(oneOff.code, oneOff.output).to.equal(0);
      expect(oneOff.stdout.trim()).to.equal('1000 app /app profile saw GREETING=hi');
      const greet = await cli('run', app, 'perl hello.pl --once');
      expect(report(greet.stdout)).to.include({ uid: '1000', profile: 'profile saw GREETING=hi' });
    });

    it('keeps CACHE_DIR between two builds of the app and shows the cache size', async function () {
      copy.write('CHANGES', 'second build\n');
      await copy.commitAll('Second build');
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code, push.output).to.equal(0);
      expect(push.output).to.include('remote:        Build 2 of this app with this cache');
      expect(push.output).to.match(/remote:        Build cache: [\d.]+ KB \(kept for the next build/);
      expect((await served(app))['build-count']).to.equal('2');

      const cache = JSON.parse(await cliOk('repo:cache', app, '--json')) as { exists: boolean; sizeBytes: number; volume: string };
      expect(cache.exists).to.equal(true);
      expect(cache.sizeBytes).to.be.greaterThan(0);
      expect(cache.volume).to.equal(`slipway-cache-${app}`);
      expect(await cliOk('repo:cache', app)).to.match(/Size: +[\d.]+ KB/);
    });

    it('app.json on the first deploy: refuses it without the required vars, then sets defaults, a secret and the buildpacks', async function () {
      const other = await createApp('appjson');
      const json = await copyOf('app-json-env');
      json.write('app.json', JSON.stringify({
        env: {
          DATABASE_URL: { description: 'where the data lives', required: true },
          SECRET_KEY: { description: 'signs sessions', generator: 'secret' },
          GREETING: { value: 'hello from app.json' },
          OPTIONAL_THING: { required: false },
        },
        buildpacks: [{ url: path.join(BUILDPACKS, 'third-party') }],
        formation: { web: { quantity: 1 } },
        scripts: { postdeploy: 'echo "postdeploy ran as uid $(id -u)"' },
      }, null, 2));
      await json.commitAll('app.json');

      const refused = await json.push(slipway.gitUrl(other));
      expect(refused.code).to.not.equal(0);
      expect(refused.output).to.include(`app.json requires config vars that ${other} does not have: DATABASE_URL (where the data lives)`);
      expect(refused.output).to.include(`slipway config:set ${other} DATABASE_URL=…`);
      expect(await builds(other)).to.deep.equal([]); // refused before building anything

      await cliOk('config:set', other, 'DATABASE_URL=postgres://db/app');
      const push = await json.push(slipway.gitUrl(other));
      expect(push.code, push.output).to.equal(0);
      expect(push.output).to.include('remote: -----> Setting the app up from app.json (first deploy)');
      expect(push.output).to.include('remote:        app.json: set GREETING to the default it gives');
      expect(push.output).to.include('remote:        app.json: generated a secret for SECRET_KEY');
      expect(push.output).to.include('remote: -----> Using the buildpack set on the app');
      expect(push.output).to.include('remote:        postdeploy ran as uid 1000');
      const config = JSON.parse(await cliOk('config', other, '--json')) as Record<string, string>;
      expect(config.SECRET_KEY).to.match(/^[0-9a-f]{64}$/);
      expect(config).to.include({ GREETING: 'hello from app.json', DATABASE_URL: 'postgres://db/app' });
      expect(config).to.not.have.property('OPTIONAL_THING');
      expect(JSON.parse(await cliOk('buildpacks', other, '--json'))).to.deep.equal([
        { index: 1, buildpack: path.join(BUILDPACKS, 'third-party'), kind: 'path' },
      ]);
      // Its own cache: the first app's count is at 2, this one starts at 1.
      expect(await served(other)).to.include({ 'build-count': '1', greeting: 'hello from app.json' });

      json.write('CHANGES', 'again\n');
      await json.commitAll('Again');
      const again = await json.push(slipway.gitUrl(other));
      expect(again.code, again.output).to.equal(0);
      expect(again.output).to.not.include('app.json: generated');
      const after = JSON.parse(await cliOk('config', other, '--json')) as Record<string, string>;
      expect(after.SECRET_KEY).to.equal(config.SECRET_KEY); // generated once
    });

    it('repo:purge-cache clears the cache: the next build starts from scratch', async function () {
      expect(await cliOk('repo:purge-cache', app)).to.include(`Purging the build cache of ${app}... done`);
      const cache = JSON.parse(await cliOk('repo:cache', app, '--json')) as { exists: boolean; sizeBytes: number };
      expect(cache).to.include({ exists: false, sizeBytes: 0 });
      copy.write('CHANGES', 'third build\n');
      await copy.commitAll('Third build');
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code, push.output).to.equal(0);
      expect((await served(app))['build-count']).to.equal('1');
    });
  });

  it('runs several buildpacks in order from .buildpacks; the last one\'s bin/release wins', async function () {
    const app = await createApp('multi');
    const copy = await copyOf('multi-buildpack');
    copy.write('.buildpacks', `# run in this order\n${path.join(BUILDPACKS, 'multi-first')}\n\n${path.join(BUILDPACKS, 'multi-second')}\n`);
    await copy.commitAll('Two buildpacks');
    const push = await copy.push(slipway.gitUrl(app));
    expect(push.code, push.output).to.equal(0);
    expect(push.output).to.include('remote: -----> Using the buildpacks from .buildpacks');
    const first = push.output.indexOf('remote: -----> Multi First app detected');
    const second = push.output.indexOf('remote: -----> Multi Second app detected');
    expect(first).to.be.greaterThan(-1);
    expect(second).to.be.greaterThan(first);
    expect(await served(app)).to.deep.equal({ order: 'first,second', 'seen-export': 'exported-by-first', 'released-by': 'second' });
    const [build] = await builds(app);
    expect(build!.processTypes).to.deep.equal({ web: 'perl order.pl second' });
    expect(build!.buildpacks).to.have.length(2);
  });

  describe('a root Dockerfile and buildpacks set on the app', function () {
    let app: string;

    it('builds the Dockerfile (keeping its USER) when no buildpacks are set', async function () {
      app = await createApp('dockerbp');
      const copy = await copyOf('dockerfile-and-procfile');
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code, push.output).to.equal(0);
      expect(push.output).to.include('Building with the Dockerfile');
      expect(await served(app)).to.include({ 'id-u': '4321', uid: '4321', 'built-with': 'dockerfile' });

      await cliOk('buildpacks:set', app, path.join(BUILDPACKS, 'procfile-only'));
      copy.write('CHANGES', 'with buildpacks\n');
      await copy.commitAll('Use buildpacks');
      const again = await copy.push(slipway.gitUrl(app));
      expect(again.code, again.output).to.equal(0);
      expect(again.output).to.not.include('Building with the Dockerfile');
      expect(again.output).to.include('remote: -----> Procfile app detected');
      // The Procfile's `id -u`: the app runs unprivileged, with HOME=/app.
      expect(await served(app)).to.include({ 'id-u': '1000', uid: '1000', home: '/app', 'built-with': 'buildpack' });
    });

    it('goes back to the Dockerfile after buildpacks:clear', async function () {
      expect(await cliOk('buildpacks:clear', app)).to.include('Buildpacks cleared.');
      expect(await cliOk('buildpacks', app)).to.include(`${app} has no buildpacks set`);
      const copy = copies[copies.length - 1]!;
      copy.write('CHANGES', 'back to docker\n');
      await copy.commitAll('Back to Docker');
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code, push.output).to.equal(0);
      expect(await served(app)).to.include({ 'id-u': '4321', 'built-with': 'dockerfile' });
    });
  });

  it('rejects a push whose buildpack (from BUILDPACK_URL) fails to compile, showing its output', async function () {
    const app = await createApp('failing');
    await cliOk('config:set', app, `BUILDPACK_URL=${path.join(BUILDPACKS, 'failing')}`);
    const copy = await copyOf('hello-perl');
    const push = await copy.push(slipway.gitUrl(app));
    expect(push.code).to.not.equal(0);
    expect(push.output).to.include('remote: -----> Using the buildpack from BUILDPACK_URL');
    expect(push.output).to.include('remote: -----> Compiling, badly');
    expect(push.output).to.include('failing-buildpack: this compile fails on purpose');
    expect(push.output).to.include('Failed to compile the app with Failing (its bin/compile exited with code 1)');
    expect(push.output).to.include('Push rejected');
    const [build] = await builds(app);
    expect(build!.status).to.equal('failed');
    expect((await slipway.api<unknown[]>('GET', `/apps/${app}/releases`)).body).to.deep.equal([]);
  });

  it('refuses buildpacks that cannot be used, saying what is accepted', async function () {
    const app = await createApp('refuse');
    const unknown = await cli('buildpacks:set', app, 'no-such-buildpack');
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.include('There is no built-in buildpack "no-such-buildpack"');
    const ftp = await cli('buildpacks:add', app, 'ftp://example.com/bp.tgz');
    expect(ftp.code).to.equal(1);
    expect(ftp.stderr).to.include('ftp:// URLs are not accepted');
    const notBuildpack = await cli('buildpacks:set', app, os.tmpdir());
    expect(notBuildpack.code).to.equal(1);
    expect(notBuildpack.stderr).to.include('is not a buildpack');
    expect(JSON.parse(await cliOk('buildpacks', app, '--json'))).to.deep.equal([]);
  });

  it('deploys an existing image with deploy --image, from the Docker host or pulled from a registry', async function () {
    const source = await createApp('imgsrc');
    const copy = await copyOf('multi-buildpack');
    copy.write('.buildpacks', `${path.join(BUILDPACKS, 'multi-first')}\n${path.join(BUILDPACKS, 'multi-second')}\n`);
    await copy.commitAll('Two buildpacks');
    expect((await copy.push(slipway.gitUrl(source))).code).to.equal(0);
    const [built] = await builds(source);

    const app = await createApp('image');
    const deployed = await cliOk('deploy', app, '--image', built!.image!);
    expect(deployed).to.include(`Deploying ${built!.image} to ${app}... done, v1`);
    expect(await served(app)).to.include({ order: 'first,second', 'released-by': 'second' });
    const [build] = await builds(app);
    expect(build).to.include({ status: 'succeeded', sourceImage: built!.image });
    expect(build!.image).to.match(new RegExp(`/${app}:`));
    expect(build!.digest).to.match(/^sha256:[0-9a-f]{64}$/);
    const releases = (await slipway.api<Array<{ description: string }>>('GET', `/apps/${app}/releases`)).body;
    expect(releases[0]!.description).to.equal(`Deploy image ${built!.image}`);

    // Not on the Docker host: pulled from the registry first.
    const remote = `${slipway.config.registry}/${uniqueName('imported')}`;
    await docker.getImage(built!.image!).tag({ repo: remote, tag: 'v1' });
    expect(await pushImage(docker, `${remote}:v1`)).to.match(/^sha256:/);
    await docker.getImage(`${remote}:v1`).remove();
    const pulledApp = await createApp('pulled');
    expect(await cliOk('deploy', pulledApp, '--image', `${remote}:v1`)).to.include('done, v1');
    expect(await docker.getImage(`${remote}:v1`).inspect().then(() => true, () => false)).to.equal(true);
    expect(await served(pulledApp)).to.include({ 'released-by': 'second' });
    await docker.getImage(`${remote}:v1`).remove().catch(() => undefined);

    const missing = await cli('deploy', pulledApp, '--image', `${slipway.config.registry}/${uniqueName('nothing')}:v9`);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.include('Could not pull the image');
  });
});

describe('the build time limit (end to end)', function () {
  let slipway: TestSlipway;
  let home: string;
  let server: http.Server;
  let tarball: string;
  const app = uniqueName('slow');

  before(async function () {
    slipway = await startTestSlipway({ SLIPWAY_BUILD_TIMEOUT: '15' });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-home-'));
    const packed = await run('tar', ['-czf', path.join(home, 'slow.tgz'), '-C', BUILDPACKS, 'slow']);
    expect(packed.code, packed.output).to.equal(0);
    server = http.createServer((req, res) => {
      if (req.url !== '/buildpacks/slow.tgz') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/gzip' });
      fs.createReadStream(path.join(home, 'slow.tgz')).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    tarball = `http://127.0.0.1:${(server.address() as { port: number }).port}/buildpacks/slow.tgz`;
  });

  after(async function () {
    await slipway.api('DELETE', `/apps/${app}?confirm=${app}`);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(home, { recursive: true, force: true });
    await slipway.close();
  });

  it('stops a build that runs too long, kills its container and rejects the push saying why', async function () {
    const key = await makeSshKey(home);
    expect((await slipway.api('POST', '/keys', { publicKey: key.publicKey })).status).to.equal(201);
    expect((await slipway.api('POST', '/apps', { name: app })).status).to.equal(201);
    expect((await slipway.api('PUT', `/apps/${app}/buildpacks`, { buildpacks: [tarball] })).status).to.equal(200);
    const copy = await WorkingCopy.fromFixture('hello-perl', key.privateKey);
    try {
      const started = Date.now();
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code).to.not.equal(0);
      expect(push.output).to.include(`remote: -----> Fetching buildpack ${tarball}`);
      expect(push.output, push.output).to.include('remote: -----> Compiling for a very long time');
      expect(push.output).to.include('The build ran longer than 15 seconds and was stopped (the limit is SLIPWAY_BUILD_TIMEOUT=15 seconds).');
      expect(push.output).to.include('Push rejected');
      expect(Date.now() - started).to.be.lessThan(60_000);
    } finally {
      copy.remove();
    }
    const left = await docker.listContainers({ all: true, filters: { label: [`slipway.app=${app}`] } });
    expect(left.map((c) => c.Names)).to.deep.equal([]);
    const [build] = (await slipway.api<BuildJson[]>('GET', `/apps/${app}/builds`)).body;
    expect(build!.status).to.equal('failed');
  });

  it('stops a Dockerfile build that runs too long as well', async function () {
    const key = await makeSshKey(home, 'docker_key');
    expect((await slipway.api('POST', '/keys', { publicKey: key.publicKey })).status).to.equal(201);
    const dockerApp = uniqueName('slowdocker');
    expect((await slipway.api('POST', '/apps', { name: dockerApp })).status).to.equal(201);
    const copy = await WorkingCopy.fromFixture('dockerfile-basic', key.privateKey);
    try {
      copy.write('Dockerfile', `FROM slipway/stack-build:latest\nRUN echo "slow build of ${dockerApp}" && sleep 600\n`);
      await copy.commitAll('Slow Dockerfile');
      const push = await copy.push(slipway.gitUrl(dockerApp));
      expect(push.code).to.not.equal(0);
      expect(push.output).to.include('remote: -----> Building with the Dockerfile');
      expect(push.output).to.include('The build ran longer than 15 seconds and was stopped');
      // dockerd cancels the build when its client goes: its RUN container goes too.
      await waitFor('the RUN container to be gone', async () => {
        const all = await docker.listContainers({ all: true });
        return !all.some((c) => c.Command.includes(`slow build of ${dockerApp}`));
      }, { timeoutMs: 30_000 });
    } finally {
      copy.remove();
      await slipway.api('DELETE', `/apps/${dockerApp}?confirm=${dockerApp}`);
    }
  });
});

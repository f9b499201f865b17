/**
 * The whole CLI, run as `node bin/slipway …` in a child process against a fake API server.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { App, Key, Release } from '../../../cli/api-types';
import { type FakeApi, startFakeApi } from './fake-api';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'slipway');

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('slipway CLI (child process)', function () {
  this.timeout(20_000);

  let api: FakeApi;
  let tmp: string;
  let home: string;
  let stateDir: string;

  function env(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const base: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      SLIPWAY_API_URL: api.url,
      SLIPWAY_TOKEN: api.token,
      SLIPWAY_STATE_DIR: stateDir,
      NO_COLOR: '1',
      GIT_CONFIG_NOSYSTEM: '1',
    };
    for (const [name, value] of Object.entries(overrides)) {
      if (value === undefined) delete base[name];
      else base[name] = value;
    }
    return base;
  }

  /** Async on purpose: the fake API runs in this process and must keep answering. */
  function run(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: options.cwd ?? tmp,
        env: options.env ?? env(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  function seedApp(name: string, currentRelease: number | null = null): void {
    api.apps.set(name, {
      name,
      url: `http://${name}.slipway.test`,
      gitUrl: `ssh://git@git.slipway.test:2222/${name}.git`,
      createdAt: new Date(Date.now() - 3_600_000).toISOString(),
      currentRelease,
      formation: [{ type: 'web', quantity: 1, memoryMb: 512, cpu: 0.5 }],
      instances: [{ id: 'web-1', type: 'web', state: 'running', release: currentRelease, url: 'http://127.0.0.1:32768', startedAt: null, restartCount: 0 }],
      release: null,
    });
  }

  function gitInit(name: string): string {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir);
    execFileSync('git', ['init', '-q', dir], { env: env() });
    return dir;
  }

  function gitRemoteUrl(dir: string, remote: string): string {
    return execFileSync('git', ['remote', 'get-url', remote], { cwd: dir, env: env(), encoding: 'utf8' }).trim();
  }

  function expectOneErrorLine(result: RunResult): string {
    expect(result.code).to.equal(1);
    expect(result.stdout).to.equal('');
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    expect(lines, result.stderr).to.have.length(1);
    expect(lines[0]).to.match(/^ ! {4}\S/);
    return lines[0];
  }

  beforeEach(async () => {
    api = await startFakeApi();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-'));
    home = path.join(tmp, 'home');
    stateDir = path.join(tmp, 'state');
    fs.mkdirSync(home);
    fs.mkdirSync(stateDir);
  });

  afterEach(async () => {
    await api.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('apps:create', () => {
    it('sends the name with the token and prints success', async () => {
      const result = await run(['apps:create', 'shop']);
      expect(result.stderr).to.equal('');
      expect(result.code).to.equal(0);
      expect(api.requests).to.have.length(1);
      const [request] = api.requests;
      expect(request.method).to.equal('POST');
      expect(request.url).to.equal('/api/v1/apps');
      expect(request.authorization).to.equal(`Bearer ${api.token}`);
      expect(request.contentType).to.equal('application/json');
      expect(request.body).to.deep.equal({ name: 'shop' });
      expect(result.stdout).to.include('Creating shop... done');
      expect(result.stdout).to.include('http://shop.slipway.test | ssh://git@git.slipway.test:2222/shop.git');
      expect(api.apps.has('shop')).to.equal(true);
    });

    it('prints an API error as one line on stderr and exits 1', async () => {
      seedApp('shop');
      const result = await run(['apps:create', 'shop']);
      expect(expectOneErrorLine(result)).to.equal(' !    The app shop already exists: pick another name.');
    });

    it('prints a rejected token as one line', async () => {
      const result = await run(['apps:create', 'shop'], { env: env({ SLIPWAY_TOKEN: 'wrong' }) });
      expect(expectOneErrorLine(result)).to.equal(' !    The API token is missing or wrong.');
    });
  });

  describe('connection settings', () => {
    it('reads the token and API URL from $SLIPWAY_STATE_DIR/admin-credentials.json', async () => {
      fs.writeFileSync(
        path.join(stateDir, 'admin-credentials.json'),
        JSON.stringify({ apiUrl: api.url, token: api.token, user: 'admin' }),
      );
      const result = await run(['apps', '--json'], { env: env({ SLIPWAY_TOKEN: undefined, SLIPWAY_API_URL: undefined }) });
      expect(result.stderr).to.equal('');
      expect(result.code).to.equal(0);
      expect(api.requests[0].authorization).to.equal(`Bearer ${api.token}`);
    });

    it('without a token, says where it looked in one line and makes no call', async () => {
      const result = await run(['apps'], { env: env({ SLIPWAY_TOKEN: undefined }) });
      const line = expectOneErrorLine(result);
      expect(line).to.include('No Slipway API token');
      expect(line).to.include(path.join(stateDir, 'admin-credentials.json'));
      expect(line).to.include(path.join(home, '.slipway', 'credentials.json'));
      expect(api.requests).to.have.length(0);
    });

    it('says the API is not reachable when nothing listens', async () => {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const url = `http://127.0.0.1:${port}`;
      const result = await run(['apps'], { env: env({ SLIPWAY_API_URL: url }) });
      expect(expectOneErrorLine(result)).to.equal(
        ` !    The Slipway API is not reachable at ${url} (connection refused): start the platform with scripts/up, or set SLIPWAY_API_URL.`,
      );
    });
  });

  describe('apps:destroy', () => {
    it('without --confirm, makes no call, says how to confirm and exits 1', async () => {
      seedApp('shop');
      const result = await run(['apps:destroy', 'shop']);
      expect(expectOneErrorLine(result)).to.include('slipway apps:destroy shop --confirm shop');
      expect(api.requests).to.have.length(0);
      expect(api.apps.has('shop')).to.equal(true);
    });

    it('with a --confirm that does not match, makes no call either', async () => {
      seedApp('shop');
      const result = await run(['apps:destroy', 'shop', '--confirm', 'shoe']);
      expect(expectOneErrorLine(result)).to.include('--confirm shoe does not match');
      expect(api.requests).to.have.length(0);
    });

    it('with the matching --confirm, deletes the app', async () => {
      seedApp('shop');
      const result = await run(['apps:destroy', 'shop', '--confirm', 'shop']);
      expect(result.code).to.equal(0);
      expect(api.requests.map((r) => `${r.method} ${r.url}`)).to.deep.equal(['DELETE /api/v1/apps/shop?confirm=shop']);
      expect(result.stdout).to.include('Destroying shop... done');
      expect(api.apps.has('shop')).to.equal(false);
    });
  });

  describe('git:remote', () => {
    it('adds the remote "slipway" in the current git repository', async () => {
      seedApp('shop');
      const repo = gitInit('repo');
      const result = await run(['git:remote', 'shop'], { cwd: repo });
      expect(result.stderr).to.equal('');
      expect(result.code).to.equal(0);
      expect(gitRemoteUrl(repo, 'slipway')).to.equal('ssh://git@git.slipway.test:2222/shop.git');
      expect(result.stdout).to.include('Git remote slipway added: ssh://git@git.slipway.test:2222/shop.git');
      expect(api.requests.map((r) => `${r.method} ${r.url}`)).to.deep.equal(['GET /api/v1/apps/shop', 'GET /api/v1/info']);
    });

    it('adds a remote of another name with -r, and updates an existing one', async () => {
      seedApp('shop');
      const repo = gitInit('repo');
      execFileSync('git', ['remote', 'add', 'staging', 'ssh://old.example/shop.git'], { cwd: repo, env: env() });
      const result = await run(['git:remote', 'shop', '-r', 'staging'], { cwd: repo });
      expect(result.code).to.equal(0);
      expect(result.stdout).to.include('Git remote staging updated');
      expect(gitRemoteUrl(repo, 'staging')).to.equal('ssh://git@git.slipway.test:2222/shop.git');
    });

    it('refuses an unknown app without touching git', async () => {
      const repo = gitInit('repo');
      const result = await run(['git:remote', 'nope'], { cwd: repo });
      expect(expectOneErrorLine(result)).to.equal(" !    Couldn't find that app: nope.");
      const remotes = execFileSync('git', ['remote'], { cwd: repo, env: env(), encoding: 'utf8' });
      expect(remotes.trim()).to.equal('');
    });

    it('refuses outside a git repository, before any call', async () => {
      seedApp('shop');
      const plain = path.join(tmp, 'plain');
      fs.mkdirSync(plain);
      const result = await run(['git:remote', 'shop'], { cwd: plain, env: env({ GIT_CEILING_DIRECTORIES: tmp }) });
      expect(expectOneErrorLine(result)).to.include('is not inside a git repository');
      expect(api.requests).to.have.length(0);
    });
  });

  describe('the app of a command: -a APP, --app APP, the slipway git remote', () => {
    it('takes the app from -a or --app', async () => {
      seedApp('shop');
      expect((await run(['apps:info', '-a', 'shop'])).code).to.equal(0);
      expect((await run(['releases', '--app', 'shop'])).code).to.equal(0);
      expect(api.requests.map((r) => `${r.method} ${r.url}`)).to.deep.equal(['GET /api/v1/apps/shop', 'GET /api/v1/apps/shop/releases']);
    });

    it('infers the app from the slipway git remote of the current directory, or from the remote -r names', async () => {
      seedApp('shop');
      seedApp('shop-staging');
      const repo = gitInit('repo');
      execFileSync('git', ['remote', 'add', 'slipway', 'ssh://git@git.slipway.test:2222/shop.git'], { cwd: repo, env: env() });
      execFileSync('git', ['remote', 'add', 'staging', 'ssh://git@git.slipway.test:2222/shop-staging.git'], { cwd: repo, env: env() });
      const result = await run(['apps:info'], { cwd: repo });
      expect(result.stderr).to.equal('');
      expect(result.stdout).to.include('shop');
      expect((await run(['apps:info', '-r', 'staging'], { cwd: repo })).code).to.equal(0);
      expect((await run(['apps:info', 'shop'], { cwd: repo })).code, 'the app as first argument still works').to.equal(0);
      expect(api.requests.map((r) => r.url)).to.deep.equal(['/api/v1/apps/shop', '/api/v1/apps/shop-staging', '/api/v1/apps/shop']);
    });

    it('says how to name the app when neither -a nor a slipway remote gives one, before any call', async () => {
      const result = await run(['config:get', 'GREETING'], { env: env({ GIT_CEILING_DIRECTORIES: tmp }) });
      expect(expectOneErrorLine(result)).to.equal(" !    No app given: add -a APP (or --app APP), or run the command in the app's git repository (slipway git:remote APP adds its `slipway` remote there).");
      expect(api.requests).to.have.length(0);
    });
  });

  describe('keys:add', () => {
    let keyFile: string;

    beforeEach(() => {
      keyFile = path.join(tmp, 'k');
      execFileSync('ssh-keygen', ['-t', 'ed25519', '-N', '', '-C', 'ci@test', '-f', keyFile, '-q']);
    });

    it('reads the key file and sends it', async () => {
      const result = await run(['keys:add', `${keyFile}.pub`]);
      expect(result.stderr).to.equal('');
      expect(result.code).to.equal(0);
      expect(api.requests).to.have.length(1);
      expect(api.requests[0].method).to.equal('POST');
      expect(api.requests[0].url).to.equal('/api/v1/keys');
      expect(api.requests[0].body).to.deep.equal({
        publicKey: fs.readFileSync(`${keyFile}.pub`, 'utf8').trim(),
        name: 'ci@test',
      });
      expect(result.stdout).to.include('Added key ci@test (SHA256:');
    });

    it('defaults to ~/.ssh/id_ed25519.pub and takes --name', async () => {
      fs.mkdirSync(path.join(home, '.ssh'));
      fs.copyFileSync(`${keyFile}.pub`, path.join(home, '.ssh', 'id_ed25519.pub'));
      const result = await run(['keys:add', '--name', 'laptop']);
      expect(result.code).to.equal(0);
      expect(result.stdout).to.include(`Uploading ${path.join(home, '.ssh', 'id_ed25519.pub')}... done`);
      expect(api.requests[0].body).to.have.property('name', 'laptop');
    });

    it('refuses a private key or a missing file without calling the API', async () => {
      expect(expectOneErrorLine(await run(['keys:add', keyFile]))).to.include('it is a private key');
      expect(expectOneErrorLine(await run(['keys:add']))).to.include('No public key found');
      expect(api.requests).to.have.length(0);
    });
  });

  describe('listings', () => {
    beforeEach(() => {
      seedApp('shop', 2);
      const releases: Release[] = [
        {
          version: 2,
          description: 'Deploy 9f8e7d6',
          status: 'failed',
          current: false,
          buildId: 'b2',
          commit: '9f8e7d6c5b4a',
          failureReason: 'web crashed on boot',
          createdAt: new Date(Date.now() - 3 * 60_000 - 5_000).toISOString(),
        },
        {
          version: 1,
          description: 'Deploy 1a2b3c4',
          status: 'succeeded',
          current: true,
          buildId: 'b1',
          commit: '1a2b3c4d5e6f',
          failureReason: null,
          createdAt: new Date(Date.now() - 2 * 3_600_000).toISOString(),
        },
      ];
      api.releases.set('shop', releases);
      api.keys.push({ id: 9, name: 'laptop', fingerprint: 'SHA256:abc', createdAt: new Date().toISOString() });
    });

    it('--json output parses, for apps, apps:info, releases and keys', async () => {
      const apps = await run(['apps', '--json']);
      expect(apps.code).to.equal(0);
      expect((JSON.parse(apps.stdout) as App[]).map((a) => a.name)).to.deep.equal(['shop']);

      const info = await run(['apps:info', 'shop', '--json']);
      expect(JSON.parse(info.stdout)).to.have.property('formation').that.deep.equals([{ type: 'web', quantity: 1, memoryMb: 512, cpu: 0.5 }]);

      const releases = await run(['releases', 'shop', '--json']);
      expect((JSON.parse(releases.stdout) as Release[]).map((r) => r.version)).to.deep.equal([2, 1]);

      const keys = await run(['keys', '--json']);
      expect((JSON.parse(keys.stdout) as Key[])[0]).to.include({ id: 9, fingerprint: 'SHA256:abc' });
    });

    it('prints tables without colour when stdout is not a TTY', async () => {
      const apps = await run(['apps'], { env: env({ NO_COLOR: undefined }) });
      expect(apps.stdout).to.match(/│ shop\s+│ v2\s+│ http:\/\/shop\.slipway\.test\s+│/);
      expect(apps.stdout).not.to.include('\u001b[');

      const releases = await run(['releases', 'shop']);
      expect(releases.stdout).to.match(/│ v2\s+│ failed\s+│ Deploy 9f8e7d6\s+│ 9f8e7d6 │ 3 minutes ago │/);
      expect(releases.stdout).to.include('failed: web crashed on boot');
      expect(releases.stdout).to.match(/│ v1 \(current\) │ succeeded │/);
    });

    it('colours release statuses with FORCE_COLOR', async () => {
      const releases = await run(['releases', 'shop'], { env: env({ NO_COLOR: undefined, FORCE_COLOR: '1' }) });
      expect(releases.stdout).to.include('\u001b[31mfailed');
      expect(releases.stdout).to.include('\u001b[32msucceeded');
    });

    it('apps:info shows the app and its instances', async () => {
      const result = await run(['apps:info', 'shop']);
      expect(result.code).to.equal(0);
      expect(result.stdout).to.match(/^=== shop\n/);
      expect(result.stdout).to.match(/Formation: +web=1/);
      expect(result.stdout).to.match(/│ web-1 │ web\s+│ running │ v2\s+│ http:\/\/127\.0\.0\.1:32768 │/);
    });

    it('keys:remove deletes by fingerprint', async () => {
      const result = await run(['keys:remove', 'SHA256:abc']);
      expect(result.code).to.equal(0);
      expect(api.requests.map((r) => `${r.method} ${r.url}`)).to.deep.equal(['DELETE /api/v1/keys/SHA256%3Aabc']);
      expect(api.keys).to.have.length(0);
    });
  });
});

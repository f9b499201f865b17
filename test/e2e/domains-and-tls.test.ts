/**
 * Custom domains and TLS through the real platform, driven with the CLI (`node bin/slipway …`):
 * domains:add/remove, certs:add/remove with certificates made by openssl in the test, a deployed
 * app served over HTTPS by SNI, a certificate replaced while requests flow, the HTTP → HTTPS
 * redirect, wildcard domains, and apps:destroy taking domains and certificates with it.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { certDir, makeCert, makeCertValidBetween, type TestCert } from '../support/certs';
import { httpGet, makeSshKey, REPO_ROOT, run, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../support/slipway';
import { handshake, httpsGet } from '../support/tls-client';

/** Resolves once `condition` holds (polling every few ms); never a fixed sleep. */
async function eventually(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function fingerprintOf(cert: TestCert): string {
  return new X509Certificate(cert.cert).fingerprint256;
}

describe('custom domains and TLS (end to end, with the CLI)', function () {
  let slipway: TestSlipway;
  let home: string;
  let certs: string;
  let copy: WorkingCopy;
  const app = uniqueName('tls');
  const other = uniqueName('tls-other');
  // Host names of this run only, so runs never see each other's domains.
  const zone = `${uniqueName('z')}.test`;
  const www = `www.${zone}`;
  let shopCert: TestCert;
  let renewedCert: TestCert;
  let wildcardCert: TestCert;

  const cli = (...args: string[]) => run('node', [path.join(REPO_ROOT, 'bin', 'slipway'), ...args], {
    cwd: certs,
    env: { SLIPWAY_API_URL: `http://127.0.0.1:${slipway.platform.apiPort}`, SLIPWAY_TOKEN: slipway.token, NO_COLOR: '1', HOME: home },
  });

  /** Runs the CLI and expects it to succeed. */
  async function ok(...args: string[]): Promise<string> {
    const result = await cli(...args);
    expect(result.code, `slipway ${args.join(' ')}: ${result.output}`).to.equal(0);
    return result.stdout;
  }

  /** Runs the CLI and expects one error line containing `message`. */
  async function refused(message: string, ...args: string[]): Promise<void> {
    const result = await cli(...args);
    expect(result.code, `slipway ${args.join(' ')}: ${result.output}`).to.equal(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines, result.stderr).to.have.length(1);
    expect(lines[0]).to.include(message);
  }

  before(async function () {
    this.timeout(120_000);
    slipway = await startTestSlipway();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-home-'));
    certs = certDir();
    [shopCert, renewedCert, wildcardCert] = await Promise.all([
      makeCert(certs, { cn: www, sans: [www, zone] }),
      makeCert(certs, { cn: www, sans: [www, zone] }),
      makeCert(certs, { cn: `*.${zone}`, sans: [`*.${zone}`] }),
    ]);
    await ok('apps:create', app);
    await ok('apps:create', other);
  });

  after(async function () {
    await cli('apps:destroy', app, '--confirm', app);
    await cli('apps:destroy', other, '--confirm', other);
    copy?.remove();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(certs, { recursive: true, force: true });
    await slipway.close();
  });

  it('adds, lists and removes custom domains, refusing what is not allowed with one line each', async function () {
    const added = await ok('domains:add', app, www.toUpperCase());
    expect(added).to.include(`Adding ${www} to ${app}... done`);
    expect(added).to.include(`certs:add ${app}`);
    await ok('domains:add', app, `*.${zone}`);

    await refused(`${www} already belongs to the app ${app}`, 'domains:add', other, www);
    await refused('is not a domain Slipway can serve', 'domains:add', app, 'bad_host.example.com');
    await refused('reserved for apps', 'domains:add', app, `${other}.${slipway.config.domain}`);
    await refused("the platform's own domain", 'domains:add', app, slipway.config.domain);
    await refused(`only that app may use names under it`, 'domains:add', app, `x.${other}.${slipway.config.domain}`);
    await refused('cannot be removed', 'domains:remove', app, `${app}.${slipway.config.domain}`);
    await refused(`is not a domain of ${app}`, 'domains:remove', app, `nope.${zone}`);

    const listed = JSON.parse(await ok('domains', app, '--json')) as Array<{ hostname: string; kind: string; wildcard: boolean }>;
    expect(listed.map((d) => [d.hostname, d.kind, d.wildcard])).to.deep.equal([
      [`${app}.${slipway.config.domain}`, 'default', false],
      [`*.${zone}`, 'custom', true],
      [www, 'custom', false],
    ]);
    const table = await ok('domains', app);
    expect(table).to.include(`=== ${app} Domains`);
    expect(table).to.include('Redirect HTTP to HTTPS: off');

    // The router sends the custom domain to the app (no process yet: R503, not R404).
    await eventually('the router knows the domain', async () => (await httpGet(slipway.config.routerPort, www, '/')).status === 503);
    expect((await httpGet(slipway.config.routerPort, `api.${zone}`, '/')).status).to.equal(503);

    await ok('domains:add', other, `shop.${zone}`);
    expect(await ok('domains:remove', other, `shop.${zone}`)).to.include('done');
  });

  it('refuses certificates that are not PEM, mismatched, expired or for none of the app\'s domains', async function () {
    this.timeout(60_000);
    fs.writeFileSync(path.join(certs, 'notes.txt'), 'this is not a certificate\n');
    await refused('The certificate is not in PEM format', 'certs:add', app, 'notes.txt', shopCert.keyFile);
    await refused('Cannot read the key file missing.key (no such file)', 'certs:add', app, shopCert.certFile, 'missing.key');
    await refused('The private key does not match the certificate', 'certs:add', app, shopCert.certFile, renewedCert.keyFile);
    await refused('holds a private key, not a certificate', 'certs:add', app, shopCert.keyFile, shopCert.certFile);
    const expired = await makeCertValidBetween(certs, { cn: www, sans: [www] }, '20200101000000Z', '20200201000000Z');
    await refused('expired on 2020-02-01', 'certs:add', app, expired.certFile, expired.keyFile);
    const elsewhere = await makeCert(certs, { cn: 'elsewhere.test', sans: ['elsewhere.test'] });
    await refused(`none of which is a domain of ${app}`, 'certs:add', app, elsewhere.certFile, elsewhere.keyFile);
    expect(await ok('certs', app)).to.include(`${app} has no certificates`);
  });

  it('serves the deployed app over HTTPS with its certificate by SNI', async function () {
    this.timeout(600_000);
    const keysDir = path.join(home, '.ssh');
    fs.mkdirSync(keysDir);
    const key = await makeSshKey(keysDir);
    await ok('keys:add', `${key.privateKey}.pub`);
    copy = await WorkingCopy.fromFixture('dockerfile-basic', key.privateKey);
    const push = await copy.push(slipway.gitUrl(app));
    expect(push.code, push.output).to.equal(0);

    const added = await ok('certs:add', app, shopCert.certFile, shopCert.keyFile);
    expect(added).to.include(`Adding a certificate to ${app}... done`);
    expect(added).to.include(`Serving ${www} over HTTPS`);

    const port = slipway.router.httpsPort;
    await eventually('the router presents the certificate', async () => (await handshake(port, www)).fingerprint === fingerprintOf(shopCert));
    const answer = await httpsGet(port, www, { ca: shopCert.cert });
    expect(answer.status).to.equal(200);
    expect(answer.body).to.match(/^Hello from a Dockerfile on Node\.js v/);
    // A client that sends no SNI gets the router's default certificate, and is still served by Host.
    expect((await handshake(port, null)).cn).to.equal('slipway-default');
    // The default domain has no certificate of its own.
    expect((await handshake(port, `${app}.${slipway.config.domain}`)).cn).to.equal('slipway-default');

    const listed = await ok('certs', app);
    expect(listed).to.include(`${www}, ${zone}`);
    expect(listed).to.include(`Serves:       ${www}`);
    expect(listed).to.include(`SHA256 ${fingerprintOf(shopCert)}`);
    expect(listed).to.match(/Expires:\s+\d{4}-\d{2}-\d{2} \(in /);
    const json = JSON.parse(await ok('certs', app, '--json')) as Array<Record<string, unknown>>;
    expect(json).to.have.length(1);
    expect(json[0]).to.not.have.property('privateKey');
    expect(JSON.stringify(json)).to.not.include('PRIVATE KEY');
  });

  it('replaces the certificate while serving: every request succeeds, the new one is served after the add', async function () {
    this.timeout(60_000);
    const port = slipway.router.httpsPort;
    const oldPrint = fingerprintOf(shopCert);
    const newPrint = fingerprintOf(renewedCert);
    const seen: string[] = [];
    const failures: string[] = [];
    let stop = false;
    const load = (async () => {
      while (!stop) {
        try {
          const answer = await httpsGet(port, www);
          if (answer.status !== 200 || !answer.body.startsWith('Hello from a Dockerfile')) failures.push(`${answer.status} ${answer.body.slice(0, 80)}`);
          seen.push(answer.fingerprint);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    })();
    await eventually('requests flow', () => seen.length >= 5);
    const added = await ok('certs:add', app, renewedCert.certFile, renewedCert.keyFile);
    expect(added).to.include(`Replaced the certificate for ${www}, ${zone}`);
    await eventually('the new certificate is served', () => seen.slice(-3).every((print) => print === newPrint) && seen.length > 8);
    stop = true;
    await load;
    expect(failures).to.deep.equal([]);
    const firstNew = seen.indexOf(newPrint);
    expect(seen.slice(0, firstNew).every((print) => print === oldPrint)).to.equal(true);
    expect(seen.slice(firstNew).every((print) => print === newPrint)).to.equal(true);
    const fingerprints = (JSON.parse(await ok('certs', app, '--json')) as Array<{ fingerprint: string }>).map((c) => c.fingerprint);
    expect(fingerprints).to.deep.equal([newPrint]);
  });

  it('serves a wildcard domain with a wildcard certificate, the exact certificate winning for its host', async function () {
    const port = slipway.router.httpsPort;
    const added = await ok('certs:add', app, wildcardCert.certFile, wildcardCert.keyFile);
    expect(added).to.include(`Serving *.${zone}`);
    await eventually('the wildcard certificate is served', async () => (await handshake(port, `api.${zone}`)).cn === `*.${zone}`);
    const api = await httpsGet(port, `api.${zone}`, { ca: wildcardCert.cert });
    expect(api.body).to.match(/^Hello from a Dockerfile/);
    expect((await handshake(port, www)).fingerprint).to.equal(fingerprintOf(renewedCert));
    // Removing the exact certificate leaves www to the wildcard one.
    const removed = await ok('certs:remove', app, www);
    expect(removed).to.include(`Removed the certificate for ${www}, ${zone}`);
    await eventually('the wildcard certificate serves www', async () => (await handshake(port, www)).cn === `*.${zone}`);
  });

  it('redirects plain HTTP to HTTPS when asked, and stops when told', async function () {
    const stdout = await ok('domains:redirect', app, 'on');
    expect(stdout).to.include('Redirecting HTTP to HTTPS');
    expect(await ok('domains:redirect', app)).to.include(': on');
    await eventually('the redirect is live', async () => (await httpGet(slipway.config.routerPort, www, '/a?b=1')).status === 301);
    const redirected = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: slipway.config.routerPort, path: '/a?b=1', headers: { host: www }, agent: false }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, location: res.headers.location });
      });
      req.on('error', reject);
    });
    expect(redirected).to.deep.equal({ status: 301, location: `https://${www}:${slipway.router.httpsPort}/a?b=1` });
    expect((await httpsGet(slipway.router.httpsPort, www, { path: '/a?b=1' })).status).to.equal(200);
    expect(await ok('domains', app)).to.include('Redirect HTTP to HTTPS: on');
    await ok('domains:redirect', app, 'off');
    await eventually('plain HTTP is served again', async () => (await httpGet(slipway.config.routerPort, www, '/')).status === 200);
    await refused('neither on nor off', 'domains:redirect', app, 'sometimes');
  });

  it('removes the app\'s domains and certificates (rows and etcd keys) with apps:destroy', async function () {
    this.timeout(120_000);
    await ok('domains:redirect', app, 'on');
    await ok('apps:destroy', app, '--confirm', app);
    const etcd = new Etcd3({ hosts: [...slipway.config.etcdUrls] });
    try {
      expect(await etcd.getAll().prefix(`${slipway.config.etcdPrefix}/apps/${app}/`).keys()).to.deep.equal([]);
    } finally {
      etcd.close();
    }
    for (const table of ['domains', 'certs', 'tls_settings']) {
      const row = await slipway.platform.db(table).count({ n: '*' }).first();
      expect(Number(row?.n), table).to.equal(0);
    }
    await eventually('the router forgot the domain', async () => (await httpGet(slipway.config.routerPort, www, '/')).status === 404);
    expect((await handshake(slipway.router.httpsPort, `api.${zone}`)).cn).to.equal('slipway-default');
    // The host is free for another app now.
    expect(await ok('domains:add', other, www)).to.include('done');
  });
});

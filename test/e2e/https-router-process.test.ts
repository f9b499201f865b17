/**
 * HTTPS through the router exactly as scripts/up starts it: the real `node dist/router/main.js`
 * process (node:cluster primary and its default workers) beside the real `node dist/platform/main.js`,
 * configured by environment only. A user adds a domain and a certificate with the CLI; every
 * handshake (`openssl s_client -servername`) must get that certificate, whichever worker takes the
 * connection, RSA and EC alike, and unknown names the router's default one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { certDir, makeCert, type TestCert } from '../support/certs';
import { freePort, REPO_ROOT, run, uniqueName } from '../support/slipway';

async function eventually(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.resolve().then(condition).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The subject CN of the certificate `openssl s_client` was shown for `servername` (null: no SNI). */
async function servedCn(port: number, servername: string | null): Promise<string> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, ...(servername === null ? ['-noservername'] : ['-servername', servername])];
  const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => { out += chunk; });
  child.stdin.end();
  await new Promise((resolve) => child.on('close', resolve));
  const subject = /^subject=(.*)$/m.exec(out)?.[1] ?? '';
  return /CN\s*=\s*([^,\n]+)/.exec(subject)?.[1]?.trim() ?? `(no certificate: ${out.slice(0, 200)})`;
}

describe('HTTPS with custom certificates through the router process started as scripts/up does', function () {
  this.timeout(300_000);
  const children: ChildProcess[] = [];
  let stateDir: string;
  let certs: string;
  let env: NodeJS.ProcessEnv;
  let apiPort: number;
  let routerPort: number;
  let httpsPort: number;
  let adminPort: number;
  let token: string;
  const app = uniqueName('tlsproc');
  const zone = `${uniqueName('z')}.example`;
  let rsa: TestCert;
  let ec: TestCert;

  function start(name: string, script: string): void {
    const log = fs.openSync(path.join(stateDir, `${name}.log`), 'a');
    const child = spawn('node', [path.join(REPO_ROOT, 'dist', script)], { env, stdio: ['ignore', log, log] });
    children.push(child);
  }

  const cli = (...args: string[]) => run('node', [path.join(REPO_ROOT, 'bin', 'slipway'), ...args], {
    cwd: certs,
    env: { SLIPWAY_API_URL: `http://127.0.0.1:${apiPort}`, SLIPWAY_TOKEN: token, NO_COLOR: '1', HOME: stateDir },
  });

  async function ok(...args: string[]): Promise<string> {
    const result = await cli(...args);
    expect(result.code, `slipway ${args.join(' ')}: ${result.output}`).to.equal(0);
    return result.stdout;
  }

  before(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-https-'));
    certs = certDir();
    [apiPort, routerPort, httpsPort, adminPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    // What scripts/lib.sh exports, on ports and a prefix of this test's own; no SLIPWAY_ROUTER_WORKERS:
    // the default (one worker per core) as scripts/up runs it.
    env = {
      PATH: process.env.PATH,
      SLIPWAY_STATE_DIR: stateDir,
      SLIPWAY_ETCD_URL: process.env.SLIPWAY_ETCD_URL ?? 'http://127.0.0.1:2379',
      SLIPWAY_ETCD_PREFIX: `/slipway-test-${crypto.randomBytes(4).toString('hex')}`,
      SLIPWAY_API_PORT: String(apiPort),
      SLIPWAY_SSH_PORT: String(await freePort()),
      SLIPWAY_SSH_HOST: '127.0.0.1',
      SLIPWAY_ROUTER_PORT: String(routerPort),
      SLIPWAY_ROUTER_HTTPS_PORT: String(httpsPort),
      SLIPWAY_ROUTER_ADMIN_PORT: String(adminPort),
    };
    start('platform', 'platform/main.js');
    start('router', 'router/main.js');
    await eventually('the API answers', async () => (await fetch(`http://127.0.0.1:${apiPort}/api/v1/health`)).ok);
    await eventually('the router answers', async () => (await fetch(`http://127.0.0.1:${routerPort}/_slipway/health`)).ok);
    token = (JSON.parse(fs.readFileSync(path.join(stateDir, 'admin-credentials.json'), 'utf8')) as { token: string }).token;
    rsa = await makeCert(certs, { cn: `www.${zone}`, sans: [`www.${zone}`], keyType: 'rsa' });
    ec = await makeCert(certs, { cn: `api.${zone}`, sans: [`api.${zone}`], keyType: 'ec' });
  });

  after(async () => {
    await Promise.all(children.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    })));
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.rmSync(certs, { recursive: true, force: true });
  });

  it('serves the certificate added with certs:add on every handshake, RSA and EC, and the default one for other names', async () => {
    await ok('apps:create', app);
    await ok('domains:add', app, `www.${zone}`);
    await ok('domains:add', app, `api.${zone}`);
    expect(await ok('certs:add', app, rsa.certFile, rsa.keyFile)).to.contain(`Serving www.${zone} over HTTPS`);
    expect(await ok('certs:add', app, ec.certFile, ec.keyFile)).to.contain(`Serving api.${zone} over HTTPS`);

    // Every worker follows etcd on its own: wait until a handshake shows the certificate, then
    // require it on every one of several more (the primary hands connections to workers in turn).
    await eventually('the RSA certificate is served', async () => (await servedCn(httpsPort, `www.${zone}`)) === `www.${zone}`, 30_000);
    for (let i = 0; i < 6; i += 1) {
      expect(await servedCn(httpsPort, `www.${zone}`), `handshake ${i + 1} for www`).to.equal(`www.${zone}`);
      expect(await servedCn(httpsPort, `api.${zone}`), `handshake ${i + 1} for api`).to.equal(`api.${zone}`);
    }
    expect(await servedCn(httpsPort, `nope.${zone}`)).to.equal('slipway-default');
    expect(await servedCn(httpsPort, null)).to.equal('slipway-default');
  });

  it('keeps the private keys out of etcd and the database files in clear, and the state files owner-only', async () => {
    const etcd = new Etcd3({ hosts: env.SLIPWAY_ETCD_URL as string });
    try {
      const values = await etcd.getAll().prefix(`${env.SLIPWAY_ETCD_PREFIX as string}/apps/${app}/certs/`).strings();
      expect(Object.keys(values)).to.have.length(2);
      for (const raw of Object.values(values)) {
        expect(raw).to.not.contain('PRIVATE KEY');
        expect(JSON.parse(raw)).to.have.property('sealedKey').that.matches(/^slipway-sealed:v1:/);
      }
    } finally {
      etcd.close();
    }
    const database = path.join(stateDir, 'slipway.sqlite3');
    for (const file of [database, `${database}-wal`]) {
      if (!fs.existsSync(file)) continue;
      expect(fs.readFileSync(file).includes('PRIVATE KEY'), file).to.equal(false);
      expect((fs.statSync(file).mode & 0o777).toString(8), file).to.equal('600');
    }
    expect((fs.statSync(path.join(stateDir, 'secrets.key')).mode & 0o777).toString(8)).to.equal('600');
    expect((fs.statSync(path.join(stateDir, 'repos')).mode & 0o777).toString(8)).to.equal('700');
  });

  it('answers a request over HTTPS for the custom domain (R503: nothing deployed yet)', async () => {
    const result = await run('curl', ['-sk', '-o', '/dev/null', '-w', '%{http_code}', '--resolve', `www.${zone}:${httpsPort}:127.0.0.1`,
      `https://www.${zone}:${httpsPort}/`]);
    expect(result.stdout).to.match(/^503/);
  });

  it('tells the public port only that the router is alive; the counts are on the admin port', async () => {
    const publicHealth = await fetch(`http://127.0.0.1:${routerPort}/_slipway/health`, { headers: { host: `www.${zone}` } });
    expect(publicHealth.status).to.equal(200);
    expect(await publicHealth.json()).to.deep.equal({ ok: true });
    const admin = await fetch(`http://127.0.0.1:${adminPort}/health`);
    const report = (await admin.json()) as { ok: boolean; workers: Record<string, { appCount: number; hostCount: number }> };
    expect(report.ok).to.equal(true);
    for (const worker of Object.values(report.workers)) expect(worker).to.include({ appCount: 1, hostCount: 3 });
  });
});

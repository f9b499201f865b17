/**
 * Issue 9's response desync, replayed as the attacker did it, against deployed apps: a hostile
 * tenant's app answers /poison with a chunked body whose trailer ends in bare LFs and, 150 ms
 * later, a fake 302 on the same connection. A router that passes the 302 on as "more trailer"
 * lets an LF-tolerant client, or nginx in front with upstream keep-alive, read it as the answer
 * to the next request, another tenant's included. The router must answer the poisoned response
 * with 502 R502 and the next request with its real answer (docs/router.md, "Parsing and framing").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { waitFor } from '../integration/engine/wait-for';
import { freePort, makeSshKey, REPO_ROOT, run, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../support/slipway';

const PYTHON_CLIENT = path.join(REPO_ROOT, 'test', 'fixtures', 'desync', 'keep-alive-client.py');
const REQUEST_TIMEOUT_MS = 20_000;
const TRIALS = 10;

interface Answer { status: number; headers: Record<string, string | undefined>; body: string }
interface PythonAnswer extends Answer { local: string }

/** One GET on a connection of its own, with a deadline. */
function get(port: number, host: string, route: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: route, headers: { host }, agent: false, timeout: REQUEST_TIMEOUT_MS }, (response) => {
      let body = '';
      response.setEncoding('latin1');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers as Record<string, string | undefined>, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${host}${route} on port ${port}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    request.on('error', reject);
  });
}

/** An nginx of the test's own in front of the router, set up as the attack needed: upstream keep-alive. */
class FrontNginx {
  private constructor(readonly port: number, private readonly dir: string, private readonly child: ChildProcess, private readonly exited: Promise<void>) {}

  static async start(routerPort: number): Promise<FrontNginx> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-nginx-'));
    fs.chmodSync(dir, 0o755); // nginx's workers run as nobody when the test runs as root
    const port = await freePort();
    const at = (name: string) => path.join(dir, name);
    const config = [
      'daemon off;',
      'worker_processes 1;', // one worker: one pool of upstream connections, as in the report
      `pid ${at('nginx.pid')};`,
      `error_log ${at('error.log')} warn;`,
      'events { worker_connections 64; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${at('client-body')};`,
      `  proxy_temp_path ${at('proxy')};`,
      `  fastcgi_temp_path ${at('fastcgi')};`,
      `  uwsgi_temp_path ${at('uwsgi')};`,
      `  scgi_temp_path ${at('scgi')};`,
      `  upstream slipway { server 127.0.0.1:${routerPort}; keepalive 4; }`,
      '  server {',
      `    listen 127.0.0.1:${port};`,
      '    location / {',
      '      proxy_pass http://slipway;',
      '      proxy_http_version 1.1;',
      '      proxy_set_header Connection "";',
      '      proxy_set_header Host $host;',
      '    }',
      '  }',
      '}',
      '',
    ].join('\n');
    fs.writeFileSync(at('nginx.conf'), config);
    const child = spawn('nginx', ['-p', dir, '-c', at('nginx.conf'), '-e', at('error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk; });
    let failed: string | null = null;
    const exited = new Promise<void>((resolve) => {
      child.on('error', (error) => { failed = error.message; resolve(); });
      child.on('exit', (code, signal) => { failed = `nginx exited (${code ?? signal}): ${stderr}`; resolve(); });
    });
    const nginx = new FrontNginx(port, dir, child, exited);
    try {
      await waitFor('nginx to accept connections', async () => {
        if (failed) throw new Error(failed);
        return canConnect(port);
      }, { timeoutMs: 15_000, intervalMs: 50 });
    } catch (error) {
      await nginx.stop();
      throw new Error(`${(error as Error).message}\n${failed ?? ''}\n${readIfThere(at('error.log'))}`);
    }
    return nginx;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM'); // nginx's fast shutdown: the master stops its worker and exits
      const deadline = new Promise<'late'>((resolve) => { const timer = setTimeout(() => resolve('late'), 10_000); timer.unref(); });
      if (await Promise.race([this.exited.then(() => 'exited' as const), deadline]) === 'late') {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(1_000);
    socket.on('connect', () => { socket.destroy(); resolve(true); });
    socket.on('timeout', () => { socket.destroy(); resolve(false); });
    socket.on('error', () => resolve(false));
  });
}

function readIfThere(file: string): string {
  try { return fs.readFileSync(file, 'utf8'); } catch { return ''; }
}

describe('response desync from a hostile app (issue 9, end to end)', function () {
  let slipway: TestSlipway;
  let keysDir: string;
  const hostile = uniqueName('desync-hostile');
  const victim = uniqueName('desync-victim');
  const copies: WorkingCopy[] = [];
  let nginx: FrontNginx | null = null;
  const host = (app: string) => `${app}.${slipway.config.domain}`;

  before(async function () {
    slipway = await startTestSlipway();
    keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-keys-'));
    const key = await makeSshKey(keysDir);
    expect((await slipway.api('POST', '/keys', { publicKey: key.publicKey })).status).to.equal(201);
    for (const [app, fixture] of [[hostile, 'desync-hostile'], [victim, 'dockerfile-basic']] as const) {
      expect((await slipway.api('POST', '/apps', { name: app })).status).to.equal(201);
      const copy = await WorkingCopy.fromFixture(fixture, key.privateKey);
      copies.push(copy);
      const push = await copy.push(slipway.gitUrl(app));
      expect(push.code, push.output).to.equal(0);
    }
    // Both serve before the attack starts.
    expect((await get(slipway.config.routerPort, host(hostile), '/ready')).body).to.equal('hostile app: /ready');
    expect((await get(slipway.config.routerPort, host(victim), '/account')).body).to.match(/^Hello from a Dockerfile/);
  });

  after(async function () {
    await nginx?.stop();
    for (const app of [hostile, victim]) await slipway?.api('DELETE', `/apps/${app}?confirm=${app}`);
    for (const copy of copies) copy.remove();
    if (keysDir) fs.rmSync(keysDir, { recursive: true, force: true });
    await slipway?.close();
  });

  it('answers the poisoned response 502 and the next request on the same connection with its real answer (Python http.client)', async function () {
    const client = await run('timeout', ['60', 'python3', PYTHON_CLIENT, String(slipway.config.routerPort),
      host(hostile), '/poison',
      host(victim), '/account',
      host(hostile), '/after']);
    expect(client.code, client.output).to.equal(0);
    const [poisoned, next, again] = JSON.parse(client.stdout) as PythonAnswer[];
    expect(next!.status, `the victim's request got ${JSON.stringify(next)}`).to.equal(200);
    expect(next!.headers.location).to.equal(undefined);
    expect(next!.body).to.match(/^Hello from a Dockerfile/);
    expect(poisoned!.status, JSON.stringify(poisoned)).to.equal(502);
    expect(poisoned!.headers['x-slipway-error']).to.equal('R502');
    expect(poisoned!.body).to.not.include('hello');
    expect(again).to.deep.include({ status: 200, body: 'hostile app: /after' });
    // One keep-alive connection carried all three: the router's 502 did not end it.
    expect(new Set([poisoned!.local, next!.local, again!.local]).size).to.equal(1);
  });

  it(`never gives another tenant's request the fake 302 through nginx with upstream keep-alive (${TRIALS} trials)`, async function () {
    nginx = await FrontNginx.start(slipway.config.routerPort);
    const poisoned: Answer[] = [];
    const victims: Answer[] = [];
    for (let trial = 0; trial < TRIALS; trial += 1) {
      poisoned.push(await get(nginx.port, host(hostile), '/poison'));
      victims.push(await get(nginx.port, host(victim), '/account'));
    }
    const summary = (answers: Answer[]) => answers.map((a) => `${a.status} ${a.headers.location ?? a.body.slice(0, 40)}`).join(' | ');
    const misled = victims.filter((a) => a.status === 302 || a.headers.location !== undefined).length;
    expect(misled, `the victim got the fake 302 ${misled} times in ${TRIALS}: ${summary(victims)}`).to.equal(0);
    expect(victims.map((a) => a.status), summary(victims)).to.deep.equal(Array<number>(TRIALS).fill(200));
    for (const answer of victims) expect(answer.body).to.match(/^Hello from a Dockerfile/);
    // nginx passes the router's own 502 through, code and all.
    expect(poisoned.map((a) => a.status), `poisoned got: ${summary(poisoned)}`).to.deep.equal(Array<number>(TRIALS).fill(502));
    for (const answer of poisoned) expect(answer.headers['x-slipway-error']).to.equal('R502');
  });
});

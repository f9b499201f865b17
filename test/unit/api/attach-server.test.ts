/**
 * The attach protocol end to end without Docker: POST /apps/:app/dynos and the Upgrade of
 * api/attach-server.ts on a real http.Server, OneOffService over fake stores and a scripted fake
 * OneOffRunner, and the CLI's own client (cli/run-client.ts, cli/run-attach.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { expect } from 'chai';
import express, { type NextFunction, type Request, type Response } from 'express';
import { SlipwayError, toErrorBody } from '../../../lib/errors';
import { silentLogger } from '../../../lib/log';
import { tokenAuthenticator } from '../../../api/auth';
import { mountRoutes } from '../../../api/route-table';
import { ATTACH_PROTOCOL } from '../../../api/attach-protocol';
import { attachUpgradeHandler, bearerToken, parseAttachPath } from '../../../api/attach-server';
import { runRoutes } from '../../../api/routes/run';
import { listen } from '../../../api/server';
import type { IdentityService } from '../../../engine/identity-service';
import type { AttachedOneOff, OneOffInfo, OneOffRunner, OneOffSpec, TerminalSize } from '../../../engine/one-off';
import { OneOffService } from '../../../engine/one-off-service';
import type { AppsRepo } from '../../../engine/store/apps-repo';
import type { BuildsRepo } from '../../../engine/store/builds-repo';
import type { ReleasesRepo } from '../../../engine/store/releases-repo';
import { CliError } from '../../../cli/cli-error';
import { pumpAttach, type LocalTerminal } from '../../../cli/run-attach';
import { createDyno, openAttach, type CreateDynoBody } from '../../../cli/run-client';
import { waitFor } from '../../integration/engine/wait-for';

/** A one-off process the test drives by hand. */
class FakeProcess implements AttachedOneOff {
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly resizes: TerminalSize[] = [];
  killed = false;
  input = '';
  readonly exit: Promise<number>;
  private resolveExit!: (code: number) => void;

  constructor(readonly id: string) {
    this.exit = new Promise((resolve) => { this.resolveExit = resolve; });
    this.stdin.on('data', (c: Buffer) => { this.input += c.toString('utf8'); });
  }

  async resize(size: TerminalSize): Promise<void> {
    this.resizes.push(size);
  }

  finish(code: number): void {
    this.stdout.end();
    this.stderr.end();
    this.resolveExit(code);
  }

  async kill(): Promise<void> {
    this.killed = true;
    this.finish(137);
  }
}

class FakeRunner implements OneOffRunner {
  readonly specs: OneOffSpec[] = [];
  readonly processes: FakeProcess[] = [];
  behaviour: (proc: FakeProcess, spec: OneOffSpec) => void = (p) => p.finish(0);
  attachError: Error | null = null;

  async attach(spec: OneOffSpec): Promise<AttachedOneOff> {
    if (this.attachError) throw this.attachError;
    this.specs.push(spec);
    const proc = new FakeProcess(spec.id);
    this.processes.push(proc);
    setImmediate(() => this.behaviour(proc, spec));
    return proc;
  }

  async detach(spec: OneOffSpec): Promise<OneOffInfo> {
    this.specs.push(spec);
    return { id: spec.id, app: spec.app, release: spec.release, command: spec.command, state: 'running', startedAt: new Date(0) };
  }

  async list(): Promise<OneOffInfo[]> {
    return [];
  }

  async stop(): Promise<boolean> {
    return false;
  }
}

const apps = {
  async get(name: string) {
    if (name === 'shop') return { id: 1, name, config: {}, currentRelease: 3, createdAt: new Date(0) };
    if (name === 'fresh') return { id: 2, name, config: {}, currentRelease: null, createdAt: new Date(0) };
    throw new SlipwayError('app_not_found', `Couldn't find an app named "${name}".`);
  },
  async formation() {
    return [{ type: 'web', quantity: 2, memoryMb: 256, cpu: 1 }];
  },
} as unknown as AppsRepo;
const releases = {
  async get(appId: number, version: number) {
    return { id: 9, appId, version, buildId: 'b1', config: { GREETING: 'hi', PORT: 'ignored' }, description: '', status: 'succeeded', failureReason: null, createdAt: new Date(0) };
  },
} as unknown as ReleasesRepo;
const builds = { async get(id: string) { return { id, image: 'registry/shop:b1' }; } } as unknown as BuildsRepo;
const identity = {
  async authenticate(token: string) {
    if (token === 'admin-token') return { id: 1, name: 'admin' };
    if (token === 'other-token') return { id: 2, name: 'other' };
    return null;
  },
} as unknown as IdentityService;

/** A terminal of in-memory streams. */
function fakeTerminal(tty = false) {
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  let stdout = '';
  let stderr = '';
  const sink = (write: (s: string) => void) => new Writable({ write(chunk: Buffer, _e, cb) { write(chunk.toString('utf8')); cb(); } });
  const raw: string[] = [];
  let resizeListener: (() => void) | null = null;
  let size = { cols: 100, rows: 30 };
  const terminal: LocalTerminal = {
    stdin,
    stdout: sink((s) => { stdout += s; }),
    stderr: sink((s) => { stderr += s; }),
    tty,
    rawMode: () => { raw.push('on'); return () => { raw.push('off'); }; },
    size: () => size,
    onResize: (listener) => { resizeListener = listener; return () => { resizeListener = null; }; },
  };
  return {
    terminal, stdin, raw,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    resizeTo(next: { cols: number; rows: number }) { size = next; resizeListener?.(); },
    get listening() { return resizeListener !== null; },
  };
}

describe('api/attach-server with the CLI client (the attach protocol, no Docker)', function () {
  this.timeout(10_000);
  let server: http.Server;
  let runner: FakeRunner;
  let service: OneOffService;
  let connection: { apiUrl: string; token: string };

  before(async () => {
    runner = new FakeRunner();
    service = new OneOffService(apps, releases, builds, runner, { containerPort: 5000, attachTimeoutMs: 60_000 }, silentLogger());
    const app = express();
    app.use(express.json());
    const v1 = express.Router();
    mountRoutes(v1, runRoutes({ oneOffs: service, attachTimeoutSeconds: 60 }), {
      authenticate: tokenAuthenticator(identity),
      access: { check: () => Promise.resolve() },
    });
    app.use('/api/v1', v1);
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const { status, body } = toErrorBody(error);
      res.status(status).json(body);
    });
    server = await listen(app, '127.0.0.1', 0, attachUpgradeHandler({ authenticate: tokenAuthenticator(identity), access: { check: () => Promise.resolve() }, oneOffs: service, logger: silentLogger() }));
    connection = { apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'admin-token' };
  });

  after(async () => {
    await service.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    runner.behaviour = (p) => p.finish(0);
    runner.attachError = null;
  });

  const attached = (body: Partial<CreateDynoBody> = {}): CreateDynoBody => ({ command: 'cat', attach: true, detach: false, tty: false, ...body });

  async function runAttached(body: Partial<CreateDynoBody>, local: ReturnType<typeof fakeTerminal>) {
    const dyno = await createDyno(connection, 'shop', attached(body));
    const { socket, head } = await openAttach(connection, dyno.attach!.url);
    return { dyno, code: pumpAttach(socket, head, local.terminal) };
  }

  it('runs the release image with its config, streams stdin, stdout and stderr, and ends with the exit code', async () => {
    runner.behaviour = (p) => {
      p.stderr.write('warming up\n');
      p.stdin.on('end', () => {
        p.stdout.write(p.input.toUpperCase());
        p.finish(3);
      });
    };
    const local = fakeTerminal();
    const { dyno, code } = await runAttached({ command: 'tr a-z A-Z' }, local);
    local.stdin.end('hello\nworld\n');
    expect(await code).to.equal(3);
    expect(local.stdout).to.equal('HELLO\nWORLD\n');
    expect(local.stderr).to.equal('warming up\n');
    expect(dyno).to.include({ app: 'shop', type: 'run', release: 3, command: 'tr a-z A-Z', state: 'starting' });
    expect(dyno.id).to.match(/^run\.\d+$/);
    expect(dyno.attach).to.deep.equal({ url: `/api/v1/apps/shop/dynos/${dyno.id}/attach`, protocol: ATTACH_PROTOCOL, expiresInSeconds: 60, tty: false });
    const spec = runner.specs.at(-1)!;
    expect(spec).to.deep.include({ app: 'shop', release: 3, id: dyno.id, image: 'registry/shop:b1', command: 'tr a-z A-Z', tty: false, size: null });
    expect(spec.env).to.deep.equal({ GREETING: 'hi', PORT: '5000', SLIPWAY_RELEASE: 'v3', DYNO: dyno.id });
    expect(spec.limits).to.deep.equal({ memoryMb: 256, cpu: 1 });
  });

  it('with a TTY: passes the size and $TERM, puts the local terminal in raw mode, forwards resizes, and restores it', async () => {
    let proc: FakeProcess | null = null;
    runner.behaviour = (p) => { proc = p; p.stdout.write('$ '); };
    const local = fakeTerminal(true);
    const { code } = await runAttached({ tty: true, cols: 100, rows: 30, term: 'xterm-256color' }, local);
    await waitFor('the prompt', async () => local.stdout === '$ ');
    expect(local.raw).to.deep.equal(['on']);
    local.resizeTo({ cols: 132, rows: 43 });
    local.stdin.write('exit\r');
    await waitFor('the resize and the input', async () => proc!.resizes.length === 1 && proc!.input === 'exit\r');
    expect(proc!.resizes).to.deep.equal([{ cols: 132, rows: 43 }]);
    proc!.finish(0);
    expect(await code).to.equal(0);
    expect(local.raw).to.deep.equal(['on', 'off']);
    expect(local.listening).to.equal(false);
    const spec = runner.specs.at(-1)!;
    expect(spec).to.deep.include({ tty: true, size: { cols: 100, rows: 30 } });
    expect(spec.env.TERM).to.equal('xterm-256color');
  });

  it('delivers large output completely, in frames of at most a mebibyte', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 'x');
    runner.behaviour = (p) => { p.stdout.write(big); p.stdout.write('!'); p.finish(0); };
    const local = fakeTerminal();
    const { code } = await runAttached({}, local);
    expect(await code).to.equal(0);
    expect(local.stdout.length).to.equal(big.length + 1);
    expect(local.stdout.endsWith('x!')).to.equal(true);
  });

  it('starts a detached one-off without a TTY and answers with its id at once', async () => {
    const dyno = await createDyno(connection, 'shop', { command: 'npm run migrate', attach: false, detach: true, tty: true, cols: 80, rows: 24 });
    expect(dyno).to.include({ app: 'shop', release: 3, command: 'npm run migrate', state: 'running', attach: null });
    expect(runner.specs.at(-1)).to.deep.include({ id: dyno.id, tty: false, size: null, command: 'npm run migrate' });
  });

  it('refuses an app without a release, an unknown app and a bad body with the API\'s messages', async () => {
    const noRelease = await createDyno(connection, 'fresh', attached()).catch((e: unknown) => e);
    expect(noRelease).to.be.instanceOf(CliError).and.to.include({ code: 'no_release', status: 409 });
    expect((noRelease as Error).message).to.include('deploy first with git push');
    const unknown = await createDyno(connection, 'nope', attached()).catch((e: unknown) => e);
    expect(unknown).to.be.instanceOf(CliError).and.to.include({ code: 'app_not_found', status: 404 });
    const bad = await createDyno(connection, 'shop', attached({ command: '' })).catch((e: unknown) => e);
    expect(bad).to.be.instanceOf(CliError).and.to.include({ code: 'invalid_request', status: 400 });
    const badToken = await createDyno({ ...connection, token: 'wrong' }, 'shop', attached()).catch((e: unknown) => e);
    expect(badToken).to.be.instanceOf(CliError).and.to.include({ code: 'unauthorized', status: 401 });
  });

  it('attaches once, only with the token of the user who created the one-off', async () => {
    const dyno = await createDyno(connection, 'shop', attached());
    const wrongToken = await openAttach({ ...connection, token: 'wrong' }, dyno.attach!.url).catch((e: unknown) => e);
    expect(wrongToken).to.be.instanceOf(CliError).and.to.include({ code: 'unauthorized', status: 401 });
    const noToken = await openAttach({ ...connection, token: '' }, dyno.attach!.url).catch((e: unknown) => e);
    expect(noToken).to.be.instanceOf(CliError).and.to.include({ code: 'unauthorized' });
    const otherUser = await openAttach({ ...connection, token: 'other-token' }, dyno.attach!.url).catch((e: unknown) => e);
    expect(otherUser).to.be.instanceOf(CliError).and.to.include({ code: 'not_found', status: 404 });
    expect((otherUser as Error).message).to.include('waiting to be attached');

    const local = fakeTerminal();
    const { socket, head } = await openAttach(connection, dyno.attach!.url);
    expect(await pumpAttach(socket, head, local.terminal)).to.equal(0);
    const again = await openAttach(connection, dyno.attach!.url).catch((e: unknown) => e);
    expect(again).to.be.instanceOf(CliError).and.to.include({ status: 404 });
  });

  it('answers upgrades to other protocols or paths with a JSON error', async () => {
    const upgrade = (path: string, protocol: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request(`${connection.apiUrl}${path}`, {
        headers: { connection: 'Upgrade', upgrade: protocol, authorization: 'Bearer admin-token' },
      });
      request.on('response', (response) => {
        let body = '';
        response.on('data', (c: Buffer) => { body += c.toString(); });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('upgrade', () => reject(new Error('upgraded')));
      request.on('error', reject);
      request.end();
    });
    const websocket = await upgrade('/api/v1/apps/shop/dynos/run.1/attach', 'websocket');
    expect(websocket.status).to.equal(400);
    expect(JSON.parse(websocket.body)).to.deep.include({ error: { code: 'invalid_request', message: `Upgrade to ${ATTACH_PROTOCOL} to attach to a one-off process.` } });
    const elsewhere = await upgrade('/api/v1/apps', ATTACH_PROTOCOL);
    expect(elsewhere.status).to.equal(404);
    expect((JSON.parse(elsewhere.body) as { error: { code: string } }).error.code).to.equal('not_found');
  });

  it('kills the process when the client goes away before it ends', async () => {
    runner.behaviour = () => undefined; // runs until killed
    const dyno = await createDyno(connection, 'shop', attached({ command: 'sleep 300' }));
    const { socket } = await openAttach(connection, dyno.attach!.url);
    await waitFor('the process to start', async () => runner.processes.at(-1)?.id === dyno.id);
    socket.destroy();
    await waitFor('the process to be killed', async () => runner.processes.at(-1)!.killed);
  });

  it('reports a failure to start as an error frame, which the CLI shows as an error', async () => {
    runner.attachError = new SlipwayError('invalid_request', 'The release image has no /bin/sh to run the command with.');
    const local = fakeTerminal();
    const { code } = await runAttached({}, local);
    const error = await code.catch((e: unknown) => e);
    expect(error).to.be.instanceOf(CliError).and.to.include({ code: 'invalid_request', message: 'The release image has no /bin/sh to run the command with.' });
  });

  it('ends attached one-offs when the service closes (platform shutdown)', async () => {
    const own = new OneOffService(apps, releases, builds, runner, { containerPort: 5000, attachTimeoutMs: 60_000 }, silentLogger());
    runner.behaviour = () => undefined;
    const controller = new AbortController();
    const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), onResize: () => undefined, signal: controller.signal };
    const code = own.run('shop', { command: 'sleep 300', tty: false, size: null, term: null }, io);
    await waitFor('the process to start', async () => runner.processes.length > 0 && !runner.processes.at(-1)!.killed);
    await own.close();
    expect(await code).to.equal(137);
    expect(runner.processes.at(-1)!.killed).to.equal(true);
  });

  it('parses attach paths and bearer tokens', () => {
    expect(parseAttachPath('/api/v1/apps/shop/dynos/run.12/attach')).to.deep.equal({ app: 'shop', id: 'run.12' });
    expect(parseAttachPath('/api/v1/apps/shop/dynos/run.12/attach?x=1')).to.deep.equal({ app: 'shop', id: 'run.12' });
    expect(parseAttachPath('/api/v1/apps/shop/dynos/run.12')).to.equal(null);
    expect(parseAttachPath('/api/v1/apps/shop/dynos/%E0%A4%A/attach')).to.equal(null);
    expect(parseAttachPath(undefined)).to.equal(null);
    expect(bearerToken('Bearer abc ')).to.equal('abc');
    expect(bearerToken('bearer  abc')).to.equal('abc');
    expect(bearerToken('Basic abc')).to.equal(null);
    expect(bearerToken(undefined)).to.equal(null);
  });
});

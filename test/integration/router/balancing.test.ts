import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { Etcd3 } from 'etcd3';
import http from 'node:http';
import { startRouter, type RunningRouter } from '../../../router/index';
import {
  answeredBy,
  capturingLogger,
  EngineKeys,
  listenOn,
  loadLoop,
  request,
  routerConfig,
  SHARED_ETCD_URL,
  startBackend,
  uniquePrefix,
  waitUntil,
  type TestBackend,
} from './helpers';

/** A backend whose requests wait until the test releases them; it says which backend it is. */
async function holdingBackend(name: string): Promise<{ url: string; held: Array<() => void>; close(): Promise<void> }> {
  const held: Array<() => void> = [];
  const server = await listenOn((_req, res) => {
    held.push(() => res.end(JSON.stringify({ backend: name })));
  });
  return { url: server.url, held, close: server.close };
}

/** A backend in a process of its own, so the test can SIGKILL it like a crashing app. */
async function processBackend(name: string): Promise<{ url: string; child: ChildProcess }> {
  const script = `
    const http = require('node:http');
    http.createServer((req, res) => setTimeout(() => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ backend: ${JSON.stringify(name)} }));
    }, 2)).listen(0, '127.0.0.1', function () { process.stdout.write(this.address().port + '\\n'); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', (code) => reject(new Error(`backend exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

describe('router balancing and passive health', function () {
  this.timeout(60_000);

  const client = new Etcd3({ hosts: SHARED_ETCD_URL });
  let prefix: string;
  let keys: EngineKeys;
  let router: RunningRouter | undefined;
  let cleanups: Array<() => Promise<void> | void>;
  let logLines: Array<Record<string, unknown>>;

  beforeEach(() => {
    prefix = uniquePrefix();
    keys = new EngineKeys(client, prefix);
    cleanups = [];
    logLines = [];
  });

  afterEach(async () => {
    await router?.close();
    router = undefined;
    for (const cleanup of cleanups.reverse()) await cleanup();
    await keys.removeAll();
  });

  after(() => client.close());

  async function start(env: Record<string, string> = {}): Promise<RunningRouter> {
    const captured = capturingLogger();
    logLines = captured.lines;
    router = await startRouter(routerConfig(prefix, SHARED_ETCD_URL, env), captured.logger);
    return router;
  }

  function routerAt(running: RunningRouter, revision: number): Promise<void> {
    return waitUntil(`the router reached revision ${revision}`, () => (running.sourceStatus().revision ?? 0) >= revision);
  }

  async function backend(name: string): Promise<TestBackend> {
    const started = await startBackend(name);
    cleanups.push(started.close);
    return started;
  }

  it('least-connections sends new requests to the backend with none in flight', async () => {
    const slow = await holdingBackend('slow');
    cleanups.push(slow.close);
    const fast = await backend('fast');
    await keys.addDomain('shop', 'shop.test');
    await keys.addBackend('shop', 'web.1', slow.url);
    const running = await start({ SLIPWAY_ROUTER_BALANCE: 'least-connections' });
    await routerAt(running, await keys.addBackend('shop', 'web.2', fast.url));

    // Hold one request on the slow backend (a tie goes to whichever is next, so try until it is held there).
    const inFlight: Array<Promise<unknown>> = [];
    while (slow.held.length === 0) {
      const answer = request(running.port, 'shop.test');
      inFlight.push(answer);
      await Promise.race([answer, waitUntil('the request is held', () => slow.held.length > 0)]);
    }
    const answers: string[] = [];
    for (let i = 0; i < 6; i += 1) answers.push(answeredBy(await request(running.port, 'shop.test')));
    // Round robin would have sent half of them to the busy backend.
    expect(answers).to.deep.equal(Array(6).fill('fast'));
    for (const release of slow.held) release();
    await Promise.all(inFlight);
  });

  it('round robin alternates even while one backend is busy', async () => {
    const slow = await holdingBackend('slow');
    cleanups.push(slow.close);
    const fast = await backend('fast');
    await keys.addDomain('shop', 'shop.test');
    await keys.addBackend('shop', 'web.1', fast.url);
    const running = await start({ SLIPWAY_ROUTER_BALANCE: 'round-robin' });
    await routerAt(running, await keys.addBackend('shop', 'web.2', slow.url));
    const first = answeredBy(await request(running.port, 'shop.test'));
    expect(first).to.equal('fast');
    const held = request(running.port, 'shop.test');
    await waitUntil('the second request is held by the slow backend', () => slow.held.length === 1);
    expect(answeredBy(await request(running.port, 'shop.test'))).to.equal('fast');
    slow.held[0]?.();
    expect(answeredBy(await held)).to.equal('slow');
  });

  it('ejects a backend that refuses connections, retries elsewhere, and tries it again after the ejection', async () => {
    const alive = await backend('alive');
    const dead = await backend('dead');
    await dead.close();
    await keys.addDomain('shop', 'shop.test');
    await keys.addBackend('shop', 'web.1', dead.url);
    const running = await start({ SLIPWAY_ROUTER_EJECT_SECONDS: '0.5' });
    await routerAt(running, await keys.addBackend('shop', 'web.2', alive.url));
    const refusals = (): number => logLines.filter((line) => line.msg === 'backend connection failed' && line.backend === dead.url).length;

    for (let i = 0; i < 10; i += 1) {
      const response = await request(running.port, 'shop.test');
      expect(response.status).to.equal(200);
      expect(answeredBy(response)).to.equal('alive');
    }
    // Refused once, then left alone: every other request went straight to the live backend.
    expect(refusals()).to.equal(1);
    expect(logLines.find((line) => line.msg === 'backend connection failed')).to.include({ code: 'R502', retry: true, ejected: true });
    const access = logLines.filter((line) => line.msg === 'request');
    expect(access.filter((line) => line.attempts === 2)).to.have.length(1);
    expect(access.filter((line) => line.attempts === 1)).to.have.length(9);

    // Once the ejection is over the backend gets another chance (and is ejected again).
    await waitUntil('the dead backend was tried again', async () => {
      expect((await request(running.port, 'shop.test')).status).to.equal(200);
      return refusals() >= 2;
    });
  });

  it('lets a request in flight on a withdrawn backend finish, while new requests go elsewhere', async () => {
    const leaving = await holdingBackend('leaving');
    cleanups.push(leaving.close);
    const staying = await backend('staying');
    await keys.addDomain('shop', 'shop.test');
    await keys.addBackend('shop', 'web.1', leaving.url);
    const running = await start();
    await routerAt(running, await keys.addBackend('shop', 'web.2', staying.url));

    const inFlight = request(running.port, 'shop.test');
    await waitUntil('a request is held by the leaving backend', () => leaving.held.length === 1);
    await routerAt(running, await keys.removeBackend('shop', 'web.1'));
    for (let i = 0; i < 5; i += 1) expect(answeredBy(await request(running.port, 'shop.test'))).to.equal('staying');
    expect(leaving.held).to.have.length(1);
    leaving.held[0]?.();
    const finished = await inFlight;
    expect(finished.status).to.equal(200);
    expect(answeredBy(finished)).to.equal('leaving');
  });

  it('fails no GET while a backend process is killed under load', async () => {
    const first = await processBackend('first');
    const second = await processBackend('second');
    cleanups.push(() => void first.child.kill('SIGKILL'), () => void second.child.kill('SIGKILL'));
    await keys.addDomain('shop', 'shop.test');
    await keys.addBackend('shop', 'web.1', first.url);
    const running = await start();
    await routerAt(running, await keys.addBackend('shop', 'web.2', second.url));
    const agent = new http.Agent({ keepAlive: true });
    cleanups.push(() => agent.destroy());
    const load = loadLoop(running.port, 'shop.test', 8, agent);
    try {
      await waitUntil('requests flow', () => load.ok() >= 200);
      const exited = new Promise((resolve) => second.child.once('exit', resolve));
      second.child.kill('SIGKILL');
      await exited;
      const servedAtKill = load.ok();
      await waitUntil('requests flow after the kill', () => load.ok() >= servedAtKill + 300);
    } finally {
      await load.stop();
    }
    expect(load.failures).to.deep.equal([]);
    const retried = logLines.filter((line) => line.msg === 'backend connection failed' && line.retry === true);
    expect(retried.length).to.be.at.least(1);
  });
});

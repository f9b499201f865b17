import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../../lib/log';
import { startRouter, type RunningRouter } from '../../../router/index';
import {
  answeredBy,
  capturingLogger,
  EngineKeys,
  request,
  routerConfig,
  SHARED_ETCD_URL,
  startBackend,
  uniquePrefix,
  waitUntil,
  type TestBackend,
} from './helpers';

describe('router against a real etcd and real backends', function () {
  this.timeout(60_000);

  const client = new Etcd3({ hosts: SHARED_ETCD_URL });
  let prefix: string;
  let keys: EngineKeys;
  let router: RunningRouter;
  let backends: TestBackend[];
  let logLines: Array<Record<string, unknown>>;

  async function backend(name: string): Promise<TestBackend> {
    const started = await startBackend(name);
    backends.push(started);
    return started;
  }

  /** Waits until the router has applied every change up to `revision`. */
  function routerAt(revision: number): Promise<void> {
    return waitUntil(`the router reached revision ${revision}`, () => (router.sourceStatus().revision ?? 0) >= revision);
  }

  beforeEach(async () => {
    prefix = uniquePrefix();
    keys = new EngineKeys(client, prefix);
    backends = [];
    const captured = capturingLogger();
    logLines = captured.lines;
    router = await startRouter(routerConfig(prefix), captured.logger);
  });

  afterEach(async () => {
    await router.close();
    await Promise.all(backends.map((b) => b.close()));
    await keys.removeAll();
  });

  after(() => client.close());

  it('routes by Host header, ignoring case and port', async () => {
    const shop = await backend('shop-1');
    const blog = await backend('blog-1');
    await keys.addDomain('shop', 'shop.slipway.localhost');
    await keys.addBackend('shop', 'web.1', shop.url);
    await keys.addDomain('blog', 'blog.slipway.localhost');
    await routerAt(await keys.addBackend('blog', 'web.1', blog.url));

    expect(answeredBy(await request(router.port, 'shop.slipway.localhost'))).to.equal('shop-1');
    expect(answeredBy(await request(router.port, 'blog.slipway.localhost'))).to.equal('blog-1');
    expect(answeredBy(await request(router.port, 'SHOP.Slipway.Localhost:8080'))).to.equal('shop-1');
  });

  it('spreads requests round robin across two backends', async () => {
    const first = await backend('web-1');
    const second = await backend('web-2');
    await keys.addDomain('shop', 'shop.test');
    await keys.addBackend('shop', 'web.1', first.url);
    await routerAt(await keys.addBackend('shop', 'web.2', second.url));

    const answers: string[] = [];
    for (let i = 0; i < 6; i += 1) answers.push(answeredBy(await request(router.port, 'shop.test')));
    expect(answers).to.deep.equal(['web-1', 'web-2', 'web-1', 'web-2', 'web-1', 'web-2']);
  });

  it('answers 404 naming the host when no app is served there', async () => {
    const response = await request(router.port, 'nobody.test:8080');
    expect(response.status).to.equal(404);
    expect(response.headers['x-slipway-error']).to.equal('R404');
    expect(response.body).to.equal('R404 No app is served at nobody.test\n');

    const page = await request(router.port, 'nobody.test', { headers: { accept: 'text/html' } });
    expect(page.status).to.equal(404);
    expect(page.headers['content-type']).to.match(/^text\/html/);
    expect(page.body).to.include('No app is served at nobody.test');
  });

  it('answers 503 for an app that has no running web process', async () => {
    await routerAt(await keys.addDomain('idle', 'idle.test'));
    const response = await request(router.port, 'idle.test');
    expect(response.status).to.equal(503);
    expect(response.headers['x-slipway-error']).to.equal('R503');
    expect(response.body).to.equal('R503 idle has no running web process\n');
  });

  it('sends no new requests to a backend once it is removed from etcd', async () => {
    const staying = await backend('staying');
    const leaving = await backend('leaving');
    await keys.addDomain('shop', 'shop.test');
    await keys.addBackend('shop', 'web.1', staying.url);
    await routerAt(await keys.addBackend('shop', 'web.2', leaving.url));
    await request(router.port, 'shop.test');
    await request(router.port, 'shop.test');
    expect(leaving.requests).to.have.length(1);

    await routerAt(await keys.removeBackend('shop', 'web.2'));
    const answers: string[] = [];
    for (let i = 0; i < 5; i += 1) answers.push(answeredBy(await request(router.port, 'shop.test')));
    expect(answers).to.deep.equal(Array(5).fill('staying'));
    expect(leaving.requests).to.have.length(1);
  });

  it('passes X-Forwarded-For, -Proto, -Host and -Port to the backend', async () => {
    const shop = await backend('shop');
    await keys.addDomain('shop', 'shop.test');
    await routerAt(await keys.addBackend('shop', 'web.1', shop.url));

    await request(router.port, 'shop.test:4242', { path: '/checkout?x=1', headers: { 'x-forwarded-for': '203.0.113.7' } });
    const headers = shop.requests[0];
    expect(headers?.['x-forwarded-for']).to.equal('203.0.113.7, 127.0.0.1');
    expect(headers?.['x-forwarded-proto']).to.equal('http');
    expect(headers?.['x-forwarded-host']).to.equal('shop.test:4242');
    expect(headers?.['x-forwarded-port']).to.equal(String(router.port));
    // The app sees the Host the client asked for, as on Heroku.
    expect(headers?.host).to.equal('shop.test:4242');
  });

  it('passes request bodies and methods through', async () => {
    const echo = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => res.end(`${req.method} ${Buffer.concat(chunks).toString()}`));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
      await keys.addDomain('shop', 'shop.test');
      await routerAt(await keys.addBackend('shop', 'web.1', url));
      const response = await request(router.port, 'shop.test', {
        method: 'POST',
        body: 'order=42',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(response.body).to.equal('POST order=42');
    } finally {
      echo.closeAllConnections();
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    }
  });

  it('retries a GET on another backend when one refuses the connection', async () => {
    const alive = await backend('alive');
    const dead = await backend('dead');
    await dead.close();
    await keys.addDomain('shop', 'shop.test');
    await keys.addBackend('shop', 'web.1', dead.url);
    await routerAt(await keys.addBackend('shop', 'web.2', alive.url));

    for (let i = 0; i < 4; i += 1) {
      const response = await request(router.port, 'shop.test');
      expect(response.status).to.equal(200);
      expect(answeredBy(response)).to.equal('alive');
    }
  });

  it('answers 502 when the backend cannot be reached and the request cannot be retried', async () => {
    const dead = await backend('dead');
    await dead.close();
    await keys.addDomain('shop', 'shop.test');
    await routerAt(await keys.addBackend('shop', 'web.1', dead.url));

    const response = await request(router.port, 'shop.test');
    expect(response.status).to.equal(502);
    expect(response.headers['x-slipway-error']).to.equal('R502');
    expect(response.body).to.match(/^R502 shop could not be reached/);

    const withBody = await request(router.port, 'shop.test', { method: 'POST', body: 'x=1' });
    expect(withBody.status).to.equal(502);
  });

  it('cuts the client connection when the backend dies mid-response, logging R502', async () => {
    const dying = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setImmediate(() => res.socket?.destroy());
    });
    await new Promise<void>((resolve) => dying.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(dying.address() as AddressInfo).port}`;
      await keys.addDomain('shop', 'shop.test');
      await routerAt(await keys.addBackend('shop', 'web.1', url));

      const outcome = await request(router.port, 'shop.test').then(
        (response) => `completed with ${response.status}`,
        (error: NodeJS.ErrnoException) => `failed: ${error.code ?? error.message}`,
      );
      expect(outcome).to.match(/^failed: /);
      await waitUntil('the access line was logged', () => logLines.some((line) => line.msg === 'request'));
      expect(logLines.find((line) => line.msg === 'request')).to.include({ app: 'shop', code: 'R502' });
    } finally {
      dying.closeAllConnections();
      await new Promise<void>((resolve) => dying.close(() => resolve()));
    }
  });

  it('writes one JSON access log line per request, with its code', async () => {
    const shop = await backend('shop');
    await keys.addDomain('shop', 'shop.test');
    await routerAt(await keys.addBackend('shop', 'web.1', shop.url));

    await request(router.port, 'shop.test', { path: '/a' });
    await request(router.port, 'ghost.test', { path: '/b' });
    const access = (): Array<Record<string, unknown>> => logLines.filter((line) => line.msg === 'request');
    await waitUntil('two access lines were logged', () => access().length >= 2);

    const [served, unknown] = access();
    expect(served).to.include({ level: 30, app: 'shop', host: 'shop.test', status: 200, backend: shop.url, code: null, path: '/a' });
    expect(served?.durationMs).to.be.a('number');
    expect(unknown).to.include({ app: null, host: 'ghost.test', status: 404, backend: null, code: 'R404', path: '/b' });
  });

  it('answers a bare health check on any host, and the details on the admin port only', async () => {
    const shop = await backend('shop');
    await keys.addDomain('shop', 'shop.test');
    const revision = await keys.addBackend('shop', 'web.1', shop.url);
    await routerAt(revision);

    const response = await request(router.port, 'whatever.example', { path: '/_slipway/health' });
    expect(response.status).to.equal(200);
    // Anyone can reach the public port: it learns that the router serves, not how much.
    expect(JSON.parse(response.body)).to.deep.equal({ ok: true });

    const withAdmin = await startRouter(routerConfig(prefix), silentLogger(), { serveAdmin: true });
    try {
      await waitUntil('the second router loaded the routes', () => (withAdmin.sourceStatus().revision ?? 0) >= revision);
      const admin = await fetch(`http://127.0.0.1:${withAdmin.adminPort}/health`);
      expect(admin.status).to.equal(200);
      const report = (await admin.json()) as Record<string, unknown>;
      expect(report).to.include({ ok: true, appCount: 1, backendCount: 1, etcdConnected: true, staleSeconds: 0 });
      expect(report.revision).to.be.at.least(revision);
    } finally {
      await withAdmin.close();
    }
  });

  it('proxies WebSocket upgrades to the app', async () => {
    const wsBackend = http.createServer((_req, res) => res.end('not an upgrade'));
    wsBackend.on('upgrade', (req, socket) => {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `X-Seen-Forwarded-For: ${String(req.headers['x-forwarded-for'])}\r\n\r\n`,
      );
      socket.pipe(socket); // echo
    });
    await new Promise<void>((resolve) => wsBackend.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(wsBackend.address() as AddressInfo).port}`;
      await keys.addDomain('chat', 'chat.test');
      await routerAt(await keys.addBackend('chat', 'web.1', url));

      const echoed = await new Promise<{ status: number; forwardedFor: unknown; data: string }>((resolve, reject) => {
        const req = http.request({
          host: '127.0.0.1',
          port: router.port,
          headers: { host: 'chat.test', connection: 'Upgrade', upgrade: 'websocket' },
          agent: false,
        });
        req.on('upgrade', (res, socket) => {
          socket.once('data', (data: Buffer) => {
            resolve({ status: res.statusCode ?? 0, forwardedFor: res.headers['x-seen-forwarded-for'], data: data.toString() });
            socket.destroy();
          });
          socket.write('ping');
        });
        req.on('response', (res) => reject(new Error(`expected an upgrade, got ${res.statusCode}`)));
        req.on('error', reject);
        req.end();
      });
      expect(echoed).to.deep.equal({ status: 101, forwardedFor: '127.0.0.1', data: 'ping' });
    } finally {
      wsBackend.closeAllConnections();
      await new Promise<void>((resolve) => wsBackend.close(() => resolve()));
    }
  });

  it('refuses a WebSocket upgrade for an unknown host with R404', async () => {
    const response = await new Promise<string>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: router.port,
        headers: { host: 'ghost.test', connection: 'Upgrade', upgrade: 'websocket' },
        agent: false,
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
      });
      req.on('upgrade', () => reject(new Error('unexpected upgrade')));
      req.on('error', reject);
      req.end();
    });
    expect(response).to.equal('404 R404 No app is served at ghost.test\n');
  });

  it('lets an in-flight request finish on close, then stops accepting', async () => {
    let release: () => void = () => undefined;
    let arrived: () => void = () => undefined;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    const slow = http.createServer((_req, res) => {
      arrived();
      release = () => res.end('finished');
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
      await keys.addDomain('slow', 'slow.test');
      await routerAt(await keys.addBackend('slow', 'web.1', url));

      const inFlight = request(router.port, 'slow.test');
      await requestArrived;
      const closing = router.close();
      await waitUntil('the router stopped accepting', () =>
        new Promise<boolean>((resolve) => {
          const probe = http.get({ host: '127.0.0.1', port: router.port, agent: false, headers: { host: 'slow.test' } });
          probe.on('response', (res) => {
            res.resume();
            resolve(false);
          });
          probe.on('error', () => resolve(true));
        }),
      );
      release();
      const response = await inFlight;
      expect(response.status).to.equal(200);
      expect(response.body).to.equal('finished');
      await closing;
    } finally {
      slow.closeAllConnections();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });

  it('starts on port 0 and reports the real port', () => {
    expect(router.port).to.be.a('number').and.greaterThan(0);
  });
});

describe('router startup before etcd has answered', function () {
  this.timeout(30_000);

  it('listens anyway and answers R510 until routes are loaded', async () => {
    // Nothing listens on port 1, so no snapshot can arrive.
    const config = routerConfig(uniquePrefix(), 'http://127.0.0.1:1');
    const router = await startRouter(config, silentLogger(), { firstSyncTimeoutMs: 50 });
    try {
      const response = await request(router.port, 'shop.test');
      expect(response.status).to.equal(503);
      expect(response.headers['x-slipway-error']).to.equal('R510');
      const health = await request(router.port, 'shop.test', { path: '/_slipway/health' });
      expect(health.status).to.equal(503);
      expect(JSON.parse(health.body)).to.deep.equal({ ok: false });
      expect(router.health()).to.include({ ok: false, etcdConnected: false, revision: null, staleSeconds: null });
    } finally {
      await router.close();
    }
  });
});

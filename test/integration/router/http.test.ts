import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import http from 'node:http';
import net from 'node:net';
import { startRouter, type RunningRouter } from '../../../router/index';
import {
  attachWebsocketEcho,
  capturingLogger,
  EngineKeys,
  listenOn,
  rawExchange,
  request,
  routerConfig,
  SHARED_ETCD_URL,
  uniquePrefix,
  waitUntil,
  websocketEcho,
} from './helpers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('router HTTP handling against real backends', function () {
  this.timeout(60_000);

  const client = new Etcd3({ hosts: SHARED_ETCD_URL });
  let prefix: string;
  let keys: EngineKeys;
  let router: RunningRouter | undefined;
  let cleanups: Array<() => Promise<void>>;
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

  /** A router with `env` settings, serving `app` at `<app>.test` from one backend `handler`. */
  async function serve(
    handler: http.RequestListener,
    env: Record<string, string> = {},
    setup?: (server: http.Server) => void,
  ): Promise<{ router: RunningRouter; backend: Awaited<ReturnType<typeof listenOn>> }> {
    const backend = await listenOn(handler, setup);
    cleanups.push(backend.close);
    await keys.addDomain('shop', 'shop.test');
    await keys.addBackend('shop', 'web.1', backend.url);
    const captured = capturingLogger();
    logLines = captured.lines;
    router = await startRouter(routerConfig(prefix, SHARED_ETCD_URL, env), captured.logger);
    return { router, backend };
  }

  function accessLines(): Array<Record<string, unknown>> {
    return logLines.filter((line) => line.msg === 'request');
  }

  it('passes a WebSocket through: handshake, frames both ways, forwarded headers', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const { router } = await serve((_req, res) => res.end('not an upgrade'), {}, (server) => attachWebsocketEcho(server, seen));
    const session = await websocketEcho(router.port, 'shop.test', ['hello', 'x'.repeat(300)]);
    expect(session.status).to.equal(101);
    expect(session.echoes).to.deep.equal(['echo: hello', `echo: ${'x'.repeat(300)}`]);
    expect(session.headers['x-request-id']).to.match(UUID);
    expect(seen[0]).to.include({ upgrade: 'websocket', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', host: 'shop.test' });
    expect(seen[0]?.['x-request-id']).to.equal(session.headers['x-request-id']);
    await waitUntil('the session was logged', () => accessLines().some((line) => line.upgrade === true));
    expect(accessLines().find((line) => line.upgrade === true)).to.include({ app: 'shop', status: 101, code: null });
  });

  it('streams server-sent events: the first event arrives while the backend still holds the second', async () => {
    let clientGotFirst: () => void = () => undefined;
    const firstSeen = new Promise<void>((resolve) => (clientGotFirst = resolve));
    const { router } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: one\n\n');
      // The second event only once the client has seen the first through the router.
      void firstSeen.then(() => res.end('data: two\n\n'));
    });
    const events = await new Promise<string[]>((resolve, reject) => {
      const received: string[] = [];
      const req = http.get({ host: '127.0.0.1', port: router.port, headers: { host: 'shop.test', accept: 'text/event-stream' }, agent: false }, (res) => {
        expect(res.headers['content-type']).to.equal('text/event-stream');
        let buffered = '';
        res.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const parts = buffered.split('\n\n');
          buffered = parts.pop() ?? '';
          for (const part of parts) {
            received.push(part.replace(/^data: /, ''));
            if (part === 'data: one') clientGotFirst();
          }
        });
        res.on('end', () => resolve(received));
      });
      req.on('error', reject);
    });
    expect(events).to.deep.equal(['one', 'two']);
  });

  it('reuses pooled keep-alive connections to the backend', async () => {
    const connections: net.Socket[] = [];
    const { router } = await serve(
      (_req, res) => res.end('ok'),
      {},
      (server) => server.on('connection', (socket: net.Socket) => connections.push(socket)),
    );
    for (let i = 0; i < 10; i += 1) expect((await request(router.port, 'shop.test')).status).to.equal(200);
    expect(connections).to.have.length(1);
  });

  it('keeps the client\'s X-Request-Id or makes one, passes it to the app and returns it', async () => {
    const ids: unknown[] = [];
    const { router } = await serve((req, res) => {
      ids.push(req.headers['x-request-id']);
      res.end('ok');
    });
    const kept = await request(router.port, 'shop.test', { headers: { 'x-request-id': 'trace-42.abc' } });
    expect(kept.headers['x-request-id']).to.equal('trace-42.abc');
    const made = await request(router.port, 'shop.test');
    expect(made.headers['x-request-id']).to.match(UUID);
    const odd = await request(router.port, 'shop.test', { headers: { 'x-request-id': 'has spaces in it' } });
    expect(odd.headers['x-request-id']).to.match(UUID);
    expect(ids).to.deep.equal(['trace-42.abc', made.headers['x-request-id'], odd.headers['x-request-id']]);
    const unknown = await request(router.port, 'ghost.test', { headers: { 'x-request-id': 'err-1' } });
    expect(unknown.headers['x-request-id']).to.equal('err-1');
    await waitUntil('four access lines', () => accessLines().length >= 4);
    expect(accessLines().map((line) => line.requestId)).to.deep.equal(['trace-42.abc', made.headers['x-request-id'], odd.headers['x-request-id'], 'err-1']);
  });

  it('strips hop-by-hop headers in both directions', async () => {
    let seen: http.IncomingHttpHeaders = {};
    const { router } = await serve((req, res) => {
      seen = req.headers;
      res.writeHead(200, { connection: 'X-Backend-Hop', 'x-backend-hop': '1', 'keep-alive': 'timeout=5', 'x-kept': 'yes', 'content-length': '2' });
      res.end('ok');
    });
    const response = await request(router.port, 'shop.test', {
      headers: { connection: 'X-Client-Hop', 'x-client-hop': '1', 'proxy-authorization': 'Basic eA==', te: 'trailers', 'x-kept': 'yes' },
    });
    expect(seen).to.not.have.any.keys('x-client-hop', 'proxy-authorization', 'te');
    expect(seen['x-kept']).to.equal('yes');
    expect(response.headers).to.not.have.any.keys('x-backend-hop');
    // The router's own connection to the client has its own Keep-Alive, not the backend's.
    expect(response.headers['keep-alive']).to.not.equal('timeout=5');
    expect(response.headers['x-kept']).to.equal('yes');
  });

  it('answers 504 R504 when the app sends no response headers in time', async () => {
    const { router } = await serve(() => undefined, { SLIPWAY_ROUTER_RESPONSE_TIMEOUT: '0.3' });
    const response = await request(router.port, 'shop.test');
    expect(response.status).to.equal(504);
    expect(response.headers['x-slipway-error']).to.equal('R504');
    expect(response.body).to.match(/^R504 shop did not start answering within 0.3 s/);
    await waitUntil('the access line', () => accessLines().length >= 1);
    expect(accessLines()[0]).to.include({ status: 504, code: 'R504', app: 'shop' });
  });

  it('cuts a response that goes idle once started (R598)', async () => {
    const { router } = await serve(
      (_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
      },
      { SLIPWAY_ROUTER_IDLE_TIMEOUT: '0.3' },
    );
    const outcome = await request(router.port, 'shop.test').then(
      (response) => `completed with ${response.status}`,
      (error: NodeJS.ErrnoException) => `failed: ${error.code ?? error.message}`,
    );
    expect(outcome).to.match(/^failed: /);
    await waitUntil('the access line', () => accessLines().length >= 1);
    expect(accessLines()[0]).to.include({ status: 200, code: 'R598', clientAborted: true });
  });

  it('answers 408 R408 when the client stops sending its body', async () => {
    const { router } = await serve((req, res) => req.on('end', () => res.end('got it')).resume(), { SLIPWAY_ROUTER_IDLE_TIMEOUT: '0.3' });
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(router.port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
      // 10 of the 100 bytes announced, then silence.
      socket.write('POST /upload HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 100\r\n\r\n0123456789');
    });
    expect(answer).to.match(/^HTTP\/1\.1 408 /);
    expect(answer).to.include('x-slipway-error: R408');
  });

  it('limits the request line and each header line to 8 KB, and the whole head to 64 KB', async () => {
    const { router } = await serve((_req, res) => res.end('ok'));
    const longLine = await rawExchange(router.port, `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: shop.test\r\n\r\n`);
    expect(longLine).to.match(/^HTTP\/1\.1 414 /);
    expect(longLine).to.include('x-slipway-error: R414');

    const longHeader = await rawExchange(router.port, `GET / HTTP/1.1\r\nHost: shop.test\r\nX-Big: ${'b'.repeat(9000)}\r\n\r\n`);
    expect(longHeader).to.match(/^HTTP\/1\.1 431 /);
    expect(longHeader).to.include('R431 The X-Big header line is longer than 8192 bytes.');

    const manyHeaders = Array.from({ length: 10 }, (_, i) => `X-H${i}: ${'c'.repeat(7000)}\r\n`).join('');
    const hugeHead = await rawExchange(router.port, `GET / HTTP/1.1\r\nHost: shop.test\r\n${manyHeaders}\r\n`);
    expect(hugeHead).to.match(/^HTTP\/1\.1 431 /);
    expect(hugeHead).to.include('x-slipway-error: R431');

    // Past the whole-head limit Node only shows the last chunk read: 414 if that shows the line, 431 otherwise.
    const hugeLine = await rawExchange(router.port, `GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: shop.test\r\n\r\n`);
    expect(hugeLine).to.match(/^HTTP\/1\.1 (414|431) /);
    expect(hugeLine).to.match(/x-slipway-error: R4(14|31)/);

    // Just under every limit passes.
    const fits = await rawExchange(router.port, `GET /${'a'.repeat(8000)} HTTP/1.1\r\nHost: shop.test\r\nX-Big: ${'b'.repeat(8000)}\r\nConnection: close\r\n\r\n`);
    expect(fits).to.match(/^HTTP\/1\.1 200 /);
  });

  it('refuses a body over the limit with 413 R413, before it reaches the app or as soon as it grows past it', async () => {
    let bodiesSeen = 0;
    const { router } = await serve((req, res) => {
      bodiesSeen += 1;
      req.resume();
      req.on('end', () => res.end('ok'));
    }, { SLIPWAY_ROUTER_MAX_BODY_MB: String(4096 / (1024 * 1024)) });

    const declared = await request(router.port, 'shop.test', { method: 'POST', body: 'x'.repeat(5000) });
    expect(declared.status).to.equal(413);
    expect(declared.headers['x-slipway-error']).to.equal('R413');
    expect(bodiesSeen).to.equal(0);

    const small = await request(router.port, 'shop.test', { method: 'POST', body: 'x'.repeat(4000) });
    expect(small.status).to.equal(200);

    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: router.port, method: 'POST', path: '/', headers: { host: 'shop.test', 'transfer-encoding': 'chunked' }, agent: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 5; i += 1) req.write('y'.repeat(1000));
      req.end();
    });
    expect(chunked).to.equal(413);

    // With Expect: 100-continue the client learns it before sending a byte of the body.
    const expectation = await new Promise<string>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: router.port,
        method: 'PUT',
        path: '/',
        headers: { host: 'shop.test', expect: '100-continue', 'content-length': '5000' },
        agent: false,
      });
      req.on('continue', () => resolve('continue'));
      req.on('response', (res) => {
        res.resume();
        resolve(String(res.statusCode));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(expectation).to.equal('413');
  });

  it('sends 100 Continue once the backend is connected, then streams the body', async () => {
    const { router } = await serve((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => res.end(`got ${Buffer.concat(chunks).length}`));
    });
    const answer = await new Promise<string>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: router.port,
        method: 'PUT',
        path: '/',
        headers: { host: 'shop.test', expect: '100-continue', 'content-length': '5' },
        agent: false,
      });
      req.on('continue', () => req.end('hello'));
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(answer).to.equal('200 got 5');
  });
});

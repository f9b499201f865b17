/**
 * What only the router's fast path (router/fast-proxy.ts) has to get right: several requests on
 * one connection, handing a connection to the full proxy midway, passing response bodies on in
 * every framing, and its own pool of backend connections. Real etcd, real backends; the rest of
 * the router's behaviour is tested for both paths by the other files here.
 */
import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { startRouter, type RunningRouter } from '../../../router/index';
import { capturingLogger, EngineKeys, listenOn, rawExchange, routerConfig, SHARED_ETCD_URL, uniquePrefix, waitUntil } from './helpers';

// Once per kind of socket under the fast path (SLIPWAY_ROUTER_SOCKETS): the router's own (native,
// router/native/sockets.c) and Node's net.Socket (node, the fallback).
for (const sockets of ['native', 'node'] as const) {
  describe(`router fast path (${sockets} sockets)`, function () {
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

    async function startRouterFor(backendUrl: string): Promise<RunningRouter> {
      await keys.addDomain('shop', 'shop.test');
      await keys.addBackend('shop', 'web.1', backendUrl);
      const captured = capturingLogger();
      logLines = captured.lines;
      router = await startRouter(routerConfig(prefix, SHARED_ETCD_URL, { SLIPWAY_ROUTER_SOCKETS: sockets }), captured.logger);
      return router;
    }

    async function serve(handler: http.RequestListener): Promise<{ router: RunningRouter; backend: Awaited<ReturnType<typeof listenOn>> }> {
      const backend = await listenOn(handler);
      cleanups.push(backend.close);
      return { router: await startRouterFor(backend.url), backend };
    }

    /** A backend that answers every request with `answer` (raw bytes), then does what `after` says. */
    async function rawBackend(answer: string, after: 'keep' | 'close'): Promise<{ url: string; connections: () => number }> {
      let connections = 0;
      const server = net.createServer((socket) => {
        connections += 1;
        let head = '';
        socket.on('data', (chunk: Buffer) => {
          head += chunk.toString('latin1');
          if (!head.includes('\r\n\r\n')) return;
          head = '';
          if (after === 'close') socket.end(answer);
          else socket.write(answer);
        });
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            for (const each of sockets) each.destroy();
          }),
      );
      const sockets = new Set<net.Socket>();
      server.on('connection', (socket: net.Socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
    }

    /**
     * A backend that answers the n-th request it gets (on any connection) by calling answers[n]
     * with that connection; past the list, a plain 200 naming the request's target.
     */
    async function scriptedBackend(answers: Array<(socket: net.Socket) => void>): Promise<{ url: string; requests: () => number }> {
      let requests = 0;
      const server = net.createServer((socket) => {
        let head = '';
        socket.on('data', (chunk: Buffer) => {
          head += chunk.toString('latin1');
          while (head.includes('\r\n\r\n')) {
            const target = head.split(' ')[1] as string;
            head = head.slice(head.indexOf('\r\n\r\n') + 4);
            const answer = answers[requests];
            requests += 1;
            if (answer !== undefined) answer(socket);
            else socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${target.length}\r\n\r\n${target}`);
          }
        });
        socket.on('error', () => undefined);
      });
      const open = new Set<net.Socket>();
      server.on('connection', (socket: net.Socket) => {
        open.add(socket);
        socket.on('close', () => open.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            for (const each of open) each.destroy();
          }),
      );
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
    }

    /** The answers in `raw`, split at each status line (bodies here never contain one). */
    function answers(raw: string): string[] {
      return raw.split(/(?=HTTP\/1\.1 \d\d\d )/).filter((part) => part !== '');
    }

    function echoHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = `${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`;
        res.writeHead(200, { 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    }

    it(`listens on ${sockets} sockets`, async () => {
      await serve((_req, res) => res.end('ok'));
      const listening = logLines.find((line) => line.msg === 'router listening');
      expect(listening?.sockets).to.equal(sockets);
    });

    it('answers pipelined requests on one connection in order, bodies included', async () => {
      const { router } = await serve(echoHandler);
      const answer = await rawExchange(
        router.port,
        'GET /one HTTP/1.1\r\nHost: shop.test\r\n\r\n' +
          'POST /two HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 5\r\n\r\nhello' +
          'GET /three HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n',
      );
      const bodies = answer.split('HTTP/1.1 200 OK').slice(1).map((part) => part.slice(part.indexOf('\r\n\r\n') + 4));
      expect(bodies).to.deep.equal(['GET /one ', 'POST /two hello', 'GET /three ']);
    });

    it('hands a connection to the full proxy midway (a chunked upload), which then keeps it', async () => {
      const { router } = await serve(echoHandler);
      const answer = await rawExchange(
        router.port,
        'GET /fast HTTP/1.1\r\nHost: shop.test\r\n\r\n' +
          'POST /chunked HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
          'GET /after HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n',
      );
      expect(answer).to.include('GET /fast ');
      expect(answer).to.include('POST /chunked abc');
      expect(answer).to.include('GET /after ');
      expect(answer.match(/HTTP\/1\.1 200 OK/g)).to.have.length(3);
    });

    it('passes a chunked response on as chunks and reuses both connections afterwards', async () => {
      const { router } = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first,');
        setImmediate(() => res.end('second'));
      });
      const answer = await rawExchange(router.port, 'GET /a HTTP/1.1\r\nHost: shop.test\r\n\r\nGET /b HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n');
      const responses = answer.split('HTTP/1.1 200 OK').slice(1);
      expect(responses).to.have.length(2);
      for (const each of responses) {
        expect(each).to.match(/transfer-encoding: chunked/i);
        expect(each).to.include('6\r\nfirst,\r\n');
        expect(each).to.include('6\r\nsecond\r\n0\r\n\r\n');
      }
    });

    it('reads a response without a length until the backend closes, and closes the client connection too', async () => {
      const backend = await rawBackend('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it', 'close');
      const router = await startRouterFor(backend.url);
      const answer = await rawExchange(router.port, 'GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n');
      expect(answer).to.match(/^HTTP\/1\.1 200 OK\r\n/);
      expect(answer).to.match(/\r\nConnection: close\r\n/);
      expect(answer.endsWith('\r\n\r\nall of it')).to.equal(true);
    });

    it('passes the final answer after 103 Early Hints, and only it', async () => {
      const { router } = await serve((_req, res) => {
        res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
        res.end('final');
      });
      const answer = await rawExchange(router.port, 'GET / HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n');
      expect(answer).to.not.include('103');
      expect(answer).to.match(/^HTTP\/1\.1 200 OK\r\n/);
      expect(answer.endsWith('final')).to.equal(true);
    });

    it('answers 502 R502 for a response head it cannot pass on', async () => {
      const backend = await rawBackend('HTTP/1.1 200 OK\r\nX-Split: a\nInjected: yes\r\n\r\n', 'close');
      const router = await startRouterFor(backend.url);
      const answer = await rawExchange(router.port, 'GET / HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n');
      expect(answer).to.match(/^HTTP\/1\.1 502 /);
      expect(answer).to.include('x-slipway-error: R502');
      expect(answer).to.not.include('Injected');
    });

    it('sends a HEAD answer without a body and carries on with the next request', async () => {
      const { router } = await serve((req, res) => {
        res.writeHead(200, { 'content-length': '4' });
        res.end(req.method === 'HEAD' ? undefined : 'body');
      });
      const answer = await rawExchange(router.port, 'HEAD / HTTP/1.1\r\nHost: shop.test\r\n\r\nGET / HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n');
      const responses = answer.split('HTTP/1.1 200 OK').slice(1);
      expect(responses).to.have.length(2);
      expect(responses[0]?.endsWith('\r\n\r\n')).to.equal(true);
      expect(responses[1]?.endsWith('\r\n\r\nbody')).to.equal(true);
    });

    it('closes its idle connections to a backend as soon as the backend is withdrawn', async () => {
      const { router, backend } = await serve((_req, res) => res.end('ok'));
      let open = 0;
      backend.server.on('connection', (socket: net.Socket) => {
        open += 1;
        socket.on('close', () => (open -= 1));
      });
      const answer = await rawExchange(router.port, 'GET / HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n');
      expect(answer).to.match(/^HTTP\/1\.1 200 /);
      expect(open).to.equal(1); // pooled, kept alive
      await keys.removeBackend('shop', 'web.1');
      await waitUntil('the pooled connection to close', () => open === 0);
    });

    it('fails no GET when the backend closes each connection right after answering (stale pooled connections)', async () => {
      // Answers, then closes the connection just after: the router's pooled connection goes stale.
      const backend = await rawBackend('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 'close');
      const router = await startRouterFor(backend.url);
      for (let i = 0; i < 5; i += 1) {
        const answer = await rawExchange(router.port, 'GET / HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n');
        expect(answer).to.match(/^HTTP\/1\.1 200 /);
      }
      expect(backend.connections()).to.equal(5);
      expect(logLines.filter((line) => line.msg === 'request' && line.status === 200)).to.have.length(5);
    });

    describe('response framing (one tenant must not desync connections others share)', () => {
      const POISON = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: y\n\n';
      const FAKE = 'HTTP/1.1 302 Found\r\nLocation: https://evil.example/\r\nContent-Length: 0\r\n\r\n';
      const PIPELINED = 'GET /first HTTP/1.1\r\nHost: shop.test\r\n\r\nGET /second HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n';

      it('answers 502 R502 for a chunked body whose trailer ends in bare LFs, discards that connection, and answers the next request rightly', async () => {
        const backend = await scriptedBackend([
          (socket) => {
            socket.write(POISON);
            socket.write(FAKE);
          },
        ]);
        const router = await startRouterFor(backend.url);
        const raw = await rawExchange(router.port, PIPELINED);
        expect(raw).to.not.include('evil.example');
        const [first, second, ...more] = answers(raw);
        expect(first).to.match(/^HTTP\/1\.1 502 /);
        expect(first).to.include('x-slipway-error: R502');
        expect(second).to.match(/^HTTP\/1\.1 200 OK\r\n/);
        expect(second?.endsWith('\r\n\r\n/second')).to.equal(true);
        expect(more).to.deep.equal([]);
        const logged = logLines.find((line) => line.msg === 'request' && line.path === '/first');
        expect(logged).to.include({ app: 'shop', status: 502, code: 'R502' });
      });

      it('cuts the client off, passing nothing unparsed on, when the bad bytes come after the head went out', async () => {
        let appSocket: net.Socket | undefined;
        const backend = await scriptedBackend([
          (socket) => {
            appSocket = socket;
            socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
          },
        ]);
        const router = await startRouterFor(backend.url);
        const raw = await new Promise<string>((resolve) => {
          const socket = net.connect(router.port, '127.0.0.1');
          let seen = '';
          socket.on('data', (chunk: Buffer) => {
            const before = seen;
            seen += chunk.toString('latin1');
            if (!before.includes('hello') && seen.includes('hello')) appSocket?.write(`0\r\nX: y\n\n${FAKE}`);
          });
          socket.on('error', () => undefined);
          socket.on('close', () => resolve(seen));
          socket.write(PIPELINED);
        });
        expect(raw).to.match(/^HTTP\/1\.1 200 OK\r\n/);
        // The fake's status line and location; not the bare digits 302, which the router's random
        // X-Request-Id holds in 0.5 % of responses. The whole answer is in the message: CI failed
        // here twice on the digits, and the answer it saw was cut short by chai.
        expect(raw, JSON.stringify(raw)).to.not.include('302 Found');
        expect(raw, JSON.stringify(raw)).to.not.include('evil.example');
        expect(raw).to.not.include('X: y');
        expect(answers(raw)).to.have.length(1);
      });

      for (const [what, body] of [
        ['a chunk size line ending in a bare LF', '5\nhello\r\n0\r\n\r\n'],
        ['chunk data not followed by CRLF', '5\r\nhello\n0\r\n\r\n'],
        ['a chunk extension with a space before its name', '5; a=b\r\nhello\r\n0\r\n\r\n'],
        ['a chunk extension value that is neither a token nor a quoted string', '5;a=b@c\r\nhello\r\n0\r\n\r\n'],
        ['a trailer field without a colon', '5\r\nhello\r\n0\r\nX y\r\n\r\n'],
        ['an obsolete line fold in the trailer', '5\r\nhello\r\n0\r\nX: y\r\n z\r\n\r\n'],
        ['an over-long chunk size', 'fffffffffffffffff\r\nhello\r\n0\r\n\r\n'],
      ] as const) {
        it(`answers 502 R502 for ${what}`, async () => {
          const backend = await scriptedBackend([(socket) => socket.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`)]);
          const router = await startRouterFor(backend.url);
          const [first, second] = answers(await rawExchange(router.port, PIPELINED));
          expect(first).to.match(/^HTTP\/1\.1 502 /);
          expect(first).to.include('x-slipway-error: R502');
          expect(second?.endsWith('\r\n\r\n/second')).to.equal(true);
        });
      }

      it('answers 502 R502 for two Content-Length lines, even with the same value (as llhttp does)', async () => {
        const backend = await scriptedBackend([(socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello')]);
        const router = await startRouterFor(backend.url);
        const [first, second] = answers(await rawExchange(router.port, PIPELINED));
        expect(first).to.match(/^HTTP\/1\.1 502 /);
        expect(second?.endsWith('\r\n\r\n/second')).to.equal(true);
      });

      it('accepts chunk sizes with leading zeros and chunk extensions of the grammar', async () => {
        const backend = await scriptedBackend([
          (socket) => socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000000005;a=b;c="d e"\r\nhello\r\n000\r\n\r\n'),
        ]);
        const router = await startRouterFor(backend.url);
        const [first, second] = answers(await rawExchange(router.port, PIPELINED));
        expect(first).to.match(/^HTTP\/1\.1 200 OK\r\n/);
        expect(first).to.include('\r\nhello\r\n');
        expect(second?.endsWith('\r\n\r\n/second')).to.equal(true);
      });

      it('passes trailer fields on only to a client that said TE: trailers', async () => {
        const chunkedWithTrailer = (socket: net.Socket): void => {
          socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: 42\r\n\r\n');
        };
        const backend = await scriptedBackend([chunkedWithTrailer, chunkedWithTrailer, chunkedWithTrailer, chunkedWithTrailer]);
        const router = await startRouterFor(backend.url);
        const without = await rawExchange(router.port, 'GET / HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n');
        expect(without).to.match(/^HTTP\/1\.1 200 OK\r\n/);
        expect(without.endsWith('\r\n5\r\nhello\r\n0\r\n\r\n')).to.equal(true);
        const withTe = await rawExchange(router.port, 'GET / HTTP/1.1\r\nHost: shop.test\r\nTE: trailers\r\nConnection: TE, close\r\n\r\n');
        expect(withTe.endsWith('\r\n5\r\nhello\r\n0\r\nX-Checksum: 42\r\n\r\n')).to.equal(true);
        // The same on the full proxy (Expect takes it there), which frames the answer anew.
        const expecting = 'GET / HTTP/1.1\r\nHost: shop.test\r\nExpect: 100-continue\r\n';
        const fullWithout = await rawExchange(router.port, `${expecting}Connection: close\r\n\r\n`);
        expect(fullWithout).to.include('HTTP/1.1 200 OK\r\n');
        expect(fullWithout).to.include('hello');
        expect(fullWithout).to.not.include('X-Checksum: 42');
        const fullWithTe = await rawExchange(router.port, `${expecting}TE: trailers\r\nConnection: TE, close\r\n\r\n`);
        expect(fullWithTe).to.include('\r\n0\r\nX-Checksum: 42\r\n\r\n');
      });
    });

    describe('requests it refuses are answered, and read as llhttp reads them', () => {
      it('answers CONNECT with 501 R501 instead of closing without a word', async () => {
        const backend = await scriptedBackend([]);
        const router = await startRouterFor(backend.url);
        const raw = await rawExchange(router.port, 'CONNECT shop.test:443 HTTP/1.1\r\nHost: shop.test:443\r\n\r\n');
        expect(raw).to.match(/^HTTP\/1\.1 501 /);
        expect(raw).to.include('x-slipway-error: R501');
        expect(backend.requests()).to.equal(0);
      });

      for (const [what, answer] of [
        ['with Upgrade headers', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: evil\r\nConnection: upgrade\r\n\r\n'],
        ['without them', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
      ] as const) {
        it(`answers 502 R502 for a 101 ${what} that nobody asked for, on the full proxy too, and does not retry`, async () => {
          const backend = await scriptedBackend([(socket) => socket.write(answer), (socket) => socket.write(answer), (socket) => socket.write(answer)]);
          const router = await startRouterFor(backend.url);
          // HTTP/1.0 takes the full proxy; HTTP/1.1 the fast path.
          for (const version of ['1.0', '1.1']) {
            const requestsBefore = backend.requests();
            const raw = await rawExchange(router.port, `GET / HTTP/${version}\r\nHost: shop.test\r\nConnection: close\r\n\r\n`);
            expect(raw, version).to.match(/^HTTP\/1\.1 502 /);
            expect(raw, version).to.include('x-slipway-error: R502');
            expect(backend.requests() - requestsBefore, version).to.equal(1);
          }
        });
      }

      it('answers a head whose lines end in bare LFs with 400 at once', async () => {
        const backend = await scriptedBackend([]);
        const router = await startRouterFor(backend.url);
        const raw = await rawExchange(router.port, 'GET / HTTP/1.1\nHost: shop.test\n\n');
        expect(raw).to.match(/^HTTP\/1\.1 400 /);
        expect(backend.requests()).to.equal(0);
      });

      for (const [what, bytes] of [
        ['a method in lower case', 'get / HTTP/1.1\r\nHost: shop.test\r\n\r\n'],
        ['a method llhttp does not know', 'MKCOLA / HTTP/1.1\r\nHost: shop.test\r\n\r\n'],
        ['a Content-Length with a tab after the digits', 'POST / HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 5\t\r\n\r\nhello'],
      ] as const) {
        it(`refuses ${what} with 400, as llhttp does, and the app sees nothing`, async () => {
          const backend = await scriptedBackend([]);
          const router = await startRouterFor(backend.url);
          const raw = await rawExchange(router.port, bytes);
          expect(raw).to.match(/^HTTP\/1\.1 400 /);
          expect(backend.requests()).to.equal(0);
        });
      }

      it('passes a Content-Length with spaces around it, which llhttp takes, with its body', async () => {
        const { router } = await serve(echoHandler);
        const raw = await rawExchange(router.port, 'POST /x HTTP/1.1\r\nHost: shop.test\r\nContent-Length:  5 \r\nConnection: close\r\n\r\nhello');
        expect(raw).to.match(/^HTTP\/1\.1 200 /);
        expect(raw.endsWith('POST /x hello')).to.equal(true);
      });

      it('routes an absolute-form request by its target\'s authority, not Host, and passes it on in origin form', async () => {
        const seen: string[] = [];
        const { router } = await serve((req, res) => {
          seen.push(`${req.url} ${req.headers.host}`);
          res.end('shop');
        });
        const raw = await rawExchange(router.port, 'GET http://shop.test/x?y=1 HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n');
        expect(raw).to.match(/^HTTP\/1\.1 200 /);
        expect(seen).to.deep.equal(['/x?y=1 shop.test']);
        const logged = logLines.find((line) => line.msg === 'request');
        expect(logged).to.include({ host: 'shop.test', app: 'shop' });
      });

      it('answers an HTTP/1.0 request without keep-alive even when another request follows it', async () => {
        const { router } = await serve(echoHandler);
        const raw = await rawExchange(router.port, 'GET /one HTTP/1.0\r\nHost: shop.test\r\n\r\nGET /two HTTP/1.1\r\nHost: shop.test\r\n\r\n');
        expect(answers(raw)).to.have.length(1);
        expect(raw).to.match(/^HTTP\/1\.1 200 /);
        expect(raw.endsWith('GET /one ')).to.equal(true);
      });

      it('answers both of Expect: 100-continue with Content-Length: 0 and the request pipelined after it', async () => {
        const { router } = await serve(echoHandler);
        const raw = await rawExchange(
          router.port,
          'POST /one HTTP/1.1\r\nHost: shop.test\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\nGET /two HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n',
        );
        const finals = answers(raw).filter((part) => !part.startsWith('HTTP/1.1 100 '));
        expect(finals).to.have.length(2);
        expect(finals[0]?.endsWith('POST /one ')).to.equal(true);
        expect(finals[1]?.endsWith('GET /two ')).to.equal(true);
      });
    });

    describe('findings of the differential suite (test/integration/router/differential-corpus.ts)', () => {
      it('answers 502 R502 for an interim 103 whose head breaks the grammar, and passes nothing after it', async () => {
        const backend = await rawBackend('HTTP/1.1 103 Early Hints\r\nLink: </a.c\r\nss>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 'close');
        const router = await startRouterFor(backend.url);
        const raw = await rawExchange(router.port, 'GET / HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n');
        expect(raw).to.match(/^HTTP\/1\.1 502 /);
        expect(raw).to.include('x-slipway-error: R502');
        expect(raw).to.not.include('200 OK');
      });

      it('answers 502 R502 for a control byte in the reason phrase on both paths, and keeps serving', async () => {
        const backend = await scriptedBackend([
          (socket) => socket.write('HTTP/1.1 200 O\x01K\r\nContent-Length: 2\r\n\r\nok'),
          (socket) => socket.write('HTTP/1.1 200 O\x01K\r\nContent-Length: 2\r\n\r\nok'),
        ]);
        const router = await startRouterFor(backend.url);
        // HTTP/1.0 takes the full proxy (where writeHead used to throw and end the process); HTTP/1.1 the fast path.
        for (const version of ['1.0', '1.1']) {
          const raw = await rawExchange(router.port, `GET / HTTP/${version}\r\nHost: shop.test\r\nConnection: close\r\n\r\n`);
          expect(raw, version).to.match(/^HTTP\/1\.1 502 /);
          expect(raw, version).to.include('x-slipway-error: R502');
        }
        const next = await rawExchange(router.port, 'GET /after HTTP/1.0\r\nHost: shop.test\r\n\r\n');
        expect(next).to.match(/^HTTP\/1\.1 200 /);
        expect(next.endsWith('/after')).to.equal(true);
      });

      it('passes OPTIONS * on as it is, routed by Host', async () => {
        const backend = await scriptedBackend([]);
        const router = await startRouterFor(backend.url);
        const raw = await rawExchange(router.port, 'OPTIONS * HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n');
        expect(raw).to.match(/^HTTP\/1\.1 200 /);
        expect(raw.endsWith('\r\n\r\n*')).to.equal(true);
      });

      it('answers an upgrade request with a body with 400 R400 instead of hanging', async () => {
        const backend = await scriptedBackend([]);
        const router = await startRouterFor(backend.url);
        const raw = await rawExchange(router.port, 'POST /ws HTTP/1.1\r\nHost: shop.test\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\nhi');
        expect(raw).to.match(/^HTTP\/1\.1 400 /);
        expect(raw).to.include('x-slipway-error: R400');
        expect(backend.requests()).to.equal(0);
      });

      it('passes nothing on after a refusal that closes the connection', async () => {
        const backend = await scriptedBackend([]);
        const router = await startRouterFor(backend.url);
        // The 404 comes before the body is read, so it closes; the full proxy (HTTP/1.0) has
        // already parsed the request after it by then.
        const raw = await rawExchange(
          router.port,
          'POST /old HTTP/1.0\r\nHost: unknown.test\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhelloGET /next HTTP/1.1\r\nHost: shop.test\r\n\r\n',
        );
        expect(answers(raw)).to.have.length(1);
        expect(raw).to.match(/^HTTP\/1\.1 404 /);
        expect(backend.requests()).to.equal(0);
      });

      it('writes nothing after an answer that said Connection: close, not even a 400 for bytes after it', async () => {
        const backend = await scriptedBackend([]);
        const router = await startRouterFor(backend.url);
        const raw = await rawExchange(router.port, 'POST /up HTTP/1.1\r\nHost: unknown.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\f\nX-T: 1\r\n\r\n');
        expect(answers(raw)).to.have.length(1);
        expect(raw).to.match(/^HTTP\/1\.1 404 /);
      });

      it('frames its own error page by the bytes it sends: a Host with a non-ASCII byte gets a 404 of its exact length, and the next request its answer', async () => {
        // Seed 9 of the fuzzer: the 404 echoes the Host (here U+0080, read as latin1) in a body
        // whose Content-Length counts UTF-8 bytes; native sockets wrote the string as latin1, one
        // byte short, so the client waited for a byte that never came and would have read the
        // next answer's first byte as the 404's last.
        const { router } = await serve((req, res) => res.end(`${req.url}`));
        const raw = await rawExchange(
          router.port,
          Buffer.from('GET /1 HTTP/1.1\r\nHost:\x80other.test\r\n\r\nGET /2 HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n', 'latin1'),
        );
        const [refusal, next] = answers(raw);
        expect(refusal).to.match(/^HTTP\/1\.1 404 /);
        const length = Number(/content-length: (\d+)/i.exec(refusal as string)?.[1]);
        const body = Buffer.from((refusal as string).slice((refusal as string).indexOf('\r\n\r\n') + 4), 'latin1');
        expect(body.length).to.equal(length);
        expect(body.toString('utf8')).to.equal('R404 No app is served at \u0080other.test\n');
        expect(next).to.match(/^HTTP\/1\.1 200 /);
        expect(next).to.match(/\r\n\r\n\/2$/);
      });

      // Seed 9 of the fuzzer, next: Node's server answered a Host-less request itself (400,
      // Connection: close, unseen by the router), and the router then answered the bytes after it
      // with a second 400, after a Connection: close. Now the router answers it (R400); with an
      // unmet Expect node:http closes after that answer (nothing follows), without, the bytes after
      // it get their own 400.
      for (const [what, expect100, count] of [[' with Expect: 100-continue', 'Expect: 100-continue\r\n', 1], ['', '', 2]] as const) {
        it(`answers a request without Host${what} with its own 400 R400, and nothing after an answer that closes`, async () => {
          let served = 0;
          const { router } = await serve((_req, res) => {
            served += 1;
            res.end('no');
          });
          const raw = await rawExchange(router.port, `PUT /x HTTP/1.1\r\nost: shop.test\r\n${expect100}ontent-Length: 3\r\n\r\nabc`);
          const all = answers(raw);
          expect(all).to.have.length(count);
          expect(all[0]).to.match(/^HTTP\/1\.1 400 [^]*x-slipway-error: R400\r\n/i);
          if (count === 2) expect(all[1]).to.match(/^HTTP\/1\.1 400 /);
          for (const answer of all.slice(0, -1)) expect(answer).not.to.match(/connection: close/i);
          expect(served).to.equal(0);
        });
      }

      it('answers an unknown method at once, before the head is complete', async () => {
        const backend = await scriptedBackend([]);
        const router = await startRouterFor(backend.url);
        const raw = await rawExchange(router.port, 'ET /a HTTP/1.1\r\nHost: shop.test\r\n');
        expect(raw).to.match(/^HTTP\/1\.1 400 /);
      });
    });
  });
}

/**
 * One fast-path client connection (router/client-connection.ts) over fake sockets: the client's
 * and the backend's bytes are scripted here, nothing touches the network.
 */
import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { AccessLog } from '../../../router/access-log';
import { BackendPool } from '../../../router/backend-pool';
import { ClientConnection, FastPathState, type FastProxyOptions } from '../../../router/client-connection';
import pino from 'pino';
import { silentLogger } from '../../../lib/log';
import { DEFAULT_PROXY_SETTINGS } from '../../../router/proxy-policy';
import type { ProxyRoutes } from '../../../router/exchange';
import { BackendEntry } from '../../../router/route-table';
import type { ProxySocket } from '../../../router/socket-port';

/** A socket that records what is written to it and is fed bytes by the test. */
class FakeSocket extends EventEmitter implements ProxySocket {
  readonly remoteAddress = '10.0.0.9';
  readonly localPort = 80;
  destroyed = false;
  ended = false;
  readonly writableNeedDrain = false;
  written = '';
  private paused = false;

  write(data: string | Buffer): boolean {
    this.written += typeof data === 'string' ? data : data.toString('latin1');
    return true;
  }
  /** Bytes from the peer. */
  feed(text: string): void {
    this.emit('data', Buffer.from(text, 'latin1'));
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  cork(): void {}
  uncork(): void {}
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  isPaused(): boolean {
    return this.paused;
  }
  end(): this {
    this.ended = true;
    return this;
  }
  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.emit('close');
    return this;
  }
}

interface Rig {
  client: FakeSocket;
  backends: FakeSocket[];
  lines: string[];
  shared: FastPathState;
  handedOff: Array<Buffer | null>;
}

function rig(): Rig {
  const backends: FakeSocket[] = [];
  const lines: string[] = [];
  const handedOff: Array<Buffer | null> = [];
  const entry = new BackendEntry('shop', 'web.1', 'http://10.0.0.2:5000', 1, '10.0.0.2', 5000);
  const routes: ProxyRoutes = {
    loaded: true,
    appForHost: (host) => (host === 'shop.test' ? 'shop' : undefined),
    nextBackend: (_app, exclude) => (exclude?.has('web.1') === true ? undefined : entry),
    backendCount: () => 1,
    stats: () => ({ appCount: 1, hostCount: 1, backendCount: 1 }),
    eject: () => undefined,
    inMaintenance: () => false,
  };
  const pool = new BackendPool({
    idleTimeoutMs: 4000,
    connectTimeoutMs: 0,
    maxIdlePerBackend: 4,
    connect: () => {
      const socket = new FakeSocket();
      backends.push(socket);
      return socket;
    },
  });
  const options: FastProxyOptions = {
    routes,
    pool,
    logger: silentLogger(),
    accessLog: new AccessLog(pino({ level: 'info' }, { write: () => undefined }), undefined, { write: (line) => lines.push(line), bindings: {} }),
    settings: DEFAULT_PROXY_SETTINGS,
    keepAliveTimeoutMs: 5000,
    headersTimeoutMs: 30_000,
    handOff: (_socket, buffered) => handedOff.push(buffered),
  };
  const shared = new FastPathState(options);
  const client = new FakeSocket();
  shared.open.add(new ClientConnection(client, shared));
  return { client, backends, lines, shared, handedOff };
}

/** The backend connection the rig opened last, connected. */
function connected(r: Rig): FakeSocket {
  const backend = r.backends[r.backends.length - 1] as FakeSocket;
  backend.emit('connect');
  return backend;
}

describe('router/client-connection', () => {
  it('sends the request with the forwarding headers, passes the answer back, and pools the backend connection', () => {
    const r = rig();
    r.client.feed('GET /a HTTP/1.1\r\nHost: shop.test\r\nX-Request-Id: abc\r\n\r\n');
    const backend = connected(r);
    expect(backend.written).to.match(/^GET \/a HTTP\/1\.1\r\nHost: shop\.test\r\nX-Forwarded-For: 10\.0\.0\.9\r\n/);
    expect(backend.written).to.include('\r\nX-Request-Id: abc\r\n\r\n');
    expect(r.shared.inFlight).to.equal(1);
    backend.feed('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    expect(r.client.written).to.equal('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Request-Id: abc\r\n\r\nok');
    expect(r.shared.inFlight).to.equal(0);
    expect(backend.destroyed).to.equal(false);
    // The next request reuses the pooled connection.
    r.client.feed('GET /b HTTP/1.1\r\nHost: shop.test\r\n\r\n');
    expect(r.backends).to.have.length(1);
    expect(backend.written).to.include('GET /b HTTP/1.1');
  });

  it('answers a chunked body that breaks the grammar with 502 R502 and discards the backend connection', () => {
    const r = rig();
    r.client.feed('GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n');
    const backend = connected(r);
    backend.feed('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: y\n\nHTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n');
    expect(r.client.written).to.match(/^HTTP\/1\.1 502 /);
    // The fake's status line; not the bare digits, which a random X-Request-Id may hold.
    expect(r.client.written).to.not.include('302 Found');
    expect(backend.destroyed).to.equal(true);
    expect(r.client.destroyed).to.equal(false); // the client connection carries on
    expect(JSON.parse(r.lines[0] as string)).to.include({ status: 502, code: 'R502', app: 'shop' });
  });

  it('cuts the client off when the body breaks after the head went out, passing no byte of the break on', () => {
    const r = rig();
    r.client.feed('GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n');
    const backend = connected(r);
    backend.feed('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    const before = r.client.written;
    backend.feed('0\r\nX: y\nHTTP/1.1 302 Found\r\n\r\n');
    expect(r.client.written).to.equal(before);
    expect(r.client.destroyed).to.equal(true);
    expect(backend.destroyed).to.equal(true);
  });

  it('drops trailer fields unless the client said TE: trailers', () => {
    for (const [te, expected] of [
      ['', '5\r\nhello\r\n0\r\n\r\n'],
      ['TE: trailers\r\n', '5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n'],
    ] as const) {
      const r = rig();
      r.client.feed(`GET / HTTP/1.1\r\nHost: shop.test\r\n${te}\r\n`);
      const backend = connected(r);
      backend.feed('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n');
      expect(r.client.written.endsWith(`\r\n\r\n${expected}`), te).to.equal(true);
    }
  });

  it('answers an unknown host with 404 R404 without opening a backend connection', () => {
    const r = rig();
    r.client.feed('GET / HTTP/1.1\r\nHost: other.test\r\n\r\n');
    expect(r.client.written).to.match(/^HTTP\/1\.1 404 /);
    expect(r.backends).to.have.length(0);
  });

  it('hands what it does not carry to the full proxy, with the bytes read so far', () => {
    const r = rig();
    r.client.feed('GET / HTTP/1.0\r\nHost: shop.test\r\n\r\n');
    expect(r.handedOff).to.have.length(1);
    expect(r.handedOff[0]?.toString('latin1')).to.equal('GET / HTTP/1.0\r\nHost: shop.test\r\n\r\n');
    expect(r.shared.open.size).to.equal(0);
  });

  it('retries a GET on a fresh connection when a reused one turns out closed', () => {
    const r = rig();
    r.client.feed('GET /a HTTP/1.1\r\nHost: shop.test\r\n\r\n');
    const first = connected(r);
    first.feed('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    r.client.feed('GET /b HTTP/1.1\r\nHost: shop.test\r\n\r\n');
    first.destroy(); // the backend had closed it just as it was reused
    expect(r.backends).to.have.length(2);
    const second = connected(r);
    second.feed('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb');
    expect(r.client.written.endsWith('\r\n\r\nb')).to.equal(true);
  });
});

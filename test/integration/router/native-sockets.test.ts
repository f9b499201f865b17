/**
 * The contract of the router's native sockets (router/native/sockets.c, wrapped by
 * router/native-sockets.ts): what router/fast-proxy.ts and router/backend-pool.ts rely on, which is
 * net.Socket's behaviour with allowHalfOpen. Real TCP on loopback, against each other and against
 * Node's own sockets; no mocks, no sleeps (every wait is for an event).
 *
 * The suite does not skip when the compiled module is missing: it fails (build it with
 * scripts/build-native).
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { connectNative, NativeListener, NativeSocket, nativeSocketsAvailable } from '../../../router/native-sockets';
import { asNodeSocket, connectSocket, writeHeadAndBody } from '../../../router/proxy-socket';
import { freePort } from './helpers';

const KB = 1024;
const MB = 1024 * KB;
const LOOPBACK = '127.0.0.1';

type AnySocket = NativeSocket | net.Socket;

/** Everything a socket delivered, and waits on it (each wait fails at once if the socket closes first). */
class Received {
  private readonly chunks: Buffer[] = [];
  length = 0;
  ended = false;
  closed = false;
  nonBuffers = 0;
  private readonly waiters = new Set<() => void>();

  constructor(socket: EventEmitter) {
    socket.on('data', (chunk: unknown) => {
      if (!Buffer.isBuffer(chunk)) {
        this.nonBuffers += 1;
        return;
      }
      this.chunks.push(chunk);
      this.length += chunk.length;
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  text(): string {
    return this.bytes().toString('latin1');
  }

  until(what: string, condition: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (condition()) {
          this.waiters.delete(check);
          resolve();
        } else if (this.closed) {
          this.waiters.delete(check);
          reject(new Error(`the socket closed before ${what} (${this.length} bytes received${this.ended ? ', then end' : ''})`));
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  atLeast(bytes: number): Promise<void> {
    return this.until(`${bytes} bytes arrived`, () => this.length >= bytes);
  }

  end(): Promise<void> {
    return this.until("'end'", () => this.ended);
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Resolves with close's argument (hadError); unlike events.once, an 'error' before it is no failure. */
function closed(socket: EventEmitter): Promise<boolean> {
  return new Promise((resolve) => socket.once('close', (hadError?: boolean) => resolve(hadError === true)));
}

/** One turn of the event loop (I/O polled once more). */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Records every event a NativeSocket emits from now on (listeners or not). */
function recordEmits(socket: NativeSocket): string[] {
  const emitted: string[] = [];
  const emit = socket.emit.bind(socket);
  socket.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
    emitted.push(String(event));
    return emit(event, ...args);
  }) as NativeSocket['emit'];
  return emitted;
}

/** A value pushed by a callback, awaited in order. */
class Queue<T> {
  private readonly items: T[] = [];
  private readonly takers: Array<(item: T) => void> = [];

  push(item: T): void {
    const taker = this.takers.shift();
    if (taker !== undefined) taker(item);
    else this.items.push(item);
  }

  next(): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => this.takers.push(resolve));
  }

  get waiting(): number {
    return this.items.length;
  }
}

describe('router native sockets (router/native/sockets.c)', function () {
  this.timeout(60_000);

  let natives: NativeSocket[];
  let nativeClosed: Map<NativeSocket, Promise<boolean>>;
  let handedOff: Set<NativeSocket>;
  let listeners: NativeListener[];
  let nodeSockets: net.Socket[];
  let servers: net.Server[];

  before(() => {
    const native = nativeSocketsAvailable();
    if (!native.available) throw new Error(`native sockets are not available (run scripts/build-native): ${native.reason}`);
  });

  beforeEach(() => {
    natives = [];
    nativeClosed = new Map();
    handedOff = new Set();
    listeners = [];
    nodeSockets = [];
    servers = [];
  });

  afterEach(async () => {
    for (const listener of listeners) listener.close();
    const waits: Array<Promise<unknown>> = [];
    for (const socket of natives) {
      if (handedOff.has(socket)) continue; // a net.Socket has its descriptor now
      socket.on('error', () => undefined);
      if (!socket.destroyed) socket.destroy();
      waits.push(nativeClosed.get(socket) as Promise<boolean>);
    }
    for (const socket of nodeSockets) {
      socket.on('error', () => undefined);
      if (socket.closed) continue;
      waits.push(closed(socket));
      socket.destroy();
    }
    for (const server of servers) waits.push(new Promise<void>((resolve) => server.close(() => resolve())));
    await Promise.all(waits);
  });

  function trackNative(socket: NativeSocket): NativeSocket {
    natives.push(socket);
    nativeClosed.set(socket, closed(socket));
    return socket;
  }

  function trackNode(socket: net.Socket): net.Socket {
    nodeSockets.push(socket);
    return socket;
  }

  /** A NativeListener; its accepted sockets come from next(). */
  function nativeListen(port = 0, reusePort = false, host = LOOPBACK): { listener: NativeListener; port: number; next: () => Promise<NativeSocket>; accepted: Queue<NativeSocket> } {
    const accepted = new Queue<NativeSocket>();
    const listener = new NativeListener(host, port, reusePort, (socket) => accepted.push(trackNative(socket)));
    listeners.push(listener);
    return { listener, port: listener.port, next: () => accepted.next(), accepted };
  }

  /** A net.Server (allowHalfOpen, as the router's own server); its accepted sockets come from next(). */
  async function nodeListen(): Promise<{ port: number; next: () => Promise<net.Socket> }> {
    const accepted = new Queue<net.Socket>();
    const server = net.createServer({ allowHalfOpen: true }, (socket) => accepted.push(trackNode(socket)));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
    return { port: (server.address() as AddressInfo).port, next: () => accepted.next() };
  }

  function connectTracked(port: number, host = LOOPBACK): NativeSocket {
    return trackNative(connectNative(host, port));
  }

  function connectNode(port: number, allowHalfOpen = false): net.Socket {
    return trackNode(net.connect({ host: LOOPBACK, port, allowHalfOpen }));
  }

  /** A connected pair: a connectNative client and the socket a NativeListener accepted. */
  async function nativePair(): Promise<{ client: NativeSocket; server: NativeSocket; port: number }> {
    const listening = nativeListen();
    const client = connectTracked(listening.port);
    const [server] = await Promise.all([listening.next(), once(client, 'connect')]);
    return { client, server, port: listening.port };
  }

  /** Both directions, each side checked for what the other sent. */
  async function exchangeBothWays(a: AnySocket, b: AnySocket, tag: string): Promise<void> {
    const atA = new Received(a);
    const atB = new Received(b);
    const fromA = `${tag}: from A \u00e9\r\n`;
    const fromB = Buffer.from(`${tag}: from B \x00\xff`, 'latin1');
    expect(a.write(fromA, 'latin1')).to.equal(true);
    expect(b.write(fromB)).to.equal(true);
    await Promise.all([atB.atLeast(fromA.length), atA.atLeast(fromB.length)]);
    expect(atB.text()).to.equal(fromA);
    expect(atA.bytes().equals(fromB)).to.equal(true);
    expect(atA.nonBuffers + atB.nonBuffers).to.equal(0);
  }

  // ---------------------------------------------------------------- connecting and addresses

  it('listens on port 0 and reports the port it got; client and accepted socket exchange bytes both ways, with the right addresses', async () => {
    const listening = nativeListen();
    expect(listening.port).to.be.a('number').above(0).and.below(65536);

    const client = connectTracked(listening.port);
    expect(client.connecting).to.equal(true);
    const [server] = await Promise.all([listening.next(), once(client, 'connect')]);
    expect(client.connecting).to.equal(false);
    expect(client.destroyed).to.equal(false);
    expect(server.destroyed).to.equal(false);

    expect(client.remoteAddress).to.equal(LOOPBACK);
    expect(client.remotePort).to.equal(listening.port);
    expect(server.remoteAddress).to.equal(LOOPBACK);
    expect(server.localPort).to.equal(listening.port);
    expect(server.remotePort).to.be.a('number').above(0).and.not.equal(listening.port);

    await exchangeBothWays(client, server, 'native to native');
    await exchangeBothWays(server, client, 'again, the other way round');
  });

  it('serves a plain net.Socket client: bytes both ways, and the addresses match what the client sees', async () => {
    const listening = nativeListen();
    const client = connectNode(listening.port);
    const [server] = await Promise.all([listening.next(), once(client, 'connect')]);
    expect(server.remoteAddress).to.equal(client.localAddress);
    expect(server.remotePort).to.equal(client.localPort);
    expect(server.localPort).to.equal(client.remotePort);
    await exchangeBothWays(client, server, 'net client, native server');
  });

  it('connects to a net.Server: bytes both ways, and the addresses match what the server sees', async () => {
    const listening = await nodeListen();
    const client = connectTracked(listening.port);
    const [server] = await Promise.all([listening.next(), once(client, 'connect')]);
    expect(client.remoteAddress).to.equal(server.localAddress);
    expect(client.remotePort).to.equal(server.localPort);
    expect(server.remotePort).to.be.a('number').above(0);
    await exchangeBothWays(client, server, 'native client, net server');
  });

  it('listens and connects over IPv6 too (::1)', async () => {
    const listening = nativeListen(0, false, '::1');
    const client = connectTracked(listening.port, '::1');
    const [server] = await Promise.all([listening.next(), once(client, 'connect')]);
    expect(server.remoteAddress).to.equal('::1');
    expect(server.localPort).to.equal(listening.port);
    await exchangeBothWays(client, server, 'IPv6');
  });

  it('connectSocket gives a NativeSocket for an IP address and a net.Socket for a name; asNodeSocket passes a net.Socket through', async () => {
    const listening = await nodeListen();
    const byIp = connectSocket('native', LOOPBACK, listening.port);
    expect(byIp).to.be.instanceOf(NativeSocket);
    trackNative(byIp as NativeSocket);
    const byName = connectSocket('native', 'localhost', listening.port);
    expect(byName).to.be.instanceOf(net.Socket);
    trackNode(byName as net.Socket);
    const node = connectSocket('node', LOOPBACK, listening.port);
    expect(node).to.be.instanceOf(net.Socket);
    trackNode(node as net.Socket);
    await Promise.all([once(byIp as NativeSocket, 'connect'), once(byName as net.Socket, 'connect'), once(node as net.Socket, 'connect')]);
    let passed: net.Socket | null = null;
    asNodeSocket(node, (socket) => (passed = socket));
    expect(passed).to.equal(node);
  });

  it('writes a string as latin1, one byte per character, as net.Socket does when told latin1 (never UTF-8)', async () => {
    // The fast path writes heads it read as latin1 strings; the same string must be the same
    // bytes on either kind of socket, or a Content-Length computed for one is wrong for the other.
    const listening = nativeListen();
    const client = connectNode(listening.port);
    const [server] = await Promise.all([listening.next(), once(client, 'connect')]);
    const atClient = new Received(client);
    const text = 'caf\u00e9 \u0080\u00ff';
    expect(server.write(text, 'latin1')).to.equal(true);
    await atClient.atLeast(text.length);
    expect(atClient.bytes()).to.deep.equal(Buffer.from(text, 'latin1'));
    client.destroy();
    server.destroy();
  });

  // ---------------------------------------------------------------- half-close

  for (const clientKind of ['native', 'node'] as const) {
    it(`half-close (${clientKind} client): the client ends, the native server gets 'end', still answers, ends; both close without destroy()`, async () => {
      const listening = nativeListen();
      const client: AnySocket = clientKind === 'native' ? connectTracked(listening.port) : connectNode(listening.port, true);
      const [server] = await Promise.all([listening.next(), once(client, 'connect')]);
      const atServer = new Received(server);
      const atClient = new Received(client);
      const serverClosed = nativeClosed.get(server) as Promise<boolean>;
      const clientClosed = closed(client);

      client.write('the question', 'latin1');
      client.end();
      await atServer.end();
      expect(atServer.text()).to.equal('the question');
      expect(server.destroyed).to.equal(false);
      expect(atServer.closed).to.equal(false);

      expect(server.write('the answer', 'latin1')).to.equal(true);
      await atClient.atLeast('the answer'.length);
      expect(atClient.ended).to.equal(false);
      server.end();

      const [serverHadError, clientHadError] = await Promise.all([serverClosed, clientClosed]);
      expect(atClient.text()).to.equal('the answer');
      expect(atClient.ended).to.equal(true);
      expect([serverHadError, clientHadError]).to.deep.equal([false, false]);
      expect(server.destroyed).to.equal(true);
    });
  }

  it("half-close the other way: the native server ends first, the native client gets 'end', answers, ends; both close", async () => {
    const { client, server } = await nativePair();
    const atServer = new Received(server);
    const atClient = new Received(client);
    server.write('last words', 'latin1');
    server.end();
    await atClient.end();
    expect(atClient.text()).to.equal('last words');
    expect(client.write('a reply after the end', 'latin1')).to.equal(true);
    await atServer.atLeast('a reply after the end'.length);
    client.end();
    expect(await Promise.all([nativeClosed.get(server), nativeClosed.get(client)])).to.deep.equal([false, false]);
    expect(atServer.text()).to.equal('a reply after the end');
    expect(atServer.ended).to.equal(true);
  });

  // ---------------------------------------------------------------- backpressure

  const TOTAL = 64 * MB;
  const CHUNK = 64 * KB;

  /** Writes `payload` in chunks without waiting (as a careless writer would); reports what write() said. */
  function writeAll(writer: NativeSocket, payload: Buffer): { falseWrites: number; firstFalse: number } {
    let falseWrites = 0;
    let firstFalse = -1;
    for (let offset = 0; offset < payload.length; offset += CHUNK) {
      if (!writer.write(payload.subarray(offset, offset + CHUNK))) {
        falseWrites += 1;
        if (firstFalse === -1) firstFalse = offset;
      }
    }
    return { falseWrites, firstFalse };
  }

  async function checkBackpressure(writer: NativeSocket, reader: AnySocket): Promise<void> {
    const received = new Received(reader);
    reader.pause();
    const payload = randomBytes(TOTAL);
    const { falseWrites, firstFalse } = writeAll(writer, payload);
    expect(falseWrites, 'write() returned false at least once').to.be.above(0);
    expect(firstFalse).to.be.below(TOTAL);
    expect(writer.writableNeedDrain).to.equal(true);
    // Once kept back, every later write is kept back too (order): all writes after the first false are false.
    expect(falseWrites).to.equal((TOTAL - firstFalse) / CHUNK);
    expect(received.length).to.be.below(TOTAL);

    const drained = once(writer, 'drain');
    reader.resume();
    await drained;
    expect(writer.writableNeedDrain).to.equal(false);
    await received.atLeast(TOTAL);
    writer.end();
    await received.end();
    expect(received.length).to.equal(TOTAL);
    expect(sha256(received.bytes())).to.equal(sha256(payload));
  }

  it('backpressure: an accepted socket writing 64 MB to a paused native client keeps bytes back (write() false, writableNeedDrain), drains after resume(), every byte intact', async () => {
    const listening = nativeListen();
    const client = connectTracked(listening.port);
    client.pause(); // before it is even connected
    const [server] = await Promise.all([listening.next(), once(client, 'connect')]);
    await checkBackpressure(server, client);
  });

  it('backpressure: a connectNative client writing 64 MB to a paused net.Server socket keeps bytes back, drains after resume(), every byte intact', async () => {
    const listening = await nodeListen();
    const client = connectTracked(listening.port);
    const [server] = await Promise.all([listening.next(), once(client, 'connect')]);
    await checkBackpressure(client, server);
  });

  it('end() with bytes still kept back sends them all first, then ends the write side', async () => {
    const { client, server } = await nativePair();
    const received = new Received(client);
    client.pause();
    const payload = randomBytes(8 * MB);
    expect(server.write(payload)).to.equal(false);
    server.end();
    client.resume();
    await received.end();
    expect(received.length).to.equal(payload.length);
    expect(sha256(received.bytes())).to.equal(sha256(payload));
    client.end();
    expect(await Promise.all([nativeClosed.get(server), nativeClosed.get(client)])).to.deep.equal([false, false]);
  });

  it('bytes written while still connecting go out once connected', async () => {
    const listening = await nodeListen();
    const client = connectTracked(listening.port);
    expect(client.connecting).to.equal(true);
    const flowing = client.write('sent before connect, ', 'latin1');
    client.write(Buffer.from('in order'));
    const drained = flowing ? null : once(client, 'drain');
    const server = await listening.next();
    const received = new Received(server);
    await once(client, 'connect');
    await drained;
    await received.atLeast('sent before connect, in order'.length);
    expect(received.text()).to.equal('sent before connect, in order');
    expect(client.writableNeedDrain).to.equal(false);
  });

  // ---------------------------------------------------------------- pause() and resume()

  it("pause(): no 'data' while paused (a connection alongside gets the same bytes meanwhile); resume() delivers them", async () => {
    const listening = nativeListen();
    const pausedClient = connectNode(listening.port);
    await once(pausedClient, 'connect');
    const paused = await listening.next();
    const controlClient = connectNode(listening.port);
    await once(controlClient, 'connect');
    const control = await listening.next();

    const atPaused = new Received(paused);
    const atControl = new Received(control);
    expect(paused.isPaused()).to.equal(false);
    paused.pause();
    expect(paused.isPaused()).to.equal(true);

    pausedClient.write('held back');
    controlClient.write('held back');
    await atControl.atLeast('held back'.length);
    await turn();
    await turn();
    expect(atPaused.length).to.equal(0);

    paused.resume();
    expect(paused.isPaused()).to.equal(false);
    await atPaused.atLeast('held back'.length);
    expect(atPaused.text()).to.equal('held back');

    // And the end of the stream waits for resume() too.
    paused.pause();
    pausedClient.end();
    controlClient.end();
    await atControl.end();
    await turn();
    await turn();
    expect(atPaused.ended).to.equal(false);
    paused.resume();
    await atPaused.end();
  });

  // ---------------------------------------------------------------- errors and closing

  it("connect refused: 'error' with code ECONNREFUSED, then 'close' (with hadError), no 'connect'", async () => {
    const port = await freePort();
    const client = connectTracked(port);
    const events: string[] = [];
    let error: NodeJS.ErrnoException | undefined;
    client.on('connect', () => events.push('connect'));
    client.on('error', (caught: NodeJS.ErrnoException) => {
      error = caught;
      events.push('error');
    });
    client.on('close', (hadError: boolean) => events.push(`close hadError=${hadError}`));
    await nativeClosed.get(client);
    expect(events).to.deep.equal(['error', 'close hadError=true']);
    expect(error).to.be.instanceOf(Error);
    expect(error?.code).to.equal('ECONNREFUSED');
    expect(error?.syscall).to.equal('connect');
    expect(client.destroyed).to.equal(true);
    expect(client.write('too late', 'latin1')).to.equal(false);
  });

  it("connect refused without an 'error' listener: nothing is thrown, 'close' comes with hadError", async () => {
    const port = await freePort();
    const client = connectTracked(port);
    expect(await nativeClosed.get(client)).to.equal(true);
  });

  it("a reset by the peer: 'error' with code ECONNRESET, then 'close'", async () => {
    const listening = await nodeListen();
    const client = connectTracked(listening.port);
    const [server] = await Promise.all([listening.next(), once(client, 'connect')]);
    const events: string[] = [];
    client.on('error', (error: NodeJS.ErrnoException) => events.push(`error ${error.code}`));
    client.on('close', () => events.push('close'));
    server.resetAndDestroy();
    await nativeClosed.get(client);
    expect(events).to.deep.equal(['error ECONNRESET', 'close']);
  });

  it("destroy(): closes at once, 'close' follows asynchronously and only once; write() after it returns false; the peer sees end and close", async () => {
    const listening = nativeListen();
    const client = connectNode(listening.port);
    const [server] = await Promise.all([listening.next(), once(client, 'connect')]);
    const atClient = new Received(client);
    const clientClosed = closed(client);
    let closes = 0;
    const errors: Error[] = [];
    server.on('close', () => (closes += 1));
    server.on('error', (error: Error) => errors.push(error));

    server.destroy();
    expect(server.destroyed).to.equal(true);
    expect(closes, "'close' is not emitted synchronously").to.equal(0);
    expect(server.write('after destroy', 'latin1')).to.equal(false);
    expect(server.write(Buffer.from('after destroy'))).to.equal(false);
    server.end();
    server.pause();
    server.resume();
    server.destroy();

    expect(await nativeClosed.get(server)).to.equal(false);
    expect(await clientClosed).to.equal(false);
    expect(atClient.ended).to.equal(true);
    expect(atClient.length).to.equal(0);
    await turn();
    await turn();
    expect(closes).to.equal(1);
    expect(errors).to.deep.equal([]);
  });

  it("destroy() on a connectNative client: the native peer gets 'end'; destroy(error) reports that error", async () => {
    const { client, server } = await nativePair();
    const atServer = new Received(server);
    const failure = new Error('given up');
    let reported: Error | undefined;
    client.on('error', (error: Error) => (reported = error));
    client.destroy(failure);
    expect(await nativeClosed.get(client)).to.equal(true);
    expect(reported).to.equal(failure);
    await atServer.end();
    server.end();
    expect(await nativeClosed.get(server)).to.equal(false);
  });

  it("destroy() while connecting: 'close' once, never 'connect'", async () => {
    const listening = nativeListen();
    const client = connectTracked(listening.port);
    const events: string[] = [];
    client.on('connect', () => events.push('connect'));
    client.on('close', () => events.push('close'));
    client.destroy();
    expect(await nativeClosed.get(client)).to.equal(false);
    await turn();
    await turn();
    expect(events).to.deep.equal(['close']);
  });

  it("setTimeout(ms) emits 'timeout' after ms; setTimeout(0) cancels it", async () => {
    const { client } = await nativePair();
    let timeouts = 0;
    client.on('timeout', () => (timeouts += 1));
    client.setTimeout(5);
    client.setTimeout(0);
    // A timer armed later for longer fires after the cancelled one would have.
    await new Promise((resolve) => setTimeout(resolve, 15));
    expect(timeouts).to.equal(0);
    const timedOut = once(client, 'timeout');
    client.setTimeout(1);
    await timedOut;
    expect(timeouts).to.equal(1);
    expect(client.destroyed, "'timeout' alone does not close").to.equal(false);
  });

  // ---------------------------------------------------------------- writing

  it('cork()/uncork() send the writes in between together, strings as latin1 byte for byte (short and over 16 KB)', async () => {
    const { client, server } = await nativePair();
    const received = new Received(server);
    const long = Array.from({ length: 40_000 }, (_, i) => String.fromCharCode(i % 256)).join('');
    client.cork();
    expect(client.write('GET / HTTP/1.1\r\n', 'latin1')).to.equal(true);
    expect(client.write(Buffer.from('X-Bytes: \u00e9\u00ff\r\n', 'latin1'))).to.equal(true);
    expect(client.write(long, 'latin1')).to.equal(true);
    expect(received.length).to.equal(0);
    client.uncork();
    const expected = Buffer.concat([Buffer.from('GET / HTTP/1.1\r\n'), Buffer.from('X-Bytes: \u00e9\u00ff\r\n', 'latin1'), Buffer.from(long, 'latin1')]);
    await received.atLeast(expected.length);
    expect(received.bytes().equals(expected)).to.equal(true);

    // Without cork: a long string on its own.
    const second = new Received(client);
    server.write(long, 'latin1');
    await second.atLeast(long.length);
    expect(second.bytes().equals(Buffer.from(long, 'latin1'))).to.equal(true);
  });

  for (const writerKind of ['native', 'node'] as const) {
    it(`writeHeadAndBody() (${writerKind} socket): a latin1 head and its body arrive byte for byte, small, over 64 KB, and corked`, async () => {
      const listening = nativeListen();
      const writer: AnySocket = writerKind === 'native' ? connectTracked(listening.port) : connectNode(listening.port);
      const [server] = await Promise.all([listening.next(), once(writer, 'connect')]);
      const received = new Received(server);
      const head = 'HTTP/1.1 200 OK\r\nX-Latin1: \u00e9\u00ff\r\n\r\n';
      const small = Buffer.from([0, 1, 2, 0xfe, 0xff]);
      const large = randomBytes(100 * KB);
      const expected: Buffer[] = [];
      expect(writeHeadAndBody(writer, head, small)).to.equal(true);
      expected.push(Buffer.from(head, 'latin1'), small);
      writeHeadAndBody(writer, head, large);
      expected.push(Buffer.from(head, 'latin1'), large);
      writer.cork();
      writeHeadAndBody(writer, head, small);
      writer.write('after, corked too', 'latin1');
      writer.uncork();
      expected.push(Buffer.from(head, 'latin1'), small, Buffer.from('after, corked too'));
      const all = Buffer.concat(expected);
      await received.atLeast(all.length);
      expect(received.length).to.equal(all.length);
      expect(sha256(received.bytes())).to.equal(sha256(all));
    });
  }

  // ---------------------------------------------------------------- handing a connection to Node

  /** Calls toNodeSocket; `called` says whether ready has been called yet, `socket` what it got. */
  function handOver(native: NativeSocket): { readonly called: boolean; socket: Promise<net.Socket | null> } {
    const state = { called: false, socket: null as unknown as Promise<net.Socket | null> };
    state.socket = new Promise((resolve) => {
      native.toNodeSocket((socket) => {
        state.called = true;
        if (socket !== null) {
          handedOff.add(native);
          trackNode(socket);
        }
        resolve(socket);
      });
    });
    return state;
  }

  it('toNodeSocket(): after part of a request on the NativeSocket, a net.Socket reads the rest and answers; the NativeSocket emits nothing more', async () => {
    const listening = nativeListen();
    const client = connectNode(listening.port);
    const [native] = await Promise.all([listening.next(), once(client, 'connect')]);
    const atNative = new Received(native);
    const atClient = new Received(client);
    const emitted = recordEmits(native);

    client.write('POST /upload HTTP/1.1\r\nHost: x\r\n');
    await atNative.atLeast('POST /upload HTTP/1.1\r\nHost: x\r\n'.length);
    expect(atNative.text()).to.equal('POST /upload HTTP/1.1\r\nHost: x\r\n');
    const seenBefore = emitted.length;

    const handed = handOver(native);
    const socket = await handed.socket;
    expect(socket).to.be.instanceOf(net.Socket);
    if (socket === null) return;
    expect(native.destroyed).to.equal(true);
    expect(socket.remotePort).to.equal(client.localPort);
    expect(socket.localPort).to.equal(listening.port);

    const atNode = new Received(socket);
    client.write('Content-Length: 4\r\n\r\nbody');
    await atNode.atLeast('Content-Length: 4\r\n\r\nbody'.length);
    expect(atNode.text()).to.equal('Content-Length: 4\r\n\r\nbody');
    socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    await atClient.end();
    expect(atClient.text()).to.equal('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    await closed(socket);
    await turn();
    expect(emitted.slice(seenBefore), 'events from the NativeSocket after the hand-over').to.deep.equal([]);
    expect(atNative.length).to.equal('POST /upload HTTP/1.1\r\nHost: x\r\n'.length);
    // Calls on the old object are harmless no-ops.
    expect(native.write('stray', 'latin1')).to.equal(false);
    native.end();
    native.destroy();
  });

  it('toNodeSocket() of a paused NativeSocket gives a paused net.Socket, which gets the bytes the NativeSocket never read', async () => {
    const listening = nativeListen();
    const client = connectNode(listening.port);
    const [native] = await Promise.all([listening.next(), once(client, 'connect')]);
    const atNative = new Received(native);
    native.pause();
    await new Promise<void>((resolve) => client.write('unread by the native side', () => resolve()));
    await turn();
    await turn();
    expect(atNative.length).to.equal(0);

    const socket = await handOver(native).socket;
    if (socket === null) throw new Error('toNodeSocket gave null for a live connection');
    expect(socket.isPaused()).to.equal(true);
    const atNode = new Received(socket);
    socket.resume();
    await atNode.atLeast('unread by the native side'.length);
    expect(atNode.text()).to.equal('unread by the native side');
    expect(atNative.length).to.equal(0);
  });

  it('toNodeSocket() with bytes still kept back hands over only once they are out: the client gets them all, then what the net.Socket writes', async () => {
    const listening = nativeListen();
    const client = connectNode(listening.port);
    const [native] = await Promise.all([listening.next(), once(client, 'connect')]);
    const atClient = new Received(client);
    client.pause();
    const payload = randomBytes(8 * MB);
    expect(native.write(payload)).to.equal(false);

    const handed = handOver(native);
    await turn();
    expect(handed.called, 'ready before the kept-back bytes are out').to.equal(false);
    client.resume();
    const socket = await handed.socket;
    if (socket === null) throw new Error('toNodeSocket gave null for a live connection');
    socket.end('tail from the net.Socket');
    await atClient.end();
    const bytes = atClient.bytes();
    expect(bytes.length).to.equal(payload.length + 'tail from the net.Socket'.length);
    expect(sha256(bytes.subarray(0, payload.length))).to.equal(sha256(payload));
    expect(bytes.subarray(payload.length).toString()).to.equal('tail from the net.Socket');
  });

  it('toNodeSocket() waiting for kept-back bytes: what the client sends meanwhile reaches the net.Socket, not the NativeSocket', async () => {
    const listening = nativeListen();
    const client = connectNode(listening.port, true);
    const [native] = await Promise.all([listening.next(), once(client, 'connect')]);
    const atClient = new Received(client);
    client.pause();
    expect(native.write(randomBytes(8 * MB))).to.equal(false);
    const emitted = recordEmits(native);
    const handed = handOver(native);

    // The next request arrives while the hand-over waits for the client to take the response.
    await new Promise<void>((resolve) => client.write('sent during the hand-over;', () => resolve()));
    await turn();
    await turn();
    client.resume();
    const socket = await handed.socket;
    if (socket === null) throw new Error('toNodeSocket gave null for a live connection');
    const atNode = new Received(socket);
    client.end('sent after it');
    await atNode.end();
    await atClient.atLeast(8 * MB);
    expect(emitted.filter((event) => event === 'data'), "'data' on the NativeSocket while it waited").to.deep.equal([]);
    expect(atNode.text()).to.equal('sent during the hand-over;sent after it');
  });

  it('toNodeSocket() waiting for kept-back bytes: if the connection is lost meanwhile, ready gets null', async () => {
    const listening = nativeListen();
    const client = connectNode(listening.port);
    const [native] = await Promise.all([listening.next(), once(client, 'connect')]);
    client.pause();
    expect(native.write(randomBytes(8 * MB))).to.equal(false);
    const handed = handOver(native);
    client.resetAndDestroy();
    await nativeClosed.get(native);
    await turn();
    expect(handed.called, 'ready called once the connection is gone').to.equal(true);
    expect(await handed.socket).to.equal(null);
  });

  // ---------------------------------------------------------------- the listener

  it('close(): new connections are refused (ECONNREFUSED) while an accepted connection keeps working', async () => {
    const listening = nativeListen();
    const { listener, port } = listening;
    const client = connectTracked(port);
    const [server] = await Promise.all([listening.next(), once(client, 'connect')]);

    listener.close();
    listener.close(); // twice is harmless
    // Two turns of the loop: the descriptor is only closed in the close phase after close() (the
    // next test is about connections in that window).
    await turn();
    await turn();

    const refusedNative = connectTracked(port);
    let nativeError: NodeJS.ErrnoException | undefined;
    refusedNative.on('error', (error: NodeJS.ErrnoException) => (nativeError = error));
    const refusedNode = connectNode(port);
    let nodeError: NodeJS.ErrnoException | undefined;
    refusedNode.on('error', (error: NodeJS.ErrnoException) => (nodeError = error));
    await Promise.all([nativeClosed.get(refusedNative), closed(refusedNode)]);
    expect(nativeError?.code).to.equal('ECONNREFUSED');
    expect(nodeError?.code).to.equal('ECONNREFUSED');
    expect(listening.accepted.waiting).to.equal(0);

    await exchangeBothWays(client, server, 'after the listener closed');
  });

  it('close(): a connection attempted right after close() returns (same tick) is refused, as with net.Server', async () => {
    const listening = nativeListen();
    listening.listener.close();
    const client = connectTracked(listening.port);
    const events: string[] = [];
    client.on('connect', () => events.push('connect'));
    client.on('error', (error: NodeJS.ErrnoException) => events.push(`error ${error.code}`));
    await nativeClosed.get(client);
    expect(events).to.deep.equal(['error ECONNREFUSED']);
  });

  it('reusePort: two listeners bind the same port and the kernel spreads connections over both; a third without reusePort gets EADDRINUSE', async () => {
    const landed = new Queue<number>();
    const listen = (port: number, reusePort: boolean, index: number): NativeListener => {
      const listener = new NativeListener(LOOPBACK, port, reusePort, (socket) => {
        trackNative(socket);
        landed.push(index);
      });
      listeners.push(listener);
      return listener;
    };
    const first = listen(0, true, 0);
    const second = listen(first.port, true, 1);
    expect(second.port).to.equal(first.port);

    let thrown: NodeJS.ErrnoException | undefined;
    try {
      listen(first.port, false, 2);
    } catch (error) {
      thrown = error as NodeJS.ErrnoException;
    }
    expect(thrown, 'a third listener without reusePort').to.be.instanceOf(Error);
    expect(thrown?.code).to.equal('EADDRINUSE');

    // Each connection lands on one of the two; keep connecting until both have had one.
    const counts = [0, 0];
    for (let attempt = 0; attempt < 200 && (counts[0] === 0 || counts[1] === 0); attempt += 1) {
      const client = connectNode(first.port);
      await once(client, 'connect');
      const index = await landed.next();
      counts[index] = (counts[index] as number) + 1;
      client.destroy();
    }
    expect(counts[0], 'connections accepted by the first listener').to.be.above(0);
    expect(counts[1], 'connections accepted by the second listener').to.be.above(0);
  });
});

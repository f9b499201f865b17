/**
 * TCP sockets for the fast path without Node's streams: router/native/sockets.c reads and writes
 * the file descriptors from Node's own event loop and calls in here once per read. This module
 * gives them the small part of net.Socket's shape the fast path uses (router/socket-port.ts), so
 * router/fast-proxy.ts and router/backend-pool.ts run on either.
 *
 * Why: on net.Socket a proxied request spends most of its CPU in the streams machinery and the
 * garbage it makes; these sockets cost about a tenth of that (docs/router.md). The module is
 * compiled from C by scripts/build-native when Slipway is built; without it (no compiler, another
 * platform) the router uses net.Socket and says so in its log.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ProxySocket } from './socket-port';

/** The C module's functions (router/native/sockets.c). Handles are opaque. */
interface Binding {
  init(callbacks: {
    onConnection(listener: NativeListener, fd: number, remoteAddress: string, remotePort: number): void;
    onConnect(socket: NativeSocket): void;
    onData(socket: NativeSocket, chunk: Buffer): void;
    onEnd(socket: NativeSocket): void;
    onDrain(socket: NativeSocket): void;
    onClose(socket: NativeSocket, errno: number): void;
  }): void;
  listen(listener: NativeListener, host: string, port: number, reusePort: boolean): [Handle, number];
  closeListener(handle: Handle): void;
  adopt(socket: NativeSocket, fd: number): Handle;
  refuse(fd: number): void;
  connect(socket: NativeSocket, ip: string, port: number): Handle;
  write(handle: Handle, data: string | Buffer, then?: Buffer): boolean;
  setPaused(handle: Handle, paused: boolean): void;
  end(handle: Handle): void;
  destroy(handle: Handle): void;
  detach(handle: Handle): number | null;
}
type Handle = { readonly __nativeHandle: unique symbol };

let binding: Binding | null | undefined;
let loadError = '';

/** The compiled module, loaded and initialised once; null if it is not there or will not load. */
function loadBinding(): Binding | null {
  if (binding !== undefined) return binding;
  // SLIPWAY_NATIVE_SOCKETS_ADDON names another build of the module, for tests only: the
  // AddressSanitizer build of scripts/build-native --sanitize (scripts/test-native-sanitized).
  // Read here rather than in lib/config.ts because the module is loaded once per process, before
  // and apart from any config, and the setting is no part of a deployment's configuration.
  const file = process.env.SLIPWAY_NATIVE_SOCKETS_ADDON || path.join(__dirname, 'native', 'sockets.node');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(file) as Binding;
    loaded.init({
      onConnection: (listener, fd, remoteAddress, remotePort) => listener.accepted(fd, remoteAddress, remotePort),
      onConnect: (socket) => socket.connected(),
      onData: (socket, chunk) => socket.emit('data', chunk),
      onEnd: (socket) => socket.emit('end'),
      onDrain: (socket) => socket.drained(),
      onClose: (socket, errno) => socket.closed(errno),
    });
    binding = loaded;
  } catch (error) {
    loadError = `${file}: ${(error as Error).message}`;
    binding = null;
  }
  return binding;
}

/** Whether native sockets can be used here; if not, why (for the router's log). */
export function nativeSocketsAvailable(): { available: true } | { available: false; reason: string } {
  return loadBinding() !== null ? { available: true } : { available: false, reason: loadError };
}

function required(): Binding {
  const loaded = loadBinding();
  if (loaded === null) throw new Error(`native sockets are not available: ${loadError}`);
  return loaded;
}

/** An errno from the C side as Node reports it (code ECONNREFUSED, …). */
function errnoError(syscall: string, errno: number): NodeJS.ErrnoException {
  const code = Object.entries(os.constants.errno).find(([, value]) => value === errno)?.[0] ?? `E${errno}`;
  return Object.assign(new Error(`${syscall} ${code}`), { code, errno: -errno, syscall });
}

/**
 * One TCP connection, accepted by a NativeListener or opened by connectNative. Emits 'connect',
 * 'data', 'end', 'drain', 'timeout', 'error' (only with a listener) and 'close', like net.Socket.
 */
export class NativeSocket extends EventEmitter implements ProxySocket {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  localPort: number | undefined;
  destroyed = false;
  connecting = false;
  writableNeedDrain = false;
  /** The module: a NativeSocket is only made once it has loaded (connectNative, NativeListener). */
  private readonly native = required();
  private handle: Handle | null = null;
  private paused = false;
  private corked: Array<string | Buffer> | null = null;
  private timer: NodeJS.Timeout | null = null;

  /** Called once by whoever created the socket on the C side. */
  attach(handle: Handle): void {
    this.handle = handle;
  }

  setNoDelay(): this {
    return this; // always on: set when the connection is made
  }

  /** Only the connect timeout is used: 'timeout' after `ms` unless cleared with 0 or connected. */
  setTimeout(ms: number): this {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = ms > 0 ? setTimeout(() => this.emit('timeout'), ms) : null;
    return this;
  }

  /** A string is written as latin1, as net.Socket writes it when told 'latin1' (ProxySocket allows no other). */
  write(data: Buffer): boolean;
  write(data: string, encoding: 'latin1'): boolean;
  write(data: string | Buffer, _encoding?: 'latin1'): boolean {
    return this.send(data);
  }

  /** A latin1 head and the body bytes after it, in one system call. */
  writeHeadAndBody(head: string, body: Buffer): boolean {
    return this.send(head, body);
  }

  /** `data`, then `then` if given, in one system call (buffered while corked). */
  private send(data: string | Buffer, then?: Buffer): boolean {
    if (this.destroyed || this.handle === null) return false;
    if (this.corked !== null) {
      this.corked.push(data);
      if (then !== undefined) this.corked.push(then);
      return true;
    }
    const flowing = this.native.write(this.handle, data, then);
    if (!flowing) this.writableNeedDrain = true;
    return flowing;
  }

  cork(): void {
    this.corked ??= [];
  }

  uncork(): void {
    const parts = this.corked;
    this.corked = null;
    if (parts === null || parts.length === 0) return;
    if (parts.length === 1) this.send(parts[0] as string | Buffer);
    else this.send(Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : part))));
  }

  pause(): this {
    if (!this.paused && !this.destroyed && this.handle !== null) this.native.setPaused(this.handle, true);
    this.paused = true;
    return this;
  }

  resume(): this {
    if (this.paused && !this.destroyed && this.handle !== null) this.native.setPaused(this.handle, false);
    this.paused = false;
    return this;
  }

  isPaused(): boolean {
    return this.paused;
  }

  end(): this {
    if (!this.destroyed && this.handle !== null) this.native.end(this.handle);
    return this;
  }

  destroy(error?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (error !== undefined) this.pendingError = error;
    this.clearTimer();
    if (this.handle !== null) this.native.destroy(this.handle);
    return this;
  }

  /**
   * Gives the connection to a net.Socket (for Node's HTTP server); this object is done with.
   * Bytes still waiting to go out are sent first, so `ready` may be called on a later turn, with
   * null if the connection is lost meanwhile. Nothing is read here in between: what the client
   * sends next is the net.Socket's to read.
   */
  toNodeSocket(ready: (socket: net.Socket | null) => void): void {
    this.handOver(ready, this.paused);
  }

  private handOver(ready: (socket: net.Socket | null) => void, paused: boolean): void {
    if (this.destroyed || this.handle === null) {
      ready(null);
      return;
    }
    const fd = this.native.detach(this.handle);
    if (fd === null) {
      // Bytes still going out: read nothing more, and try again once they are out.
      this.pause();
      const retry = (): void => {
        this.off('close', lost);
        this.handOver(ready, paused);
      };
      const lost = (): void => {
        this.off('drain', retry);
        ready(null);
      };
      this.once('drain', retry);
      this.once('close', lost);
      return;
    }
    this.destroyed = true;
    this.clearTimer();
    this.removeAllListeners();
    const socket = new net.Socket({ fd, readable: true, writable: true, allowHalfOpen: true });
    if (paused) socket.pause();
    ready(socket);
  }

  private pendingError: Error | null = null;

  /** From the C side: everything written has gone to the kernel. */
  drained(): void {
    this.writableNeedDrain = false;
    this.emit('drain');
  }

  /** From the C side: the connection is up. */
  connected(): void {
    this.connecting = false;
    this.clearTimer();
    this.emit('connect');
  }

  /** From the C side: the descriptor is closed; `errno` says why (0: destroy() or a clean end). */
  closed(errno: number): void {
    this.destroyed = true;
    this.clearTimer();
    const error = errno !== 0 ? errnoError(this.connecting ? 'connect' : 'read', errno) : this.pendingError;
    if (error !== null && this.listenerCount('error') > 0) this.emit('error', error);
    this.emit('close', error !== null);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Opens a connection to `ip`:`port` (an IP address: the C side does no name lookups). */
export function connectNative(ip: string, port: number): NativeSocket {
  const socket = new NativeSocket();
  socket.connecting = true;
  socket.remoteAddress = ip;
  socket.remotePort = port;
  socket.attach(required().connect(socket, ip, port));
  return socket;
}

/** Accepts connections on host:port; `reusePort` lets several processes listen on one port (a cluster). */
export class NativeListener {
  readonly port: number;
  private readonly handle: Handle;
  private closed = false;

  constructor(
    host: string,
    port: number,
    reusePort: boolean,
    private readonly onConnection: (socket: NativeSocket) => void,
  ) {
    const [handle, boundPort] = required().listen(this, host, port, reusePort);
    this.handle = handle;
    this.port = boundPort;
  }

  /** From the C side: a new connection. */
  accepted(fd: number, remoteAddress: string, remotePort: number): void {
    if (this.closed) {
      required().refuse(fd);
      return;
    }
    const socket = new NativeSocket();
    socket.remoteAddress = remoteAddress;
    socket.remotePort = remotePort;
    socket.localPort = this.port;
    socket.attach(required().adopt(socket, fd));
    this.onConnection(socket);
  }

  /** Stops accepting at once; open connections are not touched. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    required().closeListener(this.handle);
  }
}

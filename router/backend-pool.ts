/**
 * Keep-alive connections from the router's fast path to backends, pooled per backend entry.
 *
 * Each BackendConnection owns one socket with a fixed set of listeners for its whole life, which
 * pass events to whoever uses the connection at the moment (a request of the fast path) or, while
 * it waits in the pool, close it on anything unexpected (the backend closing it, stray bytes, the
 * idle timeout). Fixed listeners keep the cost per request to a pointer assignment.
 *
 * A backend withdrawn from the route table (a deploy retiring it, a scale-down) has its idle
 * connections closed at once and its busy ones closed when their request ends, so the process
 * behind it sees its keep-alive connections go and can exit as soon as its requests are done,
 * instead of waiting out the grace period for connections the router would never use again.
 */
import { connectSocket, type ProxySocket, type SocketKind } from './proxy-socket';
import type { BackendEntry } from './route-table';

/** What a connection reports to the request using it. */
export interface BackendConnectionUser {
  onConnect(connection: BackendConnection): void;
  onData(connection: BackendConnection, chunk: Buffer): void;
  onEnd(connection: BackendConnection): void;
  /** The socket is gone (after 'error' or not); `error` is the error that ended it, if any. */
  onClose(connection: BackendConnection, error: NodeJS.ErrnoException | null): void;
  onDrain(connection: BackendConnection): void;
}

export interface BackendPoolSettings {
  /** An idle pooled connection is closed after this long (below common app keep-alives of 5 s). */
  readonly idleTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Idle connections kept per backend; more are closed when released. */
  readonly maxIdlePerBackend: number;
  /** The sockets to use (default: Node's). */
  readonly sockets?: SocketKind;
  /** Opens the connection instead of `sockets` (tests give fake sockets here). */
  readonly connect?: (host: string, port: number) => ProxySocket;
}

export class BackendConnection {
  readonly socket: ProxySocket;
  user: BackendConnectionUser | null = null;
  connected = false;
  /** It carried an earlier request (so a failure may only mean the backend closed it meanwhile). */
  reused = false;
  /** When (Date.now()) it went back to the pool. */
  idleSince = 0;
  private error: NodeJS.ErrnoException | null = null;
  private closed = false;

  constructor(
    readonly backend: BackendEntry,
    private readonly pool: BackendPool,
    connectTimeoutMs: number,
    connect: (host: string, port: number) => ProxySocket,
  ) {
    const socket = connect(backend.hostname, backend.port);
    this.socket = socket;
    if (connectTimeoutMs > 0) socket.setTimeout(connectTimeoutMs);
    socket.on('connect', () => {
      this.connected = true;
      if (connectTimeoutMs > 0) socket.setTimeout(0);
      this.user?.onConnect(this);
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.user) this.user.onData(this, chunk);
      else socket.destroy(); // a response nobody asked for: the connection is out of step
    });
    socket.on('end', () => {
      if (this.user) this.user.onEnd(this);
      else socket.destroy();
    });
    socket.on('drain', () => this.user?.onDrain(this));
    // Only armed while connecting; idle pooled connections are closed by BackendPool.sweep.
    socket.on('timeout', () => socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.error = error;
    });
    socket.on('close', () => {
      this.closed = true;
      this.pool.forget(this);
      const user = this.user;
      this.user = null;
      user?.onClose(this, this.error);
    });
  }

  get usable(): boolean {
    return !this.closed && !this.socket.destroyed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class BackendPool {
  private readonly idle = new Map<BackendEntry, BackendConnection[]>();

  private readonly connect: (host: string, port: number) => ProxySocket;

  constructor(private readonly settings: BackendPoolSettings) {
    const sockets = settings.sockets ?? 'node';
    this.connect = settings.connect ?? ((host, port) => connectSocket(sockets, host, port));
  }

  /** An idle connection to `backend` (most recently used first), or a new one being opened. */
  acquire(backend: BackendEntry, user: BackendConnectionUser, fresh = false): BackendConnection {
    if (!fresh) {
      const list = this.idle.get(backend);
      while (list !== undefined && list.length > 0) {
        const connection = list.pop() as BackendConnection;
        if (list.length === 0) this.idle.delete(backend);
        if (!connection.usable) continue;
        connection.reused = true;
        connection.user = user;
        return connection;
      }
    }
    const connection = new BackendConnection(backend, this, this.settings.connectTimeoutMs, this.connect);
    connection.user = user;
    return connection;
  }

  /** Back to the pool after a complete exchange; closed instead if its backend was withdrawn. */
  release(connection: BackendConnection): void {
    connection.user = null;
    const { backend } = connection;
    if (!connection.usable) return;
    let list = this.idle.get(backend);
    if (backend.withdrawn || (list !== undefined && list.length >= this.settings.maxIdlePerBackend)) {
      connection.destroy();
      return;
    }
    if (list === undefined) {
      list = [];
      this.idle.set(backend, list);
    }
    connection.idleSince = Date.now();
    list.push(connection);
  }

  /** Closes the idle connections to a backend that left the route table. */
  withdraw(backend: BackendEntry): void {
    const list = this.idle.get(backend);
    if (list === undefined) return;
    this.idle.delete(backend);
    for (const connection of list) connection.destroy();
  }

  /** Called by a connection as it closes. */
  forget(connection: BackendConnection): void {
    const list = this.idle.get(connection.backend);
    if (list === undefined) return;
    const index = list.indexOf(connection);
    if (index < 0) return;
    list.splice(index, 1);
    if (list.length === 0) this.idle.delete(connection.backend);
  }

  /**
   * Closes connections idle for longer than the idle timeout. Called periodically (by the fast
   * proxy's sweep) rather than with a timer per connection, re-armed on every request.
   */
  sweep(now: number): void {
    const limit = this.settings.idleTimeoutMs;
    if (limit <= 0) return;
    for (const list of this.idle.values()) {
      // Most recently used last: the expired ones are at the front.
      let expired = 0;
      while (expired < list.length && now - (list[expired] as BackendConnection).idleSince >= limit) expired += 1;
      for (const connection of list.slice(0, expired)) connection.destroy();
    }
  }

  idleCount(): number {
    let count = 0;
    for (const list of this.idle.values()) count += list.length;
    return count;
  }

  /** Closes every idle connection (busy ones close with their requests). */
  close(): void {
    for (const list of this.idle.values()) for (const connection of list) connection.destroy();
    this.idle.clear();
  }
}

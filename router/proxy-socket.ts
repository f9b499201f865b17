/**
 * The part of a TCP socket the fast path uses (router/fast-proxy.ts, router/backend-pool.ts):
 * net.Socket has it, and so does the router's own NativeSocket (router/native-sockets.ts).
 * Events: 'connect', 'data' (Buffer), 'end', 'drain', 'timeout', 'error', 'close'.
 */
import net from 'node:net';
import { connectNative, NativeSocket } from './native-sockets';

export interface ProxySocket {
  readonly remoteAddress?: string | undefined;
  readonly localPort?: number | undefined;
  readonly destroyed: boolean;
  /** A write returned false and 'drain' has not come yet. */
  readonly writableNeedDrain: boolean;
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): this;
  on(event: 'connect' | 'end' | 'drain' | 'timeout' | 'close', listener: () => void): this;
  once(event: 'close', listener: () => void): this;
  removeAllListeners(event?: string): this;
  setNoDelay(noDelay?: boolean): this;
  setTimeout(ms: number): this;
  write(data: string | Buffer, encoding?: 'latin1'): boolean;
  cork(): void;
  uncork(): void;
  pause(): this;
  resume(): this;
  isPaused(): boolean;
  end(): this;
  destroy(error?: Error): this;
}

/** Which sockets the fast path runs on. */
export type SocketKind = 'native' | 'node';

/** Opens a connection to a backend with the given kind of socket (native: IP addresses only). */
export function connectSocket(kind: SocketKind, host: string, port: number): ProxySocket {
  if (kind === 'native' && net.isIP(host) !== 0) return connectNative(host, port);
  return net.connect({ host, port, noDelay: true });
}

/** Writes a latin1 head and the body bytes that follow it, in one system call either way. */
export function writeHeadAndBody(socket: ProxySocket, head: string, body: Buffer): boolean {
  if (socket instanceof NativeSocket) return socket.writeHeadAndBody(head, body);
  return socket.write(head + body.toString('latin1'), 'latin1');
}

/**
 * A connection as a net.Socket, for Node's HTTP server to take over (the fast path hands it
 * what it does not carry itself). `ready` gets null if the connection is already gone.
 */
export function asNodeSocket(socket: ProxySocket, ready: (socket: net.Socket | null) => void): void {
  if (socket instanceof NativeSocket) socket.toNodeSocket(ready);
  else ready(socket as unknown as net.Socket);
}

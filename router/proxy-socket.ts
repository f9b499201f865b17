/**
 * The fast path's sockets (router/socket-port.ts) of either kind: opening one to a backend, the
 * one write that has a faster native form, and handing a connection to Node's HTTP server.
 */
import net from 'node:net';
import { connectNative, NativeSocket } from './native-sockets';
import type { ProxySocket, SocketKind } from './socket-port';

export type { ProxySocket, SocketKind } from './socket-port';

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

/**
 * The part of a TCP socket the fast path uses (router/fast-proxy.ts, router/backend-pool.ts):
 * net.Socket has it, and so does the router's own NativeSocket (router/native-sockets.ts).
 * Events: 'connect', 'data' (Buffer), 'end', 'drain', 'timeout', 'error', 'close'.
 *
 * A module of its own, with no code, so that the socket kinds and the code choosing between them
 * (router/proxy-socket.ts) can all import it without importing each other.
 */

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
  /**
   * Bytes, or a string that says it is latin1 (one byte per character, as heads are read). A
   * string without an encoding is not allowed: net.Socket would write it as UTF-8 and the native
   * socket as latin1, so any character past U+007F would differ in bytes (and in length) by kind.
   */
  write(data: Buffer): boolean;
  write(data: string, encoding: 'latin1'): boolean;
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

/**
 * How a batch of framed lines reaches a drain's endpoint. `send` resolves once the batch is out:
 * for HTTPS, the endpoint's 2xx (confirmed); for syslog, the bytes written. TCP has no
 * acknowledgement a sender can see, so a syslog batch counts as delivered only once its
 * connection has stayed up CONFIRM_MS after it (drain-delivery.ts); a connection that breaks
 * sooner sends it again: at least once.
 */
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import crypto from 'node:crypto';
import type { DrainAddressGuard } from './drain-guard';

export interface DrainTransport {
  send(framed: string, count: number): Promise<void>;
  /** True when send's success means the endpoint has the lines (HTTPS). */
  readonly confirmsOnSend: boolean;
  /** Which connection the last send went on; it changes when a new one is made. */
  readonly generation: number;
  /** Whether connection `generation` is still up. */
  isUp(generation: number): boolean;
  close(): void;
}

/** How long a syslog connection must stay up after a batch for the batch to count as delivered. */
export const CONFIRM_MS = 1000;

const CONNECT_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const HOST_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** Node's roots, the host's bundle (corporate CAs), and the extra CA file of SLIPWAY_DRAIN_CA_FILE. */
export function trustedCas(extraCaFile: string | null): string[] {
  const cas = [...tls.rootCertificates];
  for (const file of [HOST_BUNDLE, extraCaFile]) {
    if (file === null) continue;
    try {
      cas.push(fs.readFileSync(file, 'utf8'));
    } catch {
      // no host bundle on this machine; an unreadable extra CA file is reported at start-up
    }
  }
  return cas;
}

export class SyslogTransport implements DrainTransport {
  private socket: net.Socket | null = null;
  private connecting: Promise<net.Socket> | null = null;
  private closed = false;
  readonly confirmsOnSend = false;
  generation = 0;

  constructor(private readonly url: URL, private readonly ca: readonly string[], private readonly guard: DrainAddressGuard) {}

  isUp(generation: number): boolean {
    return generation === this.generation && this.socket !== null && !this.socket.destroyed;
  }

  async send(framed: string): Promise<void> {
    const socket = await this.connect();
    await new Promise<void>((resolve, reject) => {
      socket.write(framed, (error) => { if (error) reject(error); else resolve(); });
    });
    if (socket.destroyed) throw new Error('the drain closed the connection');
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }

  private connect(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    const host = this.url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(this.url.port);
    const secure = this.url.protocol === 'syslog+tls:';
    this.connecting = this.guard.addresses(host).then((addresses) => new Promise<net.Socket>((resolve, reject) => {
      // The address checked, not the name: a DNS answer that changed since cannot slip past the guard.
      const address = addresses[0]!;
      const socket = secure
        ? tls.connect({ host: address, port, ca: [...this.ca], servername: net.isIP(host) ? undefined : host, timeout: CONNECT_TIMEOUT_MS })
        : net.connect({ host: address, port, timeout: CONNECT_TIMEOUT_MS });
      const ready = (): void => {
        socket.setTimeout(0);
        socket.off('error', failed);
        socket.on('error', () => socket.destroy());
        // A drain says nothing back; anything it sends is read and dropped.
        socket.on('data', () => undefined);
        this.socket = socket;
        this.generation += 1;
        this.connecting = null;
        if (this.closed) socket.destroy();
        resolve(socket);
      };
      const failed = (error: Error): void => { this.connecting = null; socket.destroy(); reject(error); };
      socket.once(secure ? 'secureConnect' : 'connect', ready);
      socket.once('error', failed);
      socket.once('timeout', () => failed(new Error('connecting to the drain timed out')));
    }), (error: unknown) => { this.connecting = null; throw error; });
    return this.connecting;
  }
}

export class HttpsTransport implements DrainTransport {
  private readonly agent: https.Agent;
  readonly confirmsOnSend = true;
  readonly generation = 0;

  isUp(): boolean {
    return true;
  }

  constructor(private readonly url: URL, private readonly token: string, ca: readonly string[], private readonly guard: DrainAddressGuard) {
    // Every connection resolves through the guard (names) or is checked before the request (IP literals, which skip lookup).
    this.agent = new https.Agent({ keepAlive: true, ca: [...ca], maxSockets: 1, lookup: guard.lookup });
  }

  async send(framed: string, count: number): Promise<void> {
    if (net.isIP(this.url.hostname.replace(/^\[|\]$/g, '')) !== 0) await this.guard.addresses(this.url.hostname);
    return new Promise<void>((resolve, reject) => {
      const body = Buffer.from(framed, 'utf8');
      const request = https.request(this.url, {
        method: 'POST',
        agent: this.agent,
        timeout: REQUEST_TIMEOUT_MS,
        headers: {
          'content-type': 'application/logplex-1',
          'content-length': String(body.length),
          'logplex-msg-count': String(count),
          'logplex-frame-id': crypto.randomUUID(),
          'logplex-drain-token': this.token,
          'user-agent': 'Slipway-Logplex/1',
        },
      }, (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`the drain answered HTTP ${status}`));
      });
      request.on('timeout', () => request.destroy(new Error('the drain did not answer in time')));
      request.on('error', reject);
      request.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

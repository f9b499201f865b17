/** Shared fixtures of the router integration tests: etcd, backends, requests and waiting. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Etcd3 } from 'etcd3';
import pino from 'pino';
import { loadConfig, type Config } from '../../../lib/config';
import { backendKey, domainKey } from '../../../lib/etcd-keys';
import type { Logger } from '../../../lib/log';

export const SHARED_ETCD_URL = 'http://127.0.0.1:2379';

/** A prefix no other test run uses, so runs never see each other's keys. */
export function uniquePrefix(): string {
  return `/slipway-test-${randomBytes(6).toString('hex')}`;
}

/** A router config on free ports; `env` adds or overrides settings (e.g. SLIPWAY_ROUTER_BALANCE). */
export function routerConfig(prefix: string, etcdUrl = SHARED_ETCD_URL, env: Record<string, string> = {}): Config {
  return loadConfig({
    SLIPWAY_ETCD_URL: etcdUrl,
    SLIPWAY_ETCD_PREFIX: prefix,
    SLIPWAY_ROUTER_HOST: '127.0.0.1',
    SLIPWAY_ROUTER_PORT: '0',
    SLIPWAY_ROUTER_ADMIN_PORT: '0',
    SLIPWAY_ROUTER_HTTPS_PORT: '0',
    SLIPWAY_ROUTER_SHUTDOWN_GRACE: '5',
    // No route cache unless a test asks for one (it would outlive the test in the state dir).
    SLIPWAY_ROUTER_CACHE_MAX_AGE: '0',
    SLIPWAY_STATE_DIR: os.tmpdir(),
    ...env,
  });
}

/** A pino logger whose JSON lines the test can read. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/** Writes keys the way the engine does (lib/etcd-keys.ts); each call returns the etcd revision. */
export class EngineKeys {
  constructor(
    readonly client: Etcd3,
    readonly prefix: string,
  ) {}

  async addDomain(app: string, host: string): Promise<number> {
    const response = await this.client.put(domainKey(this.prefix, app, host)).value(JSON.stringify({ app })).exec();
    return Number(response.header.revision);
  }

  async removeDomain(app: string, host: string): Promise<number> {
    const response = await this.client.delete().key(domainKey(this.prefix, app, host)).exec();
    return Number(response.header.revision);
  }

  async addBackend(app: string, instanceId: string, url: string, release = 1): Promise<number> {
    const value = JSON.stringify({ url, release, process: 'web' });
    const response = await this.client.put(backendKey(this.prefix, app, instanceId)).value(value).exec();
    return Number(response.header.revision);
  }

  async removeBackend(app: string, instanceId: string): Promise<number> {
    const response = await this.client.delete().key(backendKey(this.prefix, app, instanceId)).exec();
    return Number(response.header.revision);
  }

  async removeAll(): Promise<void> {
    await this.client.delete().prefix(`${this.prefix}/`).exec();
  }
}

/** A real HTTP server standing in for an app's web process; it records what reached it. */
export interface TestBackend {
  readonly name: string;
  readonly url: string;
  readonly requests: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}

export async function startBackend(name: string): Promise<TestBackend> {
  const requests: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.headers);
    const body = JSON.stringify({ backend: name, url: req.url, method: req.method, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface RouterResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One request to the router with the given Host header, on a fresh connection. */
export function request(
  port: number,
  host: string,
  options: { path?: string; method?: string; headers?: http.OutgoingHttpHeaders; body?: string } = {},
): Promise<RouterResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/',
        method: options.method ?? 'GET',
        headers: { host, ...options.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Which test backend answered (the JSON body names it). */
export function answeredBy(response: RouterResponse): string {
  return (JSON.parse(response.body) as { backend: string }).backend;
}

/**
 * Resolves as soon as `condition` holds, checking every few milliseconds; rejects after
 * `timeoutMs` with `what` in the message. Never a fixed sleep: fast when things are fast.
 */
export async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * An etcd of the test's own (binary /usr/bin/etcd, data in a temp folder), so a test can stop,
 * restart and compact it without disturbing the shared one other tests use.
 */
export class PrivateEtcd {
  private child: ChildProcess | null = null;

  private constructor(
    private readonly dataDir: string,
    private readonly clientPort: number,
    private readonly peerPort: number,
  ) {}

  static async start(): Promise<PrivateEtcd> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-router-etcd-'));
    const etcd = new PrivateEtcd(dataDir, await freePort(), await freePort());
    await etcd.resume();
    return etcd;
  }

  get url(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  /** Starts the process (again, on the same ports and data) and resolves once it serves clients. */
  async resume(): Promise<void> {
    const peerUrl = `http://127.0.0.1:${this.peerPort}`;
    const child = spawn(
      '/usr/bin/etcd',
      [
        '--name', 'router-test',
        '--data-dir', this.dataDir,
        '--listen-client-urls', this.url,
        '--advertise-client-urls', this.url,
        '--listen-peer-urls', peerUrl,
        '--initial-advertise-peer-urls', peerUrl,
        '--initial-cluster', `router-test=${peerUrl}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      let ready = false;
      const timer = setTimeout(() => reject(new Error(`private etcd did not become ready:\n${output.slice(-2000)}`)), 20_000);
      // Keep reading after it is ready, or etcd would block once the pipe buffer is full.
      const onOutput = (chunk: Buffer): void => {
        if (ready) return;
        output += chunk.toString();
        if (output.includes('ready to serve client requests')) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onOutput);
      child.stderr?.on('data', onOutput);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`private etcd exited with ${code}:\n${output.slice(-2000)}`));
      });
    });
  }

  /** Kills the process (as a crash would) and resolves once it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  async dispose(): Promise<void> {
    await this.kill();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** An HTTP server for one test, closed with its connections by `close()`. */
export async function listenOn(handler: http.RequestListener, setup?: (server: http.Server) => void): Promise<{ server: http.Server; url: string; port: number; close(): Promise<void> }> {
  const server = http.createServer(handler);
  setup?.(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Sends `raw` bytes on a new connection and resolves with everything the router answered before
 * closing. The client does not half-close (Node's server, like most, takes that for an abort), so
 * a request that should pass must say `Connection: close`.
 */
export function rawExchange(port: number, raw: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A router that answers and closes while we still write may reset the connection: what it
      // answered before that still counts.
      if (chunks.length > 0) resolve(Buffer.concat(chunks).toString('latin1'));
      else reject(error);
    });
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(raw);
  });
}

/** Requests in a loop from `concurrency` workers until `stop()`; every outcome is counted. */
export interface LoadLoop {
  readonly ok: () => number;
  readonly failures: string[];
  stop(): Promise<void>;
}

export function loadLoop(port: number, host: string, concurrency = 4, agent: http.Agent | false = false): LoadLoop {
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) ok += 1;
          else failures.push(`status ${res.statusCode} ${String(res.headers['x-slipway-error'] ?? '')}`);
          resolve();
        });
        res.on('error', (error) => {
          failures.push(`response: ${error.message}`);
          resolve();
        });
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        failures.push(`request: ${error.code ?? error.message}`);
        resolve();
      });
      req.end();
    });
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) await one();
  });
  return {
    ok: () => ok,
    failures,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

// ---------------------------------------------------------------- WebSocket (RFC 6455), just enough for echo tests

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function websocketAccept(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

/** One text frame; clients must mask theirs, servers must not. */
export function websocketFrame(text: string, masked: boolean): Buffer {
  const payload = Buffer.from(text);
  const length = payload.length;
  const header = length < 126 ? Buffer.from([0x81, (masked ? 0x80 : 0) | length]) : Buffer.from([0x81, (masked ? 0x80 : 0) | 126, length >> 8, length & 0xff]);
  if (!masked) return Buffer.concat([header, payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] as number)));
  return Buffer.concat([header, mask, body]);
}

/** Reads complete text frames from a byte stream (either direction); returns their texts and the rest. */
export function parseWebsocketFrames(data: Buffer): { texts: string[]; rest: Buffer } {
  const texts: string[] = [];
  let offset = 0;
  for (;;) {
    if (data.length - offset < 2) break;
    const second = data[offset + 1] as number;
    const masked = (second & 0x80) !== 0;
    let length = second & 0x7f;
    let headerLength = 2;
    if (length === 126) {
      if (data.length - offset < 4) break;
      length = data.readUInt16BE(offset + 2);
      headerLength = 4;
    }
    const maskLength = masked ? 4 : 0;
    if (data.length - offset < headerLength + maskLength + length) break;
    const mask = data.subarray(offset + headerLength, offset + headerLength + maskLength);
    const payload = Buffer.from(data.subarray(offset + headerLength + maskLength, offset + headerLength + maskLength + length));
    if (masked) for (let i = 0; i < payload.length; i += 1) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
    texts.push(payload.toString());
    offset += headerLength + maskLength + length;
  }
  return { texts, rest: data.subarray(offset) };
}

/** A WebSocket echo server: completes the handshake properly and echoes every text frame. */
export function attachWebsocketEcho(server: http.Server, seen: http.IncomingHttpHeaders[] = []): void {
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
    seen.push(req.headers);
    const key = String(req.headers['sec-websocket-key'] ?? '');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${websocketAccept(key)}\r\n\r\n`,
    );
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const { texts, rest } = parseWebsocketFrames(Buffer.concat([buffered, chunk]));
      buffered = rest;
      for (const text of texts) socket.write(websocketFrame(`echo: ${text}`, false));
    });
    socket.on('error', () => socket.destroy());
    // The peer is done: so are we (the server's sockets would otherwise stay half-open).
    socket.on('end', () => socket.end());
  });
}

/** Opens a WebSocket through the router, checks the handshake, sends `messages` and resolves with the echoes. */
export function websocketEcho(port: number, host: string, messages: readonly string[]): Promise<{ status: number; headers: http.IncomingHttpHeaders; echoes: string[] }> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const req = http.request({
      host: '127.0.0.1',
      port,
      headers: { host, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': key, 'sec-websocket-version': '13' },
      agent: false,
    });
    req.on('upgrade', (res, socket, head) => {
      if (res.headers['sec-websocket-accept'] !== websocketAccept(key)) {
        reject(new Error(`bad Sec-WebSocket-Accept ${String(res.headers['sec-websocket-accept'])}`));
        socket.destroy();
        return;
      }
      let buffered: Buffer = Buffer.from(head);
      const echoes: string[] = [];
      socket.on('data', (chunk: Buffer) => {
        const { texts, rest } = parseWebsocketFrames(Buffer.concat([buffered, chunk]));
        buffered = rest;
        echoes.push(...texts);
        if (echoes.length >= messages.length) {
          socket.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, echoes });
        }
      });
      socket.on('error', reject);
      for (const message of messages) socket.write(websocketFrame(message, true));
    });
    req.on('response', (res) => reject(new Error(`expected an upgrade, got ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}

// ---------------------------------------------------------------- the router as a process (node dist/router/main.js)

export const ROUTER_MAIN = path.resolve(__dirname, '..', '..', '..', 'router', 'main.js');

export interface RouterProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly adminPort: number;
  /** Every JSON log line so far. */
  readonly lines: Array<Record<string, unknown>>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILLs it if it still runs (test cleanup). */
  kill(): Promise<void>;
}

/**
 * Starts the router entry point with `env` (on free ports) and resolves once it says it listens
 * (all workers, in cluster mode). Its log lines are collected.
 */
export async function startRouterProcess(env: Record<string, string>, nodeArgs: string[] = []): Promise<RouterProcess> {
  // A test may choose the port itself (to send requests before the router says it is ready).
  const port = env.SLIPWAY_ROUTER_PORT === undefined ? await freePort() : Number(env.SLIPWAY_ROUTER_PORT);
  const adminPort = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, ROUTER_MAIN], {
    env: {
      ...process.env,
      SLIPWAY_ROUTER_HOST: '127.0.0.1',
      SLIPWAY_ROUTER_HTTPS_PORT: '0',
      SLIPWAY_ROUTER_CACHE_MAX_AGE: '0',
      SLIPWAY_STATE_DIR: os.tmpdir(),
      ...env,
      SLIPWAY_ROUTER_PORT: String(port),
      SLIPWAY_ROUTER_ADMIN_PORT: String(adminPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise<void>((resolve, reject) => {
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const complete = partial.split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) {
        if (line.trim() === '') continue;
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        lines.push(parsed);
        const single = parsed.msg === 'router listening' && parsed.worker === undefined;
        if (single || parsed.msg === 'router listening on all workers') resolve();
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    void exited.then(({ code, signal }) => reject(new Error(`router exited (${code ?? signal}) before listening:\n${stderr.slice(-2000)}`)));
  });
  await ready;
  return {
    child,
    port,
    adminPort,
    lines,
    exited,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** GET on the admin port of a router process; resolves with status and body. */
export function adminGet(adminPort: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: adminPort, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** The value of one Prometheus sample (`name{labels}`, labels as rendered), or undefined. */
export function metricValue(exposition: string, series: string): number | undefined {
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

/** Peak resident memory (VmHWM) of a process, in bytes, from /proc. */
export function peakRss(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** Shared fixtures of the router integration tests: etcd, backends, requests and waiting. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { loadConfig, type Config } from '../../../lib/config';
import { backendKey, domainKey } from '../../../lib/etcd-keys';

export const SHARED_ETCD_URL = 'http://127.0.0.1:2379';

/** A prefix no other test run uses, so runs never see each other's keys. */
export function uniquePrefix(): string {
  return `/slipway-test-${randomBytes(6).toString('hex')}`;
}

export function routerConfig(prefix: string, etcdUrl = SHARED_ETCD_URL): Config {
  return loadConfig({
    SLIPWAY_ETCD_URL: etcdUrl,
    SLIPWAY_ETCD_PREFIX: prefix,
    SLIPWAY_ROUTER_HOST: '127.0.0.1',
    SLIPWAY_ROUTER_PORT: '0',
    SLIPWAY_STATE_DIR: os.tmpdir(),
  });
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
export async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function freePort(): Promise<number> {
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

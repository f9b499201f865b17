/**
 * The app backends of the router benchmark's convergence and churn phases, in a process of their
 * own (forked by bench/router.ts, driven over the IPC channel). Apart, so that serving thousands of
 * requests a second never delays the benchmark's own clock: the 100 ms churn ticks and the
 * convergence timings run in the parent, undisturbed.
 *
 * Each backend is a plain node:http server on 127.0.0.1 (a new port each) answering 200 with its
 * own name, as an app's web process would. Stopping one is what Node 20 does for an app that calls
 * `server.close()` on SIGTERM: no new connections, idle keep-alive ones closed, requests in flight
 * finished. The process exits when its parent goes away.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** What the parent asks; every request carries an id the answer repeats. */
export type BackendRequest =
  | { readonly id: number; readonly op: 'start'; readonly name: string }
  | { readonly id: number; readonly op: 'stop'; readonly name: string }
  | { readonly id: number; readonly op: 'stats' };

export interface BackendStats {
  readonly name: string;
  readonly requests: number;
  /** Wall-clock ms (timeOrigin + now, comparable across processes) of the last request; 0 if none. */
  readonly lastRequestAt: number;
}

export type BackendReply =
  | { readonly id: number; readonly ok: true; readonly port?: number; readonly stats?: BackendStats[] }
  | { readonly id: number; readonly ok: false; readonly error: string };

interface Backend {
  readonly server: http.Server;
  requests: number;
  lastRequestAt: number;
}

const backends = new Map<string, Backend>();

export const wallClockMs = (): number => performance.timeOrigin + performance.now();

function start(name: string): Promise<number> {
  const body = `${name}\n`;
  const backend: Backend = { server: http.createServer(), requests: 0, lastRequestAt: 0 };
  backend.server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    backend.requests += 1;
    backend.lastRequestAt = wallClockMs();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  backends.set(name, backend);
  return new Promise((resolve, reject) => {
    backend.server.once('error', reject);
    backend.server.listen(0, '127.0.0.1', () => resolve((backend.server.address() as AddressInfo).port));
  });
}

/** Answers at once: the close itself goes on while requests in flight finish. */
function stop(name: string): void {
  const backend = backends.get(name);
  if (!backend) throw new Error(`no backend named ${name}`);
  backend.server.close();
}

function stats(): BackendStats[] {
  return [...backends].map(([name, b]) => ({ name, requests: b.requests, lastRequestAt: b.lastRequestAt }));
}

async function handle(request: BackendRequest): Promise<BackendReply> {
  try {
    if (request.op === 'start') return { id: request.id, ok: true, port: await start(request.name) };
    if (request.op === 'stop') {
      stop(request.name);
      return { id: request.id, ok: true };
    }
    return { id: request.id, ok: true, stats: stats() };
  } catch (error) {
    return { id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

function main(): void {
  if (!process.send) throw new Error('bench/router-backends runs as a child of bench/router (forked, with an IPC channel)');
  process.on('message', (request: BackendRequest) => {
    void handle(request).then((reply) => process.send?.(reply));
  });
  // The benchmark is gone (finished, crashed or killed): so are its backends.
  process.on('disconnect', () => process.exit(0));
}

if (require.main === module) main();

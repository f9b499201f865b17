/**
 * Router benchmark: how fast and how current is Slipway's router next to nginx? Run with
 * `npm run bench:router`; method, targets and figures are in docs/benchmarks.md (issue 4).
 *
 * Everything on loopback, in one run, one part after the other:
 *
 * 1. Throughput. wrk (-t1 -c32, bounded) sends GET / to one backend (a Debian nginx answering
 *    `return 200`, 1 worker, no access log) five ways: directly; through an nginx proxy (1 worker,
 *    upstream keep-alive, access log to a file); through Slipway's router as one process; through
 *    the router on every core (node:cluster); and through one router process on Node's own sockets
 *    (SLIPWAY_ROUTER_SOCKETS=node) for what its native sockets save. Requests per second, p50/p99 latency and errors from
 *    wrk; proxy CPU time per request from /proc (utime + stime of the proxy's whole process tree,
 *    before and after). Repeated in rounds, the order reversed each round; medians side by side
 *    with ratios to nginx.
 * 2. Convergence. 100 trials per router: the etcd put of a new backend key for an app that has
 *    none, then requests back to back on 4 keep-alive connections until the new backend answers;
 *    then its delete, until the router answers 503 again. p50/p99/max, beside the time the
 *    benchmark's own etcd watch took to hear of the put.
 * 3. Churn. Under wrk's load (plus a Node client that checks every answer), every 100 ms one new
 *    backend is added and the oldest removed (3 live ones), for 10 s; the withdrawn ones keep
 *    running, or are stopped 1 s after their withdrawal as in a deploy. Failed requests counted.
 *
 * The router is a black box: `node dist/router/main.js` with its settings in the environment and
 * routes from etcd keys under a prefix of this run's own. It logs at `info` (one access-log line
 * per request, as in production) to a file in the run's temp dir.
 *
 * Every wait has a deadline. Every process started here (nginx, routers, wrk, the backends'
 * process) is stopped, the etcd keys deleted and the temp dir removed at the end, also on failure,
 * Ctrl-C or timeout. The exit code is 0 whether the targets are met or not (a benchmark, not a
 * test), 1 only when the benchmark itself could not run.
 *
 * Settings from the environment: BENCH_ROUTER_SECONDS (measured seconds per wrk run, default 5),
 * BENCH_ROUTER_ROUNDS (2), BENCH_ROUTER_CONNECTIONS (wrk connections, 32), BENCH_ROUTER_TRIALS
 * (convergence trials, 100), BENCH_ROUTER_CHURN_SECONDS (10), BENCH_ROUTER_WORKERS (router
 * processes for "all cores", default os.availableParallelism()), BENCH_ROUTER_KEEP_TMP=1 (keep the
 * temp dir with configs and logs, and say where it is).
 */
import { execFileSync, fork, spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Etcd3, type Watcher } from 'etcd3';
import { loadConfig } from '../lib/config';
import { backendKey, backendsPrefix, domainKey } from '../lib/etcd-keys';
import { wallClockMs, type BackendReply, type BackendRequest, type BackendStats } from './router-backends';
import { Cleanup, median, message, now, runBenchmark, sleep, table, withDeadline } from './support';

// --- Settings ------------------------------------------------------------------------------

const SETTINGS = {
  seconds: wholeNumberFromEnv('BENCH_ROUTER_SECONDS', 5, 1),
  rounds: wholeNumberFromEnv('BENCH_ROUTER_ROUNDS', 2, 1),
  connections: wholeNumberFromEnv('BENCH_ROUTER_CONNECTIONS', 32, 1),
  trials: wholeNumberFromEnv('BENCH_ROUTER_TRIALS', 100, 1),
  churnSeconds: wholeNumberFromEnv('BENCH_ROUTER_CHURN_SECONDS', 10, 1),
  workers: wholeNumberFromEnv('BENCH_ROUTER_WORKERS', os.availableParallelism(), 1),
  keepTmp: process.env.BENCH_ROUTER_KEEP_TMP === '1',
} as const;

/** Unmeasured wrk run before each measured one: JIT, connection pools, CPU frequency. */
const WARM_UP_SECONDS = 1;
/** wrk counts a request unanswered for this long as a timeout error. */
const WRK_TIMEOUT_SECONDS = 5;
const CHURN = {
  intervalMs: 100,
  liveBackends: 3,
  /** Variant "stopped": a withdrawn backend's server is closed this long after its delete (the drain). */
  stopAfterMs: 1000,
  /** Load alone before the first and after the last change. */
  steadyMs: 1000,
  /** Connections of the Node client that checks every answer (wrk only counts). */
  checkerConnections: 4,
} as const;

const DEADLINE = {
  whole: 8 * 60_000,
  start: 30_000,
  request: 5_000,
  trial: 5_000,
  /** Beyond wrk's own -d. */
  wrkExtra: 20_000,
  etcd: 10_000,
  stop: 15_000,
  cleanupStep: 20_000,
} as const;

/** Keep-alive connections polling the router during a convergence trial (at least). */
const POLLING_CONNECTIONS = 4;
/** A convergence trial slower than this misses the target. */
const CONVERGENCE_TARGET_MS = 10;
const BACKEND_BODY = 'hello from the benchmark backend\n';
const DOMAIN = 'router-bench.localhost';
const APPS = { throughput: 'throughput', convergence: 'convergence', churn: 'churn' } as const;
const hostOf = (app: string): string => `${app}.${DOMAIN}`;

// --- Small helpers -------------------------------------------------------------------------

function wholeNumberFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${raw} must be a whole number ≥ ${min}`);
  return value;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const fixed = (value: number | null, digits: number): string => (value === null || !Number.isFinite(value) ? '-' : value.toFixed(digits));
const ratio = (value: number | null, base: number | null): string =>
  value === null || base === null || base === 0 || !Number.isFinite(value) ? '-' : `${(value / base).toFixed(2)}×`;
const thousands = (n: number): string => Math.round(n).toLocaleString('en-US');

function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

const countsText = (counts: ReadonlyMap<string, number>): string => [...counts].map(([key, n]) => `${key} ×${n}`).join(', ') || '-';

/** The executable's path on PATH (or in the sbin dirs, where Debian puts nginx), or null. */
function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    const candidate = path.join(dir || '.', name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// --- Cleanup and child processes -----------------------------------------------------------

interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<void>;
  readonly hasExited: () => boolean;
}

/**
 * Every process this benchmark starts, each the leader of a process group of its own (detached), so
 * that stopping one also reaches what it started (router cluster workers, nginx workers) and only
 * that. A synchronous kill of whatever is left runs on exit, whatever the way out.
 */
class Children {
  private readonly live = new Set<Child>();

  constructor() {
    process.on('exit', () => this.killAllNow());
  }

  spawn(name: string, command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; stdio: StdioOptions }): Child {
    return this.track(name, spawn(command, args, { env: options.env ?? process.env, stdio: options.stdio, detached: true }));
  }

  fork(name: string, modulePath: string): Child {
    return this.track(name, fork(modulePath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true }));
  }

  /** SIGTERM (or `signal`) to the leader; its whole group is SIGKILLed if it is not gone in time. */
  async stop(child: Child, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!child.hasExited()) {
      child.process.kill(signal);
      try {
        await withDeadline(child.exited, DEADLINE.stop, `${child.name} stopping`);
      } catch {
        console.error(`${child.name} did not stop within ${DEADLINE.stop / 1000} s of ${signal}: killed`);
      }
    }
    killGroup(child.pid);
    this.live.delete(child);
  }

  killAllNow(): void {
    for (const child of this.live) killGroup(child.pid);
    this.live.clear();
  }

  private track(name: string, processHandle: ChildProcess): Child {
    if (processHandle.pid === undefined) throw new Error(`${name} could not be started`);
    let exited = false;
    const exitedPromise = new Promise<void>((resolve) => processHandle.once('exit', () => { exited = true; resolve(); }));
    processHandle.once('error', (error) => console.error(`${name}: ${error.message}`));
    const child: Child = { name, process: processHandle, pid: processHandle.pid, exited: exitedPromise, hasExited: () => exited };
    this.live.add(child);
    return child;
  }
}

/** SIGKILL to a group this benchmark started (its leader's pid); nothing if it is gone. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

// --- CPU time from /proc -------------------------------------------------------------------

const CLOCK_TICKS = clockTicks();

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid: number | 'self'): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The process and all its descendants, alive now (a cluster primary and its workers; nginx's master and worker). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = Number(statFields(Number(entry))?.[1]);
    if (!Number.isFinite(parent)) continue;
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  for (const queue = [root]; queue.length > 0;) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** User + system CPU seconds of a process tree so far (fields 14 and 15 of stat). */
function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    const fields = statFields(pid);
    if (fields) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLOCK_TICKS;
}

/**
 * CPU seconds all CPUs spent busy so far (/proc/stat: user, nice, system, irq, softirq, steal).
 * Less what the benchmark's own processes used, it tells how much else ran during a measurement.
 */
function machineBusySeconds(): number {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
}

/**
 * CPU seconds of this process's children that have exited and been reaped (cutime + cstime): wrk's
 * own CPU time, read before and after a run (nothing else started here exits meanwhile).
 */
function reapedChildrenCpuSeconds(): number {
  const fields = statFields('self');
  return fields ? (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS : 0;
}

// --- HTTP ----------------------------------------------------------------------------------

interface Answer { status: number; body: string; headers: http.IncomingHttpHeaders }

/** One GET with the given Host header; rejects on any error or after `timeoutMs`. */
function httpGet(port: number, host: string, agent: http.Agent | false, timeoutMs: number = DEADLINE.request): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      res.on('error', reject);
      // A response cut short may end with neither 'end' nor 'error'.
      res.on('close', () => { if (!res.complete) reject(new Error('response cut short')); });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Retries a GET until `accept` holds for its answer (a server starting up); bounded. */
async function untilAnswers(port: number, host: string, accept: (answer: Answer) => boolean, what: string, alive: () => boolean): Promise<void> {
  const deadline = now() + DEADLINE.start;
  let last = 'no answer yet';
  for (;;) {
    try {
      const answer = await httpGet(port, host, false, 2000);
      if (accept(answer)) return;
      last = `HTTP ${answer.status}: ${answer.body.slice(0, 120).trim()}`;
    } catch (error) {
      last = message(error);
    }
    if (!alive()) throw new Error(`${what} exited (last answer: ${last})`);
    if (now() > deadline) throw new Error(`${what} did not answer as expected within ${DEADLINE.start / 1000} s (last: ${last})`);
    // Nothing announces that a server listens but its answer: ask again shortly.
    await sleep(20);
  }
}

// --- nginx ---------------------------------------------------------------------------------

interface Nginx { readonly child: Child; readonly port: number; readonly accessLog: string | null }

/** The main context of a config of our own: foreground, 1 worker, every path inside `dir`. */
function nginxConfig(dir: string, name: string, http: string): string {
  const temp = path.join(dir, `${name}-temp`);
  return `# Generated by bench/router.ts for one run; never the system's nginx.
daemon off;
worker_processes 1;
pid ${path.join(dir, `${name}.pid`)};
error_log ${path.join(dir, `${name}-error.log`)} warn;
events { worker_connections 4096; }
http {
  client_body_temp_path ${temp}/body;
  proxy_temp_path ${temp}/proxy;
  fastcgi_temp_path ${temp}/fastcgi;
  uwsgi_temp_path ${temp}/uwsgi;
  scgi_temp_path ${temp}/scgi;
  # nginx closes a client connection after 1000 requests by default; neither Node nor wrk does.
  keepalive_requests 1000000;
${http}
}
`;
}

/** The backend: answers every request itself, at little CPU cost, and logs nothing. */
function backendHttp(port: number): string {
  const body = BACKEND_BODY.replace(/\n/g, '\\n');
  return `  access_log off;
  server {
    listen 127.0.0.1:${port};
    location / { default_type text/plain; return 200 "${body}"; }
  }`;
}

/**
 * The proxy under comparison: upstream keep-alive, HTTP/1.1, and the same forwarded headers and
 * request id the router adds, so both do the same work; its access log (default "combined"
 * format, one write per request) goes to a file, as the router's JSON lines do.
 */
function proxyHttp(port: number, backendPort: number, accessLog: string): string {
  return `  access_log ${accessLog};
  upstream app {
    server 127.0.0.1:${backendPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header X-Request-Id $request_id;
      add_header X-Request-Id $request_id;
    }
  }`;
}

async function startNginx(children: Children, nginxPath: string, dir: string, name: string, port: number, httpBlock: string, accessLog: string | null): Promise<Nginx> {
  const conf = path.join(dir, `${name}.conf`);
  fs.mkdirSync(path.join(dir, `${name}-temp`), { recursive: true });
  fs.writeFileSync(conf, nginxConfig(dir, name, httpBlock));
  const startupLog = path.join(dir, `${name}-startup.log`);
  // -e: nginx's own messages before it has read the config go to our dir too, not /var/log.
  const child = children.spawn(name, nginxPath, ['-p', `${dir}/`, '-c', conf, '-e', startupLog], { stdio: ['ignore', 'ignore', fs.openSync(startupLog, 'a')] });
  try {
    await untilAnswers(port, hostOf(APPS.throughput), (a) => a.status === 200 && a.body === BACKEND_BODY, name, () => !child.hasExited());
  } catch (error) {
    const log = [startupLog, path.join(dir, `${name}-error.log`)].map((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '')).join('').trim();
    throw new Error(`${message(error)}${log ? `\n${name}'s log:\n${log.slice(-2000)}` : ''}`);
  }
  return { child, port, accessLog };
}

// --- Slipway's router ----------------------------------------------------------------------

interface Router {
  readonly label: string;
  readonly workers: number;
  readonly child: Child;
  readonly port: number;
  readonly logFile: string;
}

const ROUTER_MAIN = path.resolve(__dirname, '..', 'router', 'main.js');
/** The single-process router with SLIPWAY_ROUTER_SOCKETS=node: what its native sockets save. */
const NODE_SOCKETS_TARGET = 'router (1 process, Node sockets)';

/** The router's environment: ours, with its own settings for this run set over it. */
function routerEnv(etcdUrls: readonly string[], prefix: string, port: number, workers: number, stateDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    SLIPWAY_ETCD_URL: etcdUrls.join(','),
    SLIPWAY_ETCD_PREFIX: prefix,
    SLIPWAY_ROUTER_HOST: '127.0.0.1',
    SLIPWAY_ROUTER_PORT: String(port),
    SLIPWAY_ROUTER_ADMIN_PORT: '0',
    SLIPWAY_ROUTER_HTTPS_PORT: '0',
    SLIPWAY_ROUTER_WORKERS: String(workers),
    SLIPWAY_ROUTER_CACHE_MAX_AGE: '0',
    SLIPWAY_ROUTER_SHUTDOWN_GRACE: '5',
    SLIPWAY_STATE_DIR: stateDir,
    // As in production: an access-log line per request.
    SLIPWAY_LOG_LEVEL: 'info',
  };
}

async function startRouter(
  children: Children,
  dir: string,
  etcdUrls: readonly string[],
  prefix: string,
  label: string,
  workers: number,
  sockets: 'native' | 'node' = 'native',
): Promise<Router> {
  const port = await freePort();
  const stateDir = path.join(dir, `state-${label}`);
  fs.mkdirSync(stateDir, { recursive: true });
  const logFile = path.join(dir, `${label}.log`);
  const out = fs.openSync(logFile, 'a');
  const child = children.spawn(label, process.execPath, [ROUTER_MAIN], { env: { ...routerEnv(etcdUrls, prefix, port, workers, stateDir), SLIPWAY_ROUTER_SOCKETS: sockets }, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  try {
    await untilAnswers(port, hostOf(APPS.throughput), (a) => a.status === 200 && a.body === BACKEND_BODY, label, () => !child.hasExited());
    if (workers > 1) await untilAllWorkersListen(logFile, workers, () => !child.hasExited());
  } catch (error) {
    throw new Error(`${message(error)}\n${label}'s log (end):\n${tail(logFile, 2000)}`);
  }
  return { label, workers, child, port, logFile };
}

/**
 * In a cluster, one worker answering is not enough: the others may still be starting, and the
 * primary hands connections only to those listening. The primary logs when all are; failing that
 * (the log may change), one "router listening" line per worker will do.
 */
async function untilAllWorkersListen(logFile: string, workers: number, alive: () => boolean): Promise<void> {
  const deadline = now() + DEADLINE.start;
  for (;;) {
    const text = fs.readFileSync(logFile, 'utf8');
    if (text.includes('router listening on all workers')) return;
    const listening = new Set(text.split('\n').filter((l) => l.includes('"router listening"')).map((l) => /"worker":"?(\w+)/.exec(l)?.[1]).filter(Boolean));
    if (listening.size >= workers) return;
    if (!alive()) throw new Error('the router exited while its workers started');
    if (now() > deadline) throw new Error(`the router's log did not show all ${workers} workers listening within ${DEADLINE.start / 1000} s`);
    await sleep(50);
  }
}

function tail(file: string, chars: number): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.slice(-chars).trim();
  } catch {
    return '(no log)';
  }
}

/** Warnings and errors a router logged (pino levels 40, 50, 60), counted by message. */
async function routerProblems(logFile: string): Promise<{ lines: number; bytes: number; problems: Map<string, number> }> {
  const problems = new Map<string, number>();
  let lines = 0;
  const input = fs.createReadStream(logFile, 'utf8');
  for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) {
    lines += 1;
    const level = /"level":(\d+)/.exec(line)?.[1];
    if (level === undefined || Number(level) < 40) continue;
    const msg = /"msg":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? line.slice(0, 80);
    bump(problems, `${Number(level) >= 50 ? 'error' : 'warn'}: ${msg}`);
  }
  return { lines, bytes: fs.statSync(logFile).size, problems };
}

// --- Routes in etcd ------------------------------------------------------------------------

/** Writes routes the way the engine does (lib/etcd-keys.ts), under this run's prefix. */
class Routes {
  constructor(
    private readonly client: Etcd3,
    readonly prefix: string,
  ) {}

  async addDomain(app: string): Promise<void> {
    await withDeadline(this.client.put(domainKey(this.prefix, app, hostOf(app))).value(JSON.stringify({ app })).exec(), DEADLINE.etcd, 'etcd put');
  }

  async addBackend(app: string, instanceId: string, port: number): Promise<void> {
    const value = JSON.stringify({ url: `http://127.0.0.1:${port}`, release: 1, process: 'web' });
    await withDeadline(this.client.put(backendKey(this.prefix, app, instanceId)).value(value).exec(), DEADLINE.etcd, 'etcd put');
  }

  async removeBackend(app: string, instanceId: string): Promise<void> {
    await withDeadline(this.client.delete().key(backendKey(this.prefix, app, instanceId)).exec(), DEADLINE.etcd, 'etcd delete');
  }

  async removeAll(): Promise<void> {
    await this.client.delete().prefix(`${this.prefix}/`).exec();
  }

  async watchBackends(app: string): Promise<PutWatch> {
    const watcher = await withDeadline(this.client.watch().prefix(backendsPrefix(this.prefix, app)).create(), DEADLINE.etcd, 'etcd watch');
    return new PutWatch(watcher, (instanceId) => backendKey(this.prefix, app, instanceId));
  }
}

/**
 * The benchmark's own etcd watch on an app's backend keys: when a plain watcher hears of a put. The
 * router cannot serve a backend sooner; the difference is the router's own share of convergence.
 */
class PutWatch {
  private readonly waiting = new Map<string, (at: number) => void>();

  constructor(
    private readonly watcher: Watcher,
    private readonly keyOf: (instanceId: string) => string,
  ) {
    watcher.on('put', (kv) => {
      const key = kv.key.toString();
      this.waiting.get(key)?.(now());
      this.waiting.delete(key);
    });
  }

  /** Resolves when the put of this instance's key arrives; ask before putting it. */
  next(instanceId: string): Promise<number> {
    return new Promise((resolve) => this.waiting.set(this.keyOf(instanceId), resolve));
  }

  async stop(): Promise<void> {
    await this.watcher.cancel();
  }
}

// --- The backends' process (convergence and churn) -----------------------------------------

/** Drives bench/router-backends in its own process: start and stop servers, read their counts. */
class BackendHost {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: BackendReply) => void>();

  private constructor(readonly child: Child) {
    child.process.on('message', (reply: BackendReply) => {
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    });
  }

  static start(children: Children): BackendHost {
    return new BackendHost(children.fork('backends process', path.join(__dirname, 'router-backends.js')));
  }

  async start(name: string): Promise<number> {
    const reply = await this.call({ op: 'start', name });
    return reply.port!;
  }

  async stop(name: string): Promise<void> {
    await this.call({ op: 'stop', name });
  }

  async stats(): Promise<BackendStats[]> {
    return (await this.call({ op: 'stats' })).stats ?? [];
  }

  private async call(request: { op: 'start' | 'stop'; name: string } | { op: 'stats' }): Promise<Extract<BackendReply, { ok: true }>> {
    const id = this.nextId++;
    const answered = new Promise<BackendReply>((resolve) => this.pending.set(id, resolve));
    this.child.process.send({ ...request, id } as BackendRequest);
    const reply = await withDeadline(answered, DEADLINE.request, `backends process: ${request.op}`).finally(() => this.pending.delete(id));
    if (!reply.ok) throw new Error(`backends process: ${request.op}: ${reply.error}`);
    return reply;
  }
}

// --- wrk -----------------------------------------------------------------------------------

interface WrkResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly non2xx: number;
  readonly socketErrors: { connect: number; read: number; write: number; timeout: number };
  readonly errors: number;
  /** wrk's own CPU seconds for the run. */
  readonly cpuSeconds: number;
}

function wrkArgs(port: number, host: string, seconds: number): string[] {
  return ['-t1', `-c${SETTINGS.connections}`, `-d${seconds}s`, '--latency', '--timeout', `${WRK_TIMEOUT_SECONDS}s`, '-H', `Host: ${host}`, `http://127.0.0.1:${port}/`];
}

/** wrk's durations: "812.00us", "1.23ms", "2.00s", "1.00m". */
function wrkMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  if (!match) return NaN;
  const scale: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return Number(match[1]) * scale[match[2]!]!;
}

function parseWrk(output: string, cpuSeconds: number): WrkResult {
  const number = (re: RegExp): number => Number(re.exec(output)?.[1] ?? NaN);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = { connect: Number(socket?.[1] ?? 0), read: Number(socket?.[2] ?? 0), write: Number(socket?.[3] ?? 0), timeout: Number(socket?.[4] ?? 0) };
  const non2xx = number(/Non-2xx or 3xx responses: (\d+)/) || 0;
  const requests = number(/(\d+) requests in /);
  if (!Number.isFinite(requests)) throw new Error(`could not read wrk's output:\n${output}`);
  return {
    requests,
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: wrkMs(/^\s+50%\s+(\S+)$/m.exec(output)?.[1] ?? ''),
    p99Ms: wrkMs(/^\s+99%\s+(\S+)$/m.exec(output)?.[1] ?? ''),
    maxMs: wrkMs(/^\s+Latency\s+\S+\s+\S+\s+(\S+)/m.exec(output)?.[1] ?? ''),
    non2xx,
    socketErrors,
    errors: non2xx + socketErrors.connect + socketErrors.read + socketErrors.write + socketErrors.timeout,
    cpuSeconds,
  };
}

/** One bounded wrk run; resolves with its figures (and its own CPU time). */
async function runWrk(children: Children, wrkPath: string, port: number, host: string, seconds: number): Promise<WrkResult> {
  const cpuBefore = reapedChildrenCpuSeconds();
  const child = children.spawn('wrk', wrkPath, wrkArgs(port, host, seconds), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.process.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.process.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const code = await withDeadline(
    new Promise<number | null>((resolve) => child.process.once('close', (c) => resolve(c))),
    seconds * 1000 + DEADLINE.wrkExtra,
    'wrk',
  ).finally(() => children.stop(child, 'SIGKILL'));
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${output}`);
  return parseWrk(output, reapedChildrenCpuSeconds() - cpuBefore);
}

// --- 1. Throughput -------------------------------------------------------------------------

interface Target {
  readonly name: string;
  readonly port: number;
  /** The proxy's process (its tree is measured), or null when nothing is in between. */
  readonly proxyPid: number | null;
}

interface Run {
  readonly target: string;
  readonly round: number;
  readonly wrk: WrkResult;
  /** CPU µs per request: the proxy's tree, the backend nginx, wrk. */
  readonly proxyUs: number | null;
  readonly backendUs: number;
  readonly wrkUs: number;
  /** Cores' worth of CPU used by everything else on the machine during the run (this process included). */
  readonly otherCores: number;
}

async function measureTarget(children: Children, wrkPath: string, target: Target, backendPid: number, round: number): Promise<Run> {
  const host = hostOf(APPS.throughput);
  await runWrk(children, wrkPath, target.port, host, WARM_UP_SECONDS);
  const proxyCpu = (): number => (target.proxyPid === null ? 0 : treeCpuSeconds(target.proxyPid));
  const [proxyBefore, backendBefore, machineBefore, started] = [proxyCpu(), treeCpuSeconds(backendPid), machineBusySeconds(), now()];
  const wrk = await runWrk(children, wrkPath, target.port, host, SETTINGS.seconds);
  const [proxySeconds, backendSeconds] = [proxyCpu() - proxyBefore, treeCpuSeconds(backendPid) - backendBefore];
  const otherSeconds = machineBusySeconds() - machineBefore - proxySeconds - backendSeconds - wrk.cpuSeconds;
  const perRequestUs = (seconds: number): number => (seconds / Math.max(1, wrk.requests)) * 1e6;
  return {
    target: target.name,
    round,
    wrk,
    proxyUs: target.proxyPid === null ? null : perRequestUs(proxySeconds),
    backendUs: perRequestUs(backendSeconds),
    wrkUs: perRequestUs(wrk.cpuSeconds),
    otherCores: Math.max(0, otherSeconds) / ((now() - started) / 1000),
  };
}

async function throughput(children: Children, wrkPath: string, targets: readonly Target[], backendPid: number): Promise<Run[]> {
  console.log(`\n=== 1. Throughput: wrk ${wrkArgs(0, hostOf(APPS.throughput), SETTINGS.seconds).slice(0, 6).join(' ')}, ${WARM_UP_SECONDS} s warm-up before each run, ${SETTINGS.rounds} round(s), order reversed each round ===`);
  const runs: Run[] = [];
  for (let round = 1; round <= SETTINGS.rounds; round += 1) {
    // Alternating the order spreads any drift of the machine (other load, heat) over all targets.
    const order = round % 2 === 1 ? targets : [...targets].reverse();
    for (const target of order) {
      const run = await measureTarget(children, wrkPath, target, backendPid, round);
      runs.push(run);
      console.log(`  round ${round}  ${target.name.padEnd(22)} ${thousands(run.wrk.rps).padStart(7)} req/s  p50 ${fixed(run.wrk.p50Ms, 2)} ms  p99 ${fixed(run.wrk.p99Ms, 2)} ms  errors ${run.wrk.errors}  proxy CPU ${fixed(run.proxyUs, 1)} µs/req  (other load: ${run.otherCores.toFixed(2)} cores)`);
    }
  }
  return runs;
}

interface Summary {
  readonly target: string;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly requests: number;
  readonly proxyUs: number | null;
  readonly backendUs: number;
  readonly wrkUs: number;
  readonly otherCores: number;
}

function summarize(runs: readonly Run[], targets: readonly Target[]): Summary[] {
  return targets.map((target) => {
    const mine = runs.filter((r) => r.target === target.name);
    const proxy = mine.map((r) => r.proxyUs).filter((v): v is number => v !== null);
    return {
      target: target.name,
      rps: median(mine.map((r) => r.wrk.rps)),
      p50Ms: median(mine.map((r) => r.wrk.p50Ms)),
      p99Ms: median(mine.map((r) => r.wrk.p99Ms)),
      errors: mine.reduce((n, r) => n + r.wrk.errors, 0),
      requests: mine.reduce((n, r) => n + r.wrk.requests, 0),
      proxyUs: proxy.length > 0 ? median(proxy) : null,
      backendUs: median(mine.map((r) => r.backendUs)),
      wrkUs: median(mine.map((r) => r.wrkUs)),
      otherCores: median(mine.map((r) => r.otherCores)),
    };
  });
}

function printThroughput(summaries: readonly Summary[]): void {
  const nginx = summaries.find((s) => s.target === NGINX_TARGET) ?? null;
  console.log(`\nThroughput, median of ${SETTINGS.rounds} round(s) (× = ratio to the nginx proxy; CPU per request = CPU time of the process tree / requests wrk completed):`);
  console.log(table(summaries.map((s) => [
    s.target,
    thousands(s.rps),
    ratio(s.rps, nginx?.rps ?? null),
    fixed(s.p50Ms, 2),
    ratio(s.p50Ms, nginx?.p50Ms ?? null),
    fixed(s.p99Ms, 2),
    ratio(s.p99Ms, nginx?.p99Ms ?? null),
    `${s.errors}/${thousands(s.requests)}`,
    fixed(s.proxyUs, 1),
    ratio(s.proxyUs, nginx?.proxyUs ?? null),
    fixed(s.backendUs, 1),
    fixed(s.wrkUs, 1),
    fixed(s.otherCores, 2),
  ]), ['target', 'req/s', '×', 'p50 ms', '×', 'p99 ms', '×', 'errors/requests', 'proxy µs/req', '×', 'backend µs/req', 'wrk µs/req', 'other load (cores)']));
}

// --- 2. Convergence ------------------------------------------------------------------------

/** Set once any connection of a wait fails: the others stop polling rather than run on into the next trial. */
interface Abandon { abandoned: boolean }

/**
 * GETs on one raw keep-alive connection: the request's bytes are prepared once and an answer is
 * read as a status line, a Content-Length and that many bytes. A poll costs the benchmark a few
 * microseconds instead of Node's HTTP client's fraction of a millisecond, so the convergence
 * figures say more about the router and less about the client measuring it.
 */
class RawKeepAliveClient {
  private socket: net.Socket | null = null;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (answer: Answer) => void; reject: (error: Error) => void; timer: NodeJS.Timeout } | null = null;
  private readonly request: Buffer;

  constructor(private readonly port: number, host: string) {
    this.request = Buffer.from(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`, 'latin1');
  }

  get(timeoutMs: number = DEADLINE.request): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      this.waiting = { resolve, reject, timer };
      this.connection().write(this.request);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private connection(): net.Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const socket = net.connect({ port: this.port, host: '127.0.0.1', noDelay: true });
    this.socket = socket;
    this.buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: Error) => this.fail(error));
    socket.on('close', () => {
      if (this.socket === socket) this.socket = null;
      this.fail(new Error('connection closed'));
    });
    return socket;
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const headEnd = this.buffered.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = this.buffered.toString('latin1', 0, headEnd);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (length === null) {
      this.fail(new Error(`answer without Content-Length: ${head.split('\r\n')[0] ?? ''}`));
      this.close();
      return;
    }
    const bodyEnd = headEnd + 4 + Number(length[1]);
    if (this.buffered.length < bodyEnd) return;
    const body = this.buffered.toString('utf8', headEnd + 4, bodyEnd);
    this.buffered = this.buffered.subarray(bodyEnd);
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) {
      clearTimeout(waiting.timer);
      waiting.resolve({ status, body, headers: {} });
    }
    if (/\r\nconnection:\s*close/i.test(head)) this.close();
  }

  private fail(error: Error): void {
    const waiting = this.waiting;
    this.waiting = null;
    if (!waiting) return;
    clearTimeout(waiting.timer);
    waiting.reject(error);
    this.close();
  }
}

/** Requests back to back on one keep-alive connection (as a busy client would) until one is accepted. */
class PollingConnection {
  private readonly client: RawKeepAliveClient;
  requests = 0;
  /** Time spent waiting for answers: with `requests`, the mean round trip, i.e. the resolution of a measurement. */
  busyMs = 0;

  constructor(port: number, host: string) {
    this.client = new RawKeepAliveClient(port, host);
  }

  /** Resolves with the time the first accepted answer arrived (NaN if the wait was abandoned). */
  async until(accept: (answer: Answer) => boolean, deadline: number, what: string, abandon: Abandon): Promise<number> {
    let last = 'no answer yet';
    while (!abandon.abandoned) {
      const sent = now();
      try {
        this.requests += 1;
        const answer = await this.client.get();
        this.busyMs += now() - sent;
        if (accept(answer)) return now();
        last = `HTTP ${answer.status} ${answer.body.slice(0, 60).trim()}`;
      } catch (error) {
        last = message(error);
      }
      if (now() > deadline) throw new Error(`${what}: not within ${DEADLINE.trial} ms (last answer: ${last})`);
    }
    return NaN;
  }

  close(): void {
    this.client.close();
  }
}

/** When the first and when the last of the connections saw an accepted answer. */
async function untilAll(connections: readonly PollingConnection[], accept: (answer: Answer) => boolean, deadline: number, what: string): Promise<{ first: number; last: number }> {
  const abandon: Abandon = { abandoned: false };
  const waits = connections.map((c) => c.until(accept, deadline, what, abandon).catch((error: unknown) => {
    abandon.abandoned = true;
    throw error;
  }));
  try {
    const times = await Promise.all(waits);
    return { first: Math.min(...times), last: Math.max(...times) };
  } catch (error) {
    // Wait for the others to notice, so that no request of this wait is still out afterwards.
    await Promise.allSettled(waits);
    throw error;
  }
}

interface Convergence {
  readonly router: string;
  readonly connections: number;
  /** ms from the put's acknowledgement to the first answer by the new backend (on any connection). */
  readonly addFromAck: number[];
  /** The same, from the moment the put was sent. */
  readonly addFromSend: number[];
  /** From the acknowledgement until the benchmark's own etcd watch heard of the put. */
  readonly watchFromAck: number[];
  /** From the acknowledgement until every connection (so every worker, in a cluster) got one. */
  readonly addAllFromAck: number[];
  /** From the delete's acknowledgement until every connection got the router's 503. */
  readonly removeAllFromAck: number[];
  readonly putMs: number[];
  readonly failures: string[];
  readonly requests: number;
  readonly meanRoundTripMs: number;
}

/** One trial: put a backend key, wait until it serves; delete it, wait until the router answers 503. */
async function convergenceTrial(routes: Routes, watch: PutWatch, connections: readonly PollingConnection[], backend: { name: string; port: number }, trial: number, result: Convergence): Promise<void> {
  const instanceId = `web-${trial}`;
  const watched = withDeadline(watch.next(instanceId), DEADLINE.trial, `trial ${trial}: the benchmark's etcd watch`);
  const sent = now();
  const deadline = sent + DEADLINE.trial;
  const [seen, ack, heard] = await Promise.all([
    untilAll(connections, (a) => a.status === 200 && a.body === `${backend.name}\n`, deadline, `trial ${trial}: the new backend answering`),
    routes.addBackend(APPS.convergence, instanceId, backend.port).then(now),
    watched,
  ]);
  result.putMs.push(ack - sent);
  result.watchFromAck.push(heard - ack);
  result.addFromAck.push(seen.first - ack);
  result.addFromSend.push(seen.first - sent);
  result.addAllFromAck.push(seen.last - ack);

  const [gone, deleted] = await Promise.all([
    untilAll(connections, (a) => a.status === 503, now() + DEADLINE.trial, `trial ${trial}: the router answering 503 after the delete`),
    routes.removeBackend(APPS.convergence, instanceId).then(now),
  ]);
  result.removeAllFromAck.push(gone.last - deleted);
}

async function convergence(router: Router, routes: Routes, backends: readonly { name: string; port: number }[]): Promise<Convergence> {
  // Several connections polling at once: the first answer by the new backend comes within a
  // fraction of a round trip of the change, not up to a whole one. In a cluster, two per worker
  // makes sure every worker is polled (the primary hands connections out in turn).
  const count = Math.max(POLLING_CONNECTIONS, router.workers * 2);
  const connections = Array.from({ length: count }, () => new PollingConnection(router.port, hostOf(APPS.convergence)));
  const result: Convergence = { router: router.label, connections: count, addFromAck: [], addFromSend: [], watchFromAck: [], addAllFromAck: [], removeAllFromAck: [], putMs: [], failures: [], requests: 0, meanRoundTripMs: 0 };
  const watch = await routes.watchBackends(APPS.convergence);
  try {
    // The app starts with no backend: the router answers 503 until the first trial's put.
    await untilAll(connections, (a) => a.status === 503, now() + DEADLINE.trial, 'the convergence app answering 503 before the first trial');
    for (let trial = 1; trial <= SETTINGS.trials; trial += 1) {
      // Two backends in turn, so that an answer from the previous trial's backend is never taken for the new one.
      const backend = backends[trial % backends.length]!;
      try {
        await convergenceTrial(routes, watch, connections, backend, trial, result);
      } catch (error) {
        result.failures.push(message(error));
        await recoverFromTrial(routes, connections, trial);
      }
    }
  } finally {
    for (const c of connections) c.close();
    await watch.stop();
  }
  const requests = connections.reduce((n, c) => n + c.requests, 0);
  return { ...result, requests, meanRoundTripMs: connections.reduce((n, c) => n + c.busyMs, 0) / Math.max(1, requests) };
}

/** After a failed trial: its key removed and the app back to 503, or the trials cannot go on. */
async function recoverFromTrial(routes: Routes, connections: readonly PollingConnection[], trial: number): Promise<void> {
  await routes.removeBackend(APPS.convergence, `web-${trial}`);
  await untilAll(connections, (a) => a.status === 503, now() + DEADLINE.trial, `trial ${trial}: recovering`);
}

function printConvergence(results: readonly Convergence[]): void {
  console.log('\nConvergence (ms; "ack" = the etcd put/delete answered to the benchmark, "sent" = the put was sent):');
  const rows: string[][] = [];
  const stats = (what: string, router: string, values: readonly number[]): void => {
    rows.push([router, what, fixed(percentile(values, 50), 2), fixed(percentile(values, 99), 2), fixed(Math.max(...values), 2), String(values.length)]);
  };
  for (const r of results) {
    const name = `${r.router} (${r.connections} conn.)`;
    stats('put → first answer by the new backend (from ack)', name, r.addFromAck);
    stats('put → first answer by the new backend (from sent)', name, r.addFromSend);
    stats('put → the benchmark\'s own etcd watch hears it (from ack)', name, r.watchFromAck);
    stats('put → every connection answered by it (from ack)', name, r.addAllFromAck);
    stats('delete → every connection answered 503 (from ack)', name, r.removeAllFromAck);
    stats('etcd put itself (sent → ack)', name, r.putMs);
  }
  console.log(table(rows, ['router', 'from → to', 'p50', 'p99', 'max', 'trials']));
  for (const r of results) {
    console.log(`  ${r.router}: ${r.requests} polling requests, mean round trip ${r.meanRoundTripMs.toFixed(2)} ms (a time above includes up to one), ${r.failures.length} trial(s) failed${r.failures.length > 0 ? `: ${r.failures.slice(0, 3).join('; ')}` : ''}`);
  }
}

// --- 3. Churn ------------------------------------------------------------------------------

/**
 * A Node client with keep-alive connections that checks every answer: 200 with a churn backend's
 * name, or a failure (status and router error code, or the connection error). wrk brings the load;
 * this says what exactly failed.
 */
class Checker {
  private running = true;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: CHURN.checkerConnections });
  private loops: Promise<void>[] = [];
  sent = 0;
  ok = 0;
  readonly failures = new Map<string, number>();

  constructor(private readonly startedAt: number, private readonly samples: string[]) {}

  start(port: number, host: string): void {
    this.loops = Array.from({ length: CHURN.checkerConnections }, async () => {
      while (this.running) await this.one(port, host);
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await withDeadline(Promise.all(this.loops), DEADLINE.request * 2, 'the checking client stopping');
    this.agent.destroy();
  }

  get failed(): number {
    let n = 0;
    for (const count of this.failures.values()) n += count;
    return n;
  }

  private async one(port: number, host: string): Promise<void> {
    this.sent += 1;
    try {
      const answer = await httpGet(port, host, this.agent, 10_000);
      if (answer.status === 200 && answer.body.startsWith('churn-')) this.ok += 1;
      else this.fail(`HTTP ${answer.status} ${String(answer.headers['x-slipway-error'] ?? answer.body.slice(0, 60).trim())}`);
    } catch (error) {
      this.fail(`error: ${(error as NodeJS.ErrnoException).code ?? message(error)}`);
    }
  }

  private fail(what: string): void {
    bump(this.failures, what);
    if (this.samples.length < 10) this.samples.push(`+${((now() - this.startedAt) / 1000).toFixed(3)} s  ${what}`);
  }
}

type ChurnVariant = 'kept running' | 'stopped 1 s after withdrawal';

interface Churn {
  readonly router: string;
  readonly variant: ChurnVariant;
  readonly wrk: WrkResult;
  readonly checker: { sent: number; ok: number; failed: number; failures: Map<string, number> };
  readonly samples: string[];
  readonly ticks: number;
  readonly intervalMeanMs: number;
  readonly intervalMaxMs: number;
  readonly added: number;
  readonly addedServed: number;
  /** Per withdrawn backend: ms from its delete's acknowledgement to the last request it received (if any came after). */
  readonly lateMs: number[];
  readonly withdrawn: number;
}

interface LiveBackend { readonly name: string; readonly instanceId: string }

/** The backends of one churn phase: started, published, withdrawn and stopped as the engine would. */
class ChurnPhase {
  private serial = 0;
  private readonly live: LiveBackend[] = [];
  private readonly stops: Promise<void>[] = [];
  private readonly stopped = new Set<string>();
  readonly withdrawnAt = new Map<string, number>();
  readonly names: string[] = [];

  constructor(
    private readonly routes: Routes,
    private readonly host: BackendHost,
    private readonly tag: string,
    private readonly variant: ChurnVariant,
  ) {}

  /** A new server, then its key: the engine publishes an instance once it runs. */
  async add(): Promise<void> {
    this.serial += 1;
    const name = `churn-${this.tag}-${this.serial}`;
    const port = await this.host.start(name);
    const instanceId = `web-${this.tag}-${this.serial}`;
    await this.routes.addBackend(APPS.churn, instanceId, port);
    this.live.push({ name, instanceId });
    this.names.push(name);
  }

  /** The oldest key deleted; its server stopped later or never, by variant. */
  async removeOldest(): Promise<void> {
    if (this.live.length <= 1) return; // always one left
    const oldest = this.live.shift()!;
    await this.routes.removeBackend(APPS.churn, oldest.instanceId);
    this.withdrawnAt.set(oldest.name, wallClockMs());
    if (this.variant === 'stopped 1 s after withdrawal') {
      this.stops.push(sleep(CHURN.stopAfterMs).then(async () => {
        await this.host.stop(oldest.name);
        this.stopped.add(oldest.name);
      }));
    }
  }

  /** Keys of the live ones deleted, every server of the phase stopped. */
  async finish(): Promise<void> {
    await Promise.all(this.stops);
    for (const backend of this.live.splice(0)) await this.routes.removeBackend(APPS.churn, backend.instanceId);
    for (const name of this.names) if (!this.stopped.has(name)) await this.host.stop(name);
  }
}

async function churnPhase(children: Children, wrkPath: string, router: Router, routes: Routes, host: BackendHost, variant: ChurnVariant, tag: string): Promise<Churn> {
  const phase = new ChurnPhase(routes, host, tag, variant);
  for (let i = 0; i < CHURN.liveBackends; i += 1) await phase.add();
  await untilAnswers(router.port, hostOf(APPS.churn), (a) => a.status === 200, `${router.label} serving the churn app`, () => !router.child.hasExited());

  const wrkSeconds = Math.ceil((CHURN.steadyMs * 2) / 1000 + SETTINGS.churnSeconds);
  const startedAt = now();
  const samples: string[] = [];
  const checker = new Checker(startedAt, samples);
  checker.start(router.port, hostOf(APPS.churn));
  let wrk: WrkResult;
  let ticks: number[];
  try {
    const load = runWrk(children, wrkPath, router.port, hostOf(APPS.churn), wrkSeconds);
    // If wrk fails early, the churn below must not leave its rejection unhandled.
    load.catch(() => undefined);
    await sleep(CHURN.steadyMs);
    ticks = await churnTicks(phase);
    wrk = await load;
  } finally {
    await checker.stop();
    await phase.finish();
  }
  const stats = new Map((await host.stats()).map((s) => [s.name, s]));
  const lateMs: number[] = [];
  for (const [name, at] of phase.withdrawnAt) {
    const last = stats.get(name)?.lastRequestAt ?? 0;
    if (last > at) lateMs.push(last - at);
  }
  const intervals = ticks.slice(1).map((t, i) => t - ticks[i]!);
  return {
    router: router.label,
    variant,
    wrk,
    checker: { sent: checker.sent, ok: checker.ok, failed: checker.failed, failures: checker.failures },
    samples,
    ticks: ticks.length,
    intervalMeanMs: intervals.reduce((a, b) => a + b, 0) / Math.max(1, intervals.length),
    intervalMaxMs: Math.max(0, ...intervals),
    added: phase.names.length,
    addedServed: phase.names.filter((n) => (stats.get(n)?.requests ?? 0) > 0).length,
    lateMs,
    withdrawn: phase.withdrawnAt.size,
  };
}

/** Every CHURN.intervalMs for the phase's length: one backend added, the oldest removed. Returns when each tick started. */
async function churnTicks(phase: ChurnPhase): Promise<number[]> {
  const starts: number[] = [];
  const begin = now();
  for (let tick = 0; tick * CHURN.intervalMs < SETTINGS.churnSeconds * 1000; tick += 1) {
    // The schedule is the experiment: a tick is due at a fixed time, whatever the last one took.
    const due = begin + tick * CHURN.intervalMs;
    if (due > now()) await sleep(due - now());
    starts.push(now());
    await phase.add();
    await phase.removeOldest();
  }
  return starts;
}

function printChurn(results: readonly Churn[]): void {
  console.log(`\nChurn: every ${CHURN.intervalMs} ms one backend added and the oldest removed (${CHURN.liveBackends} live), ${SETTINGS.churnSeconds} s, under wrk (-c${SETTINGS.connections}) and a checking Node client (${CHURN.checkerConnections} keep-alive connections):`);
  console.log(table(results.map((r) => [
    r.router,
    r.variant,
    `${r.ticks} (${r.intervalMeanMs.toFixed(0)}/${r.intervalMaxMs.toFixed(0)})`,
    `${r.addedServed}/${r.added}`,
    thousands(r.wrk.requests),
    String(r.wrk.errors),
    thousands(r.checker.sent),
    String(r.checker.failed),
    String(r.wrk.errors + r.checker.failed),
    r.lateMs.length === 0 ? `0/${r.withdrawn}` : `${r.lateMs.length}/${r.withdrawn}: p50 ${percentile(r.lateMs, 50).toFixed(1)}, max ${Math.max(...r.lateMs).toFixed(1)}`,
  ]), ['router', 'withdrawn backends', 'ticks (mean/max ms)', 'added that served', 'wrk requests', 'wrk errors', 'checker requests', 'checker failed', 'FAILED', 'withdrawn, then hit (ms after ack)']));
  for (const r of results) {
    const failed = r.wrk.errors + r.checker.failed;
    if (failed === 0) continue;
    const s = r.wrk.socketErrors;
    console.log(`  !!! ${r.router}, ${r.variant}: ${failed} failed — wrk: non-2xx ${r.wrk.non2xx}, connect ${s.connect}, read ${s.read}, write ${s.write}, timeout ${s.timeout}; checker: ${countsText(r.checker.failures)}`);
    for (const sample of r.samples) console.log(`        ${sample}`);
  }
}

// --- Main ----------------------------------------------------------------------------------

const NGINX_TARGET = 'nginx (1 worker)';

/** Something this machine lacks (a tool, etcd, the build): said plainly, without a stack trace. */
class CannotRun extends Error {}

interface Tools { nginx: string; wrk: string }

function requireTools(): Tools {
  const nginx = findExecutable('nginx');
  const wrk = findExecutable('wrk');
  const missing = [nginx ? null : 'nginx', wrk ? null : 'wrk'].filter(Boolean);
  if (missing.length > 0) {
    throw new CannotRun(`bench:router needs ${missing.join(' and ')} (Debian packages nginx-light and wrk; scripts/install installs them)`);
  }
  if (!fs.existsSync(ROUTER_MAIN)) throw new CannotRun(`${ROUTER_MAIN} is missing: run npm run build (npm run bench:router does)`);
  return { nginx: nginx!, wrk: wrk! };
}

function versionOf(command: string, args: string[]): string {
  // nginx -v writes to stderr; wrk -v exits 1 after printing its version: read both, ignore the code.
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 5000 });
  return `${result.stderr ?? ''}${result.stdout ?? ''}`.split('\n')[0]!.trim();
}

function printMachine(tools: Tools): void {
  const cpus = os.cpus();
  console.log(`Slipway router benchmark, ${new Date().toISOString()}`);
  console.log(`Machine: ${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${versionOf(tools.nginx, ['-v'])}, ${versionOf(tools.wrk, ['-v']).replace(/\s+Copyright.*/, '')}`);
  console.log(`Load average at the start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (1/5/15 min) on ${cpus.length} CPUs; everything below shares them.`);
}

interface Setup {
  children: Children;
  tools: Tools;
  dir: string;
  routes: Routes;
  backend: Nginx;
  proxy: Nginx;
  routers: Router[];
  /** Measured for throughput only, beside the others: the router on Node's sockets. */
  nodeSocketsRouter: Router;
  host: BackendHost;
}

async function setUp(cleanup: Cleanup, tools: Tools): Promise<Setup> {
  const children = new Children();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-router-'));
  cleanup.add('remove the temp dir', async () => {
    if (SETTINGS.keepTmp) console.log(`Kept ${dir} (configs and logs).`);
    else fs.rmSync(dir, { recursive: true, force: true });
  });

  const { etcdUrls } = loadConfig();
  const client = new Etcd3({ hosts: [...etcdUrls] });
  cleanup.add('close the etcd client', async () => client.close());
  try {
    await withDeadline(client.get('/slipway-bench-router-ping').string(), 5000, 'etcd');
  } catch (error) {
    throw new CannotRun(`etcd does not answer at ${etcdUrls.join(', ')} (${message(error)}): start it with bash scripts/start-services`);
  }
  const routes = new Routes(client, `/slipway-bench-router-${randomBytes(6).toString('hex')}`);
  cleanup.add(`delete the keys under ${routes.prefix}`, () => routes.removeAll());

  const [backendPort, proxyPort] = [await freePort(), await freePort()];
  const backend = await startNginx(children, tools.nginx, dir, 'backend', backendPort, backendHttp(backendPort), null);
  cleanup.add('stop the backend nginx', () => children.stop(backend.child));
  const accessLog = path.join(dir, 'proxy-access.log');
  const proxy = await startNginx(children, tools.nginx, dir, 'proxy', proxyPort, proxyHttp(proxyPort, backendPort, accessLog), accessLog);
  cleanup.add('stop the nginx proxy', () => children.stop(proxy.child));

  const host = BackendHost.start(children);
  cleanup.add('stop the backends process', () => children.stop(host.child));

  // The routes exist before the routers start, so their first snapshot holds them.
  for (const app of Object.values(APPS)) await routes.addDomain(app);
  await routes.addBackend(APPS.throughput, 'web-1', backendPort);

  const labels: [string, number][] = [['router (1 process)', 1]];
  if (SETTINGS.workers > 1) labels.push([`router (${SETTINGS.workers} processes)`, SETTINGS.workers]);
  const routers = await Promise.all(labels.map(([label, workers]) => startRouter(children, dir, etcdUrls, routes.prefix, label, workers)));
  const nodeSocketsRouter = await startRouter(children, dir, etcdUrls, routes.prefix, NODE_SOCKETS_TARGET, 1, 'node');
  for (const router of [...routers, nodeSocketsRouter]) cleanup.add(`stop ${router.label}`, () => children.stop(router.child));
  console.log(
    `Started: backend nginx on :${backendPort}, nginx proxy on :${proxyPort}, ${[...routers, nodeSocketsRouter].map((r) => `${r.label} on :${r.port}`).join(', ')}; etcd prefix ${routes.prefix}; logs in ${dir}`,
  );
  return { children, tools, dir, routes, backend, proxy, routers, nodeSocketsRouter, host };
}

async function runConvergence(setup: Setup): Promise<Convergence[]> {
  console.log(`\n=== 2. Convergence: ${SETTINGS.trials} trials per router ===`);
  const backends = await Promise.all(['convergence-a', 'convergence-b'].map(async (name) => ({ name, port: await setup.host.start(name) })));
  const results: Convergence[] = [];
  for (const router of setup.routers) {
    const result = await convergence(router, setup.routes, backends);
    console.log(`  ${router.label}: p50 ${fixed(percentile(result.addFromAck, 50), 2)} ms, p99 ${fixed(percentile(result.addFromAck, 99), 2)} ms from the put's ack to the new backend's first answer`);
    results.push(result);
  }
  return results;
}

async function runChurn(setup: Setup): Promise<Churn[]> {
  console.log(`\n=== 3. Churn: ${SETTINGS.churnSeconds} s per router and variant ===`);
  const results: Churn[] = [];
  const variants: ChurnVariant[] = ['kept running', 'stopped 1 s after withdrawal'];
  let phase = 0;
  for (const router of setup.routers) {
    for (const variant of variants) {
      phase += 1;
      const result = await churnPhase(setup.children, setup.tools.wrk, router, setup.routes, setup.host, variant, String(phase));
      console.log(`  ${router.label}, withdrawn backends ${variant}: ${result.ticks} changes, ${thousands(result.wrk.requests + result.checker.sent)} requests, failed ${result.wrk.errors + result.checker.failed}`);
      results.push(result);
    }
  }
  return results;
}

async function printLogs(setup: Setup): Promise<void> {
  console.log('\nLogs written during the run:');
  for (const router of setup.routers) {
    await setup.children.stop(router.child); // flushed and closed before it is read
    const { lines, bytes, problems } = await routerProblems(router.logFile);
    console.log(`  ${router.label}: ${thousands(lines)} JSON lines (${(bytes / 2 ** 20).toFixed(1)} MiB); warnings and errors: ${countsText(problems)}`);
  }
  const accessLog = setup.proxy.accessLog;
  if (accessLog && fs.existsSync(accessLog)) console.log(`  nginx proxy: access log ${(fs.statSync(accessLog).size / 2 ** 20).toFixed(1)} MiB ("combined" format)`);
}

function printTargets(summaries: readonly Summary[], conv: readonly Convergence[], churn: readonly Churn[]): void {
  const nginx = summaries.find((s) => s.target === NGINX_TARGET);
  const single = summaries.find((s) => s.target === 'router (1 process)');
  const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
  console.log('\n=== Targets (issue 4) ===');
  if (nginx?.proxyUs && single?.proxyUs) {
    const cpu = single.proxyUs / nginx.proxyUs;
    console.log(`router CPU per request ≤ 2× nginx's:       ${single.proxyUs.toFixed(1)} vs ${nginx.proxyUs.toFixed(1)} µs = ${cpu.toFixed(2)}×  ${verdict(cpu <= 2)}`);
  }
  if (nginx && single) {
    const rps = single.rps / nginx.rps;
    console.log(`router req/s ≥ 0.5× nginx's (1 process each): ${thousands(single.rps)} vs ${thousands(nginx.rps)} = ${rps.toFixed(2)}×  ${verdict(rps >= 0.5)}`);
  }
  for (const c of conv) {
    const p99 = percentile(c.addFromAck, 99);
    const ok = p99 <= CONVERGENCE_TARGET_MS && c.failures.length === 0;
    console.log(`convergence p99 ≤ ${CONVERGENCE_TARGET_MS} ms, ${c.router}: ${fixed(p99, 2)} ms${c.failures.length > 0 ? `, ${c.failures.length} trial(s) failed` : ''}  ${verdict(ok)}`);
  }
  const failed = churn.reduce((n, r) => n + r.wrk.errors + r.checker.failed, 0);
  const requests = churn.reduce((n, r) => n + r.wrk.requests + r.checker.sent, 0);
  console.log(`0 failed requests during churn: ${failed} failed of ${thousands(requests)}  ${verdict(failed === 0)}`);
  console.log(`Load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

async function main(cleanup: Cleanup): Promise<number> {
  try {
    await run(cleanup);
    return 0;
  } catch (error) {
    if (!(error instanceof CannotRun)) throw error;
    console.error(`Cannot run: ${error.message}`);
    return 1;
  }
}

async function run(cleanup: Cleanup): Promise<void> {
  const started = now();
  const tools = requireTools();
  printMachine(tools);
  const setup = await setUp(cleanup, tools);
  const targets: Target[] = [
    { name: 'direct (no proxy)', port: setup.backend.port, proxyPid: null },
    { name: NGINX_TARGET, port: setup.proxy.port, proxyPid: setup.proxy.child.pid },
    ...[...setup.routers, setup.nodeSocketsRouter].map((r) => ({ name: r.label, port: r.port, proxyPid: r.child.pid })),
  ];
  const runs = await throughput(setup.children, tools.wrk, targets, setup.backend.child.pid);
  const summaries = summarize(runs, targets);
  printThroughput(summaries);
  const conv = await runConvergence(setup);
  printConvergence(conv);
  const churn = await runChurn(setup);
  printChurn(churn);
  await printLogs(setup);
  printTargets(summaries, conv, churn);
  console.log(`The run took ${Math.round((now() - started) / 1000)} s.`);
}

runBenchmark(main, {
  deadlineMs: DEADLINE.whole,
  cleanupStepMs: DEADLINE.cleanupStep,
  cleanedUp: 'Cleaned up: every process started here stopped, the etcd keys deleted, the temp dir removed.',
});

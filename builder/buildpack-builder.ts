/**
 * Runs the Heroku buildpack API inside a slipway/stack-build container (never on the host), then
 * lays the compiled /app onto slipway/stack-run and commits that as the image.
 *
 * Isolation: the build container runs as the unprivileged app user (uid 1000) with no capabilities
 * and no-new-privileges, within CPU, memory and process limits; it sees no host path but the
 * buildpacks and the CA bundle (read-only) and the app's own cache volume, never the Docker socket.
 * It runs on the builds network (lib/team-network.ts BUILD_NETWORK): out to the internet, but not to
 * the host's services (scripts/firewall), other builds or any team's apps.
 * The app's source and ENV_DIR are copied in (owned by the app user), not mounted. The image runs
 * as that same user, with HOME=/app (slipway-launch).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { parse as parseYaml } from 'yaml';
import { SlipwayError } from '../lib/errors';
import type { BuildpackRef } from '../engine/buildpacks';
import { DockerNetworks } from '../engine/drivers/docker-networks';
import { processTypesFromRelease } from './procfile';
import { archive } from './git';
import { filesTar, firstFileOfTar, textSink } from './docker-streams';
import { BuildpackFetcher, type FetchedBuildpack } from './buildpack-fetch';
import { builtinBuildpacks, nothingDetectedMessage } from './builtin-buildpacks';
import type { BuildInput, BuildLimits, BuiltImage, ImageBuilder } from './image-builder';
import { parseSlugIgnore } from './slugignore';
import { relocateTar } from './tar-filter';

export interface BuildpackBuilderOptions {
  buildpacksDir: string;
  stackBuildImage: string;
  stackRunImage: string;
  /** Extra CA bundle for HTTPS from build containers (corporate proxies); null for none. */
  caBundle: string | null;
  npmRegistry: string | null;
  /** Where per-build downloads of external buildpacks go (removed after each build). */
  workRoot: string;
  limits: BuildLimits;
}

/** The unprivileged user builds and apps run as: uid/gid 1000, named `app`. */
export const APP_USER = Object.freeze({ name: 'app', uid: 1000, gid: 1000 });
export const APP_USER_SPEC = `${APP_USER.uid}:${APP_USER.gid}`;
/** HOME of the build user: not /app, so that what tools keep in ~ stays out of the slug. */
export const BUILD_HOME = '/home/app';
/** Label of a cache volume whose files belong to the app user (created so, or already converted). */
export const CACHE_OWNER_LABEL = 'slipway.cache-owner';

const CA_IN_CONTAINER = '/etc/ssl/certs/slipway-build-ca.crt';
const NOTHING_DETECTED = 100;
const LAUNCHER = '/usr/local/bin/slipway-launch';
const OUT = '/tmp/slipway';
/** Bumped when what a runtime layer holds besides the runtime changes (v2: the app user). */
const RUNTIME_LAYER_VERSION = 'v2-app-user';

/**
 * Containers of finished builds still being removed, per app. Removing a build container (its
 * writable layer holds the compiled slug and runtime, thousands of files) takes about a second,
 * so a successful build does not wait for it before the image is pushed. What needs the
 * containers gone (the cache volume they mount is removed or purged) waits here first.
 */
const removals = new Map<string, Set<Promise<void>>>();

function removeInBackground(app: string, container: Docker.Container): void {
  const pending = removals.get(app) ?? new Set<Promise<void>>();
  removals.set(app, pending);
  const removal: Promise<void> = container.remove({ force: true, v: false }).then(() => undefined, () => undefined).finally(() => {
    pending.delete(removal);
    if (pending.size === 0 && removals.get(app) === pending) removals.delete(app);
  });
  pending.add(removal);
}

/** Resolves once the containers of the app's finished builds are removed. */
export async function buildContainersRemoved(app: string): Promise<void> {
  await Promise.all([...(removals.get(app) ?? [])]);
}

export function cacheVolumeName(app: string): string {
  return `slipway-cache-${app}`;
}

/** Local images holding an app's runtime layer (part of its build cache). */
export function runtimeBaseRepository(app: string): string {
  return `slipway-runtime/${app}`;
}

/**
 * /etc/passwd and /etc/group with the app user added (unless uid 1000 is already there). Pure.
 * Tools that look the user up (ssh, Java's user.home, getpass) then find a name and a home.
 */
export function withAppUser(passwd: string, group: string, home: string): { passwd: string; group: string } {
  const hasUid = passwd.split('\n').some((line) => line.split(':')[2] === String(APP_USER.uid));
  const hasGid = group.split('\n').some((line) => line.split(':')[2] === String(APP_USER.gid));
  const end = (text: string): string => (text === '' || text.endsWith('\n') ? text : `${text}\n`);
  return {
    passwd: hasUid ? passwd : `${end(passwd)}${APP_USER.name}:x:${APP_USER.uid}:${APP_USER.gid}:Slipway app:${home}:/bin/bash\n`,
    group: hasGid ? group : `${end(group)}${APP_USER.name}:x:${APP_USER.gid}:\n`,
  };
}

async function addAppUser(container: Docker.Container, home: string): Promise<void> {
  const read = async (file: string): Promise<string> => {
    const stream = await container.getArchive({ path: file }).catch(() => null);
    return stream ? (await firstFileOfTar(stream)) ?? '' : '';
  };
  const files = withAppUser(await read('/etc/passwd'), await read('/etc/group'), home);
  const pack = tar.pack();
  pack.entry({ name: 'etc/passwd', mode: 0o644 }, files.passwd);
  pack.entry({ name: 'etc/group', mode: 0o644 }, files.group);
  if (home !== '/app') {
    pack.entry({ name: `${home.replace(/^\//, '')}/`, type: 'directory', mode: 0o755, uid: APP_USER.uid, gid: APP_USER.gid });
  }
  pack.finalize();
  await container.putArchive(pack as unknown as NodeJS.ReadableStream, { path: '/' });
}

export class BuildpackBuilder implements ImageBuilder {
  readonly name = 'buildpacks';
  private readonly fetcher: BuildpackFetcher;

  constructor(
    private readonly docker: Docker,
    private readonly options: BuildpackBuilderOptions,
    private readonly networks = new DockerNetworks(docker),
  ) {
    this.fetcher = new BuildpackFetcher({ buildpacksDir: options.buildpacksDir, workRoot: options.workRoot });
  }

  /** The built-ins, in detection order. */
  builtins(): string[] {
    return builtinBuildpacks(this.options.buildpacksDir);
  }

  async build(input: BuildInput): Promise<BuiltImage> {
    const explicit = input.buildpacks ?? null;
    const builtins = this.builtins();
    const refs: BuildpackRef[] = explicit
      ? explicit.refs
      : builtins.map((name) => ({ kind: 'builtin', name, raw: name }) as const);
    if (refs.length === 0) throw new SlipwayError('nothing_detected', nothingDetectedMessage(builtins));
    if (explicit) {
      const from = explicit.source === 'app' ? 'set on the app' : explicit.source === 'BUILDPACK_URL' ? 'from BUILDPACK_URL' : 'from .buildpacks';
      input.output(`-----> Using the buildpack${refs.length > 1 ? 's' : ''} ${from}: ${refs.map((r) => (r.kind === 'builtin' ? r.name : r.raw)).join(', ')}\n`);
    }

    const work = this.fetcher.workDir(input.buildId);
    let compile: Docker.Container | null = null;
    const kill = (): void => { void compile?.kill().catch(() => undefined); };
    input.signal.addEventListener('abort', kill);
    try {
      const fetched: FetchedBuildpack[] = [];
      for (const [index, ref] of refs.entries()) {
        fetched.push(await this.fetcher.fetch(ref, index, work.dir, input.signal, (line) => input.output(`${line}\n`)));
      }
      if (input.signal.aborted) throw input.signal.reason;
      await this.prepareCache(input.app);
      const network = await this.networks.ensureBuilds();

      compile = await this.docker.createContainer({
        Image: this.options.stackBuildImage,
        Cmd: ['/slipway/compile-slug', explicit ? 'explicit' : 'detect', ...fetched.map((f) => f.label)],
        WorkingDir: '/app',
        User: APP_USER_SPEC,
        Env: this.buildEnv(),
        Labels: { 'slipway.app': input.app, 'slipway.build': input.buildId },
        HostConfig: {
          Binds: this.binds(input.app, fetched),
          Memory: this.options.limits.memoryMb * 1024 * 1024,
          MemorySwap: this.options.limits.memoryMb * 1024 * 1024,
          NanoCpus: Math.round(this.options.limits.cpus * 1e9),
          PidsLimit: 4096,
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
          // Outbound access (package registries) but neither the host (scripts/firewall) nor other builds.
          NetworkMode: network,
        },
      });
      await addAppUser(compile, BUILD_HOME);
      const slugIgnore = parseSlugIgnore(input.slugIgnore ?? null);
      for (const warning of slugIgnore.warnings) input.output(`       ${warning}\n`);
      const source = archive(input.repoPath, input.commit, input.gitEnv);
      await compile.putArchive(relocateTar(source.stream, {
        prefix: 'app', uid: APP_USER.uid, gid: APP_USER.gid, drop: (name, isDir) => slugIgnore.ignores(name, isDir),
      }), { path: '/' });
      await source.done;
      await compile.putArchive(filesTar('env', input.config, { uid: APP_USER.uid, gid: APP_USER.gid }), { path: '/' });

      const attached = await compile.attach({ stream: true, stdout: true, stderr: true });
      const sink = textSink(input.output);
      compile.modem.demuxStream(attached, sink, sink);
      const ended = new Promise<void>((resolve) => attached.on('end', () => resolve()));
      if (input.signal.aborted) throw input.signal.reason;
      await compile.start();
      const { StatusCode: status } = (await compile.wait()) as { StatusCode: number };
      await ended;
      if (input.signal.aborted) throw input.signal.reason;
      if (status === NOTHING_DETECTED) throw new SlipwayError('nothing_detected', nothingDetectedMessage(builtins));
      if (status !== 0) throw await this.failure(compile, status);

      // Independent reads, each a round trip to dockerd: at once.
      const finished = compile;
      const [release, usedList, cacheSize, runtimeLayer] = await Promise.all(
        ['release.yml', 'buildpacks', 'cache-size', 'runtime-layer'].map((f) => this.readOut(finished, f)));
      let parsed: unknown = null;
      try {
        parsed = release ? parseYaml(release) : null;
      } catch (error) {
        throw new SlipwayError('build_failed', `bin/release printed YAML that does not parse: ${(error as Error).message}`);
      }
      const defaultProcessTypes = processTypesFromRelease(parsed);
      const used = usedList?.split('\n').filter(Boolean) ?? [];
      const cacheKb = Number(cacheSize?.trim());
      if (Number.isFinite(cacheKb) && cacheKb > 0) {
        input.output(`       Build cache: ${formatBytes(cacheKb * 1024)} (kept for the next build; slipway repo:purge-cache ${input.app} clears it)\n`);
      }
      input.output('-----> Compressing the slug onto the run image\n');
      await this.commitSlug(compile, input, defaultProcessTypes.web ?? 'bash', runtimeLayer?.trim() || null);
      // The image is committed: nothing reads the build container any more.
      removeInBackground(input.app, compile);
      compile = null;
      return { defaultProcessTypes, buildpacks: explicit ? fetched.map((f) => f.label) : used, baseImage: this.options.stackRunImage };
    } catch (error) {
      if (input.signal.aborted) throw input.signal.reason;
      throw error;
    } finally {
      input.signal.removeEventListener('abort', kill);
      await compile?.remove({ force: true, v: false }).catch(() => undefined);
      await work.remove().catch(() => undefined);
    }
  }

  private async readOut(container: Docker.Container, file: string): Promise<string | null> {
    const stream = await container.getArchive({ path: `${OUT}/${file}` }).catch(() => null);
    return stream ? firstFileOfTar(stream) : null;
  }

  private async failure(compile: Docker.Container, status: number): Promise<SlipwayError> {
    const state = (await compile.inspect().catch(() => null))?.State;
    if (state?.OOMKilled) {
      return new SlipwayError('build_failed',
        `The build ran out of memory (${this.options.limits.memoryMb} MB, SLIPWAY_BUILD_MEMORY) and was stopped.`);
    }
    const message = (await this.readOut(compile, 'failure'))?.trim();
    return new SlipwayError('build_failed', message || `The build failed (exit code ${status}): see its output above.`);
  }

  /**
   * The app's cache volume, its files owned by the app user. A new volume is made so once; one from
   * before builds ran unprivileged (no owner label) is handed over to the app user at each build,
   * in a root container that sees nothing but the volume and has no network.
   */
  private async prepareCache(app: string): Promise<void> {
    const name = cacheVolumeName(app);
    const info = await this.docker.getVolume(name).inspect().catch(() => null);
    if (info?.Labels?.[CACHE_OWNER_LABEL] === String(APP_USER.uid)) {
      return;
    }
    if (!info) {
      await this.docker.createVolume({ Name: name, Labels: { 'slipway.app': app, [CACHE_OWNER_LABEL]: String(APP_USER.uid) } });
    }
    const chown = await this.docker.createContainer({
      Image: this.options.stackBuildImage,
      Cmd: ['chown', '-R', APP_USER_SPEC, '/cache'],
      User: '0:0',
      Labels: { 'slipway.app': app },
      NetworkDisabled: true,
      HostConfig: { Binds: [`${name}:/cache`], NetworkMode: 'none', CapDrop: ['ALL'], CapAdd: ['CHOWN', 'DAC_READ_SEARCH', 'FOWNER'] },
    });
    try {
      await chown.start();
      const { StatusCode: status } = (await chown.wait()) as { StatusCode: number };
      if (status !== 0) throw new Error(`handing the build cache ${name} over to the app user failed (exit code ${status})`);
    } finally {
      await chown.remove({ force: true }).catch(() => undefined);
    }
  }

  /**
   * Lays the compiled /app onto the run image and commits it as the build's image. The runtime
   * under /app/.heroku goes into a base layer of its own, keyed by its content and the run image,
   * so a warm build commits and pushes only the app's own files (not ~100 MB of runtime again).
   * compile-slug has moved a keyed runtime out of /app (to OUT/runtime/.heroku), so archiving /app
   * does not stream it, and it is archived only for a new layer. `runtimeHash` is what
   * compile-slug wrote to OUT/runtime-layer (null: no runtime, or it could not be keyed).
   */
  private async commitSlug(compile: Docker.Container, input: BuildInput, webCommand: string, runtimeHash: string | null): Promise<void> {
    const cmd = [LAUNCHER, webCommand];
    if (!runtimeHash) {
      await this.commitLayer(this.options.stackRunImage, await compile.getArchive({ path: '/app' }), '/', input, input.tag, cmd);
      return;
    }
    const runImageId = (await this.docker.getImage(this.options.stackRunImage).inspect()).Id;
    const key = crypto.createHash('sha256').update(`${runtimeHash}\n${runImageId}\n${RUNTIME_LAYER_VERSION}`).digest('hex').slice(0, 24);
    const base = `${runtimeBaseRepository(input.app)}:${key}`;
    const exists = await this.docker.getImage(base).inspect().then(() => true, () => false);
    if (exists) {
      input.output('       Runtime layer unchanged, reusing it\n');
    } else {
      await this.commitLayer(this.options.stackRunImage, await compile.getArchive({ path: `${OUT}/runtime/.heroku` }), '/app', input, base, cmd);
    }
    await this.commitLayer(base, await compile.getArchive({ path: '/app' }), '/', input, input.tag, cmd);
  }

  /** Commits `content` unpacked at `at` on `from`; the image runs as the app user in /app. */
  private async commitLayer(from: string, content: NodeJS.ReadableStream, at: string, input: BuildInput, reference: string, cmd: string[]): Promise<void> {
    const container = await this.docker.createContainer({
      Image: from,
      Cmd: cmd,
      WorkingDir: '/app',
      User: APP_USER_SPEC,
      Labels: { 'slipway.app': input.app, 'slipway.build': input.buildId },
    });
    try {
      if (from === this.options.stackRunImage) {
        await addAppUser(container, '/app');
        if (at !== '/') await container.putArchive(appDirTar(), { path: '/' });
      }
      await container.putArchive(content, { path: at });
      const [repo, tag] = splitTag(reference);
      await container.commit({ repo, tag, comment: `Slipway build ${input.buildId}` });
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      throw error;
    }
    // Committed: removing the container (a second for a runtime layer) need not hold the build up.
    removeInBackground(input.app, container);
  }

  private buildEnv(): string[] {
    const env: Record<string, string> = { STACK: 'slipway-bookworm', HOME: BUILD_HOME, USER: APP_USER.name };
    if (this.options.npmRegistry) env.NPM_CONFIG_REGISTRY = this.options.npmRegistry;
    if (this.options.caBundle) {
      for (const name of ['SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS', 'npm_config_cafile', 'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO']) {
        env[name] = CA_IN_CONTAINER;
      }
    }
    return Object.entries(env).map(([k, v]) => `${k}=${v}`);
  }

  private binds(app: string, buildpacks: readonly FetchedBuildpack[]): string[] {
    const binds = [
      `${path.join(__dirname, '..', '..', 'builder', 'container', 'compile-slug')}:/slipway/compile-slug:ro`,
      ...buildpacks.map((b, i) => `${b.hostDir}:/slipway/buildpacks/${String(i + 1).padStart(2, '0')}:ro`),
      `${cacheVolumeName(app)}:/cache`,
    ];
    if (this.options.caBundle) binds.push(`${this.options.caBundle}:${CA_IN_CONTAINER}:ro`);
    return binds;
  }
}

/** `/app`, owned by the app user (the run image has it owned by root). */
function appDirTar(): NodeJS.ReadableStream {
  const pack = tar.pack();
  pack.entry({ name: 'app/', type: 'directory', mode: 0o755, uid: APP_USER.uid, gid: APP_USER.gid });
  pack.finalize();
  return pack as unknown as NodeJS.ReadableStream;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

function splitTag(reference: string): [string, string] {
  const colon = reference.lastIndexOf(':');
  const slash = reference.lastIndexOf('/');
  return colon > slash ? [reference.slice(0, colon), reference.slice(colon + 1)] : [reference, 'latest'];
}

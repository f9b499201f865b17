/**
 * The build pipeline: commit → detect → build an image (Dockerfile or buildpacks) → push to the
 * registry → a build record (image with digest, process types, commit, log). Contract with the
 * engine: docs/contracts/build-result.md.
 */
import crypto from 'node:crypto';
import type Docker from 'dockerode';
import { SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { explicitBuildpacks } from '../engine/buildpacks';
import type { App, Build, ProcessTypes, Actor } from '../engine/model';
import type { PhaseName, PhaseSink } from '../engine/deploy-timeline';
import type { BuildsRepo } from '../engine/store/builds-repo';
import { formatBytes } from './buildpack-builder';
import { readFileAt, rootEntries, type GitObjectEnv } from './git';
import type { ImageBuilder } from './image-builder';
import { parseProcfile } from './procfile';
import { pushImage } from './registry';

export interface PipelineInput {
  app: App;
  repoPath: string;
  commit: string;
  gitEnv: GitObjectEnv;
  output: (text: string) => void;
  /** app.json of the commit, as the deploy service read (and validated) it; kept on the build. */
  appJson: string | null;
  /** Cancels the build (apps:destroy). */
  signal?: AbortSignal;
  /** Who caused the build (the pushing user); null: the platform. */
  actor?: Actor;
  /** The deploy's timeline: the build and image push phases (engine/deploy-timeline.ts). */
  phases?: PhaseSink;
}

export interface PipelineOptions {
  /** host:port of the registry images are pushed to. */
  registry: string;
  /** How long a build may take (SLIPWAY_BUILD_TIMEOUT) before it is stopped. */
  timeoutMs: number;
}

/** The buildpacks stored on each app (`buildpacks:set`). */
export interface AppBuildpacks {
  list(appId: number): Promise<string[]>;
}

/** "15 minutes", "90 seconds". */
export function describeDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} minute${seconds === 60 ? '' : 's'}`;
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

export function timeoutMessage(timeoutMs: number): string {
  return `The build ran longer than ${describeDuration(timeoutMs)} and was stopped (the limit is SLIPWAY_BUILD_TIMEOUT=${Math.round(timeoutMs / 1000)} seconds).`;
}

export class BuildPipeline {
  constructor(
    private readonly docker: Docker,
    private readonly builds: BuildsRepo,
    private readonly dockerfile: ImageBuilder,
    private readonly buildpacks: ImageBuilder,
    private readonly appBuildpacks: AppBuildpacks,
    private readonly options: PipelineOptions,
    private readonly logger: Logger,
    /** Each build's output also goes to the app's log stream (engine/logs), when given. */
    private readonly buildOutput?: (app: string) => (text: string) => void,
  ) {}

  /**
   * Builds the commit; resolves with the succeeded build or throws build_failed / nothing_detected.
   * Buildpacks chosen explicitly (the app's, BUILDPACK_URL, .buildpacks) win over a root
   * Dockerfile; otherwise a root Dockerfile wins over detection. docs/buildpacks.md.
   */
  async run(input: PipelineInput): Promise<Build> {
    const started = Date.now();
    const buildId = `${started.toString(36)}-${crypto.randomBytes(3).toString('hex')}`;
    const tag = `${this.options.registry}/${input.app.name}:${buildId}`;
    let log = '';
    const toStream = this.buildOutput?.(input.app.name);
    const output = (text: string): void => {
      log += text;
      input.output(text);
      toStream?.(text);
    };
    await this.builds.start(buildId, input.app.id, input.commit, new Date(), input.actor ?? null);
    const phases = input.phases;
    phases?.attachBuild(buildId);
    phases?.start('build');
    let phase: PhaseName = 'build';
    this.logger.info({ app: input.app.name, build: buildId, commit: input.commit }, 'build started');
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new SlipwayError('build_failed', timeoutMessage(this.options.timeoutMs))), this.options.timeoutMs);
    const signal = input.signal ? AbortSignal.any([deadline.signal, input.signal]) : deadline.signal;
    try {
      const entries = await rootEntries(input.repoPath, input.commit, input.gitEnv);
      if (entries.length === 0) {
        throw new SlipwayError('nothing_detected', 'The pushed commit has no files. Add your app and push again.');
      }
      const file = (name: string): Promise<string | null> =>
        entries.includes(name) ? readFileAt(input.repoPath, input.commit, name, input.gitEnv) : Promise.resolve(null);
      const explicit = explicitBuildpacks(await this.appBuildpacks.list(input.app.id), input.app.config, await file('.buildpacks'));
      const builder = !explicit && entries.includes('Dockerfile') ? this.dockerfile : this.buildpacks;
      phases?.start('build', builder === this.dockerfile ? 'Dockerfile' : 'buildpacks');
      const built = await builder.build({
        app: input.app.name, buildId, repoPath: input.repoPath, commit: input.commit,
        gitEnv: input.gitEnv, config: input.app.config, tag, output,
        signal, buildpacks: explicit, slugIgnore: await file('.slugignore'),
      });
      clearTimeout(timer);
      const processTypes = await this.processTypes(input, built.defaultProcessTypes, output);
      const appJson = input.appJson;
      const imageSize = await this.reportSize(tag, built.baseImage ?? null, output);
      phases?.ok('build');
      phase = 'push';
      phases?.start('push', this.options.registry);
      output('-----> Pushing image to the registry\n');
      const digest = await pushImage(this.docker, tag);
      output(`       ${tag.slice(0, tag.lastIndexOf(':'))}@${digest}\n`);
      phases?.ok('push');
      const durationMs = Date.now() - started;
      await this.builds.finish(buildId, {
        status: 'succeeded', image: tag, digest, processTypes, log, durationMs, appJson, imageSize, buildpacks: built.buildpacks ?? [],
      });
      this.logger.info({ app: input.app.name, build: buildId, durationMs, imageSize }, 'build succeeded');
      const build = await this.builds.get(buildId);
      if (!build) throw new Error(`build ${buildId} vanished from the store`);
      return build;
    } catch (error) {
      const durationMs = Date.now() - started;
      await this.builds.finish(buildId, { status: 'failed', image: null, digest: null, processTypes: {}, log, durationMs });
      // The build's last lines explain its failure on the timeline (shown to those who may read logs).
      phases?.fail(phase, error instanceof Error ? error.message.split('\n')[0]! : String(error), log.split('\n'));
      this.logger.warn({ app: input.app.name, build: buildId, error: String(error) }, 'build failed');
      if (error instanceof SlipwayError) throw error;
      throw new SlipwayError('build_failed', error instanceof Error ? error.message : String(error), { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Prints the image's size (and its base's, when built on the run stack); answers it in bytes. */
  private async reportSize(tag: string, baseImage: string | null, output: (text: string) => void): Promise<number | null> {
    const size = await this.docker.getImage(tag).inspect().then((i) => i.Size, () => null);
    if (size === null) return null;
    const base = baseImage ? await this.docker.getImage(baseImage).inspect().then((i) => i.Size, () => null) : null;
    const of = base === null ? '' : ` (the run stack is ${formatBytes(base)} of it, the app ${formatBytes(Math.max(0, size - base))})`;
    output(`-----> Image size: ${formatBytes(size)}${of}\n`);
    return size;
  }

  /** A Procfile in the repository wins over the build's defaults, type by type. */
  private async processTypes(input: PipelineInput, defaults: ProcessTypes, output: (text: string) => void): Promise<ProcessTypes> {
    const procfile = await readFileAt(input.repoPath, input.commit, 'Procfile', input.gitEnv);
    const types = { ...defaults, ...(procfile === null ? {} : parseProcfile(procfile)) };
    const names = Object.keys(types);
    output('-----> Discovering process types\n');
    output(names.length > 0
      ? `       ${procfile === null ? 'Default types' : 'Procfile declares types'} -> ${names.join(', ')}\n`
      : '       Using the image\'s own command for web\n');
    return types;
  }
}

/**
 * The build pipeline: commit → detect → build an image (Dockerfile or buildpacks) → push to the
 * registry → a build record (image with digest, process types, commit, log). Contract with the
 * engine: docs/contracts/build-result.md.
 */
import crypto from 'node:crypto';
import type Docker from 'dockerode';
import { SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { parseAppJson } from '../engine/app-json';
import type { App, Build, ProcessTypes } from '../engine/model';
import type { BuildsRepo } from '../engine/store/builds-repo';
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
}


export class BuildPipeline {
  constructor(
    private readonly docker: Docker,
    private readonly builds: BuildsRepo,
    private readonly dockerfile: ImageBuilder,
    private readonly buildpacks: ImageBuilder,
    private readonly registry: string,
    private readonly logger: Logger,
  ) {}

  /** Builds the commit; resolves with the succeeded build or throws build_failed / nothing_detected. */
  async run(input: PipelineInput): Promise<Build> {
    const started = Date.now();
    const buildId = `${started.toString(36)}-${crypto.randomBytes(3).toString('hex')}`;
    const tag = `${this.registry}/${input.app.name}:${buildId}`;
    let log = '';
    const output = (text: string): void => {
      log += text;
      input.output(text);
    };
    await this.builds.start(buildId, input.app.id, input.commit);
    this.logger.info({ app: input.app.name, build: buildId, commit: input.commit }, 'build started');
    try {
      const entries = await rootEntries(input.repoPath, input.commit, input.gitEnv);
      if (entries.length === 0) {
        throw new SlipwayError('nothing_detected', 'The pushed commit has no files. Add your app and push again.');
      }
      const builder = entries.includes('Dockerfile') ? this.dockerfile : this.buildpacks;
      const built = await builder.build({
        app: input.app.name, buildId, repoPath: input.repoPath, commit: input.commit,
        gitEnv: input.gitEnv, config: input.app.config, tag, output,
      });
      const processTypes = await this.processTypes(input, built.defaultProcessTypes, output);
      const appJson = await readFileAt(input.repoPath, input.commit, 'app.json', input.gitEnv);
      parseAppJson(appJson); // an invalid app.json fails the build here, with its reason
      output('-----> Pushing image to the registry\n');
      const digest = await pushImage(this.docker, tag);
      output(`       ${tag.slice(0, tag.lastIndexOf(':'))}@${digest}\n`);
      const durationMs = Date.now() - started;
      await this.builds.finish(buildId, { status: 'succeeded', image: tag, digest, processTypes, log, durationMs, appJson });
      this.logger.info({ app: input.app.name, build: buildId, durationMs }, 'build succeeded');
      const build = await this.builds.get(buildId);
      if (!build) throw new Error(`build ${buildId} vanished from the store`);
      return build;
    } catch (error) {
      const durationMs = Date.now() - started;
      await this.builds.finish(buildId, { status: 'failed', image: null, digest: null, processTypes: {}, log, durationMs });
      this.logger.warn({ app: input.app.name, build: buildId, error: String(error) }, 'build failed');
      if (error instanceof SlipwayError) throw error;
      throw new SlipwayError('build_failed', error instanceof Error ? error.message : String(error), { cause: error });
    }
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

/**
 * `deploy APP --image REF`: deploys an existing image instead of building one. The image is used
 * from the Docker host if it is there, else pulled (from Slipway's registry or any registry the
 * host reaches); it is tagged `<registry>/<app>:<build-id>` and pushed to Slipway's registry, and
 * recorded as a build (image, digest, size, the reference it came from). The engine's deploy
 * service then releases it like a push (engine/deploy-service.ts). Its CMD runs as `web`, as for a
 * Dockerfile app.
 */
import crypto from 'node:crypto';
import type Docker from 'dockerode';
import { SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import type { Progress } from '../engine/deployer';
import type { ImageImporter } from '../engine/deploy-service';
import type { Build } from '../engine/model';
import type { AppsRepo } from '../engine/store/apps-repo';
import type { BuildsRepo } from '../engine/store/builds-repo';
import { formatBytes } from './buildpack-builder';
import { followProgress } from './docker-streams';
import { pushImage } from './registry';

/** [host[:port]/]name[:tag][@digest], as Docker takes it: a host has a dot or a port (or is localhost), path components are lowercase. */
const IMAGE_REFERENCE = /^(?:(?:(?:[a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+(?::\d+)?|[a-zA-Z0-9-]+:\d+|localhost)\/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export function parseImageReference(input: unknown): string {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new SlipwayError('invalid_request', 'Give the image to deploy: {"image": "127.0.0.1:5000/team/app:1.2"}.');
  }
  const ref = input.trim();
  if (ref.length > 500 || !IMAGE_REFERENCE.test(ref)) {
    throw new SlipwayError('invalid_request', `"${ref}" is not an image reference: use NAME[:TAG] or NAME@sha256:DIGEST, e.g. 127.0.0.1:5000/my-app:v1.`);
  }
  return ref;
}

export type { ImageDeployResult } from '../engine/deploy-service';

/** Description of the release an image deploy makes. */
export function imageDeployDescription(ref: string): string {
  return `Deploy image ${ref.length > 200 ? `${ref.slice(0, 197)}...` : ref}`;
}

export class ImageDeploys implements ImageImporter {
  constructor(
    private readonly docker: Docker,
    private readonly apps: AppsRepo,
    private readonly builds: BuildsRepo,
    private readonly registry: string,
    private readonly logger: Logger,
  ) {}

  /** The image, pushed to Slipway's registry and recorded as a succeeded build; throws build_failed. */
  async importImage(appName: string, image: unknown, progress?: Progress): Promise<{ build: Build; description: string }> {
    const ref = parseImageReference(image);
    const app = await this.apps.get(appName);
    const say = (line: string): void => progress?.(line);
    const started = Date.now();
    const buildId = `${started.toString(36)}-${crypto.randomBytes(3).toString('hex')}`;
    const repo = `${this.registry}/${app.name}`;
    const tag = `${repo}:${buildId}`;
    let log = '';
    const output = (line: string): void => {
      log += `${line}\n`;
      say(line);
    };
    await this.builds.start(buildId, app.id, '');
    let build: Build;
    try {
      let inspect = await this.docker.getImage(ref).inspect().catch(() => null);
      if (inspect) {
        output(`Using ${ref} from the Docker host`);
      } else {
        output(`Pulling ${ref}`);
        await this.pull(ref);
        inspect = await this.docker.getImage(ref).inspect();
      }
      await this.docker.getImage(inspect.Id).tag({ repo, tag: buildId });
      output(`Pushing it to the registry as ${tag}`);
      const digest = await pushImage(this.docker, tag);
      output(`${repo}@${digest} (${formatBytes(inspect.Size)})`);
      await this.builds.finish(buildId, {
        status: 'succeeded', image: tag, digest, processTypes: {}, log, durationMs: Date.now() - started,
        appJson: null, imageSize: inspect.Size, sourceImage: ref,
      });
      build = (await this.builds.get(buildId))!;
    } catch (error) {
      await this.builds.finish(buildId, {
        status: 'failed', image: null, digest: null, processTypes: {}, log, durationMs: Date.now() - started, sourceImage: ref,
      });
      this.logger.warn({ app: app.name, build: buildId, image: ref, error: String(error) }, 'image deploy failed');
      if (error instanceof SlipwayError) throw error;
      throw new SlipwayError('build_failed', `Could not deploy the image ${ref}: ${(error as Error).message}`, { cause: error });
    }
    this.logger.info({ app: app.name, build: buildId, image: ref }, 'image imported');
    return { build, description: imageDeployDescription(ref) };
  }

  private async pull(ref: string): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await this.docker.pull(ref)) as NodeJS.ReadableStream;
    } catch (error) {
      throw new SlipwayError('build_failed', `Could not pull the image ${ref}: ${pullProblem(error)}`);
    }
    let failure: string | null = null;
    await followProgress(this.docker, stream, (event) => {
      if (typeof event.error === 'string') failure = event.error;
    }).catch((error: Error) => { failure = failure ?? error.message; });
    if (failure) throw new SlipwayError('build_failed', `Could not pull the image ${ref}: ${failure}`);
  }
}

function pullProblem(error: unknown): string {
  const json = (error as { json?: { message?: string } }).json;
  return json?.message ?? (error as Error).message ?? String(error);
}

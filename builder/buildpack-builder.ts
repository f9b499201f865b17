/**
 * Runs the Heroku buildpack API inside a slipway/stack-build container (never on the host), with the
 * app's cache volume, then lays the compiled /app onto slipway/stack-run and commits that as the image.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import type Docker from 'dockerode';
import { parse as parseYaml } from 'yaml';
import { SlipwayError } from '../lib/errors';
import { processTypesFromRelease } from './procfile';
import { archive } from './git';
import { filesTar, firstFileOfTar, textSink } from './docker-streams';
import type { BuildInput, BuiltImage, ImageBuilder } from './image-builder';
import { filterTar, isUnder } from './tar-filter';

export interface BuildpackBuilderOptions {
  buildpacksDir: string;
  stackBuildImage: string;
  stackRunImage: string;
  /** Extra CA bundle for HTTPS from build containers (corporate proxies); null for none. */
  caBundle: string | null;
  npmRegistry: string | null;
  /** What the error for an undetectable app lists as supported. */
  supported: readonly string[];
}

const CA_IN_CONTAINER = '/etc/ssl/certs/slipway-build-ca.crt';
const NOTHING_DETECTED = 100;
const LAUNCHER = '/usr/local/bin/slipway-launch';

export function cacheVolumeName(app: string): string {
  return `slipway-cache-${app}`;
}

/** Local images holding an app's runtime layer (part of its build cache). */
export function runtimeBaseRepository(app: string): string {
  return `slipway-runtime/${app}`;
}

export class BuildpackBuilder implements ImageBuilder {
  readonly name = 'buildpacks';
  constructor(private readonly docker: Docker, private readonly options: BuildpackBuilderOptions) {}

  async build(input: BuildInput): Promise<BuiltImage> {
    const compile = await this.docker.createContainer({
      Image: this.options.stackBuildImage,
      Cmd: ['/slipway/compile-slug'],
      WorkingDir: '/app',
      Env: this.buildEnv(),
      Labels: { 'slipway.app': input.app, 'slipway.build': input.buildId },
      HostConfig: { Binds: this.binds(input.app) },
    });
    try {
      const source = archive(input.repoPath, input.commit, input.gitEnv);
      await compile.putArchive(source.stream, { path: '/app' });
      await source.done;
      await compile.putArchive(filesTar('env', input.config), { path: '/' });

      const attached = await compile.attach({ stream: true, stdout: true, stderr: true });
      const sink = textSink(input.output);
      compile.modem.demuxStream(attached, sink, sink);
      const ended = new Promise<void>((resolve) => attached.on('end', () => resolve()));
      await compile.start();
      const { StatusCode: status } = (await compile.wait()) as { StatusCode: number };
      await ended;
      if (status === NOTHING_DETECTED) {
        throw new SlipwayError('nothing_detected',
          `No buildpack detected this app. Supported: ${this.options.supported.join('; ')}.`);
      }
      if (status !== 0) throw new SlipwayError('build_failed', `the buildpack's compile step failed (exit code ${status})`);

      const release = await firstFileOfTar(await compile.getArchive({ path: '/tmp/release.yml' }));
      const defaultProcessTypes = processTypesFromRelease(release ? parseYaml(release) : null);
      input.output('-----> Compressing the slug onto the run image\n');
      await this.commitSlug(compile, input, defaultProcessTypes.web ?? 'bash');
      return { defaultProcessTypes };
    } finally {
      await compile.remove({ force: true, v: false }).catch(() => undefined);
    }
  }

  /**
   * Lays the compiled /app onto the run image and commits it as the build's image. The runtime
   * under /app/.heroku goes into a base layer of its own, keyed by its content and the run image,
   * so a warm build commits and pushes only the app's own files (not ~100 MB of runtime again).
   */
  private async commitSlug(compile: Docker.Container, input: BuildInput, webCommand: string): Promise<void> {
    const cmd = [LAUNCHER, webCommand];
    const hashFile = await compile.getArchive({ path: '/tmp/runtime-layer' }).catch(() => null);
    const runtimeHash = hashFile ? (await firstFileOfTar(hashFile))?.trim() : undefined;
    if (!runtimeHash) {
      await this.commitLayer(this.options.stackRunImage, await compile.getArchive({ path: '/app' }), '/', input, input.tag, cmd);
      return;
    }
    const runImageId = (await this.docker.getImage(this.options.stackRunImage).inspect()).Id;
    const key = crypto.createHash('sha256').update(`${runtimeHash}\n${runImageId}`).digest('hex').slice(0, 24);
    const base = `${runtimeBaseRepository(input.app)}:${key}`;
    const exists = await this.docker.getImage(base).inspect().then(() => true, () => false);
    if (exists) {
      input.output('       Runtime layer unchanged, reusing it\n');
    } else {
      await this.commitLayer(this.options.stackRunImage, await compile.getArchive({ path: '/app/.heroku' }), '/app', input, base, cmd);
    }
    const appFiles = filterTar(await compile.getArchive({ path: '/app' }), (name) => !isUnder(name, 'app/.heroku'));
    await this.commitLayer(base, appFiles, '/', input, input.tag, cmd);
  }

  private async commitLayer(from: string, content: NodeJS.ReadableStream, at: string, input: BuildInput, reference: string, cmd: string[]): Promise<void> {
    const container = await this.docker.createContainer({
      Image: from,
      Cmd: cmd,
      WorkingDir: '/app',
      Labels: { 'slipway.app': input.app, 'slipway.build': input.buildId },
    });
    try {
      await container.putArchive(content, { path: at });
      const [repo, tag] = splitTag(reference);
      await container.commit({ repo, tag, comment: `Slipway build ${input.buildId}` });
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }

  private buildEnv(): string[] {
    const env: Record<string, string> = { STACK: 'slipway-bookworm' };
    if (this.options.npmRegistry) env.NPM_CONFIG_REGISTRY = this.options.npmRegistry;
    if (this.options.caBundle) {
      for (const name of ['SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS', 'npm_config_cafile', 'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO']) {
        env[name] = CA_IN_CONTAINER;
      }
    }
    return Object.entries(env).map(([k, v]) => `${k}=${v}`);
  }

  private binds(app: string): string[] {
    const binds = [
      `${this.options.buildpacksDir}:/buildpacks:ro`,
      `${path.join(__dirname, '..', '..', 'builder', 'container', 'compile-slug')}:/slipway/compile-slug:ro`,
      `${cacheVolumeName(app)}:/cache`,
    ];
    if (this.options.caBundle) binds.push(`${this.options.caBundle}:${CA_IN_CONTAINER}:ro`);
    return binds;
  }
}

function splitTag(reference: string): [string, string] {
  const colon = reference.lastIndexOf(':');
  const slash = reference.lastIndexOf('/');
  return colon > slash ? [reference.slice(0, colon), reference.slice(colon + 1)] : [reference, 'latest'];
}

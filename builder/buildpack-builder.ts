/**
 * Runs the Heroku buildpack API inside a slipway/stack-build container (never on the host), with the
 * app's cache volume, then lays the compiled /app onto slipway/stack-run and commits that as the image.
 */
import path from 'node:path';
import type Docker from 'dockerode';
import { parse as parseYaml } from 'yaml';
import { SlipwayError } from '../lib/errors';
import { processTypesFromRelease } from './procfile';
import { archive } from './git';
import { filesTar, firstFileOfTar, textSink } from './docker-streams';
import type { BuildInput, BuiltImage, ImageBuilder } from './image-builder';

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

  /** Copies /app from the build container onto the run image and commits it as the build's image. */
  private async commitSlug(compile: Docker.Container, input: BuildInput, webCommand: string): Promise<void> {
    const run = await this.docker.createContainer({
      Image: this.options.stackRunImage,
      Cmd: [LAUNCHER, webCommand],
      WorkingDir: '/app',
      Labels: { 'slipway.app': input.app, 'slipway.build': input.buildId },
    });
    try {
      await run.putArchive(await compile.getArchive({ path: '/app' }), { path: '/' });
      const [repo, tag] = splitTag(input.tag);
      await run.commit({ repo, tag, comment: `Slipway build ${input.buildId}` });
    } finally {
      await run.remove({ force: true }).catch(() => undefined);
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

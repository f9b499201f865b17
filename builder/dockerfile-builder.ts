/**
 * A root Dockerfile wins over buildpacks (unless they are set explicitly): `docker build` of the commit's tree through dockerode.
 * The push output says which rule chose it and how to choose buildpacks, and a base image that cannot be
 * pulled is explained (builder/dockerfile-messages.ts).
 */
import type Docker from 'dockerode';
import { DockerNetworks } from '../engine/drivers/docker-networks';
import { archive } from './git';
import { followProgress } from './docker-streams';
import { builderRuleLines, explainDockerfileFailure, parseStep } from './dockerfile-messages';
import type { BuildInput, BuildLimits, BuiltImage, ImageBuilder } from './image-builder';

export class DockerfileBuilder implements ImageBuilder {
  readonly name = 'Dockerfile';
  constructor(
    private readonly docker: Docker,
    private readonly limits: BuildLimits | null = null,
    private readonly networks = new DockerNetworks(docker),
  ) {}

  async build(input: BuildInput): Promise<BuiltImage> {
    input.output('-----> Building with the Dockerfile\n');
    input.output(indent(`${builderRuleLines(input.app).join('\n')}\n`));
    // RUN steps go out to the internet from the builds network, never the default bridge: from there
    // they would reach the host's services (docs/security.md, "Threat model").
    const network = await this.networks.ensureBuilds();
    const source = archive(input.repoPath, input.commit, input.gitEnv);
    const memory = this.limits ? this.limits.memoryMb * 1024 * 1024 : undefined;
    const stream = await this.docker.buildImage(source.stream, {
      t: input.tag,
      rm: true,
      forcerm: true,
      labels: { 'slipway.app': input.app, 'slipway.build': input.buildId },
      networkmode: network,
      ...(this.limits ? { memory, memswap: memory, cpuperiod: 100_000, cpuquota: Math.round(this.limits.cpus * 100_000) } : {}),
    });
    // Closing the connection makes dockerd cancel the build (and its RUN containers).
    const stop = (): void => { (stream as unknown as { destroy?: () => void }).destroy?.(); };
    input.signal.addEventListener('abort', stop);
    let failure: string | null = null;
    // The instruction running when an error came: a FROM step failing is a base image to load.
    let step: string | null = null;
    let failedStep: string | null = null;
    try {
      await followProgress(this.docker, stream, (event) => {
        if (typeof event.stream === 'string') {
          for (const line of event.stream.split('\n')) step = parseStep(line) ?? step;
          input.output(indent(event.stream));
        }
        if (typeof event.error === 'string') {
          failure = event.error;
          failedStep = step;
        }
      }).catch((error: Error) => { failure = failure ?? error.message; });
      await source.done.catch((error: Error) => { failure = failure ?? error.message; });
    } finally {
      input.signal.removeEventListener('abort', stop);
    }
    if (input.signal.aborted) throw input.signal.reason;
    if (failure) throw new Error(explainDockerfileFailure(failure, failedStep, registryOf(input.tag)));
    return { defaultProcessTypes: {} };
  }
}

/** The registry part of a tag such as 127.0.0.1:5000/app:build. */
function registryOf(tag: string): string {
  const slash = tag.indexOf('/');
  return slash > 0 ? tag.slice(0, slash) : tag;
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '       ');
}

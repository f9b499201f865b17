/** A root Dockerfile wins over buildpacks (unless they are set explicitly): `docker build` of the commit's tree through dockerode. */
import type Docker from 'dockerode';
import { archive } from './git';
import { followProgress } from './docker-streams';
import type { BuildInput, BuildLimits, BuiltImage, ImageBuilder } from './image-builder';

export class DockerfileBuilder implements ImageBuilder {
  readonly name = 'Dockerfile';
  constructor(private readonly docker: Docker, private readonly limits: BuildLimits | null = null) {}

  async build(input: BuildInput): Promise<BuiltImage> {
    input.output('-----> Building with the Dockerfile\n');
    const source = archive(input.repoPath, input.commit, input.gitEnv);
    const memory = this.limits ? this.limits.memoryMb * 1024 * 1024 : undefined;
    const stream = await this.docker.buildImage(source.stream, {
      t: input.tag,
      rm: true,
      forcerm: true,
      labels: { 'slipway.app': input.app, 'slipway.build': input.buildId },
      ...(this.limits ? { memory, memswap: memory, cpuperiod: 100_000, cpuquota: Math.round(this.limits.cpus * 100_000) } : {}),
    });
    // Closing the connection makes dockerd cancel the build (and its RUN containers).
    const stop = (): void => { (stream as unknown as { destroy?: () => void }).destroy?.(); };
    input.signal.addEventListener('abort', stop);
    let failure: string | null = null;
    try {
      await followProgress(this.docker, stream, (event) => {
        if (typeof event.stream === 'string') input.output(indent(event.stream));
        if (typeof event.error === 'string') failure = event.error;
      }).catch((error: Error) => { failure = failure ?? error.message; });
      await source.done.catch((error: Error) => { failure = failure ?? error.message; });
    } finally {
      input.signal.removeEventListener('abort', stop);
    }
    if (input.signal.aborted) throw input.signal.reason;
    if (failure) throw new Error(`docker build failed: ${failure}`);
    return { defaultProcessTypes: {} };
  }
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '       ');
}

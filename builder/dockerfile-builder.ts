/** A root Dockerfile wins over buildpacks: `docker build` of the commit's tree through dockerode. */
import type Docker from 'dockerode';
import { archive } from './git';
import { followProgress } from './docker-streams';
import type { BuildInput, BuiltImage, ImageBuilder } from './image-builder';

export class DockerfileBuilder implements ImageBuilder {
  readonly name = 'Dockerfile';
  constructor(private readonly docker: Docker) {}

  async build(input: BuildInput): Promise<BuiltImage> {
    input.output('-----> Building with the Dockerfile\n');
    const source = archive(input.repoPath, input.commit, input.gitEnv);
    const stream = await this.docker.buildImage(source.stream, {
      t: input.tag,
      rm: true,
      forcerm: true,
      labels: { 'slipway.app': input.app, 'slipway.build': input.buildId },
    });
    let failure: string | null = null;
    await followProgress(this.docker, stream, (event) => {
      if (typeof event.stream === 'string') input.output(indent(event.stream));
      if (typeof event.error === 'string') failure = event.error;
    }).catch((error: Error) => { failure = failure ?? error.message; });
    await source.done;
    if (failure) throw new Error(`docker build failed: ${failure}`);
    return { defaultProcessTypes: {} };
  }
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '       ');
}

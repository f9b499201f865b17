/** An app's build cache: its cache volume and its runtime layer images. Never shared across apps. */
import type Docker from 'dockerode';
import type { BuildCaches } from '../engine/apps-service';
import { cacheVolumeName, runtimeBaseRepository } from './buildpack-builder';

export class DockerBuildCaches implements BuildCaches {
  constructor(private readonly docker: Docker) {}

  async remove(app: string): Promise<void> {
    await this.docker.getVolume(cacheVolumeName(app)).remove().catch(() => undefined);
    const images = await this.docker.listImages({ filters: { reference: [runtimeBaseRepository(app)] } });
    for (const image of images) {
      for (const tag of image.RepoTags ?? []) await this.docker.getImage(tag).remove().catch(() => undefined);
    }
  }
}

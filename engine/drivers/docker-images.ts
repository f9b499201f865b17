/** HostImages on one Docker host, through dockerode (engine/image-janitor.ts). */
import type Docker from 'dockerode';
import { ImageJanitor, type HostImages } from '../image-janitor';
import { HttpRegistry } from './registry-http';

export class DockerHostImages implements HostImages {
  constructor(private readonly docker: Docker) {}

  async list(repository: string): Promise<string[]> {
    const images = await this.docker.listImages({ filters: { reference: [repository] } });
    return images.map((image) => image.Id);
  }

  async remove(id: string): Promise<boolean> {
    try {
      // force: the image is tagged once per build and maybe once more by an image deploy; the
      // app's containers are gone by now (destroy tears them down first).
      await this.docker.getImage(id).remove({ force: true });
      return true;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return false;
      throw error;
    }
  }
}

/** The janitor of one Docker host and its registry (platform/platform.ts). */
export function createImageJanitor(docker: Docker, registry: string, logger: ConstructorParameters<typeof ImageJanitor>[3]): ImageJanitor {
  return new ImageJanitor(new HttpRegistry(registry), new DockerHostImages(docker), registry, logger);
}

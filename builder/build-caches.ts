/**
 * An app's build cache: its cache volume and its runtime layer images. Never shared across apps
 * (both are named after the app). `repo:purge-cache` empties it; `repo:cache` tells its size.
 */
import type Docker from 'dockerode';
import { SlipwayError } from '../lib/errors';
import type { BuildCaches } from '../engine/apps-service';
import { buildContainersRemoved, cacheVolumeName, runtimeBaseRepository } from './buildpack-builder';
import { textSink } from './docker-streams';

export interface BuildCacheInfo {
  volume: string;
  /** Whether the app has a cache at all (no build yet, or just purged: false). */
  exists: boolean;
  /** Bytes in the cache volume (what buildpacks keep in CACHE_DIR). */
  volumeBytes: number;
  /** Bytes of the runtime layers kept to be reused (their own layers, not the run stack's). */
  runtimeLayerBytes: number;
  sizeBytes: number;
}

export class DockerBuildCaches implements BuildCaches {
  constructor(private readonly docker: Docker, private readonly stackBuildImage = 'slipway/stack-build:latest', private readonly stackRunImage = 'slipway/stack-run:latest') {}

  async remove(app: string): Promise<void> {
    await buildContainersRemoved(app); // they mount the volume
    await this.docker.getVolume(cacheVolumeName(app)).remove().catch(() => undefined);
    await this.removeRuntimeLayers(app);
  }

  /** Empties the cache; refused while a build of the app uses it. The next build starts cold. */
  async purge(app: string): Promise<void> {
    await buildContainersRemoved(app); // a finished build's container still mounts the volume
    try {
      await this.docker.getVolume(cacheVolumeName(app)).remove();
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 409) {
        throw new SlipwayError('invalid_request', `A build of ${app} is using its cache right now: purge it once the build has finished.`);
      }
      if (status !== 404) throw error;
    }
    await this.removeRuntimeLayers(app);
  }

  async info(app: string): Promise<BuildCacheInfo> {
    const volume = cacheVolumeName(app);
    const exists = await this.docker.getVolume(volume).inspect().then(() => true, () => false);
    const volumeBytes = exists ? await this.volumeBytes(app, volume) : 0;
    const runtimeLayerBytes = await this.runtimeLayerBytes(app);
    return { volume, exists: exists || runtimeLayerBytes > 0, volumeBytes, runtimeLayerBytes, sizeBytes: volumeBytes + runtimeLayerBytes };
  }

  /** `du` in a container that sees only the volume, read-only, without network. */
  private async volumeBytes(app: string, volume: string): Promise<number> {
    const container = await this.docker.createContainer({
      Image: this.stackBuildImage,
      Cmd: ['du', '-sk', '/cache'],
      User: '0:0',
      Labels: { 'slipway.app': app },
      NetworkDisabled: true,
      HostConfig: { Binds: [`${volume}:/cache:ro`], NetworkMode: 'none', CapDrop: ['ALL'], CapAdd: ['DAC_READ_SEARCH'] },
    });
    try {
      const attached = await container.attach({ stream: true, stdout: true, stderr: true });
      let out = '';
      container.modem.demuxStream(attached, textSink((text) => { out += text; }), textSink(() => undefined));
      const ended = new Promise<void>((resolve) => attached.on('end', () => resolve()));
      await container.start();
      await container.wait();
      await ended;
      const match = /(\d+)\s+\/cache/.exec(out);
      return match ? Number(match[1]) * 1024 : 0;
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }

  private async runtimeImages(app: string): Promise<Docker.ImageInfo[]> {
    return this.docker.listImages({ filters: { reference: [runtimeBaseRepository(app)] } });
  }

  private async runtimeLayerBytes(app: string): Promise<number> {
    const images = await this.runtimeImages(app);
    if (images.length === 0) return 0;
    const stack = await this.docker.getImage(this.stackRunImage).inspect().then((i) => i.Size, () => 0);
    return images.reduce((sum, image) => sum + Math.max(0, image.Size - stack), 0);
  }

  private async removeRuntimeLayers(app: string): Promise<void> {
    for (const image of await this.runtimeImages(app)) {
      for (const tag of image.RepoTags ?? []) await this.docker.getImage(tag).remove().catch(() => undefined);
    }
  }
}

/**
 * Removes an app's images when the app is destroyed, from the registry (its manifests, deleted by
 * digest through the registry API; the blobs go at the next garbage collection, scripts/gc) and
 * from the Docker host (every image of the app's repository), and measures the registry for the
 * admin (`slipway registry:info`). docs/buildpacks.md "Images and the registry".
 */

/** The registry API the janitor needs (builder/registry-client.ts HttpRegistry; a fake in unit tests). */
export interface RegistryApi {
  repositories(): Promise<string[]>;
  /** Tags of one repository; [] when the repository does not exist. */
  tags(repository: string): Promise<string[]>;
  /** The digest of the manifest a tag names, or null when the tag is gone. */
  digest(repository: string, tag: string): Promise<string | null>;
  /** What a manifest references (config and layers, and for an index its manifests), by digest. */
  blobs(repository: string, reference: string): Promise<Array<{ digest: string; size: number }>>;
  /** Deletes a manifest (and so every tag naming it); false when it was already gone. */
  deleteManifest(repository: string, digest: string): Promise<boolean>;
}

/** The images of the Docker host (engine/drivers/docker-images.ts; a fake in unit tests). */
export interface HostImages {
  /** Ids of the host's images in a repository (e.g. 127.0.0.1:5000/shop), whatever their tag. */
  list(repository: string): Promise<string[]>;
  /** Removes one image with its tags; false when it was already gone. */
  remove(id: string): Promise<boolean>;
}

/** What destroying an app calls (engine/apps-service.ts). */
export interface AppImages {
  deleteAppImages(app: string): Promise<ImageCleanup>;
}

export interface ImageCleanup {
  /** Manifests deleted from the registry. */
  manifests: number;
  /** Images removed from the Docker host. */
  hostImages: number;
  /** What could not be removed, in words (the rest went on regardless); scripts/gc retries nothing of it. */
  problems: string[];
}

export interface RegistryInfo {
  registry: string;
  repositories: number;
  /** Tags across all repositories (one per build). */
  images: number;
  /** Distinct blobs (configs and layers) that tagged images reference, and their total size. */
  blobs: number;
  bytes: number;
}

interface Logger {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

export class ImageJanitor implements AppImages {
  constructor(
    private readonly registry: RegistryApi,
    private readonly host: HostImages,
    /** host:port of the registry, the prefix of every image Slipway builds (SLIPWAY_REGISTRY). */
    private readonly registryAddress: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Deletes every image of the app's repository (`<registry>/<app>`) from the registry and the
   * Docker host. Never throws: destroying an app goes on whatever the registry says, and each
   * failure is logged and returned.
   */
  async deleteAppImages(app: string): Promise<ImageCleanup> {
    const cleanup: ImageCleanup = { manifests: 0, hostImages: 0, problems: [] };
    try {
      const digests = new Set<string>();
      for (const tag of await this.registry.tags(app)) {
        const digest = await this.registry.digest(app, tag);
        if (digest) digests.add(digest);
      }
      for (const digest of digests) {
        if (await this.registry.deleteManifest(app, digest)) cleanup.manifests += 1;
      }
    } catch (error) {
      cleanup.problems.push(`registry: ${(error as Error).message}`);
    }
    const repository = `${this.registryAddress}/${app}`;
    try {
      for (const id of await this.host.list(repository)) {
        try {
          if (await this.host.remove(id)) cleanup.hostImages += 1;
        } catch (error) {
          cleanup.problems.push(`Docker host image ${id.slice(0, 19)}: ${(error as Error).message}`);
        }
      }
    } catch (error) {
      cleanup.problems.push(`Docker host: ${(error as Error).message}`);
    }
    if (cleanup.problems.length > 0) this.logger.warn({ app, ...cleanup }, 'some images of a destroyed app were left behind');
    else this.logger.info({ app, manifests: cleanup.manifests, hostImages: cleanup.hostImages }, 'images of a destroyed app deleted');
    return cleanup;
  }

  /** The registry's content: repositories, tagged images, and the distinct blobs they hold. */
  async registryInfo(): Promise<RegistryInfo> {
    const sizes = new Map<string, number>();
    let images = 0;
    const repositories = await this.registry.repositories();
    for (const repository of repositories) {
      for (const tag of await this.registry.tags(repository)) {
        images += 1;
        for (const blob of await this.registry.blobs(repository, tag)) sizes.set(blob.digest, blob.size);
      }
    }
    let bytes = 0;
    for (const size of sizes.values()) bytes += size;
    return { registry: this.registryAddress, repositories: repositories.length, images, blobs: sizes.size, bytes };
  }
}

/**
 * The repository, inside Slipway's registry, of an image reference a build recorded
 * (`<registry>/<repository>:<tag>` or `…@sha256:…`); null for an image from elsewhere (an image
 * deploy of another registry's image), which the janitor must never delete.
 */
export function imageRepository(image: string | null, registryAddress: string): string | null {
  if (!image || !image.startsWith(`${registryAddress}/`)) return null;
  const rest = image.slice(registryAddress.length + 1);
  const end = rest.search(/[:@]/);
  const repository = end === -1 ? rest : rest.slice(0, end);
  return repository === '' ? null : repository;
}

/**
 * What destroying an app calls (engine/apps-service.ts AppImages): every repository the app's builds
 * pushed to, besides its current name, because a renamed app keeps the image names of its old name.
 */
export function appImagesOf(
  janitor: AppImages,
  builds: { list(appId: number, limit: number): Promise<Array<{ image: string | null }>> },
  registryAddress: string,
): { removeAppImages(app: { id: number; name: string }): Promise<void> } {
  return {
    async removeAppImages(app) {
      const repositories = new Set([app.name]);
      for (const build of await builds.list(app.id, 10_000)) {
        const repository = imageRepository(build.image, registryAddress);
        if (repository) repositories.add(repository);
      }
      for (const repository of repositories) await janitor.deleteAppImages(repository);
    },
  };
}

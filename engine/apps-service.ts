/** Creating, listing, describing and destroying apps. */
import { assertAppName } from '../lib/app-name';
import { SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import type { Deployer } from './deployer';
import type { AppImages } from './image-janitor';
import type { App, FormationEntry, Release } from './model';
import type { RoutePublisher } from './publisher';
import type { Instance, RuntimeDriver } from './runtime-driver';
import type { AppsRepo } from './store/apps-repo';
import type { ReleasesRepo } from './store/releases-repo';

/** Where an app's source lives (bare git repositories, owned by the builder). */
export interface SourceRepositories {
  create(app: string): Promise<void>;
  remove(app: string): Promise<void>;
}

/** Per-app build cache (owned by the builder). */
export interface BuildCaches {
  remove(app: string): Promise<void>;
}

export interface AppAddresses {
  hostFor(app: string): string;
  urlFor(app: string): string;
  gitUrlFor(app: string): string;
}

export interface AppInfo {
  app: App;
  formation: FormationEntry[];
  instances: Instance[];
  release: Release | null;
}

export class AppsService {
  constructor(
    private readonly apps: AppsRepo,
    private readonly releases: ReleasesRepo,
    private readonly repositories: SourceRepositories,
    private readonly caches: BuildCaches,
    private readonly publisher: RoutePublisher,
    private readonly deployer: Deployer,
    private readonly driver: RuntimeDriver,
    readonly addresses: AppAddresses,
    private readonly logger: Logger,
    private readonly images: AppImages | null = null,
  ) {}

  async create(name: string): Promise<App> {
    assertAppName(name);
    const app = await this.apps.create(name);
    try {
      await this.repositories.create(name);
      await this.publisher.publishDomain(name, this.addresses.hostFor(name));
    } catch (error) {
      // Nothing half-made stays behind: the user can simply try again.
      await this.repositories.remove(name).catch(() => undefined);
      await this.apps.delete(app.id);
      throw error;
    }
    this.logger.info({ app: name }, 'app created');
    return app;
  }

  list(): Promise<App[]> {
    return this.apps.list();
  }

  get(name: string): Promise<App> {
    return this.apps.get(name);
  }

  async info(name: string): Promise<AppInfo> {
    const app = await this.apps.get(name);
    const [formation, instances, release] = await Promise.all([
      this.apps.formation(app.id),
      this.driver.list(name),
      app.currentRelease === null ? Promise.resolve(null) : this.releases.get(app.id, app.currentRelease),
    ]);
    return { app, formation, instances, release };
  }

  async destroy(name: string, confirm: string | undefined): Promise<void> {
    const app = await this.apps.get(name);
    if (confirm !== name) {
      throw new SlipwayError('confirmation_required',
        `Destroying "${name}" removes its containers, routes, repository and release history. Confirm with --confirm ${name}.`);
    }
    // The rows go first: from then on the reconciler sees no app to bring back, and whatever a
    // failure below leaves running is an orphan it removes.
    await this.apps.delete(app.id);
    await this.deployer.teardown(name);
    await this.repositories.remove(name);
    await this.caches.remove(name);
    await this.images?.deleteAppImages(name); // never throws: what it cannot delete is logged (engine/image-janitor.ts)
    this.logger.info({ app: name }, 'app destroyed');
  }
}

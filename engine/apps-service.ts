/** Creating, listing, describing and destroying apps. */
import { assertAppName } from '../lib/app-name';
import { SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { AppWork } from './app-work';
import type { Deployer } from './deployer';
import { acquireAll, InProcessLocks, type LockService } from './locks';
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

/**
 * Deletes an app's images (registry and Docker host) when it is destroyed: the image janitor's
 * hook. Called holding the app's locks, after its instances are stopped and before its rows are
 * deleted (its builds, with their image references, can still be read by the app's id). The
 * repository name in an image reference is the app's name when it was built (apps:rename keeps
 * old images), so go by the builds, not by the current name. A failure is logged, not fatal.
 */
export interface AppImages {
  removeAppImages(app: { id: number; name: string }): Promise<void>;
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
  /** Names whose destroy runs in this process: their rows go last, so a create would only be refused less clearly. */
  private readonly destroying = new Set<string>();

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
    /** The control plane's lock service; destroy takes every scope of the app. */
    private readonly locks: LockService = new InProcessLocks(),
    /** The app's running work, cancelled by destroy. */
    private readonly work: AppWork = new AppWork(),
    private readonly images: AppImages | null = null,
    /** The app's persistent volumes (engine/storage), removed with it, data and all. */
    private readonly volumes: { removeAppVolumes(app: { id: number; name: string }): Promise<void> } | null = null,
    /** The app's log history, followers and drains, dropped once it is destroyed (engine/logs). */
    private readonly appLogs: { forgetApp(app: string): Promise<void> } | null = null,
  ) {}

  /**
   * Creates an app in team `teamId` (TeamsService.teamForNewApp finds it; the caller checks
   * `team:create-app` first). Without one, in the first platform admin's personal team, as every
   * app was before teams.
   */
  async create(name: string, teamId?: number): Promise<App> {
    assertAppName(name);
    if (this.destroying.has(name)) {
      throw new SlipwayError('app_exists', `"${name}" is being destroyed: create it again once apps:destroy has finished.`);
    }
    const app = await this.apps.create(name, new Date(), teamId);
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
    if (confirm !== name) {
      await this.apps.get(name); // an unknown app is named as such first
      throw new SlipwayError('confirmation_required',
        `Destroying "${name}" removes its containers, routes, repository and release history. Confirm with --confirm ${name}.`);
    }
    // From the call on, a create of the name is refused as "being destroyed".
    const first = !this.destroying.has(name);
    this.destroying.add(name);
    try {
      await this.destroyConfirmed(name);
    } finally {
      if (first) this.destroying.delete(name);
    }
  }

  private async destroyConfirmed(name: string): Promise<void> {
    const app = await this.apps.get(name);
    // Running and queued work of this app (by id) ends now: a deploy waiting on checks is cancelled
    // and removes what it started. Then every lock of the app, in order: when they are held, nothing
    // else acts on it. The rows go last, so the name cannot be taken again before all is gone.
    this.work.cancel(app.id, name);
    const unlock = await acquireAll(this.locks, name);
    try {
      const still = await this.apps.find(name);
      if (!still || still.id !== app.id) return; // a destroy queued before this one did it
      await this.deployer.teardown(name);
      // After the containers that used them are gone; destroying the app is asking for its data to go.
      if (this.volumes) {
        await this.volumes.removeAppVolumes(app).catch((error: unknown) =>
          this.logger.warn({ app: name, err: error }, 'could not remove the app\'s volumes'));
      }
      await this.repositories.remove(name);
      await this.caches.remove(name);
      if (this.images) {
        await this.images.removeAppImages(app).catch((error: unknown) =>
          this.logger.warn({ app: name, err: error }, 'could not delete the app\'s images'));
      }
      await this.apps.delete(app.id);
      if (this.appLogs) {
        await this.appLogs.forgetApp(name).catch((error: unknown) =>
          this.logger.warn({ app: name, err: error }, 'could not delete the app\'s log history'));
      }
      this.logger.info({ app: name }, 'app destroyed');
    } finally {
      // Gone, or (after a failure) still there and usable: either way its cancellation is spent.
      this.work.forget(app.id);
      unlock();
    }
  }
}

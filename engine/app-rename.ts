/**
 * `apps:rename OLD NEW` (Heroku's apps:rename): the app keeps its id, config, releases, builds,
 * formation and custom domains (all keyed by the id); what is keyed by its name moves: the git
 * repository, the route keys in etcd (the default host becomes NEW's, custom domains and their
 * certificates are published under NEW), and the instances, which start under NEW before OLD's stop.
 * Runs holding every lock of OLD, so no push, release or rollout of it is in flight meanwhile.
 */
import { assertAppName } from '../lib/app-name';
import { SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { acquireAll, type LockService } from './locks';
import type { App } from './model';
import type { AppsRepo } from './store/apps-repo';

/** Moves an app's source repository (owned by the builder). */
export interface RenamableRepositories {
  rename(from: string, to: string): Promise<void>;
}

export interface RenameDeps {
  apps: Pick<AppsRepo, 'get' | 'find' | 'rename'>;
  repositories: RenamableRepositories;
  /** The app's route keys (domains, certificates, settings) written from the store under its name. */
  routes: { republish(app: string): Promise<void> };
  /** Starts the app's formation under its name and routes it, waiting for it (the reconciler). */
  converge(app: string): Promise<void>;
  /** Removes every route key and instance under a name (Deployer.teardown). */
  teardown(app: string): Promise<void>;
  /** The build cache kept under the old name; the next build under the new one starts cold. */
  caches: { remove(app: string): Promise<void> };
  locks: LockService;
  logger: Logger;
  /** The app's log stream: its history moves to the new name (engine/logs). */
  logs?: { renameApp(from: string, to: string): Promise<void>; finishRename(from: string): Promise<void> };
}

export class AppRenamer {
  constructor(private readonly deps: RenameDeps) {}

  async rename(from: string, to: string): Promise<App> {
    const { apps, locks, logger } = this.deps;
    assertAppName(to);
    if (to === from) throw new SlipwayError('invalid_request', `${from} is already called ${to}.`);
    const app = await apps.get(from);
    const unlock = await acquireAll(locks, from);
    try {
      const still = await apps.find(from);
      if (!still || still.id !== app.id) {
        throw new SlipwayError('app_not_found', `${from} was destroyed while the rename waited.`);
      }
      if (await apps.find(to)) throw new SlipwayError('app_exists', `An app named "${to}" already exists. Pick another name.`);
      await this.deps.repositories.rename(from, to);
      let renamed: App;
      try {
        renamed = await apps.rename(app.id, to);
      } catch (error) {
        await this.deps.repositories.rename(to, from).catch(() => undefined);
        throw error;
      }
      // History moves first: OLD's instances still log, into NEW's stream, until they go.
      await this.deps.logs?.renameApp(from, to).catch((error: unknown) => logger.warn({ app: to, err: error }, 'could not move the log history'));
      // OLD's instances serve until NEW's are up and routed; then OLD's keys and instances go.
      await this.deps.converge(to);
      await this.deps.routes.republish(to);
      await this.deps.teardown(from);
      await this.deps.logs?.finishRename(from).catch((error: unknown) => logger.warn({ app: to, err: error }, 'could not free the old log name'));
      await this.deps.caches.remove(from).catch((error: unknown) => logger.warn({ app: to, err: error }, 'could not remove the old build cache'));
      logger.info({ app: to, from }, 'app renamed');
      return renamed;
    } finally {
      unlock();
    }
  }
}

/**
 * Maintenance mode (`maintenance`, `maintenance:on`, `maintenance:off`): while it is on, the router
 * answers every request for the app with a 503 maintenance page; the app's processes keep running,
 * so turning it off serves them again at once. The store holds the flag; etcd's maintenance key
 * (docs/contracts/etcd-keys.md) tells the routers.
 */
import { SlipwayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { InProcessLocks, type LockService } from './locks';
import type { MaintenancePublisher } from './publisher';
import type { AppsRepo } from './store/apps-repo';
import type { MaintenanceRepo } from './store/maintenance-repo';

export class MaintenanceService {
  constructor(
    private readonly apps: AppsRepo,
    private readonly repo: MaintenanceRepo,
    private readonly publisher: MaintenancePublisher,
    private readonly logger: Logger,
    /** The control plane's lock service: the flag is a routing key, changed under the app's domains lock,
     *  so etcd ends with the flag the store ends with and a rename or destroy never races it. */
    private readonly locks: LockService = new InProcessLocks(),
  ) {}

  async get(appName: string): Promise<boolean> {
    const app = await this.apps.get(appName);
    return this.repo.get(app.id);
  }

  /**
   * Sets the flag and tells the routers. The store is written after etcd: when etcd cannot be
   * written, the call fails and the store keeps the old flag (what the routers still serve).
   */
  async set(appName: string, on: boolean): Promise<boolean> {
    const app = await this.apps.get(appName);
    const unlock = await this.locks.acquire(app.name, 'domains');
    try {
      // Queued behind a destroy or rename: the app this call named is gone, never act on its successor.
      const still = await this.apps.find(appName);
      if (!still || still.id !== app.id) throw new SlipwayError('app_not_found', `App "${appName}" does not exist any more.`);
      await this.publisher.publishMaintenance(app.name, on);
      try {
        await this.repo.set(app.id, on);
      } catch (error) {
        await this.publisher.publishMaintenance(app.name, await this.repo.get(app.id)).catch(() => undefined);
        throw error;
      }
      this.logger.info({ app: app.name, maintenance: on }, on ? 'maintenance mode on' : 'maintenance mode off');
      return on;
    } finally {
      unlock();
    }
  }

  /** Writes the app's flag to etcd from the store (after apps:rename, the key moves to the new name). */
  async republish(appName: string): Promise<void> {
    const app = await this.apps.get(appName);
    const unlock = await this.locks.acquire(app.name, 'domains');
    try {
      if (await this.repo.get(app.id)) await this.publisher.publishMaintenance(app.name, true);
    } finally {
      unlock();
    }
  }
}

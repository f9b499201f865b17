/**
 * Add-ons are reconciled like app instances: a pass brings every add-on back to its record.
 * Provisioning and deprovisioning ones are converged again (a crash mid-way finishes here);
 * available ones are checked, a missing or stopped server is ensured again (same name, same
 * volume: the data is kept), and what the pass saw is recorded as the add-on's health. Servers
 * that no record names any more are removed (their container; the volume is kept), and so are the
 * scratch servers of verifications that no longer run.
 */
import type { Logger } from '../../lib/log';
import type { AddonsRepo } from '../store/addons-repo';
import type { AddonsService } from './addons-service';
import { isServerKind, type Addon } from './model';
import type { AddonServerInfo, AddonServers } from './kinds';

/**
 * The servers that no add-on record names: `servers` must be listed before `records` are read, so
 * that a server being created (its record is written first) is always among the records.
 */
export function orphanServers(servers: readonly AddonServerInfo[], records: readonly Pick<Addon, 'name'>[]): string[] {
  const named = new Set(records.map((record) => record.name));
  return servers.map((server) => server.addonName).filter((name) => !named.has(name));
}

export class AddonsReconciler {
  constructor(
    private readonly repo: AddonsRepo,
    private readonly addons: AddonsService,
    private readonly servers: AddonServers,
    private readonly logger: Logger,
  ) {}

  async pass(): Promise<void> {
    const servers = await this.servers.list();
    const records = await this.repo.list();
    for (const addon of records) {
      if (addon.state === 'failed') continue;
      try {
        if (addon.state === 'available' && isServerKind(addon.kind)) await this.check(addon);
        await this.addons.converge(addon.id);
      } catch (error) {
        this.logger.warn({ addon: addon.name, err: error }, 'add-on reconcile failed; the next pass tries again');
      }
    }
    await this.removeOrphans(servers, records);
  }

  /**
   * Only the container goes: a record that comes back (a restored database) finds its data again.
   * A destroyed add-on's volume went with it (AddonsService.destroy).
   */
  private async removeOrphans(servers: AddonServerInfo[], records: Addon[]): Promise<void> {
    for (const name of orphanServers(servers, records)) {
      try {
        await this.servers.remove(name, { keepVolume: true });
        this.logger.warn({ addon: name }, 'removed the container of an add-on server that no add-on names any more; its data volume is kept');
      } catch (error) {
        this.logger.warn({ addon: name, err: error }, 'could not remove an orphaned add-on server; the next pass tries again');
      }
    }
    try {
      const scratch = await this.servers.removeStaleScratch();
      if (scratch.length > 0) this.logger.warn({ servers: scratch }, 'removed scratch servers left by interrupted backup verifications');
    } catch (error) {
      this.logger.warn({ err: error }, 'could not remove stale scratch servers; the next pass tries again');
    }
  }

  private async check(addon: Addon): Promise<void> {
    const status = await this.servers.status(addon.name);
    if (status === 'running') {
      if (addon.health !== 'healthy') await this.repo.setHealth(addon.id, 'healthy');
      return;
    }
    if (status === 'starting') return;
    this.logger.warn({ addon: addon.name, status }, 'add-on server not running: ensuring it again');
    await this.repo.setHealth(addon.id, 'unhealthy', `the server was ${status}; Slipway is starting it again`);
    await this.addons.exclusive(addon.name, () => this.addons.ensureServer(addon));
    await this.repo.setHealth(addon.id, 'healthy');
  }
}

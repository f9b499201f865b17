/**
 * Add-ons are reconciled like app instances: a pass brings every add-on back to its record.
 * Provisioning and deprovisioning ones are converged again (a crash mid-way finishes here);
 * available ones are checked, a missing or stopped server is ensured again (same name, same
 * volume: the data is kept), and what the pass saw is recorded as the add-on's health.
 */
import type { Logger } from '../../lib/log';
import type { AddonsRepo } from '../store/addons-repo';
import type { AddonsService } from './addons-service';
import { isServerKind, type Addon } from './model';
import type { AddonServers } from './kinds';

export class AddonsReconciler {
  constructor(
    private readonly repo: AddonsRepo,
    private readonly addons: AddonsService,
    private readonly servers: AddonServers,
    private readonly logger: Logger,
  ) {}

  async pass(): Promise<void> {
    for (const addon of await this.repo.list(['provisioning', 'deprovisioning', 'available'])) {
      try {
        if (addon.state === 'available' && isServerKind(addon.kind)) await this.check(addon);
        await this.addons.converge(addon.id);
      } catch (error) {
        this.logger.warn({ addon: addon.name, err: error }, 'add-on reconcile failed; the next pass tries again');
      }
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

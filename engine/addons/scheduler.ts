/**
 * The add-on loop of the platform process: every minute (and once at start), scheduled backups
 * that are due are captured and pruned, and the reconcile pass runs (./reconcile.ts). One pass at
 * a time; `stop` waits for the running one.
 */
import type { Logger } from '../../lib/log';
import type { AddonsRepo } from '../store/addons-repo';
import type { BackupsRepo } from '../store/backups-repo';
import type { BackupsService } from './backups-service';
import { isDue } from './schedule';

export class BackupScheduler {
  constructor(
    private readonly addonsRepo: AddonsRepo,
    private readonly backupsRepo: BackupsRepo,
    private readonly backups: BackupsService,
    private readonly logger: Logger,
  ) {}

  /** Captures every due backup (one after the other: dumps are heavy), then prunes to each schedule's `keep`. */
  async tick(now: Date): Promise<void> {
    for (const schedule of await this.backupsRepo.schedules()) {
      if (!isDue(schedule, now)) continue;
      const addon = await this.addonsRepo.byId(schedule.addonId);
      if (!addon) continue;
      // Marked first: a crash mid-capture does not make it run again at every start.
      await this.backupsRepo.markScheduleRun(addon.id, now);
      try {
        const { done } = await this.backups.capture(addon.name, 'scheduled');
        const backup = await done;
        if (backup.status !== 'verified') this.logger.error({ addon: addon.name, backup: backup.number, reason: backup.error }, 'scheduled backup failed');
        const pruned = await this.backups.prune(addon, schedule.keep);
        if (pruned.length > 0) this.logger.info({ addon: addon.name, pruned: pruned.map((b) => b.number) }, 'old scheduled backups pruned');
      } catch (error) {
        this.logger.error({ addon: addon.name, err: error }, 'scheduled backup could not start');
      }
    }
  }
}

/**
 * Backups of an add-on (`addons:backups*`): capture streams the server's own dump (pg_dump,
 * mysqldump, Redis RDB; the adapter's job) into a file of the state dir, then the verify step
 * restores it into a scratch server and compares. A backup says `verified` only after that passed;
 * anything that goes wrong (dump, write, verify, a crash of Slipway meanwhile) makes it `failed`
 * with the reason, and its file is removed: a failed backup is never downloadable or restorable.
 */
import type { Readable } from 'node:stream';
import { SlipwayError } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import type { AddonsRepo } from '../store/addons-repo';
import type { BackupsRepo } from '../store/backups-repo';
import type { AddonsService } from './addons-service';
import type { BackupFiles } from './backup-files';
import { backupLabel, isServerKind, parseBackupId, type Addon, type Backup, type BackupSchedule } from './model';
import { backupsToPrune, parseAt, parseKeep } from './schedule';
import type { AddonServers, AddonServerSpec as ServerSpec, BackupResult } from './kinds';

export interface CapturedBackup {
  backup: Backup;
  /** Settles with the finished backup (verified or failed); never rejects. */
  done: Promise<Backup>;
}

export interface BackupDownload {
  backup: Backup;
  size: number;
  stream: Readable;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class BackupsService {
  constructor(
    private readonly addons: AddonsService,
    private readonly addonsRepo: AddonsRepo,
    private readonly repo: BackupsRepo,
    private readonly servers: AddonServers,
    private readonly files: BackupFiles,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Records a pending backup and captures it in the background; `addons:backups:capture` follows it. */
  async capture(name: string, trigger: Backup['trigger'] = 'manual'): Promise<CapturedBackup> {
    const addon = await this.addonsRepo.get(name);
    const spec = await this.serverSpec(addon);
    const backup = await this.repo.create(addon.id, trigger, this.now());
    const done = this.run(addon, spec, backup);
    return { backup, done };
  }

  async list(name: string): Promise<Backup[]> {
    return this.repo.list((await this.addonsRepo.get(name)).id);
  }

  async get(name: string, id: unknown): Promise<Backup> {
    return this.repo.get((await this.addonsRepo.get(name)).id, parseBackupId(id));
  }

  /** The newest verified backup, or the one named. */
  async download(name: string, id?: unknown): Promise<BackupDownload> {
    const addon = await this.addonsRepo.get(name);
    const backup = await this.usable(addon, id);
    const size = this.files.sizeOf(addon.id, backup.number);
    if (size === null) throw new SlipwayError('backup_not_found', `The file of ${backupLabel(backup.number)} is missing from the state dir: capture a new backup.`);
    return { backup, size, stream: this.files.createReadStream(addon.id, backup.number) };
  }

  /** `addons:backups:restore NAME ID --confirm NAME`: the add-on's data becomes the backup's. */
  async restore(name: string, id: unknown, confirm: unknown): Promise<Backup> {
    if (confirm !== name) {
      throw new SlipwayError('confirmation_required', `Restoring replaces every piece of data in ${name} with the backup's. Confirm with --confirm ${name}.`);
    }
    return this.addons.exclusive(name, async () => {
      const addon = await this.addonsRepo.get(name);
      const spec = await this.serverSpec(addon);
      const backup = await this.usable(addon, id);
      try {
        // usable() answers verified backups only.
        await this.servers.restore(spec.addonName, { file: this.files.pathOf(addon.id, backup.number), verified: true });
      } catch (error) {
        throw new SlipwayError('backup_failed', `Restoring ${backupLabel(backup.number)} into ${name} failed: ${reasonOf(error)}. The server may hold part of it: restore again, or restore another backup.`, { cause: error });
      }
      this.logger.info({ addon: name, backup: backupLabel(backup.number) }, 'backup restored');
      return backup;
    });
  }

  async schedule(name: string): Promise<BackupSchedule | null> {
    return this.repo.schedule((await this.addonsRepo.get(name)).id);
  }

  /** A daily backup at `at` (UTC), keeping `keep` verified scheduled ones; the first runs at the next `at`. */
  async setSchedule(name: string, at: unknown, keep: unknown): Promise<BackupSchedule> {
    const time = parseAt(at);
    const count = parseKeep(keep);
    const addon = await this.addonsRepo.get(name);
    await this.serverSpec(addon);
    const schedule = await this.repo.setSchedule(addon.id, time, count);
    if (schedule.lastRunAt === null) {
      await this.repo.markScheduleRun(addon.id, this.now());
      return { ...schedule, lastRunAt: this.now() };
    }
    return schedule;
  }

  async unschedule(name: string): Promise<void> {
    const addon = await this.addonsRepo.get(name);
    if (!await this.repo.deleteSchedule(addon.id)) {
      throw new SlipwayError('not_found', `${name} has no backup schedule.`);
    }
  }

  /** Deletes the scheduled backups beyond the schedule's `keep` (schedule.ts); returns what went. */
  async prune(addon: Addon, keep: number): Promise<Backup[]> {
    const doomed = backupsToPrune(await this.repo.list(addon.id, 10_000), keep);
    for (const backup of doomed) {
      this.files.remove(addon.id, backup.number);
      await this.repo.delete(backup.id);
    }
    return doomed;
  }

  /** Backups a stopped Slipway left unfinished are failed, saying so (called once at start). */
  async failUnfinished(): Promise<number> {
    const unfinished = await this.repo.unfinished();
    for (const backup of unfinished) {
      this.files.remove(backup.addonId, backup.number);
      await this.repo.update(backup.id, { status: 'failed', finishedAt: this.now(), error: 'Slipway stopped while this backup ran: capture it again.' });
    }
    return unfinished.length;
  }

  removeAll(addon: Addon): void {
    this.files.removeAll(addon.id);
  }

  private async run(addon: Addon, spec: ServerSpec, backup: Backup): Promise<Backup> {
    const label = backupLabel(backup.number);
    const startedAt = this.now();
    let step = 'capture';
    try {
      await this.repo.update(backup.id, { status: 'running', startedAt });
      await this.dump(spec, addon, backup);
      const sizeBytes = this.files.sizeOf(addon.id, backup.number) ?? 0;
      const durationMs = this.now().getTime() - startedAt.getTime();
      if (sizeBytes === 0) throw new Error('the dump is empty');
      await this.repo.update(backup.id, { status: 'succeeded', sizeBytes, durationMs });
      step = 'verify';
      const result = await this.servers.verify(spec.kind, { file: this.files.pathOf(addon.id, backup.number) });
      if (!result.ok) throw new Error(result.error ?? (result.mismatches.join('; ') || 'the restored data does not match the dump'));
      // What the backup holds, counted from the dump as the scratch server loaded it.
      await this.repo.update(backup.id, { status: 'verified', finishedAt: this.now(), error: null, counts: result.expected });
      this.logger.info({ addon: addon.name, backup: label, sizeBytes, durationMs, counts: result.expected }, 'backup verified');
    } catch (error) {
      const reason = step === 'verify' ? `the verify step failed: ${reasonOf(error)}` : `the capture failed: ${reasonOf(error)}`;
      this.files.remove(addon.id, backup.number);
      await this.repo.update(backup.id, { status: 'failed', finishedAt: this.now(), error: reason })
        .catch((e: unknown) => this.logger.error({ addon: addon.name, backup: label, err: e }, 'could not record a failed backup'));
      this.logger.warn({ addon: addon.name, backup: label, reason }, 'backup failed');
    }
    return this.repo.get(addon.id, backup.number).catch(() => ({ ...backup, status: 'failed' as const }));
  }

  /** The adapter writes the dump into the backup's file (removed by the caller when this fails). */
  private async dump(spec: ServerSpec, addon: Addon, backup: Backup): Promise<BackupResult> {
    return this.servers.backup(spec.addonName, { file: this.files.newFile(addon.id, backup.number) });
  }

  private async usable(addon: Addon, id: unknown): Promise<Backup> {
    if (id === undefined || id === null || id === '') {
      const newest = (await this.repo.list(addon.id)).find((b) => b.status === 'verified');
      if (!newest) throw new SlipwayError('backup_not_found', `${addon.name} has no verified backup: capture one with slipway addons:backups:capture ${addon.name}.`);
      return newest;
    }
    const backup = await this.repo.get(addon.id, parseBackupId(id));
    if (backup.status !== 'verified') {
      const why = backup.status === 'failed' ? `failed (${backup.error ?? 'no reason recorded'})` : `${backup.status}, not verified yet`;
      throw new SlipwayError('backup_failed', `${backupLabel(backup.number)} of ${addon.name} is ${why}: only verified backups are downloaded or restored.`);
    }
    return backup;
  }

  private async serverSpec(addon: Addon): Promise<ServerSpec> {
    if (!isServerKind(addon.kind)) throw new SlipwayError('invalid_request', `${addon.name} is an external service: back it up where it runs.`);
    if (addon.state !== 'available') throw new SlipwayError('addon_not_ready', `${addon.name} is ${addon.state}: backups run on an available add-on.`);
    return (await this.addons.spec(addon))!;
  }
}

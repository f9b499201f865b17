/** Add-on backups and backup schedules (migration 007). */
import type { Knex } from 'knex';
import { SlipwayError } from '../../lib/errors';
import type { DataCounts } from '../addons/kinds';
import { backupLabel, type Backup, type BackupSchedule, type BackupStatus } from '../addons/model';

type Row = Record<string, unknown>;

const date = (value: unknown): Date => {
  if (value instanceof Date) return value;
  if (typeof value === 'number' || /^\d+$/.test(String(value))) return new Date(Number(value));
  return new Date(String(value));
};
const nullableDate = (value: unknown): Date | null => (value === null || value === undefined ? null : date(value));
const nullableNumber = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function backupFromRow(row: Row): Backup {
  return {
    id: Number(row.id), addonId: Number(row.addon_id), number: Number(row.number), status: String(row.status) as BackupStatus,
    trigger: String(row.origin) as Backup['trigger'], sizeBytes: nullableNumber(row.size_bytes), durationMs: nullableNumber(row.duration_ms),
    startedAt: nullableDate(row.started_at), finishedAt: nullableDate(row.finished_at),
    error: row.error === null || row.error === undefined ? null : String(row.error),
    counts: row.counts === null || row.counts === undefined ? null : JSON.parse(String(row.counts)) as DataCounts, createdAt: date(row.created_at),
  };
}

export interface BackupUpdate {
  status: BackupStatus;
  sizeBytes?: number | null;
  durationMs?: number | null;
  startedAt?: Date | null;
  finishedAt?: Date | null;
  error?: string | null;
  counts?: DataCounts | null;
}

export class BackupsRepo {
  constructor(private readonly db: Knex) {}

  /** A pending backup numbered after the add-on's last one (the add-on's row orders concurrent ones). */
  async create(addonId: number, trigger: Backup['trigger'], now = new Date()): Promise<Backup> {
    return this.db.transaction(async (trx) => {
      await trx('addons').where({ id: addonId }).forUpdate().first('id');
      const row = await trx('addon_backups').where({ addon_id: addonId }).max({ max: 'number' }).first();
      const number = Number(row?.max ?? 0) + 1;
      const [id] = await trx('addon_backups').insert({
        addon_id: addonId, number, status: 'pending', origin: trigger, size_bytes: null, duration_ms: null,
        started_at: null, finished_at: null, error: null, counts: null, created_at: now,
      });
      return { id: Number(id), addonId, number, status: 'pending', trigger, sizeBytes: null, durationMs: null,
        startedAt: null, finishedAt: null, error: null, counts: null, createdAt: now };
    });
  }

  async update(id: number, update: BackupUpdate): Promise<void> {
    const values: Row = { status: update.status };
    if (update.sizeBytes !== undefined) values.size_bytes = update.sizeBytes;
    if (update.durationMs !== undefined) values.duration_ms = update.durationMs;
    if (update.startedAt !== undefined) values.started_at = update.startedAt;
    if (update.finishedAt !== undefined) values.finished_at = update.finishedAt;
    if (update.error !== undefined) values.error = update.error;
    if (update.counts !== undefined) values.counts = update.counts === null ? null : JSON.stringify(update.counts);
    await this.db('addon_backups').where({ id }).update(values);
  }

  /** Newest first. */
  async list(addonId: number, limit = 200): Promise<Backup[]> {
    return (await this.db('addon_backups').where({ addon_id: addonId }).orderBy('number', 'desc').limit(limit)).map(backupFromRow);
  }

  async get(addonId: number, number: number): Promise<Backup> {
    const row = await this.db('addon_backups').where({ addon_id: addonId, number }).first();
    if (!row) throw new SlipwayError('backup_not_found', `There is no backup ${backupLabel(number)} of this add-on. Run \`slipway addons:backups NAME\` to list them.`);
    return backupFromRow(row);
  }

  /** Backups left pending or running by a Slipway that stopped. */
  async unfinished(): Promise<Backup[]> {
    return (await this.db('addon_backups').whereIn('status', ['pending', 'running', 'succeeded'])).map(backupFromRow);
  }

  async delete(id: number): Promise<void> {
    await this.db('addon_backups').where({ id }).delete();
  }

  async schedule(addonId: number): Promise<BackupSchedule | null> {
    const row = await this.db('addon_backup_schedules').where({ addon_id: addonId }).first();
    return row ? scheduleFromRow(row) : null;
  }

  async schedules(): Promise<BackupSchedule[]> {
    return (await this.db('addon_backup_schedules').orderBy('addon_id')).map(scheduleFromRow);
  }

  async setSchedule(addonId: number, at: string, keep: number): Promise<BackupSchedule> {
    const existing = await this.schedule(addonId);
    if (existing) await this.db('addon_backup_schedules').where({ addon_id: addonId }).update({ at, keep });
    else await this.db('addon_backup_schedules').insert({ addon_id: addonId, at, keep, last_run_at: null });
    return { addonId, at, keep, lastRunAt: existing?.lastRunAt ?? null };
  }

  async markScheduleRun(addonId: number, at: Date): Promise<void> {
    await this.db('addon_backup_schedules').where({ addon_id: addonId }).update({ last_run_at: at });
  }

  async deleteSchedule(addonId: number): Promise<boolean> {
    return (await this.db('addon_backup_schedules').where({ addon_id: addonId }).delete()) > 0;
  }
}

function scheduleFromRow(row: Row): BackupSchedule {
  return { addonId: Number(row.addon_id), at: String(row.at), keep: Number(row.keep), lastRunAt: nullableDate(row.last_run_at) };
}

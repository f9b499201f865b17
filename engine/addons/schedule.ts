/** Scheduled backups, the pure part: the time format, when one is due, and which backups to prune. */
import { SlipwayError } from '../../lib/errors';
import type { Backup, BackupSchedule } from './model';

const AT = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;
export const MAX_KEEP = 100;

export function parseAt(at: unknown): string {
  const text = typeof at === 'string' ? at.trim() : '';
  const short = /^([0-9]):([0-5][0-9])$/.exec(text);
  const normal = short ? `0${text}` : text;
  if (!AT.test(normal)) throw new SlipwayError('invalid_request', `--at ${JSON.stringify(at)} is not a time of day: give HH:MM in UTC, e.g. --at 02:00.`);
  return normal;
}

export function parseKeep(keep: unknown): number {
  const value = typeof keep === 'string' && /^\d+$/.test(keep.trim()) ? Number(keep) : keep;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_KEEP) {
    throw new SlipwayError('invalid_request', `--keep must be a whole number from 1 to ${MAX_KEEP} (how many scheduled backups are kept).`);
  }
  return value;
}

/** The last time at or before `now` when the clock showed `at` (UTC). */
export function latestOccurrence(at: string, now: Date): Date {
  const [hours, minutes] = at.split(':').map(Number) as [number, number];
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hours, minutes));
  return today.getTime() <= now.getTime() ? today : new Date(today.getTime() - 24 * 3600_000);
}

/** Due when it has not run since its latest occurrence (a new schedule starts with lastRunAt = when it was set). */
export function isDue(schedule: BackupSchedule, now: Date): boolean {
  const latest = latestOccurrence(schedule.at, now);
  return schedule.lastRunAt === null || schedule.lastRunAt.getTime() < latest.getTime();
}

/**
 * The scheduled backups to delete so that `keep` verified ones remain: every scheduled backup
 * (verified or failed) older than the keep-th newest verified one. Manual backups are never pruned,
 * nor anything while fewer than `keep` scheduled backups are verified (failures do not push good ones out).
 */
export function backupsToPrune(backups: readonly Backup[], keep: number): Backup[] {
  const scheduled = backups.filter((b) => b.trigger === 'scheduled').sort((a, b) => b.number - a.number);
  const verified = scheduled.filter((b) => b.status === 'verified');
  if (verified.length <= keep) return [];
  const cutoff = verified[keep - 1]!.number;
  return scheduled.filter((b) => b.number < cutoff && (b.status === 'verified' || b.status === 'failed'));
}

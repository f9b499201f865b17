/** Row ↔ model mapping, kept apart from queries so both stay readable. */
import type { App, Build, ConfigVars, FormationEntry, ProcessTypes, Release, SshKey } from '../model';

type Row = Record<string, unknown>;

const json = <T>(value: unknown): T => JSON.parse(String(value)) as T;
export const nullableDate = (value: unknown): Date | null => (value === null || value === undefined ? null : date(value));
/** MySQL gives Date objects; SQLite (better-sqlite3) stores dates as epoch milliseconds. */
export const date = (value: unknown): Date => {
  if (value instanceof Date) return value;
  if (typeof value === 'number' || /^\d+$/.test(String(value))) return new Date(Number(value));
  return new Date(String(value));
};
export const nullableNumber = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
export const nullableString = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

export function appFromRow(row: Row): App {
  return {
    id: Number(row.id),
    name: String(row.name),
    config: json<ConfigVars>(row.config),
    currentRelease: nullableNumber(row.current_release),
    createdAt: date(row.created_at),
    ...(row.team_id === null || row.team_id === undefined ? {} : { teamId: Number(row.team_id) }),
  };
}

export function buildFromRow(row: Row): Build {
  return {
    id: String(row.id),
    appId: Number(row.app_id),
    status: String(row.status) as Build['status'],
    commit: String(row.commit),
    image: nullableString(row.image),
    digest: nullableString(row.digest),
    processTypes: json<ProcessTypes>(row.process_types),
    log: String(row.log),
    durationMs: nullableNumber(row.duration_ms),
    appJson: nullableString(row.app_json),
    createdAt: date(row.created_at),
    createdBy: nullableString(row.created_by),
  };
}

export function formationFromRow(row: Row): FormationEntry {
  return { type: String(row.type), quantity: Number(row.quantity), memoryMb: Number(row.memory_mb), cpu: Number(row.cpu) };
}

export function releaseFromRow(row: Row): Release {
  return {
    id: Number(row.id),
    appId: Number(row.app_id),
    version: Number(row.version),
    buildId: nullableString(row.build_id),
    config: json<ConfigVars>(row.config),
    description: String(row.description),
    status: String(row.status) as Release['status'],
    failureReason: nullableString(row.failure_reason),
    createdAt: date(row.created_at),
    createdBy: nullableString(row.created_by),
  };
}

export function keyFromRow(row: Row): SshKey {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    name: String(row.name),
    fingerprint: String(row.fingerprint),
    publicKey: String(row.public_key),
    createdAt: date(row.created_at),
  };
}

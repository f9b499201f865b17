/** The audit log's entries and the pure rules around them: what an entry holds, what it may never hold, who may read it. */
import type { Principal } from './principal';

export type AuditResult = 'ok' | 'refused' | 'failed';
/** How the actor proved who it is; `password` for logins (no token yet). */
export type AuditVia = 'token' | 'session' | 'ssh-key' | 'password' | 'platform';
export type AuditDetail = Readonly<Record<string, string | number | boolean | null | readonly string[]>>;

export interface AuditEntry {
  id: number;
  /** When, to the millisecond. */
  at: Date;
  /** The user, as it was then; null for the platform. */
  userId: number | null;
  userName: string | null;
  via: AuditVia;
  /** The token's id or the SSH key's fingerprint (never a secret); null for the platform. */
  credential: string | null;
  address: string | null;
  /** What was done, e.g. `app:create`, `config:set`, `members:add`. */
  action: string;
  app: string | null;
  team: string | null;
  result: AuditResult;
  /** What changed, without secrets: config keys, never values (see safeDetail). */
  detail: AuditDetail;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

/** What a service records: the principal stands for who, how and from where. */
/** Someone not authenticated (a login attempt): the name they gave, the user it names if any. */
export interface AnonymousActor {
  kind: 'anonymous';
  userName: string | null;
  userId?: number | null;
  address: string | null;
}

export interface AuditRecord {
  principal: Principal | AnonymousActor;
  action: string;
  app?: string | null;
  team?: string | null;
  result?: AuditResult;
  detail?: AuditDetail;
}

export interface AuditFilter {
  app?: string;
  team?: string;
  userId?: number;
  since?: Date;
  /** Cursor: only entries with a smaller id (the `next` of the previous page). */
  before?: number;
}

/**
 * Detail keys that could carry a secret, dropped whatever a caller passes: the audit log is read
 * by team admins, and a secret written there would outlive its rotation. Config changes are
 * recorded by their keys (`keys: ["DATABASE_URL"]`), never their values.
 */
const SECRET_PART = /password|passwd|secret|private/i;
const SECRET_NAME = /^(token|value|values|api_?key)$/i;

export function safeDetail(detail: AuditDetail | undefined): AuditDetail {
  if (!detail) return {};
  const safe: Record<string, AuditDetail[string]> = {};
  for (const [key, value] of Object.entries(detail)) {
    if (SECRET_PART.test(key) || SECRET_NAME.test(key)) continue;
    safe[key] = value;
  }
  return safe;
}

export function entryFor(record: AuditRecord, at: Date): NewAuditEntry {
  const { principal } = record;
  const user = principal.kind === 'user' ? principal : null;
  const anonymous = principal.kind === 'anonymous' ? principal : null;
  return {
    at,
    userId: user?.userId ?? anonymous?.userId ?? null,
    userName: (user?.userName ?? anonymous?.userName ?? null)?.slice(0, 64) ?? null,
    via: user?.via ?? (anonymous ? 'password' : 'platform'),
    credential: user?.credential ?? null,
    address: (user?.address ?? anonymous?.address ?? null)?.slice(0, 100) ?? null,
    action: record.action,
    app: record.app ?? null,
    team: record.team ?? null,
    result: record.result ?? 'ok',
    detail: safeDetail(record.detail),
  };
}

/** Who may read what: a platform admin everything (null), anyone else their own actions and their admin teams' entries. */
export interface AuditReader {
  userId: number;
  adminTeams: readonly string[];
}

export function mayRead(reader: AuditReader | null, entry: Pick<AuditEntry, 'userId' | 'team'>): boolean {
  if (reader === null) return true;
  if (entry.userId === reader.userId) return true;
  return entry.team !== null && reader.adminTeams.includes(entry.team);
}

export function matches(filter: AuditFilter, entry: AuditEntry): boolean {
  if (filter.app !== undefined && entry.app !== filter.app) return false;
  if (filter.team !== undefined && entry.team !== filter.team) return false;
  if (filter.userId !== undefined && entry.userId !== filter.userId) return false;
  if (filter.since !== undefined && entry.at < filter.since) return false;
  return true;
}

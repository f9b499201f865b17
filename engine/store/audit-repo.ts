import type { Knex } from 'knex';
import type { AuditEntry, AuditFilter, NewAuditEntry } from '../audit-entry';
import { date, nullableNumber, nullableString } from './rows';

type Row = Record<string, unknown>;

function entryFromRow(row: Row): AuditEntry {
  return {
    id: Number(row.id),
    at: date(row.at),
    userId: nullableNumber(row.user_id),
    userName: nullableString(row.user_name),
    via: String(row.via) as AuditEntry['via'],
    credential: nullableString(row.credential),
    address: nullableString(row.address),
    action: String(row.action),
    app: nullableString(row.app_name),
    team: nullableString(row.team_name),
    result: String(row.result) as AuditEntry['result'],
    detail: JSON.parse(String(row.detail)) as AuditEntry['detail'],
  };
}

/** Who may read which entries: everything (null), or the entries of these users and teams. */
export interface AuditScope {
  userId: number;
  teams: readonly string[];
}

/** The audit log's table: appended to, never changed. */
export class AuditRepo {
  constructor(private readonly db: Knex) {}

  async append(entry: NewAuditEntry, on: Knex = this.db): Promise<AuditEntry> {
    const [id] = await on('audit_log').insert({
      at: entry.at, user_id: entry.userId, user_name: entry.userName, via: entry.via, credential: entry.credential,
      address: entry.address, action: entry.action, app_name: entry.app, team_name: entry.team, result: entry.result,
      detail: JSON.stringify(entry.detail),
    });
    return { ...entry, id: Number(id) };
  }

  /** Newest first, `limit` entries older than the cursor `before` (an id), within `scope` (null: all). */
  async query(filter: AuditFilter, scope: AuditScope | null, limit: number): Promise<AuditEntry[]> {
    const query = this.db('audit_log').orderBy('id', 'desc').limit(limit);
    if (filter.app !== undefined) query.where({ app_name: filter.app });
    if (filter.team !== undefined) query.where({ team_name: filter.team });
    if (filter.userId !== undefined) query.where({ user_id: filter.userId });
    if (filter.since !== undefined) query.where('at', '>=', filter.since);
    if (filter.before !== undefined) query.where('id', '<', filter.before);
    if (scope !== null) {
      query.where((inner) => {
        inner.where({ user_id: scope.userId });
        if (scope.teams.length > 0) inner.orWhereIn('team_name', [...scope.teams]);
      });
    }
    const rows = await query;
    return rows.map(entryFromRow);
  }
}

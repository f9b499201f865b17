import type { Knex } from 'knex';
import type { ConsoleSession, ConsoleSessionStore, StoredSession } from '../console-sessions';

/** MySQL gives Date objects; SQLite (better-sqlite3) stores dates as epoch milliseconds. */
function date(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number' || /^\d+$/.test(String(value))) return new Date(Number(value));
  return new Date(String(value));
}

/** console_sessions (migration 009) through knex. */
export class ConsoleSessionsRepo implements ConsoleSessionStore {
  constructor(private readonly db: Knex) {}

  async insert(s: StoredSession): Promise<void> {
    await this.db('console_sessions').insert({
      id_hash: s.idHash, user_id: s.userId, token_id: s.tokenId, csrf_token: s.csrfToken, address: s.address,
      created_at: s.createdAt, last_seen_at: s.lastSeenAt, expires_at: s.expiresAt,
    });
  }

  async find(idHash: string): Promise<ConsoleSession | null> {
    const row = await this.db('console_sessions').join('users', 'users.id', 'console_sessions.user_id')
      .leftJoin('api_tokens', 'api_tokens.id', 'console_sessions.token_id')
      .where('console_sessions.id_hash', idHash)
      .first('console_sessions.*', 'users.name as user_name', 'users.platform_admin as platform_admin', 'users.disabled_at as disabled_at',
        'api_tokens.revoked_at as token_revoked_at');
    if (!row) return null;
    return {
      idHash: String(row.id_hash), userId: Number(row.user_id), tokenId: row.token_id === null ? null : Number(row.token_id),
      userName: String(row.user_name), platformAdmin: Boolean(Number(row.platform_admin)), userDisabled: row.disabled_at !== null && row.disabled_at !== undefined,
      tokenRevoked: row.token_revoked_at !== null && row.token_revoked_at !== undefined,
      csrfToken: String(row.csrf_token), address: String(row.address),
      createdAt: date(row.created_at), lastSeenAt: date(row.last_seen_at), expiresAt: date(row.expires_at),
    };
  }

  async touch(idHash: string, at: Date): Promise<void> {
    await this.db('console_sessions').where({ id_hash: idHash }).update({ last_seen_at: at });
  }

  async remove(idHash: string): Promise<void> {
    await this.db('console_sessions').where({ id_hash: idHash }).delete();
  }

  async removeExpired(now: Date, idleSince: Date): Promise<number> {
    return this.db('console_sessions').where('expires_at', '<=', now).orWhere('last_seen_at', '<=', idleSince).delete();
  }
}

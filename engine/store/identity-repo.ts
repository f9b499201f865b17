import type { Knex } from 'knex';
import { SlipwayError } from '../../lib/errors';
import type { ApiToken, SshKey, TokenKind, User, UserAccount } from '../model';
import type { TokenScope } from '../principal';
import { date, keyFromRow, nullableDate, nullableString } from './rows';

type Row = Record<string, unknown>;

export interface NewUser {
  name: string;
  email: string | null;
  passwordHash: string | null;
  platformAdmin: boolean;
}

export interface NewToken {
  userId: number;
  tokenHash: string;
  kind: TokenKind;
  scope: TokenScope;
  description: string | null;
  expiresAt: Date | null;
}

/** A token found by its hash, with what authentication checks on every use. */
export interface TokenOwner {
  token: ApiToken;
  user: UserAccount;
}

export function accountFromRow(row: Row): UserAccount {
  return {
    id: Number(row.id),
    name: String(row.name),
    email: nullableString(row.email),
    platformAdmin: Boolean(Number(row.platform_admin)),
    disabledAt: nullableDate(row.disabled_at),
    createdAt: date(row.created_at),
  };
}

export function tokenFromRow(row: Row): ApiToken {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    kind: String(row.kind) as TokenKind,
    scope: String(row.scope) as TokenScope,
    description: nullableString(row.description),
    expiresAt: nullableDate(row.expires_at),
    revokedAt: nullableDate(row.revoked_at),
    lastUsedAt: nullableDate(row.last_used_at),
    createdAt: date(row.created_at),
  };
}

const USER_COLUMNS = ['id', 'name', 'email', 'platform_admin', 'disabled_at', 'created_at'];

/**
 * Users, their hashed API tokens and their SSH public keys. Built on the database or on a
 * transaction (services that audit a change give theirs, so both commit together).
 */
export class IdentityRepo {
  constructor(private readonly db: Knex) {}

  async countUsers(): Promise<number> {
    const row = await this.db('users').count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  /** Inserts a user; a taken name or email fails with user_exists. */
  async createUser(user: NewUser, now = new Date()): Promise<UserAccount> {
    if (await this.db('users').where({ name: user.name }).first('id')) {
      throw new SlipwayError('user_exists', `A user named "${user.name}" already exists. Pick another name.`);
    }
    if (user.email !== null && await this.db('users').where({ email: user.email }).first('id')) {
      throw new SlipwayError('user_exists', `A user with the email ${user.email} already exists.`);
    }
    const [id] = await this.db('users').insert({
      name: user.name, email: user.email, password_hash: user.passwordHash, platform_admin: user.platformAdmin, disabled_at: null, created_at: now,
    });
    return { id: Number(id), name: user.name, email: user.email, platformAdmin: user.platformAdmin, disabledAt: null, createdAt: now };
  }

  /** Kept for callers from before issue 11: a user and one token of full power. */
  async createUserWithToken(name: string, tokenHash: string, now = new Date()): Promise<User> {
    return this.db.transaction(async (trx) => {
      const repo = new IdentityRepo(trx);
      const user = await repo.createUser({ name, email: null, passwordHash: null, platformAdmin: false }, now);
      await repo.createToken({ userId: user.id, tokenHash, kind: 'api', scope: 'admin', description: null, expiresAt: null }, now);
      return { id: user.id, name: user.name };
    });
  }

  async userByName(name: string): Promise<UserAccount | null> {
    const row = await this.db('users').where({ name }).first(USER_COLUMNS);
    return row ? accountFromRow(row) : null;
  }

  async userById(id: number): Promise<UserAccount | null> {
    const row = await this.db('users').where({ id }).first(USER_COLUMNS);
    return row ? accountFromRow(row) : null;
  }

  /** The stored password hash (null: the user has none and cannot log in with a password). */
  async passwordHash(userId: number): Promise<string | null> {
    const row = await this.db('users').where({ id: userId }).first('password_hash');
    return row ? nullableString(row.password_hash) : null;
  }

  async setPasswordHash(userId: number, hash: string): Promise<void> {
    await this.db('users').where({ id: userId }).update({ password_hash: hash });
  }

  async listUsers(): Promise<UserAccount[]> {
    const rows = await this.db('users').orderBy('name').select(USER_COLUMNS);
    return rows.map(accountFromRow);
  }

  async setDisabled(userId: number, disabledAt: Date | null): Promise<void> {
    await this.db('users').where({ id: userId }).update({ disabled_at: disabledAt });
  }

  async createToken(token: NewToken, now = new Date()): Promise<ApiToken> {
    const [id] = await this.db('api_tokens').insert({
      user_id: token.userId, token_hash: token.tokenHash, kind: token.kind, scope: token.scope,
      description: token.description, expires_at: token.expiresAt, revoked_at: null, last_used_at: null, created_at: now,
    });
    return {
      id: Number(id), userId: token.userId, kind: token.kind, scope: token.scope, description: token.description,
      expiresAt: token.expiresAt, revokedAt: null, lastUsedAt: null, createdAt: now,
    };
  }

  /** The token with this hash and its user, read fresh (a disabled user or a revoked token counts at once). */
  async tokenByHash(tokenHash: string): Promise<TokenOwner | null> {
    const row = await this.db('api_tokens').join('users', 'users.id', 'api_tokens.user_id')
      .where('api_tokens.token_hash', tokenHash)
      .first('api_tokens.*', 'users.name as user_name', 'users.email as user_email', 'users.platform_admin as user_platform_admin',
        'users.disabled_at as user_disabled_at', 'users.created_at as user_created_at');
    if (!row) return null;
    return {
      token: tokenFromRow(row),
      user: accountFromRow({ id: row.user_id, name: row.user_name, email: row.user_email, platform_admin: row.user_platform_admin,
        disabled_at: row.user_disabled_at, created_at: row.user_created_at }),
    };
  }

  /** Kept for callers from before issue 11. */
  async userByTokenHash(tokenHash: string): Promise<User | null> {
    const found = await this.tokenByHash(tokenHash);
    return found ? { id: found.user.id, name: found.user.name } : null;
  }

  async tokenById(id: number): Promise<ApiToken | null> {
    const row = await this.db('api_tokens').where({ id }).first();
    return row ? tokenFromRow(row) : null;
  }

  /** A user's tokens, newest first (revoked and expired ones too: `tokens` shows their state). */
  async tokensOf(userId: number): Promise<ApiToken[]> {
    const rows = await this.db('api_tokens').where({ user_id: userId }).orderBy('id', 'desc');
    return rows.map(tokenFromRow);
  }

  async revokeToken(id: number, now = new Date()): Promise<void> {
    await this.db('api_tokens').where({ id }).whereNull('revoked_at').update({ revoked_at: now });
  }

  /** Revokes every token of a user still valid (users:disable keeps them revoked after an enable). */
  async revokeTokensOf(userId: number, now = new Date()): Promise<void> {
    await this.db('api_tokens').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: now });
  }

  /**
   * Revokes a user's login tokens still valid (those of `slipway login` and of console sign-ins,
   * whose sessions end with them), but `except` (the one in use); API tokens are kept. How many.
   */
  async revokeLoginTokensOf(userId: number, except: number | null, now = new Date()): Promise<number> {
    const query = this.db('api_tokens').where({ user_id: userId, kind: 'login' }).whereNull('revoked_at');
    if (except !== null) query.whereNot({ id: except });
    return query.update({ revoked_at: now });
  }

  async touchToken(id: number, now = new Date()): Promise<void> {
    await this.db('api_tokens').where({ id }).update({ last_used_at: now });
  }

  async addKey(userId: number, name: string, fingerprint: string, publicKey: string, now = new Date()): Promise<SshKey> {
    const existing = await this.db('ssh_keys').where({ fingerprint }).first();
    if (existing) throw new SlipwayError('key_exists', `This key (${fingerprint}) is already registered as "${existing.name}".`);
    const [id] = await this.db('ssh_keys').insert({ user_id: userId, name, fingerprint, public_key: publicKey, created_at: now });
    return { id: Number(id), userId, name, fingerprint, publicKey, createdAt: now };
  }

  /** Every key (null), or one user's. */
  async keys(userId: number | null = null): Promise<SshKey[]> {
    const query = this.db('ssh_keys').orderBy('created_at').orderBy('id');
    if (userId !== null) query.where({ user_id: userId });
    const rows = await query;
    return rows.map(keyFromRow);
  }

  async keyByFingerprint(fingerprint: string): Promise<SshKey | null> {
    const row = await this.db('ssh_keys').where({ fingerprint }).first();
    return row ? keyFromRow(row) : null;
  }

  /** The key and its user, read fresh on every SSH authentication. */
  async keyOwner(fingerprint: string): Promise<{ key: SshKey; user: UserAccount } | null> {
    const key = await this.keyByFingerprint(fingerprint);
    if (!key) return null;
    const user = await this.userById(key.userId);
    return user ? { key, user } : null;
  }

  /** The key named by id or fingerprint, if it is `userId`'s (any user's when null). */
  async findKey(idOrFingerprint: string, userId: number | null = null): Promise<SshKey | null> {
    const query = this.db('ssh_keys').where(/^\d+$/.test(idOrFingerprint) ? { id: Number(idOrFingerprint) } : { fingerprint: idOrFingerprint });
    if (userId !== null) query.where({ user_id: userId });
    const row = await query.first();
    return row ? keyFromRow(row) : null;
  }

  async removeKey(idOrFingerprint: string, userId: number | null = null): Promise<SshKey> {
    const key = await this.findKey(idOrFingerprint, userId);
    if (!key) throw new SlipwayError('key_not_found', `No SSH key matches "${idOrFingerprint}". Run \`slipway keys\` to list them.`);
    await this.db('ssh_keys').where({ id: key.id }).delete();
    return key;
  }
}

import type { Knex } from 'knex';
import { SlipwayError } from '../../lib/errors';
import type { SshKey, User } from '../model';
import { keyFromRow } from './rows';

/** Users, their hashed API tokens and their SSH public keys. */
export class IdentityRepo {
  constructor(private readonly db: Knex) {}

  async countUsers(): Promise<number> {
    const row = await this.db('users').count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  async createUserWithToken(name: string, tokenHash: string, now = new Date()): Promise<User> {
    return this.db.transaction(async (trx) => {
      const [id] = await trx('users').insert({ name, created_at: now });
      await trx('api_tokens').insert({ user_id: Number(id), token_hash: tokenHash, created_at: now });
      return { id: Number(id), name };
    });
  }

  async userByTokenHash(tokenHash: string): Promise<User | null> {
    const row = await this.db('api_tokens').join('users', 'users.id', 'api_tokens.user_id')
      .where('api_tokens.token_hash', tokenHash).first('users.id as id', 'users.name as name');
    return row ? { id: Number(row.id), name: String(row.name) } : null;
  }

  async addKey(userId: number, name: string, fingerprint: string, publicKey: string, now = new Date()): Promise<SshKey> {
    const existing = await this.db('ssh_keys').where({ fingerprint }).first();
    if (existing) throw new SlipwayError('key_exists', `This key (${fingerprint}) is already registered as "${existing.name}".`);
    const [id] = await this.db('ssh_keys').insert({ user_id: userId, name, fingerprint, public_key: publicKey, created_at: now });
    return { id: Number(id), userId, name, fingerprint, publicKey, createdAt: now };
  }

  async keys(): Promise<SshKey[]> {
    const rows = await this.db('ssh_keys').orderBy('created_at');
    return rows.map(keyFromRow);
  }

  async keyByFingerprint(fingerprint: string): Promise<SshKey | null> {
    const row = await this.db('ssh_keys').where({ fingerprint }).first();
    return row ? keyFromRow(row) : null;
  }

  async removeKey(idOrFingerprint: string): Promise<void> {
    const query = /^\d+$/.test(idOrFingerprint) ? { id: Number(idOrFingerprint) } : { fingerprint: idOrFingerprint };
    const removed = await this.db('ssh_keys').where(query).delete();
    if (removed === 0) throw new SlipwayError('key_not_found', `No SSH key matches "${idOrFingerprint}". Run \`slipway keys\` to list them.`);
  }
}

/** The `log_drains` table (migration 008). */
import crypto from 'node:crypto';
import type { Knex } from 'knex';

export interface DrainRecord {
  readonly id: string;
  readonly app: string;
  readonly appId: number;
  readonly url: string;
  readonly token: string;
  readonly createdAt: Date;
}

const hash = (url: string): string => crypto.createHash('sha256').update(url).digest('hex');

export class DrainsRepo {
  constructor(private readonly db: Knex) {}

  async all(): Promise<DrainRecord[]> {
    return (await this.db('log_drains').join('apps', 'apps.id', 'log_drains.app_id')
      .select('log_drains.*', 'apps.name as app_name').orderBy('log_drains.created_at')).map(fromRow);
  }

  async forApp(appId: number): Promise<DrainRecord[]> {
    return (await this.db('log_drains').join('apps', 'apps.id', 'log_drains.app_id').where('log_drains.app_id', appId)
      .select('log_drains.*', 'apps.name as app_name').orderBy('log_drains.created_at')).map(fromRow);
  }

  /** Adds the drain; null when the app has that URL already. */
  async add(appId: number, url: string, now = new Date()): Promise<{ id: string; token: string } | null> {
    const id = crypto.randomUUID();
    const token = `d.${crypto.randomUUID()}`;
    try {
      await this.db('log_drains').insert({ id, app_id: appId, url, url_hash: hash(url), token, created_at: now });
    } catch (error) {
      if (/unique|duplicate/i.test(String((error as Error).message))) return null;
      throw error;
    }
    return { id, token };
  }

  async remove(appId: number, id: string): Promise<boolean> {
    return (await this.db('log_drains').where({ app_id: appId, id }).delete()) > 0;
  }

  async count(appId: number): Promise<number> {
    const row = await this.db('log_drains').where({ app_id: appId }).count({ n: '*' }).first();
    return Number((row as { n?: unknown } | undefined)?.n ?? 0);
  }
}

function fromRow(row: Record<string, unknown>): DrainRecord {
  return {
    id: String(row.id), app: String(row.app_name), appId: Number(row.app_id), url: String(row.url), token: String(row.token),
    createdAt: row.created_at instanceof Date ? row.created_at : new Date(String(row.created_at)),
  };
}

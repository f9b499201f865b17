import type { Knex } from 'knex';
import { SlipwayError } from '../../lib/errors';
import { DEFAULT_FORMATION, type App, type ConfigVars, type FormationEntry } from '../model';
import { appFromRow } from './rows';

export class AppsRepo {
  constructor(private readonly db: Knex) {}

  async create(name: string, now = new Date()): Promise<App> {
    return this.db.transaction(async (trx) => {
      const existing = await trx('apps').where({ name }).first();
      if (existing) throw new SlipwayError('app_exists', `An app named "${name}" already exists. Pick another name.`);
      const [id] = await trx('apps').insert({ name, config: '{}', current_release: null, created_at: now });
      const appId = Number(id);
      await trx('formation').insert(DEFAULT_FORMATION.map((f) => ({ app_id: appId, type: f.type, quantity: f.quantity })));
      return { id: appId, name, config: {}, currentRelease: null, createdAt: now };
    });
  }

  async find(name: string): Promise<App | null> {
    const row = await this.db('apps').where({ name }).first();
    return row ? appFromRow(row) : null;
  }

  async get(name: string): Promise<App> {
    const app = await this.find(name);
    if (!app) throw new SlipwayError('app_not_found', `Couldn't find an app named "${name}". Run \`slipway apps\` to list your apps.`);
    return app;
  }

  async list(): Promise<App[]> {
    const rows = await this.db('apps').orderBy('name');
    return rows.map(appFromRow);
  }

  async setConfig(appId: number, config: ConfigVars): Promise<void> {
    await this.db('apps').where({ id: appId }).update({ config: JSON.stringify(config) });
  }

  async formation(appId: number): Promise<FormationEntry[]> {
    const rows = await this.db('formation').where({ app_id: appId }).orderBy('type');
    return rows.map((r: Record<string, unknown>) => ({ type: String(r.type), quantity: Number(r.quantity) }));
  }

  /** Deletes the app and, through foreign keys, its builds, releases and formation. */
  async delete(appId: number): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('formation').where({ app_id: appId }).delete();
      await trx('releases').where({ app_id: appId }).delete();
      await trx('builds').where({ app_id: appId }).delete();
      await trx('apps').where({ id: appId }).delete();
    });
  }
}

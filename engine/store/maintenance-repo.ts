import type { Knex } from 'knex';

/** The maintenance flag of each app (migration 005). */
export class MaintenanceRepo {
  constructor(private readonly db: Knex) {}

  async get(appId: number): Promise<boolean> {
    const row = await this.db('apps').where({ id: appId }).first('maintenance') as { maintenance?: unknown } | undefined;
    // SQLite answers 0/1, MySQL a tinyint: anything truthy is on.
    return Boolean(row?.maintenance);
  }

  async set(appId: number, on: boolean): Promise<void> {
    await this.db('apps').where({ id: appId }).update({ maintenance: on });
  }
}

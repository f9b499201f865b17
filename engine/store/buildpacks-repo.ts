import type { Knex } from 'knex';

/** Each app's buildpacks, in order (table app_buildpacks, migration 004). */
export class BuildpacksRepo {
  constructor(private readonly db: Knex) {}

  async list(appId: number): Promise<string[]> {
    return this.read(this.db, appId);
  }

  /** Replaces the whole list (an empty list clears it). */
  async replace(appId: number, buildpacks: readonly string[]): Promise<void> {
    await this.update(appId, () => buildpacks);
  }

  /**
   * Reads the list, applies `change` and writes the result in one transaction, the app's row locked
   * (as ReleasesRepo.create does), so two concurrent changes never lose one another. `change` may throw.
   */
  async update(appId: number, change: (current: string[]) => readonly string[]): Promise<string[]> {
    return this.db.transaction(async (trx) => {
      await trx('apps').where({ id: appId }).forUpdate().first('id');
      const next = [...change(await this.read(trx, appId))];
      await trx('app_buildpacks').where({ app_id: appId }).delete();
      if (next.length > 0) {
        await trx('app_buildpacks').insert(next.map((buildpack, index) => ({ app_id: appId, position: index + 1, buildpack })));
      }
      return next;
    });
  }

  private async read(db: Knex, appId: number): Promise<string[]> {
    const rows = await db('app_buildpacks').where({ app_id: appId }).orderBy('position');
    return rows.map((row: { buildpack: unknown }) => String(row.buildpack));
  }
}

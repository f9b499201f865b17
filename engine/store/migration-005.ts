import type { Knex } from 'knex';

/** Maintenance mode per app (`maintenance:on`): the router answers 503 with a maintenance page, the app keeps running. */
export const appMaintenance = {
  name: '005_app_maintenance',
  async up(db: Knex): Promise<void> {
    await db.schema.alterTable('apps', (t) => {
      t.boolean('maintenance').notNullable().defaultTo(false);
    });
  },
  async down(db: Knex): Promise<void> {
    await db.schema.alterTable('apps', (t) => {
      t.dropColumn('maintenance');
    });
  },
};

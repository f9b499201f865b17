import type { Knex } from 'knex';

/** Process sizes in the formation, and the app.json a build carried (health checks, formation, scripts). */
export const formationSizesAndAppJson = {
  name: '002_formation_sizes_app_json',
  async up(db: Knex): Promise<void> {
    await db.schema.alterTable('formation', (t) => {
      t.integer('memory_mb').notNullable().defaultTo(512);
      t.float('cpu').notNullable().defaultTo(0.5);
    });
    await db.schema.alterTable('builds', (t) => {
      t.text('app_json').nullable();
    });
  },
  async down(db: Knex): Promise<void> {
    await db.schema.alterTable('formation', (t) => {
      t.dropColumn('memory_mb');
      t.dropColumn('cpu');
    });
    await db.schema.alterTable('builds', (t) => {
      t.dropColumn('app_json');
    });
  },
};

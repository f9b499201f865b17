import type { Knex } from 'knex';

function mysqlTable(db: Knex, t: Knex.CreateTableBuilder): void {
  if ((db.client as { dialect?: string }).dialect !== 'mysql') return;
  t.engine('InnoDB');
  t.charset('utf8mb4');
  t.collate('utf8mb4_bin');
}

/**
 * Add-ons (docs/addons.md): the servers (or external URLs) a team runs, their attachments to apps,
 * app-to-app links, backups and backup schedules. `team_id` has no foreign key here: teams come
 * with migration 006 (identity), and an installation may run this one first.
 */
export const addons = {
  name: '007_addons',
  async up(db: Knex): Promise<void> {
    await db.schema.createTable('addons', (t) => {
      mysqlTable(db, t);
      t.increments('id');
      t.string('name', 63).notNullable().unique();
      t.string('kind', 16).notNullable();
      t.string('plan', 16).notNullable();
      t.integer('team_id').notNullable();
      t.string('state', 16).notNullable();
      t.string('health', 16).notNullable();
      t.text('state_reason').nullable();
      t.text('secret').notNullable(); // sealed JSON: credentials (current, previous) and endpoint, or an external URL
      t.datetime('created_at', { precision: 3 }).notNullable();
      t.index(['team_id']);
      t.index(['state']);
    });
    await db.schema.createTable('addon_attachments', (t) => {
      mysqlTable(db, t);
      t.increments('id');
      t.integer('addon_id').unsigned().notNullable().references('addons.id').onDelete('CASCADE');
      t.integer('app_id').unsigned().notNullable().references('apps.id').onDelete('CASCADE');
      t.string('name', 40).notNullable();
      t.text('config_keys').notNullable(); // JSON array of the config vars it owns on the app
      t.datetime('created_at', { precision: 3 }).notNullable();
      t.unique(['app_id', 'name']);
      t.index(['addon_id']);
    });
    await db.schema.createTable('app_links', (t) => {
      mysqlTable(db, t);
      t.increments('id');
      t.integer('app_id').unsigned().notNullable().references('apps.id').onDelete('CASCADE');
      t.integer('target_app_id').unsigned().notNullable().references('apps.id').onDelete('CASCADE');
      t.string('name', 40).notNullable();
      t.string('config_key', 64).notNullable();
      t.datetime('created_at', { precision: 3 }).notNullable();
      t.unique(['app_id', 'name']);
      t.unique(['app_id', 'target_app_id']);
    });
    await db.schema.createTable('addon_backups', (t) => {
      mysqlTable(db, t);
      t.increments('id');
      t.integer('addon_id').unsigned().notNullable().references('addons.id').onDelete('CASCADE');
      t.integer('number').notNullable();
      t.string('status', 16).notNullable();
      t.string('origin', 16).notNullable();
      t.bigInteger('size_bytes').nullable();
      t.integer('duration_ms').nullable();
      t.datetime('started_at', { precision: 3 }).nullable();
      t.datetime('finished_at', { precision: 3 }).nullable();
      t.text('error').nullable();
      t.text('counts').nullable(); // JSON: what the dump holds (tables → rows, dbs → keys)
      t.datetime('created_at', { precision: 3 }).notNullable();
      t.unique(['addon_id', 'number']);
    });
    await db.schema.createTable('addon_backup_schedules', (t) => {
      mysqlTable(db, t);
      t.integer('addon_id').unsigned().primary().references('addons.id').onDelete('CASCADE');
      t.string('at', 5).notNullable();
      t.integer('keep').notNullable();
      t.datetime('last_run_at', { precision: 3 }).nullable();
    });
  },
  async down(db: Knex): Promise<void> {
    for (const table of ['addon_backup_schedules', 'addon_backups', 'app_links', 'addon_attachments', 'addons']) {
      await db.schema.dropTableIfExists(table);
    }
  },
};

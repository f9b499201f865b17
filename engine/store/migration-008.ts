import type { Knex } from 'knex';

/**
 * Log drains (`drains:add`): where an app's log stream is also sent. The URL is sealed (it may
 * carry credentials: https://user:password@…); the token is the `Logplex-Drain-Token` sent with
 * each HTTPS batch, so the receiver knows which drain it came from.
 */
export const logDrains = {
  name: '008_log_drains',
  async up(db: Knex): Promise<void> {
    await db.schema.createTable('log_drains', (t) => {
      if ((db.client as { dialect?: string }).dialect === 'mysql') {
        t.engine('InnoDB');
        t.charset('utf8mb4');
        t.collate('utf8mb4_bin');
      }
      t.string('id', 40).primary();
      t.integer('app_id').unsigned().notNullable().references('apps.id').onDelete('CASCADE');
      t.text('url').notNullable();
      t.string('url_hash', 64).notNullable();
      t.string('token', 64).notNullable();
      t.datetime('created_at', { precision: 3 }).notNullable();
      t.unique(['app_id', 'url_hash']);
    });
  },
  async down(db: Knex): Promise<void> {
    await db.schema.dropTableIfExists('log_drains');
  },
};

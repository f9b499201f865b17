import type { Knex } from 'knex';

/**
 * Persistent volumes (`storage:mount`, docs/storage.md): one row per (app, process type, path).
 * `volume` is the Docker volume's name, derived by Slipway (never user input) and fixed at the
 * first mount, so apps:rename and apps:transfer keep the data. `mounted` is false after an
 * unmount that kept the data: a later mount of the same path and type gets the same volume back.
 */
export const storageVolumes = {
  name: '011_storage_volumes',
  async up(db: Knex): Promise<void> {
    await db.schema.createTable('app_volumes', (t) => {
      if ((db.client as { dialect?: string }).dialect === 'mysql') {
        t.engine('InnoDB');
        t.charset('utf8mb4');
        t.collate('utf8mb4_bin');
      }
      t.increments('id');
      t.integer('app_id').unsigned().notNullable().references('apps.id').onDelete('CASCADE');
      t.string('process_type', 30).notNullable();
      t.string('path', 200).notNullable();
      t.string('volume', 150).notNullable().unique();
      t.integer('size_mb').nullable();
      t.boolean('mounted').notNullable();
      t.datetime('created_at', { precision: 3 }).notNullable();
      t.unique(['app_id', 'process_type', 'path']);
    });
  },
  async down(db: Knex): Promise<void> {
    await db.schema.dropTableIfExists('app_volumes');
  },
};

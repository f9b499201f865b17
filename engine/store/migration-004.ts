import type { Knex } from 'knex';

/**
 * Buildpacks chosen per app (`buildpacks:set`/`add`, app.json's on the first deploy), in order; and
 * what each build records beyond the image: its size, the image it was imported from (`deploy
 * --image`), the buildpacks that built it.
 */
export const buildpacksAndImageSizes = {
  name: '004_buildpacks_image_sizes',
  async up(db: Knex): Promise<void> {
    await db.schema.createTable('app_buildpacks', (t) => {
      if ((db.client as { dialect?: string }).dialect === 'mysql') {
        t.engine('InnoDB');
        t.charset('utf8mb4');
        t.collate('utf8mb4_bin');
      }
      t.integer('app_id').unsigned().notNullable().references('apps.id').onDelete('CASCADE');
      t.integer('position').notNullable();
      t.string('buildpack', 1000).notNullable();
      t.primary(['app_id', 'position']);
    });
    await db.schema.alterTable('builds', (t) => {
      t.bigInteger('image_size').nullable();
      t.string('source_image', 500).nullable();
      t.text('buildpacks').nullable(); // JSON list of what built it, e.g. ["nodejs"]
    });
  },
  async down(db: Knex): Promise<void> {
    await db.schema.dropTableIfExists('app_buildpacks');
    await db.schema.alterTable('builds', (t) => {
      t.dropColumn('image_size');
      t.dropColumn('source_image');
      t.dropColumn('buildpacks');
    });
  },
};

import type { Knex } from 'knex';

/**
 * The deploy timeline (engine/deploy-timeline.ts): one row per deploy (push, image deploy, config
 * change, rollback) and one per phase of it, written as the phase moves, so a live view reads a
 * running phase. Failure lines are kept with the phase (JSON array of text).
 */
export const deployPhases = {
  name: '010_deploy_phases',
  async up(db: Knex): Promise<void> {
    const mysql = (db.client as { dialect?: string }).dialect === 'mysql';
    await db.schema.createTable('deploys', (t) => {
      if (mysql) { t.engine('InnoDB'); t.charset('utf8mb4'); t.collate('utf8mb4_bin'); }
      t.increments('id');
      t.integer('app_id').unsigned().notNullable().references('apps.id').onDelete('CASCADE');
      t.string('kind', 16).notNullable();
      t.string('status', 16).notNullable();
      t.string('commit', 40).nullable();
      t.string('build_id', 40).nullable();
      t.integer('release_version').nullable();
      t.string('created_by', 64).nullable();
      t.datetime('started_at', { precision: 3 }).notNullable();
      t.datetime('ended_at', { precision: 3 }).nullable();
      t.text('reason').nullable();
      t.index(['app_id', 'id']);
      t.index(['app_id', 'release_version']);
      t.index(['build_id']);
    });
    await db.schema.createTable('deploy_phases', (t) => {
      if (mysql) { t.engine('InnoDB'); t.charset('utf8mb4'); t.collate('utf8mb4_bin'); }
      t.integer('deploy_id').unsigned().notNullable().references('deploys.id').onDelete('CASCADE');
      t.string('name', 20).notNullable();
      t.integer('position').notNullable();
      t.string('outcome', 10).notNullable();
      t.datetime('started_at', { precision: 3 }).nullable();
      t.datetime('ended_at', { precision: 3 }).nullable();
      t.string('detail', 300).nullable();
      t.text('reason').nullable();
      t.text('lines').notNullable();
      t.primary(['deploy_id', 'name']);
    });
  },
  async down(db: Knex): Promise<void> {
    await db.schema.dropTableIfExists('deploy_phases');
    await db.schema.dropTableIfExists('deploys');
  },
};

/**
 * Schema migrations, in code so they ship inside the compiled build (no migrations folder to find).
 * Never edit a released migration: add a new one.
 */
import type { Knex } from 'knex';

interface Migration {
  name: string;
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

const initial: Migration = {
  name: '001_initial',
  async up(db) {
    await db.schema.createTable('users', (t) => {
      t.increments('id');
      t.string('name', 64).notNullable().unique();
      t.timestamp('created_at').notNullable();
    });
    await db.schema.createTable('api_tokens', (t) => {
      t.increments('id');
      t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE');
      t.string('token_hash', 64).notNullable().unique();
      t.timestamp('created_at').notNullable();
    });
    await db.schema.createTable('ssh_keys', (t) => {
      t.increments('id');
      t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE');
      t.string('name', 200).notNullable();
      t.string('fingerprint', 100).notNullable().unique();
      t.text('public_key').notNullable();
      t.timestamp('created_at').notNullable();
    });
    await db.schema.createTable('apps', (t) => {
      t.increments('id');
      t.string('name', 30).notNullable().unique();
      t.text('config').notNullable(); // JSON object of the current config vars
      t.integer('current_release').nullable();
      t.timestamp('created_at').notNullable();
    });
    await db.schema.createTable('builds', (t) => {
      t.string('id', 40).primary();
      t.integer('app_id').unsigned().notNullable().references('apps.id').onDelete('CASCADE');
      t.string('status', 16).notNullable();
      t.string('commit', 40).notNullable();
      t.string('image', 300).nullable();
      t.string('digest', 100).nullable();
      t.text('process_types').notNullable(); // JSON {type: command}
      t.text('log', 'mediumtext').notNullable();
      t.integer('duration_ms').nullable();
      t.timestamp('created_at').notNullable();
    });
    await db.schema.createTable('releases', (t) => {
      t.increments('id');
      t.integer('app_id').unsigned().notNullable().references('apps.id').onDelete('CASCADE');
      t.integer('version').notNullable();
      t.string('build_id', 40).nullable().references('builds.id');
      t.text('config').notNullable(); // JSON snapshot of config vars
      t.string('description', 300).notNullable();
      t.string('status', 16).notNullable();
      t.text('failure_reason').nullable();
      t.timestamp('created_at').notNullable();
      t.unique(['app_id', 'version']);
    });
    await db.schema.createTable('formation', (t) => {
      t.integer('app_id').unsigned().notNullable().references('apps.id').onDelete('CASCADE');
      t.string('type', 64).notNullable();
      t.integer('quantity').notNullable();
      t.primary(['app_id', 'type']);
    });
  },
  async down(db) {
    for (const table of ['formation', 'releases', 'builds', 'apps', 'ssh_keys', 'api_tokens', 'users']) {
      await db.schema.dropTableIfExists(table);
    }
  },
};

const migrations: Migration[] = [initial];

export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => migrations,
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};

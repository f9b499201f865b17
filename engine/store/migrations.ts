/**
 * Schema migrations, in code so they ship inside the compiled build (no migrations folder to find).
 * Never edit a released migration: add a new one.
 */
import type { Knex } from 'knex';
import { formationSizesAndAppJson } from './migration-002';
import { domainsAndCerts } from './migration-003';
import { buildpacksAndImageSizes } from './migration-004';
import { appMaintenance } from './migration-005';
import { identity } from './migration-006';
import { addons } from './migration-007';
import { consoleSessions } from './migration-009';
import { logDrains } from './migration-008';
import { deployPhases } from './migration-010';
import { storageVolumes } from './migration-011';

export interface Migration {
  name: string;
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

/**
 * MySQL/MariaDB tables: InnoDB (foreign keys, transactions) in utf8mb4 with binary comparison, so
 * names, fingerprints and token hashes compare and sort exactly as in SQLite (case-sensitively).
 * The longest unique key, a varchar(100), takes 400 bytes: within InnoDB's limits on any row format.
 */
function mysqlTable(db: Knex, t: Knex.CreateTableBuilder): void {
  if ((db.client as { dialect?: string }).dialect !== 'mysql') return;
  t.engine('InnoDB');
  t.charset('utf8mb4');
  t.collate('utf8mb4_bin');
}

/** Milliseconds kept: datetime(3) on MySQL (a bare timestamp drops them); SQLite's datetime, as before. */
function createdAt(t: Knex.CreateTableBuilder): void {
  t.datetime('created_at', { precision: 3 }).notNullable();
}

const initial: Migration = {
  name: '001_initial',
  async up(db) {
    await db.schema.createTable('users', (t) => {
      mysqlTable(db, t);
      t.increments('id');
      t.string('name', 64).notNullable().unique();
      createdAt(t);
    });
    await db.schema.createTable('api_tokens', (t) => {
      mysqlTable(db, t);
      t.increments('id');
      t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE');
      t.string('token_hash', 64).notNullable().unique();
      createdAt(t);
    });
    await db.schema.createTable('ssh_keys', (t) => {
      mysqlTable(db, t);
      t.increments('id');
      t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE');
      t.string('name', 200).notNullable();
      t.string('fingerprint', 100).notNullable().unique();
      t.text('public_key').notNullable();
      createdAt(t);
    });
    await db.schema.createTable('apps', (t) => {
      mysqlTable(db, t);
      t.increments('id');
      t.string('name', 30).notNullable().unique();
      t.text('config').notNullable(); // JSON object of the current config vars
      t.integer('current_release').nullable();
      createdAt(t);
    });
    await db.schema.createTable('builds', (t) => {
      mysqlTable(db, t);
      t.string('id', 40).primary();
      t.integer('app_id').unsigned().notNullable().references('apps.id').onDelete('CASCADE');
      t.string('status', 16).notNullable();
      t.string('commit', 40).notNullable();
      t.string('image', 300).nullable();
      t.string('digest', 100).nullable();
      t.text('process_types').notNullable(); // JSON {type: command}
      t.text('log', 'mediumtext').notNullable();
      t.integer('duration_ms').nullable();
      createdAt(t);
    });
    await db.schema.createTable('releases', (t) => {
      mysqlTable(db, t);
      t.increments('id');
      t.integer('app_id').unsigned().notNullable().references('apps.id').onDelete('CASCADE');
      t.integer('version').notNullable();
      t.string('build_id', 40).nullable().references('builds.id');
      t.text('config').notNullable(); // JSON snapshot of config vars
      t.string('description', 300).notNullable();
      t.string('status', 16).notNullable();
      t.text('failure_reason').nullable();
      createdAt(t);
      t.unique(['app_id', 'version']);
    });
    await db.schema.createTable('formation', (t) => {
      mysqlTable(db, t);
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

const migrations: Migration[] = [initial, formationSizesAndAppJson, domainsAndCerts, buildpacksAndImageSizes, appMaintenance, identity,
  addons, logDrains, consoleSessions, deployPhases, storageVolumes];

export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => migrations,
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};

/** Opens the store: SQLite (embedded default, a file in the state dir) or MySQL/MariaDB via knex. */
import fs from 'node:fs';
import path from 'node:path';
import knex, { Knex } from 'knex';
import { SlipwayError } from '../../lib/errors';
import { migrationSource } from './migrations';

export type Database = Knex;

export function connectionFor(databaseUrl: string): Knex.Config {
  if (databaseUrl.startsWith('sqlite://')) {
    // Taken as is, not parsed as a URL: a state dir may contain '#', '?' or '%'.
    const filename = databaseUrl.slice('sqlite://'.length);
    if (filename !== ':memory:') fs.mkdirSync(path.dirname(filename), { recursive: true });
    return {
      client: 'better-sqlite3',
      connection: { filename },
      useNullAsDefault: true,
      // SQLite enforces foreign keys only when asked, per connection.
      pool: { afterCreate: (conn: { pragma(s: string): void }, done: () => void) => {
        conn.pragma('foreign_keys = ON');
        conn.pragma('journal_mode = WAL');
        conn.pragma('busy_timeout = 5000');
        done();
      } },
    };
  }
  if (databaseUrl.startsWith('mysql://')) {
    return { client: 'mysql2', connection: databaseUrl, pool: { min: 0, max: 10 } };
  }
  throw new SlipwayError('invalid_config', `SLIPWAY_DATABASE_URL must start with sqlite:// or mysql:// (got ${databaseUrl.split('://')[0]}://…)`);
}

export async function openDatabase(databaseUrl: string): Promise<Database> {
  const db = knex(connectionFor(databaseUrl));
  await db.migrate.latest({ migrationSource });
  return db;
}

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
    return {
      client: 'mysql2',
      connection: mysqlConnection(databaseUrl),
      // Every session in UTC, like the driver's dates (timezone 'Z' below), whatever the server's zone.
      pool: { min: 0, max: 10, afterCreate: (conn: MysqlConnection, done: (error: Error | null, conn: MysqlConnection) => void) => {
        conn.query("SET time_zone = '+00:00'", (error) => done(error, conn));
      } },
    };
  }
  throw new SlipwayError('invalid_config', `SLIPWAY_DATABASE_URL must start with sqlite:// or mysql:// (got ${databaseUrl.split('://')[0]}://…)`);
}

interface MysqlConnection {
  query(sql: string, callback: (error: Error | null) => void): void;
}

/**
 * mysql://user:password@host:port/database?option=value, as mysql2 options. User and password may be
 * percent-encoded. Dates travel as UTC ('Z'): datetime columns hold UTC, so a Date comes back as the
 * same instant whatever the time zone of Slipway's host or of the server.
 */
function mysqlConnection(databaseUrl: string): Knex.MySql2ConnectionConfig {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new SlipwayError('invalid_config', 'SLIPWAY_DATABASE_URL is not a valid mysql://user:password@host:port/database URL');
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!url.hostname || !database || database.includes('/')) {
    throw new SlipwayError('invalid_config', 'SLIPWAY_DATABASE_URL must name a host and a database: mysql://user:password@host:port/database');
  }
  const options: Record<string, string | number | boolean> = {};
  for (const [key, value] of url.searchParams) {
    options[key] = value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value;
  }
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database,
    charset: 'utf8mb4',
    timezone: 'Z',
    ...options,
  } as Knex.MySql2ConnectionConfig;
}

export async function openDatabase(databaseUrl: string): Promise<Database> {
  const db = knex(connectionFor(databaseUrl));
  try {
    await db.migrate.latest({ migrationSource });
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

/** Opens the store: SQLite (embedded default, a file in the state dir) or MySQL/MariaDB via knex. */
import fs from 'node:fs';
import path from 'node:path';
import knex, { Knex } from 'knex';
import { SlipwayError } from '../../lib/errors';
import { generateSecretKey, SecretBox } from '../../lib/secret-box';
import { readSecretBox, writeKeyFile } from '../../lib/secrets-key-file';
import { migrationSource } from './migrations';
import { attachSecretBox, hasSealedValues, resealAll } from './secret-columns';

export type Database = Knex;

export function connectionFor(databaseUrl: string): Knex.Config {
  if (databaseUrl.startsWith('sqlite://')) {
    // Taken as is, not parsed as a URL: a state dir may contain '#', '?' or '%'.
    const filename = databaseUrl.slice('sqlite://'.length);
    if (filename !== ':memory:') ownerOnlyDatabaseFile(filename);
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

/**
 * The SQLite file and its -wal and -shm (which SQLite creates with the database file's mode) are
 * readable by their owner only: they hold config values and private keys (sealed, and still nobody
 * else's business). Made so when missing, and put right on an installation from before.
 */
function ownerOnlyDatabaseFile(filename: string): void {
  fs.mkdirSync(path.dirname(filename), { recursive: true, mode: 0o700 });
  fs.closeSync(fs.openSync(filename, 'a', 0o600));
  for (const file of [filename, `${filename}-wal`, `${filename}-shm`, `${filename}-journal`]) {
    try {
      fs.chmodSync(file, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/**
 * How the store seals its secrets: the key file (the platform: SLIPWAY_SECRETS_KEY_FILE), or a box
 * given as is. Without either (tests of the store alone), a key made for this process only.
 */
export type SecretsSource = { readonly keyFile: string } | SecretBox;

/**
 * Opens the store, brings its schema up to date and seals any plaintext secret left by an earlier
 * version (engine/store/secret-columns.ts). With a key file that does not exist yet, it is created,
 * unless the database already holds sealed values: then the key that sealed them is missing and
 * opening fails, saying so (nothing would be readable).
 */
export async function openDatabase(databaseUrl: string, secrets: SecretsSource = new SecretBox(generateSecretKey(), [], 'a key of this process only')): Promise<Database> {
  const db = knex(connectionFor(databaseUrl));
  try {
    await db.migrate.latest({ migrationSource });
    const box = secrets instanceof SecretBox ? secrets : await keyFileBox(db, secrets.keyFile);
    await resealAll(db, box, box);
    attachSecretBox(db, box);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

async function keyFileBox(db: Knex, keyFile: string): Promise<SecretBox> {
  const box = readSecretBox(keyFile);
  if (box !== null) return box;
  if (await hasSealedValues(db)) {
    throw new SlipwayError('secrets_unreadable',
      `The secrets key file ${keyFile} is missing, and the database holds config values and private keys sealed with it: restore the file from your backup (docs/security.md). Slipway will not start without it.`);
  }
  // A new installation (or one from before sealing): setup normally made the key already.
  writeKeyFile(keyFile, generateSecretKey());
  const created = readSecretBox(keyFile);
  if (created === null) throw new SlipwayError('secrets_unreadable', `The secrets key file ${keyFile} could not be created.`);
  return created;
}

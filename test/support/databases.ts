/**
 * The store's backends for tests: each test gets a fresh, empty database of its own.
 * - SQLite: a file in a new temporary folder, removed afterwards.
 * - MySQL/MariaDB: a new database `slipway_t_<random>` on the server of SLIPWAY_TEST_MYSQL_URL,
 *   created by the test and dropped afterwards. scripts/start-services starts that server and lets
 *   its test user create and drop databases named slipway_t_*.
 * When MariaDB does not answer, creating a MySQL database fails (tests never skip it), saying how to start it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { connectionFor } from '../../engine/store/database';

/**
 * The MariaDB that scripts/start-services creates. slipway/slipway is a local, test-only credential:
 * that user reaches only the slipway_test and slipway_t_* databases of a server bound to 127.0.0.1.
 */
export function mysqlTestUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.SLIPWAY_TEST_MYSQL_URL || `mysql://slipway:slipway@127.0.0.1:${env.SLIPWAY_MARIADB_PORT || '3306'}/slipway_test`;
}

export interface TestDatabase {
  /** What SLIPWAY_DATABASE_URL would be for this database. */
  readonly url: string;
  /** The SQLite file, or null on MySQL. */
  readonly file: string | null;
  /** Removes the database and everything in it. */
  drop(): Promise<void>;
}

export interface TestBackend {
  readonly name: 'SQLite' | 'MySQL';
  /** A new, empty database nobody else uses. */
  create(): Promise<TestDatabase>;
}

const sqlite: TestBackend = {
  name: 'SQLite',
  async create() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-store-'));
    const file = path.join(dir, 'db.sqlite3');
    return {
      url: `sqlite://${file}`,
      file,
      async drop() {
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** The URL without its password, for messages. */
function redacted(url: string): string {
  return url.replace(/^(mysql:\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

function reason(error: unknown): string {
  const { message, code } = error as { message?: string; code?: string };
  return [code, message].filter(Boolean).join(' ') || String(error);
}

/** Runs one statement on the test server over a connection of its own. */
async function onTestServer(baseUrl: string, sql: string): Promise<void> {
  let connection: mysql.Connection;
  try {
    connection = await mysql.createConnection(connectionFor(baseUrl).connection as mysql.ConnectionOptions);
  } catch (error) {
    throw new Error(
      `MariaDB/MySQL is not reachable at ${redacted(baseUrl)} (SLIPWAY_TEST_MYSQL_URL): ${reason(error)}. ` +
      'Run scripts/start-services (as root) to start it; scripts/install installs it.',
    );
  }
  try {
    await connection.query(sql);
  } finally {
    await connection.end();
  }
}

const mysqlBackend: TestBackend = {
  name: 'MySQL',
  async create() {
    const baseUrl = mysqlTestUrl();
    const name = `slipway_t_${crypto.randomBytes(6).toString('hex')}`;
    await onTestServer(baseUrl, `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
    const url = new URL(baseUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      file: null,
      async drop() {
        await onTestServer(baseUrl, `DROP DATABASE IF EXISTS \`${name}\``);
      },
    };
  },
};

/** Every backend the store runs on; store tests run once per entry. */
export const backends: readonly TestBackend[] = [sqlite, mysqlBackend];

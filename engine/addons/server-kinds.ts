/**
 * How each kind of server is driven from inside its container (docker exec): readiness, users,
 * dumps, restores and counts. Every command is an argument array; SQL and Redis commands travel on
 * stdin, so passwords never appear on a command line, in `docker inspect` or in a process list.
 * Credentials reach this module already checked against a strict alphabet (validCredentials), so
 * they are placed into statements without quoting games.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipped } from './backup-files';
import { ChildFailed } from './child-streams';
import type { ExecFn, ExecRequest, ExecResult } from './docker-exec';
import { noDumpPipes, type DumpPipes, type InPipe } from './dump-pipe';
import { MysqlDumpCounter, PgDumpCounter, RdbCounter } from './dump-counts';
import { generateCredentials, type AddonCredentials, type AddonKind, type BackupInput, type DataCounts } from './kinds';
import type { ToolFn } from './tool-containers';

export const DATA_DIR = '/var/lib/slipway-addon';
/** Written once the add-on's database and first credentials exist (ensure does it only once). */
export const INIT_MARKER = `${DATA_DIR}/.slipway-initialised`;
const SPOOL = `${DATA_DIR}/.slipway-restore`;
/** Where MariaDB loads a backup before the live database is replaced (no app account may use it). */
const MYSQL_STAGING = 'slipway__restore';

/** The command that writes a consistent dump of the database to its stdout, and what it makes. */
export interface DumpCommand {
  user: string;
  cmd: string[];
  format: string;
}

export interface RestoreOptions {
  /**
   * true: the dump is read through this process and what it holds counted (a verification
   * needs the counts); false: the fastest way the kind has, which may answer null.
   */
  count: boolean;
}

export interface ServerKind {
  kind: AddonKind;
  /** The server's unprivileged user, which the container and most execs run as. */
  user: string;
  port: number;
  /** Docker's HEALTHCHECK command. */
  healthcheck: string[];
  ready(container: string): Promise<boolean>;
  /** Creates the database and the first credentials; safe to repeat. */
  initialise(container: string, database: string, credentials: AddonCredentials): Promise<void>;
  addCredentials(container: string, database: string, credentials: AddonCredentials): Promise<void>;
  revokeCredentials(container: string, database: string, credentials: AddonCredentials): Promise<void>;
  dumpCommand(database: string): DumpCommand;
  /**
   * Replaces the data with a backup (gzip); rejects a backup that is corrupt, incomplete (no
   * completion mark) or fails to load before touching the data. Answers the counts of what the
   * dump held when asked to count.
   */
  restore(container: string, database: string, input: BackupInput, options: RestoreOptions): Promise<DataCounts | null>;
  counts(container: string, database: string): Promise<DataCounts>;
}

/** Runs a command and fails with its stderr (secrets in it redacted) unless it exits with 0. */
async function run(exec: ExecFn, container: string, request: ExecRequest, what: string, secrets: string[] = []): Promise<ExecResult> {
  const result = await exec(container, request);
  if (result.exitCode !== 0) {
    let detail = result.stderr.trim() || result.stdout.trim().slice(-2000);
    for (const secret of secrets) if (secret) detail = detail.split(secret).join('[redacted]');
    throw new Error(`${what} failed (exit ${result.exitCode}): ${detail.slice(-2000)}`);
  }
  return result;
}

/** Writes `dump` into the volume through `counter`, which must find the tool's completion line. */
async function spool(
  exec: ExecFn, container: string, user: string, dump: Readable,
  counter: Transform & { complete: boolean }, what: string,
): Promise<void> {
  const passing = new PassThrough();
  const feeding = pipeline(dump, counter, passing);
  const writing = run(exec, container, { user, cmd: ['sh', '-c', 'umask 077; cat > "$1"', 'sh', SPOOL], stdin: passing }, `${what}: uploading the backup`);
  const [fed, written] = await Promise.allSettled([feeding, writing]);
  if (fed.status === 'rejected') throw new Error(`${what}: the backup could not be read: ${(fed.reason as Error).message}`);
  if (written.status === 'rejected') throw written.reason;
  if (!counter.complete) {
    await removeSpool(exec, container, user);
    throw new Error(`${what}: the backup is incomplete (it does not end with its dump tool's completion mark)`);
  }
}

async function removeSpool(exec: ExecFn, container: string, user: string): Promise<void> {
  await exec(container, { user, cmd: ['rm', '-f', SPOOL] });
}

/**
 * Feeds `dump` through `counter` to a command as it is read (through a named pipe in the volume
 * when there is one, as dumps come out, else the command's stdin); fails when the dump did not
 * end with its tool's completion mark (checked before the command's own outcome: a cut dump is
 * what explains a failed load).
 */
async function streamInto(
  exec: ExecFn, pipes: DumpPipes, container: string, request: { user: string; cmd: (input: string) => string[] },
  dump: Readable, counter: Transform & { complete: boolean }, what: string, prepare: () => Promise<unknown>,
): Promise<void> {
  const passing = new PassThrough();
  // The feed is set up before anything else is awaited: a corrupt gzip fails at once, and its
  // error needs a listener then.
  const feeding = pipeline(dump, counter, passing);
  let feedFailed = false;
  feeding.catch(() => { feedFailed = true; }); // handled below, maybe after a failure arrived
  const stoppedReading = new Error('the server stopped reading the backup');
  let pipe: InPipe | null = null;
  try {
    pipe = await pipes.in(container, request.user, DATA_DIR);
    await prepare();
  } catch (error) {
    passing.destroy(stoppedReading);
    await pipe?.release();
    await feeding.catch(() => undefined);
    throw error;
  }
  if (pipe) {
    // A feed that fails (a corrupt or cut backup) still ends the pipe, so the command reading
    // it sees an end instead of waiting for ever; the checks below then refuse the backup.
    const into = pipe.stream;
    if (feedFailed) into.end();
    else {
      passing.pipe(into);
      feeding.catch(() => into.end());
    }
  }
  const input = pipe ? { cmd: request.cmd(pipe.pathInContainer) } : { cmd: request.cmd('-'), stdin: passing };
  // A command that stops reading (it failed) must not leave the feed waiting for ever.
  const loading = run(exec, container, { user: request.user, ...input }, what).finally(async () => {
    await pipe?.release();
    if (!passing.writableFinished) passing.destroy(stoppedReading);
  });
  const [fed, loaded, handed] = await Promise.allSettled([feeding, loading, pipe?.done]);
  if (fed.status === 'rejected' && fed.reason === stoppedReading) throw loaded.status === 'rejected' ? loaded.reason : new Error(`${what}: ${stoppedReading.message}`);
  if (fed.status === 'rejected') throw new Error(`${what}: the backup could not be read: ${(fed.reason as Error).message}`);
  if (!counter.complete) throw new Error(`${what}: the backup is incomplete (it does not end with its dump tool's completion mark)`);
  if (loaded.status === 'rejected') throw loaded.reason;
  // Everything counted must also have reached the command, not only left this process.
  if (handed.status === 'rejected') throw new Error(`${what}: ${(handed.reason as Error).message}`);
}

/**
 * PostgreSQL's fastest restore of a verified backup file: a gzip of Slipway's own uncompresses it
 * into the volume's pipe (dump-pipe.ts, `fromFile`; its completion mark was checked by the
 * verification, and gzip's checksum proves the file unchanged since) and the loading psql runs in
 * a tool container beside the server (tool-containers.ts), under a CPU quota of its own, logging
 * in over the server's loopback as a role made for this load alone (its password in a file of
 * the volume, never on a command line or in the container's configuration). Inside the server's
 * container psql took part of the quota the server needs to load the rows, and reading the dump
 * through Slipway (or tee) to look for the mark again cost 2 s of a 13 s load (docs/benchmarks.md).
 * Once the load passed, `swap` makes it the live data (beside the load's clean-up). Answers false,
 * having done nothing, when the host cannot reach the volume.
 */
async function loadFileBeside(
  exec: ExecFn, pipes: DumpPipes, tools: ToolFn, container: string, user: string, database: string,
  file: string, prepare: () => Promise<unknown>, swap: () => Promise<unknown>,
): Promise<boolean> {
  const pipe = await pipes.fromFile(container, user, DATA_DIR, file);
  if (!pipe) return false;
  const role = `slipway_load_${randomBytes(8).toString('hex')}`;
  const { password } = generateCredentials('load');
  const passFile = `${DATA_DIR}/.slipway-pgpass-${randomBytes(8).toString('hex')}`;
  const superuser = (text: string, what: string): Promise<ExecResult> =>
    run(exec, container, { user, cmd: ['psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', '/run/postgresql', '-d', 'postgres'], stdin: text }, what, [password]);
  // The feed ends (a psql that never opened the pipe leaves gzip waiting for a reader), and
  // neither the role nor its password outlive the load.
  const finish = () => Promise.allSettled([
    pipe.release().then(() => pipe.uncompressed),
    exec(container, { user, cmd: ['rm', '-f', passFile] }),
    superuser(`DROP ROLE IF EXISTS ${role};\n`, 'restore: removing the load\'s role'),
  ]);
  let loaded: ExecResult;
  let ready: Promise<void> = Promise.resolve();
  try {
    // Side by side, and beside the tool container's creation: each is a round trip to dockerd,
    // and one after the other they were a tenth of a 1 GB load.
    ready = Promise.allSettled([
      prepare(),
      superuser(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' IN ROLE slipway_owner;\n`, 'restore: making the load\'s role'),
      run(exec, container, { user, cmd: ['sh', '-c', 'umask 077; cat > "$0"', passFile], stdin: `127.0.0.1:*:*:${role}:${password}\n` },
        'restore: writing the load\'s password file'),
    ]).then((outcomes) => {
      const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (failed) throw failed.reason;
    });
    ready.catch(() => undefined); // the tool's runner awaits it; a failure to create the tool comes first
    loaded = await tools(container, {
      startAfter: ready,
      user,
      env: [`PGPASSFILE=${passFile}`, 'PGCONNECT_TIMEOUT=10'],
      cmd: ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-U', role, '-d', database,
        '--single-transaction', '-c', 'SET ROLE slipway_owner', '-f', pipe.pathInContainer],
    });
  } catch (error) {
    await ready.catch(() => undefined); // what it made is what finish() removes
    await finish();
    throw error;
  }
  const finishing = finish();
  try {
    // A backup that cannot be uncompressed explains a failed load best (psql saw its cut end).
    const [uncompressed] = await Promise.allSettled([pipe.uncompressed]);
    if (uncompressed.status === 'rejected' && !stoppedByReader(uncompressed.reason)) {
      throw new Error(`restore: the backup could not be read: ${(uncompressed.reason as Error).message}`);
    }
    if (loaded.exitCode !== 0) throw new Error(`restore: loading the dump failed (exit ${loaded.exitCode}): ${loaded.stderr.trim().slice(-2000)}`);
    if (uncompressed.status === 'rejected') throw new Error(`restore: ${(uncompressed.reason as Error).message}`);
    await swap();
  } finally {
    await finishing;
  }
  return true;
}

/** A feed process killed by SIGPIPE stopped because its reader (the loading command) did. */
function stoppedByReader(error: unknown): boolean {
  return error instanceof ChildFailed && error.signal === 'SIGPIPE';
}

export function postgresql(exec: ExecFn, pipes: DumpPipes = noDumpPipes, tools: ToolFn | null = null): ServerKind {
  const user = 'postgres';
  const psql = (database: string, extra: string[] = []): string[] =>
    ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '/run/postgresql', '-d', database, ...extra];
  const sql = (container: string, database: string, text: string, what: string, secrets: string[] = []): Promise<ExecResult> =>
    run(exec, container, { user, cmd: psql(database, ['-At']), stdin: text }, what, secrets);
  const exists = (table: string, column: string, name: string): string =>
    `NOT EXISTS (SELECT FROM ${table} WHERE ${column} = '${name}')`;

  const kind: ServerKind = {
    kind: 'postgresql',
    user,
    port: 5432,
    healthcheck: ['pg_isready', '-q', '-h', '/run/postgresql'],
    async ready(container) {
      return (await exec(container, { user, cmd: ['pg_isready', '-q', '-h', '/run/postgresql'] })).exitCode === 0;
    },
    async initialise(container, database, credentials) {
      // The database belongs to a role nobody logs in as; each credential's role acts as it
      // (SET role at login), so objects survive the rotation of the roles that created them.
      await sql(container, 'postgres', [
        `SELECT 'CREATE ROLE slipway_owner NOLOGIN' WHERE ${exists('pg_roles', 'rolname', 'slipway_owner')}\\gexec`,
        `SELECT 'CREATE DATABASE ${database} OWNER slipway_owner' WHERE ${exists('pg_database', 'datname', database)}\\gexec`,
        `REVOKE ALL ON DATABASE ${database} FROM PUBLIC;`,
        'REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;',
        'REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;',
        '',
      ].join('\n'), 'creating the database');
      await kind.addCredentials(container, database, credentials);
    },
    async addCredentials(container, _database, credentials) {
      await sql(container, 'postgres', [
        `SELECT 'CREATE ROLE ${credentials.user} LOGIN IN ROLE slipway_owner' WHERE ${exists('pg_roles', 'rolname', credentials.user)}\\gexec`,
        `ALTER ROLE ${credentials.user} WITH LOGIN PASSWORD '${credentials.password}';`,
        `ALTER ROLE ${credentials.user} SET role = 'slipway_owner';`,
        '',
      ].join('\n'), 'adding credentials', [credentials.password]);
    },
    async revokeCredentials(container, database, credentials) {
      const role = credentials.user;
      const guard = `WHERE EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}')`;
      await sql(container, database, [
        `SELECT 'ALTER ROLE ${role} NOLOGIN' ${guard}\\gexec`,
        `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = '${role}';`,
        `SELECT 'REASSIGN OWNED BY ${role} TO slipway_owner' ${guard}\\gexec`,
        `SELECT 'DROP OWNED BY ${role}' ${guard}\\gexec`,
        `SELECT 'DROP ROLE ${role}' ${guard}\\gexec`,
        '',
      ].join('\n'), 'revoking credentials');
    },
    dumpCommand(database) {
      return {
        user,
        cmd: ['pg_dump', '-h', '/run/postgresql', '--format=plain', '--no-owner', '--no-privileges', '--encoding=UTF8', '-d', database],
        format: 'pg_dump-plain+gzip',
      };
    },
    async restore(container, database, input, options) {
      const staging = `${database}__restore`;
      // Loaded beside the live database, streamed (no copy into the volume first: that second pass
      // doubled a restore's time); the live one is replaced only once the whole dump loaded and
      // ended with pg_dump's completion mark, so a failed or incomplete backup changes nothing.
      const old = `${database}__old`;
      const prepare = () => sql(container, 'postgres', [
        // The data a previous restore replaced, if its removal did not happen (see below).
        `DROP DATABASE IF EXISTS ${old} WITH (FORCE);`,
        `DROP DATABASE IF EXISTS ${staging} WITH (FORCE);`,
        `CREATE DATABASE ${staging} OWNER slipway_owner;`,
        `REVOKE ALL ON DATABASE ${staging} FROM PUBLIC;`,
        '',
      ].join('\n'), 'restore: preparing');
      const swap = async () => {
        await sql(container, 'postgres', [
          `ALTER DATABASE ${database} ALLOW_CONNECTIONS false;`,
          `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = '${database}';`,
          `ALTER DATABASE ${database} RENAME TO ${old};`,
          `ALTER DATABASE ${staging} RENAME TO ${database};`,
          '',
        ].join('\n'), 'restore: switching to the restored database');
        // The restored data is live. Dropping the old makes PostgreSQL write every page the load
        // left dirty at once (a checkpoint, 0.8 s after a 1 GB load): that happens after the
        // restore answered. Should it not happen (Slipway stopped), the next restore drops it.
        void sql(container, 'postgres', `DROP DATABASE IF EXISTS ${old} WITH (FORCE);\n`, 'restore: dropping the replaced data').catch(() => undefined);
      };
      let counts: DataCounts | null = null;
      try {
        const loadedFast = !options.count && 'file' in input && input.verified === true && tools !== null &&
          await loadFileBeside(exec, pipes, tools, container, user, staging, input.file, prepare, swap);
        if (!loadedFast) {
          const counter = new PgDumpCounter();
          await streamInto(exec, pipes, container, {
            user, cmd: (path) => psql(staging, ['--single-transaction', '-c', 'SET ROLE slipway_owner', '-f', path]),
          }, gunzipped(input), counter, 'restore: loading the dump', prepare);
          counts = counter.counts;
          await swap();
        }
      } catch (error) {
        await sql(container, 'postgres', `DROP DATABASE IF EXISTS ${staging} WITH (FORCE);\n`, 'restore: removing the staging database').catch(() => undefined);
        throw error;
      }
      return counts;
    },
    async counts(container, database) {
      const result = await run(exec, container, { user, cmd: psql(database, ['-At', '-F', '\t']), stdin:
        "SELECT format('SELECT %L, count(*) FROM %I.%I', format('%I.%I', n.nspname, c.relname), n.nspname, c.relname) " +
        'FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace ' +
        "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') " +
        "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'\\gexec\n" }, 'counting rows');
      return parseTabbedCounts(result.stdout);
    },
  };
  return kind;
}

export function mysql(exec: ExecFn): ServerKind {
  const user = 'mysql';
  // The OS user mysql logs in as the database account mysql@localhost (unix_socket), made at init.
  const client = (database?: string, extra: string[] = []): string[] =>
    ['mariadb', '--no-defaults', '--protocol=socket', '--socket=/run/mysqld/mysqld.sock', '-u', 'mysql', '-N', '-B', ...extra, ...(database ? ['-D', database] : [])];
  const sql = (container: string, text: string, what: string, database?: string, secrets: string[] = []): Promise<ExecResult> =>
    run(exec, container, { user, cmd: client(database), stdin: text }, what, secrets);

  const kind: ServerKind = {
    kind: 'mysql',
    user,
    port: 3306,
    healthcheck: ['mariadb-admin', '--no-defaults', '--socket=/run/mysqld/mysqld.sock', 'ping', '--silent'],
    async ready(container) {
      return (await exec(container, { user, cmd: ['mariadb-admin', '--no-defaults', '--socket=/run/mysqld/mysqld.sock', 'ping', '--silent'] })).exitCode === 0;
    },
    async initialise(container, database, credentials) {
      // As the OS root (root@localhost by unix_socket, capabilities dropped): the account the
      // other execs use, no anonymous accounts, no test database, the add-on's database.
      await run(exec, container, {
        user: 'root',
        cmd: ['mariadb', '--no-defaults', '--protocol=socket', '--socket=/run/mysqld/mysqld.sock', '-u', 'root'],
        stdin: [
          "CREATE USER IF NOT EXISTS 'mysql'@'localhost' IDENTIFIED VIA unix_socket;",
          "GRANT ALL PRIVILEGES ON *.* TO 'mysql'@'localhost' WITH GRANT OPTION;",
          "DELETE FROM mysql.global_priv WHERE User = '';",
          'DROP DATABASE IF EXISTS test;',
          `CREATE DATABASE IF NOT EXISTS \`${database}\`;`,
          'FLUSH PRIVILEGES;',
          '',
        ].join('\n'),
      }, 'creating the database');
      await kind.addCredentials(container, database, credentials);
    },
    async addCredentials(container, database, credentials) {
      const account = `'${credentials.user}'@'%'`;
      await sql(container, [
        `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY '${credentials.password}';`,
        `ALTER USER ${account} IDENTIFIED BY '${credentials.password}' ACCOUNT UNLOCK;`,
        `GRANT ALL PRIVILEGES ON \`${database}\`.* TO ${account};`,
        '',
      ].join('\n'), 'adding credentials', undefined, [credentials.password]);
    },
    async revokeCredentials(container, _database, credentials) {
      const account = `'${credentials.user}'@'%'`;
      await sql(container, `ALTER USER IF EXISTS ${account} ACCOUNT LOCK;\n`, 'revoking credentials');
      const sessions = await sql(container,
        `SELECT id FROM information_schema.processlist WHERE user = '${credentials.user}';\n`, 'revoking credentials');
      const ids = sessions.stdout.split('\n').map((line) => line.trim()).filter((line) => /^\d+$/.test(line));
      if (ids.length > 0) {
        // A session may end by itself meanwhile: --force goes on past "unknown thread".
        await exec(container, { user, cmd: client(undefined, ['--force']), stdin: ids.map((id) => `KILL ${id};`).join('\n') + '\n' });
      }
      await sql(container, `DROP USER IF EXISTS ${account};\n`, 'revoking credentials');
    },
    dumpCommand(database) {
      return {
        user,
        cmd: ['mariadb-dump', '--no-defaults', '--socket=/run/mysqld/mysqld.sock', '-u', 'mysql', '--single-transaction',
          '--skip-extended-insert', '--no-autocommit', '--routines', '--triggers', '--events', '--hex-blob',
          '--default-character-set=utf8mb4', database],
        format: 'mysqldump+gzip',
      };
    },
    async restore(container, database, input) {
      const counter = new MysqlDumpCounter();
      await spool(exec, container, user, gunzipped(input), counter, 'restore');
      const load = (into: string, what: string): Promise<ExecResult> =>
        run(exec, container, { user, cmd: ['sh', '-c', 'exec "$@" < "$0"', SPOOL, ...client(into)] }, what);
      const fresh = (name: string): string => `DROP DATABASE IF EXISTS \`${name}\`;\nCREATE DATABASE \`${name}\`;\n`;
      try {
        // Loaded into a staging database first: a dump that fails to load changes nothing. MariaDB
        // has no RENAME DATABASE (and RENAME TABLE moves neither views nor tables with triggers
        // across databases), so once it loaded, the live database is replaced by loading it again.
        await sql(container, fresh(MYSQL_STAGING), 'restore: preparing');
        await load(MYSQL_STAGING, 'restore: loading the dump (staging)');
        await sql(container, `DROP DATABASE \`${MYSQL_STAGING}\`;\n${fresh(database)}`, 'restore: replacing the database');
        await load(database, 'restore: loading the dump');
      } finally {
        await exec(container, { user, cmd: client(undefined), stdin: `DROP DATABASE IF EXISTS \`${MYSQL_STAGING}\`;\n` });
        await removeSpool(exec, container, user);
      }
      return counter.counts;
    },
    async counts(container, database) {
      const statements = await sql(container,
        "SELECT CONCAT('SELECT ', QUOTE(table_name), ', COUNT(*) FROM `', REPLACE(table_name, '`', '``'), '`;') " +
        "FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE';\n",
        'counting rows', database);
      if (statements.stdout.trim() === '') return {};
      const result = await sql(container, statements.stdout, 'counting rows', database);
      return parseTabbedCounts(result.stdout);
    },
  };
  return kind;
}

export function redis(exec: ExecFn): ServerKind {
  const user = 'redis';
  const cli = (args: string[] = []): string[] => ['slipway-redis-cli', ...args];
  const commands = async (container: string, lines: string[], what: string, secrets: string[] = []): Promise<string[]> => {
    const result = await run(exec, container, { user, cmd: cli(), stdin: lines.join('\n') + '\n' }, what, secrets);
    const replies = result.stdout.split('\n').filter((line) => line !== '');
    const failed = replies.find((line) => /^(ERR|WRONGTYPE|NOPERM|NOAUTH|\(error\))/.test(line));
    if (failed) {
      let detail = failed;
      for (const secret of secrets) detail = detail.split(secret).join('[redacted]');
      throw new Error(`${what} failed: ${detail}`);
    }
    return replies;
  };
  const info = async (container: string, section: string): Promise<Record<string, string>> => {
    const result = await run(exec, container, { user, cmd: cli(['INFO', section]) }, 'reading INFO');
    const fields: Record<string, string> = {};
    for (const line of result.stdout.split(/\r?\n/)) {
      const at = line.indexOf(':');
      if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1);
    }
    return fields;
  };

  const kind: ServerKind = {
    kind: 'redis',
    user,
    port: 6379,
    healthcheck: ['slipway-redis-cli', 'ping'],
    async ready(container) {
      const result = await exec(container, { user, cmd: cli(['PING']) });
      return result.exitCode === 0 && result.stdout.trim() === 'PONG';
    },
    async initialise(container, database, credentials) {
      await kind.addCredentials(container, database, credentials);
    },
    async addCredentials(container, _database, credentials) {
      // One ACL user per credential: revoking one (ACL DELUSER) also disconnects its clients.
      await commands(container, [
        `ACL SETUSER ${credentials.user} on >${credentials.password} ~* &* +@all -@admin`,
        'ACL SAVE',
      ], 'adding credentials', [credentials.password]);
    },
    async revokeCredentials(container, _database, credentials) {
      await commands(container, [`ACL DELUSER ${credentials.user}`, 'ACL SAVE'], 'revoking credentials');
    },
    dumpCommand() {
      return { user, cmd: cli(['--rdb', '-']), format: 'redis-rdb+gzip' };
    },
    async restore(container, _database, input) {
      const counter = new RdbCounter();
      await spool(exec, container, user, gunzipped(input), counter, 'restore');
      try {
        await run(exec, container, { user, cmd: ['redis-check-rdb', SPOOL] }, 'restore: checking the RDB file');
        // Loaded from the uploaded file itself: a snapshot written meanwhile cannot take its place.
        const spoolName = SPOOL.slice(DATA_DIR.length + 1);
        await commands(container, [
          `CONFIG SET dbfilename ${spoolName}`,
          'DEBUG RELOAD NOSAVE',
          'CONFIG SET dbfilename dump.rdb',
          'BGREWRITEAOF',
          'BGSAVE SCHEDULE',
        ], 'restore: loading the RDB file');
      } finally {
        await removeSpool(exec, container, user);
      }
      return counter.counts;
    },
    async counts(container) {
      const keyspace = await info(container, 'keyspace');
      const persistence = await info(container, 'persistence');
      const counts: DataCounts = {};
      for (const [name, value] of Object.entries(keyspace)) {
        const keys = /keys=(\d+)/.exec(value);
        if (/^db\d+$/.test(name) && keys) counts[name] = Number(keys[1]);
      }
      // Keys whose TTL ran out between the capture and the load are not loaded, but were in the
      // backup: count them where they can only have been (a dataset of one database).
      const expired = Number(persistence.rdb_last_load_keys_expired ?? 0);
      const names = Object.keys(counts);
      if (expired > 0 && names.length <= 1) counts[names[0] ?? 'db0'] = (counts[names[0] ?? 'db0'] ?? 0) + expired;
      return counts;
    },
  };
  return kind;
}

function parseTabbedCounts(output: string): DataCounts {
  const counts: DataCounts = {};
  for (const line of output.split('\n')) {
    const at = line.lastIndexOf('\t');
    if (at <= 0) continue;
    const count = Number(line.slice(at + 1));
    if (Number.isInteger(count)) counts[line.slice(0, at)] = count;
  }
  return counts;
}

export function serverKinds(exec: ExecFn, pipes: DumpPipes = noDumpPipes, tools: ToolFn | null = null): Record<AddonKind, ServerKind> {
  return { postgresql: postgresql(exec, pipes, tools), mysql: mysql(exec), redis: redis(exec) };
}

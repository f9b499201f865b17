/**
 * Add-ons benchmark (issue 12): how long an add-on takes from `addons:create` to an app serving
 * with the binding, for each kind, and the throughput of a PostgreSQL add-on's backup and restore
 * beside the plain tools on the host against the same server. Run with `npm run bench:addons`;
 * method and results are in docs/benchmarks.md.
 *
 * Targets: Redis <= 10 s, PostgreSQL and MySQL <= 30 s from `addons:create` to serving (images
 * already built); backup (capture) and restore <= 1.2x `pg_dump | gzip` and `gunzip | psql` on the
 * host.
 *
 * Create → serving: one in-process Slipway (test/support/slipway.ts), one app pushed once with
 * test/fixtures/apps/addons-probe (a Node.js app whose GET /<kind> connects through the bound URL
 * and answers the server's version). Each add-on is created through the API as the CLI does
 * (`POST /apps/:app/addons`, 202), then the add-on and the app are polled side by side: the add-on
 * until it is available and its attachment bound, the app until GET /<kind> answers 200
 * "<kind> ok <server version>" through the router.
 *
 * Backups: a PostgreSQL add-on (plan SLIPWAY_BENCH_ADDON_PLAN, default medium) is filled inside
 * its server with SLIPWAY_BENCH_ADDON_DB_MB (default 1024) MB of rows (INSERT … SELECT
 * generate_series through psql in the container, one table with a primary key), then:
 *   1. Slipway `addons:backups:capture`: the dump (until the backup is `succeeded`) and the verify
 *      step (restore into a scratch server and count, until `verified`), reported apart;
 *   2. the host's `pg_dump` with the same options and format as Slipway (plain SQL, gzip level 3)
 *      into a file, through the add-on's own credentials on its address on the team network; and
 *      the same without compression, for reference;
 *   3. Slipway `addons:backups:restore` (synchronous API call);
 *   4. the host's `gunzip -c | psql --single-transaction` of the host's dump into a new, empty
 *      database of the same server (Slipway's restore also loads into a new database in one
 *      transaction, then swaps).
 * Steps 1-4 run SLIPWAY_BENCH_ADDON_REPS times (default 3) in turn; the figures are the medians,
 * and every run is printed. A host-side plain dump (no compression) is timed once, for reference.
 * Nothing else runs meanwhile in this process; the machine is shared, so the load average is shown.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { loadConfig } from '../lib/config';
import { uniqueName, WorkingCopy } from '../test/support/slipway';
import {
  Cleanup, machineActivity, machineDescription, median, message, now, runBenchmark, runCommand, seconds, sleep, slipwayRevision,
  startBenchSlipway, table, timedPush, withDeadline, type BenchSlipway,
} from './support';

const FIXTURE = 'addons-probe';
const KINDS = ['redis', 'postgresql', 'mysql'] as const;
type Kind = (typeof KINDS)[number];
const TARGET_SERVING_SECONDS: Record<Kind, number> = { redis: 10, postgresql: 30, mysql: 30 };
const TARGET_BACKUP_RATIO = 1.2;
/** Slipway's dump compression (engine/addons/docker-servers.ts), used by the baseline too. */
const GZIP_LEVEL = 3;

const DEADLINE = {
  whole: 90 * 60_000,
  command: 60_000,
  push: 10 * 60_000,
  serve: 60_000,
  provision: 5 * 60_000,
  onePoll: 10_000,
  fill: 30 * 60_000,
  backup: 40 * 60_000,
  cleanupStep: 120_000,
} as const;
const POLL_MS = 100;

function settings(): { dbMb: number; plan: 'small' | 'medium'; reps: number } {
  const dbMb = Number(process.env.SLIPWAY_BENCH_ADDON_DB_MB ?? '1024');
  if (!Number.isInteger(dbMb) || dbMb < 1 || dbMb > 100_000) throw new Error('SLIPWAY_BENCH_ADDON_DB_MB must be a whole number of MB (1 to 100000)');
  const plan = process.env.SLIPWAY_BENCH_ADDON_PLAN ?? 'medium';
  if (plan !== 'small' && plan !== 'medium') throw new Error('SLIPWAY_BENCH_ADDON_PLAN must be small or medium');
  const reps = Number(process.env.SLIPWAY_BENCH_ADDON_REPS ?? '3');
  if (!Number.isInteger(reps) || reps < 1 || reps > 20) throw new Error('SLIPWAY_BENCH_ADDON_REPS must be a whole number from 1 to 20');
  return { dbMb, plan, reps };
}

// --- The API -------------------------------------------------------------------------------

interface AddonJson {
  name: string;
  state: 'provisioning' | 'available' | 'failed' | 'deprovisioning';
  stateReason: string | null;
  url: string | null;
  attachments: { app: string; name: string; configKeys: string[]; bound: boolean }[];
}
interface BackupJson { id: string; status: string; size: number | null; durationMs: number | null; error: string | null; counts: Record<string, number> | null }

async function api<T>(slipway: BenchSlipway['slipway'], method: string, route: string, body?: unknown): Promise<T> {
  const answer = await withDeadline(slipway.api<T>(method, route, body), DEADLINE.command, `${method} ${route}`);
  if (answer.status >= 300) throw new Error(`${method} ${route} answered HTTP ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

// --- Create → serving ----------------------------------------------------------------------

interface CreateRun {
  kind: Kind;
  addon: string;
  /** ms from the POST: it answered (202); the add-on was available; its attachment bound; the app served through it. */
  acceptedMs: number;
  availableMs: number | null;
  boundMs: number | null;
  servingMs: number;
  body: string;
  polls: number;
  load: number;
}

/** POST /apps/:app/addons, then the add-on and GET /<kind> of the app polled side by side until the app serves through it. */
async function createAndServe(bench: BenchSlipway, app: string, kind: Kind, options: { as?: string; plan?: string; probeVar?: string }, track: (name: string) => void): Promise<CreateRun> {
  const { slipway } = bench;
  const t0 = now();
  const created = await api<AddonJson>(slipway, 'POST', `/apps/${app}/addons`, { kind, ...(options.as ? { as: options.as } : {}), ...(options.plan ? { plan: options.plan } : {}) });
  const acceptedMs = now() - t0;
  track(created.name);
  let availableMs: number | null = null;
  let boundMs: number | null = null;
  let servingMs: number | null = null;
  let body = '';
  let polls = 0;
  let last = 'no answer yet';
  const deadline = t0 + DEADLINE.provision;
  const watchAddon = (async (): Promise<void> => {
    while (servingMs === null && now() < deadline) {
      const addon = await slipway.api<AddonJson>('GET', `/addons/${created.name}`).catch(() => null);
      if (addon?.body.state === 'failed') throw new Error(`${created.name} failed to provision: ${addon.body.stateReason ?? 'no reason'}`);
      if (addon?.body.state === 'available') {
        availableMs ??= now() - t0;
        if (addon.body.attachments.every((a) => a.bound)) boundMs ??= now() - t0;
      }
      if (boundMs !== null) return;
      await sleep(POLL_MS);
    }
  })();
  const expected = new RegExp(`^${kind} ok `);
  while (servingMs === null) {
    polls += 1;
    try {
      const route = `/${kind}${options.probeVar ? `?var=${options.probeVar}` : ''}`;
      const answer = await withDeadline(slipway.fetchApp(app, route), DEADLINE.onePoll, `GET ${route}`);
      if (answer.status === 200 && expected.test(answer.body)) {
        servingMs = now() - t0;
        body = answer.body;
        break;
      }
      last = `HTTP ${answer.status}: ${answer.body.slice(0, 160)}`;
    } catch (error) {
      last = message(error);
    }
    if (now() > deadline) throw new Error(`${app} did not serve through its ${kind} add-on within ${DEADLINE.provision / 1000} s (last: ${last})`);
    await sleep(POLL_MS);
  }
  await watchAddon;
  return { kind, addon: created.name, acceptedMs, availableMs, boundMs, servingMs, body, polls, load: os.loadavg()[0]! };
}

// --- PostgreSQL inside the add-on's container ---------------------------------------------

/** SQL run by the superuser over the container's socket (docker exec, statements on stdin). */
async function containerSql(container: string, database: string, sql: string, deadlineMs: number): Promise<string> {
  const result = await runWithStdin('docker', ['exec', '-i', '-u', 'postgres', container,
    'psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', '/run/postgresql', '-d', database], sql, deadlineMs);
  if (result.code !== 0) throw new Error(`psql in ${container} failed (exit ${result.code}): ${result.stderr.slice(-2000)}`);
  return result.stdout.trim();
}

/**
 * Waits until no database of an earlier restore is left or being dropped (Slipway drops the data
 * it replaced after answering), then writes every dirty page (CHECKPOINT) and flushes the host's
 * page cache (sync): each timed step starts from the same state, whichever ran before it.
 */
async function settleServer(container: string, deadlineMs: number): Promise<void> {
  const deadline = now() + deadlineMs;
  for (;;) {
    const busy = await containerSql(container, 'postgres',
      "SELECT (SELECT count(*) FROM pg_database WHERE datname LIKE '%\\_\\_old' OR datname LIKE '%\\_\\_restore') + " +
      "(SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'DROP DATABASE%' AND pid <> pg_backend_pid());", DEADLINE.command);
    if (busy === '0') break;
    if (now() > deadline) throw new Error(`${container} still has a database of an earlier restore after ${deadlineMs / 1000} s`);
    await sleep(200);
  }
  await containerSql(container, 'postgres', 'CHECKPOINT;', DEADLINE.command);
  const synced = await runCommand('sync', [], { deadlineMs: DEADLINE.command });
  if (synced.code !== 0) throw new Error(`sync failed: ${synced.stderr}`);
}

function runWithStdin(command: string, args: string[], stdin: string, deadlineMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c; });
    child.stderr.on('data', (c: Buffer) => { stderr += c; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${command} ${args.join(' ').slice(0, 80)} took longer than ${deadlineMs / 1000} s`)); }, deadlineMs);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? 1, stdout, stderr }); });
    child.stdin.end(stdin);
  });
}

/**
 * Fills the add-on's database with about `mb` MB (table and primary key) of rows owned by the
 * database's owner role, as the app's own tables are: a first batch measures the size per row.
 */
async function fillDatabase(container: string, database: string, mb: number): Promise<{ rows: number; bytes: number }> {
  const target = mb * 1024 * 1024;
  const batch = (from: number, to: number): string => `SET ROLE slipway_owner;
INSERT INTO bench_rows SELECT i, i % 1000, timestamptz '2026-01-01' + i * interval '1 second',
  md5(i::text) || ' ' || md5((i * 7)::text) || ' ' || md5((i * 13)::text) FROM generate_series(${from}, ${to}) AS i;`;
  await containerSql(container, database, `SET ROLE slipway_owner;
CREATE TABLE bench_rows (id bigint PRIMARY KEY, account integer NOT NULL, created_at timestamptz NOT NULL, payload text NOT NULL);`, DEADLINE.command);
  const size = async (): Promise<number> => Number(await containerSql(container, database, "SELECT pg_total_relation_size('bench_rows');", DEADLINE.command));
  const first = Math.min(100_000, Math.max(1000, Math.floor(target / 200)));
  await containerSql(container, database, batch(1, first), DEADLINE.fill);
  let rows = first;
  let bytes = await size();
  while (bytes < target * 0.98) {
    const perRow = bytes / rows;
    const more = Math.min(1_000_000, Math.max(1000, Math.ceil((target - bytes) / perRow)));
    await containerSql(container, database, batch(rows + 1, rows + more), DEADLINE.fill);
    rows += more;
    bytes = await size();
    process.stdout.write(`  ${rows.toLocaleString('en')} rows, ${(bytes / 2 ** 20).toFixed(0)} MiB\n`);
  }
  await containerSql(container, database, 'SET ROLE slipway_owner;\nVACUUM ANALYZE bench_rows;', DEADLINE.fill);
  return { rows, bytes: Number(await containerSql(container, database, `SELECT pg_database_size('${database}');`, DEADLINE.command)) };
}

// --- The host's plain tools ----------------------------------------------------------------

interface PgTarget { host: string; port: number; user: string; password: string; database: string }

function pgEnv(target: PgTarget): NodeJS.ProcessEnv {
  // The password through the environment, never on a command line.
  return { ...process.env, PGPASSWORD: target.password, PGHOST: target.host, PGPORT: String(target.port), PGUSER: target.user, PGCONNECT_TIMEOUT: '10' };
}

/** Runs `first | second` (either may be absent), stdout of the last into `outFile` or discarded; answers ms. */
async function pipeTimed(first: { command: string; args: string[]; stdinFile?: string }, second: { command: string; args: string[] } | null,
  outFile: string | null, env: NodeJS.ProcessEnv, deadlineMs: number): Promise<number> {
  const t0 = now();
  const input = first.stdinFile ? fs.openSync(first.stdinFile, 'r') : 'ignore';
  const output = outFile ? fs.openSync(outFile, 'w', 0o600) : 'ignore';
  try {
    const a = spawn(first.command, first.args, { env, stdio: [input, second ? 'pipe' : output, 'pipe'] });
    const b = second ? spawn(second.command, second.args, { env, stdio: [a.stdout!, output, 'pipe'] }) : null;
    const exit = (child: ReturnType<typeof spawn>, what: string): Promise<void> => new Promise((resolve, reject) => {
      let stderr = '';
      child.stderr!.on('data', (c: Buffer) => { stderr += c; });
      child.on('error', reject);
      // 'exit', not 'close': the first command's stdout is handed to the second, so it never closes here.
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${what} exited with ${code}: ${stderr.slice(-2000)}`))));
    });
    await withDeadline(Promise.all([exit(a, first.command), ...(b ? [exit(b, second!.command)] : [])]), deadlineMs, `${first.command}${second ? ` | ${second.command}` : ''}`);
  } finally {
    if (typeof input === 'number') fs.closeSync(input);
    if (typeof output === 'number') fs.closeSync(output);
  }
  return now() - t0;
}

const PG_DUMP_ARGS = ['--format=plain', '--no-owner', '--no-privileges', '--encoding=UTF8'];

// --- Main ----------------------------------------------------------------------------------

async function main(cleanup: Cleanup): Promise<number> {
  const { dbMb, plan, reps } = settings();
  const startedAt = new Date();
  const docker = new Docker({ socketPath: loadConfig(process.env).dockerSocket });
  const addonNames: string[] = [];
  // Registered first, so it runs last: whatever of the add-ons survived their destruction.
  cleanup.add('sweep what is left of the add-ons', async () => {
    for (const name of addonNames) {
      const container = docker.getContainer(`slipway-addon-${name}`);
      if (await container.inspect().then(() => true, () => false)) {
        console.log(`NOTE: the container of add-on ${name} survived its destruction. Removed.`);
        await container.remove({ force: true }).catch(() => undefined);
      }
      await docker.getVolume(`slipway-addon-${name}-data`).remove().then(
        () => console.log(`NOTE: the data volume of add-on ${name} survived its destruction. Removed.`), () => undefined);
    }
  });

  console.log(`Slipway add-ons benchmark, ${startedAt.toISOString()}, Slipway at ${await slipwayRevision(DEADLINE.command)}`);
  console.log(`Machine: ${machineDescription()}`);
  for (const tool of ['pg_dump', 'psql', 'gzip']) {
    const found = await runCommand(tool, ['--version'], { deadlineMs: DEADLINE.command }).catch(() => null);
    if (!found || found.code !== 0) throw new Error(`${tool} is missing on the host: install postgresql-client and gzip (scripts/install)`);
    if (tool === 'pg_dump') console.log(`Host: ${found.stdout.trim()}`);
  }
  for (const kind of KINDS) {
    if (!(await docker.getImage(`slipway/addon-${kind}:latest`).inspect().then(() => true, () => false))) {
      throw new Error(`slipway/addon-${kind}:latest is missing: build it first with scripts/build-addon-images ${kind} (the goals are for built images)`);
    }
  }

  console.log('\nStarting an in-process Slipway (control plane, router, own state dir and etcd prefix)...');
  const bench = await startBenchSlipway(cleanup, DEADLINE.command);
  const { slipway } = bench;
  console.log(`Before: ${await machineActivity(docker)}`);
  const track = (name: string): void => {
    addonNames.push(name);
    cleanup.add(`destroy add-on ${name}`, async () => {
      const answer = await slipway.api('DELETE', `/addons/${name}?confirm=${name}&detachAll=true`);
      if (answer.status >= 300) throw new Error(`HTTP ${answer.status}: ${JSON.stringify(answer.body)}`);
    });
  };

  const app = uniqueName('bench-addons');
  await bench.createApp(app);
  const copy = await WorkingCopy.fromFixture(FIXTURE, bench.privateKey);
  cleanup.add('remove working copy', async () => copy.remove());
  console.log(`\nDeploying ${FIXTURE} (pg, mysql2, redis from npm) to ${app} once...`);
  const push = await timedPush(copy.dir, slipway.gitUrl(app), bench.privateKey, now(), DEADLINE.push);
  if (push.code !== 0) throw new Error(`git push failed (exit ${push.code}):\n${push.lines.map((l) => l.text).join('\n')}`);
  console.log(`  pushed in ${seconds(push.exitMs)}`);

  // --- Create → serving, for each kind ---
  const runs: CreateRun[] = [];
  for (const kind of KINDS) {
    // MySQL second to PostgreSQL on the same app: DATABASE_URL is taken, so it is named (MYSQL_URL).
    const as = kind === 'mysql' ? 'MYSQL' : undefined;
    console.log(`\naddons:create ${app} ${kind}${as ? ` --as ${as}` : ''} (plan small), then GET /${kind} of the app until it answers through the add-on...`);
    const run = await createAndServe(bench, app, kind, { as }, track);
    console.log(`  ${run.addon}: available ${seconds(run.availableMs ?? NaN)}, bound ${seconds(run.boundMs ?? NaN)}, serving ${seconds(run.servingMs)} ("${run.body}")`);
    runs.push(run);
  }

  // --- Backup and restore throughput ---
  console.log(`\nBackups: addons:create ${app} postgresql --as BENCH_PG --plan ${plan}...`);
  const pgRun = await createAndServe(bench, app, 'postgresql', { as: 'BENCH_PG', plan, probeVar: 'BENCH_PG_URL' }, track);
  const pg = pgRun.addon;
  const container = `slipway-addon-${pg}`;
  const revealed = await api<AddonJson>(slipway, 'GET', `/addons/${pg}?reveal=true`);
  const url = new URL(revealed.url ?? '');
  const info = await docker.getContainer(container).inspect();
  const address = Object.values(info.NetworkSettings.Networks).map((n) => n.IPAddress).find(Boolean);
  if (!address) throw new Error(`${container} has no address on its team's network`);
  const target: PgTarget = {
    host: address, port: Number(url.port || 5432), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password),
    database: url.pathname.slice(1),
  };
  console.log(`Filling ${pg} with about ${dbMb} MB (INSERT ... SELECT generate_series inside its server)...`);
  const fillT0 = now();
  const filled = await fillDatabase(container, target.database, dbMb);
  const mib = filled.bytes / 2 ** 20;
  console.log(`  ${filled.rows.toLocaleString('en')} rows, database ${mib.toFixed(0)} MiB, in ${seconds(now() - fillT0)}`);

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-addons-'));
  cleanup.add('remove the baseline dumps', async () => fs.rmSync(workDir, { recursive: true, force: true }));
  const env = pgEnv(target);

  // The machine's disk and CPU vary by 20-30 % from one minute to the next (the host's own dump of
  // the same database took 15.9-20.5 s in three quiet runs): each figure is the median of `reps`
  // runs, Slipway's and the host's taken in turn so that both see the same minutes.
  const captures: { dumpMs: number; verifyMs: number; captureMs: number; size: number; counts: Record<string, number> | null }[] = [];
  const baseDumps: number[] = [];
  const restores: number[] = [];
  const baseRestores: number[] = [];
  let lastBackupId = '';
  const baselineGz = path.join(workDir, 'baseline.sql.gz');
  let baseGzBytes = 0;
  const baselineDb = `${target.database}_baseline`;
  cleanup.add('drop the baseline database', () => containerSql(container, 'postgres', `DROP DATABASE IF EXISTS ${baselineDb} WITH (FORCE);`, DEADLINE.command));
  const settle = (): Promise<void> => settleServer(container, DEADLINE.backup);

  const slipwayCapture = async (label: string): Promise<void> => {
    console.log(`${label} Slipway: addons:backups:capture ${pg} (dump, then verify in a scratch server)...`);
    const captureT0 = now();
    const accepted = await api<BackupJson>(slipway, 'POST', `/addons/${pg}/backups`);
    let succeededMs: number | null = null;
    let backup = accepted;
    for (;;) {
      backup = await api<BackupJson>(slipway, 'GET', `/addons/${pg}/backups/${accepted.id}`);
      if ((backup.status === 'succeeded' || backup.status === 'verified') && succeededMs === null) succeededMs = now() - captureT0;
      if (backup.status === 'verified' || backup.status === 'failed') break;
      if (now() - captureT0 > DEADLINE.backup) throw new Error(`${accepted.id} is still ${backup.status} after ${DEADLINE.backup / 60_000} minutes`);
      await sleep(250);
    }
    const captureMs = now() - captureT0;
    if (backup.status !== 'verified') throw new Error(`${accepted.id} failed: ${backup.error ?? 'no reason'}`);
    const dumpMs = backup.durationMs ?? succeededMs!;
    captures.push({ dumpMs, verifyMs: captureMs - (succeededMs ?? dumpMs), captureMs, size: backup.size ?? 0, counts: backup.counts });
    lastBackupId = accepted.id;
    console.log(`  verified after ${seconds(captureMs)}: dump ${seconds(dumpMs)} (${((backup.size ?? 0) / 2 ** 20).toFixed(0)} MiB gzip), verify ${seconds(captureMs - (succeededMs ?? dumpMs))}; counts ${JSON.stringify(backup.counts)}`);
  };
  const hostDump = async (label: string): Promise<void> => {
    console.log(`${label} Host: pg_dump ${PG_DUMP_ARGS.join(' ')} | gzip -${GZIP_LEVEL} > file (same server, same credentials)...`);
    baseDumps.push(await pipeTimed({ command: 'pg_dump', args: [...PG_DUMP_ARGS, '-d', target.database] },
      { command: 'gzip', args: [`-${GZIP_LEVEL}`, '-c'] }, baselineGz, env, DEADLINE.backup));
    baseGzBytes = fs.statSync(baselineGz).size;
    console.log(`  ${seconds(baseDumps.at(-1)!)} (${(baseGzBytes / 2 ** 20).toFixed(0)} MiB)`);
  };
  const slipwayRestore = async (label: string): Promise<void> => {
    console.log(`${label} Slipway: addons:backups:restore ${pg} ${lastBackupId} --confirm ${pg}...`);
    const restoreT0 = now();
    await withDeadline(slipway.api('POST', `/addons/${pg}/backups/${lastBackupId}/restore`, { confirm: pg }).then((answer) => {
      if (answer.status >= 300) throw new Error(`restore answered HTTP ${answer.status}: ${JSON.stringify(answer.body)}`);
    }), DEADLINE.backup, 'restore');
    restores.push(now() - restoreT0);
    console.log(`  ${seconds(restores.at(-1)!)}`);
    const restoredRows = await containerSql(container, target.database, 'SELECT count(*) FROM bench_rows;', DEADLINE.command);
    if (Number(restoredRows) !== filled.rows) throw new Error(`rows after Slipway's restore: ${restoredRows}, expected ${filled.rows}`);
  };
  const hostRestore = async (label: string): Promise<void> => {
    console.log(`${label} Host: gunzip -c file | psql --single-transaction into a new database of the same server...`);
    await containerSql(container, 'postgres', `DROP DATABASE IF EXISTS ${baselineDb} WITH (FORCE);\nCREATE DATABASE ${baselineDb} OWNER slipway_owner;`, DEADLINE.command);
    await settle();
    baseRestores.push(await pipeTimed({ command: 'gzip', args: ['-dc'], stdinFile: baselineGz },
      { command: 'psql', args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-d', baselineDb] }, null, env, DEADLINE.backup));
    console.log(`  ${seconds(baseRestores.at(-1)!)}`);
    const baselineRows = await containerSql(container, baselineDb, 'SELECT count(*) FROM bench_rows;', DEADLINE.command);
    if (Number(baselineRows) !== filled.rows) throw new Error(`rows after the host's restore: ${baselineRows}, expected ${filled.rows}`);
    await containerSql(container, 'postgres', `DROP DATABASE ${baselineDb} WITH (FORCE);`, DEADLINE.command);
  };

  for (let rep = 1; rep <= reps; rep++) {
    // Who goes first alternates, so that neither always meets what the other left (dirty pages, a
    // database being dropped); and each timed step starts from a settled server (settleServer).
    const label = `\n[run ${rep}/${reps}]`;
    const slipwayFirst = rep % 2 === 1;
    for (const step of slipwayFirst ? [slipwayCapture, hostDump] : [hostDump, slipwayCapture]) {
      await settle();
      await step(label);
    }
    for (const step of slipwayFirst ? [slipwayRestore, hostRestore] : [hostRestore, slipwayRestore]) {
      if (step === slipwayRestore) await settle();
      await step(label);
    }
  }

  console.log('[reference] Host: pg_dump without compression > file...');
  const baselinePlain = path.join(workDir, 'baseline.sql');
  const basePlainMs = await pipeTimed({ command: 'pg_dump', args: [...PG_DUMP_ARGS, '-d', target.database] }, null, baselinePlain, env, DEADLINE.backup);
  const plainBytes = fs.statSync(baselinePlain).size;
  fs.rmSync(baselinePlain, { force: true });
  console.log(`  ${seconds(basePlainMs)} (${(plainBytes / 2 ** 20).toFixed(0)} MiB)`);
  const dumpMs = median(captures.map((c) => c.dumpMs));
  const verifyMs = median(captures.map((c) => c.verifyMs));
  const captureMs = median(captures.map((c) => c.captureMs));
  const baseDumpMs = median(baseDumps);
  const restoreMs = median(restores);
  const baseRestoreMs = median(baseRestores);
  const backupSize = captures.at(-1)!.size;
  const activityAfter = await machineActivity(docker);

  // --- Report ---
  const status = (met: boolean): string => (met ? 'MET' : 'MISSED');
  const fmt = (ms: number | null): string => (ms === null ? 'n/a' : seconds(ms));
  console.log('\n=== Results: addons:create -> app serving through the bound URL ===');
  console.log(table(runs.map((r) => [
    r.kind, fmt(r.acceptedMs), fmt(r.availableMs), fmt(r.boundMs), fmt(r.servingMs), `<= ${TARGET_SERVING_SECONDS[r.kind]} s`,
    status(r.servingMs <= TARGET_SERVING_SECONDS[r.kind] * 1000), r.load.toFixed(2),
  ]), ['kind (plan small)', '202', 'available', 'bound', 'serving', 'target', 'status', 'load']));
  console.log(`(and the ${plan} PostgreSQL for the backups: available ${fmt(pgRun.availableMs)}, serving ${fmt(pgRun.servingMs)})`);

  const mbps = (ms: number): string => `${(mib / (ms / 1000)).toFixed(1)} MiB/s`;
  const captureRatio = dumpMs / baseDumpMs;
  const restoreRatio = restoreMs / baseRestoreMs;
  const all = (values: readonly number[]): string => values.map((ms) => (ms / 1000).toFixed(1)).join(', ');
  console.log(`\n=== Results: backup and restore of a ${mib.toFixed(0)} MiB PostgreSQL database (${filled.rows.toLocaleString('en')} rows, plan ${plan}; medians of ${reps} runs taken in turn) ===`);
  console.log(`Every run (s): Slipway dump ${all(captures.map((c) => c.dumpMs))}; host dump ${all(baseDumps)}; Slipway restore ${all(restores)}; host restore ${all(baseRestores)}; verify ${all(captures.map((c) => c.verifyMs))}.`);
  console.log(table([
    ['backup: dump to a gzip file', seconds(dumpMs), seconds(baseDumpMs), `${captureRatio.toFixed(2)}x`, `<= ${TARGET_BACKUP_RATIO}x`, status(captureRatio <= TARGET_BACKUP_RATIO), `${mbps(dumpMs)} / ${mbps(baseDumpMs)}`],
    ['restore', seconds(restoreMs), seconds(baseRestoreMs), `${restoreRatio.toFixed(2)}x`, `<= ${TARGET_BACKUP_RATIO}x`, status(restoreRatio <= TARGET_BACKUP_RATIO), `${mbps(restoreMs)} / ${mbps(baseRestoreMs)}`],
    ['verify (Slipway only: restore into a scratch server, count)', seconds(verifyMs), '', '', '', '', ''],
    ['capture as the user waits (dump + verify)', seconds(captureMs), '', `${(captureMs / baseDumpMs).toFixed(2)}x`, '', '', ''],
    ['(reference) pg_dump without compression', '', seconds(basePlainMs), '', '', '', ''],
  ], ['', 'Slipway', 'host tools', 'ratio', 'target', 'status', 'throughput (Slipway / host)']));
  console.log(`Dump sizes: Slipway ${(backupSize / 2 ** 20).toFixed(0)} MiB (gzip level ${GZIP_LEVEL}), host ${(baseGzBytes / 2 ** 20).toFixed(0)} MiB (gzip -${GZIP_LEVEL}), plain ${(plainBytes / 2 ** 20).toFixed(0)} MiB.`);
  console.log(`\nMachine activity after: ${activityAfter}`);
  const busiest = Math.max(...runs.map((r) => r.load), os.loadavg()[0]!);
  if (busiest > os.cpus().length) {
    console.log(`WARNING: the 1-minute load average reached ${busiest.toFixed(2)} on ${os.cpus().length} CPUs: other work shared the machine, absolute figures are inflated (ratios less so).`);
  }

  console.log('\n--- Markdown summary ---');
  console.log([
    `Measured ${startedAt.toISOString().slice(0, 10)} on ${machineDescription()}; load average after: ${os.loadavg()[0]!.toFixed(2)}.`,
    '',
    '| add-on (plan small) | API answered | available | bound | app serving through it | target |',
    '| --- | --- | --- | --- | --- | --- |',
    ...runs.map((r) => `| ${r.kind} | ${fmt(r.acceptedMs)} | ${fmt(r.availableMs)} | ${fmt(r.boundMs)} | **${fmt(r.servingMs)}** | ≤ ${TARGET_SERVING_SECONDS[r.kind]} s ${status(r.servingMs <= TARGET_SERVING_SECONDS[r.kind] * 1000)} |`),
    '',
    `| PostgreSQL ${mib.toFixed(0)} MiB (plan ${plan}), median of ${reps} | Slipway | host tools | ratio (target ≤ ${TARGET_BACKUP_RATIO}×) |`,
    '| --- | --- | --- | --- |',
    `| backup: dump to gzip | ${seconds(dumpMs)} | ${seconds(baseDumpMs)} (\`pg_dump \\| gzip -${GZIP_LEVEL}\`) | ${captureRatio.toFixed(2)}× ${status(captureRatio <= TARGET_BACKUP_RATIO)} |`,
    `| verify (scratch restore + counts) | ${seconds(verifyMs)} | — | — |`,
    `| restore | ${seconds(restoreMs)} | ${seconds(baseRestoreMs)} (\`gunzip \\| psql --single-transaction\`) | ${restoreRatio.toFixed(2)}× ${status(restoreRatio <= TARGET_BACKUP_RATIO)} |`,
    `| (reference) dump without compression | — | ${seconds(basePlainMs)} | — |`,
    '',
    `Every run (s): Slipway dump ${all(captures.map((c) => c.dumpMs))}; host dump ${all(baseDumps)}; Slipway restore ${all(restores)}; host restore ${all(baseRestores)}.`,
  ].join('\n'));
  return 0;
}

runBenchmark(main, {
  deadlineMs: DEADLINE.whole,
  cleanupStepMs: DEADLINE.cleanupStep,
  cleanedUp: 'Cleaned up (add-ons and app destroyed, baseline dumps and database removed, Slipway closed).',
});

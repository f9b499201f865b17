/**
 * The add-on commands against an API whose services run over fake servers (test/unit/engine/addons/
 * harness.ts): `runCli` in-process for what a user types, the command functions directly where the
 * CLI waits (so the wait looks again at once instead of after a second).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { BackupFiles } from '../../../engine/addons/backup-files';
import { BackupsService } from '../../../engine/addons/backups-service';
import { LinksService } from '../../../engine/addons/links-service';
import { CredentialsRotation } from '../../../engine/addons/rotation';
import { BackupsRepo } from '../../../engine/store/backups-repo';
import { silentLogger } from '../../../lib/log';
import { ApiClient } from '../../../cli/api-client';
import type { CommandContext } from '../../../cli/commands';
import { addonsCreate, backupsCapture } from '../../../cli/commands-addons';
import { CliError } from '../../../cli/cli-error';
import { runCli } from '../../../cli/main';
import { API_TOKEN, apiDeps, startApi } from '../../support/api';
import { harness, type Harness } from '../engine/addons/harness';

class Capture extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

const FAST = { pollMs: 1, timeoutMs: 60_000 };

describe('cli add-on commands (against the API over fake servers)', function () {
  this.timeout(30_000);
  let h: Harness;
  let api: Awaited<ReturnType<typeof startApi>>;
  let lines: string[];
  let ctx: CommandContext;

  async function slipway(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await runCli(['node', 'slipway', ...args], {
      stdout, stderr, cwd: h.tmp,
      env: { SLIPWAY_API_URL: api.url.replace(/\/api\/v1$/, ''), SLIPWAY_TOKEN: API_TOKEN, NO_COLOR: '1', PATH: process.env.PATH, GIT_CEILING_DIRECTORIES: h.tmp },
    });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  beforeEach(async () => {
    h = await harness();
    const backups = new BackupsService(h.service, h.repo, new BackupsRepo(h.db), h.servers, new BackupFiles(path.join(h.tmp, 'backups')), silentLogger());
    api = await startApi(apiDeps({
      config: h.config,
      addons: {
        addons: h.service, backups, rotation: new CredentialsRotation(h.service, h.repo, h.servers, silentLogger()),
        links: new LinksService(h.repo, h.apps, h.service, h.bindings, { teamOf: async (app) => h.teams.get(app.name) ?? 1 }, (app) => `http://${app}:5000`),
      },
    }));
    lines = [];
    const client = new ApiClient({ apiUrl: api.url.replace(/\/api\/v1$/, ''), token: API_TOKEN });
    ctx = { client: () => client, out: (text) => lines.push(text), color: false, now: () => new Date(), cwd: h.tmp, homeDir: h.tmp };
  });
  afterEach(async () => {
    await api.close();
    await h.close();
  });

  it('addons:create waits, shows the steps and ends with the variables set; addons lists it', async () => {
    await addonsCreate(ctx, 'shop', 'postgresql', {}, FAST);
    const name = (await h.repo.list())[0]!.name;
    expect(lines[0]).to.equal(`Creating ${name} on shop...`);
    expect(lines).to.include(`Creating ${name} on shop... done`);
    expect(lines.at(-1)).to.equal('DATABASE_URL on shop is set; the app runs with it.');
    const table = await slipway('addons');
    expect(table.code).to.equal(0);
    expect(table.stdout).to.match(new RegExp(`${name}\\s*│\\s*postgresql\\s*│\\s*small\\s*│\\s*available\\s*│\\s*shop as DATABASE`));
    const json = JSON.parse((await slipway('addons', '--json')).stdout) as Array<{ name: string }>;
    expect(json.map((a) => a.name)).to.deep.equal([name]);
    const forApp = await slipway('addons', '-a', 'blog');
    expect(forApp.stdout).to.include('blog has no add-ons');
  });

  it('--no-wait answers at once with how to follow it; a failed provisioning is an error with its reason', async () => {
    h.servers.ensureError = new Error('no space left on device');
    await addonsCreate(ctx, 'shop', 'redis', { wait: false }, FAST);
    expect(lines.at(-1)).to.match(/^redis-[a-z]+-\d+ is provisioning\. Follow it with: slipway addons:wait redis-/);
    const name = (await h.repo.list())[0]!.name;
    await h.service.converge((await h.repo.get(name)).id);
    const wait = await slipway('addons:wait', name);
    expect(wait.code).to.equal(1);
    expect(wait.stderr).to.include(`${name} FAILED to provision: the server did not start: no space left on device`);
  });

  it('refuses bad input with the API\'s message and a non-zero exit', async () => {
    const kind = await slipway('addons:create', 'shop', 'mongodb');
    expect(kind.code).to.equal(1);
    expect(kind.stderr).to.include('Unknown add-on kind "mongodb"');
    await addonsCreate(ctx, 'shop', 'postgresql', {}, FAST);
    const name = (await h.repo.list())[0]!.name;
    const destroy = await slipway('addons:destroy', name);
    expect(destroy.code).to.equal(1);
    expect(destroy.stderr).to.include(`--confirm ${name}`);
    const attached = await slipway('addons:destroy', name, '--confirm', name);
    expect(attached.stderr).to.include('is attached to shop');
    const config = await slipway('config:set', 'shop', 'DATABASE_URL=postgres://elsewhere');
    expect(config.code).to.equal(1);
    expect(config.stderr).to.include(`addons:detach ${name} -a shop`);
    const restore = await slipway('addons:backups:restore', name, 'b001');
    expect(restore.code).to.equal(1);
    expect(restore.stderr).to.include(`--confirm ${name}`);
    expect((await slipway('addons:destroy', name, '--confirm', name, '--detach-all')).code).to.equal(0);
  });

  it('attaches with -a and --as, shows info with the password hidden, detaches', async () => {
    await addonsCreate(ctx, 'shop', 'postgresql', {}, FAST);
    const name = (await h.repo.list())[0]!.name;
    const attach = await slipway('addons:attach', name, '-a', 'blog', '--as', 'main_db');
    expect(attach.stdout).to.include(`Attaching ${name} to blog... done: MAIN_DB_URL, DATABASE_URL set`);
    const info = await slipway('addons:info', name);
    expect(info.stdout).to.include(`=== ${name}`);
    expect(info.stdout).to.include('*****');
    expect(info.stdout).to.not.include((await h.config.get('shop')).DATABASE_URL!);
    expect((await slipway('addons:info', name, '--reveal')).stdout).to.include((await h.config.get('shop')).DATABASE_URL!);
    expect((await slipway('addons:detach', name, 'blog')).stdout).to.include(`Detaching ${name} from blog... done`);
    expect(await h.config.get('blog')).to.deep.equal({});
  });

  it('captures a backup and reports it verified; a failed backup exits non-zero, loudly', async () => {
    await addonsCreate(ctx, 'shop', 'postgresql', {}, FAST);
    const name = (await h.repo.list())[0]!.name;
    lines = [];
    await backupsCapture(ctx, name, FAST);
    expect(lines.at(-1)).to.match(new RegExp(`^Capturing b001 of ${name}\\.\\.\\. done: verified \\(12 B, 3 rows/keys restored and counted\\)$`));
    h.servers.backupError = new Error('pg_dump: connection lost');
    const error = await backupsCapture(ctx, name, FAST).then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(CliError);
    expect((error as CliError).message).to.equal(`BACKUP b002 OF ${name} FAILED: the capture failed: pg_dump: connection lost. It is not usable; capture again once the cause is fixed.`);
    const list = await slipway('addons:backups', name);
    expect(list.stdout).to.match(/b002\s*│[^│]*│\s*FAILED/);
    expect(list.stdout).to.match(/b001\s*│[^│]*│\s*verified\s*│\s*12 B/);
    const json = JSON.parse((await slipway('addons:backups', name, '--json')).stdout) as Array<{ id: string }>;
    expect(json.map((b) => b.id)).to.deep.equal(['b002', 'b001']);
    const file = path.join(h.tmp, 'out.gz');
    expect((await slipway('addons:backups:download', name, '-o', file)).code).to.equal(0);
    expect(fs.readFileSync(file, 'utf8')).to.equal('dump of rows');
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    const piped = await slipway('addons:backups:download', name, 'b001');
    expect(piped.stdout).to.equal('dump of rows');
    const schedule = await slipway('addons:backups:schedule', name, '--at', '02:00', '--keep', '7');
    expect(schedule.stdout).to.include('at 02:00 UTC, keeping the last 7 verified ones');
  });

  it('links and unlinks apps', async () => {
    expect((await slipway('apps:link', 'shop', 'blog')).stdout).to.include('Linking shop to blog... done: BLOG_URL=http://blog:5000');
    expect((await slipway('apps:links', 'shop')).stdout).to.match(/BLOG_URL\s*│\s*blog\s*│\s*http:\/\/blog:5000/);
    expect((await slipway('apps:unlink', 'shop', 'blog')).code).to.equal(0);
    expect(await h.config.get('shop')).to.deep.equal({});
  });
});

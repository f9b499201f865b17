/**
 * Add-on commands (`addons*`, `apps:link|unlink|links`), Heroku's names and flags (docs/addons.md).
 * Creating an add-on and capturing a backup wait by default, printing each step; a failure is an
 * error (non-zero exit) with the reason, never a quiet line.
 */
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import type { AddonJson, BackupJson } from '../api/schemas/addons';
import { AddonsClient } from './addons-client';
import { CliError } from './cli-error';
import type { CommandContext, JsonOption } from './commands';
import * as format from './format';
import { addonInfo, addonsTable, backupsTable, duration, linksTable } from './format-addons';
import { humanBytes } from './commands-buildpacks';
import type { CliIo } from './cli-io';

export interface WaitOptions {
  /** Between two looks at the add-on or backup; tests make it 0. */
  pollMs: number;
  /** Give up after this long (the add-on or backup keeps going on the platform). */
  timeoutMs: number;
}

export const DEFAULT_WAIT: WaitOptions = { pollMs: 1000, timeoutMs: 15 * 60_000 };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function client(ctx: CommandContext): AddonsClient {
  return new AddonsClient(ctx.client());
}

function appOf(positional: string | undefined, option: string | undefined, what: string): string {
  const app = option ?? positional;
  if (!app) throw new CliError(`Say which app: ${what} -a APP.`);
  return app;
}

function bindingLine(addon: AddonJson): string {
  return addon.attachments.map((a) => `${a.configKeys.join(', ')} on ${a.app}`).join('; ');
}

/** Follows an add-on until it is available and bound (or failed), printing each new step. */
export async function waitForAddon(ctx: CommandContext, name: string, wait: WaitOptions = DEFAULT_WAIT): Promise<AddonJson> {
  const c = format.colors(ctx.color);
  const deadline = ctx.now().getTime() + wait.timeoutMs;
  let lastStep: string | null = null;
  for (;;) {
    const addon = await client(ctx).info(name);
    if (addon.state === 'failed') throw new CliError(`${name} FAILED to provision: ${addon.stateReason ?? 'no reason recorded'}. Destroy it with slipway addons:destroy ${name} --confirm ${name} and create it again.`);
    if (addon.state === 'deprovisioning') throw new CliError(`${name} is being destroyed.`);
    if (addon.state === 'provisioning' && addon.stateReason && addon.stateReason !== lastStep) {
      lastStep = addon.stateReason;
      ctx.out(`  ${c.dim(addon.stateReason)}`);
    }
    if (addon.state === 'available' && addon.attachments.every((a) => a.bound)) return addon;
    if (ctx.now().getTime() > deadline) {
      throw new CliError(`${name} is still ${addon.state} after ${Math.round(wait.timeoutMs / 60_000)} minutes: follow it with slipway addons:wait ${name}.`);
    }
    await sleep(wait.pollMs);
  }
}

export async function addonsList(ctx: CommandContext, app: string | undefined, opts: JsonOption): Promise<void> {
  const list = await client(ctx).list(app);
  ctx.out(opts.json ? format.json(list) : addonsTable(list, app, ctx.color));
}

export async function addonsCreate(ctx: CommandContext, app: string, kind: string,
  opts: { as?: string; plan?: string; url?: string; wait?: boolean }, wait: WaitOptions = DEFAULT_WAIT): Promise<void> {
  const c = format.colors(ctx.color);
  const body = { kind, ...(opts.plan ? { plan: opts.plan } : {}), ...(opts.as ? { as: opts.as } : {}), ...(opts.url ? { url: opts.url } : {}) };
  const created = await client(ctx).create(app, body);
  ctx.out(`Creating ${c.bold(created.name)} on ${c.bold(app)}...`);
  if (opts.wait === false) {
    ctx.out(`${created.name} is ${created.state}. Follow it with: slipway addons:wait ${created.name}`);
    return;
  }
  const ready = await waitForAddon(ctx, created.name, wait);
  ctx.out(`Creating ${c.bold(created.name)} on ${c.bold(app)}... ${c.green('done')}`);
  ctx.out(`${bindingLine(ready)} ${ready.attachments.length === 1 ? 'is' : 'are'} set; the app runs with ${ready.attachments.length === 1 ? 'it' : 'them'}.`);
}

export async function addonsWait(ctx: CommandContext, name: string, wait: WaitOptions = DEFAULT_WAIT): Promise<void> {
  const ready = await waitForAddon(ctx, name, wait);
  ctx.out(`${name} is ${format.colors(ctx.color).green('available')}${ready.attachments.length > 0 ? `: ${bindingLine(ready)}` : ''}.`);
}

export async function addonsInfo(ctx: CommandContext, name: string, opts: JsonOption & { reveal?: boolean }): Promise<void> {
  const addon = await client(ctx).info(name, opts.reveal === true);
  ctx.out(opts.json ? format.json(addon) : addonInfo(addon, { color: ctx.color, now: ctx.now() }));
}

export async function addonsAttach(ctx: CommandContext, name: string, app: string, opts: { as?: string }): Promise<void> {
  const c = format.colors(ctx.color);
  const addon = await client(ctx).attach(name, app, opts.as);
  const attachment = addon.attachments.find((a) => a.app === app);
  ctx.out(`Attaching ${c.bold(name)} to ${c.bold(app)}... ${c.green('done')}${attachment ? `: ${attachment.configKeys.join(', ')} set` : ''}`);
}

export async function addonsDetach(ctx: CommandContext, name: string, app: string): Promise<void> {
  const c = format.colors(ctx.color);
  await client(ctx).detach(name, app);
  ctx.out(`Detaching ${c.bold(name)} from ${c.bold(app)}... ${c.green('done')}`);
}

export async function addonsDestroy(ctx: CommandContext, name: string, opts: { confirm?: string; detachAll?: boolean }): Promise<void> {
  if (opts.confirm !== name) {
    throw new CliError(`This deletes ${name}, its data and its backups for good. To proceed, run: slipway addons:destroy ${name} --confirm ${name}`);
  }
  await client(ctx).destroy(name, opts.confirm, opts.detachAll === true);
  ctx.out(`Destroying ${format.colors(ctx.color).bold(name)}... ${format.colors(ctx.color).green('done')}`);
}

export async function addonsRotate(ctx: CommandContext, name: string): Promise<void> {
  const c = format.colors(ctx.color);
  ctx.out(`Rotating the credentials of ${c.bold(name)}: new credentials, a new release of each attached app, then the old ones revoked...`);
  const addon = await client(ctx).rotate(name);
  ctx.out(`Rotating the credentials of ${c.bold(name)}... ${c.green('done')}${addon.attachments.length > 0 ? ` (${addon.attachments.map((a) => a.app).join(', ')} released)` : ''}`);
}

export async function backupsList(ctx: CommandContext, name: string, opts: JsonOption): Promise<void> {
  const list = await client(ctx).backups(name);
  ctx.out(opts.json ? format.json(list) : backupsTable(name, list, { color: ctx.color, now: ctx.now() }));
}

/** Captures and waits: capture, verify, done; a failed backup is an error with its reason. */
export async function backupsCapture(ctx: CommandContext, name: string, wait: WaitOptions = DEFAULT_WAIT): Promise<void> {
  const c = format.colors(ctx.color);
  let backup: BackupJson = await client(ctx).capture(name);
  ctx.out(`Capturing ${backup.id} of ${c.bold(name)}...`);
  let shown = backup.status;
  const deadline = ctx.now().getTime() + wait.timeoutMs;
  while (backup.status !== 'verified' && backup.status !== 'failed') {
    if (ctx.now().getTime() > deadline) throw new CliError(`${backup.id} is still ${backup.status}: see slipway addons:backups ${name}.`);
    await sleep(wait.pollMs);
    backup = await client(ctx).backup(name, backup.id);
    if (backup.status !== shown) {
      shown = backup.status;
      if (backup.status === 'succeeded') ctx.out(`  captured ${backup.size === null ? '' : humanBytes(backup.size)} in ${duration(backup.durationMs)}; verifying it in a scratch server...`);
    }
  }
  if (backup.status === 'failed') {
    throw new CliError(`BACKUP ${backup.id} OF ${name} FAILED: ${backup.error ?? 'no reason recorded'}. It is not usable; capture again once the cause is fixed.`);
  }
  const counts = backup.counts ? Object.values(backup.counts).reduce((sum, n) => sum + n, 0) : null;
  ctx.out(`Capturing ${backup.id} of ${c.bold(name)}... ${c.green('done')}: ${c.green('verified')} (${backup.size === null ? '?' : humanBytes(backup.size)}${counts === null ? '' : `, ${counts} rows/keys restored and counted`})`);
}

export async function backupsDownload(ctx: CommandContext, io: Pick<CliIo, 'stdout'>, name: string, id: string | undefined, opts: { output?: string }): Promise<void> {
  if (opts.output === undefined && io.stdout.isTTY) {
    throw new CliError(`A backup is binary: redirect it (slipway addons:backups:download ${name} > backup.gz) or give -o FILE.`);
  }
  const body = await client(ctx).download(name, id);
  const source = Readable.fromWeb(body as WebReadableStream<Uint8Array>);
  if (opts.output !== undefined) await pipeline(source, fs.createWriteStream(opts.output, { mode: 0o600 }));
  else await pipeline(source, io.stdout, { end: false });
}

export async function backupsRestore(ctx: CommandContext, name: string, id: string, opts: { confirm?: string }): Promise<void> {
  if (opts.confirm !== name) {
    throw new CliError(`This replaces every piece of data in ${name} with ${id}'s. To proceed, run: slipway addons:backups:restore ${name} ${id} --confirm ${name}`);
  }
  const c = format.colors(ctx.color);
  ctx.out(`Restoring ${id} into ${c.bold(name)}...`);
  await client(ctx).restore(name, id, opts.confirm);
  ctx.out(`Restoring ${id} into ${c.bold(name)}... ${c.green('done')}`);
}

export async function backupsSchedule(ctx: CommandContext, name: string, opts: { at?: string; keep?: string }): Promise<void> {
  if (!opts.at) throw new CliError(`Give the time with --at HH:MM (UTC), e.g. slipway addons:backups:schedule ${name} --at 02:00 --keep 7`);
  const keep = opts.keep === undefined ? 7 : Number(opts.keep);
  if (!Number.isInteger(keep)) throw new CliError('--keep must be a whole number, e.g. --keep 7.');
  const schedule = await client(ctx).schedule(name, opts.at, keep);
  ctx.out(`Scheduled a daily backup of ${format.colors(ctx.color).bold(name)} at ${schedule.at} UTC, keeping the last ${schedule.keep} verified ones.`);
}

export async function backupsUnschedule(ctx: CommandContext, name: string): Promise<void> {
  await client(ctx).unschedule(name);
  ctx.out(`Stopped the scheduled backups of ${name} (the backups taken are kept).`);
}

export async function appsLink(ctx: CommandContext, app: string, other: string, opts: { as?: string }): Promise<void> {
  const c = format.colors(ctx.color);
  const link = await client(ctx).link(app, other, opts.as);
  ctx.out(`Linking ${c.bold(app)} to ${c.bold(other)}... ${c.green('done')}: ${link.configKey}=${link.url}`);
}

export async function appsUnlink(ctx: CommandContext, app: string, other: string): Promise<void> {
  await client(ctx).unlink(app, other);
  ctx.out(`Unlinking ${format.colors(ctx.color).bold(app)} from ${other}... ${format.colors(ctx.color).green('done')}`);
}

export async function appsLinks(ctx: CommandContext, app: string, opts: JsonOption): Promise<void> {
  const links = await client(ctx).links(app);
  ctx.out(opts.json ? format.json(links) : linksTable(app, links, ctx.color));
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

/** The add-on commands; `[app]` first where the app is the subject (main.ts marks them), `-a APP` elsewhere. */
export function registerAddonCommands(program: Command, ctx: CommandContext, io: Pick<CliIo, 'stdout'>): void {
  const APP_HELP = 'the app, when not given by -a APP or the slipway git remote of this directory';
  program.command('addons')
    .description('list add-ons (of one app with -a APP): name, kind, plan, state, attached apps')
    .argument('[appName]', 'only the add-ons attached to this app')
    .option('-a, --app <app>', 'only the add-ons attached to this app')
    .option('--json', 'print the API\'s JSON')
    .addHelpText('after', examples('slipway addons', 'slipway addons -a my-app', 'slipway addons --json'))
    .action((name: string | undefined, opts: JsonOption & { app?: string }) => addonsList(ctx, opts.app ?? name, opts));

  program.command('addons:create')
    .description('create an add-on for the app\'s team and bind it: DATABASE_URL (postgresql, mysql) or REDIS_URL; waits until the app runs with it')
    .argument('[app]', APP_HELP)
    .argument('<kind>', 'postgresql, mysql, redis, or external (with --url)')
    .option('--as <name>', 'also set NAME_URL (the attachment\'s name)')
    .option('--plan <plan>', 'small (default) or medium')
    .option('--url <url>', 'the URL of an external service (kind external)')
    .option('--no-wait', 'return at once; follow it with addons:wait NAME')
    .addHelpText('after', examples('slipway addons:create my-app postgresql', 'slipway addons:create -a my-app redis --plan medium',
      'slipway addons:create my-app external --url postgres://user:pass@db.example.com/app --as LEGACY_DB'))
    .action((app: string, kind: string, opts: { as?: string; plan?: string; url?: string; wait?: boolean }) => addonsCreate(ctx, app, kind, opts));

  program.command('addons:wait')
    .description('wait until an add-on is available and bound, showing its progress')
    .argument('<name>', 'the add-on, e.g. postgresql-curly-12345')
    .action((name: string) => addonsWait(ctx, name));

  program.command('addons:info')
    .description('show an add-on: kind, plan, state, URL (password hidden unless --reveal), attachments')
    .argument('<name>', 'the add-on')
    .option('--reveal', 'show the URL with its password')
    .option('--json', 'print the API\'s JSON')
    .action((name: string, opts: JsonOption & { reveal?: boolean }) => addonsInfo(ctx, name, opts));

  program.command('addons:attach')
    .description('bind an add-on to another app of its team (a new release of that app)')
    .argument('<name>', 'the add-on')
    .argument('[appName]', 'the app (or -a APP)')
    .option('-a, --app <app>', 'the app')
    .option('--as <name>', 'the attachment\'s name: the app gets NAME_URL')
    .addHelpText('after', examples('slipway addons:attach postgresql-curly-12345 -a other-app --as MAIN_DB'))
    .action((name: string, app: string | undefined, opts: { app?: string; as?: string }) => addonsAttach(ctx, name, appOf(app, opts.app, `slipway addons:attach ${name}`), opts));

  program.command('addons:detach')
    .description('unbind an add-on from an app (its variables go, with a new release)')
    .argument('<name>', 'the add-on')
    .argument('[appName]', 'the app (or -a APP)')
    .option('-a, --app <app>', 'the app')
    .action((name: string, app: string | undefined, opts: { app?: string }) => addonsDetach(ctx, name, appOf(app, opts.app, `slipway addons:detach ${name}`)));

  program.command('addons:destroy')
    .description('delete an add-on, its data and its backups (refused while attached, unless --detach-all)')
    .argument('<name>', 'the add-on')
    .option('--confirm <name>', 'the add-on\'s name again')
    .option('--detach-all', 'detach it from every app first')
    .action((name: string, opts: { confirm?: string; detachAll?: boolean }) => addonsDestroy(ctx, name, opts));

  program.command('addons:credentials:rotate')
    .description('new credentials, a new release of every attached app, then the old credentials revoked')
    .argument('<name>', 'the add-on')
    .action((name: string) => addonsRotate(ctx, name));

  program.command('addons:backups')
    .description('list an add-on\'s backups, newest first: size, duration, status (verified only once restored and checked)')
    .argument('<name>', 'the add-on')
    .option('--json', 'print the API\'s JSON')
    .action((name: string, opts: JsonOption) => backupsList(ctx, name, opts));

  program.command('addons:backups:capture')
    .description('capture a backup and verify it by restoring it into a scratch server (waits; exit 1 if it failed)')
    .argument('<name>', 'the add-on')
    .action((name: string) => backupsCapture(ctx, name));

  program.command('addons:backups:download')
    .description('write a verified backup (gzip) to stdout or -o FILE; without ID, the newest verified one')
    .argument('<name>', 'the add-on')
    .argument('[id]', 'e.g. b003')
    .option('-o, --output <file>', 'write to this file (mode 0600) instead of stdout')
    .addHelpText('after', examples('slipway addons:backups:download postgresql-curly-12345 > backup.gz'))
    .action((name: string, id: string | undefined, opts: { output?: string }) => backupsDownload(ctx, io, name, id, opts));

  program.command('addons:backups:restore')
    .description('replace the add-on\'s data with a verified backup\'s')
    .argument('<name>', 'the add-on')
    .argument('<id>', 'e.g. b003')
    .option('--confirm <name>', 'the add-on\'s name again')
    .action((name: string, id: string, opts: { confirm?: string }) => backupsRestore(ctx, name, id, opts));

  program.command('addons:backups:schedule')
    .description('a daily backup at --at HH:MM UTC, keeping the last --keep N verified ones')
    .argument('<name>', 'the add-on')
    .option('--at <time>', 'HH:MM, UTC')
    .option('--keep <n>', 'how many scheduled backups to keep (default 7)')
    .addHelpText('after', examples('slipway addons:backups:schedule postgresql-curly-12345 --at 02:00 --keep 7'))
    .action((name: string, opts: { at?: string; keep?: string }) => backupsSchedule(ctx, name, opts));

  program.command('addons:backups:unschedule')
    .description('stop the scheduled backups of an add-on')
    .argument('<name>', 'the add-on')
    .action((name: string) => backupsUnschedule(ctx, name));

  program.command('apps:link')
    .description('give the app OTHER_URL (or NAME_URL with --as): the other app\'s web process on the team network, without the router')
    .argument('[app]', APP_HELP)
    .argument('<other>', 'the app to reach (same team)')
    .option('--as <name>', 'the variable\'s prefix')
    .addHelpText('after', examples('slipway apps:link my-app my-api', 'slipway apps:link my-app my-api --as BACKEND'))
    .action((app: string, other: string, opts: { as?: string }) => appsLink(ctx, app, other, opts));

  program.command('apps:unlink')
    .description('remove a link made by apps:link')
    .argument('[app]', APP_HELP)
    .argument('<other>', 'the linked app')
    .action((app: string, other: string) => appsUnlink(ctx, app, other));

  program.command('apps:links')
    .description('list the apps this app is linked to')
    .argument('[app]', APP_HELP)
    .option('--json', 'print the API\'s JSON')
    .action((app: string, opts: JsonOption) => appsLinks(ctx, app, opts));
}

/**
 * One function per command. Each makes its REST call(s) through the ApiClient and prints
 * through a formatter; neither HTTP nor formatting details live here.
 */
import type { ApiClient } from './api-client';
import type { App, Info } from './api-types';
import { CliError } from './cli-error';
import * as format from './format';
import { assertGitRepo, setRemote } from './git';
import { randomAppName } from './random-name';
import { loadPublicKey } from './ssh-key';

export interface CommandContext {
  /** The API client; created on first use, so commands that refuse early need no token. */
  client(): ApiClient;
  /** Prints one block of text to stdout, followed by a newline. */
  out(text: string): void;
  /** Colours on stdout. */
  color: boolean;
  /** stdout is a terminal (sparklines and other drawing); false when piped. */
  tty?: boolean;
  now(): Date;
  cwd: string;
  homeDir: string;
  /** A name for `apps:create` without one; default: cli/random-name.ts. A seam for tests. */
  randomName?(): string;
}

export interface JsonOption {
  json?: boolean;
}

function options(ctx: CommandContext): format.FormatOptions {
  return { color: ctx.color, now: ctx.now() };
}

/** Tries this many random names before giving up (each taken name is a 409 app_exists). */
const RANDOM_NAME_ATTEMPTS = 5;

async function createWithRandomName(ctx: CommandContext, team: string | undefined): Promise<App> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await ctx.client().createApp(ctx.randomName?.() ?? randomAppName(), team);
    } catch (error) {
      if (!(error instanceof CliError && error.code === 'app_exists') || attempt >= RANDOM_NAME_ATTEMPTS) throw error;
    }
  }
}

/**
 * With a name, that app; without one, a readable random name (Heroku's `adjective-noun-1234`).
 * In `team`, else in the caller's personal team (the API decides).
 */
export async function appsCreate(ctx: CommandContext, name: string | undefined, team?: string): Promise<void> {
  const app = name === undefined ? await createWithRandomName(ctx, team) : await ctx.client().createApp(name, team);
  const c = format.colors(ctx.color);
  const where = team === undefined ? '' : ` in team ${app.team ?? team}`;
  ctx.out(`Creating ${c.bold(app.name)}${where}... ${c.green('done')}`);
  ctx.out(`${app.url} | ${app.gitUrl}`);
  ctx.out(`Next: slipway git:remote ${app.name}, then git push slipway HEAD:main`);
}

export async function appsList(ctx: CommandContext, opts: JsonOption): Promise<void> {
  const apps = await ctx.client().listApps();
  ctx.out(opts.json ? format.json(apps) : format.appsTable(apps, options(ctx)));
}

export async function appsInfo(ctx: CommandContext, name: string, opts: JsonOption): Promise<void> {
  const info = await ctx.client().getApp(name);
  ctx.out(opts.json ? format.json(info) : format.appInfo(info, options(ctx)));
}

export async function appsDestroy(ctx: CommandContext, name: string, opts: { confirm?: string }): Promise<void> {
  if (opts.confirm !== name) {
    const given = opts.confirm === undefined ? '' : ` (--confirm ${opts.confirm} does not match)`;
    throw new CliError(
      `This permanently destroys ${name}, its releases and its running instances${given}. To proceed, run: slipway apps:destroy ${name} --confirm ${name}`,
    );
  }
  await ctx.client().destroyApp(name, opts.confirm);
  const c = format.colors(ctx.color);
  ctx.out(`Destroying ${c.bold(name)}... ${c.green('done')}`);
}

export async function releasesList(ctx: CommandContext, app: string, opts: JsonOption): Promise<void> {
  const releases = await ctx.client().listReleases(app);
  ctx.out(opts.json ? format.json(releases) : format.releasesTable(app, releases, options(ctx)));
}

const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]']);

/**
 * `ssh://git@<sshHost>:<sshPort>/<app>.git`. When the platform reports a wildcard bind address
 * as its SSH host, the API's host name is the one that reaches it.
 */
export function gitUrl(info: Info, app: string, apiUrl: string): string {
  let host = String(info.sshHost ?? '').trim();
  if (WILDCARD_HOSTS.has(host)) host = new URL(apiUrl).hostname;
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  return `ssh://git@${host}:${info.sshPort}/${app}.git`;
}

export async function gitRemote(ctx: CommandContext, app: string, opts: { remote?: string }): Promise<void> {
  const remote = opts.remote ?? 'slipway';
  await assertGitRepo(ctx.cwd);
  const client = ctx.client();
  await client.getApp(app); // an unknown app fails here, before git is touched
  const info = await client.info();
  const url = gitUrl(info, app, client.apiUrl);
  const change = await setRemote(ctx.cwd, remote, url);
  const verb = change === 'added' ? 'added' : change === 'updated' ? 'updated' : 'already set';
  ctx.out(`Git remote ${format.colors(ctx.color).bold(remote)} ${verb}: ${url}`);
}

export async function keysAdd(ctx: CommandContext, file: string | undefined, opts: { name?: string }): Promise<void> {
  const key = loadPublicKey(file, ctx.homeDir);
  const name = opts.name ?? key.comment ?? undefined;
  const added = await ctx.client().addKey(key.line, name);
  const c = format.colors(ctx.color);
  ctx.out(`Uploading ${key.file}... ${c.green('done')}`);
  ctx.out(`Added key ${c.bold(added.name)} (${added.fingerprint})`);
}

export async function keysList(ctx: CommandContext, opts: JsonOption): Promise<void> {
  const keys = await ctx.client().listKeys();
  ctx.out(opts.json ? format.json(keys) : format.keysTable(keys, options(ctx)));
}

export async function keysRemove(ctx: CommandContext, idOrFingerprint: string): Promise<void> {
  await ctx.client().removeKey(idOrFingerprint);
  ctx.out(`Removed key ${idOrFingerprint}`);
}

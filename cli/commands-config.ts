/**
 * Config vars (`config`, `config:get`, `config:set`, `config:unset`), `releases:info` and
 * `rollback`. Like ./commands: API call(s) through the client, output through a formatter.
 */
import { CliError } from './cli-error';
import type { CommandContext, JsonOption } from './commands';
import * as format from './format';
import { configTable, keyList, releaseInfo } from './format-config';

/**
 * `KEY=value` arguments → `{KEY: "value"}`. The value is everything after the first `=`, so it
 * may contain `=` and be empty. Names are checked by the API, which refuses a bad one whole.
 */
export function parseAssignments(args: readonly string[]): Record<string, string> {
  if (args.length === 0) throw new CliError('Give at least one KEY=value, e.g. slipway config:set my-app GREETING=hello');
  const changes = new Map<string, string>();
  for (const arg of args) {
    const at = arg.indexOf('=');
    if (at === 0) throw new CliError('A KEY=value argument has no name before "=": give each as KEY=value.');
    if (at < 0) throw new CliError(`"${arg}" has no value: give it as ${arg}=value (to remove it: slipway config:unset APP ${arg}).`);
    changes.set(arg.slice(0, at), arg.slice(at + 1));
  }
  return Object.fromEntries(changes);
}

/** "3" or "v3" → 3. */
export function parseVersionArg(arg: string): number {
  const match = /^v?([1-9][0-9]{0,8})$/i.exec(arg.trim());
  if (!match) throw new CliError(`"${arg}" is not a release version: give it as v3 (or 3).`);
  return Number(match[1]);
}

function options(ctx: CommandContext): format.FormatOptions {
  return { color: ctx.color, now: ctx.now() };
}

export async function configList(ctx: CommandContext, app: string, opts: JsonOption): Promise<void> {
  const config = await ctx.client().getConfig(app);
  ctx.out(opts.json ? format.json(config) : configTable(app, config, options(ctx)));
}

/** Prints the raw value alone (for scripts); a var that is not set is an error. */
export async function configGet(ctx: CommandContext, app: string, key: string): Promise<void> {
  const config = await ctx.client().getConfig(app);
  if (!Object.hasOwn(config, key)) throw new CliError(`${key} is not set on ${app}. Run \`slipway config ${app}\` to list its config vars.`);
  ctx.out(config[key] ?? '');
}

/** The end of "Setting X and restarting app... done, v3": which release now runs the config. */
async function outcome(ctx: CommandContext, app: string): Promise<string> {
  const { currentRelease } = await ctx.client().getApp(app);
  const done = format.colors(ctx.color).green('done');
  return currentRelease === null
    ? `${done} (${app} is not deployed yet: its first build gets this config)`
    : `${done}, ${format.versionLabel(currentRelease)}`;
}

export async function configSet(ctx: CommandContext, app: string, assignments: readonly string[]): Promise<void> {
  const changes = parseAssignments(assignments);
  const config = await ctx.client().updateConfig(app, changes);
  const c = format.colors(ctx.color);
  ctx.out(`Setting ${keyList(Object.keys(changes))} and restarting ${c.bold(app)}... ${await outcome(ctx, app)}`);
  for (const key of Object.keys(changes)) ctx.out(`${c.green(key)}: ${config[key] ?? ''}`);
}

export async function configUnset(ctx: CommandContext, app: string, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) throw new CliError('Give at least one config var name, e.g. slipway config:unset my-app GREETING');
  const changes = Object.fromEntries(keys.map((key) => [key, null] as const));
  await ctx.client().updateConfig(app, changes);
  ctx.out(`Unsetting ${keyList(Object.keys(changes))} and restarting ${format.colors(ctx.color).bold(app)}... ${await outcome(ctx, app)}`);
}

export async function releasesInfo(ctx: CommandContext, app: string, version: string, opts: JsonOption): Promise<void> {
  const info = await ctx.client().getRelease(app, parseVersionArg(version));
  ctx.out(opts.json ? format.json(info) : releaseInfo(app, info, options(ctx)));
}

export async function rollback(ctx: CommandContext, app: string, version: string | undefined): Promise<void> {
  const target = version === undefined ? undefined : parseVersionArg(version);
  const release = await ctx.client().rollback(app, target);
  const c = format.colors(ctx.color);
  ctx.out(`Rolling back ${c.bold(app)}... ${c.green('done')}, ${format.versionLabel(release.version)}: ${release.description}`);
  ctx.out('Rollback affects code and config vars: the app now runs that release\'s build with its config.');
}

/**
 * Which app a command is for, Heroku's way (docs/cli.md, "Which app a command is for"): `-a APP` /
 * `--app APP`; else, so that existing scripts keep working, the app as the command's first
 * argument (`slipway ps shop`); else the app of the `-r REMOTE` git remote, `SLIPWAY_APP`, or the
 * app of the `slipway` git remote of the current directory (main.ts's AppSource).
 *
 * This runs on argv before commander parses it: it takes `-a`/`-r` out and puts the app back as
 * the command's first argument, which is what every command handler receives. Pure apart from
 * `inferApp`, which is only called when the arguments alone cannot tell (see placeApp).
 */
import type { Command, Option } from 'commander';
import { CliError } from './cli-error';

/** What an argument after the app looks like: clearly that argument, clearly an app, or either. */
export type ArgShape = 'arg' | 'app' | 'unknown';

export interface AppCommandShape {
  /** Arguments after the app: how many are required, and how many at most (Infinity: variadic). */
  required: number;
  max: number;
  /** Options that take a value (`--memory 512m`), by every spelling (`-m`, `--memory`). */
  valueOptions: ReadonlySet<string>;
  /** Options after the first argument belong to the command run (`run`). */
  passThrough: boolean;
  /** Whether `-r/--remote` names the remote to read the app from (false where the command has its own `-r`). */
  remoteOption: boolean;
  /** What the first argument after the app looks like; 'unknown' when its form cannot tell. */
  shape(arg: string): ArgShape;
}

export interface AppSource {
  /** The app named by SLIPWAY_APP or the given git remote of the current directory, or null. */
  inferApp(remote: string | undefined): Promise<string | null>;
}

/** The help of the optional first argument of every app command. */
export const APP_ARG_HELP = 'the app, when not given by -a APP or the slipway git remote of this directory';

export const NO_APP_MESSAGE = 'No app given: add -a APP (or --app APP), or run the command in the app\'s git repository '
  + '(slipway git:remote APP adds its `slipway` remote there).';

interface Scan {
  /** Indexes (into the command's tokens) of the positional arguments. */
  positionals: number[];
  app: string | undefined;
  remote: string | undefined;
  /** Indexes of `-a X` / `-r X` tokens, taken out of argv. */
  ours: Set<number>;
  /** Index of the `--` that ends the options, if any. */
  dashDash?: number;
  help: boolean;
}

function scan(tokens: readonly string[], shape: AppCommandShape): Scan {
  const result: Scan = { positionals: [], app: undefined, remote: undefined, ours: new Set(), help: false };
  let optionsEnded = false;
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i]!;
    const positional = optionsEnded || !token.startsWith('-') || token === '-';
    if (positional) {
      result.positionals.push(i);
      if (shape.passThrough) optionsEnded = true;
      continue;
    }
    if (token === '--') {
      optionsEnded = true;
      result.dashDash = i;
      continue;
    }
    if (token === '-h' || token === '--help') result.help = true;
    const eq = token.startsWith('--') ? token.indexOf('=') : -1;
    const name = eq > 0 ? token.slice(0, eq) : token;
    const inline = eq > 0 ? token.slice(eq + 1) : undefined;
    const isApp = name === '-a' || name === '--app' || (token.startsWith('-a') && !token.startsWith('--') && token.length > 2);
    const isRemote = shape.remoteOption && (name === '-r' || name === '--remote' || (token.startsWith('-r') && !token.startsWith('--') && token.length > 2));
    if (isApp || isRemote) {
      result.ours.add(i);
      let value = inline;
      if (value === undefined && !token.startsWith('--') && token.length > 2) value = token.slice(2); // -aAPP
      if (value === undefined) {
        value = tokens[i + 1];
        if (value === undefined) throw new CliError(`${name} needs a value: ${isApp ? '-a APP' : '-r REMOTE'}.`);
        result.ours.add(i + 1);
        i += 1;
      }
      if (isApp) result.app = value;
      else result.remote = value;
      continue;
    }
    if (inline === undefined && shape.valueOptions.has(name)) i += 1; // skip the option's value
  }
  return result;
}

/**
 * Decides whether the first argument is the app (the positional form) or an argument of the
 * command, in this order:
 *  1. more arguments than the command takes: the first is the app;
 *  2. no more than it requires: none of them is the app;
 *  3. the first argument's form tells (`KEY=value`, `v3`, `on`, a host name);
 *  4. it is the app the directory names, or there is no such app: it is the app; else it is not.
 */
async function firstIsApp(args: readonly string[], shape: AppCommandShape, inferred: () => Promise<string | null>): Promise<boolean> {
  if (args.length > shape.max) return true;
  if (args.length <= shape.required) return false;
  const form = shape.shape(args[0]!);
  if (form !== 'unknown') return form === 'app';
  const app = await inferred();
  return app === null || app === args[0];
}

/**
 * The command's tokens (after its name) with the app as first argument and `-a`/`-r` removed.
 * Help requests pass through untouched, so `slipway ps --help` works anywhere.
 */
export async function placeApp(tokens: readonly string[], shape: AppCommandShape, source: AppSource): Promise<string[]> {
  const found = scan(tokens, shape);
  if (found.help) return [...tokens];
  let cached: Promise<string | null> | null = null;
  const inferred = (): Promise<string | null> => (cached ??= source.inferApp(found.remote));
  const rest = tokens.filter((_token, i) => !found.ours.has(i));
  if (found.app === undefined && await firstIsApp(found.positionals.map((i) => tokens[i]!), shape, inferred)) return rest;
  const app = found.app ?? await inferred();
  if (app === null) throw new CliError(NO_APP_MESSAGE);
  // The app goes just before the first argument (or before a `--` that precedes it).
  const firstPositional = found.positionals[0] ?? tokens.length;
  const dashDash = found.dashDash !== undefined && found.dashDash < firstPositional ? found.dashDash : firstPositional;
  const at = tokens.slice(0, dashDash).filter((_token, i) => !found.ours.has(i)).length;
  return [...rest.slice(0, at), app, ...rest.slice(at)];
}

/** `.../shop.git`, `git@host:shop.git`, `ssh://git@host:2222/shop.git` → "shop"; null when no app name is there. */
export function appFromRemoteUrl(url: string): string | null {
  const match = /(?:^|[/:])([a-z][a-z0-9-]{0,29})(?:\.git)?\/?$/.exec(url.trim());
  return match ? match[1]! : null;
}

const APP_COMMANDS = new WeakSet<Command>();
const REMOTE_OPTION = new WeakSet<Command>();

/**
 * Marks `command` as one whose first argument is the app, and adds `-a/--app` (and `-r/--remote`
 * unless the command has its own `-r`) to its help; placeApp takes them out before commander parses.
 */
export function appCommand(command: Command): Command {
  APP_COMMANDS.add(command);
  command.option('-a, --app <app>', 'the app (default: the app of the slipway git remote of this directory)');
  if (!command.options.some((option: Option) => option.short === '-r')) {
    REMOTE_OPTION.add(command);
    command.option('-r, --remote <remote>', 'read the app from this git remote instead of slipway');
  }
  return command;
}

/** The shape placeApp needs, read from the command's own definition. */
export function commandShape(command: Command, shapeOf: (arg: string) => ArgShape = () => 'unknown'): AppCommandShape | null {
  if (!APP_COMMANDS.has(command)) return null;
  const args = command.registeredArguments.slice(1);
  const valueOptions = new Set<string>();
  for (const option of command.options) {
    if (!option.required && !option.optional) continue;
    if (option.short) valueOptions.add(option.short);
    if (option.long) valueOptions.add(option.long);
  }
  return {
    required: args.filter((arg) => arg.required).length,
    max: args.some((arg) => arg.variadic) ? Infinity : args.length,
    valueOptions,
    passThrough: (command as unknown as { _passThroughOptions?: boolean })._passThroughOptions === true,
    remoteOption: REMOTE_OPTION.has(command),
    shape: shapeOf,
  };
}

const CONFIG_KEY_UPPER = /^[A-Z_][A-Z0-9_]*$/;
const BUILD_ID = /^[0-9a-z]{6,12}-[0-9a-f]{6}$/;

/** How the first argument after the app looks, per command whose form tells (see placeApp). */
export const ARG_SHAPES: Readonly<Record<string, (arg: string) => ArgShape>> = {
  'config:set': (arg) => (arg.includes('=') ? 'arg' : 'app'),
  'ps:scale': (arg) => (/^[A-Za-z0-9_-]+[=:]\d+$/.test(arg) ? 'arg' : 'app'),
  // Config var names are conventionally upper case, and cannot hold a dash; app names are lower case.
  'config:unset': (arg) => (CONFIG_KEY_UPPER.test(arg) ? 'arg' : arg.includes('-') ? 'app' : 'unknown'),
  rollback: (arg) => (/^v?\d+$/i.test(arg) ? 'arg' : 'app'),
  'domains:redirect': (arg) => (arg === 'on' || arg === 'off' ? 'arg' : 'app'),
  'certs:remove': (arg) => (arg.includes('.') ? 'arg' : 'app'),
  'buildpacks:remove': (arg) => (/[/:.]/.test(arg) ? 'arg' : 'unknown'),
  'builds:output': (arg) => (BUILD_ID.test(arg) ? 'arg' : 'unknown'),
  open: (arg) => (arg.startsWith('/') ? 'arg' : 'app'),
  'storage:mount': (arg) => (arg.startsWith('/') ? 'arg' : 'app'),
  'storage:unmount': (arg) => (arg.startsWith('/') ? 'arg' : 'app'),
  'ps:restart': (arg) => (/^[A-Za-z0-9_-]+\.\d+$/.test(arg) ? 'arg' : 'unknown'),
};

/** argv with the app placed as the first argument of an app command; other commands' argv as given. */
export async function placeAppInArgv(program: Command, argv: readonly string[], source: AppSource): Promise<string[]> {
  const tokens = argv.slice(2);
  const at = tokens.findIndex((token) => !token.startsWith('-'));
  if (at < 0) return [...argv];
  const command = program.commands.find((c) => c.name() === tokens[at] || c.aliases().includes(tokens[at]!));
  const shape = command ? commandShape(command, ARG_SHAPES[command.name()]) : null;
  if (!shape) return [...argv];
  const placed = await placeApp(tokens.slice(at + 1), shape, source);
  return [...argv.slice(0, 2), ...tokens.slice(0, at + 1), ...placed];
}

/** Marks every command whose first argument is `[app]` (see appCommand). */
export function markAppCommands(program: Command): void {
  for (const command of program.commands) if (command.registeredArguments[0]?.name() === 'app') appCommand(command);
}

/**
 * `slipway run APP CMD…`: a one-off process in a new container of the app's current release,
 * attached to this terminal (or to stdin/stdout/stderr when they are not one), or detached with
 * --detach. Exits with the command's exit code. docs/run.md.
 */
import { spawnSync } from 'node:child_process';
import { CommanderError } from 'commander';
import { CliError } from './cli-error';
import type { CommandContext } from './commands';
import * as format from './format';
import { pumpAttach, type LocalTerminal, type TerminalSize } from './run-attach';
import { createDyno, openAttach } from './run-client';
import { resolveSettings, type Env } from './settings';

export interface RunOptions {
  detach?: boolean;
  /** commander's `--no-tty` sets it to false; true by default (a TTY when stdin is one). */
  tty?: boolean;
}

export interface RunIo {
  stdin?: LocalTerminal['stdin'];
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  env: Env;
}

/** Characters that need no quoting in a POSIX shell word. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One argument as a POSIX shell word: as is when safe, otherwise in single quotes. */
export function shellQuote(arg: string): string {
  if (SAFE_WORD.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The shell command line CMD… stands for. One argument is taken as a command line of its own
 * (`slipway run app "rake db:migrate && echo ok"`); several are quoted word by word, so each
 * reaches the process as one argument (`slipway run app -- node -e "console.log('hi')"`).
 * A leading `--` only separates CMD from slipway's options and is dropped.
 */
export function commandLine(args: readonly string[]): string {
  const words = args[0] === '--' ? args.slice(1) : [...args];
  if (words.length === 0) return '';
  if (words.length === 1) return words[0]!;
  return words.map(shellQuote).join(' ');
}

/** The terminal's window size: stdout's when it is a terminal, else stderr's. */
export function windowSize(io: RunIo): TerminalSize | null {
  for (const stream of [io.stdout, io.stderr]) {
    if (stream.isTTY && stream.columns && stream.rows) return { cols: stream.columns, rows: stream.rows };
  }
  return null;
}

const TERM_NAME = /^[\w.+-]{1,64}$/;

/**
 * Raw mode for this process's terminal, as ssh and docker set it. Node's raw mode keeps output
 * processing on (a "\n" from the remote would gain a "\r": full-screen programs misdraw), so
 * it is turned off with stty; setRawMode(false) then restores the terminal as it was.
 */
export function processRawMode(stdin: LocalTerminal['stdin']): () => void {
  stdin.setRawMode?.(true);
  if (stdin === process.stdin) spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
  return () => { stdin.setRawMode?.(false); };
}

/** Thrown to make the CLI exit with the remote command's code (cli/main.ts returns a CommanderError's exitCode as is). */
export function exitWith(code: number): CommanderError {
  return new CommanderError(code, 'slipway.run.exit', '');
}

export async function run(ctx: CommandContext, io: RunIo, app: string, args: readonly string[], opts: RunOptions): Promise<void> {
  const command = commandLine(args);
  if (command.trim() === '') throw new CliError(`Give a command to run, e.g. slipway run ${app} bash`);
  const detach = opts.detach === true;
  const { stdin, tty, connection, terminal } = localTerminal(ctx, io, !detach && opts.tty !== false);
  const dyno = await createDyno(connection, app, { command, attach: !detach, detach, tty, ...terminal });
  const c = format.colors(format.colorEnabled(io.stderr, io.env));
  if (detach || !dyno.attach) {
    io.stderr.write(`Running ${c.bold(command)} on ${c.bold(app)} in the background... ${c.green('done')}, ${dyno.id} (v${dyno.release})\n`);
    io.stdout.write(`${dyno.id}\n`);
    return;
  }
  if (io.stderr.isTTY) io.stderr.write(`Running ${c.bold(command)} on ${c.bold(app)}... ${c.green('up')}, ${dyno.id} (v${dyno.release})\n`);
  await attachTo(connection, dyno.attach.url, io, stdin, tty);
}

/**
 * `slipway addons:connect [APP] NAME` (Heroku's `pg:psql`, Dokku's `postgres:connect`): the add-on's
 * own client (psql, mariadb, redis-cli) in a one-off beside APP, logged in as APP is, attached to
 * this terminal — or to stdin and stdout, so `echo 'select 1' | slipway addons:connect …` works.
 */
export async function addonsConnect(ctx: CommandContext, io: RunIo, app: string, addon: string, opts: { tty?: boolean }): Promise<void> {
  const { stdin, tty, connection, terminal } = localTerminal(ctx, io, opts.tty !== false);
  const dyno = await createDyno(connection, app, { addon, attach: true, detach: false, tty, ...terminal });
  if (!dyno.attach) throw new CliError('The API started no client to attach to: is it older than this CLI?');
  const c = format.colors(format.colorEnabled(io.stderr, io.env));
  if (io.stderr.isTTY) io.stderr.write(`Connecting to ${c.bold(addon)} through ${c.bold(app)}... ${c.green('up')}, ${dyno.id}\n`);
  await attachTo(connection, dyno.attach.url, io, stdin, tty);
}

/**
 * What an attached one-off is told of this side: a TTY when `wantTty` and stdin is a terminal,
 * with its size and $TERM; and the API to reach.
 */
function localTerminal(ctx: CommandContext, io: RunIo, wantTty: boolean) {
  const stdin = io.stdin ?? process.stdin;
  const tty = wantTty && stdin.isTTY === true;
  const size = tty ? windowSize(io) : null;
  const settings = resolveSettings({ env: io.env, homeDir: ctx.homeDir });
  const term = io.env.TERM && TERM_NAME.test(io.env.TERM) ? io.env.TERM : undefined;
  return {
    stdin, tty,
    connection: { apiUrl: settings.apiUrl, token: settings.token },
    terminal: { ...(size ?? {}), ...(tty && term ? { term } : {}) },
  };
}

/** Attaches this terminal (or these streams) to a prepared one-off; exits with its code. */
async function attachTo(connection: { apiUrl: string; token: string }, url: string, io: RunIo, stdin: LocalTerminal['stdin'], tty: boolean): Promise<void> {
  const { socket, head } = await openAttach(connection, url);
  const code = await pumpAttach(socket, head, {
    stdin, stdout: io.stdout, stderr: io.stderr, tty,
    rawMode: () => processRawMode(stdin),
    size: () => windowSize(io),
    onResize: (listener) => {
      const resizable = [io.stdout, io.stderr].find((s) => s.isTTY) as NodeJS.WritableStream | undefined;
      if (!resizable) return () => undefined;
      resizable.on('resize', listener);
      return () => { resizable.off('resize', listener); };
    },
  });
  if (code !== 0) throw exitWith(code);
}

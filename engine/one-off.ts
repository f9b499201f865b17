/**
 * One-off processes (Heroku's `heroku run`): a command run in a NEW container of an app's current
 * release image, with the release's config vars, removed when it ends. This module is the port the
 * engine runs them through (`OneOffRunner`, implemented for Docker by drivers/docker-one-off.ts)
 * and the pure helpers around it; no I/O here. Protocol and behaviour: docs/run.md.
 */
import crypto from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import type { ConfigVars } from './model';

/** The stack's launcher: sources /app/.profile.d, then `exec bash -c "$*"` in /app. */
export const LAUNCHER = '/usr/local/bin/slipway-launch';

/** The process type one-offs are labelled with (`slipway.process=run`). */
export const ONE_OFF_PROCESS = 'run';

export const ONE_OFF_LABELS = {
  app: 'slipway.app',
  release: 'slipway.release',
  process: 'slipway.process',
  /**
   * `<app>.run.4821`, so the RuntimeDriver lists one-offs among the app's instances (apps:info
   * shows them, destroying the app removes them); the deployer leaves `run` processes alone.
   */
  instance: 'slipway.instance',
  /** The one-off's id within its app (`run.4821`). */
  oneOff: 'slipway.one-off',
  /** Which Slipway installation runs it (as for every instance: see DockerDriver). */
  platform: 'slipway.platform',
  command: 'slipway.command',
} as const;

export interface TerminalSize {
  cols: number;
  rows: number;
}

export interface OneOffSpec {
  app: string;
  release: number;
  /** `run.<n>`, unique among the app's one-offs. */
  id: string;
  image: string;
  /** A shell command line, run through the launcher (or bash/sh when the image has none). */
  command: string;
  env: Readonly<Record<string, string>>;
  /** Allocate a pseudo-terminal (stdout and stderr then arrive merged, on stdout). */
  tty: boolean;
  /** Initial window size, with a TTY. */
  size: TerminalSize | null;
  /** Memory and CPU limits (those of the app's web processes); null for none. */
  limits: { memoryMb: number; cpu: number } | null;
  /** The app's team: the one-off joins that team's network only. Missing means team 1 (as InstanceSpec.teamId). */
  teamId?: number;
}

export interface OneOffInfo {
  id: string;
  app: string;
  release: number;
  command: string;
  state: 'starting' | 'running' | 'exited';
  startedAt: Date | null;
}

/** A running, attached one-off process. */
export interface AttachedOneOff {
  readonly id: string;
  /** The process's stdin; ending it closes the process's stdin (EOF). */
  readonly stdin: Writable;
  /** Everything the process writes to stdout (and, with a TTY, to stderr); ends after the process. */
  readonly stdout: Readable;
  /** What the process writes to stderr (empty with a TTY); ends after the process. */
  readonly stderr: Readable;
  /** Resizes the TTY; a no-op without one. */
  resize(size: TerminalSize): Promise<void>;
  /** Resolves with the exit code once the process has ended, its output is read and the container removed. */
  readonly exit: Promise<number>;
  /** Kills the process and removes its container (the client went away). */
  kill(): Promise<void>;
}

/** The port through which the engine runs one-off processes. */
export interface OneOffRunner {
  /** Creates the container, attaches to its streams, then starts it (so no output is lost). */
  attach(spec: OneOffSpec): Promise<AttachedOneOff>;
  /** Creates and starts the container in the background, its output going to the container log. */
  detach(spec: OneOffSpec): Promise<OneOffInfo>;
  /** One-off processes of an app that still run. */
  list(app: string): Promise<OneOffInfo[]>;
  /** Kills one and removes it; false when there is no such one-off. */
  stop(app: string, id: string): Promise<boolean>;
}

/** What a client asks for: the command and how to connect to it. */
export interface RunRequest {
  command: string;
  tty: boolean;
  size: TerminalSize | null;
  /** The client's $TERM, passed on with a TTY. */
  term: string | null;
}

/** A new one-off id in Heroku's style: `run.` and four or five digits. */
export function newOneOffId(random: () => number = () => crypto.randomInt(1000, 100000)): string {
  return `${ONE_OFF_PROCESS}.${random()}`;
}

const ONE_OFF_ID = /^run\.\d{1,9}$/;

export function isOneOffId(id: string): boolean {
  return ONE_OFF_ID.test(id);
}

/** The RuntimeDriver instance id of a one-off: `<app>.run.4821`. */
export function oneOffInstanceId(app: string, id: string): string {
  return `${app}.${id}`;
}

/** Docker container name of a one-off (`slipway-<instance id>`, like every Slipway instance). */
export function oneOffContainerName(app: string, id: string): string {
  return `slipway-${oneOffInstanceId(app, id)}`;
}

/**
 * The shell program every one-off starts with (`/bin/sh -c PROGRAM slipway-run "<cmd>"`). A slug
 * image built by the buildpacks has the launcher and runs in /app: the command runs through the
 * launcher like every other process. A Dockerfile image (its own WORKDIR, maybe no launcher) runs
 * the command with bash -c, or sh -c when there is no bash, in its own working directory.
 */
export const ONE_OFF_PROGRAM = [
  `if [ -x ${LAUNCHER} ] && [ "$(pwd)" = /app ]; then exec ${LAUNCHER} "$1"; fi`,
  'if command -v bash >/dev/null 2>&1; then exec bash -c "$1"; fi',
  'exec sh -c "$1"',
].join('\n');

/**
 * With a TTY of a known size: the size is set just after the container starts (dockerd before
 * 23.0 ignores an initial console size), so the command waits, one second at most, for it.
 */
export const WAIT_FOR_TTY_SIZE = 'n=0; while [ "$(stty size 2>/dev/null)" = "0 0" ] && [ $n -lt 100 ]; do sleep 0.01; n=$((n+1)); done';

/**
 * Entrypoint and Cmd of a one-off container. The entrypoint is replaced (an image's ENTRYPOINT
 * must not wrap the one-off command); `$0` is `slipway-run`, `$1` the command line.
 */
export function oneOffEntrypoint(command: string, waitForTtySize = false): { entrypoint: string[]; cmd: string[] } {
  const program = waitForTtySize ? `${WAIT_FOR_TTY_SIZE}\n${ONE_OFF_PROGRAM}` : ONE_OFF_PROGRAM;
  return { entrypoint: ['/bin/sh', '-c', program, 'slipway-run'], cmd: [command] };
}

/** The environment of a one-off: the release's config vars, then what Slipway sets for every process. */
export function oneOffEnv(
  config: ConfigVars,
  release: number,
  id: string,
  port: number,
  term: string | null,
): Record<string, string> {
  const env: Record<string, string> = { ...config, PORT: String(port), SLIPWAY_RELEASE: `v${release}`, DYNO: id };
  if (term !== null) env.TERM = term;
  return env;
}

export class RunRequestError extends Error {
  override readonly name = 'RunRequestError';
}

const MAX_COMMAND_LENGTH = 64 * 1024;
const MAX_TERMINAL_SIDE = 10_000;

/** A terminal size from untrusted input, or null when it is absent or not sensible. */
export function terminalSize(cols: unknown, rows: unknown): TerminalSize | null {
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= MAX_TERMINAL_SIDE;
  return ok(cols) && ok(rows) ? { cols, rows } : null;
}

/** Validates the JSON body of `POST /apps/:app/dynos`; throws RunRequestError with a readable message. */
export function parseRunRequest(body: unknown): RunRequest & { attach: boolean; addon: string | null } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RunRequestError('Send the command to run: {"command": "bash"}.');
  }
  const b = body as Record<string, unknown>;
  // addons:connect: the add-on's client instead of a command, always attached.
  if (b.addon !== undefined) {
    if (typeof b.addon !== 'string' || !/^[a-z][a-z0-9-]{0,62}$/.test(b.addon)) throw new RunRequestError('"addon" must be an add-on\'s name, as slipway addons lists it.');
    if (b.command !== undefined) throw new RunRequestError('Send either "command" or "addon", not both.');
    if (b.detach === true || b.attach === false) throw new RunRequestError('An add-on\'s client runs attached only.');
    return { ...parseRunRequest({ ...b, addon: undefined, command: 'addon-client' }), addon: b.addon };
  }
  if (typeof b.command !== 'string' || b.command.trim() === '') {
    throw new RunRequestError('Give a command to run: {"command": "bash"}.');
  }
  if (b.command.length > MAX_COMMAND_LENGTH) throw new RunRequestError('The command is too long (64 KiB at most).');
  if (b.command.includes('\0')) throw new RunRequestError('The command may not contain NUL characters.');
  for (const flag of ['attach', 'detach', 'tty'] as const) {
    if (b[flag] !== undefined && typeof b[flag] !== 'boolean') throw new RunRequestError(`"${flag}" must be true or false.`);
  }
  if (b.term !== undefined && b.term !== null && (typeof b.term !== 'string' || !/^[\w.+-]{1,64}$/.test(b.term))) {
    throw new RunRequestError('"term" must be a terminal name such as "xterm-256color".');
  }
  const detach = b.detach === true;
  const attach = b.attach === undefined ? !detach : b.attach === true;
  if (attach === detach) throw new RunRequestError('A one-off is either attached ("attach": true) or detached ("detach": true).');
  const tty = attach && b.tty === true;
  return {
    command: b.command,
    addon: null,
    attach,
    tty,
    size: tty ? terminalSize(b.cols, b.rows) : null,
    term: tty ? (typeof b.term === 'string' ? b.term : 'xterm') : null,
  };
}

export type SshRunParse = { app: string; command: string } | { problem: string } | null;

/**
 * `run APP CMD…` as an SSH exec command (what `ssh git@host run APP CMD…` sends: the words joined
 * by spaces). CMD is a shell command line, as with any ssh command. Null when it is not `run`.
 */
export function parseSshRun(command: string): SshRunParse {
  const match = /^\s*run(?:\s+([\s\S]*))?$/.exec(command);
  if (!match) return null;
  const rest = (match[1] ?? '').trim();
  const appMatch = /^(\S+)(?:\s+([\s\S]*))?$/.exec(rest);
  if (!appMatch) return { problem: 'Usage: ssh git@<host> run APP COMMAND…' };
  const app = appMatch[1]!;
  const cmd = (appMatch[2] ?? '').trim();
  if (cmd === '') return { problem: `Give a command to run, e.g. ssh git@<host> run ${app} bash` };
  return { app, command: cmd };
}

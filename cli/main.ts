/**
 * The `slipway` command line: commander wiring only. bin/slipway calls runCli(process.argv).
 * Every command is in ./commands, the HTTP client in ./api-client, output in ./format.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { ApiClient } from './api-client';
import { isCliError, oneLine } from './cli-error';
import * as commands from './commands';
import { colorEnabled, errorLine, type Env } from './format';
import { resolveSettings } from './settings';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Env;
  cwd: string;
}

function packageVersion(): string {
  try {
    const file = path.resolve(__dirname, '..', '..', 'package.json');
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

export function buildProgram(ctx: commands.CommandContext, io: CliIo): Command {
  const errColor = colorEnabled(io.stderr, io.env);
  const program = new Command();
  program
    .name('slipway')
    .description('Slipway: git push to a running, load-balanced app.')
    .version(packageVersion(), '-v, --version')
    .exitOverride()
    .showHelpAfterError('(run slipway --help for the list of commands)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Usage errors look like every other error: one ` !    ` line.
      outputError: (text, write) => write(`${errorLine(oneLine(text.replace(/^error:\s*/, '')), errColor)}\n`),
    });

  program
    .command('apps:create')
    .description('create an app')
    .argument('<name>', 'lowercase letters, digits and dashes; a letter first; 30 characters at most')
    .addHelpText('after', examples('slipway apps:create my-app'))
    .action((name: string) => commands.appsCreate(ctx, name));

  program
    .command('apps')
    .description('list apps')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('slipway apps', 'slipway apps --json'))
    .action((opts: commands.JsonOption) => commands.appsList(ctx, opts));

  program
    .command('apps:info')
    .description("show an app's URLs, current release, formation and instances")
    .argument('<name>', 'the app')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('slipway apps:info my-app'))
    .action((name: string, opts: commands.JsonOption) => commands.appsInfo(ctx, name, opts));

  program
    .command('apps:destroy')
    .description('permanently destroy an app, its releases and its instances')
    .argument('<name>', 'the app')
    .option('--confirm <name>', 'the app name again, to confirm')
    .addHelpText('after', examples('slipway apps:destroy my-app --confirm my-app'))
    .action((name: string, opts: { confirm?: string }) => commands.appsDestroy(ctx, name, opts));

  program
    .command('releases')
    .description("list an app's releases, newest first")
    .argument('<name>', 'the app')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('slipway releases my-app'))
    .action((name: string, opts: commands.JsonOption) => commands.releasesList(ctx, name, opts));

  program
    .command('git:remote')
    .description("add (or update) a git remote for an app in the current directory's repository")
    .argument('<name>', 'the app')
    .option('-r, --remote <remote>', 'the git remote name', 'slipway')
    .addHelpText('after', examples('slipway git:remote my-app', 'slipway git:remote my-app -r staging'))
    .action((name: string, opts: { remote?: string }) => commands.gitRemote(ctx, name, opts));

  program
    .command('keys:add')
    .description('add an SSH public key for git push (default: ~/.ssh/id_ed25519.pub, then ~/.ssh/id_rsa.pub)')
    .argument('[file]', 'the public key file')
    .option('--name <name>', "a name for the key (default: the key's comment)")
    .addHelpText('after', examples('slipway keys:add', 'slipway keys:add ~/.ssh/work.pub --name laptop'))
    .action((file: string | undefined, opts: { name?: string }) => commands.keysAdd(ctx, file, opts));

  program
    .command('keys')
    .description('list SSH keys')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('slipway keys'))
    .action((opts: commands.JsonOption) => commands.keysList(ctx, opts));

  program
    .command('keys:remove')
    .description('remove an SSH key')
    .argument('<id-or-fingerprint>', 'the key id, or its SHA256:… fingerprint')
    .addHelpText('after', examples('slipway keys:remove SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s'))
    .action((id: string) => commands.keysRemove(ctx, id));

  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function runCli(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
): Promise<number> {
  let client: ApiClient | null = null;
  const ctx: commands.CommandContext = {
    client() {
      if (client === null) {
        const settings = resolveSettings({ env: io.env });
        client = new ApiClient({ apiUrl: settings.apiUrl, token: settings.token });
      }
      return client;
    },
    out: (text) => {
      io.stdout.write(`${text}\n`);
    },
    color: colorEnabled(io.stdout, io.env),
    now: () => new Date(),
    cwd: io.cwd,
    homeDir: os.homedir(),
  };

  const program = buildProgram(ctx, io);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // commander has printed it
    const errColor = colorEnabled(io.stderr, io.env);
    if (isCliError(error)) {
      io.stderr.write(`${errorLine(oneLine(error.message), errColor)}\n`);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      io.stderr.write(`${errorLine(oneLine(`Unexpected error: ${message}`), errColor)}\n`);
      if (io.env.SLIPWAY_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    }
    return 1;
  }
}

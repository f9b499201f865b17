/**
 * The `slipway` command line: commander wiring only. bin/slipway calls runCli(process.argv).
 * Every command is in ./commands, the HTTP client in ./api-client, output in ./format.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { ApiClient } from './api-client';
import { APP_ARG_HELP, appFromRemoteUrl, markAppCommands, placeAppInArgv, type AppSource } from './app-arg';
import { CliError } from './cli-error';
import { remoteUrl } from './git';
import { isCliError, oneLine } from './cli-error';
import * as commands from './commands';
import * as runCommands from './commands-run';
import * as configCommands from './commands-config';
import { registerBuildpackCommands } from './commands-buildpacks';
import { registerAddonCommands } from './commands-addons';
import { registerStorageCommands } from './commands-storage';
import { registerMetricsCommands } from './commands-metrics';
import { registerLogCommands } from './commands-logs';
import * as domainCommands from './commands-domains';
import * as psCommands from './commands-ps';
import * as buildCommands from './commands-builds';
import * as openCommands from './commands-open';
import { configEdit, editorCommand } from './config-edit';
import { appsRename } from './commands-rename';
import { colorEnabled, errorLine } from './format';
import { resolveSettings } from './settings';
import type { AccountContext } from './commands-auth';
import * as teamCommands from './commands-teams';
import { terminalPrompter } from './prompt';
import { registerAccountCommands } from './register-accounts';
import type { CliIo } from './cli-io';

export type { CliIo };


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

export function buildProgram(ctx: AccountContext, io: CliIo): Command {
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
    .command('ps')
    .description('list the formation and the running instances: type, state, release, uptime, restarts')
    .argument('[app]', APP_ARG_HELP)
    .option('--json', 'print the API\'s JSON')
    .addHelpText('after', examples('slipway ps my-app'))
    .action((name: string, opts: commands.JsonOption) => psCommands.ps(ctx, name, opts));

  program
    .command('ps:scale')
    .description('set how many instances of each process type run (0 stops a type)')
    .argument('[app]', APP_ARG_HELP)
    .argument('<type=quantity...>', 'e.g. web=3 worker=2')
    .addHelpText('after', examples('slipway ps:scale my-app web=3 worker=2', 'slipway ps:scale my-app worker=0'))
    .action((name: string, args: string[]) => psCommands.psScale(ctx, name, args));

  program
    .command('ps:resize')
    .description('set the memory and CPU limits of one process type (rolling restart)')
    .argument('[app]', APP_ARG_HELP)
    .argument('<type>', 'process type, e.g. web')
    .option('--memory <size>', 'memory limit per instance, e.g. 512m or 1g')
    .option('--cpu <cores>', 'CPU limit per instance, in cores, e.g. 0.5')
    .addHelpText('after', examples('slipway ps:resize my-app web --memory 1g --cpu 1'))
    .action((name: string, type: string, opts: { memory?: string; cpu?: string }) => psCommands.psResize(ctx, name, type, opts));

  program
    .command('ps:restart')
    .description('replace the instances of the current release, one batch at a time, without downtime')
    .argument('[app]', APP_ARG_HELP)
    .argument('[type]', 'only this process type')
    .addHelpText('after', examples('slipway ps:restart my-app', 'slipway ps:restart my-app worker'))
    .action((name: string, type: string | undefined) => psCommands.psRestart(ctx, name, type));

  program
    .command('ps:kill')
    .description('stop one instance (web.2: the second web instance that ps lists, or an instance id); a new one replaces it')
    .argument('[app]', APP_ARG_HELP)
    .argument('<instance>', 'TYPE.N, e.g. web.2, or an instance id from ps')
    .addHelpText('after', examples('slipway ps:kill -a my-app web.2'))
    .action((name: string, instance: string) => psCommands.psKill(ctx, name, instance));

  program
    .command('ps:stop')
    .description('stop every instance of one process type (scales it to 0)')
    .argument('[app]', APP_ARG_HELP)
    .argument('<type>', 'process type, e.g. worker')
    .addHelpText('after', examples('slipway ps:stop my-app worker'))
    .action((name: string, type: string) => psCommands.psStop(ctx, name, type));

  program
    .command('apps:create')
    .description('create an app (without a name: a random one, like autumn-river-4821)')
    .argument('[name]', 'lowercase letters, digits and dashes; a letter first, not a dash last; 30 characters at most')
    .option('-t, --team <team>', 'the team that owns it (default: your personal team)')
    .addHelpText('after', examples('slipway apps:create my-app', 'slipway apps:create', 'slipway apps:create my-app --team acme'))
    .action((name: string | undefined, opts: { team?: string }) => commands.appsCreate(ctx, name, opts.team));

  program
    .command('open')
    .description("print the app's URL, and open it in a browser when there is one ($BROWSER, or xdg-open on a desktop)")
    .argument('[app]', APP_ARG_HELP)
    .argument('[path]', 'a path to append, e.g. /admin')
    .addHelpText('after', examples('slipway open -a my-app', 'slipway open -a my-app /admin'))
    .action((name: string, urlPath: string | undefined) => openCommands.open(ctx, name, urlPath, openCommands.browserCommand(io.env, process.platform, openCommands.onPath(io.env))));

  program
    .command('status')
    .description('platform health, one line per component: API, database, etcd, registry, Docker, router (exit 1 when one is down)')
    .option('--json', 'print the API\'s JSON')
    .addHelpText('after', examples('slipway status'))
    .action((opts: commands.JsonOption) => openCommands.status(ctx, opts));

  program
    .command('maintenance')
    .description("show whether the app is in maintenance mode (on or off)")
    .argument('[app]', APP_ARG_HELP)
    .addHelpText('after', examples('slipway maintenance -a my-app'))
    .action((name: string) => buildCommands.maintenanceShow(ctx, name));

  program
    .command('maintenance:on')
    .description('answer every request for the app with a 503 maintenance page; its processes keep running')
    .argument('[app]', APP_ARG_HELP)
    .addHelpText('after', examples('slipway maintenance:on -a my-app'))
    .action((name: string) => buildCommands.maintenanceSet(ctx, name, true));

  program
    .command('maintenance:off')
    .description('serve the app again after maintenance:on')
    .argument('[app]', APP_ARG_HELP)
    .addHelpText('after', examples('slipway maintenance:off -a my-app'))
    .action((name: string) => buildCommands.maintenanceSet(ctx, name, false));

  program
    .command('builds')
    .description("list an app's builds, newest first: id, status, commit, what built it, how long it took")
    .argument('[app]', APP_ARG_HELP)
    .option('--json', 'print the API\'s JSON')
    .addHelpText('after', examples('slipway builds -a my-app'))
    .action((name: string, opts: commands.JsonOption) => buildCommands.buildsList(ctx, name, opts));

  program
    .command('builds:info')
    .description('show one build: status, commit, buildpacks or Dockerfile, image, size, duration, process types')
    .argument('[app]', APP_ARG_HELP)
    .argument('<id>', 'the build id, as `slipway builds` lists it')
    .option('--json', 'print the API\'s JSON')
    .addHelpText('after', examples('slipway builds:info -a my-app mip3x1k2-a1b2c3'))
    .action((name: string, id: string, opts: commands.JsonOption) => buildCommands.buildsInfo(ctx, name, id, opts));

  program
    .command('builds:output')
    .description("print a build's output as the push showed it (default: the newest build)")
    .argument('[app]', APP_ARG_HELP)
    .argument('[id]', 'the build id, as `slipway builds` lists it')
    .addHelpText('after', examples('slipway builds:output -a my-app', 'slipway builds:output -a my-app mip3x1k2-a1b2c3'))
    .action((name: string, id: string | undefined) => buildCommands.buildsOutput(ctx, name, id));

  program
    .command('apps')
    .description('list the apps you may see, with their team')
    .option('-t, --team <team>', "only this team's apps")
    .option('--json', 'print JSON')
    .addHelpText('after', examples('slipway apps', 'slipway apps --team acme', 'slipway apps --json'))
    .action((opts: commands.JsonOption & { team?: string }) => teamCommands.appsList(ctx, opts));

  program
    .command('apps:info')
    .description("show an app's URLs, current release, formation and instances")
    .argument('[app]', APP_ARG_HELP)
    .option('--json', 'print JSON')
    .addHelpText('after', examples('slipway apps:info my-app'))
    .action((name: string, opts: commands.JsonOption) => commands.appsInfo(ctx, name, opts));

  program
    .command('apps:destroy')
    .description('permanently destroy an app, its releases and its instances')
    .argument('[app]', APP_ARG_HELP)
    .option('--confirm <name>', 'the app name again, to confirm')
    .addHelpText('after', examples('slipway apps:destroy my-app --confirm my-app'))
    .action((name: string, opts: { confirm?: string }) => commands.appsDestroy(ctx, name, opts));

  program
    .command('apps:rename')
    .description('rename an app: its URL and git URL change; config, releases and custom domains stay')
    .argument('<app>', 'the app')
    .argument('<new-name>', 'its new name')
    .addHelpText('after', examples('slipway apps:rename my-app shop'))
    .action((name: string, newName: string) => appsRename(ctx, name, newName));

  program
    .command('releases')
    .description("list an app's releases, newest first")
    .argument('[app]', APP_ARG_HELP)
    .option('--json', 'print JSON')
    .addHelpText('after', examples('slipway releases my-app'))
    .action((name: string, opts: commands.JsonOption) => commands.releasesList(ctx, name, opts));

  program
    .command('releases:info')
    .description('show one release: its build, commit, image, process types, config var names (not values) and its deploy phases with their durations')
    .argument('[app]', APP_ARG_HELP)
    .argument('<version>', 'the release, e.g. v3')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('slipway releases:info my-app v3'))
    .action((name: string, version: string, opts: commands.JsonOption) => configCommands.releasesInfo(ctx, name, version, opts));

  program
    .command('rollback')
    .alias('releases:rollback')
    .description("deploy an earlier release's build and config again, as a new release")
    .argument('[app]', APP_ARG_HELP)
    .argument('[version]', 'the release to go back to (default: the last succeeded one before the current)')
    .addHelpText('after', examples('slipway rollback my-app', 'slipway rollback my-app v3'))
    .action((name: string, version: string | undefined) => configCommands.rollback(ctx, name, version));

  program
    .command('config')
    .description("list an app's config vars")
    .argument('[app]', APP_ARG_HELP)
    .option('--json', 'print JSON')
    .addHelpText('after', examples('slipway config my-app', 'slipway config my-app --json'))
    .action((name: string, opts: commands.JsonOption) => configCommands.configList(ctx, name, opts));

  program
    .command('config:get')
    .description('print the value of one config var (exit 1 if it is not set)')
    .argument('[app]', APP_ARG_HELP)
    .argument('<key>', 'the config var')
    .addHelpText('after', examples('slipway config:get my-app GREETING'))
    .action((name: string, key: string) => configCommands.configGet(ctx, name, key));

  program
    .command('config:set')
    .description('set config vars and restart the app with them (a new release)')
    .argument('[app]', APP_ARG_HELP)
    .argument('<KEY=value...>', 'one or more; the value is everything after the first "="')
    .addHelpText('after', examples('slipway config:set my-app GREETING=hello', "slipway config:set my-app A=1 'B=x=y'"))
    .action((name: string, assignments: string[]) => configCommands.configSet(ctx, name, assignments));

  program
    .command('config:edit')
    .description('edit the config vars in $VISUAL or $EDITOR (vi by default), then apply what changed in one release')
    .argument('[app]', APP_ARG_HELP)
    .addHelpText('after', examples('slipway config:edit -a my-app', 'EDITOR="code --wait" slipway config:edit -a my-app'))
    .action((name: string) => configEdit(ctx, name, editorCommand(io.env)));

  program
    .command('config:unset')
    .description('remove config vars and restart the app without them (a new release)')
    .argument('[app]', APP_ARG_HELP)
    .argument('<KEY...>', 'one or more config var names')
    .addHelpText('after', examples('slipway config:unset my-app GREETING'))
    .action((name: string, keys: string[]) => configCommands.configUnset(ctx, name, keys));

  program
    .command('git:remote')
    .description("add (or update) a git remote for an app in the current directory's repository")
    .argument('[app]', APP_ARG_HELP)
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

  program
    .command('domains')
    .description("list an app's domains (its default one and custom ones), their certificates and the HTTPS redirect setting")
    .argument('[app]', APP_ARG_HELP)
    .option('--json', 'print the API\'s JSON')
    .addHelpText('after', examples('slipway domains my-app'))
    .action((name: string, opts: commands.JsonOption) => domainCommands.domainsList(ctx, name, opts));

  program
    .command('domains:add')
    .description('serve the app at a custom domain too (a host belongs to one app; *.example.com covers one label)')
    .argument('[app]', APP_ARG_HELP)
    .argument('<hostname>', 'e.g. www.example.com or *.example.com')
    .addHelpText('after', examples('slipway domains:add my-app www.example.com', "slipway domains:add my-app '*.example.com'"))
    .action((name: string, hostname: string) => domainCommands.domainsAdd(ctx, name, hostname));

  program
    .command('domains:remove')
    .description('stop serving the app at a custom domain (the default domain stays)')
    .argument('[app]', APP_ARG_HELP)
    .argument('<hostname>', 'the custom domain')
    .addHelpText('after', examples('slipway domains:remove my-app www.example.com'))
    .action((name: string, hostname: string) => domainCommands.domainsRemove(ctx, name, hostname));

  program
    .command('domains:redirect')
    .description('redirect plain-HTTP requests to HTTPS (on) or serve them (off); without a value, show the setting')
    .argument('[app]', APP_ARG_HELP)
    .argument('[on|off]', 'the new setting')
    .addHelpText('after', examples('slipway domains:redirect my-app on', 'slipway domains:redirect my-app off', 'slipway domains:redirect my-app'))
    .action((name: string, value: string | undefined) => domainCommands.domainsRedirect(ctx, name, value));

  program
    .command('certs')
    .description("list an app's TLS certificates: names, the domains each serves, expiry and fingerprint")
    .argument('[app]', APP_ARG_HELP)
    .option('--json', 'print the API\'s JSON')
    .addHelpText('after', examples('slipway certs my-app'))
    .action((name: string, opts: commands.JsonOption) => domainCommands.certsShow(ctx, name, opts));

  program
    .command('certs:add')
    .description("serve a TLS certificate for the app's domains it covers (replacing the one that served them), without a restart")
    .argument('[app]', APP_ARG_HELP)
    .argument('<cert-file>', 'PEM certificate, leaf first, then any intermediates (e.g. fullchain.pem)')
    .argument('<key-file>', 'PEM private key of the certificate, not encrypted')
    .addHelpText('after', examples('slipway certs:add my-app fullchain.pem privkey.pem'))
    .action((name: string, certFile: string, keyFile: string) => domainCommands.certsAdd(ctx, name, certFile, keyFile));

  program
    .command('certs:remove')
    .description('remove the certificate serving a domain (the whole certificate), or every certificate of the app')
    .argument('[app]', APP_ARG_HELP)
    .argument('[hostname]', 'a domain the certificate serves')
    .addHelpText('after', examples('slipway certs:remove my-app www.example.com', 'slipway certs:remove my-app'))
    .action((name: string, hostname: string | undefined) => domainCommands.certsRemove(ctx, name, hostname));

  registerBuildpackCommands(program, ctx);
  registerAccountCommands(program, ctx);
  registerAddonCommands(program, ctx, io);
  registerStorageCommands(program, ctx);
  registerMetricsCommands(program, ctx);
  registerLogCommands(program, ctx);

  // `run APP CMD…` passes CMD's own options through, so program options go before the command name.
  program.enablePositionalOptions();
  program
    .command('run')
    .description("run a command in a new container of the app's current release (a one-off process)")
    .argument('[app]', APP_ARG_HELP)
    .argument('<command...>', 'the command; put -- before it when it has options of its own')
    .option('-d, --detach', 'run in the background and print the instance id; its output goes to the container log')
    .option('--no-tty', 'no terminal for the process, even when stdin is one')
    .passThroughOptions()
    .addHelpText('after', examples('slipway run my-app bash', 'slipway run my-app -- node -e "console.log(process.env.PORT)"',
      'echo hi | slipway run my-app cat', 'slipway run --detach my-app npm run migrate'))
    .action((name: string, command: string[], opts: runCommands.RunOptions) => runCommands.run(ctx, io, name, command, opts));

  program
    .command('addons:connect')
    .description("open the add-on's own client (psql, mariadb, redis-cli) through an app it is attached to, as that app logs in")
    .argument('[app]', APP_ARG_HELP)
    .argument('<addon>', 'the add-on, e.g. postgresql-curly-12345')
    .option('--no-tty', 'no terminal for the client, even when stdin is one')
    .addHelpText('after', examples('slipway addons:connect my-app postgresql-curly-12345', 'echo "select count(*) from users" | slipway addons:connect -a my-app postgresql-curly-12345'))
    .action((name: string, addon: string, opts: { tty?: boolean }) => runCommands.addonsConnect(ctx, io, name, addon, opts));

  markAppCommands(program);
  return program;
}

/** The app of SLIPWAY_APP, else of the git remote (`slipway` unless -r names another) of the current directory. */
function appSource(io: CliIo): AppSource {
  return {
    async inferApp(remote) {
      if (remote === undefined && io.env.SLIPWAY_APP) return io.env.SLIPWAY_APP;
      const name = remote ?? 'slipway';
      const url = await remoteUrl(io.cwd, name);
      if (url === null) {
        if (remote === undefined) return null;
        throw new CliError(`There is no git remote ${remote} in ${io.cwd}: list them with git remote -v, or give the app with -a APP.`);
      }
      const app = appFromRemoteUrl(url);
      if (app === null) throw new CliError(`The git remote ${name} (${url}) does not name a Slipway app: give the app with -a APP.`);
      return app;
    },
  };
}

/** Runs the CLI; resolves to the process exit code. */
export async function runCli(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
): Promise<number> {
  let client: ApiClient | null = null;
  const ctx: AccountContext = {
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
    tty: io.stdout.isTTY === true,
    now: () => new Date(),
    cwd: io.cwd,
    homeDir: os.homedir(),
    env: io.env,
    prompt: terminalPrompter(io.stdin ?? process.stdin, io.stderr),
    makeClient: (apiUrl, token) => new ApiClient({ apiUrl, token }),
    warn: (text) => {
      io.stderr.write(`${text}\n`);
    },
    sleep: (ms, signal) => new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    }),
  };

  return runProgram(ctx, io, argv, appSource(io));
}

/** Parses argv and runs the command with `ctx`; errors become one line on stderr. Resolves to the exit code. */
export async function runProgram(ctx: AccountContext, io: CliIo, argv: readonly string[], apps: AppSource): Promise<number> {
  const program = buildProgram(ctx, io);
  try {
    await program.parseAsync(await placeAppInArgv(program, argv, apps));
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

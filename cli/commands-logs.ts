/** `slipway logs`: an app's log stream, history and (-t) live (docs/logs.md). */
import type { Command } from 'commander';
import { APP_ARG_HELP } from './app-arg';
import { CliError } from './cli-error';
import type { CommandContext } from './commands';
import { colorLogLine } from './format-logs';
import * as format from './format';

export interface LogsOptions {
  num?: string;
  ps?: string;
  dyno?: string;
  source?: string;
  since?: string;
  tail?: boolean;
}

/** The API's query from the command's flags (validated again by the API). */
export function logsQuery(opts: LogsOptions): Record<string, string> {
  const query: Record<string, string> = {};
  if (opts.num !== undefined) {
    if (!/^\d{1,6}$/.test(opts.num)) throw new CliError(`-n ${opts.num}: give a number of lines, like -n 500.`);
    query.lines = opts.num;
  }
  const ps = opts.ps ?? opts.dyno;
  if (ps !== undefined) query.ps = ps;
  if (opts.source !== undefined) query.source = opts.source;
  if (opts.since !== undefined) query.since = opts.since;
  if (opts.tail) query.tail = '1';
  return query;
}

export async function logs(ctx: CommandContext, app: string, opts: LogsOptions, signal?: AbortSignal): Promise<void> {
  const query = logsQuery(opts);
  let partial = '';
  const write = (text: string): void => {
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) ctx.out(colorLogLine(line, ctx.color));
  };
  let abort = signal;
  let controller: AbortController | null = null;
  let onSignal: (() => void) | null = null;
  if (opts.tail && !signal) {
    // Ctrl-C ends a tail quietly, as Heroku's does.
    controller = new AbortController();
    abort = controller.signal;
    onSignal = () => controller!.abort();
    process.once('SIGINT', onSignal);
  }
  try {
    await ctx.client().streamLogs(app, query, write, abort);
  } finally {
    if (onSignal) process.off('SIGINT', onSignal);
  }
  if (partial !== '') ctx.out(colorLogLine(partial, ctx.color));
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

export function registerLogCommands(program: Command, ctx: CommandContext): void {
  program
    .command('logs')
    .description('show an app\'s log: its processes, the router, builds and platform events; -t follows it live across deploys')
    .argument('[app]', APP_ARG_HELP)
    .option('-n, --num <lines>', 'how many lines of history (default 100)')
    .option('-p, --ps <process>', 'only this process type (web) or instance (web.1)')
    .option('-d, --dyno <process>', 'the same as --ps (Heroku\'s name)')
    .option('-s, --source <source>', 'only app, router, build or slipway lines')
    .option('--since <when>', 'only lines since then: 2h, 30m, 1d or a time like 2026-12-05T18:00:00Z')
    .option('-t, --tail', 'keep following new lines (Ctrl-C stops)')
    .addHelpText('after', examples('slipway logs -a my-app -n 500', 'slipway logs -a my-app --ps web.1 --source app -t', 'slipway logs -a my-app --source router --since 2h'))
    .action((app: string, opts: LogsOptions) => logs(ctx, app, opts));

  program
    .command('drains')
    .description('list the log drains of an app (where its log stream is also sent)')
    .argument('[app]', APP_ARG_HELP)
    .option('--json', 'print the API\'s JSON')
    .addHelpText('after', examples('slipway drains -a my-app'))
    .action(async (app: string, opts: { json?: boolean }) => {
      const drains = await ctx.client().listDrains(app);
      if (opts.json) { ctx.out(format.json(drains)); return; }
      if (drains.length === 0) { ctx.out(`${app} has no drains. Add one with: slipway drains:add syslog+tls://logs.example.com:6514 -a ${app}`); return; }
      ctx.out(`=== ${app} drains\n${format.table(['URL', 'Token', 'Waiting'], drains.map((d) => [d.url, d.token, String(d.pending)]), ctx.color)}`);
    });

  program
    .command('drains:add')
    .description('send the app\'s log stream to a syslog (RFC 5424, octet counting) or HTTPS (logplex-1) endpoint')
    .argument('[app]', APP_ARG_HELP)
    .argument('<url>', 'syslog://host:port, syslog+tls://host:port or https://host/path')
    .addHelpText('after', examples('slipway drains:add syslog+tls://logs.example.com:6514 -a my-app', 'slipway drains:add https://user:pass@logs.example.com/ingest -a my-app'))
    .action(async (app: string, url: string) => {
      const drain = await ctx.client().addDrain(app, url);
      ctx.out(`Successfully added drain ${drain.url}\nToken: ${drain.token}`);
    });

  program
    .command('drains:remove')
    .description('stop sending the app\'s log stream to a drain')
    .argument('[app]', APP_ARG_HELP)
    .argument('<drain>', 'the drain\'s URL, token or id')
    .addHelpText('after', examples('slipway drains:remove syslog+tls://logs.example.com:6514 -a my-app'))
    .action(async (app: string, drain: string) => {
      const removed = await ctx.client().removeDrain(app, drain);
      ctx.out(`Successfully removed drain ${removed.url}`);
    });
}

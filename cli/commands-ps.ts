/** ps, ps:scale, ps:resize, ps:restart, ps:stop: one API call each, output through ./format-ps. */
import { CliError } from './cli-error';
import type { CommandContext, JsonOption } from './commands';
import * as format from './format';
import { formationLine, memoryLabel, psView } from './format-ps';

/** `web=3 worker=0` → {web: 3, worker: 0}. */
export function parseQuantities(args: readonly string[]): Record<string, number> {
  if (args.length === 0) throw new CliError('Say what to scale, like: slipway ps:scale my-app web=2 worker=1');
  const quantities: Record<string, number> = {};
  for (const arg of args) {
    const match = /^([A-Za-z0-9_-]+)[=:](\d+)$/.exec(arg.trim());
    if (!match) throw new CliError(`"${arg}" is not TYPE=QUANTITY, like web=2.`);
    quantities[match[1]!] = Number(match[2]);
  }
  return quantities;
}

export async function ps(ctx: CommandContext, app: string, opts: JsonOption): Promise<void> {
  const view = await ctx.client().getPs(app);
  ctx.out(opts.json ? format.json(view) : psView(app, view, { color: ctx.color, now: ctx.now() }));
}

export async function psScale(ctx: CommandContext, app: string, args: readonly string[]): Promise<void> {
  const quantities = parseQuantities(args);
  const formation = await ctx.client().scale(app, quantities);
  ctx.out(`Scaling ${app}... ${format.colors(ctx.color).green('done')}, now running ${formationLine(formation.filter((f) => f.quantity > 0))}`);
}

export async function psResize(ctx: CommandContext, app: string, type: string, opts: { memory?: string; cpu?: string }): Promise<void> {
  if (opts.memory === undefined && opts.cpu === undefined) throw new CliError('Give a new size: --memory 512m and/or --cpu 0.5');
  const cpu = opts.cpu === undefined ? undefined : Number(opts.cpu);
  if (cpu !== undefined && !(cpu > 0)) throw new CliError(`--cpu ${opts.cpu}: give a number of cores, like 0.5 or 2.`);
  const entry = await ctx.client().resize(app, type, { ...(opts.memory ? { memory: opts.memory } : {}), ...(cpu === undefined ? {} : { cpu }) });
  ctx.out(`Resizing and restarting ${type} of ${app}... ${format.colors(ctx.color).green('done')}, ${type}: ${memoryLabel(entry.memoryMb)}, ${entry.cpu} CPU`);
}

export async function psRestart(ctx: CommandContext, app: string, type: string | undefined): Promise<void> {
  await ctx.client().restart(app, type);
  ctx.out(`Restarting ${type ?? 'all'} processes of ${app}... ${format.colors(ctx.color).green('done')}`);
}

export async function psStop(ctx: CommandContext, app: string, type: string): Promise<void> {
  await ctx.client().stop(app, type);
  ctx.out(`Stopping ${type} processes of ${app}... ${format.colors(ctx.color).green('done')}; start them again with: slipway ps:scale ${app} ${type}=1`);
}

/** Heroku's ps:kill: one instance stops (SIGTERM, then SIGKILL after the grace period) and a new one replaces it. */
export async function psKill(ctx: CommandContext, app: string, instance: string): Promise<void> {
  const killed = await ctx.client().killInstance(app, instance);
  ctx.out(`Stopping ${instance === killed.id ? killed.id : `${instance} (${killed.id})`} of ${app}... ${format.colors(ctx.color).green('done')}; a new ${killed.type} instance replaces it.`);
}

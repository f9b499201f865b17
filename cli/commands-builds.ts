/** Past builds (`builds`, `builds:info`, `builds:output`) and maintenance mode (`maintenance`, `maintenance:on|off`). */
import type { Build } from './api-types';
import { CliError } from './cli-error';
import type { CommandContext, JsonOption } from './commands';
import * as format from './format';
import { humanBytes } from './commands-buildpacks';

function options(ctx: CommandContext): format.FormatOptions {
  return { color: ctx.color, now: ctx.now() };
}

function duration(ms: number | null): string {
  if (ms === null) return '';
  return ms < 60_000 ? `${Math.round(ms / 1000)}s` : `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
}

/** How the build was made: the image it imported, its buildpacks, or its Dockerfile. */
function builtWith(build: Build): string {
  if (build.sourceImage) return `image ${build.sourceImage}`;
  if (build.buildpacks && build.buildpacks.length > 0) return build.buildpacks.join(', ');
  return build.status === 'succeeded' ? 'Dockerfile' : '';
}

export function buildsTable(app: string, builds: readonly Build[], opts: format.FormatOptions): string {
  if (builds.length === 0) return `${app} has no builds yet. Deploy with: git push slipway HEAD:main`;
  const rows = builds.map((build) => [
    build.id, format.releaseStatus(build.status, opts.color), format.shortCommit(build.commit), builtWith(build),
    build.createdBy ?? '', duration(build.durationMs), format.relativeTime(build.createdAt, opts.now),
  ]);
  return format.table(['Id', 'Status', 'Commit', 'Built with', 'By', 'Took', 'Created'], rows, opts.color);
}

export function buildInfo(app: string, build: Build, opts: format.FormatOptions): string {
  const c = format.colors(opts.color);
  const types = Object.entries(build.processTypes);
  return [
    c.bold(`=== ${app} build ${build.id}`),
    `Status:        ${format.releaseStatus(build.status, opts.color)}`,
    `Commit:        ${build.commit || '(none: an image deploy)'}`,
    `Built with:    ${builtWith(build) || '-'}`,
    `By:            ${build.createdBy ?? '-'}`,
    `Image:         ${build.image ?? '-'}${build.digest ? ` @ ${build.digest}` : ''}`,
    `Image size:    ${typeof build.imageSize === 'number' ? humanBytes(build.imageSize) : '-'}`,
    `Took:          ${duration(build.durationMs) || '-'}`,
    `Created:       ${format.relativeTime(build.createdAt, opts.now)} (${build.createdAt})`,
    `Process types: ${types.length === 0 ? '-' : types.map(([type, command]) => `${type}: ${command}`).join('; ')}`,
    `Output:        slipway builds:output -a ${app} ${build.id}`,
  ].join('\n');
}

export async function buildsList(ctx: CommandContext, app: string, opts: JsonOption): Promise<void> {
  const builds = await ctx.client().listBuilds(app);
  ctx.out(opts.json ? format.json(builds) : buildsTable(app, builds, options(ctx)));
}

export async function buildsInfo(ctx: CommandContext, app: string, id: string, opts: JsonOption): Promise<void> {
  const build = await ctx.client().getBuild(app, id);
  ctx.out(opts.json ? format.json(build) : buildInfo(app, build, options(ctx)));
}

/** The log of build `id`, or of the newest build. Printed raw, as the push showed it. */
export async function buildsOutput(ctx: CommandContext, app: string, id: string | undefined): Promise<void> {
  const client = ctx.client();
  let buildId = id;
  if (buildId === undefined) {
    const [newest] = await client.listBuilds(app);
    if (newest === undefined) throw new CliError(`${app} has no builds yet. Deploy with: git push slipway HEAD:main`);
    buildId = newest.id;
  }
  const { output } = await client.getBuildOutput(app, buildId);
  ctx.out(output.replace(/\n$/, ''));
}

export async function maintenanceShow(ctx: CommandContext, app: string): Promise<void> {
  const { maintenance } = await ctx.client().getMaintenance(app);
  ctx.out(maintenance ? 'on' : 'off');
}

export async function maintenanceSet(ctx: CommandContext, app: string, on: boolean): Promise<void> {
  await ctx.client().setMaintenance(app, on);
  const c = format.colors(ctx.color);
  ctx.out(`${on ? 'Enabling' : 'Disabling'} maintenance mode for ${c.bold(app)}... ${c.green('done')}`);
  if (on) ctx.out('The router answers its requests with a 503 maintenance page; its processes keep running. End it with: slipway maintenance:off');
}

/**
 * Buildpacks (`buildpacks`, `buildpacks:set`, `buildpacks:add`, `buildpacks:remove`,
 * `buildpacks:clear`), the build cache (`repo:cache`, `repo:purge-cache`) and `deploy --image`.
 * Heroku's words where Heroku has the command. Like ./commands: API calls, then pure formatting.
 */
import type { Command } from 'commander';
import type { AppBuildpack, BuildCache, ImageDeploy, RegistryInfo } from './api-types';
import { APP_ARG_HELP } from './app-arg';
import { CliError } from './cli-error';
import type { CommandContext, JsonOption } from './commands';
import * as format from './format';

/** 1 KB = 1024 bytes, one decimal: "231.4 MB". */
export function humanBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export function buildpackList(app: string, list: readonly AppBuildpack[], color: boolean): string {
  const c = format.colors(color);
  if (list.length === 0) {
    return `${app} has no buildpacks set: its next build uses a root Dockerfile if there is one, else the first built-in buildpack that detects the app.`;
  }
  return [c.bold(`=== ${app} Buildpack${list.length > 1 ? 's' : ''}`), ...list.map((b) => (list.length > 1 ? `${b.index}. ${b.buildpack}` : b.buildpack))].join('\n');
}

/** "Next release on my-app will use: …" after a change. */
export function nextReleaseLine(app: string, list: readonly AppBuildpack[]): string {
  if (list.length === 0) return `Next release on ${app} will detect its buildpack (or use its Dockerfile) as usual.`;
  if (list.length === 1) return `Next release on ${app} will use ${list[0]!.buildpack}.`;
  return `Next release on ${app} will use:\n${list.map((b) => `  ${b.index}. ${b.buildpack}`).join('\n')}`;
}

export function cacheSummary(app: string, cache: BuildCache, color: boolean): string {
  const c = format.colors(color);
  if (!cache.exists) return `${app} has no build cache (it was never built with buildpacks, or the cache was purged).`;
  return [
    c.bold(`=== ${app} Build cache`),
    `Size:           ${humanBytes(cache.sizeBytes)}`,
    `Cache volume:   ${cache.volume} (${humanBytes(cache.volumeBytes)})`,
    `Runtime layers: ${humanBytes(cache.runtimeLayerBytes)}`,
    `Clear it with:  slipway repo:purge-cache ${app}`,
  ].join('\n');
}

export function imageDeploySummary(app: string, image: string, result: ImageDeploy, color: boolean): string {
  const c = format.colors(color);
  const size = typeof result.build.imageSize === 'number' ? ` (${humanBytes(result.build.imageSize)})` : '';
  return [
    `Deploying ${image} to ${c.bold(app)}... ${c.green('done')}, ${format.versionLabel(result.release.version)}`,
    `Image: ${result.build.image ?? ''}${result.build.digest ? ` @ ${result.build.digest}` : ''}${size}`,
  ].join('\n');
}

/** "--index 2" → 2; refuses what is not a whole number from 1. */
export function parseIndex(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^[1-9][0-9]{0,3}$/.test(raw.trim())) throw new CliError(`--index must be a whole number from 1 (got "${raw}").`);
  return Number(raw.trim());
}

export async function buildpacksList(ctx: CommandContext, app: string, opts: JsonOption): Promise<void> {
  const list = await ctx.client().listBuildpacks(app);
  ctx.out(opts.json ? format.json(list) : buildpackList(app, list, ctx.color));
}

export async function buildpacksSet(ctx: CommandContext, app: string, buildpack: string, opts: { index?: string }): Promise<void> {
  const list = await ctx.client().setBuildpack(app, buildpack, parseIndex(opts.index) ?? 1);
  ctx.out(`Buildpack set. ${nextReleaseLine(app, list)}`);
  ctx.out('Run git push slipway main to create a new release using it.');
}

export async function buildpacksAdd(ctx: CommandContext, app: string, buildpack: string, opts: { index?: string }): Promise<void> {
  const list = await ctx.client().addBuildpack(app, buildpack, parseIndex(opts.index));
  ctx.out(`Buildpack added. ${nextReleaseLine(app, list)}`);
  ctx.out('Run git push slipway main to create a new release using them.');
}

export async function buildpacksRemove(ctx: CommandContext, app: string, buildpack: string | undefined, opts: { index?: string }): Promise<void> {
  let index = parseIndex(opts.index);
  if (index === undefined) {
    if (buildpack === undefined) throw new CliError('Say which buildpack to remove: slipway buildpacks:remove APP BUILDPACK, or --index N.');
    const found = (await ctx.client().listBuildpacks(app)).find((b) => b.buildpack === buildpack);
    if (!found) throw new CliError(`${buildpack} is not set on ${app}. Run \`slipway buildpacks ${app}\` to list them.`);
    index = found.index;
  }
  const list = await ctx.client().removeBuildpack(app, index);
  ctx.out(`Buildpack removed. ${nextReleaseLine(app, list)}`);
}

export async function buildpacksClear(ctx: CommandContext, app: string): Promise<void> {
  await ctx.client().clearBuildpacks(app);
  ctx.out(`Buildpacks cleared. ${nextReleaseLine(app, [])}`);
}

export async function repoCache(ctx: CommandContext, app: string, opts: JsonOption): Promise<void> {
  const cache = await ctx.client().getBuildCache(app);
  ctx.out(opts.json ? format.json(cache) : cacheSummary(app, cache, ctx.color));
}

export function registrySummary(info: RegistryInfo, color: boolean): string {
  const c = format.colors(color);
  return [
    c.bold(`=== Registry ${info.registry}`),
    `Repositories: ${info.repositories} (one per app)`,
    `Images:       ${info.images}`,
    `Size:         ${humanBytes(info.bytes)} in ${info.blobs} distinct layers and configs`,
    'Destroyed apps\' images are deleted at once; their space comes back at the next scripts/gc.',
  ].join('\n');
}

export async function registryInfo(ctx: CommandContext, opts: JsonOption): Promise<void> {
  const info = await ctx.client().getRegistryInfo();
  ctx.out(opts.json ? format.json(info) : registrySummary(info, ctx.color));
}

export async function repoPurgeCache(ctx: CommandContext, app: string): Promise<void> {
  await ctx.client().purgeBuildCache(app);
  const c = format.colors(ctx.color);
  ctx.out(`Purging the build cache of ${c.bold(app)}... ${c.green('done')}`);
  ctx.out('The next build starts from scratch.');
}

export async function deployImage(ctx: CommandContext, app: string, opts: { image?: string }): Promise<void> {
  if (!opts.image) throw new CliError('Say which image to deploy: slipway deploy APP --image REGISTRY/NAME:TAG');
  const result = await ctx.client().deployImage(app, opts.image);
  ctx.out(imageDeploySummary(app, opts.image, result, ctx.color));
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

const BUILDPACK_HELP = 'a built-in name (nodejs), a git URL (https://host/buildpack.git#v1), an https tarball URL (…/buildpack.tgz) or a directory on the Slipway host';

/** Adds this file's commands to the program (cli/main.ts). */
export function registerBuildpackCommands(program: Command, ctx: CommandContext): void {
  program
    .command('buildpacks')
    .description("list the buildpacks set on an app (none: a root Dockerfile, else the built-ins' detection)")
    .argument('[app]', APP_ARG_HELP)
    .option('--json', "print the API's JSON")
    .addHelpText('after', examples('slipway buildpacks my-app'))
    .action((app: string, opts: JsonOption) => buildpacksList(ctx, app, opts));

  program
    .command('buildpacks:set')
    .description('set the buildpack at an index (default 1) for the next builds; wins over a root Dockerfile')
    .argument('[app]', APP_ARG_HELP)
    .argument('<buildpack>', BUILDPACK_HELP)
    .option('-i, --index <n>', 'the position to replace (1 = first)')
    .addHelpText('after', examples('slipway buildpacks:set my-app nodejs', 'slipway buildpacks:set my-app https://git.example.com/bp.git#v2'))
    .action((app: string, buildpack: string, opts: { index?: string }) => buildpacksSet(ctx, app, buildpack, opts));

  program
    .command('buildpacks:add')
    .description('add a buildpack (multi-buildpack: they run in order, the last one gives the process types)')
    .argument('[app]', APP_ARG_HELP)
    .argument('<buildpack>', BUILDPACK_HELP)
    .option('-i, --index <n>', 'insert at this position (default: at the end)')
    .addHelpText('after', examples('slipway buildpacks:add my-app nodejs', 'slipway buildpacks:add my-app --index 1 https://example.com/apt.tgz'))
    .action((app: string, buildpack: string, opts: { index?: string }) => buildpacksAdd(ctx, app, buildpack, opts));

  program
    .command('buildpacks:remove')
    .description('remove one buildpack, by value or by --index')
    .argument('[app]', APP_ARG_HELP)
    .argument('[buildpack]', 'the buildpack, as listed')
    .option('-i, --index <n>', 'the position to remove')
    .addHelpText('after', examples('slipway buildpacks:remove my-app nodejs', 'slipway buildpacks:remove my-app --index 2'))
    .action((app: string, buildpack: string | undefined, opts: { index?: string }) => buildpacksRemove(ctx, app, buildpack, opts));

  program
    .command('buildpacks:clear')
    .description('clear the buildpacks: the next build detects (or uses a root Dockerfile) again')
    .argument('[app]', APP_ARG_HELP)
    .addHelpText('after', examples('slipway buildpacks:clear my-app'))
    .action((app: string) => buildpacksClear(ctx, app));

  program
    .command('repo:cache')
    .description("show the size of an app's build cache")
    .argument('[app]', APP_ARG_HELP)
    .option('--json', "print the API's JSON")
    .addHelpText('after', examples('slipway repo:cache my-app'))
    .action((app: string, opts: JsonOption) => repoCache(ctx, app, opts));

  program
    .command('repo:purge-cache')
    .alias('repo:purge_cache')
    .description("delete an app's build cache: the next build starts from scratch")
    .argument('[app]', APP_ARG_HELP)
    .addHelpText('after', examples('slipway repo:purge-cache my-app'))
    .action((app: string) => repoPurgeCache(ctx, app));

  program
    .command('registry:info')
    .description("show the size of Slipway's image registry (admin)")
    .option('--json', "print the API's JSON")
    .addHelpText('after', examples('slipway registry:info'))
    .action((opts: JsonOption) => registryInfo(ctx, opts));

  program
    .command('deploy')
    .description('deploy an existing image (pulled if the Docker host lacks it) as a new release; its CMD runs as web')
    .argument('[app]', APP_ARG_HELP)
    .requiredOption('--image <ref>', 'the image, e.g. 127.0.0.1:5000/other-app:abc or 127.0.0.1:5000/team/app:1.2')
    .addHelpText('after', examples('slipway deploy my-app --image 127.0.0.1:5000/team/app:1.2'))
    .action((app: string, opts: { image?: string }) => deployImage(ctx, app, opts));
}
